"""Re-initialisation of a planned model (:func:`scaling_exponents.torch.initialise.initialise`, ``init`` of
``Parametrization``): ``"rescale"`` multiplies each weight by ``sqrt(fan_in/base_fan_in)`` x the table's ``init_std``
factor, a float resamples ``N(0, (sigma x factor)^2)`` with zero biases, a role with rows but no ``init_std`` row is
left as is, and a second rescale of the same model is refused.

Expected values (width 128 against base width 32, m = 4; the input dimension 16 does not scale):

* PyTorch's default Linear init is ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, std ``1/sqrt(3 fan_in)`` (torch.nn.Linear
  ``reset_parameters``), so the base model's hidden / readout std is ``1/sqrt(96)``;
* TP5 Table 8 (arXiv 2203.03466, microsoft/mup): hidden init var ``1/fan_in`` -> std ``1/sqrt(96) x m^-1/2``,
  readout init var constant (the ``1/n`` is its multiplier) -> std ``1/sqrt(96)``;
* TP5 Table 3: hidden std factor ``m^-1/2``, readout ``m^-1`` (init var ``1/fan_in^2``), embedding and biases 1.
  Rescale factors ``sqrt(m) x`` those: hidden 1, readout 1/2, hidden / readout biases 2 (PyTorch's bias init is
  ``∝ fan_in^-1/2`` too), embedding 1.

Sampled stds are checked within 3 standard errors of a std estimate (``~1/sqrt(2N)`` relative for N entries).

Kind: paper table (TP5 Tables 3 and 8) + independent computation (PyTorch's default std by hand).
"""

import math

import pytest
import torch
from torch import nn

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.initialise import LEFT_AS_IS, RESCALE_TYPES, initialise
from scaling_exponents.verifier.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BASE_STD = 1 / math.sqrt(3 * 32)  # PyTorch's default Linear std at the base fan_in 32


def model(seed=0):
    torch.manual_seed(seed)
    return MLP(16, 128, 8, depth=2)


def tol(n):  # 3 standard errors of a sample std over n entries, relative
    return 3 / math.sqrt(2 * n)


def test_rescale_multiplies_each_weight_by_sqrt_fan_in_ratio_times_the_table_factor():
    m = model()
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    p = Parametrization(m, "mup-table3", "adam", base_width=32)
    scales = {n: i.init_scale for n, i in p.records.items()}
    assert scales == {"embed.weight": 1.0, "embed.bias": 1.0, "hidden.0.weight": 1.0, "hidden.0.bias": 2.0,
                      "hidden.1.weight": 1.0, "hidden.1.bias": 2.0, "head.weight": 0.5, "head.bias": 2.0}
    for n, w in m.named_parameters():  # exactly the recorded multiple of the weight it had
        assert torch.equal(w.detach(), before[n] * scales[n]), n
        assert p.records[n].init_std == pytest.approx(float(w.detach().std()), rel=1e-6)


def test_rescaled_std_is_the_base_std_times_the_table8_factor():
    p = Parametrization(model(), "mup-table8", "adam", base_width=32)
    hidden, readout = p.records["hidden.0.weight"], p.records["head.weight"]
    assert hidden.init_std == pytest.approx(BASE_STD * 4 ** -0.5, rel=tol(128 * 128))  # var 1/fan_in
    assert readout.init_std == pytest.approx(BASE_STD, rel=tol(8 * 128))  # constant; the 1/n is the multiplier
    assert readout.multiplier == 0.25 and hidden.init_scale == 1.0 and readout.init_scale == 2.0


def test_a_float_init_resamples_sigma_times_the_factor_with_zero_biases():
    m = model()
    p = Parametrization(m, "mup-table3", "adam", base_width=32, settings={"init": 0.02})
    r = p.records
    assert r["embed.weight"].init_std == pytest.approx(0.02, rel=tol(128 * 16))
    assert r["hidden.1.weight"].init_std == pytest.approx(0.02 * 0.5, rel=tol(128 * 128))  # m^-1/2
    assert r["head.weight"].init_std == pytest.approx(0.02 * 0.25, rel=tol(8 * 128))  # m^-1
    assert (r["hidden.1.weight"].init_scale, r["head.weight"].init_scale) == (0.5, 0.25)
    for name in ("embed.bias", "hidden.0.bias", "hidden.1.bias", "head.bias"):
        assert not m.get_parameter(name).any(), name


def test_a_role_with_rows_but_no_init_std_row_is_left_as_is():
    """Muon (Keller Jordan) states only the LR: the weights keep PyTorch's init (issue 22), said in the notes."""
    m = model()
    before = {n: p.detach().clone() for n, p in m.named_parameters() if n.endswith("weight")}
    p = Parametrization(m, "muon-keller", "muon", base_width=32)
    assert f"{LEFT_AS_IS} (roles weight: no init_std row)" in p.notes
    for n, w in before.items():
        assert torch.equal(m.get_parameter(n).detach(), w), n
        assert p.records[n].init_scale == 1.0


def test_a_second_rescale_of_the_same_model_is_refused():
    m = model()
    Parametrization(m, "mup-table8", "adam", base_width=32)
    with pytest.raises(UserError, match=r"^'embed' was already rescaled by a Parametrization; pass init=None"):
        Parametrization(m, "mup-table8", "adam", base_width=32)
    w = m.hidden[0].weight.detach().clone()
    Parametrization(m, "mup-table8", "adam", base_width=32, settings={"init": None})  # re-applied, weights kept
    assert torch.equal(m.hidden[0].weight.detach(), w)


def test_constant_init_multiplies_by_the_table_factor_only():
    """A preset model drawn with a fixed std (Hugging Face): no sqrt(fan_in) correction, only the Table 3 factor."""
    plan = Parametrization(model(), "mup-table3", "adam", base_width=32).plan
    fresh = model()
    w = fresh.head.weight.detach().clone()
    changes, notes = initialise(plan, fresh, "rescale", constant_init=True)
    assert notes == []
    assert changes["hidden.0.weight"].init_scale == 0.5 and changes["head.weight"].init_scale == 0.25
    assert torch.equal(fresh.head.weight.detach(), w * 0.25)
    assert isinstance(fresh.head, RESCALE_TYPES) and not isinstance(nn.LayerNorm(4), RESCALE_TYPES)
