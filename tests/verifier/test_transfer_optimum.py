"""``verifier.transfer.optimum`` / ``drift``: the optimal LR is the vertex of the parabola in log2(lr) through the
best grid point and its neighbours, and the drift is the slope of those optima against log2(size).

Expected values: hand-computed. Losses (log2 lr - v)^2 + 1 on the grid 2^-10 .. 2^-2 have their vertex at v exactly
(a quadratic is fitted exactly); optima -6.3, -6.8, -7.3 at sizes 64, 128, 256 drift by -1/2 per doubling.

Kind: independent computation (closed-form vertex) plus planted-bug guard (a flipped vertex sign reads +6.3).
"""

from __future__ import annotations

import numpy as np
import pytest

from scaling_exponents.verifier.transfer import drift, optimum

LRS = [2.0 ** k for k in range(-10, -1)]


def _losses(v, seeds=1, noise=0.0, rng=None):
    x = np.log2(LRS)
    base = (x - v) ** 2 + 1.0
    if seeds == 1:
        return base.tolist()
    return [[b + (noise * rng.standard_normal() if rng is not None else 0.0) for _ in range(seeds)] for b in base]


@pytest.mark.parametrize("v", [-6.3, -4.75, -8.2])
def test_vertex_of_the_parabola(v):
    assert optimum(LRS, _losses(v)) == pytest.approx(v, abs=1e-9)


def test_edge_and_divergence_fall_back_to_the_grid():
    ys = _losses(-1.0)  # vertex beyond the largest LR: clipped to the fitted window's edge
    assert optimum(LRS, ys) == pytest.approx(-2.0)
    ys = [float("inf")] * len(LRS)
    assert optimum(LRS, ys) is None


def test_drift_of_known_optima():
    sizes = [64, 128, 256]
    losses = {s: _losses(v, seeds=3) for s, v in zip(sizes, (-6.3, -6.8, -7.3))}
    d = drift(sizes, LRS, losses)
    assert d["slope"] == pytest.approx(-0.5, abs=1e-9)
    assert d["log2_lr_opt"] == pytest.approx([-6.3, -6.8, -7.3], abs=1e-9)
    assert d["ci"][0] == pytest.approx(-0.5, abs=1e-9) and d["ci"][1] == pytest.approx(-0.5, abs=1e-9)
