"""Weight-decay rules: predictions from the tables, the probe's timescale measurement, a tiny verify, bad input.

Expected values: Wang & Aitchison arXiv 2405.13698 (eta lambda ∝ 1/M: tau_iter ∝ M) and Fan et al. arXiv 2510.15262
(eta ∝ 1/d, lambda ∝ sqrt d: tau ∝ sqrt d; its sigma_max ∝ d^3/4 law gives fixed-ratio top_sv 3/4); the timescales
are an independent computation, tau = -1/log(1 - eta lambda) (99.5, 49.5 steps) and 1/(eta lambda) = 40 x sqrt 4 =
80. Regression (measured, no source): the 0.8-2.0 band around 80 and tau > 40 at width 32.
"""

import math

import pytest

torch = pytest.importorskip("torch")

from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.evidence.predict_decay import predict_decay  # noqa: E402
from scaling_exponents.systems.registry import derive  # noqa: E402
from scaling_exponents.theory.exponents import Q  # noqa: E402
from scaling_exponents.verifier.probes.decay import _tau, decay_run  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")
MLP_ANY = {"embed": "any", "hidden.0": "any", "head": "any"}
MLP_FAN = {"embed": "vector", "hidden.0": "matrix", "head": "vector"}


def _pred(preds):
    return {(p.layer, p.quantity): p.exponent for p in preds.items}


def test_predictions_follow_the_tables():
    # Wang & Aitchison (2405.13698): eta*lambda ∝ 1/M, width-independent -> tau_iter ∝ M, tau_epoch constant
    t = _pred(predict_decay(derive("adamw-timescale", "adamw"), MLP_ANY))
    assert t[("hidden.0", "tau_iter")] == 0 and t[("hidden.0", "tau_iter_vs_M")] == 1
    assert t[("hidden.0", "tau_epoch_vs_M")] == 0
    # Fan et al. (2510.15262): eta ∝ 1/d, lambda ∝ sqrt(d) -> tau = 1/(eta lambda) ∝ sqrt(d), sigma_max constant
    f = _pred(predict_decay(derive("wd-layerwise", "adamw"), MLP_FAN, ("vector",)))
    assert f[("hidden.0", "tau_iter")] == Q("1/2") and f[("hidden.0", "top_sv")] == 0
    assert not any(layer in ("embed", "head") for layer, _ in f)  # vector-like: lambda = 0, nothing to measure
    fr = _pred(predict_decay(derive("wd-layerwise", "adamw", rule="fixed-ratio"), MLP_FAN, ("vector",)))
    assert fr[("hidden.0", "top_sv")] == Q("3/4") and fr[("hidden.0", "tau_iter")] == 2
    with pytest.raises(UserError, match="decays none of the layers"):
        predict_decay(derive("wd-layerwise", "adamw"), {"embed": "vector"}, ("vector",))


def test_tau_fit():
    assert _tau([math.exp(-k / 37.0) for k in range(200)]) == pytest.approx(37.0, rel=1e-6)
    assert math.isnan(_tau([1.0, 0.01, 0.001]))


def test_probe_measures_torch_adamw_timescale():
    """With updates negligible next to the weights, the init overlap decays exactly as (1 - eta lambda)^k."""
    lr, wd = 1e-5, 1000.0  # eta*lambda = 0.01: tau = 1/-log(0.99) = 99.5 steps
    res = decay_run("adamw-timescale", "adamw", {}, 32, 32, 8, 16, {"embed": "any", "hidden.*": "any", "head": "any"},
                    (), lr, wd, 250, (0,), batch=8, depth=1)["metrics"]
    # M = 8 at base M = 16 doubles eta*lambda (the rule's lambda ∝ 1/M): tau = 1/-log(0.98) = 49.5 steps
    assert res["hidden.0|tau_iter"][0] == pytest.approx(-1 / math.log(1 - 0.02), rel=0.02)
    assert res["hidden.0|tau_epoch"][0] == pytest.approx(res["hidden.0|tau_iter"][0] / 8)


def test_layerwise_decay_groups_and_tiny_verify():
    from scaling_exponents.verifier.verify import Target
    from scaling_exponents.verifier.verify_decay import verify_decay_target

    s = verify_decay_target(Target("wd-layerwise", "adamw", "wd-layerwise"), widths=(32, 128), depth=1, seeds=2)
    rows = {(r["layer"], r["quantity"]): r for r in s["rows"]}
    assert set(rows) == {("hidden.0", "tau_iter"), ("hidden.0", "top_sv"), ("hidden.0", "W_rms")}
    assert rows[("hidden.0", "tau_iter")]["predicted"] == "1/2"
    tau = rows[("hidden.0", "tau_iter")]["values"]
    # 1/(eta lambda) = 40 x sqrt(4) = 80 steps at 4x the base width; small widths forget their init slower (measured)
    assert all(0.8 <= v / 80.0 <= 2.0 for v in tau["128"]) and min(tau["32"]) > 40
    assert s["steps"] == math.ceil(5 * 40 * 2)  # 5 timescales at 4x the base width: tau x sqrt(4)


def test_bad_input_is_one_line(capsys):
    from scaling_exponents.cli import main

    assert main(["verify", "-p", "wd-compute-optimal", "--out", "/tmp/_unused"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "wd-compute-optimal is not measurable" in err[0] and "2512.05620" in err[0]
    assert main(["verify", "-p", "adamw-timescale", "--model", "gpt", "--widths", "32,64", "--out", "/tmp/_u"]) == 2
    assert "--model mlp" in capsys.readouterr().err
