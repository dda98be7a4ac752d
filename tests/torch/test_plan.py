"""``Plan.from_table`` (torch/plan.py): frozen per-parameter records, made without touching the model (issue 25).

Kind: paper table -- the planned factors are TP5 (arXiv 2203.03466) Table 3's for Adam at 4x the base width
(hidden init std x (1/4)^(1/2), hidden and readout LR x 1/4, readout init std x 1/4).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch.plan import Plan
from scaling_exponents.verifier.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WIDTH, BASE = 256, 64  # as tests/torch/conftest.py (table3_plan)


def test_from_table_gives_tp5_table3_factors_and_leaves_the_weights_alone(table3_plan):
    torch.manual_seed(0)
    model = MLP(8, WIDTH, 4, depth=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    plan = table3_plan(model)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    hidden, head = plan.records["hidden.0.weight"], plan.records["head.weight"]
    assert (hidden.role, head.role) == ("hidden", "readout")
    assert hidden.lr_scale == pytest.approx(BASE / WIDTH) and head.lr_scale == pytest.approx(BASE / WIDTH)
    assert plan.factor("hidden", "init_std", hidden) == pytest.approx((BASE / WIDTH) ** 0.5)
    assert plan.factor("readout", "init_std", head) == pytest.approx(BASE / WIDTH)
    assert hidden.width == (WIDTH, BASE) and hidden.init_std is None  # planned, not applied


def test_records_are_frozen_and_replace_makes_a_newtable3_plan(table3_plan):
    model = MLP(8, WIDTH, 4, depth=2)
    plan = table3_plan(model)
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





