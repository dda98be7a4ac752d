"""Depth parametrizations from the registry applied end to end to the reference GPT.

``derive("completep")`` (Dey et al., arXiv 2505.01618) and ``derive("depth-mup")`` (TP6, arXiv 2310.02244)
applied with :class:`Parametrization` to ``GPT(vocab, width, depth)`` against a base (width 32, depth 2) must
give the numbers of the authors' reference code, EleutherAI/nanoGPT-mup branch ``completep`` (model.py
@3904404), restated below as plain numbers (as in ``tests/test_nanogpt_completep.py``):

* ``Block``: ``residual_scaling = m_L^-alpha`` multiplies both the attention and the MLP branch;
* ``configure_optimizers``: groups (lr factor, weight decay, eps) -- embedding (1, wd, eps/m_N), norm
  (m_L^(alpha-1), 0, eps/m_N m_L^-alpha), hidden (m_L^(alpha-1)/m_N, wd m_N, same eps), hidden_bias
  (m_L^(alpha-1), 0, same eps), final_norm (1, 0, eps/m_N); the tied lm_head lives in the embedding group;
* init: hidden matrices ``N(0, (0.02/sqrt(m_N))^2)``, other matrices ``N(0, 0.02^2)``; readout forward x 1/m_N.

nanoGPT-mup does not decay norms and biases: a power law cannot say "zero", so that is
``no_weight_decay=("norm", "final_norm", "hidden_bias")`` here.

Where the expected values come from: the **authors' code** (nanoGPT-mup branch completep @3904404) restated as
plain numbers.

Kind: external library (nanoGPT-mup completep @3904404, restated).
"""

from __future__ import annotations

import copy
import math

import pytest
import torch

from scaling_exponents.systems.registry import derive
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.settings import split_keywords
from scaling_exponents.verifier.models import GPT

BASE_WIDTH, BASE_DEPTH, N_HEAD = 32, 2, 4
LR, WD, EPS, INIT_STD = 1e-2, 0.1, 1e-12, 0.02
NO_DECAY = ("norm", "final_norm", "hidden_bias")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def nanogpt(width, depth, alpha):
    """nanoGPT-mup@completep per-group numbers (absolute, for base LR/WD/EPS) at this shape."""
    m_n, m_l = width / BASE_WIDTH, depth / BASE_DEPTH
    depth_lr = m_l ** (alpha - 1)
    emb_eps = EPS / m_n
    hidden_eps = EPS / m_n * m_l ** -alpha
    return {
        "groups": {  # role: (lr, weight_decay, eps)
            "embedding": (LR, WD, emb_eps),
            "norm": (LR * depth_lr, 0.0, hidden_eps),
            "hidden": (LR * depth_lr / m_n, WD * m_n, hidden_eps),
            "hidden_bias": (LR * depth_lr, 0.0, hidden_eps),
            "final_norm": (LR, 0.0, emb_eps),
            "readout": (LR, WD, emb_eps),  # nanoGPT's tied lm_head: the embedding group
        },
        "residual": m_l ** -alpha,
        "readout_forward": 1 / m_n,
        "hidden_std": INIT_STD / math.sqrt(m_n),
        "other_std": INIT_STD,
    }


def _gpt(width, depth, seed=0):
    torch.manual_seed(seed)
    return GPT(vocab=64, width=width, depth=depth, n_head=N_HEAD, block_size=16)


def _apply(model, table, optimizer=None, **kw):
    rest, settings = split_keywords(kw)  # layers=, base_head_dim= stay keywords; init=, options= ... are settings
    s = dict(weight_decay=WD, eps=EPS, init=INIT_STD, no_weight_decay=NO_DECAY) | settings
    return Parametrization(model, table, optimizer or "adamw", base_width=BASE_WIDTH, base_depth=BASE_DEPTH, lr=LR,
                           settings=s, **rest)


def _by_name(groups):
    return {n: g for g in groups for n in g["param_names"]}


def _raw(module):
    """A copy of ``module`` without its own output-multiplier hook (sub-modules keep theirs)."""
    raw = copy.deepcopy(module)
    raw._forward_hooks.clear()
    return raw


TABLES = [("completep", {}, 1.0), ("completep", {"alpha": "1/2"}, 0.5), ("completep", {"alpha": "3/4"}, 0.75),
          ("depth-mup", {}, 0.5)]
SHAPES = [(64, 8), (32, 2), (128, 4), (64, 3)]


@pytest.mark.parametrize("name, options, alpha", TABLES, ids=[f"{n}-{a}" for n, _, a in TABLES])
@pytest.mark.parametrize("width, depth", SHAPES)
def test_gpt_factors_equal_nanogpt_completep(name, options, alpha, width, depth):
    model = _gpt(width, depth)
    p = _apply(model, derive(name, "adamw", **options))
    ref = nanogpt(width, depth, alpha)
    opt = torch.optim.AdamW(p.param_groups)  # the groups really reach the optimizer
    groups = _by_name(opt.param_groups)
    roles = {}
    for pname, g in groups.items():
        role = g["role"]
        roles.setdefault(role, []).append(pname)
        lr, wd, eps = ref["groups"][role]
        assert g["lr"] == pytest.approx(lr, rel=1e-12), pname
        assert g["weight_decay"] == pytest.approx(wd, rel=1e-12, abs=0), pname
        assert g["eps"] == pytest.approx(eps, rel=1e-12), pname
    assert set(roles) == set(ref["groups"])
    assert roles["final_norm"] == ["ln_f.weight", "ln_f.bias"]
    assert "blocks.0.attn.qkv.bias" in roles["hidden_bias"] and "blocks.0.ln1.weight" in roles["norm"]
    # per-step decay lr x wd of hidden matrices: m_L^(alpha-1) (width-invariant), the table's lr_wd_product row
    hid = groups["blocks.0.mlp.up.weight"]
    assert hid["lr"] * hid["weight_decay"] == pytest.approx(LR * WD * (depth / BASE_DEPTH) ** (alpha - 1), rel=1e-12)
    assert p.records["blocks.0.mlp.up.weight"].lr_wd_scale == pytest.approx(hid["lr"] * hid["weight_decay"] / (LR * WD))

    # residual branches: both branches of every block, as installed buffers and in the forward pass
    for i in range(depth):
        for branch in ("attn", "mlp"):
            mod = getattr(model.blocks[i], branch)
            assert p.output_multipliers[f"blocks.{i}.{branch}"] == pytest.approx(ref["residual"], rel=1e-12)
            assert float(mod.se_output_scale) == pytest.approx(ref["residual"], rel=1e-6)  # float32 buffer
    x = torch.randn(2, 5, width)
    with torch.no_grad():
        for branch in ("attn", "mlp"):
            mod = getattr(model.blocks[depth - 1], branch)
            assert torch.allclose(mod(x), ref["residual"] * _raw(mod)(x), rtol=1e-5, atol=1e-7)
        # readout: W_eff = W / m_N, and the final norm is a plain LayerNorm (no multiplier)
        h = torch.randn(2, 5, width)
        assert torch.allclose(model.head(h), h @ model.head.weight.T * ref["readout_forward"], rtol=1e-5, atol=1e-7)
        assert not hasattr(model.ln_f, "se_output_scale")
    # init: hidden N(0, (0.02/sqrt(m_N))^2), embedding/readout N(0, 0.02^2), biases 0, LN gains 1
    r = p.records
    assert r["blocks.0.mlp.up.weight"].init_std == pytest.approx(ref["hidden_std"], rel=0.06)
    assert r["embed.weight"].init_std == pytest.approx(ref["other_std"], rel=0.06)
    assert r["head.weight"].init_std == pytest.approx(ref["other_std"], rel=0.06)
    assert model.blocks[0].attn.qkv.bias.abs().max() == 0 and torch.equal(model.ln_f.weight, torch.ones(width))
    # attention: q.k / d at head_dim d = width/4, base 8 (TP5 Def. 4.1): 1/sqrt(8) * 8/d
    d = width // N_HEAD
    assert float(model.blocks[0].attn.logit_scale) == pytest.approx(1 / math.sqrt(8) * 8 / d, rel=1e-6)
    assert p.unapplied == []


@pytest.mark.parametrize("width, depth", [(64, 8), (128, 4)])
def test_completep_alpha_half_is_depth_mup(width, depth):
    a, b = _gpt(width, depth), _gpt(width, depth)
    pa = _apply(a, "completep", options={"alpha": "1/2"}, init="rescale")  # CompleteP covers AdamW only
    pb = _apply(b, "depth-mup", "adamw", init="rescale")  # depth-mup also has adam (no weight_decay rows) and sgd tables
    for n, ra in pa.records.items():
        rb = pb.records[n]
        assert (ra.role, ra.multiplier, ra.lr_scale, ra.wd_scale, ra.eps_scale, ra.lr_wd_scale) == \
               (rb.role, rb.multiplier, rb.lr_scale, rb.wd_scale, rb.eps_scale, rb.lr_wd_scale), n
    assert pa.output_multipliers == pb.output_multipliers
    assert pa.output_multipliers["blocks.0.mlp"] == (depth / BASE_DEPTH) ** -0.5
    idx = torch.randint(0, 64, (2, 8))
    with torch.no_grad():
        assert torch.equal(a(idx), b(idx))  # same seed, same init factors, same multipliers


def test_completep_default_is_alpha_one_and_adam_default_maps_to_adamw():
    model = _gpt(64, 8)
    p = Parametrization(model, "completep", base_width=BASE_WIDTH, base_depth=BASE_DEPTH)  # optimizer default "adam"
    assert p.table.optimizer == "adamw"
    assert p.output_multipliers["blocks.7.attn"] == 0.25  # (8/2)^-1
    assert p.records["blocks.0.attn.qkv.weight"].lr_scale == 0.5  # (64/32)^-1 (8/2)^0
    text = p.explain()
    assert "blocks.7.mlp: residual_branch, output x0.25 = (depth 8/2)^-1" in text
    assert "final_norm" in text and "hidden_bias" in text and "lr*wd x" in text
    assert "table rows NOT applied to this model: none" in text


def test_depth_mup_independent_decay_uses_lr_wd_product():
    """Independent (per-step) decay = the table's lr_wd_product factor (hidden: m_L^-1/2), not its weight_decay."""
    model = _gpt(64, 8)
    p = _apply(model, "depth-mup", "adamw", weight_decay_mode="independent", no_weight_decay=())
    g = _by_name(p.param_groups)
    for n in ("blocks.0.mlp.up.weight", "embed.weight", "blocks.0.ln1.weight"):
        per_step = g[n]["lr"] * g[n]["weight_decay"]
        want = WD * (0.5 if n.endswith("up.weight") else 1.0)  # (8/2)^-1/2 for hidden; 1 elsewhere
        assert per_step == pytest.approx(want, rel=1e-12), n


def test_final_norm_by_pattern_and_fallback_to_norm():
    model = _gpt(64, 2)
    layers = {"embed": "embedding", "pos": "embedding", "blocks.*.attn.*": "hidden", "blocks.*.mlp.*": "hidden",
              "blocks.*.ln*": "norm", "ln_f": "final_norm", "head": "readout",
              "blocks.*.attn": "residual_branch", "blocks.*.mlp": "residual_branch"}
    p = _apply(model, "completep", layers=layers, base_head_dim=8)
    assert p.records["ln_f.weight"].role == "final_norm"
    assert p.records["blocks.0.mlp.up.bias"].role == "hidden_bias"
    # muP Table 8 has neither final_norm nor hidden_bias rows: they fall back to norm / bias and say so
    q = Parametrization(_gpt(64, 2), "mup-table8", base_width=BASE_WIDTH, layers=layers, base_head_dim=8)
    assert q.records["ln_f.weight"].role == "norm" and "table has no final_norm rows" in q.records["ln_f.weight"].rule
    assert q.records["blocks.0.mlp.up.bias"].role == "bias"


def test_rows_that_cannot_be_applied_are_listed():
    # no residual-branch / attention modules marked: the depth and attention rows cannot act
    layers = {"embed": "embedding", "pos": "embedding", "blocks.*.attn.*": "hidden", "blocks.*.mlp.*": "hidden",
              "head": "readout"}
    p = _apply(_gpt(64, 8), "completep", layers=layers, init=None)
    got = {(r.role, r.quantity, r.dimension): why for r, why in p.unapplied}
    assert "no module has role 'residual_branch'" in got[("residual_branch", "multiplier", "depth")]
    assert "no module has role 'attention'" in got[("attention", "logit_scale", "head_dim")]
    assert got[("hidden", "init_std", "width")].startswith("init=None")
    assert "no parameter has role 'final_norm'" in got[("final_norm", "adam_eps", "width")]
    text = p.explain()
    assert "table rows NOT applied to this model:" in text
    assert "residual_branch multiplier depth^-1: no module has role 'residual_branch'" in text
    # a table for other roles (MoE) on a dense GPT: every row is listed, none silently dropped
    q = Parametrization(_gpt(64, 2), "moe-mup", base_width=BASE_WIDTH, sizes={"experts": (8, 8)})
    listed = {(r.role, r.quantity, r.dimension) for r, _ in q.unapplied}
    assert {(r.role, r.quantity, r.dimension) for r in q.table.rows if r.power != 0} == listed
    assert "no parameter has role 'router'" in q.explain()


@pytest.mark.parametrize("depth", [2, 8])
def test_completep_training_smoke(depth):
    """CompleteP on GPT(width 32) at depth 2 (the base) and 8: 3 AdamW steps on random tokens."""
    model = _gpt(32, depth)
    p = Parametrization(model, "completep", base_width=32, base_depth=2, lr=1e-2, settings={"weight_decay": 0.1, "eps": 1e-12, "init": INIT_STD, "no_weight_decay": NO_DECAY})
    opt = torch.optim.AdamW(p.param_groups)
    g = torch.Generator().manual_seed(0)
    idx, tgt = torch.randint(0, 64, (4, 16), generator=g), torch.randint(0, 64, (4, 16), generator=g)
    w0 = model.blocks[0].mlp.up.weight.detach().clone()
    losses = []
    for _ in range(3):
        loss = model.loss(idx, tgt)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert all(math.isfinite(v) for v in losses), losses
    assert not torch.equal(model.blocks[0].mlp.up.weight, w0)
    m = (depth / 2) ** -1
    text = p.explain()
    for i in range(depth):
        for branch in ("attn", "mlp"):
            assert f"blocks.{i}.{branch}: residual_branch, output x{m:.4g}" in text
