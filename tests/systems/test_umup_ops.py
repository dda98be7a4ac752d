"""u-muP per-op scales and residual tau (systems/umup_ops.py): every code row of unit-scaling 0.3.5 equals the
derived table, and the op table agrees with the abc 'umup' table where they overlap.

Expected values come from the oracle papers/oracles/umup_ops_blake2024umup.csv, whose rows are read from the code of
graphcore-research/unit-scaling v0.3.5 (unit_scaling/functional.py ``linear``, constraints.py; each row names its
file). The agreement with the abc 'umup' table is an internal consistency check between two derived tables (no
external value).

Kind: external library (unit-scaling 0.3.5 code rows); independent computation (the agreement of two derived tables).
"""

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive

ROWS = oracles.load("umup_ops_blake2024umup")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.variant}-{r.role}-{r.quantity}-{r.dimension}")
def test_rows_equal_code(row):
    t = derive("umup-ops", **row.variant_dict)
    assert t.solution.unique and t.solution.certified
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


def test_agrees_with_umup_abc_table():
    ops, abc = derive("umup-ops"), derive("umup", "adam")
    # forward scale of a hidden matmul = the abc multiplier A_W; tau-weighted branch = the residual multiplier
    assert ops.power("hidden", "forward_scale", "fan_in") == abc.power("hidden", "multiplier", "fan_in")
    assert ops.power("readout", "forward_scale", "fan_in") == abc.power("readout", "multiplier", "fan_in") == -1
    assert ops.power("residual_branch", "multiplier", "depth") == abc.power("residual_branch", "multiplier", "depth")
    assert ops.power("residual_skip", "multiplier", "depth") == 0


def test_bad_constraint():
    with pytest.raises(UserError, match="constraint"):
        derive("umup-ops", constraint="to_grad_input_scale")
