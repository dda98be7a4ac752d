"""Depth family: CompleteP (arXiv 2505.01618), Depth-muP (TP6, arXiv 2310.02244; Bordelon et al., 2309.16620).

Every oracle row is compared with the DERIVED table; rows that are not compared are listed with the reason.

Where the expected values come from: **paper tables** (CompleteP Table 1, primary rows in dey2025dont.csv; TP6
claims) and the **authors' code** (nanoGPT-mup @3904404, status 'code'); rows with status 'derived' (lr x wd) are
**regression: the project's own output** (consistency checks).
"""

import pytest
import sympy

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.literature import oracles
from scaling_exponents.systems.depth import build_system, lr_depth_power
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.solve import solve

H = sympy.Rational(1, 2)
DEY, TP6, BORDELON = "dey2025dont", "yang2023tensor", "bordelon2023depthwise"


def completep(alpha):
    return derive("completep") if alpha == "1" else derive("completep", alpha=alpha)


def check(table, rows):
    assert rows
    for row in rows:
        got = table.power(row.role, row.quantity, row.dimension)
        assert got == row.exact, (row.source, row.role, row.quantity, row.dimension, got, row.power)


# -- the constraint system ---------------------------------------------------------------------------
def test_completep_alpha_is_derived_by_the_lp():
    sol = solve(build_system("adamw", "complete"), report=["alpha", "gamma"])
    assert sol.status == "optimal" and sol.certified and sol.unique
    assert (sol["alpha"], sol["gamma"]) == (1, 0)


def test_depth_mup_alpha_is_derived_by_the_lp():
    sol = solve(build_system("adam", "diversity"), report=["alpha", "gamma"])
    assert sol.certified and sol.unique and (sol["alpha"], sol["gamma"]) == (H, H)


def test_without_a_selection_rule_the_family_is_the_segment():
    # D1 + D2 alone (TP6 Claims 7.1-7.3): alpha in [1/2, 1], gamma = 1 - alpha -- reported, not resolved
    sol = solve(build_system("adamw", None), report=["alpha", "gamma"])
    assert not sol.unique
    assert sol.free == {"alpha": (H, 1), "gamma": (0, H)}


@pytest.mark.parametrize("alpha,label", [("0", "D1 stable at init"), ("1/4", "D1 stable at init"),
                                         ("3/2", "D2c faithful")])
def test_alpha_outside_the_family_names_the_violated_desideratum(alpha, label):
    with pytest.raises(UserError, match=label):
        derive("completep", alpha=alpha)


def test_derive_table_is_certified_unique():
    t = derive("completep")
    assert t.solution.certified and t.solution.unique
    assert t.derived["alpha"] == 1 and t.derived["gamma"] == 0


# -- CompleteP Table 1 (dey2025dont.csv) ----------------------------------------------------------------
DEY_ROWS = [r for r in oracles.load(DEY) if r.param == "completep" and r.status in ("primary", "code")]


def test_dey_oracle_is_covered():
    # 33 primary + 7 code rows per alpha (Table 1 column "alpha in {0.5, 1}"; nanoGPT-mup @3904404 eps groups)
    assert len(DEY_ROWS) == 80


@pytest.mark.parametrize("alpha", ["1", "1/2"])
def test_completep_equals_table1_entry_for_entry(alpha):
    check(completep(alpha), [r for r in DEY_ROWS if r.variant_dict["alpha"] == alpha])


@pytest.mark.parametrize("alpha", ["1", "1/2"])
def test_completep_lr_wd_product_consistency(alpha):
    # status 'derived' rows (lr x wd, not published values): a consistency check
    check(completep(alpha), oracles.select(DEY, param="completep", status="derived", variant=f"alpha={alpha}"))


def test_table1_mup_column_width_rows_equal_completep_width_rows():
    # CompleteP changes only depth exponents (Table 1: muP column vs alpha column).  Not compared: the muP
    # column's residual_branch depth 0 -- muP is alpha = 0, outside the depth family (D1 fails, tested above).
    rows = [r for r in oracles.select(DEY, param="mup", variant="dey2025_table1") if r.dimension == "width"]
    assert len(rows) == 10
    check(derive("completep"), rows)


def test_nanogpt_mup_path_eps_rows():
    # nanoGPT's muP path: eps rows agree with Table 1.  NOT compared: its hidden weight_decay width 0, which
    # DISAGREES with Table 1's muP column (lambda m_N); our table follows Table 1.
    rows = oracles.select(DEY, param="mup", variant="nanogpt_code")
    eps = [r for r in rows if r.quantity == "adam_eps"]
    assert len(eps) == 2
    check(derive("completep"), eps)
    wd = [r for r in rows if r.quantity == "weight_decay"]
    assert derive("completep").power("hidden", "weight_decay") != wd[0].exact


def test_worked_check_mN_mL_4():
    # papers/systems/dey2025dont.md worked check: m_N = m_L = 4
    t, sizes = derive("completep"), {"width": (1024, 256), "depth": (8, 2)}
    f = lambda role, q: t.combined_factor(role, q, sizes)
    assert f("residual_branch", "multiplier") == pytest.approx(0.25)
    assert f("hidden", "lr") == pytest.approx(0.25) and f("hidden_bias", "lr") == 1 and f("norm", "lr") == 1
    assert f("hidden", "adam_eps") == pytest.approx(1 / 16) and f("embedding", "adam_eps") == pytest.approx(1 / 4)
    assert f("hidden", "weight_decay") == pytest.approx(4) and f("hidden", "lr_wd_product") == pytest.approx(1)
    t = derive("completep", alpha="1/2")
    f = lambda role, q: t.combined_factor(role, q, sizes)
    assert f("residual_branch", "multiplier") == pytest.approx(0.5) and f("hidden", "lr") == pytest.approx(0.125)
    assert f("norm", "lr") == pytest.approx(0.5) and f("hidden", "adam_eps") == pytest.approx(0.125)


def test_completep_alpha_half_is_depth_mup_and_back():
    assert derive("completep", alpha="1/2").rows == derive("depth-mup").rows
    assert derive("depth-mup", alpha="1").rows == derive("completep").rows


def test_width_rows_come_from_tp5_table8():
    t, t8 = derive("completep"), derive("mup-table8", "adam")
    for role, src in (("embedding", "embedding"), ("hidden", "hidden"), ("readout", "readout"),
                      ("hidden_bias", "bias"), ("norm", "bias"), ("final_norm", "bias")):
        for q in ("multiplier", "init_std", "lr"):
            assert t.power(role, q) == t8.power(src, q)


# -- TP6 (yang2023tensor.csv) -----------------------------------------------------------------------
def tp6_table(optimizer, alpha):
    return derive("depth-mup", optimizer, style="tp6") if alpha == "1/2" else \
        derive("depth-mup", optimizer, style="tp6", alpha=alpha)


TP6_CELLS = [("adam", "1/2"), ("sgd", "1/2"), ("adam", "1"), ("sgd", "1")]


@pytest.mark.parametrize("optimizer,alpha", TP6_CELLS)
def test_tp6_rows(optimizer, alpha):
    rows = oracles.select(TP6, param="depth-mup", optimizer=optimizer, variant=f"alpha={alpha};style=tp6")
    t = tp6_table(optimizer, alpha)
    for row in rows:
        if row.quantity == "update_size":  # Claim 7.5: per-step update of W^l ∝ L^-gamma
            assert -t.derived["gamma"] == row.exact
        else:
            check(t, [row])


def test_tp6_oracle_is_covered():
    n = sum(len(oracles.select(TP6, optimizer=o, variant=f"alpha={a};style=tp6")) for o, a in TP6_CELLS)
    assert n == 21  # + the 2 alpha=0 rows below = all 23


def test_tp6_sp_alpha_zero_is_outside_the_family_but_follows_the_map():
    # TP6 Sec. 10.2 fn. 26: its "SP" is (alpha, gamma) = (0, 1): LR ∝ L^-1, no branch multiplier
    rows = {(r.role, r.quantity): r.exact for r in oracles.select(TP6, variant="alpha=0")}
    assert rows == {("hidden", "lr"): -1, ("residual_branch", "multiplier"): 0}
    assert lr_depth_power("adam", 0, 1) == -1
    with pytest.raises(UserError, match="D1 stable at init"):
        derive("depth-mup", "adam", alpha="0")


def test_tp6_worked_check_base_depth_8():
    # TP6 Sec. 10.2 uses base depth 8: L = 1024 -> branch and Adam LR x 1/sqrt(128); SGD LR unchanged
    sizes = {"depth": (1024, 8)}
    adam, sgd = derive("depth-mup", "adam"), derive("depth-mup", "sgd")
    assert adam.combined_factor("residual_branch", "multiplier", sizes) == pytest.approx(128 ** -0.5)
    assert adam.combined_factor("hidden", "lr", sizes) == pytest.approx(128 ** -0.5)
    assert sgd.combined_factor("hidden", "lr", sizes) == 1


def test_sgd_lr_depth_map_at_both_ends():
    # TP6 fn. 5: SGD in-block LR L^(alpha - gamma) = L^(2 alpha - 1)
    assert derive("depth-mup", "sgd").power("norm", "lr", "depth") == 0
    assert derive("depth-mup", "sgd", alpha="1").power("hidden", "lr", "depth") == 1


# -- Bordelon et al. (bordelon2023depthwise.csv) ------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_bordelon_rows(optimizer):
    # 1 primary row (abstract: branch 1/sqrt(depth)) + 1 derived LR row (UNVERIFIED in the paper) per optimizer
    rows = oracles.select(BORDELON, optimizer=optimizer)
    assert len(rows) == 2
    check(derive("depth-mup", optimizer), rows)


# -- command line ------------------------------------------------------------------------------------
def test_cli_headline(capsys):
    assert main(["derive", "--param", "completep"]) == 0
    out = capsys.readouterr().out
    assert "CompleteP" in out and "alpha: 1" in out and "residual_branch  L^-1" in out
    assert "n^-1 · L^-1" in out  # hidden adam eps, width before depth


def test_cli_alpha_and_sizes(capsys):
    assert main(["derive", "-p", "completep", "--alpha", "1/2", "--width", "1024", "--base-width", "256",
                 "--depth", "8", "--base-depth", "2"]) == 0
    out = capsys.readouterr().out
    assert "(x0.125)" in out and "alpha: 1/2" in out
    assert main(["derive", "-p", "completep", "--alpha", "2"]) == 2
    assert "D2c" in capsys.readouterr().err
