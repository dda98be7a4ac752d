"""``torch/checkpoint.py``: a restore re-derives every parameter's factors and refuses a checkpoint whose saved LR,
weight-decay, eps or multiplier factor differs from the re-derived one (each factor on its own), naming the
parameter and the factor.

Expected values: the saved factors themselves (a restore must reproduce them to 1e-9); Everett et al. (arXiv
2407.05872) Table 1 Adam muP at width 64 over base 16: hidden LR factor (64/16)^-1 = 0.25.

Kind: independent computation (round trip) plus planted corruptions (each factor tampered alone must be caught).
"""

from __future__ import annotations

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch import checkpoint as ckpt_mod
from scaling_exponents.verifier.models import MLP


def _state():
    torch.manual_seed(0)
    p = Parametrization(MLP(8, 64, 4, depth=2), "mup", width=64, base_width=16, lr=1e-2, weight_decay=0.1, eps=1e-8)
    return ckpt_mod.state(p)


def test_round_trip_reproduces_every_factor():
    st = _state()
    p = ckpt_mod.restore(MLP(8, 64, 4, depth=2), st, lr=1e-2, weight_decay=0.1, eps=1e-8)
    hidden = next(n for n, r in p.records.items() if r.role == "hidden")
    assert p.records[hidden].lr_scale == pytest.approx(0.25, rel=1e-12)
    for name, rec in st["params"].items():
        for f in ckpt_mod.FACTORS:
            assert getattr(p.records[name], f) == pytest.approx(rec[f], rel=1e-9)


@pytest.mark.parametrize("factor", ["lr_scale", "wd_scale", "eps_scale", "multiplier"])
def test_a_tampered_factor_is_refused_by_name(factor):
    st = _state()
    name = next(n for n, r in st["params"].items() if r["role"] == "hidden")
    st["params"][name][factor] *= 1.5
    with pytest.raises(UserError, match=rf"{name.replace('.', '[.]')}.*restored {factor} .* differs from the saved"):
        ckpt_mod.restore(MLP(8, 64, 4, depth=2), st, lr=1e-2, weight_decay=0.1, eps=1e-8)
