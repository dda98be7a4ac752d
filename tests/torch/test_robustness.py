"""Roles and multipliers survive deepcopy, pickle, torch.save/load, state-dict reload, torch.compile and DDP.

microsoft/mup keeps its state on each Parameter (``p.infshape``) and loses it under FSDP (mup #59),
``torch.compile`` (mup #60) and ``torch.save`` (mup README, "Current Limitations").  Here the multipliers
are buffers + a forward hook on modules, and roles live in the Parametrization's name-keyed side table.

Where the expected values come from: **independent computation**: the same model before and after each round trip
(equal outputs, equal training), and TP5 Table 8's Adam LR factors at fan_in ratio 4 for the optimizer resume.
"""

from __future__ import annotations

import copy
import io
import pickle

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization, get_multipliers
from scaling_exponents.verifier.models import GPT


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _setup(seed=0, **kw):
    torch.manual_seed(seed)
    model = GPT(64, 64, 2, n_head=4, block_size=16, **kw)
    p = Parametrization(model, "mup-table8", base_width=16, base_head_dim=4, lr=1e-2)
    return model, p


def _batch():
    g = torch.Generator().manual_seed(3)
    return torch.randint(0, 64, (4, 12), generator=g), torch.randint(0, 64, (4, 12), generator=g)


def _train(model, groups, steps=3):
    opt = torch.optim.AdamW(groups)
    idx, tgt = _batch()
    losses = []
    for _ in range(steps):
        loss = model.loss(idx, tgt)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def _assert_same_function(a, b):
    idx, _ = _batch()
    with torch.no_grad():
        assert torch.equal(a(idx), b(idx))
    assert get_multipliers(b.head) == get_multipliers(a.head) == (0.25, 0.75)
    assert float(b.blocks[1].attn.logit_scale) == float(a.blocks[1].attn.logit_scale)


def test_deepcopy_keeps_multipliers_and_groups_follow_by_name():
    model, p = _setup()
    twin = copy.deepcopy(model)
    _assert_same_function(model, twin)
    assert _train(twin, p.param_groups_for(twin)) == _train(model, p.param_groups)


def test_pickle_and_torch_save_whole_model():
    model, _ = _setup()
    _assert_same_function(model, pickle.loads(pickle.dumps(model)))
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    _assert_same_function(model, torch.load(buf, weights_only=False))


def test_state_dict_roundtrip_then_reapply():
    """Checkpoint keys stay plain (a Parametrization adds no persistent keys); re-apply with init=None."""
    model, p = _setup()
    _train(model, p.param_groups)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    assert set(model.state_dict()) == set(GPT(64, 64, 2, n_head=4, block_size=16).state_dict())
    buf.seek(0)
    fresh = GPT(64, 64, 2, n_head=4, block_size=16)
    p2 = Parametrization(fresh, "mup-table8", base_width=16, base_head_dim=4, lr=1e-2, settings={"init": None})
    fresh.load_state_dict(torch.load(buf))
    _assert_same_function(model, fresh)
    assert [g["lr"] for g in p2.param_groups] == [g["lr"] for g in p.param_groups]


def test_optimizer_state_dict_roundtrip_keeps_group_factors():
    """Resume from a checkpoint: groups rebuilt by name carry TP5 Table 8's LRs before loading the optimizer
    state, and stepping on after the reload follows the uninterrupted run exactly.

    Expected LR factors: TP5 (arXiv 2203.03466) Table 8, Adam column, at fan_in ratio 64/16 = 4: hidden
    weights 1/fan_in -> 1/4; embedding, biases, norms and the readout (multiplier 1/fan_in) LR 1."""
    want = {"embedding": 1.0, "norm": 1.0, "hidden": 0.25, "bias": 1.0, "readout": 1.0}
    model, p = _setup()
    assert {g["role"]: g["lr"] for g in p.param_groups} == pytest.approx({k: 1e-2 * v for k, v in want.items()})
    opt = torch.optim.AdamW(p.param_groups)
    idx, tgt = _batch()

    def step(m, o):
        loss = m.loss(idx, tgt)
        o.zero_grad()
        loss.backward()
        o.step()
        return loss.item()

    for _ in range(2):
        step(model, opt)
    assert all(int(s["step"]) == 2 for s in opt.state.values()) and len(opt.state) == len(list(model.parameters()))
    twin, state = copy.deepcopy(model), copy.deepcopy(opt.state_dict())
    opt2 = torch.optim.AdamW(p.param_groups_for(twin))
    # before load_state_dict (which copies the saved group values back): the rebuilt groups are already right
    assert {g["role"]: g["lr"] for g in opt2.param_groups} == pytest.approx({k: 1e-2 * v for k, v in want.items()})
    opt2.load_state_dict(state)
    assert [g["lr_scale"] for g in opt2.param_groups] == [g["lr_scale"] for g in opt.param_groups]
    assert [step(model, opt) for _ in range(3)] == [step(twin, opt2) for _ in range(3)]
    assert all(int(s["step"]) == 5 for s in opt2.state.values())


def test_torch_compile_fullgraph_matches_eager():
    model, p = _setup()
    # aot_eager traces the whole graph with dynamo + AOTAutograd (hooks, buffers) without a C++ build
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    idx, tgt = _batch()
    with torch.no_grad():
        assert torch.allclose(compiled(idx), model(idx), atol=1e-6)
    # a Parametrization sees through the compile wrapper
    twin = copy.deepcopy(model)
    q = Parametrization(torch.compile(twin, backend="aot_eager"), "mup-table8", base_width=16, base_head_dim=4,
                        settings={"init": None})
    assert [n for g in q.param_groups for n in g["param_names"]] == [n for g in p.param_groups for n in g["param_names"]]


def test_ddp_world_size_one_matches_single_process(tmp_path):
    dist = torch.distributed
    if not dist.is_available():
        pytest.skip("torch.distributed not available")
    store = dist.FileStore(str(tmp_path / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        model, p = _setup()
        twin = copy.deepcopy(model)
        ddp = torch.nn.parallel.DistributedDataParallel(twin)
        q = Parametrization(ddp, "mup-table8", base_width=16, base_head_dim=4, lr=1e-2, settings={"init": None})
        assert q.records.keys() == p.records.keys()  # DDP's "module." prefix is unwrapped
        opt = torch.optim.AdamW(p.param_groups_for(ddp))
        idx, tgt = _batch()
        ddp_losses = []
        for _ in range(3):
            logits = ddp(idx)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 64), tgt.reshape(-1))
            ddp_losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert ddp_losses == pytest.approx(_train(model, p.param_groups), rel=1e-6)
    finally:
        dist.destroy_process_group()


def test_reapplying_with_rescale_is_refused_but_init_none_is_idempotent():
    model, _ = _setup()
    idx, _ = _batch()
    with torch.no_grad():
        before = model(idx)
    with pytest.raises(UserError, match="init=None"):
        Parametrization(model, "mup-table8", base_width=16, base_head_dim=4)
    Parametrization(model, "mup-table8", base_width=16, base_head_dim=4, settings={"init": None})
    with torch.no_grad():
        assert torch.equal(model(idx), before)  # one hook per module: multipliers not applied twice
