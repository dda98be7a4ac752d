"""Parametrization: roles, init, multipliers, LR/WD/eps groups, schedulers, depth rows, errors.

Where the expected values come from: **paper tables** (TP5 Table 8, Everett et al. Table 1) evaluated by hand at 4x
the base width, and **independent computation** (forward passes recomputed with plain torch ops).
"""

from __future__ import annotations

import copy
import inspect
import math

import pytest
import sympy
import torch
from torch import nn

from scaling_exponents.errors import UserError
from scaling_exponents.theory.table import ExponentTable, Row, Source
from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import GPT, MLP


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _mlp(width, depth=2, seed=0, **kw):
    torch.manual_seed(seed)
    return MLP(16, width, 8, depth=depth, **kw)


def _groups_by_name(p):
    return {n: g for g in p.param_groups for n in g["param_names"]}


# -- learning rates -----------------------------------------------------------------------------------
@pytest.mark.parametrize("param, alignment", [("mup", "full"), ("mup-table8", None)])
def test_hidden_lr_factor_at_4x_base_is_exactly_a_quarter(param, alignment):
    p = Parametrization(_mlp(256), param, "adam", alignment, base_width=64, lr=1e-2)
    g = _groups_by_name(p)
    assert g["hidden.0.weight"]["lr_scale"] == 0.25
    assert g["hidden.0.weight"]["lr"] == 1e-2 * 0.25
    assert g["hidden.1.weight"]["role"] == "hidden"


def test_everett_mup_adam_factors_at_4x():
    """Everett et al. muP, Adam, full alignment: embedding/readout LR n^-1/2, embedding multiplier n^1/2."""
    p = Parametrization(_mlp(256), "mup", "adam", "full", base_width=64)
    r = p.records
    assert r["embed.weight"].lr_scale == 0.5 and r["embed.weight"].multiplier == 2.0
    assert r["head.weight"].lr_scale == 0.5 and r["head.weight"].multiplier == 0.5
    assert r["hidden.0.weight"].multiplier == 1.0


def test_sp_adam_everett_keeps_embedding_lr_and_scales_hidden():
    p = Parametrization(_mlp(512), "sp", "adam", "full", base_width=128)
    assert p.records["embed.weight"].lr_scale == 1.0
    assert p.records["hidden.0.weight"].lr_scale == 0.25
    assert p.records["head.weight"].lr_scale == 0.25


# -- init -------------------------------------------------------------------------------------------
def test_hidden_init_std_halves_from_256_to_1024():
    stds = {}
    for w in (256, 1024):
        p = Parametrization(_mlp(w), "mup", "adam", "full", base_width=256)
        stds[w] = p.records["hidden.0.weight"].init_std
        # PyTorch default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) already has the muP std: the scale is exactly 1
        assert p.records["hidden.0.weight"].init_scale == 1.0
    assert stds[1024] / stds[256] == pytest.approx(0.5, rel=0.02)
    assert stds[256] == pytest.approx(1 / math.sqrt(3 * 256), rel=0.02)


def test_float_init_resamples_with_table_factor_and_zero_biases():
    p = Parametrization(_mlp(1024), "mup", "adam", "full", base_width=256, settings={"init": 0.02})
    r = p.records
    assert r["hidden.0.weight"].init_std == pytest.approx(0.02 * 0.5, rel=0.02)   # n^-1/2 at 4x
    assert r["embed.weight"].init_std == pytest.approx(0.02 * 0.5, rel=0.03)      # Everett embedding n^-1/2
    assert p.model.hidden[0].bias.abs().max().item() == 0.0


def test_table8_readout_init_constant_and_biases_rescaled_like_mup():
    model = _mlp(256)
    before = {n: t.detach().clone() for n, t in model.named_parameters()}
    Parametrization(model, "mup-table8", "adam", base_width=64)
    after = dict(model.named_parameters())
    assert torch.equal(after["hidden.0.weight"], before["hidden.0.weight"])      # 1/fan_in already
    assert torch.allclose(after["head.weight"], before["head.weight"] * 2.0)     # sqrt(width_mult)
    assert torch.allclose(after["hidden.0.bias"], before["hidden.0.bias"] * 2.0)  # sqrt(fan_in mult)
    assert torch.equal(after["embed.bias"], before["embed.bias"])                # input fan_in is fixed


def test_init_none_leaves_weights_and_rescale_twice_is_an_error():
    model = _mlp(128)
    before = [t.detach().clone() for t in model.parameters()]
    Parametrization(model, "mup-table8", base_width=32, settings={"init": None})
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    Parametrization(model, "mup-table8", base_width=32)
    with pytest.raises(UserError, match="already rescaled.*init=None"):
        Parametrization(model, "mup-table8", base_width=32)


# -- multipliers ------------------------------------------------------------------------------------
def test_readout_multiplier_scales_weight_not_bias():
    model = _mlp(128)
    x = torch.randn(4, 16)
    p = Parametrization(model, "mup-table8", base_width=32, settings={"init": None})
    h = model.act(model.hidden[1](model.act(model.hidden[0](model.act(model.embed(x))))))
    expected = h @ model.head.weight.T / 4 + model.head.bias
    assert torch.allclose(model(x), expected, atol=1e-6)
    assert p.records["head.weight"].multiplier == 0.25 and p.records["head.bias"].multiplier == 1.0


def test_embedding_multiplier_and_conv_bias_correction_are_exact():
    """The hook trick m_w*y + (m_b - m_w)*b equals f(x; m_w W, m_b b) for Linear and Conv."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.Flatten(), nn.Linear(8 * 4 * 4, 5))
    table = ExponentTable("toy", None, None, Source("toy"), [
        Row("embedding", "multiplier", "width", sympy.Rational(1, 2)),
        Row("bias", "multiplier", "width", sympy.Rational(-1)),
        Row("hidden", "multiplier", "width", sympy.Rational(-1, 2)),
    ])
    plain = copy.deepcopy(net)
    Parametrization(net, table, base_width=2, width=8, settings={"init": None})  # ratio 4
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        h = nn.functional.conv2d(x, plain[0].weight * 2, plain[0].bias * 0.25).relu()
        h = nn.functional.conv2d(h, plain[2].weight * 0.5, plain[2].bias * 0.25).flatten(1)
        # readout: the table has no rows; its bias has the output (finite) dimension, so its factor is 1
        expected = h @ plain[4].weight.T + plain[4].bias
    assert torch.allclose(net(x), expected, atol=1e-5)


def test_unknown_module_type_falls_back_to_parametrize_and_is_exact():
    class Gate(nn.Module):  # output not linear in its parameter: needs a real reparametrization
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(6, 6))

        def forward(self, x):
            return torch.tanh(x @ self.weight.T)

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), Gate(), nn.Linear(6, 3))
    w = net[1].weight.detach().clone()
    table = ExponentTable("toy", None, None, Source("toy"), [Row("hidden", "multiplier", "width", -1)])
    p = Parametrization(net, table, layers={"0": "embedding", "1": "hidden", "2": "readout"},
                        base_width=3, width=6, settings={"init": None})
    x = torch.randn(2, 4)
    assert torch.allclose(net[1](net[0](x)), torch.tanh(net[0](x) @ (w * 0.5).T))
    assert any("parametrize" in n for n in p.notes)


# -- param groups & schedulers ------------------------------------------------------------------------
def _ratios(opt):
    return [g["lr"] / opt.param_groups[0]["lr"] for g in opt.param_groups]


@pytest.mark.parametrize("make_sched", [
    lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: min(1.0, (s + 1) / 3)),
    lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10),
    # warmup-stable-decay: 2 warmup steps, flat, linear decay over the last 4 of 10
    lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: min((s + 1) / 2, 1.0, max(0.0, (10 - s) / 4))),
], ids=["lambda-warmup", "cosine", "wsd"])
def test_schedulers_keep_the_per_group_factors(make_sched):
    model = _mlp(256)
    p = Parametrization(model, "mup", "adam", "full", base_width=64, lr=1e-2)
    opt = torch.optim.AdamW(p.param_groups)
    sched = make_sched(opt)
    want = [g["lr_scale"] / opt.param_groups[0]["lr_scale"] for g in opt.param_groups]
    x = torch.randn(8, 16)
    for _ in range(8):
        model(x).square().mean().backward()
        opt.step()
        opt.zero_grad()
        sched.step()
        if opt.param_groups[0]["lr"] > 0:
            assert _ratios(opt) == pytest.approx(want, rel=1e-12)
    assert {g["role"] for g in opt.param_groups} == {"embedding", "bias", "hidden", "readout"}


def test_weight_decay_modes():
    kw = dict(base_width=64, lr=1e-2)
    table = ExponentTable("toy", None, None, Source("toy"), [
        Row("hidden", "lr", "width", -1), Row("hidden", "weight_decay", "width", 1)])
    for mode, want in [("decoupled", 0.1 * 4), ("coupled", 0.1 * 4), ("independent", 0.1 * 4 / (1e-2 / 4))]:
        p = Parametrization(_mlp(256), table, settings={"weight_decay": 0.1, "weight_decay_mode": mode}, **kw)
        assert _groups_by_name(p)["hidden.0.weight"]["weight_decay"] == pytest.approx(want, rel=1e-12)
    # independent: one AdamW step with zero gradient decays by exactly wd * wd_scale * schedule
    model = _mlp(256)
    p = Parametrization(model, table, settings={"weight_decay": 0.1, "weight_decay_mode": "independent"}, **kw)
    opt = torch.optim.AdamW(p.param_groups)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5)
    w0 = model.hidden[0].weight.detach().clone()
    for q in model.parameters():
        q.grad = torch.zeros_like(q)
    opt.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.5e-2)
    assert torch.allclose(model.hidden[0].weight, w0 * (1 - 0.1 * 4 * 0.5), rtol=1e-6)


def test_adam_eps_per_group_from_everett_rows():
    p = Parametrization(_mlp(256), "mup", "adam", "full", base_width=64, settings={"eps": 1e-8})
    g = _groups_by_name(p)
    assert g["hidden.0.weight"]["eps"] == pytest.approx(1e-8 / 4)     # n^-1
    assert g["embed.weight"]["eps"] == pytest.approx(1e-8 / 2)        # n^-1/2
    assert g["embed.bias"]["eps"] == 1e-8                              # no bias rows: unchanged
    opt = torch.optim.Adam(p.param_groups)
    assert opt.param_groups[0]["eps"] == g[opt.param_groups[0]["param_names"][0]]["eps"]


# -- roles ------------------------------------------------------------------------------------------
def test_gpt_auto_detection():
    torch.manual_seed(0)
    model = GPT(64, 64, 2, n_head=4, block_size=16)
    p = Parametrization(model, "mup-table8", base_width=32, base_head_dim=8)
    role = {n: i.role for n, i in p.records.items()}
    assert role["embed.weight"] == role["pos.weight"] == "embedding"
    assert role["blocks.0.attn.qkv.weight"] == role["blocks.1.mlp.down.weight"] == "hidden"
    assert role["blocks.0.attn.qkv.bias"] == "bias"
    assert role["blocks.0.ln1.weight"] == role["ln_f.bias"] == "norm"
    assert role["head.weight"] == "readout"
    assert "hint GPT.roles()" in p.records["pos.weight"].rule
    # TP5 Def. 4.1 / App. B.1: logit scale 1/sqrt(d0) * d0/d with d0 = 8, d = 16
    assert float(model.blocks[0].attn.logit_scale) == pytest.approx(1 / math.sqrt(8) / 2)
    text = p.explain()
    for needle in ("blocks.0.attn.qkv.weight", "residual_branch", "logit scale", "unmatched patterns: none"):
        assert needle in text


def test_glob_patterns_unmatched_and_defaults_are_reported():
    torch.manual_seed(0)
    model = GPT(64, 64, 1, n_head=4, block_size=16)
    layers = {"embed": "embedding", "blocks.*.attn.*": "hidden", "blocks.*.mlp.*": "hidden", "head": "readout",
              "blocks.*.ffn.up": "hidden"}
    p = Parametrization(model, "mup-table8", base_width=32, layers=layers, base_head_dim=8)
    assert p.unmatched == ["blocks.*.ffn.up"]
    assert p.records["pos.weight"].role == "default" and p.records["ln_f.weight"].role == "default"
    text = p.explain()
    assert "unmatched patterns: 'blocks.*.ffn.up'" in text
    assert "left at PyTorch defaults (no role): pos.weight" in text
    assert p.records["blocks.0.attn.qkv.weight"].rule == "pattern 'blocks.*.attn.*'"


def test_empty_match_names_patterns_and_modules():
    with pytest.raises(UserError) as e:
        Parametrization(_mlp(64), "mup-table8", base_width=32, layers={"blocks.*.ffn": "hidden"})
    assert "blocks.*.ffn" in str(e.value) and "hidden.0 (Linear)" in str(e.value)


@pytest.mark.parametrize("kwargs, match", [
    (dict(layers={"hidden.*": "hiden"}), "unknown role 'hiden'.*Did you mean 'hidden'"),
    (dict(base_width=None), "give base_width="),
    (dict(lr=-1.0), "lr must be"),
    (dict(settings={"weight_decay_mode": "l2"}), "weight_decay_mode must be one of"),
    (dict(settings={"init": "xavier"}), "init must be 'rescale'"),
    (dict(settings={"wieght_decay": 0.1}), "settings has no field 'wieght_decay'; did you mean 'weight_decay'"),
    (dict(layers={}), "non-empty dict"),
])
def test_bad_inputs_name_the_value_and_the_fix(kwargs, match):
    args = dict(base_width=32)
    args.update(kwargs)
    with pytest.raises(UserError, match=match):
        Parametrization(_mlp(64), "mup-table8", **args)


def test_bad_param_name_is_a_user_error():
    with pytest.raises(UserError, match="unknown parametrization"):
        Parametrization(_mlp(64), "mupp", base_width=32)


def test_default_base_head_dim_follows_how_gpt_was_built():
    grows = GPT(64, 128, 1, n_head=4, block_size=16)        # head_dim 32 = 4x base 8
    fixed = GPT(64, 128, 1, head_dim=16, block_size=16)     # head_dim 16 at every width
    Parametrization(grows, "mup-table8", base_width=32)
    Parametrization(fixed, "mup-table8", base_width=32)
    assert float(grows.blocks[0].attn.logit_scale) == pytest.approx(1 / math.sqrt(8) / 4)
    assert float(fixed.blocks[0].attn.logit_scale) == pytest.approx(1 / math.sqrt(16))


def test_base_model_gives_per_parameter_fans():
    torch.manual_seed(0)
    base = GPT(64, 32, 2, n_head=4, block_size=16)
    model = GPT(64, 128, 2, n_head=4, block_size=16)
    p = Parametrization(model, "mup-table8", base_model=base)
    assert p.records["blocks.0.mlp.down.weight"].width == (512, 128)   # fan_in 4 d_model, ratio 4
    assert p.records["blocks.0.mlp.down.weight"].lr_scale == 0.25
    assert float(model.blocks[0].attn.logit_scale) == pytest.approx(1 / math.sqrt(8) / 4)


def test_tied_embeddings_share_init_and_lr_with_separate_multipliers():
    torch.manual_seed(0)
    model = GPT(64, 128, 1, n_head=4, block_size=16, tied_embeddings=True)
    p = Parametrization(model, "mup-table8", base_width=32, base_head_dim=8)
    assert "head.weight" not in p.records
    info = p.records["embed.weight"]
    assert info.aliases and info.aliases[0][:3] == ("head.weight", "readout", 0.25)
    assert float(model.head.se_output_scale) == 0.25 and model.embed.weight is model.head.weight
    assert sum(len(g["params"]) for g in p.param_groups) == len(list(model.parameters()))


def test_tie_with_conflicting_lr_is_an_error():
    table = ExponentTable("toy", None, None, Source("toy"), [Row("readout", "lr", "width", -1)])
    model = GPT(64, 64, 1, n_head=4, block_size=16, tied_embeddings=True)
    with pytest.raises(UserError, match="tied to 'embed.weight'.*cannot tie"):
        Parametrization(model, table, base_width=32)


# -- depth ------------------------------------------------------------------------------------------
def _depth_table():
    """CompleteP-shaped rows (arXiv 2505.01618, alpha = 1): branch x L^-1, hidden Adam LR L^(alpha-1) = 1,
    hidden eps L^-1, hidden_bias LR L^-1, plus muP width rows."""
    R = sympy.Rational
    return ExponentTable("completep-like", "adam", None, Source("toy"), [
        Row("residual_branch", "multiplier", "depth", R(-1)),
        Row("hidden", "lr", "width", R(-1)),
        Row("hidden", "adam_eps", "depth", R(-1)),
        Row("hidden_bias", "lr", "depth", R(-1)),
        Row("norm", "lr", "depth", R(-1, 2)),
    ])


def test_depth_rows_scale_branches_and_lrs():
    torch.manual_seed(0)
    model = GPT(64, 64, 8, n_head=4, block_size=16)
    p = Parametrization(model, _depth_table(), base_width=32, base_depth=2, settings={"eps": 1e-8})
    assert p.output_multipliers["blocks.0.attn"] == 0.25 and p.output_multipliers["blocks.7.mlp"] == 0.25
    g = _groups_by_name(p)
    assert g["blocks.0.mlp.up.weight"]["lr_scale"] == 0.5            # width only
    assert g["blocks.0.mlp.up.weight"]["eps"] == pytest.approx(2.5e-9)
    assert g["blocks.0.mlp.up.bias"]["role"] == "hidden_bias" and g["blocks.0.mlp.up.bias"]["lr_scale"] == 0.25
    assert g["blocks.0.ln1.weight"]["lr_scale"] == 0.5
    # the branch output really is multiplied by 1/4
    blk = model.blocks[0]
    x = torch.randn(2, 5, 64)
    with torch.no_grad():
        raw = blk.mlp.down(blk.mlp.act(blk.mlp.up(x)))
        assert torch.allclose(blk.mlp(x), raw * 0.25, atol=1e-6)


def test_depth_table_without_base_depth_is_an_error():
    with pytest.raises(UserError, match="base_depth="):
        Parametrization(GPT(64, 64, 4, n_head=4, block_size=16), _depth_table(), base_width=32)


def test_the_front_door_has_at_most_ten_parameters():
    params = inspect.signature(Parametrization.__init__).parameters
    assert len(params) <= 10, list(params)  # self included (the issue counted 26 with self)
