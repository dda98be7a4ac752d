"""SμPar (arXiv 2405.15743) and AM-muP (arXiv 2510.04327).

Expected values: the oracle rows (papers/oracles/dey2024sparse.csv: muP in the effective width rho*n, read in a
review of the paper; zhang2025arithmetic.csv: the abstract's eta* ∝ L^-3/2 and Var = c/(K fan-in)) equal the
derived tables; SμPar at density 1 is TP5 Table 3's muP (its width rows are mup-table3's, Adam); halving the density
doubles the hidden Adam LR; AM-muP's LR at 4x depth is 1/8 of the base.

Kind: paper table (dey2024sparse.csv secondary, zhang2025arithmetic.csv abstract); independent computation (density and depth factors by hand).
"""

import pytest

from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.exponents import Q

ROWS = list(oracles.load("dey2024sparse")) + list(oracles.load("zhang2025arithmetic"))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.param}-{r.role}-{r.quantity}-{r.dimension}")
def test_rows_equal_oracle(row):
    t = derive(row.param, row.optimizer or None)
    assert t.solution.unique and t.solution.certified
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


def test_supar_width_rows_are_mup_table3():
    mup, sp = derive("mup-table3", "adam"), derive("supar")
    for role in ("embedding", "hidden", "readout"):
        for q in ("init_std", "lr"):
            assert sp.power(role, q, "width") == mup.power(role, q, "width"), (role, q)
            # the sparse hidden layer takes its width exponent along density; the dense layers do not depend on rho
            assert sp.power(role, q, "density") == (mup.power(role, q, "width") if role == "hidden" else 0)
    assert sp.combined_factor("hidden", "lr", {"density": (1, 2)}) == pytest.approx(2)
    assert sp.combined_factor("hidden", "init_std", {"density": (1, 4), "width": (1, 1)}) == pytest.approx(2)


def test_am_mup_depth_law():
    t = derive("am-mup")
    assert t.power("global", "lr", "depth") == Q("-3/2")
    assert t.combined_factor("global", "lr", {"depth": (48, 12)}) == pytest.approx(1 / 8)
    assert t.power("residual_branch", "init_std", "depth") == Q("-1/2")
    # the abstract states no width LR: the table has no such row rather than a guessed one
    assert all(not (r.quantity == "lr" and r.dimension == "width") for r in t.rows)


def test_multipath_depth_law_matches_am_mup():
    mp, am = derive("multipath-depth"), derive("am-mup")
    row = oracles.load("zhang2026hyperparameter")[0]
    assert mp.power("global", "lr", "depth") == row.exact == am.power("global", "lr", "depth")
    assert mp.source.arxiv == "2602.07494" and not [r for r in mp.rows if r.quantity == "init_std"]
