"""The optimal LR of a grid sweep and its drift across sizes.

Kind: independent computation -- losses are exact parabolas in log2(LR) built here, so the vertex is known:
``(log2 lr - v)^2`` has its optimum at ``v`` wherever ``v`` falls between grid points; optima at -5, -6, -7 over
sizes 64, 128, 256 drift by -1 (log2 units per doubling; muP's transfer claim, TP5 arXiv 2203.03466 Fig. 1, is 0).
"""

import math

import pytest

from scaling_exponents.evidence.lr_optimum import DEFAULT_LRS, drift, optimum

LRS = [2.0 ** k for k in range(-10, 0)]


def losses(v):
    return [(math.log2(lr) - v) ** 2 + 1.0 for lr in LRS]


@pytest.mark.parametrize("v", [-5.0, -6.3, -2.5])
def test_optimum_is_the_vertex_between_grid_points(v):
    assert optimum(LRS, losses(v)) == pytest.approx(v, abs=1e-9)


def test_optimum_at_the_grid_edge_is_the_edge_and_nan_losses_are_skipped():
    assert optimum(LRS, losses(3.0)) == pytest.approx(-1.0)  # beyond the grid: clipped to its last point
    assert optimum(LRS, [float("nan")] * len(LRS)) is None
    ls = losses(-5.0)
    ls[-1] = float("nan")  # a diverged run
    assert optimum(LRS, ls) == pytest.approx(-5.0)


def test_drift_of_a_halving_optimum_is_minus_one():
    sizes = [64, 128, 256]
    grid = {s: [[l, l + 0.01] for l in losses(v)] for s, v in zip(sizes, (-5.0, -6.0, -7.0))}  # two seeds
    d = drift(sizes, LRS, grid, n_boot=50)
    assert d["slope"] == pytest.approx(-1.0, abs=1e-6)
    assert d["log2_lr_opt"] == pytest.approx([-5.0, -6.0, -7.0], abs=1e-6)
    assert d["ci"][0] <= d["slope"] <= d["ci"][1]


def test_default_grids_are_powers_of_two():
    assert DEFAULT_LRS["adam"][0] == 2.0 ** -12 and DEFAULT_LRS["sgd"][-1] == 2.0 ** 3
