"""MoE details (arXiv 2601.20205, arXiv 2508.09752): granularity as a dimension, Adam eps, router init.

Where the expected values come from: ``moe_granularity_jiang2026hyperparameter.csv`` -- 11 rows along granularity G,
'derived' (computed from the paper's Table 1 / v3 Table 2 exponents along alpha_ffn ∝ G^-1, n_exp ∝ G, the direction
of its Fig. 5 / App. D.3).  The consistency tests compare with ``moe-completep`` and its own oracle
(``jiang2026hyperparameter.csv``, secondary rows from two transcriptions of Table 1 and one of Table 2).

Kind: paper table (jiang2026hyperparameter.csv, secondary transcriptions of Tables 1-2); independent computation (the granularity rows worked out from them).
"""

import contextlib
import io
from functools import lru_cache

import pytest
import sympy

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.literature import oracles
from scaling_exponents.systems.moe_details import NO_RULE, build_granularity, grad_entry_exponent
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.solve import solve

ROWS = oracles.load("moe_granularity_jiang2026hyperparameter")
JIANG = oracles.load("jiang2026hyperparameter")


@lru_cache(maxsize=None)
def table(param="moe-granularity", **opts):
    return derive(param, "adam", **opts)


def test_oracle_counts_and_statuses():
    assert len(ROWS) == 11 and {r.dimension for r in ROWS} == {"granularity"}
    assert all(r.status == "derived" for r in ROWS)
    assert all("VERIFIED-2nd" in r.note and "jiang_moe.py" in r.source for r in ROWS if r.quantity == "adam_eps")
    assert all("Fig. 5" in r.source for r in ROWS if r.quantity != "adam_eps")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.role}-{r.quantity}-{r.dimension}")
def test_rows_equal_oracle(row):
    t = table(gamma=row.variant_dict["gamma"])
    assert t.solution.unique and t.solution.certified
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


def test_granularity_is_minus_ffn_ratio_plus_experts_of_the_published_tables():
    # Table 1 / Table 2 oracle exponents of moe-completep, composed along alpha_ffn ∝ G^-1, n_exp ∝ G
    pub = {(r.role, r.quantity, r.dimension): r.exact for r in JIANG if r.variant == "gamma=1"}
    t, checked = table(), 0
    for (role, q, dim), _ in pub.items():
        if dim != "experts":
            continue
        ffn = pub.get((role, q, "ffn_ratio"), sympy.Integer(0))
        assert t.power(role, q, "granularity") == -ffn + pub[(role, q, "experts")], (role, q)
        checked += 1
    assert checked >= 9  # lr, init_std and adam_eps of the trained groups, bias lr, output multiplier


def test_g_view_replaces_ffn_ratio_and_experts_and_keeps_width_and_depth():
    g, c = table(), table("moe-completep")
    assert set(g.dimensions) == {"width", "granularity", "depth"}
    for role in ("router", "expert_up", "expert_down"):
        for q in ("lr", "init_std", "adam_eps"):
            for dim in ("width", "depth"):
                assert g.power(role, q, dim) == c.power(role, q, dim), (role, q, dim)
            assert g.power(role, q, "granularity") == c.power(role, q, "experts") - c.power(role, q, "ffn_ratio")
    assert g.power("residual_branch", "multiplier", "depth") == -1


def test_granularity_worked_example_and_cli():
    # G = 1 -> 4 at fixed n_embd and depth: n_hid / 4, n_exp x4, n_act x4 (kappa fixed)
    t, sizes = table(), {"granularity": (4, 1)}
    want = {("expert_down", "lr"): 4, ("expert_down", "init_std"): 4, ("expert_up", "lr"): 1,
            ("router", "lr"): 1, ("moe_output", "multiplier"): 1 / 4,
            ("expert_up", "adam_eps"): 4, ("expert_down", "adam_eps"): 16, ("router", "adam_eps"): 1}
    for (role, q), f in want.items():
        assert t.combined_factor(role, q, sizes) == pytest.approx(f), (role, q)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["derive", "-p", "moe-granularity", "--width", "256", "--base-width", "256", "--depth", "12",
                     "--base-depth", "12", "--granularity", "4", "--base-granularity", "1", "--lr", "0.01",
                     "--format", "json"]) == 0
    import json

    values = json.loads(buf.getvalue())["values"]
    assert values["expert_down"]["lr"]["value"] == pytest.approx(0.04)
    assert values["router"]["lr"]["value"] == pytest.approx(0.01)


@pytest.mark.parametrize("argv, word", [
    (["derive", "-p", "moe-completep", "--granularity", "4", "--base-granularity", "1"], "granularity"),
    (["derive", "-p", "moe-granularity", "--experts", "8", "--base-experts", "4"], "experts"),
])
def test_granularity_and_experts_cannot_be_mixed(argv, word, capsys):
    # moe-completep has no G axis; moe-granularity has no separate n_exp axis (G already moves n_exp): exit 2
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"no rule for {word}" in err


def test_table2_eps_disagrees_with_the_gradient_count():
    # recorded disagreement (module doc): the MoE mean's 1/n_act is in every expert group's gradient, and
    # dL/dW_down has no alpha_ffn factor; Table 2 (as transcribed) has neither
    c = table("moe-completep")
    for role in ("router", "expert_up", "expert_down"):
        assert c.power(role, "adam_eps", "experts") == 0 and grad_entry_exponent(role, "experts") == -1
    assert c.power("expert_down", "adam_eps", "ffn_ratio") == -2
    assert grad_entry_exponent("expert_down", "ffn_ratio") == 0
    assert c.power("expert_up", "adam_eps", "ffn_ratio") == -1 == grad_entry_exponent("expert_up", "ffn_ratio")
    g = table()
    down = (g.power("expert_down", "adam_eps", "granularity"), grad_entry_exponent("expert_down", "granularity"))
    assert down == (2, -1)
    assert (g.power("expert_up", "adam_eps", "granularity"), grad_entry_exponent("expert_up", "granularity")) == (1, 0)
    assert grad_entry_exponent("router", "width") is None


def test_router_init_gamma_bounded_below_by_one_half_or_zero_init():
    assert table(gamma="1/2").power("router", "init_std", "width") == -sympy.Rational(1, 2)
    assert table(gamma="1/2").power("router", "init_std", "granularity") == 0
    assert solve(build_granularity("1/4").system).status == "infeasible"
    z = table(gamma="inf")
    assert not [r for r in z.rows if (r.role, r.quantity) == ("router", "init_std")]
    with pytest.raises(UserError):
        derive("moe-granularity", "adam", gamma="one")


def test_every_constraint_cites_its_source():
    for c in build_granularity().system.constraints:
        assert "arXiv 2601.20205" in c.source, c.label
        if "eps" in c.label:
            assert "VERIFIED-2nd" in c.source and "jiang_moe.py" in c.source


def test_no_rule_entries_name_bibliography_keys_and_say_why():
    bib = (oracles.PAPERS_DIR / "references.bib").read_text(encoding="utf-8")
    for (key, what), reason in NO_RULE.items():
        assert "{" + key + "," in bib, key
        assert len(reason) > 40, what
    assert "no derivable rule" in NO_RULE[("malasnicki2025mu", "granularity")]
    assert "simpleP" in NO_RULE[("malasnicki2025mu", "granularity")]
    assert "UNVERIFIED" in NO_RULE[("malasnicki2025mu", "router_init")]
    assert "Fig. 5" in NO_RULE[("jiang2026hyperparameter", "granularity")]
