"""Verifier: derived predictions vs measured slopes on tiny CPU sweeps (MLP on digits, widths 32..256).

Where the expected values come from: the **derived predictions** (exponents from the tables, TP4 r_l from tp4
tables) compared with **measured** slopes on tiny CPU sweeps; the thresholds are stated beside each assertion.

Kind: paper table (the derived exponents, which equal the oracle tables) against measured slopes.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scaling_exponents.theory.exponents import Q  # noqa: E402
from scaling_exponents.evidence import predict as P  # noqa: E402
from scaling_exponents.evidence.fit import fit_slope, verdict  # noqa: E402
from scaling_exponents.verifier.verify import Target, verify_target  # noqa: E402

WIDTHS = [32, 64, 128, 256]


def rows_of(summary):
    return {(r["layer"], r["quantity"]): r for r in summary["rows"]}


pytestmark = pytest.mark.usefixtures("two_torch_threads")


def test_predictions_are_derived_from_the_table():
    mup = P.predict_named("mup", "adam")
    assert all(p.exponent == 0 for p in mup.items if p.quantity == "act_delta")
    assert mup.get("head", "act_init").exponent == Q("-1/2")  # muP logits vanish at init
    # spectral condition (2310.17813): muP meets it for every layer's ||W|| and ||dW||
    assert all(p.exponent == p.spectral_condition for p in mup.items if p.spectral_condition is not None)
    sp_const = P.predict_named("sp-table3", "adam")  # SP with width-independent Adam LR
    assert [sp_const.get(f"hidden.{i}", "act_delta").exponent for i in range(2)] == [1, 2]
    # SGD + full alignment reproduces TP4's r_l (Prop. 5.3) stored in the tp4 tables
    from scaling_exponents.systems.registry import derive

    for name in ("tp4-ntk", "tp4-sp", "tp4-mup"):
        t = derive(name)
        pr = P.predict(t, P.mlp_layers(2))
        assert isinstance(t.derived.get("r_l"), dict) and t.derived["r_l"], name  # no silent skip
        tp4 = [Q(v) for v in t.derived["r_l"].values()]
        assert [pr.r[f"r_{l + 1}"] for l in range(len(tp4))] == tp4, name
    assert P.predict_named("tp4-ntk").get("features", "kernel_move").exponent == -1


def test_fit_recovers_a_known_slope():
    rng = np.random.default_rng(0)
    widths = [32, 64, 128, 256]
    vals = [[w ** -0.5 * math.exp(0.05 * rng.standard_normal()) for _ in range(6)] for w in widths]
    f = fit_slope(widths, vals)
    assert f.lo <= -0.5 <= f.hi and abs(f.slope + 0.5) < 0.05
    assert verdict(-0.5, f, 0.0) == "pass" and verdict(0.0, f, 0.1) == "fail"
    assert math.isnan(fit_slope(widths, [[1.0], [float("nan")], [1.0], [1.0]]).slope)


def test_mup_passes_its_predicted_slopes():
    s = verify_target(Target("mup", "adam", "mup:adam"), widths=[64, 128, 256], seeds=3, nngp=False)
    rows = rows_of(s)
    for layer in ("embed", "hidden.0", "hidden.1", "head"):
        for q in ("act_init", "act_delta", "dW_spec"):
            r = rows[(layer, q)]
            assert r["verdict"] == "pass", r
    assert abs(rows[("hidden.1", "act_delta")]["slope"]) < 0.15
    assert s["status"] == "pass", [r for r in s["rows"] if r["verdict"] == "fail"]


def test_sp_with_width_constant_adam_lr_blows_up_where_theory_says():
    s = verify_target(Target("sp-table3", "adam", "sp-table3:adam"), widths=WIDTHS, seeds=3, nngp=False)
    rows = rows_of(s)
    assert rows[("embed", "act_delta")]["verdict"] == "pass"  # r_1 = 0: the input layer is fine
    for layer in ("hidden.0", "hidden.1", "head"):
        r = rows[(layer, "act_delta")]
        assert r["theory"] == "blows up" and r["ci"][0] > 0.3, r  # grows with width: the muP claim n^0 fails
    assert s["status"] == "fail"


def test_ntk_features_move_less_with_width_and_nngp_error_decays():
    s = verify_target(Target("tp4-ntk", "sgd", "tp4-ntk:sgd"), widths=WIDTHS, seeds=3, nngp=True)
    rows = rows_of(s)
    for layer in ("embed", "hidden.0", "hidden.1"):
        r = rows[(layer, "act_delta")]
        assert r["predicted"] == "-1/2" and -0.7 < r["slope"] < -0.25, r
    km = rows[("features", "kernel_move")]
    assert km["verdict"] == "pass" and km["slope"] < -0.6, km  # lazy regime: kernel freezes as width grows
    nngp = rows[("model", "nngp_err")]
    assert nngp["verdict"] == "pass" and -0.8 < nngp["slope"] < -0.35, nngp
