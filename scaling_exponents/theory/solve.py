"""Solve a :class:`ConstraintSystem` as an LP (HiGHS or cvxpy), then make the answer exact and prove it.

Pipeline:

1. Build the LP: equalities, inequalities, fixed values, and every ``name = min(t_i)`` as ``name <= t_i``
   (``max`` as ``name >= t_i``), the epigraph form.
2. Solve the LP: by default with HiGHS through highspy directly (a simplex code, so the answer is a vertex; < 1 ms);
   :func:`.solver_choice.set_solver` (``derive --solver cvxpy``) routes it through cvxpy instead.  Steps 3-5 are exact either way.
3. Round the primal solution to rationals of small denominator, recompute every min/max definition
   exactly, and re-check EVERY constraint with sympy arithmetic.  A point that fails is an error, not a result.
4. Round the duals and check the LP optimality certificate exactly (stationarity, dual feasibility,
   zero duality gap).  ``Solution.certified`` says whether the optimum is proven, not only computed.
5. For each reported variable, minimise and maximise it over the optimal face: a non-unique optimum is
   reported with the interval each variable can take, never resolved silently.

The epigraph relaxation is exact when every min-defined variable enters the other constraints and the
objective monotonically (the case for the r exponents of TP4 and Everett et al.; see
``theory_width`` notes Sec. 4.7).  When it is not (e.g. an equality pins a min-defined variable), the exact
check detects the gap and the solver falls back to enumerating which term attains each min.

Infeasible systems report an irreducible infeasible subset (IIS) found by a deletion filter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from ..errors import SolverError
from .exponents import fmt
from .system import Constraint, ConstraintSystem, Definition, LinExpr
# the cvxpy reference back end; solver_choice, tests and fast_solve reach _Problem/_solver through this module
from .cvxpy_backend import CvxpyProblem as _Problem, cvxpy_solver as _solver  # noqa: F401

_MAX_DEN = 10_000
_FACE_TOL = 1e-7


@dataclass
class Solution:
    """The exact result of solving a system."""

    system: ConstraintSystem
    status: str  # "optimal", "infeasible", "unbounded"
    values: dict[str, sympy.Rational] = field(default_factory=dict)
    objective: sympy.Rational | None = None
    certified: bool = False
    ranges: dict[str, tuple[sympy.Rational, sympy.Rational]] = field(default_factory=dict)
    conflict: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def unique(self) -> bool:
        """True when every reported variable takes a single value on the optimal face."""
        return all(lo == hi for lo, hi in self.ranges.values())

    @property
    def free(self) -> dict[str, tuple[sympy.Rational, sympy.Rational]]:
        """Reported variables that are not pinned by the optimum, with their interval."""
        return {k: v for k, v in self.ranges.items() if v[0] != v[1]}

    def __getitem__(self, name):
        return self.values[name]

    def raise_for_status(self) -> "Solution":
        """Return ``self`` when optimal; raise :class:`SolverError` naming the conflicting constraints (infeasible)
        or the unbounded objective -- a system without an exact optimum is never turned into a table."""
        if self.status == "infeasible":
            raise SolverError(
                f"system {self.system.name!r} is infeasible; conflicting constraints: " + "; ".join(self.conflict)
            )
        if self.status == "unbounded":
            raise SolverError(f"system {self.system.name!r}: objective {self.system.objective} is unbounded")
        return self

    def summary(self) -> str:
        """One line: the status, the optimum and each value, whether the optimum is certified, and any variable the
        optimum does not pin (NON-UNIQUE, with its interval)."""
        if self.status != "optimal":
            return f"{self.status}" + (": " + "; ".join(self.conflict) if self.conflict else "")
        vals = ", ".join(f"{k} = {fmt(v)}" for k, v in self.values.items())
        extra = ""
        if self.free:
            extra = "; NON-UNIQUE: " + ", ".join(f"{k} in [{fmt(lo)}, {fmt(hi)}]" for k, (lo, hi) in self.free.items())
        return f"optimal ({'certified' if self.certified else 'not certified'}) objective {fmt(self.objective)}: {vals}{extra}"


# ------------------------------------------------------------------------------------------------
def _rational(x: float) -> sympy.Rational:
    f = Fraction(float(x)).limit_denominator(_MAX_DEN)
    return sympy.Rational(f.numerator, f.denominator)


class _LP:
    """Matrices of the LP relaxation of a set of constraint items (``A_ub x <= b_ub``, ``A_eq x == b_eq``)."""

    def __init__(self, system: ConstraintSystem, items: list):
        import numpy as np

        self.names = list(system.variables)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.items = items
        ub, eq = [], []  # (coef dict, rhs, item id)
        for k, item in enumerate(items):
            for expr, sense in _item_rows(item):
                # expr (>=|==) 0  ->  -expr.terms x <= expr.const  /  expr.terms x == -expr.const
                if sense == ">=":
                    ub.append(({n: -v for n, v in expr.terms.items()}, expr.const, k))
                else:
                    eq.append((dict(expr.terms), -expr.const, k))
        n = len(self.names)

        def mats(rows):
            A = np.zeros((len(rows), n))
            b = np.zeros(len(rows))
            for i, (terms, rhs, _) in enumerate(rows):
                for name, coef in terms.items():
                    A[i, self.index[name]] = float(coef)
                b[i] = float(rhs)
            return A, b

        self.A_ub, self.b_ub = mats(ub)
        self.A_eq, self.b_eq = mats(eq)
        self.ub_rows, self.eq_rows = ub, eq

    def vector(self, expr: LinExpr):
        import numpy as np

        w = np.zeros(len(self.names))
        for name, coef in expr.terms.items():
            w[self.index[name]] = float(coef)
        return w


def _item_rows(item):
    """The LP rows (expr, sense) of a constraint item: a Constraint, a fixed value, or a Definition."""
    if isinstance(item, Constraint):
        return [(item.expr, item.sense)]
    if isinstance(item, Definition):
        v = LinExpr({item.name: 1})
        return [((t - v) if item.kind == "min" else (v - t), ">=") for t in item.terms]
    if isinstance(item, tuple) and item[0] == "fixed":
        return [(LinExpr({item[1]: 1}, -item[2]), "==")]
    if isinstance(item, tuple) and item[0] == "tight":  # term attains the min/max of a definition
        _, d, t = item
        return [(t - LinExpr({d.name: 1}), "==")]
    raise TypeError(item)


def _item_label(item) -> str:
    if isinstance(item, (Constraint, Definition)):
        return item.label + (f" [{item.source}]" if item.source else "")
    if item[0] == "fixed":
        return f"given {item[1]} = {fmt(item[2])}"
    return f"{item[1].label}: term {item[2]} attains the {item[1].kind}"


def _make_problem(lp: _LP, face: bool = False):
    """A direct HiGHS model when highspy is installed (:class:`.highs_backend.HighsProblem`, < 1 ms a solve),
    else the cvxpy problem (:class:`.cvxpy_backend.CvxpyProblem`; the exact re-check and certificate below are the
    same either way)."""
    from .highs_backend import HighsProblem, highs_available

    if _USE_HIGHS and highs_available():
        return HighsProblem(lp, face)
    return _Problem(lp, face)


#: set False to route every LP through cvxpy (the reference back end; tests compare the two); see :func:`.solver_choice.set_solver`
_USE_HIGHS = True
def _feasible(system, items) -> bool:
    import numpy as np

    lp = _LP(system, items)
    return _make_problem(lp).run(np.zeros(len(lp.names))) == "optimal"


def _iis(system, items) -> list[str]:
    """Deletion filter: drop each item whose removal keeps the set infeasible; what is left is irreducible."""
    kept = list(items)
    for item in list(items):
        trial = [i for i in kept if i is not item]
        if not _feasible(system, trial):
            kept = trial
    return [_item_label(i) for i in kept]


def _items(system: ConstraintSystem) -> list:
    return (
        [("fixed", n, v) for n, v in system.fixed.items()] + list(system.definitions) + list(system.constraints)
    )


def _exact_point(system: ConstraintSystem, x, names) -> dict[str, sympy.Rational]:
    defined = {d.name for d in system.definitions}
    primal = {n: _rational(x[i]) for i, n in enumerate(names) if n not in defined}
    return system.complete(primal)


def _certify(system, prob: _Problem, w_exact: LinExpr, objective: sympy.Rational) -> bool:
    """Exact LP duality check: w + A_ub^T y + A_eq^T z = 0, y >= 0, -b_ub.y - b_eq.z = objective."""
    lp = prob.lp
    y = [_rational(v) for v in (prob.ub_con.dual_value if prob.ub_con is not None else [])]
    z = [_rational(v) for v in (prob.eq_con.dual_value if prob.eq_con is not None else [])]
    if any(v < 0 for v in y):
        return False
    grad = {n: w_exact.terms.get(n, sympy.Integer(0)) for n in lp.names}
    dual_obj = sympy.Integer(0)
    for rows, duals in ((lp.ub_rows, y), (lp.eq_rows, z)):
        for (terms, rhs, _), d in zip(rows, duals):
            for name, coef in terms.items():
                grad[name] += coef * d
            dual_obj -= rhs * d
    return all(v == 0 for v in grad.values()) and dual_obj == objective - w_exact.const


def _solve_items(system, items, objective: LinExpr):
    """Solve min objective over items; return (status, exact point, exact objective, problem, x)."""
    lp = _LP(system, items)
    prob = _make_problem(lp, face=True)
    prob.face_w.value = lp.vector(objective) * 0
    prob.face_t.value = 1.0
    status = prob.run(lp.vector(objective))
    if status != "optimal":
        return status, None, None, prob
    point = _exact_point(system, prob.x.value, lp.names)
    return "optimal", point, objective.evaluate(point), prob


def solve(system: ConstraintSystem, report=None, certify: bool = True) -> Solution:
    """Solve ``system`` (see module docstring). ``report`` names the variables whose uniqueness is checked
    (default: every non-defined, non-fixed variable)."""
    objective = system.objective if system.objective is not None else LinExpr()
    min_obj = objective if system.sense == "min" else -objective
    items = all_items = _items(system)
    status, point, value, prob = _solve_items(system, items, min_obj)

    if status == "infeasible" or (status not in ("optimal", "unbounded") and not _feasible(system, items)):
        return Solution(system, "infeasible", conflict=_iis(system, items))
    notes = []
    if status == "unbounded" and system.definitions:
        # the epigraph relaxation can be unbounded where the exact system is not (a min pinned by an equality)
        status, point, value, prob, items = _tight_enumeration(system, items, min_obj)
        notes.append("min/max terms resolved by enumeration (the epigraph relaxation was unbounded)")
    if status == "unbounded":
        return Solution(system, "unbounded", notes=[f"{system.sense}imize {objective} has no finite optimum"])
    if status != "optimal":
        raise SolverError(f"LP solver returned status {status!r} for system {system.name!r}")

    lp_value = _rational(prob.prob.value) + min_obj.const
    bad = system.violations(point) if not notes else []
    if bad or value != lp_value:
        # the epigraph relaxation was not exact: enumerate which term attains each min/max
        status, point, value, prob, items = _tight_enumeration(system, items, min_obj)
        if status == "unbounded":
            return Solution(system, "unbounded", notes=[f"{system.sense}imize {objective} has no finite optimum"])
        notes.append("min/max terms resolved by enumeration (the epigraph relaxation was not exact)")
        bad = system.violations(point)
    if bad:
        raise SolverError(
            f"the LP solution of {system.name!r} fails the exact re-check: " + "; ".join(bad[:5])
        )

    certified = certify and _certify(system, prob, min_obj, value)
    if not certified:
        notes.append("optimum computed but the exact dual certificate did not close")
    elif notes:
        notes.append("the dual certificate covers the winning enumerated piece; the others were compared by LP")

    defined = {d.name for d in system.definitions}
    names = list(report) if report is not None else [n for n in system.variables if n not in defined and n not in system.fixed]
    ranges = _ranges(system, all_items, min_obj, value, names)  # the whole exact face, every piece
    obj_value = value if system.sense == "min" else -value
    return Solution(system, "optimal", point, obj_value, certified, ranges, notes=notes)


def _face_bounds(system, items, min_obj, value, names, exact_only: bool):
    """Min and max of each named variable over the optimal face of the LP over ``items``.

    Returns ``{name: [lo, hi]}`` with ``None`` for an endpoint that the relaxation cannot vouch for (its
    point fails the exact re-check) when ``exact_only`` is set.
    """
    lp = _LP(system, items)
    prob = _make_problem(lp, face=True)
    prob.face_w.value = lp.vector(min_obj)
    prob.face_t.value = float(value - min_obj.const) + _FACE_TOL
    out = {}
    for name in names:
        e = lp.vector(LinExpr({name: 1}))
        bounds = []
        for sign in (1, -1):
            st = prob.run(sign * e)
            if st == "unbounded":  # in the relaxation this proves nothing about the exact face
                bounds.append(None if exact_only else -sign * sympy.oo)
            elif st != "optimal":
                bounds.append(None)
            else:
                point = _exact_point(system, prob.x.value, lp.names)
                ok = not system.violations(point) and min_obj.evaluate(point) == value
                bounds.append(point[name] if ok or not exact_only else None)
        out[name] = bounds
    return out


def _ranges(system, items, min_obj, value, names):
    """Interval of each named variable over the exact optimal face.

    The epigraph relaxation's face contains the exact face, so a variable pinned there is pinned exactly;
    an endpoint whose point passes the exact re-check is exact too.  Any other endpoint is settled by
    enumerating which term attains each min/max (small systems only).
    """
    if not names:
        return {}
    relaxed = _face_bounds(system, items, min_obj, value, names, exact_only=True)
    out, todo = {}, []
    for name, (lo, hi) in relaxed.items():
        if lo is not None and hi is not None:
            out[name] = (lo, hi)
        else:
            todo.append(name)
    if todo:
        merged = {n: [sympy.oo, -sympy.oo] for n in todo}
        for extra in _choices(system):
            status, point, val, _ = _solve_items(system, items + extra, min_obj)
            if status != "optimal" or val != value or system.violations(point):
                continue
            for n, (lo, hi) in _face_bounds(system, items + extra, min_obj, value, todo, False).items():
                merged[n][0] = min(merged[n][0], lo if lo is not None else sympy.oo)
                merged[n][1] = max(merged[n][1], hi if hi is not None else -sympy.oo)
        out.update({n: tuple(v) for n, v in merged.items()})
    return out


def _choices(system):
    """Every assignment of an attaining term to each min/max definition, as extra LP items."""
    defs = system.definitions
    for choice in itertools.product(*[range(len(d.terms)) for d in defs]):
        yield [("tight", d, d.terms[i]) for d, i in zip(defs, choice)]


def _tight_enumeration(system, items, min_obj):
    """Exact handling of min/max definitions: try every choice of attaining term, keep the best.

    With a term pinned to each definition the feasible set is a piece of the exact one, so an unbounded
    piece proves the exact problem unbounded.  Returns (status, point, value, problem, items).
    """
    best = None
    for extra in _choices(system):
        status, point, value, prob = _solve_items(system, items + extra, min_obj)
        if status == "unbounded":
            return "unbounded", None, None, None, items
        if status == "optimal" and not system.violations(point) and (best is None or value < best[1]):
            best = (point, value, prob, items + extra)
    if best is None:
        raise SolverError(f"no choice of attaining terms makes {system.name!r} feasible")
    return ("optimal",) + best
