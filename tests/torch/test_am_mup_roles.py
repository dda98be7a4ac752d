"""AM-muP's stated rule (arXiv 2510.04327 abstract) applied to the project's ResMLP through the role mapping of
:mod:`scaling_exponents.torch.tables`: the ``global`` LR row on every parameter, the ``residual_branch``
``init_std`` row on the branch weights (``hidden``); and the transfer verdict written from a drift.

Expected values, computed by hand from the abstract's powers: at depth 8 against base depth 2 (width fixed)
one LR factor (8/2)^(-3/2) = 1/8 on every parameter (embedding, block norms and matrices, final norm, readout);
init std factor (8/2)^(-1/2) = 1/2 on the block matrices (Var = c/(K fan-in), K = blocks), 1 elsewhere.

Kind: independent computation (powers of the abstract's stated rule, evaluated by hand).
"""

from __future__ import annotations

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.evidence.transfer_verdict import ROW, verdict_entries
from scaling_exponents.systems.registry import derive
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.tables import map_shared_roles
from scaling_exponents.verifier.models import ResMLP


def _pz(depth, base_depth=2):  # bias=False as the transfer runs (RunConfig.bias)
    torch.manual_seed(0)
    return Parametrization(ResMLP(64, 64, 10, depth=depth, bias=False), "am-mup", optimizer=None, width=64, base_width=64,
                           depth=depth, base_depth=base_depth, lr=1.0)


def test_one_lr_factor_eighth_on_every_parameter_at_depth_8():
    pz = _pz(8)
    assert len(pz.records) == 1 + 3 * 8 + 2  # embed, (ln, fc1, fc2) x 8, ln_f, head
    for name, info in pz.records.items():
        assert info.role != "default", name
        assert info.lr_scale == pytest.approx(0.125, rel=1e-12), name
    assert [g["lr"] for g in pz.param_groups] == pytest.approx([0.125] * len(pz.param_groups))  # lr=1 x 1/8


def test_branch_init_halved_at_depth_8_and_nothing_else_rescaled():
    pz = _pz(8)
    for name, info in pz.records.items():
        want = 0.5 if ".fc" in name else 1.0
        if info.init_scale is not None:
            assert info.init_scale == pytest.approx(want, rel=1e-12), name
    assert pz.records["blocks.3.fc2.weight"].init_scale == pytest.approx(0.5)
    assert "global lr" not in pz.explain()  # the row is applied, not listed under "NOT applied"


def test_base_depth_gives_factor_one():
    pz = _pz(2)
    assert {round(i.lr_scale, 12) for i in pz.records.values()} == {1.0}


def test_mapping_adds_powers_and_leaves_other_tables_alone():
    t = map_shared_roles(derive("am-mup"))
    assert t.power("hidden", "lr", "depth") == t.power("readout", "lr", "depth") == t.power("norm", "lr", "depth")
    assert str(t.power("hidden", "lr", "depth")) == "-3/2"
    assert str(t.power("hidden", "init_std", "depth")) == "-1/2"
    assert str(t.power("embedding", "init_std", "depth")) == "0"
    assert "global" not in t.roles
    mup = derive("mup")
    assert map_shared_roles(mup) is mup
    sam = derive("sam-global", optimizer="sgd")  # its global row is a perturbation, not a per-parameter quantity
    assert map_shared_roles(sam) is sam


def _summary(slope, lo, hi):
    e = {"param": "am-mup", "optimizer": "adam", "dimension": "depth", "width": 64, "base_depth": 2,
         "depths": [2, 4], "drift": {"slope": slope, "ci": [lo, hi]}, "optima": {"2": {"lr_opt": 0.01},
                                                                              "4": {"lr_opt": 0.02}}}
    return {"model": "resmlp", "device": "cpu", "steps": 10, "seeds": 3,
            "params": {"am-mup:adam@depth": e, "sp@depth": {**e, "param": "sp"}}}


def test_transfer_verdict_uses_the_widened_ci():
    out = verdict_entries(_summary(0.30, 0.20, 0.40), ["am-mup:adam"], 0.15)
    a = out["am-mup:adam@depth"]
    assert (a["status"], a["failed_rows"], a["slopes"][ROW][3]) == ("fail", [ROW], "0")  # 0 < 0.20 - 0.15
    assert out["sp@depth"]["contrast"] is True and "contrast" not in a
    assert verdict_entries(_summary(0.30, 0.10, 0.40), ["am-mup"], 0.15)["am-mup:adam@depth"]["status"] == "pass"
    with pytest.raises(UserError, match="--verdict names mup"):
        verdict_entries(_summary(0.3, 0.1, 0.4), ["mup"], 0.15)
