"""Parity with microsoft/mup (PyPI ``mup``): same init, same per-parameter LR, same loss trajectory.

mup implements TP5 Table 8 (Yang et al., arXiv 2203.03466, App. H): ``derive("mup-table8", "adam")``
applied with :class:`Parametrization` must reproduce ``set_base_shapes`` + ``MuReadout`` + ``MuAdam``.
Everett et al.'s muP (arXiv 2407.05872, = TP5 Table 9) differs from Table 8 by the abc symmetry (TP5
Lemma J.1): the same function at every step, up to Adam's epsilon and rounding.

Differences by design, stated here rather than hidden:

* mup's ``MuReadout`` computes ``W (x / width_mult) + b``; we compute ``(W x + b) / width_mult +
  (1 - 1/width_mult) b`` (a forward hook): equal up to float rounding.
* mup has no attention rule; its examples put ``1/d`` in the model.  The mup-side model here gets the
  same ``logit_scale`` buffer value our Table-8 row sets (``1/sqrt(d0) * d0/d``, TP5 App. B.1).
* mup rescales every Linear bias by ``sqrt(fan_in/base_fan_in)``; so does our ``init="rescale"``.
* mup keeps Adam's eps constant (Table 8 has no eps rows, so do we); Everett's table scales eps per
  layer, so the Table 8 vs Everett comparison uses a negligible eps (1e-16, float64) and separately
  measures the effect of the default eps.

All runs are float64, so "equal" means agreement to ~1e-12, far below the 1e-5 the issue asks for.

Where the expected values come from: the **external library** microsoft/mup (run side by side: same LRs, init and
loss trajectory to ~1e-12); the Everett-vs-Table-8 tests compare two of our tables (TP5 Lemma J.1); the eps
difference band (2.0e-6 measured) is **regression: the project's own output**.
"""

from __future__ import annotations

import copy

import pytest
import torch

try:  # the Everett-vs-Table-8 tests compare two of our tables and must not skip without microsoft/mup
    import mup
except ImportError:
    mup = None
needs_mup = pytest.mark.skipif(mup is None, reason="microsoft/mup (dev extra) is not installed")

from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import GPT, MLP  # noqa: E402

BASE = 32
WIDTHS = [64, 128, 256]
GPT_WIDTHS = [64, 128, 256]
STEPS = 5
LR = 3e-3


def _rel(a, b):
    a = torch.as_tensor(a, dtype=torch.float64).detach()
    b = torch.as_tensor(b, dtype=torch.float64).detach()
    return float(((a - b).abs() / b.abs().clamp_min(1e-300)).max())


def _mlp(width, seed=0):
    torch.manual_seed(seed)
    return MLP(16, width, 8, depth=2).double()


def _gpt(width, seed=0, attn_scale="1/sqrt(d)"):
    torch.manual_seed(seed)
    return GPT(vocab=32, width=width, depth=2, n_head=4, block_size=8, attn_scale=attn_scale).double()


def _mup_side(model, make):
    """A copy of ``model`` whose head is a MuReadout with the same weights, base shapes set (rescaled)."""
    m = copy.deepcopy(model)
    head = m.head
    ro = mup.MuReadout(head.in_features, head.out_features, bias=head.bias is not None).double()
    with torch.no_grad():
        ro.weight.copy_(head.weight)
        if head.bias is not None:
            ro.bias.copy_(head.bias)
    m.head = ro
    base, delta = make(BASE), make(2 * BASE)
    for b in (base, delta):
        b.head = mup.MuReadout(b.head.in_features, b.head.out_features, bias=b.head.bias is not None)
    mup.set_base_shapes(m, base, delta=delta)
    return m


def _mlp_data():
    g = torch.Generator().manual_seed(1)
    return torch.randn(64, 16, generator=g, dtype=torch.float64), torch.randn(64, 8, generator=g, dtype=torch.float64)


def _gpt_data():
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 32, (4, 8), generator=g), torch.randint(0, 32, (4, 8), generator=g)


def _train(model, opt, loss_fn, steps=STEPS):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def _mlp_loss(x, y):
    return lambda m: ((m(x) - y) ** 2).mean()


def _gpt_loss(idx, tgt):
    return lambda m: m.loss(idx, tgt)


def _lrs(opt, model):
    by_id = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    return {n: by_id[id(p)] for n, p in model.named_parameters()}


def _effective_readout(model):
    """The readout matrix the forward pass uses: mup's W/width_mult, our hook's multiplier x W."""
    if isinstance(model.head, mup.MuReadout):
        return model.head.weight / model.head.width_mult()
    return model.head.weight * float(model.head.se_output_scale)


def compare(kind, width):
    """Run mup and our two muP forms from the same seed; return the max relative differences."""
    make = (lambda w: MLP(16, w, 8, depth=2)) if kind == "mlp" else (
        lambda w: GPT(vocab=32, width=w, depth=2, n_head=4, block_size=8))
    model = _mlp(width) if kind == "mlp" else _gpt(width)
    loss_fn = _mlp_loss(*_mlp_data()) if kind == "mlp" else _gpt_loss(*_gpt_data())
    extra = {} if kind == "mlp" else {"base_head_dim": BASE // 4}

    mup_model = _mup_side(model, make)
    ours = copy.deepcopy(model)
    p = Parametrization(ours, "mup-table8", "adam", base_width=BASE, lr=LR, **extra)
    if kind == "gpt":  # mup leaves attention to the model: give it the value our Table-8 row sets
        for blk_m, blk_o in zip(mup_model.blocks, ours.blocks):
            blk_m.attn.logit_scale.fill_(float(blk_o.attn.logit_scale))
    opt_mup = mup.MuAdam(mup_model.parameters(), lr=LR)
    opt_ours = torch.optim.Adam(p.param_groups)

    lr_m, lr_o = _lrs(opt_mup, mup_model), _lrs(opt_ours, ours)
    out = {"lr": max(_rel(lr_o[n], lr_m[n]) for n in lr_m)}
    pm, po = dict(mup_model.named_parameters()), dict(ours.named_parameters())
    out["init_std"] = max(_rel(po[n].std(), pm[n].std()) for n in pm if pm[n].numel() > 1)
    out["init_values"] = max(float((po[n] - pm[n]).detach().abs().max()) for n in pm)
    out["readout_effective"] = _rel(_effective_readout(ours), _effective_readout(mup_model))
    out["lrs"] = (lr_o, lr_m)
    l_mup = _train(mup_model, opt_mup, loss_fn)
    l_ours = _train(ours, opt_ours, loss_fn)
    out["loss"] = _rel(l_ours, l_mup)
    out["losses"] = (l_ours, l_mup)
    return out, p


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@needs_mup
@pytest.mark.parametrize("kind, width", [("mlp", w) for w in WIDTHS] + [("gpt", w) for w in GPT_WIDTHS])
def test_table8_matches_mup(kind, width):
    d, p = compare(kind, width)
    assert d["lr"] < 1e-15, d["lr"]
    assert d["init_values"] == 0.0  # the same tensors: same seed, same rescaling
    assert d["init_std"] < 1e-15
    assert d["readout_effective"] < 1e-15
    assert d["loss"] < 1e-10, d["losses"]
    lr_o, lr_m = d["lrs"]
    r = width / BASE
    hidden = "hidden.0.weight" if kind == "mlp" else "blocks.0.mlp.up.weight"
    assert lr_m[hidden] == pytest.approx(LR / r, rel=1e-15)  # MuAdam: lr / width_mult
    assert lr_o["head.weight"] == LR and lr_m["head.weight"] == LR  # Table 8: readout LR constant


def test_base_width_is_exactly_the_base_model():
    """At width == base every factor is 1: mup, ours and the untouched PyTorch model coincide."""
    model = _mlp(BASE)
    ours = copy.deepcopy(model)
    p = Parametrization(ours, "mup-table8", "adam", base_width=BASE, lr=LR)
    x, y = _mlp_data()
    assert torch.equal(ours(x), model(x))
    assert all(g["lr"] == LR for g in p.param_groups)


def _everett_vs_table8(kind, width, eps):
    make = _mlp if kind == "mlp" else (lambda w: _gpt(w, attn_scale="1/d"))
    loss_fn = _mlp_loss(*_mlp_data()) if kind == "mlp" else _gpt_loss(*_gpt_data())
    extra = {} if kind == "mlp" else {"base_head_dim": BASE // 4}
    model = make(width)
    a, b = copy.deepcopy(model), copy.deepcopy(model)
    pa = Parametrization(a, "mup-table8", "adam", base_width=BASE, lr=LR, settings={"eps": eps}, **extra)
    pb = Parametrization(b, "mup", "adam", "full", base_width=BASE, lr=LR, settings={"eps": eps})
    x = _mlp_data()[0] if kind == "mlp" else _gpt_data()[0]
    out0 = _rel(b(x), a(x))
    la = _train(a, torch.optim.Adam(pa.param_groups), loss_fn)
    lb = _train(b, torch.optim.Adam(pb.param_groups), loss_fn)
    return out0, _rel(lb, la), (la, lb)


@pytest.mark.parametrize("kind, width", [("mlp", 64), ("mlp", 256), ("gpt", 128)])
def test_everett_form_same_dynamics_as_table8(kind, width):
    """TP5 Lemma J.1: Everett/Table-9 muP and Table 8 give the same function at init and after Adam steps."""
    out0, loss, losses = _everett_vs_table8(kind, width, eps=1e-16)
    assert out0 < 1e-12
    assert loss < 1e-10, losses


def test_everett_eps_scaling_is_a_real_difference():
    """With the default eps 1e-8, Everett's per-layer eps (hidden eps x 1/8 at width 8x base) and Table 8's
    constant eps give slightly different trajectories; the difference is small, but not rounding."""
    _, loss, _ = _everett_vs_table8("mlp", 256, eps=1e-8)  # measured: 2.0e-6 (float64, deterministic)
    assert 1e-6 < loss < 4e-6  # regression band around the measured value (factor 2 either way)


@needs_mup
def test_mup_weight_decay_matches_independent_mode():
    """MuAdamW's default (non-decoupled) wd multiplies wd by width_mult for hidden weights, so the per-step
    decay lr*wd is width-independent: our ``independent`` mode with weight_decay = lr * wd_mup."""
    width, wd = 128, 0.1
    model = _mlp(width)
    mup_model = _mup_side(model, lambda w: MLP(16, w, 8, depth=2))
    ours = copy.deepcopy(model)
    p = Parametrization(ours, "mup-table8", "adam", base_width=BASE, lr=LR, settings={"weight_decay": LR * wd, "weight_decay_mode": "independent"})
    opt_m = mup.MuAdamW(mup_model.parameters(), lr=LR, weight_decay=wd)
    opt_o = torch.optim.AdamW(p.param_groups)
    loss_fn = _mlp_loss(*_mlp_data())
    assert _rel(_train(ours, opt_o, loss_fn), _train(mup_model, opt_m, loss_fn)) < 1e-10
