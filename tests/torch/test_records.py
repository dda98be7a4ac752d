"""``ParamInfo`` (:mod:`scaling_exponents.torch.records`): one parameter's plan record -- its fields, defaults, that it
is frozen (a change is a new record made with ``dataclasses.replace``), and the values a Parametrization fills in.

Expected values: TP5 Table 8 (arXiv 2203.03466, microsoft/mup) with Adam at width 128 against base 32 (m = 4):
hidden LR ``1/m`` = 0.25, readout multiplier ``1/m`` = 0.25, hidden init factor 1 after the ``sqrt(fan_in)``
rescale of PyTorch's default (``sqrt(4) x 4^-1/2``); the fans are the model's shapes (independent computation).

Kind: paper table (TP5 Table 8) + regression (the record's fields and defaults).
"""

import dataclasses

import pytest

from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.records import ParamInfo
from scaling_exponents.verifier.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_a_new_record_has_neutral_factors_and_says_why():
    r = ParamInfo("hidden.0.weight", "hidden", "layers: hidden.*", "hidden.0", "weight", (128, 128))
    assert (r.lr_scale, r.wd_scale, r.eps_scale, r.lr_wd_scale, r.multiplier, r.fan_in_ratio) == (1.0,) * 6
    assert r.init_scale is None and r.init_std is None and r.width is None and r.fans is None and r.dims is None
    assert r.aliases == () and r.model_role == "" and r.note == ""
    assert r.why == "layers: hidden.*"


def test_a_record_is_frozen_and_changed_by_replace():
    r = ParamInfo("w", "hidden", "rule", "m", "weight", (4, 4))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.lr_scale = 0.5
    s = dataclasses.replace(r, lr_scale=0.5, init_std=0.02)
    assert (s.lr_scale, s.init_std, s.name) == (0.5, 0.02, "w")
    assert (r.lr_scale, r.init_std) == (1.0, None)  # the original is unchanged
    assert s != r and dataclasses.replace(s, lr_scale=1.0, init_std=None) == r


def test_a_parametrization_fills_in_the_table8_record():
    p = Parametrization(MLP(16, 128, 8, depth=2), "mup-table8", "adam", base_width=32)
    hidden, head = p.records["hidden.0.weight"], p.records["head.weight"]
    assert isinstance(hidden, ParamInfo)
    assert (hidden.role, hidden.module_name, hidden.attr, hidden.shape) == ("hidden", "hidden.0", "weight", (128, 128))
    assert hidden.width == (128, 32) and hidden.fan_in_ratio == 4.0
    assert hidden.fans == {"fan_in": (128, 32), "fan_out": (128, 32)}
    assert hidden.lr_scale == 0.25 and hidden.multiplier == 1.0 and hidden.init_scale == 1.0
    assert head.role == "readout" and head.multiplier == 0.25 and head.lr_scale == 1.0
    assert head.fans == {"fan_in": (128, 32), "fan_out": (8, 8)}  # the output dimension does not scale
    assert head.why.startswith("auto: last weight layer")
    with pytest.raises(TypeError):  # the plan's records are a read-only view
        p.records["head.weight"] = dataclasses.replace(head, lr_scale=2.0)
