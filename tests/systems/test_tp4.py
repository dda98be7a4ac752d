"""Tensor Programs IV (arXiv 2011.14522): r, regimes, Table 1, and LP vs closed-form classification.

Where the expected values come from: **paper table**: TP4 (arXiv 2011.14522) Table 1 and its r formula
(tp4_yang2020feature.csv); the property test compares the LP with TP4's **closed-form** classification (an
independent computation).
"""

import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive
from scaling_exponents.systems.tp4 import classify_lp
from scaling_exponents.theory.classify import classify, tp4_r

H = sympy.Rational(1, 2)
ORACLE = "tp4_yang2020feature"
REGIME = {"stable-nontrivial-kernel": "kernel", "stable-nontrivial-feature-learning": "feature-learning",
          "unstable": "unstable"}


@pytest.mark.parametrize("param,oracle_param", [("tp4-sp", "sp"), ("tp4-ntk", "ntk"), ("tp4-mfp", "mfp"),
                                                ("tp4-mup", "mup"), ("tp4-sp-default", "sp-default")])
def test_named_points_match_table1(param, oracle_param):
    table = derive(param)
    L = table.variant["L"]
    rows = [r for r in oracles.select(ORACLE, param=oracle_param)
            if r.variant_dict.get("L", str(L)) == str(L)]
    assert rows
    for row in rows:
        if row.quantity == "regime":
            assert table.derived["regime"] == REGIME[row.power], row
        elif row.role == "global":
            assert table.derived[{"r": "r", "c": None}.get(row.quantity, row.quantity) or "r"] == row.exact \
                if row.quantity != "c" else -table.power("hidden" if L > 1 else "readout", "lr") == row.exact
        else:
            assert table.power(row.role, row.quantity) == row.exact, row


def test_mup_is_derived_uniquely():
    t = derive("tp4-mup", layers=3)
    assert t.solution.unique
    assert [t.power(r, "multiplier") for r in ("embedding", "hidden", "readout")] == [H, 0, -H]
    assert [t.power(r, "init_std") for r in ("embedding", "hidden", "readout")] == [-H, -H, -H]


def test_r_formula_single_layer_special_case():
    # SP with L = 1 has no hidden layer: r = 3/2, not Table 1's 1/2 (which needs L >= 2)
    assert tp4_r([0, 0], [0, H], 1) == sympy.Rational(3, 2)
    assert tp4_r([0, 0, 0], [0, H, H], 1) == H


def test_sp_default_is_unstable_and_says_why():
    cl = classify([0, 0, 0], [0, H, H], 0)
    assert cl.regime == "unstable"
    assert any("2 a_3 + c >= 1" in f for f in cl.failed)


def test_named_points_classify_with_the_lp_too():
    pts = [([0, 0, 0], [0, H, H], 1), ([0, H, H], [0, 0, 0], 0), ([0, 1], [0, 0], -1), ([-H, 0, H], [H, H, H], 0),
           ([0, 0, 0], [0, H, H], 0)]
    assert [c.regime for c in classify_lp(pts)] == ["kernel", "kernel", "feature-learning", "feature-learning",
                                                     "unstable"]


EXP = st.integers(-6, 6).map(lambda k: sympy.Rational(k, 4))


@st.composite
def abc_points(draw):
    L = draw(st.integers(1, 3))
    a = [draw(EXP) for _ in range(L + 1)]
    # mostly respect the init conditions so that every regime is reached, sometimes break them
    b = [-a[0] if draw(st.booleans()) or draw(st.booleans()) else draw(EXP)]
    b += [H - a[l] if draw(st.integers(0, 5)) else draw(EXP) for l in range(1, L)]
    b += [draw(st.sampled_from([H, 1, sympy.Rational(3, 4), 0])) - a[L]]
    c = draw(st.sampled_from([1 - 2 * a[L], draw(EXP)]))
    return a, b, c


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.large_base_example, HealthCheck.data_too_large, HealthCheck.too_slow])
@given(st.lists(abc_points(), min_size=400, max_size=400))
def test_lp_classification_agrees_with_closed_form(points):
    """Property: on random abc points (thousands over the run) the LP and TP4's formulas agree."""
    lp = classify_lp(points)
    for (a, b, c), got in zip(points, lp):
        want = classify(a, b, c)
        assert (got.regime, got.r) == (want.regime, want.r), (a, b, c)
