"""Everett et al. (arXiv 2407.05872): every derived table entry equals its oracle in papers/oracles.

Where the expected values come from: the LR, multiplier and init rows are the **paper's Table 1** (transcribed in
papers/oracles/everett2024scaling.csv, cross-checked with maxP/paramR code); the T1-T6 cases are from the maxP
repository's docs and tests (an **external implementation**).  The 24 Adam-epsilon rows are **regression: the
project's own output** -- the paper's per-layer epsilon numbers were not found (UNVERIFIED), the rows were computed
with the same formula as the system, so ``test_adam_eps_rows_regression_own_output`` only guards against change.
"""

import pytest
import sympy

from scaling_exponents.literature import oracles
from scaling_exponents.systems.everett2024 import build_system, derive_custom
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.solve import solve

H = sympy.Rational(1, 2)
ORACLE = "everett2024scaling"
CELLS = sorted({(r.param, r.optimizer, r.alignment) for r in oracles.load(ORACLE) if r.optimizer})


def test_oracle_covers_the_whole_table():
    # 4 parametrizations x 3 optimizers x 2 alignments (Everett et al. Table 1)
    assert len(CELLS) == 24


@pytest.mark.parametrize("param,optimizer,alignment", CELLS)
def test_derived_lr_equal_oracle(param, optimizer, alignment):
    """Paper Table 1: per-layer LR exponents."""
    table = derive(param, optimizer, alignment)
    assert table.solution.certified and table.solution.unique
    rows = [r for r in oracles.select(ORACLE, param=param, optimizer=optimizer, alignment=alignment)
            if r.quantity != "adam_eps"]
    assert rows and {r.quantity for r in rows} == {"lr"}
    for row in rows:
        assert table.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.role, row.quantity)


@pytest.mark.parametrize("param,alignment", sorted({(p, a) for p, o, a in CELLS if o == "adam"}))
def test_adam_eps_rows_regression_own_output(param, alignment):
    """REGRESSION: the project's own output (eps_l ~ n^-g_l, same formula as the system); not the paper's numbers."""
    table = derive(param, "adam", alignment)
    rows = oracles.select(ORACLE, param=param, optimizer="adam", alignment=alignment, quantity="adam_eps")
    assert len(rows) == 3 and all(r.note.startswith("REGRESSION") for r in rows)
    for row in rows:
        assert table.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.role, row.quantity)


@pytest.mark.parametrize("param", ["sp", "ntk", "mup", "mfp"])
def test_multiplier_and_init_equal_oracle(param):
    table = derive(param, "adam", "full")
    rows = oracles.select(ORACLE, param=param, optimizer="")
    assert {r.quantity for r in rows} == {"multiplier", "init_std"}
    for row in rows:
        assert table.power(row.role, row.quantity) == row.exact


@pytest.mark.parametrize("layers", [1, 3, 5])
def test_table_does_not_depend_on_depth(layers):
    assert derive("mup", "adam", "full", layers=layers).rows == derive("mup", "adam", "full").rows


def lr_exponents(a, b, optimizer, alignment, **kw):
    t = derive_custom(a, b, optimizer, alignment, **kw)
    return [t.derived["c"][f"c_{l + 1}"] for l in range(len(a))]


def test_T1_mup_chain_depths():
    # theory notes T1 (maxP docs/verify.md, equals TP5 Table 9)
    assert lr_exponents([-H, 0, 0, H], [H] * 4, "adam", "full") == [H, 1, 1, H]
    assert lr_exponents([-H, H], [H, H], "adam", "full") == [H, H]


def test_T4_nonuniform_alignment():
    # maxP docs/verify.md Sec. 8: per-layer measured alignments (alpha, omega, u)
    al = [(1, H, 1), ("0.8", "0.3", "0.6"), (1, H, 1), (H, "0.2", "0.3"), (1, H, 1)]
    t = derive_custom([-H, 0, 0, 0, H], [H] * 5, "adam", al)
    assert [t.derived["c"][f"c_{l}"] for l in range(1, 6)] == [H, sympy.Rational(4, 5), 1, H, H]
    assert t.solution.unique


def test_T5_adafactor_clamp():
    # maxP tests/test_adafactor_solver.py: with measured alignments the optimum is c = 0 everywhere
    al = [(H, H, H), ("0.3", "0.4", "0.3"), (H, "0.6", "1.1")]
    assert lr_exponents([-H, 0, H], [H] * 3, "adafactor", al) == [0, 0, 0]


def test_T6b_tp4_readout_omega_recovers_tp4_table1():
    # omega_{L+1} = 1 is TP4's logit condition; SGD then gives TP4's maximal stable LRs
    ab = {"sp": ([0, 0, 0, 0], [0, H, H, H]), "ntk": ([0, H, H, H], [0, 0, 0, 0]),
          "mup": ([-H, 0, 0, H], [H, H, H, H]), "mfp": ([0, H, H, 1], [0, 0, 0, 0])}
    want = {"sp": [0, 1, 1, 1], "ntk": [0, 0, 0, 0], "mup": [0, 0, 0, 0], "mfp": [-1, -1, -1, -1]}
    for name, (a, b) in ab.items():
        assert lr_exponents(a, b, "sgd", "full", readout_omega=1) == want[name], name


def test_zero_hidden_layers_sgd_no_alignment_is_reported_non_unique():
    t = derive_custom([-H, H], [H, H], "sgd", "no")
    assert not t.solution.unique
    assert t.solution.free["c_1"] == (0, H)
    assert any("NON-UNIQUE" in n for n in t.notes)


def test_unstable_init_is_infeasible_with_the_reason():
    s = build_system([0, 0, 0], [0, 0, H], "adam", "full")
    sol = solve(s)
    assert sol.status == "infeasible"
    assert any("a_2 + b_2 = 1/2" in c for c in sol.conflict)
