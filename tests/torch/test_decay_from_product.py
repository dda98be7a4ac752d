"""Weight decay from a table's ``lr_wd_product`` rows (``Parametrization._decay_factors``), via custom tables.

No built-in table has ``lr_wd_product`` rows without ``weight_decay`` rows, so these toy tables are the only
path into that branch.  Where the expected values come from: **independent computation** from the rule in
the docstring (a role with ``lr_wd_product`` rows and no ``weight_decay`` rows gets ``wd_scale = lr_wd / lr``,
so that the per-step decay ``lr x wd`` is the table's product), checked by meaning: one real AdamW step with
zero gradient shrinks the weight by exactly ``lr x wd x product factor``.
"""

from __future__ import annotations

import pytest
import sympy
import torch

from scaling_exponents.theory.table import ExponentTable, Row, Source
from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

H = sympy.Rational(1, 2)
LR, WD = 1e-2, 0.1


def _table(*extra):
    # hidden LR x n^-1 and per-step decay lr*wd x n^-1/2: at 4x the base, lr_scale 1/4, lr_wd 1/2 -> wd_scale 2
    return ExponentTable("toy-product", "adam", None, Source("toy"), [
        Row("hidden", "lr", "width", -1), Row("hidden", "lr_wd_product", "width", -H), *extra])


def _groups(p):
    return {n: g for g in p.param_groups for n in g["param_names"]}


def _model():
    torch.manual_seed(0)
    return MLP(16, 256, 8, depth=2)


def test_wd_scale_is_the_product_divided_by_the_lr():
    p = Parametrization(_model(), _table(), base_width=64, lr=LR, settings={"weight_decay": WD})
    info = p.records["hidden.0.weight"]
    assert (info.lr_scale, info.lr_wd_scale) == (0.25, 0.5)
    assert info.wd_scale == pytest.approx(2.0, rel=1e-12)
    g = _groups(p)["hidden.0.weight"]
    assert g["lr"] == pytest.approx(LR / 4) and g["weight_decay"] == pytest.approx(WD * 2)
    assert g["lr"] * g["weight_decay"] == pytest.approx(LR * WD * 0.5, rel=1e-12)  # the table's product


@pytest.mark.parametrize("mode", ["decoupled", "independent"])
def test_one_adamw_step_decays_by_the_tables_product(mode):
    model = _model()
    p = Parametrization(model, _table(), base_width=64, lr=LR, settings={"weight_decay": WD, "weight_decay_mode": mode})
    opt = torch.optim.AdamW(p.param_groups)
    w0 = model.hidden[0].weight.detach().clone()
    for q in model.parameters():
        q.grad = torch.zeros_like(q)
    opt.step()
    # decoupled: lr x wd x (lr_wd / lr) ... = lr_base x wd x 1/2; independent: wd (already per step) x 1/2
    shrink = LR * WD * 0.5 if mode == "decoupled" else WD * 0.5
    assert torch.allclose(model.hidden[0].weight, w0 * (1 - shrink), rtol=1e-6, atol=0)


def test_consistent_weight_decay_rows_are_kept_and_inconsistent_ones_explained():
    ok = Parametrization(_model(), _table(Row("hidden", "weight_decay", "width", H)), base_width=64, lr=LR,
                         settings={"weight_decay": WD})
    assert ok.records["hidden.0.weight"].wd_scale == pytest.approx(2.0) and not ok.plan.inconsistent
    bad = Parametrization(_model(), _table(Row("hidden", "weight_decay", "width", 1)), base_width=64, lr=LR,
                          settings={"weight_decay": WD})
    assert bad.records["hidden.0.weight"].wd_scale == pytest.approx(4.0)  # the weight_decay rows win
    assert "inconsistent with the lr x weight_decay rows" in bad.explain()
