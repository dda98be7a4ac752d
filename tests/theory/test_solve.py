"""The exact LP pipeline: rational answers, certificates, non-uniqueness, infeasibility, min/max terms.

Where the expected values come from: **independent computation by hand**: small LPs whose optimum, interval,
conflict or unboundedness is worked out in the comments.
"""

import pytest
import sympy

from scaling_exponents.errors import SolverError, UserError
from scaling_exponents.theory import solve as solve_mod
from scaling_exponents.theory.exponents import Q, fmt
from scaling_exponents.theory.system import ConstraintSystem
from scaling_exponents.theory.solve import solve


def test_q_parses_fractions_and_rejects_inexact_floats():
    assert Q("-1/2") == sympy.Rational(-1, 2)
    assert Q("0.25") == sympy.Rational(1, 4)
    assert Q(0.5) == sympy.Rational(1, 2)
    assert fmt(Q("2/4")) == "1/2" and fmt(-1) == "-1"
    with pytest.raises(UserError, match="not a short rational"):
        Q(0.1 + 0.2)
    with pytest.raises(UserError, match="cannot read exponent 'half'"):
        Q("half")


def test_unique_vertex_is_exact_and_certified():
    s = ConstraintSystem("toy")
    x, y = s.var("x"), s.var("y")
    s.ge(x, 0), s.ge(y, 0), s.le(x + 3 * y, 1)
    s.maximize(x + 4 * y)
    sol = solve(s)
    assert sol.status == "optimal" and sol.certified and sol.unique
    assert sol.values == {"x": 0, "y": sympy.Rational(1, 3)}
    assert isinstance(sol.values["y"], sympy.Rational)
    assert sol.objective == sympy.Rational(4, 3)


def test_non_unique_optimum_reports_the_interval():
    s = ConstraintSystem("face")
    x, y = s.var("x"), s.var("y")
    s.ge(x, 0), s.ge(y, 0), s.le(x + y, 1)
    s.maximize(x + y)
    sol = solve(s)
    assert not sol.unique
    assert sol.free == {"x": (0, 1), "y": (0, 1)}
    assert "NON-UNIQUE" in sol.summary()


def test_infeasible_system_reports_an_irreducible_conflict():
    s = ConstraintSystem("bad")
    x, y, z = s.var("x"), s.var("y"), s.var("z")
    s.ge(x, 1, label="x >= 1")
    s.ge(y, 0, label="y >= 0 (irrelevant)")
    s.le(x + z, 0, label="x + z <= 0")
    s.ge(z, 0, label="z >= 0")
    sol = solve(s)
    assert sol.status == "infeasible"
    assert sorted(sol.conflict) == ["x + z <= 0", "x >= 1", "z >= 0"]
    with pytest.raises(SolverError, match="x >= 1"):
        sol.raise_for_status()


def test_unbounded_is_reported():
    s = ConstraintSystem("open")
    x = s.var("x")
    s.le(x, 3)
    s.minimize(x)
    assert solve(s).status == "unbounded"


def test_min_definition_epigraph_and_equality_pin():
    # r = min(c, 1 - c) pinned to 0 is not monotone: the relaxation alone could leave r below the min.
    s = ConstraintSystem("pin")
    c = s.var("c")
    r = s.min_of("r", [c, 1 - c])
    s.eq(r, 0)
    s.ge(c, -5)
    s.maximize(c)
    sol = solve(s)
    assert sol.values["c"] == 1 and sol.values["r"] == 0


def test_solution_that_fails_the_exact_check_is_an_error(monkeypatch):
    s = ConstraintSystem("perturbed")
    x = s.var("x")
    s.ge(x, sympy.Rational(1, 3))
    s.minimize(x)
    monkeypatch.setattr(solve_mod, "_rational", lambda v: sympy.Rational(33, 100))  # a wrong rounding
    with pytest.raises(SolverError, match="fails the exact re-check|no choice"):
        solve(s)


def test_fixed_value_and_describe():
    s = ConstraintSystem("fixed", source="here")
    a = s.var("a", fixed="1/2")
    b = s.var("b")
    s.eq(a + b, 0, label="a + b = 0", source="Eq. 1")
    sol = solve(s)
    assert sol.values["b"] == sympy.Rational(-1, 2)
    text = s.describe()
    assert "a = 1/2" in text and "a + b = 0" in text and "Eq. 1" in text


def test_relaxation_unbounded_but_exact_problem_bounded():
    # min(x, z) == 0 means "x = 0 or z = 0"; with |x - z| <= 1 the exact problem is bounded (x + z <= 1) while
    # the epigraph relaxation only keeps x, z >= 0 and runs off to infinity.
    s = ConstraintSystem("pinned-min")
    x, z, y = s.var("x"), s.var("z"), s.var("y")
    s.eq(s.min_of("d", [x, z]), 0)
    s.le(x - z, 1), s.le(z - x, 1)
    s.ge(y, -x - z)
    s.minimize(y)
    sol = solve(s, report=["x", "z", "y"])
    assert sol.status == "optimal" and sol.objective == -1
    assert any("enumeration" in n for n in sol.notes)
    assert sol.free == {"x": (0, 1), "z": (0, 1)}
