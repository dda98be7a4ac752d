"""The two back ends of Everett et al.'s fast LP (:class:`~.everett2024_fast.EverettLP`, arXiv 2407.05872 Sec. 3)
and its exact optimality certificate.

Each function takes the LP object (structure: ``A_full``, ``eq_full``, ``obj1``/``obj2``, row bounds from
``lp._full_rhs``) and keeps its compiled model on ``lp._model`` between calls: HiGHS (``highspy``, warm-started
dual simplex) or a parameterised cvxpy problem.  :func:`certify` proves a fast optimum in exact arithmetic from
the HiGHS row duals (LP duality), off the hot path.  Split from the LP's structure to keep each module small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import UserError


@dataclass
class FastResult:
    """One fast solve: solver status, per-layer ``c`` and ``r``, ``sum c``, and (infeasible) the conflicting rows."""

    status: str  # "optimal" | "infeasible" | "unbounded" | other solver status
    c: np.ndarray | None = None
    r: np.ndarray | None = None
    objective: float | None = None
    conflict: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the solve reached an optimum."""
        return self.status == "optimal"


def result(lp, x) -> FastResult:
    """An optimal :class:`FastResult` from a primal point ``x`` (``c_1..c_n``, then ``r_1..r_{n-1}``)."""
    n = lp.n
    return FastResult("optimal", c=x[:n].copy(), r=x[n:2 * n - 1].copy(), objective=float(x[:n].sum()))


def run_highs(lp, rhs, active, bound) -> FastResult:
    """One solve of ``lp`` (an :class:`~.everett2024_fast.EverettLP`) with HiGHS: the model is built once and kept
    on ``lp._model``; later calls change only row bounds (and the cost between stages), so the dual simplex
    restarts from the previous optimal basis."""
    import highspy

    h = lp._model
    if h is None:
        from ..theory.highs_backend import _quiet_highs

        _quiet_highs()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")  # keep the basis between re-solves (warm start)
        A = lp.A_full
        nv, m = A.shape[1], A.shape[0]
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = nv, m
        model.col_cost_ = lp.obj1
        model.col_lower_ = np.full(nv, -highspy.kHighsInf)
        model.col_upper_ = np.full(nv, highspy.kHighsInf)
        model.row_lower_ = np.zeros(m)
        model.row_upper_ = np.zeros(m)
        cols = [np.flatnonzero(A[:, j]) for j in range(nv)]
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = np.concatenate([[0], np.cumsum([len(ix) for ix in cols])]).astype(np.int32)
        model.a_matrix_.index_ = np.concatenate(cols).astype(np.int32)
        model.a_matrix_.value_ = np.concatenate([A[ix, j] for j, ix in enumerate(cols)])
        h.passModel(model)
        lp._model = h
        lp._stage = 1
    lo, hi = lp._full_rhs(rhs, active, bound)
    inf = highspy.kHighsInf
    lo, hi = np.where(np.isinf(lo), -inf, lo), np.where(np.isinf(hi), inf, hi)
    stage = 1 if bound is None else 2
    if stage != lp._stage:
        cost = lp.obj1 if stage == 1 else lp.obj2
        h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
        lp._stage = stage
    h.changeRowsBounds(len(lo), np.arange(len(lo), dtype=np.int32), lo, hi)
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kOptimal:
        x = np.asarray(h.getSolution().col_value)
        return result(lp, x)
    if st == highspy.HighsModelStatus.kInfeasible:
        return FastResult("infeasible")
    if st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        # HiGHS may not separate the two without presolve; the LP is feasible iff the zero objective is
        return FastResult("unbounded" if feasible_cold(lp, rhs, active) else "infeasible")
    return FastResult(h.modelStatusToString(st))


def feasible_cold(lp, rhs, active) -> bool:
    """Whether the active rows are feasible (a cold scipy/HiGHS solve with a zero objective): separates
    unbounded from infeasible when HiGHS without presolve cannot."""
    from scipy.optimize import linprog

    A, lo, eq = lp.A[active], rhs[active], lp.eq[active]
    res = linprog(np.zeros(lp.A.shape[1]), A_ub=-A[~eq] if (~eq).any() else None,
                  b_ub=-lo[~eq] if (~eq).any() else None, A_eq=A[eq] if eq.any() else None,
                  b_eq=lo[eq] if eq.any() else None, bounds=(None, None), method="highs")
    return res.status == 0


def run_cvxpy(lp, rhs, active, bound) -> FastResult:
    """One solve of ``lp`` with a parameterised cvxpy problem (DPP), compiled on the first call; switched-off rows
    are relaxed by a large bound instead of being removed."""
    import cvxpy as cp

    if lp._model is None:
        A, eq = lp.A_full, lp.eq_full
        x = cp.Variable(A.shape[1])
        p = cp.Parameter(A.shape[0])
        big = cp.Parameter(A.shape[0], nonneg=True)  # relaxes rows that are switched off
        cons = [A[~eq] @ x >= p[~eq] - big[~eq]]
        if eq.any():
            cons += [A[eq] @ x <= p[eq] + big[eq], A[eq] @ x >= p[eq] - big[eq]]
        w = cp.Parameter(A.shape[1])
        prob = cp.Problem(cp.Minimize(w @ x), cons)
        lp._model = (prob, x, p, big, w)
    prob, x, p, big, w = lp._model
    lo, _ = lp._full_rhs(rhs, active, bound)
    off = np.isinf(lo)
    p.value = np.where(off, 0.0, lo)
    big.value = np.where(off, 1e6, 0.0)
    w.value = lp.obj1 if bound is None else lp.obj2
    from ..theory.solve import _solver

    with np.errstate(invalid="ignore"):  # cvxpy's bound propagation meets the switched-off rows' inf
        prob.solve(solver=_solver())
    if prob.status in ("optimal", "optimal_inaccurate"):
        return result(lp, np.asarray(x.value))
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return FastResult("infeasible")
    if prob.status in ("unbounded", "unbounded_inaccurate"):
        return FastResult("unbounded")
    return FastResult(str(prob.status))

# -- exact check (off the hot path) -----------------------------------------------------------------
def certify(lp, alignment) -> dict:
    """Solve for rational ``alignment`` and prove the optimum in exact arithmetic (LP duality).

    The HiGHS row duals of the sum-c LP and the fast path's (tie-broken) point are rounded to rationals; the
    certificate holds when the dual is feasible (``A^T y = objective``, ``y >= 0`` on inequality rows) and
    its objective equals the point's ``sum c`` exactly -- so a feasible point is optimal.  Returns
    ``{"c", "r", "objective", "certified"}`` with sympy Rationals.  (The point's feasibility for the paper's
    labelled system is re-checked by :func:`scaling_exponents.systems.everett2024_aligned.exact_table`.)
    """
    from fractions import Fraction

    import sympy

    def q(v, den=10**6):
        f = Fraction(float(v)).limit_denominator(den)
        return sympy.Rational(f.numerator, f.denominator)

    theta = [[sympy.Rational(str(Fraction(str(v)))) if not isinstance(v, sympy.Rational) else v for v in t]
             for t in alignment]
    if lp.backend != "highs":
        raise UserError("certify needs the highs backend (it reads the simplex duals)")
    x = np.array([[float(v) for v in t] for t in theta])
    res = lp.solve(x, tie_break=False)
    if not res.ok:
        raise UserError(f"LP {res.status}: " + "; ".join(res.conflict))
    y = np.asarray(lp._model.getSolution().row_dual)[: lp.m]  # duals of the sum-c LP (first stage)
    res = lp.solve(x)  # the point the fast path returns (tie-broken on the optimal face)
    rhs = []
    for row in lp.rows:  # exact right-hand side: -const - theta terms
        val = -q(row.const, 1000)
        for (l, k), v in row.theta.items():
            val -= q(v, 10) * theta[l][k]
        rhs.append(val)
    ys = [q(v) for v in y]
    ok = all(v >= 0 for v, e in zip(ys, lp.eq) if not e)
    grad = [sympy.Integer(0)] * lp.A.shape[1]
    for i, row in enumerate(lp.rows):
        for j, v in row.coef.items():
            grad[j] += q(v, 10) * ys[i]
    ok = ok and all(g == (1 if j < lp.n else 0) for j, g in enumerate(grad))
    # the vertex solves a +-1 system with right-hand sides in (1/L) Z, L = lcm of the alignment and (a, b)
    # denominators: round the point on that grid (a point that is not exact fails the caller's re-check)
    den = 2
    for v in [x for t in theta for x in t] + [q(row.const, 1000) for row in lp.rows]:
        den = int(sympy.ilcm(den, sympy.Rational(v).q))
    c = [q(v, den) for v in res.c]
    objective = sum(c, sympy.Integer(0))
    dual = sum((r * v for r, v in zip(rhs, ys)), sympy.Integer(0))
    return {"c": c, "r": [q(v, den) for v in res.r], "objective": objective,
            "certified": bool(ok and dual == objective)}
