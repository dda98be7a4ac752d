"""Calibrated verdicts: a failed row says *why* it fails -- finite size, fails as predicted, or a diagnosed class.

What: the verdict of one fitted row (:func:`classify_row`) is

* ``pass`` -- :func:`.fit.verdict` (prediction inside the CI widened by ``tol``), unchanged;
* ``fails as predicted`` -- the table itself predicts the instability: the engine classifies its regime as
  unstable (``derive`` reports ``regime: unstable``, e.g. TP4 Thm 3.3 for ``tp4-sp-default:sgd``) or the summary
  says ``expected: "fails as ..."`` (SAM's probe);
* ``finite size`` -- read off the *local* slopes between successive sizes (:func:`local_slopes`: per-seed values,
  geometric mean over seeds, percentile bootstrap over seeds for each pair as in :mod:`.fit`): they move
  monotonically toward the prediction (a step away counts as noise when the two pairs' CIs overlap) by more than
  the last pair's CI half-width, AND the prediction lies in the largest pair's CI widened by ``tol`` or in the CI
  of the extrapolation :func:`extrapolate`;
* ``fail`` with a class from a diagnosis line (:mod:`.diagnoses`: table wrong, assumption broken, probe
  limitation, finite size) or ``fail: unexplained`` when nothing explains it.

Extrapolation model (stated, not hidden): finite-width corrections to a power law are ``O(n^-1/2)`` (the
tolerance's rationale in :mod:`.fit`), so the local slope of the pair (n_i, n_i+1) is modelled as
``s_i = s_inf + c / sqrt(m_i)`` with ``m_i = sqrt(n_i n_i+1)`` (the pair's geometric midpoint); ``s_inf`` is the
least-squares intercept at ``1/sqrt(m) = 0`` over >= 3 pairs, its CI the percentile interval of the same fit on
the bootstrap samples.  Why: ``tol`` alone cannot tell a slope that converges slowly from a wrong one.

Torch-free (numpy only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .fit import FLOOR

N_BOOT = 1000
LEVEL = 0.95


@dataclass(frozen=True)
class LocalSlope:
    """The log-log slope between two successive sizes, with its seed-bootstrap CI."""

    lo_size: float
    hi_size: float
    slope: float
    lo: float
    hi: float

    def to_list(self) -> list:
        """Compact JSON form ``[lo_size, hi_size, slope, lo, hi]`` (rounded to 4 places) for the summary's local
        slopes."""
        return [self.lo_size, self.hi_size, round(self.slope, 4), round(self.lo, 4), round(self.hi, 4)]


@dataclass(frozen=True)
class RowVerdict:
    """The calibrated verdict of one row: ``verdict`` (pass | finite size | fails as predicted | fail | info),
    ``klass`` (the verdict, or for a fail the diagnosed class or ``unexplained``), a one-line reason, where the
    evidence is, and the local slopes it was read from."""

    verdict: str
    klass: str
    reason: str = ""
    evidence: str = ""
    local_slopes: tuple = ()

    @property
    def label(self) -> str:
        """``pass``, ``finite size``, ``fails as predicted``, ``fail: <class>`` (e.g. ``fail: unexplained``)."""
        return f"fail: {self.klass}" if self.verdict == "fail" else self.verdict


def _log_values(values) -> np.ndarray | None:
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[:, None]
    if v.shape[0] < 2 or not np.all(np.isfinite(v)):
        return None
    return np.log(np.maximum(np.abs(v), FLOOR))


def _boot_pairs(sizes, logv, n_boot: int, seed: int):
    """Local slopes of the seed-mean (k-1,) and of ``n_boot`` seed resamples (n_boot, k-1)."""
    dx = np.diff(np.log(np.asarray(sizes, dtype=float)))
    point = np.diff(logv.mean(axis=1)) / dx
    S = logv.shape[1]
    if S == 1:
        return point, np.broadcast_to(point, (n_boot, len(point)))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, S, size=(n_boot,) + logv.shape)  # resample seeds independently per size, as fit.py
    boot = np.take_along_axis(np.broadcast_to(logv, (n_boot,) + logv.shape), idx, axis=2).mean(axis=2)
    return point, np.diff(boot, axis=1) / dx


def local_slopes(sizes, values, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0) -> tuple[LocalSlope, ...]:
    """Slopes between successive ``sizes`` of ``values[size][seed]`` with percentile-bootstrap CIs; () if non-finite."""
    logv = _log_values(values)
    if logv is None:
        return ()
    point, boot = _boot_pairs(sizes, logv, n_boot, seed)
    a = (1 - level) / 2
    lo, hi = np.quantile(boot, [a, 1 - a], axis=0)
    return tuple(LocalSlope(float(sizes[i]), float(sizes[i + 1]), float(point[i]), float(lo[i]), float(hi[i]))
                 for i in range(len(point)))


def _intercept(z: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Least-squares intercept at z = 0 of s (..., k) on z (k,)."""
    zc = z - z.mean()
    slope = ((s - s.mean(axis=-1, keepdims=True)) * zc).sum(axis=-1) / (zc * zc).sum()
    return s.mean(axis=-1) - slope * z.mean()


def extrapolate(sizes, values, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0):
    """``(s_inf, lo, hi)``: local slopes extrapolated linearly in ``1/sqrt(midpoint size)`` to infinite size, or None
    with fewer than 3 pairs or non-finite values (model in the module docstring)."""
    logv = _log_values(values)
    if logv is None or logv.shape[0] < 4:
        return None
    n = np.asarray(sizes, dtype=float)
    z = 1.0 / np.sqrt(np.sqrt(n[:-1] * n[1:]))
    point, boot = _boot_pairs(sizes, logv, n_boot, seed)
    a = (1 - level) / 2
    lo, hi = np.quantile(_intercept(z, boot), [a, 1 - a])
    return float(_intercept(z, point)), float(lo), float(hi)


def finite_size(predicted: float, sizes, values, tol: float):
    """``(True, reason, local slopes)`` when the local slopes converge toward ``predicted`` (rule in the module
    docstring), else ``(False, "", local slopes)``."""
    loc = local_slopes(sizes, values)
    if len(loc) < 2:
        return False, "", loc
    dist = [abs(s.slope - predicted) for s in loc]
    for a, b, da, db in zip(loc, loc[1:], dist, dist[1:]):
        if db > da and (b.lo > a.hi or b.hi < a.lo):  # a step away from the prediction beyond the noise
            return False, "", loc
    half = (loc[-1].hi - loc[-1].lo) / 2
    if not dist[0] - dist[-1] > half:
        return False, "", loc
    run = ", ".join(f"{s.slope:+.2f}" for s in loc)
    last = loc[-1]
    if last.lo - tol <= predicted <= last.hi + tol:
        return True, (f"local slopes {run} move toward {predicted:+g}; the largest pair's CI "
                      f"[{last.lo:+.2f}, {last.hi:+.2f}] +- {tol:g} holds it"), loc
    ext = extrapolate(sizes, values)
    if ext is not None and ext[1] <= predicted <= ext[2]:
        return True, (f"local slopes {run} move toward {predicted:+g}; extrapolated in 1/sqrt(n): {ext[0]:+.2f} "
                      f"[{ext[1]:+.2f}, {ext[2]:+.2f}]"), loc
    return False, "", loc


def instability(regime: str | None = None, regime_source: str | None = None, expected: str | None = None) -> str:
    """Why the table itself predicts the failure ("" if it does not): an unstable engine regime, or ``expected``
    starting with "fails as" (a probe's statement of what its paper predicts)."""
    if expected and str(expected).startswith("fails as"):
        return str(expected)
    if regime and str(regime).lower().startswith("unstable"):
        first = str(regime_source).split(";")[0].strip() if regime_source else ""  # the stability theorem
        return f"regime {regime}" + (f", {first}" if first else "")
    return ""


def classify_row(row: dict, *, param: str, sweep: str = "width", model: str | None = None, unstable: str = "",
                 diagnoses=None) -> RowVerdict:
    """The calibrated verdict of one fitted row (``values`` per size per seed, ``predicted_value``, ``tol``).

    ``unstable``: :func:`instability` of the row's table; ``diagnoses``: the lines to match (default: every
    ``papers/diagnoses/*.csv``).  Order: pass / info, fails as predicted, finite size, a diagnosis, unexplained."""
    from .diagnoses import match

    if row.get("verdict") in ("pass", "info"):
        return RowVerdict(row["verdict"], row["verdict"])
    key = f"{row['layer']}|{row['quantity']}"
    if unstable:
        return RowVerdict("fails as predicted", "fails as predicted", unstable, "the table's own classification")
    loc = ()
    values = row.get("values")
    pred = row.get("predicted_value")
    if values and pred is not None and math.isfinite(float(pred)):
        sizes = sorted(values, key=float)
        ok, why, loc = finite_size(float(pred), [float(s) for s in sizes], [values[s] for s in sizes],
                                   float(row.get("tol", 0.0)))
        if ok:
            return RowVerdict("finite size", "finite size", why, "local slopes of the measured values (seed bootstrap)",
                              loc)
    d = match(param, sweep, model, key, diagnoses)
    if d is not None:
        return RowVerdict("fail", d.klass, d.reason, f"{d.evidence} ({d.where})", loc)
    return RowVerdict("fail", "unexplained", "no finite-size trend and no diagnosis in papers/diagnoses/", "", loc)


#: Entry-level verdicts, worst first: one row that fails makes the entry fail.
ORDER = ("fail", "fails as predicted", "finite size", "pass")


def entry_verdict(verdicts) -> str:
    """The verdict of a whole sweep entry from its rows' :class:`RowVerdict` (info rows do not count)."""
    seen = {v.verdict for v in verdicts}
    return next((o for o in ORDER if o in seen), "pass")
