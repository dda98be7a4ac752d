"""Seed batching and the shared pieces of every probe: one model per seed with parameters stacked for
``torch.func.vmap``; forward capture hooks; the functional optimizers (Adam with PyTorch's default betas and
bias correction, SGD) that run under ``vmap``, each parameter's LR and epsilon taken from
``Parametrization.param_groups``; the probe batch; randomized spectral norms and per-weight metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from .. import data as _data
from .config import check_device, make_model, parametrize, RunConfig, set_precision


#: Adam defaults (torch.optim.Adam).
BETAS = (0.9, 0.999)


@dataclass
class SeedBatch:
    """A template module plus the stacked (seed-major) parameters and per-parameter hyperparameters."""

    module: nn.Module
    params: dict
    buffers: dict
    lr: dict
    eps: dict
    wd: dict
    scale: dict = field(default_factory=dict)  # weight-layer name -> effective weight multiplier
    bias_scale: dict = field(default_factory=dict)


def _group_hparams(model, pz, names):
    """Per-parameter ``(lr, eps, wd)`` dicts from the Parametrization's ``param_groups`` (or a list of groups); a
    parameter the Parametrization left frozen (``requires_grad=False``: no group) gets LR 0, so it does not move."""
    by_id = {id(p): n for n, p in model.named_parameters()}
    lr, eps, wd = {}, {}, {}
    groups = pz.param_groups if hasattr(pz, "param_groups") else pz
    for n in getattr(pz, "frozen", ()):
        lr[n], eps[n], wd[n] = 0.0, 1e-8, 0.0
    for g in groups:
        for p in g["params"]:
            n = by_id.get(id(p))
            if n is not None:
                lr[n] = float(g.get("lr", 0.0))
                eps[n] = float(g.get("eps", 1e-8))
                wd[n] = float(g.get("weight_decay", 0.0))
    missing = [n for n in names if n not in lr]
    if missing:
        raise RuntimeError(f"Parametrization.param_groups does not cover {missing[:3]}")
    return lr, eps, wd


def weight_layers(module: nn.Module) -> dict:
    """Weight layers to watch, in forward order: Linear/Embedding modules (name -> module)."""
    return {n: m for n, m in module.named_modules() if isinstance(m, (nn.Linear, nn.Embedding))}


def build_seeds(cfg: RunConfig, device, dtype, d_in=64, d_out=10) -> SeedBatch:
    """One parametrized model per seed; returns the first as template and all parameters stacked."""
    from ...torch.multiplier import get_multipliers

    per_seed, template, hp = [], None, None
    for s in cfg.seeds:
        torch.manual_seed(int(s))
        m = make_model(cfg, d_in, d_out)
        pz = parametrize(m, cfg)
        if template is None:
            template, names = m, [n for n, _ in m.named_parameters()]
            hp = _group_hparams(m, pz, names)
        per_seed.append({n: p.detach() for n, p in m.named_parameters()})
    template = template.to(device=device, dtype=dtype)
    params = {n: torch.stack([d[n] for d in per_seed]).to(device=device, dtype=dtype) for n in per_seed[0]}
    buffers = {n: b for n, b in template.named_buffers()}
    scale, bias_scale = {}, {}
    for name, mod in weight_layers(template).items():
        mult = get_multipliers(mod)
        scale[name] = mult[0] if mult else 1.0
        bias_scale[name] = (mult[0] + mult[1]) if mult else 1.0
    return SeedBatch(template, params, buffers, *hp, scale=scale, bias_scale=bias_scale)


class Capture:
    """Forward hooks that record each watched layer's input and output, and optionally add a perturbation
    (zeros) to the output so that ``grad`` w.r.t. it gives the backward signal delta (for the eNTK)."""

    def __init__(self, module: nn.Module, names):
        self.names = list(names)
        self.store, self.pert = {}, None
        mods = dict(module.named_modules())
        self.handles = [mods[n].register_forward_hook(self._hook(n)) for n in self.names]

    def _hook(self, name):
        def hook(mod, args, out):
            if self.pert is not None and name in self.pert:
                out = out + self.pert[name]
            self.store[name] = (args[0], out)
            return out
        return hook

    def remove(self):
        """Remove every forward hook this capture installed."""
        for h in self.handles:
            h.remove()


def _loss(out, y):
    if out.dim() == 3:  # LM logits (B, T, V)
        return F.cross_entropy(out.reshape(-1, out.shape[-1]).float(), y.reshape(-1))
    return F.cross_entropy(out.float(), y)


def adam_step(params, grads, state, t, sb: SeedBatch, optimizer: str):
    """One functional update of all seeds' parameters (in place; torch.optim.Adam semantics, decoupled
    weight decay as AdamW when a group has one).  Returns ``params``."""
    b1, b2 = BETAS
    for n, p in params.items():
        g, lr = grads[n], sb.lr[n]
        if sb.wd[n]:
            p.mul_(1 - lr * sb.wd[n])
        if optimizer == "sgd":
            p.add_(g, alpha=-lr)
            continue
        if n not in state:  # first step from zero moments: the same values without the zeros and two passes
            m, v = g * (1 - b1), (g * (1 - b2)).mul_(g)
            state[n] = (m, v)
        else:
            m, v = state[n]
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (v / (1 - b2 ** t)).sqrt_().add_(sb.eps[n])
        p.addcdiv_(m, denom, value=-lr / (1 - b1 ** t))
    return params


def train_fixed_batch(step_fn, params, x, y, sb: SeedBatch, cfg: RunConfig, on_step=None):
    """``cfg.steps`` functional optimizer steps of all seeds on one fixed batch: ``step_fn(params, x, y)`` gives
    ``(grads, aux)`` at each of the steps + 1 parameter states; ``on_step(t, aux)`` sees every one.  Returns
    ``(aux at init, aux after the last step, the final params)``."""
    state, aux0, aux = {}, None, None
    for t in range(cfg.steps + 1):
        grads, aux = step_fn(params, x, y)
        if on_step is not None:
            on_step(t, aux)
        if t == 0:
            aux0 = aux
        if t < cfg.steps:
            params = adam_step(params, grads, state, t + 1, sb, cfg.optimizer)
        del grads
    return aux0, aux, params


def _rms(x, dims):
    return x.float().pow(2).mean(dim=dims).sqrt()


def spectral_norm(w: torch.Tensor, k: int = 8, q: int = 3) -> torch.Tensor:
    """Largest singular value of each matrix of a (S, m, n) stack: randomized range finder with ``q`` subspace
    iterations (Halko, Martinsson & Tropp, arXiv 0909.4061, Alg. 4.4) -- 2q + 2 passes over ``w`` instead
    of a full SVD; exact for rank <= k (weight updates on a fixed batch) and within a few % otherwise."""
    w = w.float()
    g = torch.Generator(device="cpu").manual_seed(0)
    omega = torch.randn(w.shape[0], w.shape[-1], k, generator=g).to(w.device)
    # the k-column blocks are kept transposed, (S, k, m): products then read ``w`` row by row (``y^T w`` is ~3x
    # faster on CPU than ``w^T y``, a strided read); the same iteration as y <- w w^T Q(y)
    yt = omega.transpose(-1, -2) @ w.transpose(-1, -2)                  # (w omega)^T
    for _ in range(q):
        qt = torch.linalg.qr(yt.transpose(-1, -2)).Q.transpose(-1, -2)
        yt = (qt @ w) @ w.transpose(-1, -2)                             # (w w^T Q)^T
    qt = torch.linalg.qr(yt.transpose(-1, -2)).Q.transpose(-1, -2)
    return torch.linalg.svdvals(qt @ w)[:, 0]


def _task_data(cfg: RunConfig, device):
    if cfg.model in ("mlp", "resmlp"):
        x, y = _data.probe_batch(cfg.batch)
        return x.to(device), y.to(device), 64, 10
    x, y = next(_data.byte_batches(cfg.block, cfg.batch, seed=0))
    return x.to(device), y.to(device), 256, 256


def _setup_seeds(cfg: RunConfig):
    """Device, dtype, the probe batch (cast to the run's dtype) and the seed-stacked model of a run."""
    device = check_device(cfg.device)
    dtype = set_precision(cfg.dtype, device)
    x, y, d_in, d_out = _task_data(cfg, device)
    if dtype != torch.float32 and x.is_floating_point():
        x = x.to(dtype)
    return device, dtype, x, y, build_seeds(cfg, device, dtype, d_in, d_out)


#: Activation modules whose outputs ``stats="l1"`` records (microsoft/mup records every module's output).
_ACT_TYPES = (nn.ReLU, nn.GELU, nn.Tanh, nn.SiLU)


def _l1_key(name: str, k: int, calls: int, t: int) -> str:
    """Metric key of the mean |output| of module ``name`` (its ``k``-th call of ``calls`` in a forward) at step t."""
    return f"{name}[{k}]|l1|t{t}" if calls > 1 else f"{name}|l1|t{t}"


def _l1(z):
    return z.float().abs().mean(dim=tuple(range(1, z.dim()))).tolist()


def _weight_metrics(metrics: dict, n: str, w0, wT, s: float, embedding: bool = False) -> None:
    """``dW_rms``, ``dW_spec`` and ``W_spec`` of weight layer ``n`` from its (S, out, in) init and final stacks."""
    if embedding:  # (vocab, width): as a map vocab -> width, W^T
        w0, wT = w0.transpose(-1, -2), wT.transpose(-1, -2)
    dw = (wT.float() - w0.float()) * s
    metrics[f"{n}|dW_rms"] = _rms(dw, (1, 2)).tolist()
    metrics[f"{n}|dW_spec"] = spectral_norm(dw).tolist()
    # Bai-Yin: E||W|| ≈ sigma (sqrt(m) + sqrt(k)); normalise to sigma sqrt(max(m, k)) so a fixed fan
    # (d_in = 64, 10 classes) does not bend the log-log line at small widths
    m_, k_ = w0.shape[-2:]
    by = math.sqrt(max(m_, k_)) / (math.sqrt(m_) + math.sqrt(k_))
    metrics[f"{n}|W_spec"] = (spectral_norm(w0.float() * s) * by).tolist()
