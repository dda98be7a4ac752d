"""Folding a Parametrization into a plain model (TP5 Lemma J.1, arXiv 2203.03466): SGD reproduces the
parametrized trajectory exactly, Adam does when eps is divided by the multiplier (and not otherwise), Adam
state moves with it, and saving/loading keeps the per-group LRs.

Expected values: TP5 Lemma J.1 (abc symmetry): the folded model's trajectory must equal the parametrized run
computed in the same test (float64, rel 1e-12 SGD / 1e-10 Adam); the readout numbers (multiplier 1/4, SGD LR x4 then
x m^2, coupled wd / m^2, Adam LR x m and eps / m) follow from TP5 Table 8 at width ratio 4 and the lemma, worked out
in the comments; the HF reload is compared with the unfolded run of transformers 5.24.0.

Kind: independent computation (the parametrized run in the same test); paper table (TP5 Table 8, Lemma J.1).
"""

from __future__ import annotations

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization, fold as fold_mod
from scaling_exponents.torch.fold import Folded
from scaling_exponents.verifier.models import GPT

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _gpt(seed=0):
    torch.manual_seed(seed)
    return GPT(64, 64, 2, n_head=4, block_size=16)


def _batches(n, seed=3):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randint(0, 64, (4, 12), generator=g), torch.randint(0, 64, (4, 12), generator=g)) for _ in range(n)]


def _train(model, opt, batches):
    out = []
    for x, y in batches:
        loss = model.loss(x, y)
        out.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return out


def _plain(model):
    return not any(n.startswith("se_") for n, _ in model.named_buffers()) and not any(
        h is fold_mod._mult._scale_output for m in model.modules() for h in m._forward_hooks.values())


def test_sgd_fold_is_exact(float64):
    model = _gpt()
    p = Parametrization(model, "mup-table8", "sgd", base_width=16, base_head_dim=4, lr=0.5, settings={"weight_decay": 1e-3, "weight_decay_mode": "coupled"})
    f = p.fold()
    assert _plain(f.model) and f.optimizer == "sgd"
    head = [g for g in f.groups if g["role"] == "readout"][0]
    assert head["multiplier"] == 0.25 and head["lr"] == pytest.approx(0.5 * 4 * 0.25 ** 2)  # Table 8 SGD readout lr x4, then m^2
    assert head["weight_decay"] == pytest.approx(1e-3 / 0.25 ** 2)                    # coupled: wd / m^2
    assert torch.equal(f.model.head.weight, 0.25 * model.head.weight)
    b = _batches(5)
    ref = _train(model, torch.optim.SGD(p.param_groups, momentum=0.9), b)
    got = _train(f.model, torch.optim.SGD(f.param_groups(), momentum=0.9), b)
    assert got == pytest.approx(ref, rel=1e-12, abs=0)


def test_adam_fold_needs_eps_over_m(float64):
    model = _gpt()
    p = Parametrization(model, "mup-table8", "adam", base_width=16, base_head_dim=4, lr=1e-2, settings={"eps": 1e-3, "weight_decay": 0.1})
    f = p.fold()
    head = [g for g in f.groups if g["role"] == "readout"][0]
    assert (head["lr"], head["eps"]) == pytest.approx((1e-2 * 0.25, 1e-3 / 0.25))     # lr m, eps / m
    assert head["lr"] * head["weight_decay"] == pytest.approx(1e-2 * 0.1)              # AdamW decay per step kept
    b = _batches(5)
    ref = _train(model, torch.optim.AdamW(p.param_groups), b)
    folded = _train(f.model, torch.optim.AdamW(f.param_groups()), b)
    assert folded == pytest.approx(ref, rel=1e-10, abs=0)
    # the same fold with the optimizer's eps kept: a different trajectory once eps is not negligible
    g = p.fold()
    groups = g.param_groups()
    for grp in groups:
        grp["eps"] = 1e-3
    kept = _train(g.model, torch.optim.AdamW(groups), b)
    assert max(abs(a - r) for a, r in zip(kept[1:], ref[1:])) > 1e-5


def test_adam_state_moves_with_the_fold(float64):
    model = _gpt()
    p = Parametrization(model, "mup-table8", "adam", base_width=16, base_head_dim=4, lr=1e-2, settings={"eps": 1e-4})
    b = _batches(4)
    opt = torch.optim.Adam(p.param_groups)
    _train(model, opt, b[:2])
    f = p.fold()
    fopt = torch.optim.Adam(f.param_groups())
    fopt.load_state_dict(f.adam_state_from(opt.state_dict()))
    ref = _train(model, opt, b[2:])
    assert _train(f.model, fopt, b[2:]) == pytest.approx(ref, rel=1e-10, abs=0)


def test_save_and_load_keep_per_group_lrs_and_attention(tmp_path):
    hf = pytest.importorskip("scaling_exponents.torch.presets.hf")
    T = hf.import_transformers()
    cfg, base = hf.tiny_config("llama", 64, vocab=64, block=32), hf.tiny_config("llama", 16, vocab=64, block=32)
    torch.manual_seed(0)
    m = T.AutoModelForCausalLM.from_config(cfg)
    p = Parametrization(m, "mup-table8", base_model=base, lr=1e-2)
    f = p.fold()
    f.save(tmp_path / "folded.pt")
    fresh = T.AutoModelForCausalLM.from_config(cfg)           # a stock model: 1/sqrt(d) attention, its own init
    g = Folded.load(tmp_path / "folded.pt", fresh)
    assert [(x["lr"], x["eps"], x["param_names"]) for x in g.param_groups()] == [
        (x["lr"], x["eps"], x["param_names"]) for x in f.param_groups()]
    assert {a.scaling for n, a in fresh.named_modules() if n.endswith("self_attn")} == {0.125}
    ids = torch.randint(0, 64, (4, 12), generator=torch.Generator().manual_seed(3))

    def run(model, groups):
        opt, out = torch.optim.AdamW(groups), []
        for _ in range(3):
            loss = model(input_ids=ids, labels=ids).loss
            out.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        return out

    assert run(fresh, g.param_groups()) == pytest.approx(run(m, p.param_groups), rel=1e-5)
    with pytest.raises(UserError, match="not a folded checkpoint"):
        torch.save({"x": 1}, tmp_path / "other.pt")
        Folded.load(tmp_path / "other.pt", fresh)


def test_what_cannot_be_folded_says_why():
    model = GPT(64, 64, 2, n_head=4, block_size=16)
    p = Parametrization(model, "mup-table8", "adam", base_width=16, base_head_dim=4)
    with pytest.raises(UserError, match="optimizer"):
        p.fold(optimizer="muon")
    deep = GPT(64, 32, 4, n_head=4, block_size=16)
    q = Parametrization(deep, "completep", base_width=16, base_depth=2, settings={"init": 0.02})
    with pytest.raises(UserError, match="residual branch"):
        q.fold()
    hf = pytest.importorskip("scaling_exponents.torch.presets.hf")
    T = hf.import_transformers()
    gpt2 = T.AutoModelForCausalLM.from_config(hf.tiny_config("gpt2", 64, vocab=64, block=32))  # tied lm_head
    r = Parametrization(gpt2, "mup-table8", base_model=hf.tiny_config("gpt2", 16, vocab=64, block=32))
    with pytest.raises(UserError, match="untie"):
        r.fold()
