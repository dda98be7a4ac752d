"""Log-log slopes with bootstrap confidence intervals over seeds, and the pass/fail verdict.

What: given ``values[width][seed]`` of one measured quantity, fit ``log q = p log n + const`` by least squares
on the per-width geometric mean over seeds, and a percentile bootstrap CI for ``p`` by resampling seeds with
replacement (Efron & Tibshirani 1993, percentile interval).  Why: seeds are the independent replicates of a
coordinate check (microsoft/mup ``get_coord_data`` uses ``nseeds`` the same way); widths are the design
points.  The verdict widens the CI by a stated tolerance ``tol`` because finite widths carry O(1/sqrt(n))
corrections to the leading exponent: pass iff ``lo - tol <= predicted <= hi + tol``.

Torch-free (numpy only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Values at or below this are treated as exact zeros (e.g. an un-updated layer) and floored.
FLOOR = 1e-30


@dataclass
class Slope:
    """A fitted log-log slope with its seed-bootstrap confidence interval ``[lo, hi]``, the numbers of sizes and
    seeds it rests on, and its R^2 -- what a verdict compares a predicted exponent with."""

    slope: float
    lo: float
    hi: float
    n_widths: int
    n_seeds: int
    r2: float

    def to_dict(self):
        """JSON-ready form (``slope``, ``ci``, ``n_widths``, ``n_seeds``, ``r2``) for summaries and the catalog."""
        return {"slope": self.slope, "ci": [self.lo, self.hi], "n_widths": self.n_widths,
                "n_seeds": self.n_seeds, "r2": self.r2}


def _ols_slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Slopes of y (..., k) on x (k,) along the last axis."""
    xc = x - x.mean()
    return ((y - y.mean(axis=-1, keepdims=True)) * xc).sum(axis=-1) / (xc * xc).sum()


def fit_slope(sizes, values, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> Slope:
    """Slope of log(value) vs log(size) with a seed-bootstrap CI.

    ``values`` is an array-like (len(sizes), n_seeds); non-finite entries make the fit NaN (a diverged run
    is reported, not hidden).
    """
    x = np.log(np.asarray(sizes, dtype=float))
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[:, None]
    if len(x) < 2 or v.shape[0] != len(x):
        raise ValueError(f"need >= 2 sizes and one row of values per size; got {len(x)} sizes, shape {v.shape}")
    if not np.all(np.isfinite(v)):
        nan = float("nan")
        return Slope(nan, nan, nan, len(x), v.shape[1], nan)
    logv = np.log(np.maximum(np.abs(v), FLOOR))
    y = logv.mean(axis=1)
    slope = float(_ols_slope(x, y))
    resid = y - (slope * (x - x.mean()) + y.mean())
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid ** 2).sum()) / ss if ss > 0 else 1.0
    S = v.shape[1]
    if S == 1:
        return Slope(slope, slope, slope, len(x), S, r2)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, S, size=(n_boot, len(x), S))  # resample seeds independently per width
    boot = np.take_along_axis(np.broadcast_to(logv, (n_boot,) + logv.shape), idx, axis=2).mean(axis=2)
    slopes = _ols_slope(x, boot)
    a = (1 - level) / 2
    lo, hi = np.quantile(slopes, [a, 1 - a])
    return Slope(slope, float(lo), float(hi), len(x), S, r2)


def verdict(predicted: float, fit: Slope, tol: float) -> str:
    """``"pass"`` iff the predicted exponent lies in the CI widened by ``tol`` on both sides."""
    if fit is None or not math.isfinite(fit.slope):
        return "fail"
    return "pass" if fit.lo - tol <= predicted <= fit.hi + tol else "fail"
