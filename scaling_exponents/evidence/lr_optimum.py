"""The optimal learning rate of a grid sweep and its drift across sizes (torch-free, numpy only).

What: :func:`optimum` takes the final losses of one size over a grid of learning rates and returns log2 of the
optimal LR -- the vertex of a quadratic in log2(LR) through the best grid point and its neighbours; :func:`drift`
fits the slope of log2(LR*) against log2(size) (log2 units per doubling) with a percentile bootstrap CI over seeds.
Why: muP's LR-transfer claim (TP5, arXiv 2203.03466, Sec. 1 and Fig. 1) is drift ~ 0; every transfer sweep
(``transfer`` on the reference models, :mod:`scaling_exponents.verifier.user_transfer` on a user's model) decides it
with these two functions.  Moved here from ``verifier/transfer.py`` (which re-exports them) so both sweeps share them
without an import cycle.
"""

from __future__ import annotations

import math

import numpy as np

#: Default base-LR grids of the transfer sweeps: powers of 2 (Adam 2^-12..2^-2, SGD 2^-6..2^3).
DEFAULT_LRS = {"adam": [2.0 ** k for k in range(-12, -1)], "sgd": [2.0 ** k for k in range(-6, 4)]}


def optimum(lrs, losses) -> float | None:
    """log2 of the optimal LR: vertex of a quadratic in log2(lr) through the best point and its neighbours
    (falls back to the best grid point at an edge or when the parabola opens downwards)."""
    x = np.log2(np.asarray(lrs, dtype=float))
    y = np.asarray(losses, dtype=float)
    ok = np.isfinite(y)
    if ok.sum() == 0:
        return None
    x, y = x[ok], y[ok]
    i = int(np.argmin(y))
    lo, hi = max(0, i - 2), min(len(x), i + 3)
    if hi - lo >= 3:
        a, b, _ = np.polyfit(x[lo:hi], y[lo:hi], 2)
        if a > 0:
            v = -b / (2 * a)
            return float(np.clip(v, x[lo], x[hi - 1]))
    return float(x[i])


def drift(sizes, lrs, losses, n_boot: int = 500, seed: int = 0) -> dict:
    """Slope of log2 LR* vs log2 size with a seed-bootstrap CI; ``losses[size][lr_index][seed]``."""
    xs = np.log2(np.asarray(sizes, dtype=float))
    arr = np.asarray([[losses[s][j] for j in range(len(lrs))] for s in sizes], dtype=float)  # (W, LR, S)
    arr = np.where(np.isfinite(arr), arr, np.inf)

    def slope(a):
        opts = [optimum(lrs, np.where(np.isfinite(a[w]), a[w], np.nan)) for w in range(len(sizes))]
        if any(o is None for o in opts):
            return float("nan"), opts
        return float(np.polyfit(xs, opts, 1)[0]), opts

    point, opts = slope(arr.mean(axis=2))
    rng = np.random.default_rng(seed)
    S = arr.shape[2]
    boots = []
    for _ in range(n_boot if S > 1 else 0):
        idx = rng.integers(0, S, S)
        boots.append(slope(arr[:, :, idx].mean(axis=2))[0])
    boots = [b for b in boots if math.isfinite(b)]
    lo, hi = (np.quantile(boots, [0.025, 0.975]) if boots else (point, point))
    return {"slope": point, "ci": [float(lo), float(hi)], "log2_lr_opt": opts}
