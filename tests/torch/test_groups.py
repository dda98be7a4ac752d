"""``param_groups(plan, model, ...)``: a pure function from a plan to optimizer groups (torch/groups.py).

Kind: paper table -- group LRs are the base LR times the table's factor, checked against TP5 (arXiv 2203.03466)
Table 3 for Adam at 4x the base width (input weights and biases: LR 1; hidden and output weights: LR ``1/fan_in``,
so x base_width/width = 1/4); weight-decay modes against the formulas in torch/groups.py's docstring (decoupled/
coupled ``wd x wd_scale``, independent ``wd x wd_scale / group lr``, Wortsman et al. arXiv 2309.14322); purity by
independent computation (the plan, the model's weights and a second call are compared with the first).
"""

from __future__ import annotations

import copy

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.theory.table import ExponentTable, Row, Source
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.groups import param_groups
from scaling_exponents.verifier.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WIDTH, BASE, LR = 64, 16, 1e-2


def _plan(table="mup-table3", width=WIDTH):
    torch.manual_seed(0)
    model = MLP(8, width, 4, depth=2)
    return Parametrization(model, table, "adam", width=width, base_width=BASE, lr=LR).plan, model


def _by_role(groups):
    return {g["role"]: g for g in groups}


def test_group_lrs_are_base_lr_times_tp5_table3_adam_factors():
    plan, model = _plan()
    groups = _by_role(param_groups(plan, model, lr=LR))
    # TP5 Table 3, Adam: input weights & biases LR 1, hidden LR 1/fan_in, output LR 1/fan_in (fan_in = width)
    assert groups["embedding"]["lr"] == pytest.approx(LR, rel=1e-12)
    assert groups["bias"]["lr"] == pytest.approx(LR, rel=1e-12)
    assert groups["hidden"]["lr"] == pytest.approx(LR * BASE / WIDTH, rel=1e-12)
    assert groups["readout"]["lr"] == pytest.approx(LR * BASE / WIDTH, rel=1e-12)
    assert groups["hidden"]["lr_scale"] == pytest.approx(0.25) and groups["hidden"]["base_lr"] == LR
    named = {n for g in groups.values() for n in g["param_names"]}
    assert named == {n for n, _ in model.named_parameters()}


def test_the_base_lr_is_an_argument_not_part_of_the_plan():
    plan, model = _plan()
    a, b = _by_role(param_groups(plan, model, lr=1e-2)), _by_role(param_groups(plan, model, lr=3e-3))
    assert b["hidden"]["lr"] == pytest.approx(3e-3 * BASE / WIDTH, rel=1e-12)
    assert a["hidden"]["lr"] / a["embedding"]["lr"] == pytest.approx(b["hidden"]["lr"] / b["embedding"]["lr"])


def test_pure_same_groups_twice_and_neither_plan_nor_model_changes():
    plan, model = _plan()
    records, weights = dict(plan.records), copy.deepcopy(model.state_dict())
    first = param_groups(plan, model, lr=LR, weight_decay=0.1, mode="independent")
    second = param_groups(plan, model, lr=LR, weight_decay=0.1, mode="independent")
    strip = [{k: v for k, v in g.items() if k != "params"} for g in first]
    assert strip == [{k: v for k, v in g.items() if k != "params"} for g in second]
    assert [[id(p) for p in g["params"]] for g in first] == [[id(p) for p in g["params"]] for g in second]
    assert first[0] is not second[0] and first[0]["params"] is not second[0]["params"]  # fresh lists each call
    assert dict(plan.records) == records
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())


def test_weight_decay_modes_follow_the_documented_formulas():
    table = ExponentTable("toy", None, None, Source("toy"), [
        Row("hidden", "lr", "width", -1), Row("hidden", "weight_decay", "width", 1)])
    plan, model = _plan(table)
    ratio = WIDTH / BASE
    for mode, want in [("decoupled", 0.1 * ratio), ("coupled", 0.1 * ratio), ("independent", 0.1 * ratio / (LR / ratio))]:
        hidden = _by_role(param_groups(plan, model, lr=LR, weight_decay=0.1, mode=mode))["hidden"]
        assert hidden["weight_decay"] == pytest.approx(want, rel=1e-12), mode
    off = _by_role(param_groups(plan, model, lr=LR, weight_decay=0.1, no_weight_decay=("hidden",)))
    assert off["hidden"]["weight_decay"] == 0.0


def test_groups_for_a_copy_are_matched_by_name():
    plan, model = _plan()
    twin = copy.deepcopy(model)
    groups = param_groups(plan, twin, lr=LR)
    assert {id(p) for g in groups for p in g["params"]} == {id(p) for p in twin.parameters()}


@pytest.mark.parametrize("kw, match", [
    (dict(lr=float("nan")), "lr must be a finite number"),
    (dict(mode="l2"), "weight_decay_mode must be one of"),
    (dict(no_weight_decay=("norms",)), "no_weight_decay names unknown role 'norms'"),
])
def test_bad_input_is_a_user_error_naming_it(kw, match):
    plan, model = _plan()
    with pytest.raises(UserError, match=match):
        param_groups(plan, model, **kw)


def test_another_architecture_is_refused():
    plan, _ = _plan()
    with pytest.raises(UserError, match="model has no parameters named"):
        param_groups(plan, MLP(8, WIDTH, 4, depth=1), lr=LR)
