"""A table with no ``init_std`` row for a role leaves that role's init as it is under ``init="rescale"``
(issue 22: the Muon-convention tables state only LRs; reading "no row" as "constant std" rescaled every matrix by
sqrt(fan_in/base)).  Tables WITH init rows are unchanged (muP: hidden std ∝ fan_in^-1/2 relative to the base).

Kind: external library (PyTorch's default ``nn.Linear`` init, U(±1/sqrt(fan_in)), std 1/sqrt(3 fan_in)) and
independent computation (the rescale factor sqrt(fan_in/base_fan_in) x init_std factor, by hand).
"""

import math

import torch

from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import MLP


def _hidden_std(param, optimizer, width=256, base=64, seed=0):
    torch.manual_seed(seed)
    model = MLP(16, width, 10, depth=2, bias=False)
    before = model.hidden[0].weight.detach().clone()
    pz = Parametrization(model, param, optimizer=optimizer, width=width, base_width=base, depth=2, base_depth=2)
    return before, model.hidden[0].weight.detach(), pz


def test_table_without_init_rows_keeps_pytorch_init():
    before, after, pz = _hidden_std("muon-keller", "muon")
    assert torch.equal(before, after)  # bit-identical: not multiplied at all
    assert float(after.std()) == pytest_approx(1 / math.sqrt(3 * 256), 0.03)
    assert pz.records["hidden.0.weight"].init_scale == 1.0
    assert "init: table states none, left as is" in pz.explain()


def test_table_with_init_rows_still_rescales():
    # TP5 Table 8 (mup-table8, arXiv 2203.03466): hidden init_std ∝ fan_in^-1/2 -> sqrt(256/64) x (256/64)^-1/2 = 1;
    # readout init_std row with power 0 ("constant std", a stated row) -> sqrt(256/64) = 2, as before the change
    torch.manual_seed(0)
    model = MLP(16, 256, 10, depth=2, bias=False)
    hidden0, head0 = model.hidden[0].weight.detach().clone(), model.head.weight.detach().clone()
    pz = Parametrization(model, "mup-table8", optimizer="adam", width=256, base_width=64, depth=2, base_depth=2)
    assert pz.records["hidden.0.weight"].init_scale == pytest_approx(1.0, 1e-12)
    assert pz.records["head.weight"].init_scale == pytest_approx(2.0, 1e-12)
    assert torch.allclose(model.head.weight.detach(), head0 * 2.0)
    assert torch.allclose(model.hidden[0].weight.detach(), hidden0)
    assert "left as is" not in pz.explain()


def pytest_approx(x, rel):
    import pytest

    return pytest.approx(x, rel=rel)
