"""Tokens and batch as dimensions (systems/horizon.py): the AdamW timescale rule across D and B (arXiv 2405.13698 as
stated and verified in arXiv 2505.13738's abstract) and the LMO-bound minimisation (arXiv 2603.15958 method; bound
of Cutkosky & Mehta 2020 form, UNVERIFIED against the paper).  Oracle rows equal the derived tables."""

from functools import lru_cache

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.exponents import Q

ROWS = list(oracles.load("horizon_wang2024how")) + list(oracles.load("shulgin2026deriving"))


@lru_cache(maxsize=None)
def table(param):
    t = derive(param)
    assert t.solution.unique and t.solution.certified
    return t


def test_oracle_counts():
    assert (len(oracles.load("horizon_wang2024how")), len(oracles.load("shulgin2026deriving"))) == (3, 3)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.param}-{r.quantity}-{r.dimension}")
def test_rows_equal_oracle(row):
    assert table(row.param).power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


def test_timescale_is_constant_and_lambda_scales_as_b_over_d():
    t = table("adamw-timescale-horizon")
    assert all(t.power("any", "timescale_fraction", d) == 0 for d in ("tokens", "batch"))
    # 4x tokens at 2x batch: steps x2, lambda x 2/4
    sizes = {"tokens": (4, 1), "batch": (2, 1)}
    assert t.combined_factor("any", "steps", sizes) == pytest.approx(2)
    assert t.combined_factor("any", "weight_decay", sizes) == pytest.approx(0.5)


def test_lmo_bound_minimiser():
    t = table("lmo-bound")
    # at fixed tokens the minimised bound is flat in batch: eta and alpha grow linearly with B (no optimal B here)
    assert (t.power("any", "lr", "batch"), t.power("any", "one_minus_momentum", "batch"),
            t.power("any", "bound", "batch")) == (1, 1, 0)
    # the optimum balances the first three terms: every term exponent <= the bound exponent, three equal
    sol = t.solution.values
    for dim, (k, b) in (("tokens", (1, 0)), ("batch", (-1, 1))):
        e, a = sol[f"lr[any]@{dim}"], sol[f"one_minus_momentum[any]@{dim}"]
        terms = [-e - k, e - a, a / 2 - Q(b) / 2, -a - k - Q(b) / 2]
        assert max(terms) == sol[f"bound[any]@{dim}"] and sorted(terms)[1] == max(terms)
    # 16x tokens at fixed batch: eta x 16^(-3/4) = 1/8, 1 - beta x 1/4
    assert t.combined_factor("any", "lr", {"tokens": (16, 1)}) == pytest.approx(1 / 8)
    assert t.combined_factor("any", "one_minus_momentum", {"tokens": (16, 1)}) == pytest.approx(1 / 4)


def test_cli_tokens_and_batch(capsys):
    from scaling_exponents.cli import main

    args = ["derive", "--param", "lmo-bound", "--tokens", "16000", "--base-tokens", "1000", "--batch", "4",
            "--base-batch", "1", "--format", "json"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert '"tokens"' in out and '"batch"' in out
    assert main(args[:5] + ["--format", "json"]) == 2
    assert "--tokens and --base-tokens go together" in capsys.readouterr().err


def test_bad_option():
    with pytest.raises(UserError, match="lr-rule"):
        derive("adamw-timescale-horizon", lr_rule="mup")
