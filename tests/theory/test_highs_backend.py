"""The two LP back ends (direct HiGHS and cvxpy) answer the same small LPs the same way.

Kind: independent computation -- min x + 2y s.t. x + y >= 3, x >= 1, y >= 1 has its optimum at (2, 1), value 4,
with dual 1 on x + y >= 3 and 1 on y >= 1 (by hand: the gradient (1, 2) = 1*(1, 1) + 1*(0, 1)); x >= 1, x <= 0 is
infeasible; min -x with x >= 0 alone is unbounded.
"""

import numpy as np
import pytest

from scaling_exponents.theory.cvxpy_backend import CvxpyProblem
from scaling_exponents.theory.highs_backend import HighsProblem, highs_available
from scaling_exponents.theory.solve import _LP, _items
from scaling_exponents.theory.system import ConstraintSystem

BACKENDS = [CvxpyProblem] + ([HighsProblem] if highs_available() else [])


def lp(*rows):
    s = ConstraintSystem("toy")
    x, y = s.var("x"), s.var("y")
    for build in rows:
        build(s, x, y)
    return _LP(s, _items(s))


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
def test_optimum_point_value_and_duals(backend):
    p = backend(lp(lambda s, x, y: s.ge(x + y, 3), lambda s, x, y: s.ge(x, 1), lambda s, x, y: s.ge(y, 1)))
    assert p.run(np.array([1.0, 2.0])) == "optimal"
    assert np.asarray(p.x.value) == pytest.approx([2.0, 1.0], abs=1e-7)
    assert float(p.prob.value) == pytest.approx(4.0, abs=1e-7)
    assert np.asarray(p.ub_con.dual_value) == pytest.approx([1.0, 0.0, 1.0], abs=1e-7)


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
def test_infeasible_and_unbounded(backend):
    assert backend(lp(lambda s, x, y: s.ge(x, 1), lambda s, x, y: s.le(x, 0))).run(np.zeros(2)) == "infeasible"
    assert backend(lp(lambda s, x, y: s.ge(x, 0), lambda s, x, y: s.eq(y, 0))).run(np.array([-1.0, 0.0])) \
        == "unbounded"


def test_highs_is_installed_here():
    assert highs_available()  # highspy is a core dependency (pyproject.toml): the default back end
