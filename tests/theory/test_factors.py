"""The one evaluator of ``(size/base)^power`` (``theory/factors.py``): concrete factors, several dimensions, exact
cancellation, and the missing-dimension error; ``derive``'s values and the torch layer give the same numbers.

Kind: paper table (Everett et al., arXiv 2407.05872 Table 1: Adam muP hidden LR ∝ n^-1, so the factor at width
1024 over base 256 is 1/4; CompleteP, arXiv 2505.01618 Table 1: the factor is base x m_N^p x m_L^q) and independent
computation (the products below are worked out by hand: 4^-1 x 4^-1/2 = 1/8).
"""

from __future__ import annotations

import pytest
import sympy

from scaling_exponents.errors import UserError
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.factors import evaluate, factor, missing, scale_factor, terms
from scaling_exponents.theory.table import Row

HALF = sympy.Rational(1, 2)


def test_everett_adam_mup_hidden_lr_is_a_quarter_at_1024_over_256():
    t = derive("mup", "adam")
    assert t.power("hidden", "lr", "width") == -1  # Everett et al. Table 1 (Adam, full alignment)
    assert scale_factor(t, "hidden", "lr", {"width": (1024, 256)}) == 0.25
    assert t.values({"width": (1024, 256)}, lr=1e-2)["hidden"]["lr"]["factor"] == 0.25
    assert t.values({"width": (1024, 256)}, lr=1e-2)["hidden"]["lr"]["value"] == pytest.approx(2.5e-3, rel=1e-15)


def test_derive_values_are_the_evaluators_for_every_role_and_quantity():
    t = derive("completep", "adamw")
    sizes = {"width": (1024, 256), "depth": (32, 4)}
    vals = t.values(sizes, lr=1e-2, init_std=0.02)
    checked = 0
    for role, per in vals.items():
        for q, e in per.items():
            if e.get("needs"):  # e.g. the attention logit scale along head_dim: derive says which size it needs
                assert e["factor"] is None and e["needs"] == missing(t, role, q, sizes), (role, q)
                continue
            assert e["factor"] == scale_factor(t, role, q, sizes), (role, q)
            checked += 1
    assert checked >= 10


def test_several_dimensions_multiply():
    rows = [Row("hidden", "lr", "width", sympy.Integer(-1)), Row("hidden", "lr", "depth", -HALF),
            Row("hidden", "init_std", "width", -HALF)]
    f = scale_factor(rows, "hidden", "lr", {"width": (1024, 256), "depth": (16, 4)})
    assert f == pytest.approx(1 / 8, rel=1e-15)  # 4^-1 x 4^-1/2
    assert scale_factor(rows, "hidden", "init_std", {"width": (1024, 256)}) == 0.5  # depth not needed here


def test_powers_that_cancel_give_exactly_one_and_no_rows_give_one():
    rows = [Row("hidden", "lr", "width", sympy.Integer(-1)), Row("hidden", "lr", "fan_in", sympy.Integer(1))]
    same = (3000, 7)
    assert scale_factor(rows, "hidden", "lr", {"width": same, "fan_in": same}) == 1.0
    assert evaluate([(3000 / 7, -HALF), (3000 / 7, HALF)]) == 1.0
    assert scale_factor(rows, "readout", "lr", {}) == 1.0


def test_a_missing_dimension_is_a_user_error_naming_it():
    t = derive("completep", "adamw")  # CompleteP Table 1 (alpha = 1): residual-branch multiplier L^-1
    assert t.power("residual_branch", "multiplier", "depth") == -1
    with pytest.raises(UserError, match=r"residual_branch multiplier scales with depth .*sizes\['depth'\] = \(size, "):
        scale_factor(t, "residual_branch", "multiplier", {"width": (1024, 256)})
    assert missing(t, "residual_branch", "multiplier", {"width": (1024, 256)}) == ["depth"]
    assert scale_factor(t, "residual_branch", "multiplier", {"width": (1024, 256), "depth": (32, 4)}) == 1 / 8


def test_zero_power_rows_need_no_size_and_bad_sizes_are_refused():
    rows = [Row("hidden", "lr", "width", sympy.Integer(0)), Row("hidden", "lr", "rank", sympy.Integer(1))]
    assert scale_factor(rows, "hidden", "lr", {"rank": (8, 2)}) == 4.0
    with pytest.raises(UserError, match=r"sizes\['rank'\] must be two positive numbers"):
        scale_factor(rows, "hidden", "lr", {"rank": (0, 2)})
    with pytest.raises(UserError, match="sizes must be a dict"):
        scale_factor(rows, "hidden", "lr", [("rank", 8, 2)])


def test_sizes_may_be_a_callable_and_terms_lists_the_pairs():
    rows = [Row("hidden", "lr", "width", sympy.Integer(-1)), Row("hidden", "lr", "experts", HALF)]
    got = terms(rows, "hidden", "lr", lambda d: {"width": (512, 128), "experts": (16, 4)}.get(d))
    assert got == [(4.0, -1), (4.0, HALF)]
    assert evaluate(got) == 0.5  # merged: 4^(-1/2)


def test_single_row_primitive():
    assert factor("-1/2", 4096, 256) == 0.25
    assert factor(sympy.Integer(-1), 1024, 256) == 0.25
    with pytest.raises(UserError, match="sizes must be positive"):
        factor(1, 0, 4)


def test_torch_layer_uses_the_same_factors():
    torch = pytest.importorskip("torch")
    from scaling_exponents.torch import Parametrization
    from scaling_exponents.verifier.models import MLP

    t = derive("mup", "adam")
    model = MLP(8, 64, 4, depth=1, bias=False)
    pz = Parametrization(model, t, "adam", layers={"embed": "embedding", "hidden.*": "hidden", "head": "readout"},
                         width=64, base_width=16, lr=1.0)
    groups = {g["role"]: g for g in pz.param_groups}
    for role in ("embedding", "hidden", "readout"):
        assert groups[role]["lr"] == scale_factor(t, role, "lr", {"width": (64, 16)}), role
    assert groups["hidden"]["lr"] == 0.25
    assert isinstance(model.head.weight, torch.Tensor)
