"""The coordinate check with a *real* optimizer object (:func:`optim_run`): for optimizers that cannot run under
``vmap`` over stacked seeds (Muon's Newton-Schulz on 2-D tensors, SOAP's and Shampoo's eigenbases), each seed is
its own model and ``torch.optim`` / pytorch-optimizer instance (:mod:`scaling_exponents.verifier.optimizers`).
Records the same quantities as :func:`.coord.coord_run` (``act_init``, ``act_delta[|t]``, ``dW_rms``, ``dW_spec``,
``W_spec``, ``features|kernel_move``) so :func:`scaling_exponents.evidence.summary.fit_rows` fits them the same way.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import RunConfig, check_device, make_model, set_precision, table_for
from .kernels import _kernel
from .seeds import _loss, _rms, _task_data, _weight_metrics, weight_layers


#: Version of what optim_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


def parametrize_for_optimizer(model: nn.Module, cfg: RunConfig):
    """The Parametrization of a per-matrix (or any) table; depth rows refer to the model's own depth in width sweeps."""
    from ...torch.parametrize import Parametrization

    table = table_for(cfg.param, cfg.optimizer, cfg.alignment)
    depth = getattr(model, "depth", cfg.depth)
    return Parametrization(model, table, optimizer=cfg.optimizer, width=cfg.width, base_width=cfg.base_width,
                           depth=depth, base_depth=cfg.base_depth or depth, lr=cfg.lr, settings={"eps": cfg.eps})


def optim_run(cfg: RunConfig, matrix_roles=None) -> dict:
    """Train each seed for ``cfg.steps`` steps on the fixed probe batch with the table's optimizer; measured values.

    Result as :func:`.coord.coord_run`: ``{"metrics": {"layer|quantity": [per seed]}, "loss": [[per step] per seed]}``.
    """
    from ..optimizers import build_optimizer

    device = check_device(cfg.device)
    dtype = set_precision(cfg.dtype, device)
    x, y, d_in, d_out = _task_data(cfg, device)
    if dtype != torch.float32 and x.is_floating_point():
        x = x.to(dtype)
    per_seed, losses = [], []
    for s in cfg.seeds:
        torch.manual_seed(int(s))
        model = make_model(cfg, d_in, d_out)
        pz = parametrize_for_optimizer(model, cfg)
        model.to(device=device, dtype=dtype)
        opt = build_optimizer(cfg.optimizer, pz.param_groups, pz, matrix_roles=matrix_roles)
        layers = weight_layers(model)
        names = list(layers)
        store = {}
        hooks = [layers[n].register_forward_hook(lambda mod, a, o, n=n: store.__setitem__(n, (a[0], o))) for n in names]
        w0 = {n: layers[n].weight.detach().clone() for n in names}
        acts0, feats0, m, ls = None, None, {}, []
        try:
            for t in range(cfg.steps + 1):
                opt.zero_grad(set_to_none=True)
                loss = _loss(model(x), y)
                ls.append(float(loss.detach()))
                acts = {n: store[n][1].detach() for n in names}
                feats = store[names[-1]][0].detach()
                if t == 0:
                    acts0, feats0 = acts, feats
                    for n in names:
                        m[f"{n}|act_init"] = float(_rms(acts[n], tuple(range(acts[n].dim()))))
                else:
                    for n in names:
                        d = acts[n].float() - acts0[n].float()
                        m[f"{n}|act_delta|t{t}"] = float(_rms(d, tuple(range(d.dim()))))
                if t < cfg.steps:
                    loss.backward()
                    opt.step()
        finally:
            for h in hooks:
                h.remove()
        for n in names:
            m[f"{n}|act_delta"] = m[f"{n}|act_delta|t{cfg.steps}"]
        k0, kT = _kernel(feats0[None]), _kernel(feats[None])
        m["features|kernel_move"] = float(((kT - k0).norm(dim=(1, 2)) / k0.norm(dim=(1, 2)))[0])
        per_seed.append((m, {n: (w0[n], layers[n].weight.detach()) for n in names},
                         {n: isinstance(layers[n], nn.Embedding) for n in names}))
        losses.append(ls)
    metrics = {k: [ps[0][k] for ps in per_seed] for k in per_seed[0][0]}
    for n, is_emb in per_seed[0][2].items():
        w0 = torch.stack([ps[1][n][0] for ps in per_seed])
        wT = torch.stack([ps[1][n][1] for ps in per_seed])
        _weight_metrics(metrics, n, w0, wT, 1.0, is_emb)
    bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": metrics, "loss": losses, "nonfinite": bad}
