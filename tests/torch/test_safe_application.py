"""Safe application (torch/safety.py, torch/mha.py), readout zero init, schedulers and checkpoints.

Expected values: PyTorch's default Linear init and nn.MultiheadAttention's xavier_uniform_ in_proj_weight both have
std ∝ fan_in^-1/2, so Everett et al.'s muP hidden init (∝ n^-1/2, arXiv 2407.05872 Table 1) is x1 of the
PyTorch default at any width; TP5 Table 8 (arXiv 2203.03466) hidden Adam LR ∝ 1/n (x1/2 at width 2x base).
Readout zero init: microsoft/mup's MuReadout(readout_zero_init=True) is the reference (float64, 1e-9).

Kind: paper table (arXiv 2407.05872 Table 1, TP5 Table 8); external library (microsoft/mup MuReadout).
"""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from torch import nn

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch import checkpoint as ckpt_mod
from scaling_exponents.torch.safety import ParametrizationWarning
from scaling_exponents.verifier.models import GPT, MLP


class Enc(nn.Module):
    """A stock nn.TransformerEncoder between an embedding and a readout."""

    def __init__(self, d, vocab=50):
        super().__init__()
        self.width = d
        self.emb = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, 4, 2 * d, batch_first=True, dropout=0.0)
        self.enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        self.head = nn.Linear(d, vocab)

    def forward(self, x):
        return self.head(self.enc(self.emb(x)))


def _enc(d=64, seed=0):
    torch.manual_seed(seed)
    return Enc(d)


GLOB = {"emb": "embedding", "enc.layers.*.self_attn*": "hidden", "enc.layers.*.linear*": "hidden",
        "enc.layers.*.norm*": "norm", "head": "readout"}


@pytest.mark.parametrize("layers", [None, GLOB], ids=["auto", "glob"])
def test_mha_packed_weight_is_three_hidden_blocks(layers):
    m = _enc()
    before = m.enc.layers[0].self_attn.in_proj_weight.detach().clone()
    p = Parametrization(m, "mup", base_width=32, layers=layers)
    info = p.records["enc.layers.0.self_attn.in_proj_weight"]
    assert info.role == "hidden"
    assert info.fans == {"fan_in": (64, 32), "fan_out": (64, 32)}  # one (E, E) block, not (E, 3E)
    ratio = float(m.enc.layers[0].self_attn.in_proj_weight.detach().std() / before.std())
    assert ratio == pytest.approx(1.0, rel=1e-6)  # n^-1/2 x sqrt(fan_in ratio): was 0.707 (glob) / untouched (auto)
    q = Parametrization(_enc(), "mup-table8", base_width=32, lr=1e-2, layers=layers)
    assert q.lr_of("enc.layers.0.self_attn.in_proj_weight") == pytest.approx(5e-3)
    with pytest.raises(UserError, match="already rescaled"):
        Parametrization(m, "mup", base_width=32, layers=layers)


def test_unmanaged_doubly_matched_and_frozen_warn_or_fail_strict():
    m = MLP(8, 32, 4, depth=2)
    m.extra = nn.Parameter(torch.ones(3))
    m.embed.weight.requires_grad_(False)
    before = m.embed.weight.detach().clone()
    layers = {"embed": "embedding", "hidden.*": "hidden", "hidden.0": "hidden", "head": "readout"}
    with pytest.warns(ParametrizationWarning) as rec:
        p = Parametrization(m, "mup", width=32, base_width=16, layers=layers)
    msg = str(rec[0].message)
    assert "extra" in msg and "matched by two patterns" in msg and "hidden.0.weight" in msg and "frozen" in msg
    assert torch.equal(m.embed.weight, before)  # frozen: not re-initialised
    assert all(id(m.embed.weight) != id(t) for g in p.param_groups for t in g["params"])
    assert "warning:" in p.explain()
    m2 = MLP(8, 32, 4, depth=2)
    m2.extra = nn.Parameter(torch.ones(3))
    with pytest.raises(UserError, match="strict=True: 1 parameter"):
        Parametrization(m2, "mup", width=32, base_width=16, settings={"strict": True})
    m3 = MLP(8, 32, 4, depth=2)
    m3.extra = nn.Parameter(torch.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # explicitly unmanaged: no warning
        Parametrization(m3, "mup", width=32, base_width=16,
                        layers={"embed": "embedding", "hidden.*": "hidden", "head": "readout", "extra": "default"})


def test_readout_zero_init_matches_mup_muReadout():
    import mup  # installed by the README's install line (CI too): never skipped
    torch.manual_seed(0)
    model = MLP(16, 64, 8, depth=2).double()
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 16, generator=g, dtype=torch.float64), torch.randn(32, 8, generator=g, dtype=torch.float64)

    theirs = copy.deepcopy(model)
    theirs.head = mup.MuReadout(64, 8, readout_zero_init=True).double()
    base, delta = MLP(16, 32, 8, depth=2), MLP(16, 48, 8, depth=2)
    for b in (base, delta):
        b.head = mup.MuReadout(b.head.in_features, 8, readout_zero_init=True)
    mup.set_base_shapes(theirs, base, delta=delta)
    ours = copy.deepcopy(model)
    p = Parametrization(ours, "mup-table8", "adam", base_width=32, lr=1e-2, settings={"readout_zero_init": True})
    assert p.zeroed == ["head.weight", "head.bias"]
    assert float(ours.head.weight.detach().abs().max()) == 0.0 and float(theirs.head.weight.detach().abs().max()) == 0.0
    opts = (mup.MuAdam(theirs.parameters(), lr=1e-2), torch.optim.Adam(p.param_groups))
    for _ in range(4):
        losses = []
        for m, opt in zip((theirs, ours), opts):
            loss = ((m(x) - y) ** 2).mean()
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert losses[1] == pytest.approx(losses[0], rel=1e-9)
    assert float(ours.head.weight.detach().abs().max()) > 0  # it learns from step 1


def test_gpt_readout_zero_init():
    torch.manual_seed(0)
    m = GPT(32, 32, 1, n_head=2, block_size=8, readout_zero_init=True)
    assert float(m.head.weight.detach().abs().max()) == 0.0
    Parametrization(m, "mup-table8", base_width=16, base_head_dim=8)
    assert float(m.head.weight.detach().abs().max()) == 0.0
    with pytest.raises(UserError, match="tied embedding"):
        GPT(32, 32, 1, n_head=2, tied_embeddings=True, readout_zero_init=True)


def _ratios(opt):
    lrs = [g["lr"] for g in opt.param_groups]
    scales = [g["lr_scale"] for g in opt.param_groups]
    return [lr / lrs[0] for lr in lrs], [s / scales[0] for s in scales]


@pytest.mark.parametrize("kind", ["lambda", "cosine", "onecycle", "sequential"])
def test_lr_ratios_survive_schedulers(kind):
    torch.manual_seed(0)
    m = MLP(8, 64, 4, depth=2)
    p = Parametrization(m, "mup", width=64, base_width=16, lr=1e-2)
    opt = torch.optim.AdamW(p.param_groups)
    S = torch.optim.lr_scheduler
    if kind == "lambda":
        sched = S.LambdaLR(opt, lambda t: 1 / (1 + t))
    elif kind == "cosine":
        sched = S.CosineAnnealingLR(opt, T_max=10)
    elif kind == "onecycle":  # OneCycleLR sets lr from max_lr: give it every group's own LR
        sched = S.OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=10)
    else:
        sched = S.SequentialLR(opt, [S.LinearLR(opt, 0.1, total_iters=3), S.CosineAnnealingLR(opt, T_max=7)],
                               milestones=[3])
    assert len({g["lr_scale"] for g in opt.param_groups}) >= 3  # embedding, hidden, readout differ under muP
    for _ in range(6):
        opt.step()
        sched.step()
        got, want = _ratios(opt)
        assert got == pytest.approx(want, rel=1e-9)


def test_checkpoint_restores_groups_and_continues_identically(tmp_path):
    torch.manual_seed(0)
    x, y = torch.randn(16, 8), torch.randn(16, 4)
    m = MLP(8, 64, 4, depth=2)
    p = Parametrization(m, "mup", width=64, base_width=16, lr=1e-2, settings={"weight_decay": 0.1})
    opt = torch.optim.AdamW(p.param_groups)

    def step(model, o):
        loss = ((model(x) - y) ** 2).mean()
        o.zero_grad()
        loss.backward()
        o.step()
        return loss.item()

    step(m, opt)
    path = tmp_path / "ckpt.pt"
    ckpt_mod.save(path, p, optimizer=opt)
    fresh = MLP(8, 64, 4, depth=2)
    p2, opt2, _ = ckpt_mod.load(path, fresh, torch.optim.AdamW)  # torch.load(weights_only=True) inside
    assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]
    assert p2.table.rows == p.table.rows
    assert step(fresh, opt2) == pytest.approx(step(m, opt), rel=1e-6)
    with pytest.raises(UserError, match="width=128 is not a dimension of this model"):  # a width it does not have
        ckpt_mod.restore(MLP(8, 64, 4, depth=2), ckpt_mod.state(p), lr=1e-2, width=128, base_width=16)
    with pytest.raises(UserError, match="differs from the saved"):  # the model's real width, another ratio
        ckpt_mod.restore(MLP(8, 64, 4, depth=2), ckpt_mod.state(p), lr=1e-2, width=64, base_width=32)
