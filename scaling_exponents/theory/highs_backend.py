"""A direct HiGHS back end for the engine's exact pipeline (:mod:`.solve`).

The same interface as its cvxpy ``_Problem`` (``x.value``, ``prob.value``, ``ub_con``/``eq_con.dual_value`` in
cvxpy's sign convention, the optimal-face cut ``face_w . x <= face_t``), without cvxpy's per-call
canonicalisation (~20 ms a call; this is well under 1 ms).  The exact rational re-check and the dual certificate
in :mod:`.solve` are unchanged, so a table is exactly as proven as before
(``benchmarks/derive_all_tables.py`` compares every catalog table across the two back ends).
"""

from __future__ import annotations

import numpy as np


class _Value:
    def __init__(self, value=None):
        self.value = value
        self.dual_value = None


_BANNER: list = []


def silence_banner():
    """HiGHS prints a copyright banner on stdout at its first instance; swallow it so JSON output stays clean."""
    import os
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _quiet_highs():
    """Silence the banner once per process."""
    if not _BANNER:
        silence_banner()
        _BANNER.append(True)


def highs_available() -> bool:
    """True when highspy (the direct HiGHS back end) imports; otherwise :mod:`.solve` falls back to cvxpy."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


class HighsProblem:
    """``min w.x`` s.t. ``A_ub x <= b_ub``, ``A_eq x == b_eq`` (and the face cut), x free, one HiGHS model."""

    def __init__(self, lp, face: bool = False):
        import highspy

        _quiet_highs()
        self.lp = lp
        n = len(lp.names)
        m_ub, m_eq = len(lp.b_ub), len(lp.b_eq)
        self.x, self.prob = _Value(), _Value()
        self.ub_con = _Value() if m_ub else None
        self.eq_con = _Value() if m_eq else None
        self.face = face
        self.face_w, self.face_t = (_Value(), _Value()) if face else (None, None)
        self._m = (m_ub, m_eq)
        inf = highspy.kHighsInf
        rows = [lp.A_ub.reshape(m_ub, n), lp.A_eq.reshape(m_eq, n)] + ([np.ones((1, n))] if face else [])
        A = np.vstack(rows) if rows else np.zeros((0, n))
        lo = np.concatenate([np.full(m_ub, -inf), lp.b_eq, [-inf] if face else []])
        hi = np.concatenate([lp.b_ub, lp.b_eq, [inf] if face else []])
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = n, A.shape[0]
        model.col_cost_ = np.zeros(n)
        model.col_lower_, model.col_upper_ = np.full(n, -inf), np.full(n, inf)
        model.row_lower_, model.row_upper_ = lo, hi
        from scipy.sparse import csc_matrix

        if face:  # keep the cut row's entries stored (its coefficients change between runs)
            A[-1] = 1.0
        csc = csc_matrix(A)
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = csc.indptr.astype(np.int32)
        model.a_matrix_.index_ = csc.indices.astype(np.int32)
        model.a_matrix_.value_ = csc.data.astype(float)
        h.passModel(model)
        self.h, self._face_row, self._face_last = h, A.shape[0] - 1, None

    def _set_face(self):
        w = np.asarray(self.face_w.value, dtype=float)
        t = float(self.face_t.value)
        if self._face_last is None or not np.array_equal(w, self._face_last[0]):
            for j, v in enumerate(w):
                self.h.changeCoeff(self._face_row, j, float(v))
        if self._face_last is None or t != self._face_last[1]:
            import highspy

            self.h.changeRowBounds(self._face_row, -highspy.kHighsInf, t)
        self._face_last = (w.copy(), t)

    def run(self, w) -> str:
        """Minimise ``w . x`` over the LP (and the optimal-face cut, if set) with HiGHS; returns ``optimal``,
        ``infeasible`` or ``unbounded`` and fills ``x``, the objective and the duals in the same attributes the
        cvxpy back end fills, so the exact certificate in :mod:`.solve` reads either."""
        import highspy

        h = self.h
        if self.face:
            self._set_face()
        n = len(self.lp.names)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(w, dtype=float))
        h.run()
        st = h.getModelStatus()
        S = highspy.HighsModelStatus
        if st == S.kOptimal:
            sol = h.getSolution()
            x = np.asarray(sol.col_value)
            self.x.value = x
            self.prob.value = float(np.dot(w, x))
            y = -np.asarray(sol.row_dual)
            m_ub, m_eq = self._m
            if self.ub_con is not None:
                self.ub_con.dual_value = y[:m_ub]
            if self.eq_con is not None:
                self.eq_con.dual_value = y[m_ub:m_ub + m_eq]
            return "optimal"
        if st == S.kInfeasible:
            return "infeasible"
        if st in (S.kUnbounded, S.kUnboundedOrInfeasible):
            if st == S.kUnbounded:
                return "unbounded"
            h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))  # feasible at all?
            h.run()
            return "unbounded" if h.getModelStatus() == S.kOptimal else "infeasible"
        return h.modelStatusToString(st)
