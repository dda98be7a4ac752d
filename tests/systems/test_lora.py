"""LoRA: LoRA+ (arXiv 2402.12354), muA (arXiv 2602.06204) and rsLoRA (arXiv 2312.03732).

Expected values: every oracle row (papers/oracles/hayou2024lora.csv, chen2026learning.csv, kalajdzievski2023rank.csv)
equals the derived table; Theorem 1 / Proposition 1 (equal LRs for A and B cannot be efficient) is the infeasibility
of the system with --tie-lr; the Init[2] Adam family (eta_A = n^(-1-s), eta_B = n^s) is what the equations alone
leave; the rsLoRA/muA disagreement (r^0 vs r^-1/4 at alpha ∝ r^-1/2) is asserted; the concrete LR factors follow
from the exponents (e.g. width x4 and rank x4 under Init[A], alpha constant: eta x 1/4).

Kind: paper table (hayou2024lora.csv primary; chen2026learning.csv, kalajdzievski2023rank.csv secondary); independent computation (the concrete factors from the exponents).
"""

import pytest

from scaling_exponents.theory.dimensions import get as dimension
from scaling_exponents.errors import SolverError, UserError
from scaling_exponents.literature import oracles
from scaling_exponents.systems import lora_plus
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.exponents import Q

ROWS = (list(oracles.load("hayou2024lora")) + list(oracles.load("chen2026learning"))
        + list(oracles.load("kalajdzievski2023rank")))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.param}-{r.optimizer}-{r.variant}-{r.role}-{r.quantity}-{r.dimension}")
def test_rows_equal_oracle(row):
    t = derive(row.param, row.optimizer or None, **row.variant_dict)
    assert t.solution.unique and t.solution.certified
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("init", ["a", "b"])
def test_lora_plus_ratio_is_width(optimizer, init):
    t = derive("lora-plus", optimizer, lora_init=init)
    assert t.power("lora_a", "lr", "width") == -1 and t.power("lora_b", "lr", "width") == 0
    assert t.combined_factor("lora_b", "lr_ratio_to_lora_a", {"width": (4096, 1024)}) == pytest.approx(4)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_equal_learning_rates_are_infeasible(optimizer):
    """Proposition 1 (SGD) and Theorem 1 (Adam): eta_A = eta_B cannot make delta1 and delta2 both Theta(1)."""
    with pytest.raises(SolverError, match="infeasible.*eta_A = eta_B"):
        derive("lora-plus", optimizer, lora_init="a", tie_lr="yes")


def test_adam_init2_family_needs_the_stated_selection():
    sol = lora_plus.build("adam", "b", select=False).solve()
    assert not sol.unique
    assert sol.free["lr[lora_b]@width"][0] == 0 and sol.free["lr[lora_a]@width"][1] == -1
    assert sol.free["lr_ratio_to_lora_a[lora_b]@width"][0] == 1  # ratio >= n on the whole family


def test_mua_corollary_formula():
    for gamma in ("0", "1/4", "1/2", "3/4", "1"):
        t = derive("lora-mua", lora_init="a", gamma=gamma)
        assert t.power("lora_a", "lr", "width") == Q("-1/2")
        assert t.power("lora_a", "lr", "rank") == -(1 - Q(gamma)) / 2
        assert t.power("lora_b", "lr", "rank") == t.power("lora_a", "lr", "rank")
        assert t.power("adapter", "multiplier", "rank") == -Q(gamma)
    assert derive("lora-mua", gamma="rslora").power("lora_a", "lr", "rank") == Q("-1/4")
    assert derive("lora-mua").variant["gamma"] == 1  # PEFT's default lora_alpha / r


def test_mua_concrete_factors():
    t = derive("lora-mua", lora_init="a", gamma="constant")
    sizes = {"width": (4096, 1024), "rank": (64, 16)}
    assert t.combined_factor("lora_a", "lr", sizes) == pytest.approx(0.25)
    vals = t.values(sizes, lr=1e-4)
    assert vals["lora_b"]["lr"]["value"] == pytest.approx(2.5e-5)
    tb = derive("lora-mua", lora_init="b", gamma="constant")
    assert tb.combined_factor("lora_a", "lr", sizes) == pytest.approx(0.25)  # n^-1, rank-invariant


def test_mua_init_b_beyond_constant_alpha_is_flagged():
    t = derive("lora-mua", lora_init="b", gamma="standard")
    assert t.power("lora_a", "lr", "rank") == Q("1/2")
    assert any("UNVERIFIED" in n for n in t.notes)
    assert not any("UNVERIFIED" in n for n in derive("lora-mua", lora_init="b", gamma="constant").notes)


def test_rslora_and_the_disagreement_with_mua():
    rs = derive("rslora")
    assert rs.power("adapter", "multiplier", "rank") == Q("-1/2")
    assert rs.power("lora_a", "lr", "rank") == 0
    mua = derive("lora-mua", lora_init="a", gamma="rslora")
    assert mua.power("adapter", "multiplier", "rank") == rs.power("adapter", "multiplier", "rank")
    assert mua.power("lora_a", "lr", "rank") - rs.power("lora_a", "lr", "rank") == Q("-1/4")


def test_rank_is_a_size_flag():
    assert (dimension("rank").symbol, dimension("rank").metavar) == ("r", "R")


@pytest.mark.parametrize("kwargs,match", [
    ({"gamma": "2"}, "--gamma .* must lie in \\[0, 1\\]"),
    ({"gamma": "-1/2"}, "--gamma"),
    ({"lora_init": "c"}, "--lora-init is 'a'"),
])
def test_bad_mua_options(kwargs, match):
    with pytest.raises(UserError, match=match):
        derive("lora-mua", **kwargs)


def test_bad_lora_plus_options():
    with pytest.raises(UserError, match="--tie-lr is yes or no"):
        derive("lora-plus", tie_lr="maybe")
    with pytest.raises(UserError, match="--lora-init is 'a'"):
        derive("lora-plus", lora_init="x")


@pytest.mark.parametrize("line,bad,fix", [
    ("derive -p lora-mua --rank 0 --base-rank 8", "--rank", "positive"),
    ("derive -p lora-mua --rank 64", "--rank", "go together"),
    ("derive -p lora-plus --rank 16 --base-rank 8", "rank", "its dimensions: width"),
    ("derive -p lora-mua --gamma abc", "'abc'", "'standard', 'rslora', 'constant'"),
    ("derive -p lora-plus --lora-init c", "'c'", "--lora-init is 'a'"),
])
def test_cli_bad_input(line, bad, fix, capsys):
    from scaling_exponents.cli import main

    rc = main(line.split())
    out, err = capsys.readouterr()
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, (rc, err)
    assert bad in err and fix in err, err


def test_cli_rank_sizes(capsys):
    from scaling_exponents.cli import main

    rc = main("derive -p lora-mua --lora-init a --gamma constant --rank 64 --base-rank 16 -f json".split())
    out, _ = capsys.readouterr()
    assert rc == 0 and '"lora_init": "a"' in out
    rc = main("derive -p lora-mua --gamma constant --width 4096 --base-width 1024 --rank 64 --base-rank 16 "
              "--lr 1e-4 -f json".split())
    import json

    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["values"]["lora_a"]["lr"]["value"] == pytest.approx(2.5e-5)
