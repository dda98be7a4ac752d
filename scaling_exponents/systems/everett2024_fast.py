"""Fast re-solves of Everett et al.'s LP (arXiv 2407.05872, Sec. 3 constraint table) for measured alignments.

Lives with the paper's system (:mod:`.everett2024`): the LP is Everett et al.'s, not paper-independent
machinery.  The exact pipeline (:func:`scaling_exponents.theory.solve.solve` on
:func:`scaling_exponents.systems.everett2024.build_system`) builds a sympy system, solves it with cvxpy,
rounds to rationals, re-checks every constraint exactly and proves optimality with the dual certificate:
about 40 ms per table.  A training loop that re-solves every K steps from *measured* (float) alignments
needs milliseconds, and the exactness is not the point there (the inputs are noisy floats).

:class:`EverettLP` fixes the structure once -- optimizer, per-layer ``a_l``, ``b_l`` -- and puts the
alignment exponents ``(alpha_l, omega_l, u_l)`` only in the right-hand side, where they appear in the paper's
constraints (``r_l <= a_l + c_l - alpha_l`` etc.).  Re-solving then changes row bounds only:

* ``backend="highs"``: a HiGHS model (``highspy``) kept between calls; HiGHS re-starts the dual simplex from
  the previous optimal basis (warm start).
* ``backend="cvxpy"``: a parameterised cvxpy problem (DPP: the alignment is a ``cp.Parameter`` in the
  right-hand side), compiled once; each solve re-uses the canonicalisation.

Both run in :mod:`.everett2024_fast_backends`, benchmarked in ``benchmarks/alignment_overhead.py``.
:meth:`EverettLP.exact` runs the exact,
certified pipeline on the same inputs (rounded to rationals of denominator <= 1000) -- off the hot path.

Variables: ``c_1..c_{L+1}`` (per-layer LR exponents), ``r_1..r_L`` (update exponents, epigraph form of the
paper's ``min``), and for SGD the backward exponent ``G`` (``min`` reading, see
:mod:`scaling_exponents.systems.everett2024`).  Objective: ``minimise sum_l c_l`` (maximal stable LRs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from .everett2024_fast_backends import FastResult, certify, run_cvxpy, run_highs

CONSTRAINTS = "arXiv 2407.05872 Sec. 3, constraint table"
OPTIMIZERS = ("adam", "sgd", "adafactor")
BACKENDS = ("highs", "cvxpy")
_INF = float("inf")


@dataclass
class Row:
    """``coef . x + const + theta_coef . theta  (>=|==)  0`` with a label naming the layer and constraint."""

    coef: dict
    const: float
    theta: dict  # {(layer, k): coefficient}, k = 0 alpha, 1 omega, 2 u
    sense: str
    label: str
    layer: int | None = None


def _num(x) -> float:
    return float(x)


class EverettLP:
    """Everett et al.'s LP with a fixed structure; :meth:`solve` takes per-layer alignments (``(n, 3)``).

    Args:
        a, b: per-layer exponents (embedding, hidden..., readout), as numbers or exact rationals.
        optimizer: ``"adam"``, ``"sgd"`` or ``"adafactor"``.
        names: optional layer names used in messages (default ``layer_1``...).
        feature_learning: also require ``r_L = 0`` (maxP's option): the last hidden layer learns features.
        backend: ``"highs"`` (default) or ``"cvxpy"``.
    """

    def __init__(self, a, b, optimizer: str = "adam", names=None, feature_learning: bool = False,
                 backend: str = "highs"):
        if optimizer not in OPTIMIZERS:
            raise UserError(f"Everett et al. cover optimizers {', '.join(OPTIMIZERS)}; got {optimizer!r}")
        if backend not in BACKENDS:
            raise UserError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        if len(a) != len(b) or len(a) < 2:
            raise UserError(f"need a and b with the same number (>= 2) of layers; got {len(a)} and {len(b)}")
        self.a_exact, self.b_exact = list(a), list(b)
        self.a, self.b = [_num(x) for x in a], [_num(x) for x in b]
        self.optimizer, self.backend, self.feature_learning = optimizer, backend, feature_learning
        self.n = len(a)
        self.names = list(names) if names is not None else [f"layer_{i + 1}" for i in range(self.n)]
        if len(self.names) != self.n:
            raise UserError(f"need one name per layer ({self.n}), got {len(self.names)}")
        self._check_init()
        self._build_rows()
        self._model = None

    # -- structure ---------------------------------------------------------------------------------------
    def _check_init(self):
        """Stability at initialisation (a, b only): a_1+b_1 = 0, hidden a+b = 1/2, readout a+b >= 1/2."""
        a, b, n = self.a, self.b, self.n
        bad = []
        if abs(a[0] + b[0]) > 1e-12:
            bad.append(f"{self.names[0]}: a_1 + b_1 = 0")
        for l in range(1, n - 1):
            if abs(a[l] + b[l] - 0.5) > 1e-12:
                bad.append(f"{self.names[l]}: a_{l + 1} + b_{l + 1} = 1/2")
        if a[-1] + b[-1] < 0.5 - 1e-12:
            bad.append(f"{self.names[-1]}: a_{n} + b_{n} >= 1/2")
        if bad:
            raise UserError("(a, b) violate stability at initialisation (" + CONSTRAINTS + "): " + "; ".join(bad))

    def _build_rows(self):
        n, L, a, b = self.n, self.n - 1, self.a, self.b
        opt = self.optimizer
        self.var_names = [f"c_{l + 1}" for l in range(n)] + [f"r_{l + 1}" for l in range(L)]
        if opt == "sgd":
            self.var_names.append("G")
        idx = {v: i for i, v in enumerate(self.var_names)}
        c = [idx[f"c_{l + 1}"] for l in range(n)]
        r = [idx[f"r_{l + 1}"] for l in range(L)]
        rows: list[Row] = []

        def eff(l):  # exponent of layer l's update effect, as (coef dict, const)
            if opt == "sgd":
                return {c[l]: 1.0, idx["G"]: 1.0}, 2 * a[l]
            if opt == "adam":
                return {c[l]: 1.0}, a[l]
            return {c[l]: 1.0}, a[l] + b[l]

        def add(coef, const, theta, sense, label, layer):
            rows.append(Row(coef, const, theta, sense, label, layer))

        name = self.names
        co, k0 = eff(0)
        add({**{k: -v for k, v in co.items()}, r[0]: 1.0}, -k0, {}, "==", f"{name[0]}: r_1 = embedding update", 0)
        add({r[0]: 1.0}, 0.0, {}, ">=", f"{name[0]}: stable activations r_1 >= 0", 0)
        for l in range(1, L):
            co, k = eff(l)
            add({**co, r[l]: -1.0}, k, {(l, 0): -1.0}, ">=",
                f"{name[l]}: r_{l + 1} <= (update x initial input) exponent - alpha", l)
            add({**co, r[l - 1]: 1.0, r[l]: -1.0}, k, {(l, 2): -1.0}, ">=",
                f"{name[l]}: r_{l + 1} <= (update x input change) exponent + r_{l} - u", l)
            add({r[l - 1]: 1.0, r[l]: -1.0}, 0.5, {(l, 1): -1.0}, ">=",
                f"{name[l]}: r_{l + 1} <= 1/2 + r_{l} - omega (initial weights x input change)", l)
            add({r[l]: 1.0}, 0.0, {}, ">=", f"{name[l]}: stable activations r_{l + 1} >= 0", l)
        co, k = eff(L) if opt != "sgd" else ({c[L]: 1.0}, 2 * a[L])
        add({r[L - 1]: 1.0}, a[L] + b[L], {(L, 1): -1.0}, ">=",
            f"{name[L]}: stable logits a+b+r_{L}-omega >= 0 (initial readout x input change)", L)
        add(dict(co), k, {(L, 0): -1.0}, ">=", f"{name[L]}: stable logits update-alpha >= 0 (readout update)", L)
        add({**co, r[L - 1]: 1.0}, k, {(L, 2): -1.0}, ">=",
            f"{name[L]}: stable logits update+r_{L}-u >= 0 (readout update x input change)", L)
        if opt == "sgd":
            add({idx["G"]: -1.0}, a[L] + b[L], {}, ">=", "G <= a_{L+1}+b_{L+1} (backward signal)", L)
            add({c[L]: 1.0, idx["G"]: -1.0}, 2 * a[L], {}, ">=", "G <= 2a_{L+1}+c_{L+1} (backward signal)", L)
        if opt == "adafactor":
            for l in range(n):
                add({c[l]: 1.0}, 0.0, {}, ">=", f"{name[l]}: Adafactor c_{l + 1} >= 0", l)
        if self.feature_learning:
            add({r[L - 1]: 1.0}, 0.0, {}, "==", f"{name[L - 1]}: feature learning r_{L} = 0", L - 1)
        self.rows = rows
        m, nv = len(rows), len(self.var_names)
        self.A = np.zeros((m, nv))
        self.base = np.zeros(m)  # A x (>=|==) base + M theta
        self.M = np.zeros((m, 3 * n))
        for i, row in enumerate(rows):
            for j, v in row.coef.items():
                self.A[i, j] += v
            self.base[i] = -row.const
            for (l, kk), v in row.theta.items():
                self.M[i, 3 * l + kk] = -v
        self.eq = np.array([row.sense == "==" for row in rows])
        self.obj = np.zeros(nv)
        self.obj[:n] = 1.0
        self.m = m
        # tie-break (second stage): the optimum of sum c can be a whole face for measured alignments; among
        # its points take the one closest (L1) to a reference c -- by default the full-alignment solution
        # of the same (a, b) -- so repeated online solves do not jump between vertices.  Extra columns
        # t_l >= |c_l - ref_l| and one row sum c <= optimum (switched off in the first stage).
        T = np.zeros((2 * n + 1, nv + n))
        for l in range(n):
            T[2 * l, nv + l], T[2 * l, l] = 1.0, -1.0       # t_l - c_l >= -ref_l
            T[2 * l + 1, nv + l], T[2 * l + 1, l] = 1.0, 1.0  # t_l + c_l >= ref_l
        T[2 * n, :n] = -1.0                                   # -sum c >= -(optimum + tol)
        self.A_full = np.vstack([np.hstack([self.A, np.zeros((m, n))]), T])
        self.eq_full = np.concatenate([self.eq, np.zeros(2 * n + 1, dtype=bool)])
        self.obj2 = np.concatenate([np.zeros(nv), np.ones(n)])
        self.obj1 = np.concatenate([self.obj, np.zeros(n)])
        self.ref = None

    # -- solving -----------------------------------------------------------------------------------------
    def rhs(self, alignment) -> np.ndarray:
        """Row right-hand sides ``base + M theta`` for per-layer alignments ``(n, 3)``; a wrong shape or a non-finite
        value is a UserError naming the layer."""
        theta = np.asarray(alignment, dtype=float).reshape(-1)
        if theta.shape != (3 * self.n,):
            raise UserError(f"need one (alpha, omega, u) per layer: {self.n} triples, got array of shape "
                            f"{np.shape(alignment)}")
        if not np.all(np.isfinite(theta)):
            bad = [self.names[i // 3] + "." + ("alpha", "omega", "u")[i % 3] for i in np.flatnonzero(~np.isfinite(theta))]
            raise UserError(f"alignment is not finite for {', '.join(bad[:5])}; measure after the weights have moved")
        return self.base + self.M @ theta

    def solve(self, alignment, conflicts: bool = True, tie_break: bool = True) -> FastResult:
        """Solve for per-layer alignments ``[(alpha, omega, u), ...]``; infeasible results name the conflict.

        ``tie_break``: among optimal points, the one closest to :attr:`ref` (see :meth:`_build_rows`)."""
        rhs = self.rhs(alignment)
        active = np.ones(len(self.rows), dtype=bool)
        if tie_break and self.ref is None:
            self.ref = np.zeros(self.n)
            first = self._run(self.rhs(presets(self.n, "full")), active, None)
            self.ref = first.c if first.ok else np.zeros(self.n)
        res = self._run(rhs, active, None)
        if res.status == "infeasible" and conflicts:
            res.conflict = self._iis(rhs)
        if res.ok and tie_break:
            second = self._run(rhs, active, res.objective + 1e-12)
            if second.ok:
                second.objective = float(second.c.sum())
                res = second
        return res

    def _full_rhs(self, rhs, active, bound):
        """Row lower bounds of the full model: the LP rows, the tie-break rows, the objective cut."""
        ref = self.ref if self.ref is not None else np.zeros(self.n)
        extra = np.empty(2 * self.n + 1)
        extra[0:2 * self.n:2], extra[1:2 * self.n:2] = -ref, ref
        extra[-1] = -bound if bound is not None else -_INF
        lo = np.concatenate([np.where(active, rhs, -_INF), extra])
        hi = np.where(self.eq_full & np.concatenate([active, np.zeros(2 * self.n + 1, dtype=bool)]),
                      np.concatenate([rhs, extra]), _INF)
        return lo, hi

    def _run(self, rhs, active, bound=None) -> FastResult:
        if self.backend == "highs":
            return run_highs(self, rhs, active, bound)
        return run_cvxpy(self, rhs, active, bound)

    def _iis(self, rhs) -> list[str]:
        """Deletion filter over the rows (each test is one warm re-solve): an irreducible conflicting set."""
        active = np.ones(len(self.rows), dtype=bool)
        for i in range(len(self.rows)):
            active[i] = False
            if self._run(rhs, active).status != "infeasible":
                active[i] = True
        return [self.rows[i].label for i in np.flatnonzero(active)]

    # -- exact check (off the hot path) -----------------------------------------------------------------
    def certify(self, alignment) -> dict:
        """Solve for rational ``alignment`` and prove the optimum in exact arithmetic (LP duality): see
        :func:`.everett2024_fast_backends.certify`."""
        return certify(self, alignment)

    def exact(self, alignment, max_denominator: int = 1000):
        """The engine's exact pipeline (:func:`~scaling_exponents.systems.everett2024.derive_custom`: exact
        re-check, dual certificate, optimal-face ranges) on the same inputs rounded to rationals; for small
        chains (the face enumeration grows with depth).  Returns an ExponentTable."""
        from fractions import Fraction

        from .everett2024 import derive_custom

        if self.feature_learning:
            raise UserError("the exact pipeline covers Everett et al.'s system without the feature-learning row")
        al = [tuple(str(Fraction(float(v)).limit_denominator(max_denominator)) for v in t)
              for t in np.asarray(alignment, dtype=float).reshape(self.n, 3)]
        return derive_custom(self.a_exact, self.b_exact, self.optimizer, al)


def presets(n: int, kind: str) -> np.ndarray:
    """``(n, 3)`` alignment array for Everett et al.'s presets: full (1, 1/2, 1), no (1/2, 1/2, 1/2)."""
    if kind == "full":
        return np.tile([1.0, 0.5, 1.0], (n, 1))
    if kind == "no":
        return np.full((n, 3), 0.5)
    raise UserError(f"unknown alignment preset {kind!r}; choose full or no")
