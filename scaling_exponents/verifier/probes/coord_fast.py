"""Fast path of :func:`~.coord.coord_run` for the reference MLP (no bias, float32/64): stacked weights, batched
matmuls, a written-out backward and fused Adam; equal to the generic path up to float rounding
(tests/verifier/test_coord_fast.py).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import check_device, make_model, parametrize, RunConfig, set_precision
from .kernels import _kernel
from .seeds import _group_hparams, _l1, _l1_key, _rms, _task_data, _weight_metrics, adam_step, BETAS, SeedBatch


def _fast_unsupported(cfg: RunConfig) -> str | None:
    """Why :func:`_coord_run_mlp` does not apply to ``cfg`` (``None``: it does)."""
    if cfg.model != "mlp":
        return f"model {cfg.model!r} (only the reference MLP)"
    if cfg.bias:
        return "bias=True"
    if cfg.optimizer not in ("adam", "sgd"):
        return f"optimizer {cfg.optimizer!r}"
    if cfg.dtype not in ("float32", "float64", "tf32"):
        return f"dtype {cfg.dtype!r}"
    return None


def _build_mlp_seeds(cfg: RunConfig, device, dtype, d_in: int, d_out: int):
    """Stacked (S, out, in) weights of the MLP for every seed, bitwise equal to :func:`build_seeds`'s, from ONE
    Parametrization: the first seed's model is built and parametrized as usual (it gives the per-parameter
    LR/eps/weight decay, the multipliers and the ``init="rescale"`` factors); every other seed replays that
    model's RNG stream (``manual_seed(seed)``, then PyTorch's default Linear init in definition order) into the
    stacked tensor and multiplies by the same factors -- no per-seed module, Parametrization or ``torch.stack``.
    Returns ``(names, weights, scales, hp)`` or ``None`` where the Parametrization does something else."""
    from ...torch.multiplier import get_multipliers

    seeds = [int(s) for s in cfg.seeds]
    torch.manual_seed(seeds[0])
    m = make_model(cfg, d_in, d_out)
    pz = parametrize(m, cfg)
    layers = [m.embed, *m.hidden, m.head]
    names = ["embed", *[f"hidden.{i}" for i in range(len(m.hidden))], "head"]
    pnames = [n for n, _ in m.named_parameters()]
    records = getattr(pz, "records", {})
    if (pz.settings.init != "rescale" or pnames != [f"{n}.weight" for n in names]
            or any(type(l) is not nn.Linear for l in layers)
            or any(records.get(f"{n}.weight") is None or records[f"{n}.weight"].init_scale is None for n in names)
            or any(_mult_param(l) for l in layers)):
        return None
    hp = _group_hparams(m, pz, pnames)
    init_scale = [records[f"{n}.weight"].init_scale for n in names]
    scales = []
    for l in layers:
        mult = get_multipliers(l)
        scales.append(mult[0] if mult else 1.0)
    weights = [torch.empty(len(seeds), *l.weight.shape) for l in layers]
    for w, l in zip(weights, layers):
        w[0] = l.weight.detach()
    for i, s in enumerate(seeds[1:], 1):
        torch.manual_seed(s)
        for w, f in zip(weights, init_scale):  # nn.Linear.reset_parameters, then Parametrization._initialise
            nn.init.kaiming_uniform_(w[i], a=math.sqrt(5)).mul_(f)
    weights = [w.to(device=device, dtype=dtype) for w in weights]
    return names, weights, scales, hp


def _mult_param(module) -> bool:
    """Whether a weight multiplier was installed with torch.nn.utils.parametrize (not an output hook)."""
    from torch.nn.utils import parametrize as _p

    return _p.is_parametrized(module)


def _mlp_forward(ws, scales, x):
    """Layer inputs ``hs`` and (multiplied) outputs ``zs`` of the ReLU MLP for all seeds: ``z = m (h W^T)``."""
    hs, zs, h = [], [], x
    for i, (w, s) in enumerate(zip(ws, scales)):
        hs.append(h)
        z = torch.matmul(h, w.transpose(-1, -2))  # x (B, in) broadcasts over the seed axis
        if s != 1.0:
            z = z * s
        zs.append(z)
        if i < len(ws) - 1:
            h = torch.relu(z)
    return hs, zs


def _mlp_backward(ws, scales, hs, zs, g):
    """Gradients of every (S, out, in) weight given ``g`` = d loss / d (last layer output), and the backward
    signal ``delta`` = d loss / d z at every layer output (what :func:`_ntk` obtains through a perturbation)."""
    grads, deltas = [None] * len(ws), [None] * len(ws)
    for i in reversed(range(len(ws))):
        deltas[i] = g
        gs = g * scales[i] if scales[i] != 1.0 else g
        grads[i] = torch.matmul(gs.transpose(-1, -2), hs[i])
        if i:
            g = torch.bmm(gs, ws[i]).mul_(zs[i - 1] > 0)  # ReLU'(z) = [z > 0], as autograd's threshold_backward
    return grads, deltas


def _xent(logits, y):
    """Per-seed mean cross-entropy of (S, B, C) logits and its gradient w.r.t. the logits."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    idx = y.view(1, -1, 1).expand(logp.shape[0], -1, 1)
    loss = -logp.gather(-1, idx).squeeze(-1).mean(-1)
    g = logp.exp_()
    g.scatter_add_(-1, idx, torch.full(idx.shape, -1.0, dtype=g.dtype, device=g.device))
    return loss, g.div_(logits.shape[1]).to(logits.dtype)


def _coord_run_mlp(cfg: RunConfig) -> dict | None:
    """:func:`coord_run` for the reference MLP without ``vmap``: weights of all seeds stacked (S, out, in), one
    batched matmul per layer and pass, the backward written out (``dW = m delta^T h``), the same functional
    Adam/SGD (:func:`adam_step`) on the stacks.  Same metrics as the generic path; ``None`` if not applicable."""
    device = check_device(cfg.device)
    dtype = set_precision(cfg.dtype, device)
    x, y, d_in, d_out = _task_data(cfg, device)
    x = x.to(dtype)
    built = _build_mlp_seeds(cfg, device, dtype, d_in, d_out)
    if built is None:
        return None
    names, ws, scales, (lr, eps, wd) = built
    pn = [f"{n}.weight" for n in names]
    sb = SeedBatch(None, dict(zip(pn, ws)), {}, lr, eps, wd, scale=dict(zip(names, scales)))
    l1_only = cfg.stats == "l1"
    params = sb.params
    init = None if l1_only else [w.clone() for w in ws]
    want_ntk = not l1_only and cfg.ntk_points and cfg.optimizer == "sgd"
    ntk0 = _ntk_mlp(sb, names, x[: cfg.ntk_points]) if want_ntk else None
    state, metrics, losses = {}, {}, []
    zs0 = feats0 = None
    L = len(names)
    for t in range(cfg.steps + 1):
        ws = [params[p] for p in pn]
        hs, zs = _mlp_forward(ws, scales, x)
        loss, g = _xent(zs[-1], y)
        losses.append(loss.tolist())
        if l1_only:
            for i, n in enumerate(names):
                metrics[_l1_key(n, 0, 1, t)] = _l1(zs[i])
                if i < L - 1:
                    metrics[_l1_key("act", i, L - 1, t)] = _l1(hs[i + 1])
        elif t == 0:
            zs0, feats0 = zs, hs[-1]
            for n, z in zip(names, zs):
                metrics[f"{n}|act_init"] = _rms(z, (1, 2)).tolist()
        else:
            for n, z, z0 in zip(names, zs, zs0):
                metrics[f"{n}|act_delta|t{t}"] = _rms(z.float() - z0.float(), (1, 2)).tolist()
        if t < cfg.steps:
            grads, _ = _mlp_backward(ws, scales, hs, zs, g)
            if cfg.optimizer == "adam" and hasattr(torch, "_fused_adamw_"):
                _fused_adam_step(params, dict(zip(pn, grads)), state, sb)
            else:
                params = adam_step(params, dict(zip(pn, grads)), state, t + 1, sb, cfg.optimizer)
            del grads
    if not l1_only:
        for i, n in enumerate(names):
            metrics[f"{n}|act_delta"] = metrics[f"{n}|act_delta|t{cfg.steps}"]
            _weight_metrics(metrics, n, init[i], params[pn[i]], scales[i])
        k0, kT = _kernel(feats0), _kernel(hs[-1])
        metrics["features|kernel_move"] = ((kT - k0).norm(dim=(1, 2)) / k0.norm(dim=(1, 2))).tolist()
        if ntk0 is not None:
            ntkT = _ntk_mlp(sb, names, x[: cfg.ntk_points])
            metrics["model|ntk_move"] = ((ntkT - ntk0).norm(dim=(1, 2)) / ntk0.norm(dim=(1, 2))).tolist()
    bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": metrics, "loss": [list(r) for r in zip(*losses)], "nonfinite": bad}


def _fused_adam_step(params, grads, state, sb: SeedBatch) -> None:
    """:func:`adam_step` for Adam through PyTorch's fused AdamW kernel (``torch.optim.AdamW(fused=True)``'s: one
    pass over parameter, gradient and moments instead of ~8; decoupled weight decay ``p *= 1 - lr wd`` as
    ``adam_step``), in place; equal to :func:`adam_step` up to float rounding."""
    for n, p in params.items():
        if n not in state:
            state[n] = (torch.zeros_like(p), torch.zeros_like(p), torch.zeros((), dtype=torch.float32, device=p.device))
        m, v, step = state[n]
        step += 1
        torch._fused_adamw_([p], [grads[n]], [m], [v], [], [step], amsgrad=False, lr=sb.lr[n], beta1=BETAS[0],
                            beta2=BETAS[1], weight_decay=sb.wd[n], eps=sb.eps[n], maximize=False)


def _ntk_mlp(sb: SeedBatch, names, xp) -> torch.Tensor:
    """:func:`_ntk` for the stacked MLP: deltas of the first logit from the hand-written backward."""
    ws = [sb.params[f"{n}.weight"] for n in names]
    scales = [sb.scale[n] for n in names]
    hs, zs = _mlp_forward(ws, scales, xp)
    g = torch.zeros_like(zs[-1])
    g[..., 0] = 1.0
    _, deltas = _mlp_backward(ws, scales, hs, zs, g)
    total = 0
    for n, h, d in zip(names, hs, deltas):
        dd = d.float() @ d.float().transpose(-1, -2)
        xx = h.float() @ h.float().transpose(-1, -2)
        total = total + sb.lr[f"{n}.weight"] * sb.scale[n] ** 2 * dd * xx
    return total
