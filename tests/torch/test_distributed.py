"""DDP and FSDP2 (``fully_shard``, DTensor) on CPU with gloo, 2 processes: fans come from the global
(unsharded) shapes, the multipliers and per-group LRs survive the wrapping, and the losses equal one process
training on the whole batch (mup#59: microsoft/mup loses ``infshape`` under FSDP).

Kind: independent computation (one process training on the whole batch, in the same test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import GPT

pytestmark = pytest.mark.usefixtures("one_torch_thread")
ROOT = Path(__file__).resolve().parents[2]

SETUP = dict(param="mup-table8", base_width=16, base_head_dim=4, lr=1e-2)

SCRIPT = r'''
import json, sys
import torch, torch.distributed as dist, torch.multiprocessing as mp

SETUP = %(setup)r


def build():
    from scaling_exponents.verifier.models import GPT
    torch.manual_seed(0)
    return GPT(64, 64, 2, n_head=4, block_size=16)


def batches():
    g = torch.Generator().manual_seed(3)
    return [(torch.randint(0, 64, (4, 12), generator=g), torch.randint(0, 64, (4, 12), generator=g)) for _ in range(3)]


def train(rank, world, model, groups):
    opt, out = torch.optim.AdamW(groups), []
    for x, y in batches():
        half = slice(rank * 2, rank * 2 + 2)            # each rank sees half of the batch
        loss = model(x[half])
        loss = torch.nn.functional.cross_entropy(loss.reshape(-1, 64), y[half].reshape(-1))
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        out.append(mean.item() / world)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return out


def worker(rank, world, store, out_path):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from scaling_exponents.torch import Parametrization, get_multipliers
    kw = dict(SETUP)
    name = kw.pop("param")
    res = {}
    # DDP: parametrize the model, then wrap it; groups follow by name through the wrapper
    m = build()
    p = Parametrization(m, name, **kw)
    ddp = torch.nn.parallel.DistributedDataParallel(m)
    res["ddp"] = train(rank, world, ddp, p.param_groups_for(ddp))
    # FSDP2: shard first (DTensor parameters), then parametrize: fans must be the global shapes
    m = build()
    mesh = init_device_mesh("cpu", (world,))
    for block in m.blocks:
        fully_shard(block, mesh=mesh)
    fully_shard(m, mesh=mesh)
    q = Parametrization(m, name, **kw)
    res["fsdp_records"] = {n: [list(i.shape), i.lr_scale, i.multiplier] for n, i in q.records.items()}
    res["fsdp_local_head"] = list(m.head.weight.to_local().shape)
    res["fsdp_head_mult"] = list(get_multipliers(m.head))
    res["fsdp_lrs"] = [g["lr"] for g in q.param_groups]
    res["fsdp"] = train(rank, world, m, q.param_groups)
    if rank == 0:
        json.dump(res, open(out_path, "w"))
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2, sys.argv[1], sys.argv[2]), nprocs=2)
'''


def test_ddp_and_fsdp2_two_processes_match_one_process(tmp_path):
    if not torch.distributed.is_available():
        pytest.skip("torch.distributed not available")
    script = tmp_path / "run.py"
    script.write_text(SCRIPT % {"setup": SETUP})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "store"), str(out)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())

    torch.manual_seed(0)
    model = GPT(64, 64, 2, n_head=4, block_size=16)
    kw = dict(SETUP)
    p = Parametrization(model, kw.pop("param"), **kw)
    g = torch.Generator().manual_seed(3)
    opt, ref = torch.optim.AdamW(p.param_groups), []
    for _ in range(3):
        x, y = torch.randint(0, 64, (4, 12), generator=g), torch.randint(0, 64, (4, 12), generator=g)
        loss = model.loss(x, y)
        ref.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()

    assert res["ddp"] == pytest.approx(ref, rel=1e-5)
    assert res["fsdp"] == pytest.approx(ref, rel=1e-5)
    # fans from the global shapes: every record equals the unsharded model's, though each rank holds half
    assert res["fsdp_local_head"] == [32, 64]
    assert res["fsdp_records"] == {n: [list(i.shape), i.lr_scale, i.multiplier] for n, i in p.records.items()}
    assert res["fsdp_head_mult"] == [0.25, 0.75]
    assert res["fsdp_lrs"] == [grp["lr"] for grp in p.param_groups]
