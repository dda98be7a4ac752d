"""umup-ops against the running unit-scaling library: measured output / gradient scales of U.linear and the
residual tau rule follow the derived exponents.

Expected values come from an external library run live: unit-scaling 0.3.5 (``U.linear``,
``transformer_residual_scaling_rule``), compared with the derived umup-ops exponents; the predicted stds are an
independent computation (a sum of fan unit-variance products has std sqrt(fan), times the table's scale), within 5%
sampling error at the sizes used.
"""

import math

import pytest

torch = pytest.importorskip("torch")
U = pytest.importorskip("unit_scaling.functional")
core = pytest.importorskip("unit_scaling.core.functional")

from scaling_exponents.systems.registry import derive  # noqa: E402


def test_residual_tau_exponent():
    rule = core.transformer_residual_scaling_rule()
    t = derive("umup-ops")
    for frac in (0, 0.5, 1):  # first, middle, last branch: k = frac * 2L
        small, big = (rule(int(frac * (2 * L - 1)), 2 * L) for L in (8, 512))
        slope = math.log(big / small) / math.log(512 / 8)
        assert slope == pytest.approx(float(t.power("residual_branch", "tau", "depth")), abs=0.02)


@pytest.mark.parametrize("constraint,key", [("to_output_scale", "to_output_scale"), (None, "none")])
def test_linear_scales(constraint, key, two_torch_threads):
    t = derive("umup-ops", constraint=key)
    g = torch.Generator().manual_seed(0)
    b, fi, fo = 512, 256, 64
    x = torch.randn(b, fi, generator=g, requires_grad=True)
    w = torch.randn(fo, fi, generator=g, requires_grad=True)
    y = U.linear(x, w, None, constraint)
    y.backward(torch.randn(b, fo, generator=g))
    # predicted std = scale x sqrt(the variance the scale normalises): exponents from the derived table
    s_in = fi ** float(t.power("hidden", "grad_input_scale", "fan_in")) * \
        fo ** float(t.power("hidden", "grad_input_scale", "fan_out"))
    assert y.std().item() == pytest.approx(fi ** float(t.power("hidden", "forward_scale", "fan_in")) * fi ** 0.5,
                                           rel=0.05)
    assert x.grad.std().item() == pytest.approx(s_in * fo ** 0.5, rel=0.05)
    assert w.grad.std().item() == pytest.approx(b ** float(t.power("hidden", "grad_weight_scale", "batch")) * b ** 0.5,
                                                rel=0.05)
