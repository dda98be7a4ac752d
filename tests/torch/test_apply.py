"""``apply(plan, model)`` (torch/apply.py): init, readout zero init and multipliers from a plan; the input plan is
left as it was and what was done comes back as a new plan.

Kind: independent computation -- PyTorch's default Linear init is ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, std
``1/sqrt(3 fan_in)``; ``init="rescale"`` multiplies it by ``sqrt(fan_in / base fan_in)`` and the table's init factor
(TP5 arXiv 2203.03466 Table 3, Adam: hidden init std ``fan_in^-1/2``, factor ``(base/width)^(1/2)``), so the std is
recomputed here from those formulas and compared with the weights.
"""

from __future__ import annotations

import math

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization, ParamInfo
from scaling_exponents.torch.apply import apply
from scaling_exponents.verifier.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WIDTH, BASE = 256, 64  # as tests/torch/conftest.py (table3_plan)


def test_apply_rescales_pytorch_default_init_to_the_table_std(table3_plan):
    torch.manual_seed(0)
    model = MLP(8, WIDTH, 4, depth=2)
    plan = table3_plan(model)
    done = apply(plan, model)
    info = done.plan.records["hidden.0.weight"]
    # PyTorch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std 1/sqrt(3 fan_in); rescale multiplies by
    # sqrt(fan_in/base) (the base model's std) times the table's init factor (base/width)^(1/2): std 1/sqrt(3 width)
    want = 1 / math.sqrt(3 * WIDTH) * math.sqrt(WIDTH / BASE) * (BASE / WIDTH) ** 0.5
    assert info.init_scale == pytest.approx(1.0) and info.init_std == pytest.approx(want, rel=0.05)
    assert plan.records["hidden.0.weight"].init_std is None  # the input plan is unchanged
    assert float(model.hidden[0].weight.detach().std()) == pytest.approx(info.init_std, rel=1e-9)


def test_readout_zero_init_zeroes_the_readout_and_says_so(table3_plan):
    torch.manual_seed(0)
    model = MLP(8, WIDTH, 4, depth=2)
    done = apply(table3_plan(model), model, init=None, readout_zero_init=True)
    assert set(done.zeroed) == {"head.weight", "head.bias"}
    assert float(model.head.weight.detach().abs().max()) == 0.0 and done.plan.records["head.weight"].init_std == 0.0
    assert done.plan.records["hidden.0.weight"].init_std is None  # init=None: nothing else touched


def test_a_model_on_the_meta_device_is_refused_with_the_fix(table3_plan):
    with torch.device("meta"):
        model = MLP(8, WIDTH, 4, depth=2)
    with pytest.raises(UserError, match="meta device: init='rescale' has no weights.*init=None"):
        apply(table3_plan(model), model)


def test_the_front_door_equals_plan_apply_groups_by_hand(table3_plan):
    torch.manual_seed(0)
    a = MLP(8, WIDTH, 4, depth=2)
    b = MLP(8, WIDTH, 4, depth=2)
    b.load_state_dict(a.state_dict())
    pz = Parametrization(a, "mup-table3", "adam", width=WIDTH, base_width=BASE, lr=1e-2)
    done = apply(table3_plan(b), b)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert dict(pz.records) == dict(done.plan.records)
    assert isinstance(pz.records["head.weight"], ParamInfo)
