"""The cvxpy back end of the LP solve (:mod:`.solve`): the reference implementation that ``derive --solver cvxpy``
selects (:func:`.solver_choice.set_solver`), beside the default direct HiGHS model (:mod:`.highs_backend`).

Why a module of its own: :mod:`.solve` makes any LP answer exact and proves it whatever solved it; which code
solved it is a back end with one interface (``run(w)`` -> status, ``x``, ``ub_con``/``eq_con`` duals).
"""

from __future__ import annotations

from ..errors import SolverError

_SOLVER: list = []


def cvxpy_solver():
    """HiGHS (a simplex code, so answers are vertices) when installed, else cvxpy's default."""
    if not _SOLVER:
        import cvxpy as cp

        name = "HIGHS" if "HIGHS" in cp.installed_solvers() else None
        if name:
            _silence_highs_banner()
        _SOLVER.append(name)
    return _SOLVER[0]


def _silence_highs_banner():
    """HiGHS prints a copyright banner on stdout at its first instance; swallow it so JSON output stays clean."""
    from .highs_backend import silence_banner

    silence_banner()


class CvxpyProblem:
    """A cvxpy problem over one LP, with a parametrised objective and an optional optimal-face cut.

    ``lp`` is the :class:`.solve._LP` relaxation (its ``A_ub``/``b_ub``/``A_eq``/``b_eq`` matrices); ``ub_con`` and
    ``eq_con`` expose the constraints whose duals the exact certificate in :mod:`.solve` rounds.
    """

    def __init__(self, lp, face: bool = False):
        import cvxpy as cp
        import numpy as np

        self.lp = lp
        n = len(lp.names)
        self.x = cp.Variable(n)
        self.w = cp.Parameter(n)
        cons = []
        if len(lp.b_ub):
            cons.append(lp.A_ub @ self.x <= lp.b_ub)
        if len(lp.b_eq):
            cons.append(lp.A_eq @ self.x == lp.b_eq)
        self.ub_con = cons[0] if len(lp.b_ub) else None
        self.eq_con = cons[-1] if len(lp.b_eq) else None
        if face:
            self.face_w = cp.Parameter(n)
            self.face_t = cp.Parameter()
            cons.append(self.face_w @ self.x <= self.face_t)
        self.prob = cp.Problem(cp.Minimize(self.w @ self.x), cons)
        self._np = np

    def run(self, w):
        """Minimise ``w . x`` over the LP (and the face cut, if set); returns ``optimal``, ``infeasible``,
        ``unbounded`` or cvxpy's own status, and raises :class:`SolverError` with one line on numerical trouble."""
        self.w.value = w
        try:
            self.prob.solve(solver=cvxpy_solver())
        except Exception as e:  # cvxpy raises SolverError on numerical trouble
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            if "Solution(" in first:  # cvxpy's internal repr of a failed solve says nothing to a user
                first = "no valid solution (numerical trouble: are the exponents of a reasonable size?)"
            raise SolverError(f"LP solver failed: {first[:200]}") from e
        status = self.prob.status
        if status in ("optimal", "optimal_inaccurate"):
            return "optimal"
        if status in ("infeasible", "infeasible_inaccurate"):
            return "infeasible"
        if status in ("unbounded", "unbounded_inaccurate"):
            return "unbounded"
        return status
