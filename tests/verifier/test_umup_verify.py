"""`verify -p umup`: the table on the reference MLP (fan rows restated as width exponents), its depth rows at
--depth/--base-depth, and u-muP's own claim on graphcore's unit-scaled transformer (arXiv 2407.17465).

Expected values: the u-muP table (arXiv 2407.17465; read from the authors' slides 21/39, the paper's table number
UNVERIFIED): hidden A = C = fan_in^-1/2, readout A = 1/fan_in, embedding C = fan_out^-1/2, depth^-1/2; the library
side is unit-scaling 0.3.5 run live (B_W = 1, its LR scale = the table's factor); measured slopes within 0.05-0.15
at tiny sizes.

Kind: paper table (arXiv 2407.17465, slides; number UNVERIFIED); external library (unit-scaling 0.3.5 run live).
"""

import math

import pytest
import sympy

from scaling_exponents.evidence import predict as P
from scaling_exponents.evidence.fans import width_view
from scaling_exponents.evidence.predict_unit import predict_unit
from scaling_exponents.evidence.summary import predictions_for
from scaling_exponents.systems.registry import derive
from scaling_exponents.verifier.probes.unit_scale import unit_scale_run
from scaling_exponents.verifier.unit_verify import verify_unit
from scaling_exponents.verifier.verify import Target, verify_target

pytestmark = pytest.mark.usefixtures("two_torch_threads")
H = sympy.Rational(1, 2)
UMUP = derive("umup", "adam")


def test_fan_rows_restated_on_the_mlp():
    v = width_view(UMUP, P.mlp_layers(2))
    # u-muP table (slides 21/39): hidden A = fan_in^-1/2, C = fan_in^-1/2; readout A = fan_in^-1; embedding C = fan_out^-1/2
    assert v.power("hidden", "multiplier") == -H and v.power("hidden", "lr") == -H
    assert v.power("readout", "multiplier") == -1 and v.power("readout", "lr") == 0
    assert v.power("embedding", "lr") == -H and v.power("embedding", "init_std") == 0
    assert v.power("hidden", "lr", "depth") == -H  # depth rows kept
    preds = predictions_for(UMUP, "mlp", 2, "adam")
    got = {(p.layer, p.quantity): p.exponent for p in preds.items}
    assert got[("embed", "act_delta")] == -H  # u-muP's embedding LR rule: its update vanishes with width
    assert got[("hidden.0", "dW_rms")] == -1 and got[("head", "act_init")] == -H


def test_width_sweep_applies_depth_rows_at_the_base_depth():
    s = verify_target(Target("umup", "adam", "umup"), widths=(32, 128), depth=1, seeds=2, steps=1, batch=16,
                      nngp=False)
    rows = {(r["layer"], r["quantity"]): r for r in s["rows"]}
    assert rows[("hidden.0", "dW_rms")]["slope"] == pytest.approx(-1, abs=0.05)
    assert rows[("hidden.0", "dW_rms")]["verdict"] == "pass"
    assert rows[("head", "W_spec")]["slope"] == pytest.approx(-0.5, abs=0.1)


def test_library_is_unit_scaled_and_matches_the_derived_table():
    m = unit_scale_run(32, 2, seeds=(0,), batch=4, block=8)["metrics"]
    assert m["weights|w_rms"][0] == pytest.approx(1, rel=0.05)  # B_W = 1
    assert 0.5 < m["embedding|act_rms"][0] < 2 and 0.5 < m["hidden|act_rms"][0] < 2
    # the library's Adam LR scale equals the derived table's absolute factor (hidden: fan_in^-1/2 depth^-1/2)
    want = UMUP.combined_factor("hidden", "lr", {"fan_in": (32, 1), "depth": (2, 1)})
    assert m["hidden|lib_lr"][0] == pytest.approx(want, rel=1e-9)
    assert m["readout|lib_lr"][0] == pytest.approx(UMUP.combined_factor("readout", "lr", {"fan_in": (32, 1)}))
    assert m["readout|lib_multiplier"][0] == pytest.approx(1 / 32, rel=0.25)  # readout A = 1/fan_in


def test_unit_scale_predictions_and_tiny_sweep():
    w = {(p.layer, p.quantity): p.exponent for p in predict_unit(UMUP, "width").items}
    d = {(p.layer, p.quantity): p.exponent for p in predict_unit(UMUP, "depth").items}
    assert w[("hidden", "act_rms")] == 0 and w[("head", "act_rms")] == -H and w[("readout", "lib_multiplier")] == -1
    assert d[("residual_branch", "lib_tau")] == -H and d[("hidden", "lib_lr")] == -H and d[("embedding", "lib_lr")] == 0
    res = verify_unit(Target("umup", "adam", "umup"), UMUP, widths=(16, 64), depths=(1, 2), width=16, depth=1,
                      seeds=2)
    assert set(res) == {"umup@unit-width", "umup@unit-depth"}
    rows = {(r["layer"], r["quantity"]): r for r in res["umup@unit-width"]["rows"]}
    assert rows[("weights", "w_rms")]["verdict"] == "pass"
    assert rows[("hidden", "lib_lr")]["slope"] == pytest.approx(-0.5, abs=1e-6)
    assert rows[("readout", "lib_multiplier")]["slope"] == pytest.approx(-1, abs=0.15)
    assert all(math.isfinite(r["slope"]) for s in res.values() for r in s["rows"])
