"""Plan / apply / the front door: ``Plan.from_table`` makes frozen records without touching the model,
``apply(plan, model)`` realises them, and ``Parametrization`` keeps a short signature (issue 25).

Kind: paper table -- the planned factors are TP5 (arXiv 2203.03466) Table 3's for Adam at 4x the base width
(hidden init std x (1/4)^(1/2), hidden and readout LR x 1/4, readout init std x 1/4); apply's re-initialised std is
checked by independent computation (PyTorch's default Linear std ``1/sqrt(3 fan_in)`` times the table factor times
``sqrt(fan_in/base fan_in)``); the signature limit is the issue's "at most 10 parameters".
"""

from __future__ import annotations

import dataclasses
import inspect
import math

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization, ParamInfo
from scaling_exponents.torch.apply import apply
from scaling_exponents.torch.plan import Plan
from scaling_exponents.torch.roles import resolve_roles
from scaling_exponents.torch.settings import Settings, sizes_from
from scaling_exponents.torch.shapes import BaseShapes
from scaling_exponents.torch.tables import resolve_table
from scaling_exponents.verifier.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WIDTH, BASE = 256, 64


def _plan(model):
    table = resolve_table("mup-table3", "adam", None, {})
    shapes = BaseShapes(table, model, WIDTH, BASE, None, None, None, None, {})
    return Plan.from_table(table, model, resolve_roles(model), shapes)


def test_from_table_gives_tp5_table3_factors_and_leaves_the_weights_alone():
    torch.manual_seed(0)
    model = MLP(8, WIDTH, 4, depth=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    plan = _plan(model)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    hidden, head = plan.records["hidden.0.weight"], plan.records["head.weight"]
    assert (hidden.role, head.role) == ("hidden", "readout")
    assert hidden.lr_scale == pytest.approx(BASE / WIDTH) and head.lr_scale == pytest.approx(BASE / WIDTH)
    assert plan.factor("hidden", "init_std", hidden) == pytest.approx((BASE / WIDTH) ** 0.5)
    assert plan.factor("readout", "init_std", head) == pytest.approx(BASE / WIDTH)
    assert hidden.width == (WIDTH, BASE) and hidden.init_std is None  # planned, not applied


def test_records_are_frozen_and_replace_makes_a_new_plan():
    model = MLP(8, WIDTH, 4, depth=2)
    plan = _plan(model)
    info = plan.records["hidden.0.weight"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.lr_scale = 1.0
    with pytest.raises(TypeError):
        plan.records["hidden.0.weight"] = info
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.table = None
    new = plan.replace_records({"hidden.0.weight": dataclasses.replace(info, lr_scale=0.5)})
    assert new.records["hidden.0.weight"].lr_scale == 0.5 and plan.records["hidden.0.weight"].lr_scale == BASE / WIDTH
    with pytest.raises(UserError, match="no parameters"):
        plan.replace_records({"nope": info})


def test_apply_rescales_pytorch_default_init_to_the_table_std():
    torch.manual_seed(0)
    model = MLP(8, WIDTH, 4, depth=2)
    plan = _plan(model)
    done = apply(plan, model)
    info = done.plan.records["hidden.0.weight"]
    # PyTorch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std 1/sqrt(3 fan_in); rescale multiplies by
    # sqrt(fan_in/base) (the base model's std) times the table's init factor (base/width)^(1/2): std 1/sqrt(3 width)
    want = 1 / math.sqrt(3 * WIDTH) * math.sqrt(WIDTH / BASE) * (BASE / WIDTH) ** 0.5
    assert info.init_scale == pytest.approx(1.0) and info.init_std == pytest.approx(want, rel=0.05)
    assert plan.records["hidden.0.weight"].init_std is None  # the input plan is unchanged
    assert float(model.hidden[0].weight.detach().std()) == pytest.approx(info.init_std, rel=1e-9)


def test_the_front_door_has_at_most_ten_parameters():
    params = inspect.signature(Parametrization.__init__).parameters
    assert len(params) <= 10, list(params)  # self included (the issue counted 26 with self)


def test_size_spellings_are_one_thing_and_a_misspelled_keyword_is_named():
    assert sizes_from({"width": 256, "base_width": 64}) == sizes_from({"width": (256, 64)})
    assert sizes_from({"sizes": {"width": (256, 64)}}) == sizes_from({"width": (256, 64)})
    assert sizes_from({"experts": (8, 2)}).other == {"experts": (8, 2)}
    with pytest.raises(TypeError, match="'widht'; did you mean 'width'"):
        Parametrization(MLP(8, 64, 4), "mup-table3", widht=64, base_width=16)
    with pytest.raises(TypeError, match="'init'; it is a field of settings="):
        Parametrization(MLP(8, 64, 4), "mup-table3", base_width=16, init=None)
    with pytest.raises(UserError, match="'experts' needs both its size and its base"):
        sizes_from({"experts": 8})
    with pytest.raises(UserError, match="contradicts"):
        sizes_from({"width": 256, "sizes": {"width": (128, 64)}})


def test_settings_are_frozen_and_a_bad_key_is_named():
    s = Settings.of({"weight_decay": 0.1, "no_weight_decay": "norm"})
    assert s.no_weight_decay == ("norm",) and Settings.of(s) is s and Settings.of(None) == Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.weight_decay = 0.0
    with pytest.raises(UserError, match="settings has no field 'initt'; did you mean 'init'"):
        Settings.of({"initt": None})


def test_the_front_door_equals_plan_apply_groups_by_hand():
    torch.manual_seed(0)
    a = MLP(8, WIDTH, 4, depth=2)
    b = MLP(8, WIDTH, 4, depth=2)
    b.load_state_dict(a.state_dict())
    pz = Parametrization(a, "mup-table3", "adam", width=WIDTH, base_width=BASE, lr=1e-2)
    done = apply(_plan(b), b)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert dict(pz.records) == dict(done.plan.records)
    assert isinstance(pz.records["head.weight"], ParamInfo)
