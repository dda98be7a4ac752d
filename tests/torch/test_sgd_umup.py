"""SGD parity with microsoft/mup's ``MuSGD``, and u-muP LR factors against the unit-scaling package.

**MuSGD.**  ``derive("mup-table8", "sgd")`` (TP5 Table 8, SGD column: embedding, biases and readout LR x n,
hidden LR 1) applied with :class:`Parametrization` + ``torch.optim.SGD`` must equal ``set_base_shapes`` +
``MuReadout`` + ``MuSGD`` (float64 MLP, base width 32): same per-parameter LR, same loss trajectory.
Differences by design (as for Adam in ``tests/test_mup_parity.py``): the readout multiplier scales the weight
(``(Wx + b)/m + (1 - 1/m) b``) where ``MuReadout`` scales the input (equal up to rounding); ``MuSGD``'s
default weight decay (``wd / width_mult`` on vector-like groups) is our ``weight_decay_mode="independent"``
with ``weight_decay = lr * wd``.

**u-muP.**  ``derive("umup")`` (Blake et al., arXiv 2407.17465) is written in absolute form (``fan^p x depth^q``
times a constant); :class:`Parametrization` takes every factor relative to the base shape.  So our LR factor of
each parameter equals ``lr_scale_func_adam(p at this shape) / lr_scale_func_adam(p at the base shape)``: the
constant between the two conventions is the library's factor at the base shape (e.g. hidden weights
``32^-1/2 x 2^-1/2 = 1/8`` at base width 32, base depth 2).  One difference by design: our MLP's input layer is
an ``nn.Linear`` that auto-detection calls ``embedding`` (u-muP's embedding rule, LR x fan_out^-1/2); the
library has that rule only for ``uu.Embedding`` -- a ``uu.Linear`` input layer is a hidden ``weight`` with
fan_in = d_in, whose LR does not change with width.

Where the expected values come from: the **external libraries** microsoft/mup (MuSGD, run side by side) and
unit-scaling 0.3.5 (lr_scale_func_adam at this and the base shape); TP5 Table 8's SGD column for the LR factors.

Kind: external library (microsoft/mup MuSGD, unit-scaling 0.3.5, both run live).
"""

from __future__ import annotations

import copy
import math
import re

import pytest
import torch

try:  # only the MuSGD tests need microsoft/mup; the u-muP tests need only unit_scaling and must not skip with it
    import mup
except ImportError:
    mup = None
needs_mup = pytest.mark.skipif(mup is None, reason="microsoft/mup (dev extra) is not installed")
import unit_scaling as uu  # noqa: E402  (dev extra; a missing package is an error in tests/test_umup.py too)
from unit_scaling.optim import lr_scale_func_adam, lr_scale_func_sgd, scaled_parameters  # noqa: E402

from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import GPT, MLP  # noqa: E402

BASE = 32
WIDTHS = [64, 128, 256]
STEPS = 5
LR = 0.05


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _rel(a, b):
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    return float(((a - b).abs() / b.abs().clamp_min(1e-300)).max())


def _mlp(width, seed=0):
    torch.manual_seed(seed)
    return MLP(16, width, 8, depth=2).double()


def _mup_side(model):
    m = copy.deepcopy(model)
    ro = mup.MuReadout(m.head.in_features, m.head.out_features, bias=True).double()
    with torch.no_grad():
        ro.weight.copy_(m.head.weight)
        ro.bias.copy_(m.head.bias)
    m.head = ro
    base, delta = MLP(16, BASE, 8, depth=2), MLP(16, 2 * BASE, 8, depth=2)
    for b in (base, delta):
        b.head = mup.MuReadout(b.head.in_features, b.head.out_features, bias=True)
    mup.set_base_shapes(m, base, delta=delta)
    return m


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.randn(64, 16, generator=g, dtype=torch.float64), torch.randn(64, 8, generator=g, dtype=torch.float64)


def _train(model, opt, steps=STEPS):
    x, y = _data()
    losses = []
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def _lrs(opt, model, key="lr"):
    by_id = {id(p): g[key] for g in opt.param_groups for p in g["params"]}
    return {n: by_id[id(p)] for n, p in model.named_parameters()}


def compare_sgd(width, momentum=0.0, wd=0.0):
    model = _mlp(width)
    theirs = _mup_side(model)
    ours = copy.deepcopy(model)
    mode = {} if not wd else {"weight_decay": LR * wd, "weight_decay_mode": "independent"}
    p = Parametrization(ours, "mup-table8", "sgd", base_width=BASE, lr=LR, settings=mode)
    opt_m = mup.MuSGD(theirs.parameters(), lr=LR, momentum=momentum, weight_decay=wd)
    opt_o = torch.optim.SGD(p.param_groups, momentum=momentum)
    lr_m, lr_o = _lrs(opt_m, theirs), _lrs(opt_o, ours)
    out = {"lr": max(_rel(lr_o[n], lr_m[n]) for n in lr_m), "lrs": lr_o}
    if wd:  # per-step decay lr * weight_decay per parameter
        wd_m, wd_o = _lrs(opt_m, theirs, "weight_decay"), _lrs(opt_o, ours, "weight_decay")
        out["decay"] = max(_rel(lr_o[n] * wd_o[n], lr_m[n] * wd_m[n]) for n in lr_m)
    lm, lo = _train(theirs, opt_m), _train(ours, opt_o)
    out["loss"], out["losses"] = _rel(lo, lm), (lo, lm)
    return out


@needs_mup
@pytest.mark.parametrize("width", WIDTHS)
def test_table8_sgd_matches_musgd(width):
    d = compare_sgd(width)
    assert d["lr"] < 1e-15
    assert d["loss"] < 1e-10, d["losses"]  # measured: <= 1.2e-16 (float64)
    r = width / BASE
    lrs = d["lrs"]
    # TP5 Table 8, SGD: input weights & biases and the readout LR x n, hidden LR x 1, readout bias (finite) x 1
    assert lrs["hidden.0.weight"] == LR and lrs["head.bias"] == LR
    for n in ("embed.weight", "embed.bias", "hidden.0.bias", "head.weight"):
        assert lrs[n] == pytest.approx(LR * r, rel=1e-15), n
    assert all(math.isfinite(v) for v in d["losses"][0])


@needs_mup
def test_table8_sgd_momentum_and_weight_decay_match_musgd():
    d = compare_sgd(128, momentum=0.9, wd=0.01)
    assert d["lr"] < 1e-15 and d["decay"] < 1e-15
    assert d["loss"] < 1e-10, d["losses"]


# -- u-muP against unit_scaling ----------------------------------------------------------------------
def _umup_reference(width, depth, func=lr_scale_func_adam):
    """unit_scaling's Adam LR per parameter of the same-shaped u-muP model (its absolute convention).

    Our MLP ``embed`` (Linear 16 -> width, role embedding) is the library's ``uu.Embedding(16, width)``;
    ``hidden.*`` a ``uu.DepthSequential`` of ``uu.Linear(width, width)``; ``head`` a ``uu.LinearReadout``."""
    torch.manual_seed(0)
    emb_w = uu.Embedding(16, width).weight
    emb_b = uu.Linear(16, width, bias=True).bias  # a bias outside the depth stack
    stack = uu.DepthSequential(*[uu.Linear(width, width, bias=True) for _ in range(depth)])
    out = uu.LinearReadout(width, 8, bias=True)
    named = [("embed.weight", emb_w), ("embed.bias", emb_b)]
    named += [(f"hidden.{n}", q) for n, q in stack.named_parameters()]
    named += [(f"head.{n}", q) for n, q in out.named_parameters()]
    groups = scaled_parameters([q for _, q in named], func, lr=1.0)
    return {n: g["lr"] for (n, _), g in zip(named, groups)}


UMUP_SHAPES = [(64, 2), (128, 2), (64, 4), (128, 8)]


@pytest.mark.parametrize("width, depth", UMUP_SHAPES)
def test_umup_lr_factors_equal_unit_scaling_relative_to_base(width, depth):
    torch.manual_seed(0)
    model = MLP(16, width, 8, depth=depth)
    p = Parametrization(model, "umup", "adam", base_width=BASE, base_depth=2, lr=1.0)
    ref, ref0 = _umup_reference(width, depth), _umup_reference(BASE, 2)
    roles = {}
    for n, info in p.records.items():
        roles[n] = info.role
        n0 = re.sub(r"^hidden\.\d+\.", "hidden.0.", n)  # the same parameter at the base depth
        assert info.lr_scale == pytest.approx(ref[n] / ref0[n0], rel=1e-12), (n, info.role, info.lr_scale, ref[n])
    assert roles["embed.weight"] == "embedding" and roles["hidden.0.weight"] == "hidden"
    assert roles["hidden.0.bias"] == "hidden_bias" and roles["head.weight"] == "readout"
    # the constant between the conventions: the library's factor at the base shape
    assert ref0["hidden.0.weight"] == pytest.approx(BASE ** -0.5 * 2 ** -0.5)
    assert ref0["embed.weight"] == pytest.approx(BASE ** -0.5)
    # ratios across widths at fixed depth are convention-free
    if width == 128:
        r64 = _umup_reference(64, depth)
        q = Parametrization(MLP(16, 64, 8, depth=depth), "umup", "adam", base_width=BASE, base_depth=2)
        for n in ref:
            assert p.records[n].lr_scale / q.records[n].lr_scale == pytest.approx(ref[n] / r64[n], rel=1e-12), n


@pytest.mark.parametrize("width, depth", [(64, 2), (128, 4)])
def test_umup_sgd_to_output_scale_lrs_equal_unit_scaling(width, depth):
    """``options={"readout_constraint": "to_output_scale"}``: each SGD group LR is the library's
    ``lr_scale_func_sgd("to_output_scale")`` at this shape over the one at the base shape (hidden weight
    (w/32)^+1/2 (4/2)^-1/2, biases x w/32, readout 1), and the group's torch weight decay is lambda / lr."""
    torch.manual_seed(0)
    opt = {"readout_constraint": "to_output_scale"}
    p = Parametrization(MLP(16, width, 8, depth=depth), "umup", "sgd", base_width=BASE, base_depth=2, lr=1.0,
                        settings={"options": opt, "weight_decay": 1e-3, "weight_decay_mode": "independent"})
    func = lr_scale_func_sgd(readout_constraint="to_output_scale")
    ref, ref0 = _umup_reference(width, depth, func), _umup_reference(BASE, 2, func)
    for n, info in p.records.items():
        n0 = re.sub(r"^hidden\.\d+\.", "hidden.0.", n)
        assert info.lr_scale == pytest.approx(ref[n] / ref0[n0], rel=1e-12), (n, info.role, info.lr_scale)
    r, d = width / BASE, depth / 2
    assert p.records["hidden.0.weight"].lr_scale == pytest.approx(r ** 0.5 * d ** -0.5)  # +1/2: the disputed sign
    assert p.records["hidden.0.bias"].lr_scale == pytest.approx(r * d ** -0.5)
    assert p.records["head.weight"].lr_scale == 1.0
    opt_o = torch.optim.SGD(p.param_groups)
    for g in opt_o.param_groups:  # independent decay: lr x wd = lambda for every group
        assert g["lr"] * g["weight_decay"] == pytest.approx(1e-3, rel=1e-12), g["role"]


def test_umup_input_linear_differs_from_unit_scaling_linear_by_design():
    """A uu.Linear input layer is a hidden 'weight' with fan_in = d_in: its LR is width-independent, while our
    embedding role (u-muP's embedding rule) gives (width/base)^-1/2."""
    lr = {}
    for w in (BASE, 4 * BASE):
        lin = uu.Linear(16, w)
        lr[w] = scaled_parameters([lin.weight], lr_scale_func_adam, lr=1.0)[0]["lr"]
    assert lr[4 * BASE] == lr[BASE]
    p = Parametrization(MLP(16, 4 * BASE, 8), "umup", "adam", base_width=BASE, base_depth=1)
    assert p.records["embed.weight"].lr_scale == 0.5


def test_umup_on_gpt_multipliers_and_decay():
    """u-muP on the GPT: fan rows per parameter, branch multipliers depth^-1/2, per-step decay lr*wd constant."""
    torch.manual_seed(0)
    model = GPT(64, 128, 8, n_head=4, block_size=16)
    p = Parametrization(model, "umup", "adam", base_width=BASE, base_depth=2, lr=1e-2, settings={"weight_decay": 0.1})
    r = p.records
    assert r["blocks.0.mlp.down.weight"].multiplier == pytest.approx((512 / 128) ** -0.5)  # fan_in 4d over 4d0
    assert r["blocks.0.mlp.down.weight"].lr_scale == pytest.approx(0.5 * 0.5)  # fan_in^-1/2 x L^-1/2 at 4x, 4x
    assert r["embed.weight"].lr_scale == pytest.approx(0.5)  # fan_out^-1/2
    assert r["head.weight"].multiplier == pytest.approx(0.25) and r["head.weight"].lr_scale == 1.0
    assert p.output_multipliers["blocks.3.attn"] == pytest.approx(0.5)  # (8/2)^-1/2
    for g in p.param_groups:  # u-muP: lr x wd = lambda for every group (the table's lr_wd_product rows)
        if g["role"] != "bias":
            assert g["lr"] * g["weight_decay"] == pytest.approx(1e-2 * 0.1, rel=1e-12), g["role"]
    text = p.explain()
    assert "blocks.7.mlp: residual_branch, output x0.5 = (depth 8/2)^-1/2" in text
    assert "table rows NOT applied to this model: none" in text
    assert model(torch.randint(0, 64, (2, 8))).isfinite().all()
