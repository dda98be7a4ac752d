"""Nothing silently half-applied to a user's own model (issue 23): a from-scratch GPT written here (not the
project's reference GPT) under CompleteP with depth scaling gets every table row applied or a warning naming each
row not applied; a learned position embedding is an input weight; ``layers=`` patterns for module roles combine with
auto-detection; a width the model does not have, a NaN/inf LR, a meta-device model under ``init='rescale'`` and an
optimizer ``lr=`` that the groups override are answered, not accepted.

Expected values: CompleteP (arXiv 2505.01618) Table 1 states a residual-branch multiplier (depth/base)^-1 (alpha = 1)
-- at depth 8 over base 2 the branch output is x1/4; TP5 (arXiv 2203.03466) Table 3 treats position embeddings as
input weights (role ``embedding``); the rest is regression: the toolkit's contract (warning/error wording).

Kind: independent model (written in the test) plus bad-input checks.
"""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import nn

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.lr_guard import IgnoredLRWarning
from scaling_exponents.torch.safety import ParametrizationWarning


class Attention(nn.Module):
    """Causal self-attention whose logit scale is a ``logit_scale`` buffer beside ``head_dim`` (the hook the toolkit
    sets the attention row through)."""

    def __init__(self, d, head_dim=16):
        super().__init__()
        self.head_dim, self.n_head = head_dim, d // head_dim
        self.qkv, self.proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.register_buffer("logit_scale", torch.tensor(head_dim ** -0.5))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = (z.view(b, t, self.n_head, self.head_dim).transpose(1, 2) for z in self.qkv(x).split(d, dim=2))
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True, scale=float(self.logit_scale))
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d, bias=False), nn.GELU(), nn.Linear(4 * d, d, bias=False))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class MyGPT(nn.Module):
    def __init__(self, vocab=64, d_model=64, n_layer=8, block=16):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(block, d_model)  # learned positions: the second Embedding
        self.blocks = nn.ModuleList(Block(d_model) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab, bias=False)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln_f(x))


KW = dict(width=64, base_width=16, depth=8, base_depth=2, lr=1e-2)


def test_learned_positions_are_an_input_weight():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParametrizationWarning)
        p = Parametrization(MyGPT(), "mup", **{k: v for k, v in KW.items() if "depth" not in k})
    assert p.records["pos.weight"].role == "embedding" == p.records["tok.weight"].role
    assert p.records["blocks.0.attn.qkv.weight"].role == "hidden"
    assert "position" in p.records["pos.weight"].rule
    assert p.records["pos.weight"].lr_scale == p.records["tok.weight"].lr_scale


def test_completep_rows_are_applied_or_each_named():
    with pytest.warns(ParametrizationWarning) as rec:
        p = Parametrization(MyGPT(), "completep", **KW)
    msg = " ".join(str(w.message) for w in rec)
    assert "NOT applied" in msg and "residual_branch multiplier depth^-1" in msg and "no module has role" in msg
    named = [r for r, _ in p.unapplied if r.role not in ("bias", "hidden_bias")]  # this model has no Linear bias
    assert 2 <= len(named) <= 6 and all(f"{r.role} {r.quantity} {r.dimension}" in msg for r in named)
    with pytest.raises(UserError, match="strict=True: .*residual_branch multiplier depth"):
        Parametrization(MyGPT(), "completep", settings={"strict": True}, **KW)


def test_module_role_patterns_combine_with_auto_detection():
    layers = {"blocks.*.attn": ("residual_branch", "attention"), "blocks.*.mlp": "residual_branch"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParametrizationWarning)  # every CompleteP row is applied now
        p = Parametrization(MyGPT(), "completep", layers=layers, base_head_dim=16, **KW)
    assert [r.role for r, _ in p.unapplied] == ["hidden_bias", "hidden_bias"]  # no Linear has a bias here
    assert p.output_multipliers["blocks.0.attn"] == pytest.approx(0.25)  # (8/2)^-1, CompleteP alpha = 1
    # the attention row is applied: head_dim 16 = its base, so the scale stays the base 1/sqrt(16)
    assert p.logit_scales["blocks.0.attn"][0] == pytest.approx(0.25) and "x (d/d0)^-1" in p.logit_scales["blocks.0.attn"][1]
    assert p.records["blocks.0.mlp.0.weight"].role == "hidden" and p.records["head.weight"].role == "readout"
    assert any("auto-detected" in n for n in p.notes)
    q = Parametrization(MyGPT(), "completep", layers={**layers, "*": "auto"}, base_head_dim=16, **KW)
    assert q.output_multipliers == p.output_multipliers and q.notes == [n for n in p.notes if "auto-detected" not in n]


@pytest.mark.parametrize("kw, fragment", [
    (dict(width=512, base_width=16), "width=512 is not a dimension of this model"),
    (dict(width=64, base_width=16, lr=float("nan")), "lr must be a finite number"),
    (dict(width=64, base_width=16, lr=float("inf")), "lr must be a finite number"),
    (dict(width=64, base_width=16, settings={"weight_decay": float("nan")}), "weight_decay must be a finite number"),
    (dict(width=64, base_width=16, settings={"eps": float("nan")}), "eps must be a finite number"),
])
def test_bad_numbers_are_refused(kw, fragment):
    with pytest.raises(UserError, match=fragment):
        Parametrization(MyGPT(n_layer=2), "mup", **kw)


def test_meta_device_rescale_is_refused_with_the_fix():
    with torch.device("meta"):
        m = MyGPT(n_layer=2)
    with pytest.raises(UserError, match="meta device: init='rescale' has no weights.*init=None"):
        Parametrization(m, "mup", width=64, base_width=16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParametrizationWarning)
        p = Parametrization(m, "mup", width=64, base_width=16, settings={"init": None})
    assert p.records["blocks.0.attn.qkv.weight"].lr_scale == pytest.approx(0.25)  # Everett Adam muP hidden: (64/16)^-1


def test_an_optimizer_lr_the_groups_override_is_named():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParametrizationWarning)
        p = Parametrization(MyGPT(n_layer=2), "mup", width=64, base_width=16)  # base lr: the default 1e-3
    opt = torch.optim.AdamW(p.param_groups, lr=1e-2)
    loss = p.model(torch.zeros(2, 4, dtype=torch.long)).square().mean()
    loss.backward()
    with pytest.warns(IgnoredLRWarning, match=r"AdamW\(lr=0.01\) is ignored: .* base lr 0.001 .*lr=0.01\)"):
        opt.step()
    ok = torch.optim.AdamW(p.param_groups)  # no lr= given: nothing to warn about
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredLRWarning)
        ok.step()
    assert math.isclose(opt.param_groups[0]["lr"] / opt.param_groups[0]["lr_scale"], 1e-3)


def test_settable_quantities_are_the_ones_explain_applies():
    from scaling_exponents.torch import explain, safety

    module_qs = {q for qs in explain.MODULE_QUANTITIES.values() for q in qs}
    assert set(safety.SETTABLE) == set(explain.PARAM_QUANTITIES) | module_qs


def test_muon_adjustment_on_an_embedding_states_both_forms():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParametrizationWarning)
        p = Parametrization(MyGPT(n_layer=1), "muon-keller", "muon", width=64, base_width=16)
    text = p.explain(width=None)
    assert "tok.weight, pos.weight: weight V x n" in text and "sqrt(max(1, V/n))" in text and "sqrt(max(1, n/V))" in text
