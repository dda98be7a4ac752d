"""Slope fits and verdicts (``evidence/fit.py``): level, seed average, tolerance, non-finite guard.

Where the expected values come from: **independent computation** in this file -- ``numpy.polyfit`` on the
per-width geometric mean (``statistics.geometric_mean``) for the point estimate, and the normal
approximation of the percentile bootstrap (Efron & Tibshirani 1993, Sec. 13.3: the bootstrap distribution of
a mean of S resampled values has variance = population variance / S; the 95% interval is +-1.960 sd, the
90% interval +-1.645 sd) for the interval width.  The verdict boundaries are the rule stated in the module
docstring (pass iff ``lo - tol <= predicted <= hi + tol``).  Each test was checked to fail on a planted bug
(see docs/testing.md, "planted bugs").
"""

import math
import statistics

import numpy as np
import pytest

from scaling_exponents.evidence.fit import Slope, fit_slope, verdict

WIDTHS = [32, 64, 128, 256]


def test_point_slope_is_ols_on_the_geometric_mean_over_seeds():
    # per-width spread grows with width, so the arithmetic mean has a different slope than the geometric one
    spread = {32: 1.0, 64: 2.0, 128: 4.0, 256: 8.0}
    vals = [[w ** -0.5 * spread[w] ** k for k in (-1, 0, 1)] for w in WIDTHS]
    x = np.log(WIDTHS)
    geo = np.polyfit(x, np.log([statistics.geometric_mean(v) for v in vals]), 1)[0]
    ari = np.polyfit(x, np.log([statistics.fmean(v) for v in vals]), 1)[0]
    assert geo == pytest.approx(-0.5, abs=1e-12)  # spread^-1 * spread^0 * spread^1: geometric mean w^-1/2
    assert ari - geo > 0.3  # the data separate the two averages
    f = fit_slope(WIDTHS, vals)
    assert f.slope == pytest.approx(geo, abs=1e-12)
    assert (f.n_widths, f.n_seeds) == (4, 3)


def test_r2_is_the_coefficient_of_determination_of_the_mean_log_fit():
    vals = [[1.0], [3.0], [2.5], [8.0]]
    x, y = np.log(WIDTHS), np.log([v[0] for v in vals])
    resid = y - np.polyval(np.polyfit(x, y, 1), x)
    want = 1 - (resid ** 2).sum() / ((y - y.mean()) ** 2).sum()
    f = fit_slope(WIDTHS, vals)
    assert f.r2 == pytest.approx(want, abs=1e-12) and f.r2 < 0.99
    assert f.lo == f.hi == f.slope  # one seed: no interval


@pytest.mark.parametrize("level, z", [(0.95, 1.959964), (0.90, 1.644854)])
def test_ci_half_width_matches_the_normal_approximation_of_the_bootstrap(level, z):
    rng = np.random.default_rng(1)
    S = 60
    logv = np.array([[-0.5 * math.log(w) + 0.3 * rng.standard_normal() for _ in range(S)] for w in WIDTHS])
    x = np.log(WIDTHS)
    cw = (x - x.mean()) / ((x - x.mean()) ** 2).sum()
    sd = math.sqrt(float((cw ** 2 * logv.var(axis=1) / S).sum()))  # population variance / S per width
    kw = {} if level == 0.95 else {"level": level}  # the default level must be 95%
    f = fit_slope(WIDTHS, np.exp(logv), n_boot=4000, **kw)
    half = (f.hi - f.lo) / 2
    # quantile noise with 4000 draws is ~0.05 sd; 1.96 and 1.645 are 0.32 sd apart
    assert half / sd == pytest.approx(z, abs=0.12)
    assert f.lo < f.slope < f.hi


def test_default_bootstrap_is_seeded_and_reproducible():
    vals = [[w ** -1 * (1 + 0.1 * k) for k in range(4)] for w in WIDTHS]
    a, b = fit_slope(WIDTHS, vals), fit_slope(WIDTHS, vals)
    assert (a.lo, a.hi) == (b.lo, b.hi)
    assert fit_slope(WIDTHS, vals, seed=5).lo != a.lo


@pytest.mark.parametrize("predicted, tol, want", [
    (1.09, 0.1, "pass"), (1.11, 0.1, "fail"), (-0.09, 0.1, "pass"), (-0.11, 0.1, "fail"),
    (1.0, 0.0, "pass"), (0.0, 0.0, "pass"), (1.01, 0.0, "fail"), (-0.01, 0.0, "fail"),
    (1.29, 0.3, "pass"), (1.31, 0.3, "fail"),
])
def test_verdict_widens_the_ci_by_exactly_tol(predicted, tol, want):
    f = Slope(0.5, 0.0, 1.0, 4, 3, 1.0)
    assert verdict(predicted, f, tol) == want


def test_default_tolerance_is_the_documented_one():
    # regression: the project's own choice (`verify --help`: "default 0.15"); doubling it hides real failures
    from scaling_exponents.verifier.verify import DEFAULT_TOL

    assert DEFAULT_TOL == 0.15


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_values_make_every_field_nan(bad):
    vals = [[1.0, 1.1], [0.5, bad], [0.25, 0.3], [0.12, 0.13]]
    f = fit_slope(WIDTHS, vals)
    # without the guard the r2 of a NaN fit reads 1.0 (``ss > 0`` is False for NaN) and the slope of +-inf is NaN
    assert all(math.isnan(v) for v in (f.slope, f.lo, f.hi, f.r2)), f
    assert (f.n_widths, f.n_seeds) == (4, 2)
    assert verdict(0.0, f, 1e9) == "fail"


def test_verdict_of_a_nan_slope_fails_even_with_a_finite_interval():
    assert verdict(0.0, Slope(float("nan"), -1.0, 1.0, 4, 3, float("nan")), 0.5) == "fail"
    assert verdict(0.0, None, 0.5) == "fail"


def test_zeros_are_floored_not_minus_infinity():
    f = fit_slope(WIDTHS, [[0.0, 0.0]] * 4)
    assert f.slope == 0.0 and f.r2 == 1.0  # an un-updated layer: log(FLOOR) at every width, slope 0


@pytest.mark.parametrize("sizes, values, match", [
    ([32], [[1.0]], "need >= 2 sizes"),
    ([32, 64], [[1.0], [2.0], [3.0]], r"got 2 sizes, shape \(3, 1\)"),
])
def test_bad_shapes_name_the_sizes(sizes, values, match):
    with pytest.raises(ValueError, match=match):
        fit_slope(sizes, values)


def test_two_sizes_are_enough_and_one_dimensional_values_are_one_seed():
    f = fit_slope([64, 256], [1.0, 0.25])  # 1-D: one value per size
    assert f.slope == pytest.approx(-1.0, abs=1e-12) and (f.n_widths, f.n_seeds) == (2, 1)
    assert fit_slope([64, 256], [[1.0], [0.25]]) == f


def test_single_seed_fit_reports_its_sizes_and_r2_below_one_for_small_spread():
    f = fit_slope(WIDTHS, [[1.0], [1.3], [1.2], [1.5]])  # sum of squares of log values < 1
    x, y = np.log(WIDTHS), np.log([1.0, 1.3, 1.2, 1.5])
    resid = y - np.polyval(np.polyfit(x, y, 1), x)
    assert ((y - y.mean()) ** 2).sum() < 1
    assert f.r2 == pytest.approx(1 - (resid ** 2).sum() / ((y - y.mean()) ** 2).sum(), abs=1e-12) and f.r2 < 0.95
    assert (f.n_widths, f.n_seeds) == (4, 1) and f.lo == f.hi == f.slope


def test_two_seeds_give_an_interval_around_the_point_slope_from_both_seeds():
    # seed 0 decays as w^-1, seed 1 as w^0: the point slope (geometric mean) is -1/2.  Seeds are resampled per
    # width, so the interval is wide and contains -1/2 strictly; resampling one seed only would give one value
    vals = [[w ** -1.0, 1.0] for w in WIDTHS]
    f = fit_slope(WIDTHS, vals)
    assert f.slope == pytest.approx(-0.5, abs=1e-12) and f.n_seeds == 2
    assert f.lo < -1.0 and f.hi > 0.0


def test_defaults_are_1000_draws_and_seed_0():
    """The stored CIs of earlier runs are reproducible only if the documented defaults stay."""
    vals = [[w ** -0.5 * (1 + 0.2 * k) for k in range(3)] for w in WIDTHS]
    assert fit_slope(WIDTHS, vals) == fit_slope(WIDTHS, vals, n_boot=1000, seed=0)


def test_missing_values_are_non_finite():
    f = fit_slope(WIDTHS, [[1.0, 1.1], [0.5, None], [0.25, 0.3], [0.12, 0.13]])  # a run that wrote no number
    assert math.isnan(f.slope) and math.isnan(f.r2)


def test_to_dict_schema():
    assert Slope(-0.5, -0.6, -0.4, 4, 3, 0.99).to_dict() == {"slope": -0.5, "ci": [-0.6, -0.4], "n_widths": 4,
                                                            "n_seeds": 3, "r2": 0.99}
