"""Calibrated verdicts (``evidence/verdicts.py``, ``evidence/calibrate.py``): local slopes, finite size, fails as
predicted, diagnosed and unexplained FAILs, and the classes ``summary_json`` / ``short_table`` carry.

Where the expected values come from: **independent computation** -- the synthetic values are built here with
known local slopes (each width's seeds are multiplied by exp(-e), 1, exp(+e), whose geometric mean is exactly 1,
so the seed-mean slopes equal the constructed ones while the bootstrap still sees spread); the extrapolation data
follow the stated model ``s = s_inf + c / sqrt(m)`` exactly.  Regimes: TP4 Thm 3.3 (arXiv 2011.14522) classifies
SP with a width-constant SGD LR (``tp4-sp-default``) unstable; Everett et al.'s LP (arXiv 2407.05872 Sec. 3)
gives SP under Adam a largest stable hidden LR n^-1, so TP5 Table 3's constant LR is unstable.

Kind: independent computation.
"""

from __future__ import annotations

import math

import pytest

from scaling_exponents.evidence.calibrate import classify_entry, table_regime, verdict_of
from scaling_exponents.evidence.diagnoses import Diagnosis
from scaling_exponents.evidence.summary import short_table, summary_json
from scaling_exponents.evidence.verdicts import (RowVerdict, classify_row, entry_verdict, extrapolate, instability,
                                                 local_slopes)

WIDTHS = [64, 128, 256, 512, 1024]
UMUP = [-0.28, -0.19, -0.14, -0.11]  # issue 22's measured local slopes of u-muP's hidden.0|act_delta


def _values(sizes, slopes, eps=0.02):
    """Per-size per-seed values whose seed geometric means have exactly the given local slopes."""
    out, logv = [], 0.0
    for i, n in enumerate(sizes):
        if i:
            logv += slopes[i - 1] * math.log(n / sizes[i - 1])
        e = eps * (1 + 0.3 * i)  # spread differs per size, so the bootstrap CIs are not degenerate
        out.append([math.exp(logv - e), math.exp(logv), math.exp(logv + e)])
    return out


def _row(slopes, predicted, sizes=WIDTHS, tol=0.15, verdict="fail", eps=0.02):
    vals = _values(sizes, slopes, eps)
    return {"layer": "hidden.0", "quantity": "act_delta", "predicted_value": predicted, "tol": tol,
            "verdict": verdict, "values": {str(n): v for n, v in zip(sizes, vals)}}


def test_local_slopes_are_the_constructed_ones_with_cis_around_them():
    loc = local_slopes(WIDTHS, _values(WIDTHS, UMUP))
    assert [s.slope for s in loc] == pytest.approx(UMUP, abs=1e-12)
    assert [(s.lo_size, s.hi_size) for s in loc] == [(64, 128), (128, 256), (256, 512), (512, 1024)]
    assert all(s.lo < s.slope < s.hi for s in loc) and all(s.hi - s.lo < 0.2 for s in loc)


def test_slopes_running_toward_zero_are_finite_size():
    v = classify_row(_row(UMUP, 0.0), param="umup", diagnoses=())
    assert (v.verdict, v.klass, v.label) == ("finite size", "finite size", "finite size")
    assert "-0.28, -0.19, -0.14, -0.11" in v.reason and len(v.local_slopes) == 4


def test_a_flat_wrong_slope_is_unexplained_and_a_diagnosis_explains_it():
    row = _row([0.3] * 4, 0.0)
    v = classify_row(row, param="sp", diagnoses=())
    assert (v.verdict, v.label) == ("fail", "fail: unexplained")
    d = Diagnosis("s*", "width", "mlp", "hidden.*|act_delta", "assumption broken", "omega is 1", "arXiv x", "f.csv:2")
    got = classify_row(row, param="sp", model="mlp", diagnoses=(d,))
    assert (got.label, got.reason, got.evidence) == ("fail: assumption broken", "omega is 1", "arXiv x (f.csv:2)")
    assert classify_row(row, param="sp", model="gpt", diagnoses=(d,)).klass == "unexplained"  # model must match


def test_slopes_moving_away_from_the_prediction_are_not_finite_size():
    # the sp head|act_delta pattern: rising away from a predicted 0
    assert classify_row(_row([0.09, 0.25, 0.45, 0.6], 0.0), param="sp", diagnoses=()).klass == "unexplained"


def test_a_step_away_beyond_the_noise_breaks_the_trend():
    # net approach (-0.5 -> -0.05) and the last pair holds 0, but the third pair jumps back to -0.4 outside the CIs
    assert classify_row(_row([-0.5, -0.1, -0.4, -0.05], 0.0, eps=0.005), param="x", diagnoses=()).klass == "unexplained"
    assert classify_row(_row([-0.5, -0.1, -0.12, -0.05], 0.0, eps=0.05), param="x", diagnoses=()).klass == "finite size"


def test_extrapolation_in_one_over_sqrt_n_reaches_the_prediction():
    mids = [math.sqrt(a * b) for a, b in zip(WIDTHS, WIDTHS[1:])]
    slopes = [0.0 - 8.0 / math.sqrt(m) for m in mids]  # s_inf = 0, last pair -0.30: outside its CI + tol
    vals = _values(WIDTHS, slopes, eps=0.005)
    s_inf, lo, hi = extrapolate(WIDTHS, vals)
    assert s_inf == pytest.approx(0.0, abs=1e-9) and lo <= 0.0 <= hi
    v = classify_row(_row(slopes, 0.0, eps=0.005), param="umup", diagnoses=())
    assert v.verdict == "finite size" and "extrapolated in 1/sqrt(n)" in v.reason
    assert extrapolate(WIDTHS[:3], vals[:3]) is None  # fewer than 3 pairs: no extrapolation


def test_pass_and_info_rows_keep_their_verdict():
    assert classify_row(_row(UMUP, 0.0, verdict="pass"), param="x").label == "pass"
    assert classify_row(_row(UMUP, 0.0, verdict="info"), param="x").label == "info"


def test_instability_comes_from_the_regime_or_the_expected_failure():
    assert instability("feature-learning") == instability("kernel") == instability(None) == ""
    assert instability("unstable", "arXiv 2011.14522 Thm 3.3; Thm 3.4") == "regime unstable, arXiv 2011.14522 Thm 3.3"
    assert instability("UNSTABLE: perturbation effect grows in readout").startswith("regime UNSTABLE")
    assert instability(expected="fails as its paper predicts: x") == "fails as its paper predicts: x"
    assert instability(expected="stable") == ""


@pytest.mark.parametrize("param,optimizer", [("tp4-sp-default", "sgd"), ("sp-table3", "adam"), ("sp-table3", "sgd")])
def test_sp_with_a_constant_lr_reads_fails_as_predicted(param, optimizer):
    regime, source = table_regime(param, optimizer)
    assert regime == "unstable" and source
    entry = {"param": param, "optimizer": optimizer, "model": "mlp", "rows": [_row([0.3] * 4, 1.0)]}
    (v,) = classify_entry(entry, diagnoses=()).values()
    assert v.label == "fails as predicted" and v.reason.startswith("regime unstable, arXiv")
    assert verdict_of({"a": v}) == "fails as predicted"


@pytest.mark.parametrize("param,optimizer", [("mup", "adam"), ("tp4-mup", "sgd"), ("mup-table8", "adam"),
                                             ("umup", "adam"), ("completep", "adamw"), ("muon", "muon")])
def test_a_mup_family_row_never_fails_as_predicted(param, optimizer):
    entry = {"param": param, "optimizer": optimizer, "model": "mlp", "rows": [_row([0.3] * 4, 0.0)]}
    (v,) = classify_entry(entry, diagnoses=()).values()
    assert v.label == "fail: unexplained"


def test_entry_verdict_is_the_worst_row():
    p, f = RowVerdict("pass", "pass"), RowVerdict("fail", "table wrong")
    fs, fp = RowVerdict("finite size", "finite size"), RowVerdict("fails as predicted", "fails as predicted")
    assert entry_verdict([p, fs]) == "finite size" and entry_verdict([p, fs, fp]) == "fails as predicted"
    assert entry_verdict([p, fs, fp, f]) == "fail" and entry_verdict([RowVerdict("info", "info")]) == "pass"


def test_summary_json_and_short_table_carry_the_classes():
    rows = [{**_row(UMUP, 0.0), "layer": "hidden.0"}, {**_row([0.3] * 4, 0.0), "layer": "head"},
            {**_row([0.0] * 4, 0.0, verdict="pass"), "layer": "embed"}]
    for r in rows:
        r.update(predicted="0", slope=0.0, ci=[0.0, 0.0], dimension="width")
    s = {"param": "mup", "optimizer": "adam", "model": "mlp", "status": "fail", "device": "cpu", "widths": WIDTHS,
         "seeds": 3, "steps": 3, "tol": 0.15, "passed": 1, "failed": 2, "rows": rows, "title": "t", "source": "s"}
    e = summary_json({"mup": s})["mup"]
    assert e["verdict"] == "fail"
    assert e["classes"] == {"hidden.0|act_delta": "finite size", "head|act_delta": "fail: unexplained"}
    assert [r["class"] for r in rows] == ["finite size", "fail: unexplained", "pass"]
    table = short_table({"mup": s}).splitlines()
    assert table[3].startswith("head") and table[3].endswith("fail (fail: unexplained)")
    assert table[2].endswith("fail (finite size)") and table[4].endswith("pass")
