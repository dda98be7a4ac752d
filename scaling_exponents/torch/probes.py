"""Measure coordinate sizes, updates, weight norms and kernel movement on seed-batched runs.

What: :func:`coord_run` builds one model per seed with the project's :class:`Parametrization`, stacks the
seeds' parameters and trains all of them *at once* for ``steps`` steps on a fixed batch with
``torch.func.vmap`` over ``functional_call`` (one kernel launch per layer for all seeds instead of one
model per seed as in microsoft/mup's ``get_coord_data``).  Forward hooks on every weight layer record the
quantities of :mod:`.predict` (``act_init``, ``act_delta``, ``dW_rms``, ``dW_spec``, ``W_spec``,
``kernel_move``, ``ntk_move``).  For the reference MLP (no bias, float32/64) the same run goes through a
hand-written path instead (stacked weights, batched matmuls, written-out backward, fused Adam; equal up to
float rounding, tests/test_verify_fast.py).  :func:`nngp_run` measures the init-time kernel against the arc-cosine
NNGP.  Why: the verifier fits log-log slopes of these values across widths (:mod:`.fit`).

Optimizers are re-implemented functionally (Adam with PyTorch's default betas and bias correction, SGD) so
they can run under ``vmap``; each parameter's LR and epsilon come from ``Parametrization.param_groups``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

from ..errors import UserError
from . import data as _data

#: Adam defaults (torch.optim.Adam).
BETAS = (0.9, 0.999)


@dataclass
class RunConfig:
    """Everything that determines one run (one width/depth point, all seeds batched)."""

    param: str
    model: str = "mlp"  # "mlp" | "gpt"
    optimizer: str = "adam"
    alignment: str | None = None
    width: int = 64
    depth: int = 2
    base_width: int = 64
    base_depth: int | None = None
    lr: float = 1e-2
    steps: int = 3
    seeds: tuple = (0, 1, 2, 3, 4)
    batch: int = 64
    dtype: str = "float32"  # float32 | bfloat16 | tf32
    device: str = "cpu"
    ntk_points: int = 8
    block: int = 32  # GPT sequence length
    head_dim: int = 16  # GPT: n_head = width / head_dim
    bias: bool = False  # the predictions are for weights; biases add a width-constant term to the logits
    #: "full": every quantity of :mod:`.predict` (what the verifier fits); "l1": only what microsoft/mup's
    #: ``get_coord_data`` records by default -- the mean |output| of every weight layer and activation per step
    stats: str = "full"

    def to_dict(self):
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        if d["stats"] == "full":  # the default stays out of the store key (results.jsonl keys predate the field)
            del d["stats"]
        return d


def check_device(device: str) -> torch.device:
    """``cpu`` or ``cuda[:i]``; a CUDA request without a GPU is a user error, not a traceback."""
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(f"--device {device} requested but torch.cuda.is_available() is False; use --device cpu")
    elif device != "cpu":
        raise UserError(f"--device must be cpu or cuda[:i], got {device!r}")
    return torch.device(device)


def set_precision(dtype: str, device: torch.device) -> torch.dtype:
    """Configure TF32 (CUDA only) and return the parameter dtype."""
    if dtype not in ("float32", "bfloat16", "tf32", "float64"):
        raise UserError(f"--dtype must be float32, tf32, bfloat16 or float64, got {dtype!r}")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = dtype == "tf32"
        torch.backends.cudnn.allow_tf32 = dtype == "tf32"
    elif dtype == "tf32":
        raise UserError("--dtype tf32 needs --device cuda")
    return {"bfloat16": torch.bfloat16, "float64": torch.float64}.get(dtype, torch.float32)


# ---------------------------------------------------------------------------------------------------------
# model construction through the project's Parametrization
# ---------------------------------------------------------------------------------------------------------

def make_model(cfg: RunConfig, d_in: int = 64, d_out: int = 10) -> nn.Module:
    from .models import GPT, MLP
    from .resmlp import ResMLP

    if cfg.width < 1 or cfg.depth < 1:
        raise UserError(f"width and depth must be >= 1, got width={cfg.width}, depth={cfg.depth}")
    if cfg.model == "mlp":
        return MLP(d_in, cfg.width, d_out, depth=cfg.depth, bias=cfg.bias)
    if cfg.model == "resmlp":
        return ResMLP(d_in, cfg.width, d_out, depth=cfg.depth, bias=cfg.bias)
    if cfg.model == "gpt":
        if cfg.width % cfg.head_dim:
            raise UserError(f"GPT width {cfg.width} must be a multiple of head_dim {cfg.head_dim}")
        return GPT(256, cfg.width, cfg.depth, head_dim=cfg.head_dim, block_size=cfg.block, bias=cfg.bias)
    raise UserError(f"--model must be mlp, resmlp or gpt, got {cfg.model!r}")


@lru_cache(maxsize=64)
def table_for(param: str, optimizer: str | None, alignment: str | None):
    """The derived table, once per (param, optimizer, alignment): deriving solves an LP (~0.1-1 s)."""
    from ..systems.registry import derive

    return derive(param, optimizer=optimizer, alignment=alignment)


def parametrize(model: nn.Module, cfg: RunConfig):
    """Apply the project's Parametrization (init, multipliers) and return it (its param_groups carry LRs)."""
    from .parametrize import Parametrization

    kw = dict(param=table_for(cfg.param, cfg.optimizer, cfg.alignment), optimizer=cfg.optimizer, alignment=cfg.alignment, width=cfg.width,
              base_width=cfg.base_width, lr=cfg.lr)
    if cfg.base_depth is not None:
        kw.update(depth=cfg.depth, base_depth=cfg.base_depth)
    return Parametrization(model, **{k: v for k, v in kw.items() if v is not None})


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
    by_id = {id(p): n for n, p in model.named_parameters()}
    lr, eps, wd = {}, {}, {}
    groups = pz.param_groups if hasattr(pz, "param_groups") else pz
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
    from .multiplier import get_multipliers

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


# ---------------------------------------------------------------------------------------------------------
# functional forward with capture, optimizers
# ---------------------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------------------
# the coordinate-check run
# ---------------------------------------------------------------------------------------------------------

def _task_data(cfg: RunConfig, device):
    if cfg.model in ("mlp", "resmlp"):
        x, y = _data.probe_batch(cfg.batch)
        return x.to(device), y.to(device), 64, 10
    x, y = next(_data.byte_batches(cfg.block, cfg.batch, seed=0))
    return x.to(device), y.to(device), 256, 256


#: Activation modules whose outputs ``stats="l1"`` records (microsoft/mup records every module's output).
_ACT_TYPES = (nn.ReLU, nn.GELU, nn.Tanh, nn.SiLU)


def _l1_key(name: str, k: int, calls: int, t: int) -> str:
    """Metric key of the mean |output| of module ``name`` (its ``k``-th call of ``calls`` in a forward) at step t."""
    return f"{name}[{k}]|l1|t{t}" if calls > 1 else f"{name}|l1|t{t}"


def _l1(z):
    return z.float().abs().mean(dim=tuple(range(1, z.dim()))).tolist()


def coord_run(cfg: RunConfig, impl: str = "auto") -> dict:
    """Train all seeds of one width for ``cfg.steps`` steps on a fixed batch; return measured values.

    Result: ``{"metrics": {"layer|quantity": [value per seed]}, "loss": [[per step] per seed]}`` where
    ``act_delta`` appears per step as ``layer|act_delta|t{t}`` and at the last step as ``layer|act_delta``.
    With ``cfg.stats == "l1"`` the metrics are only ``module|l1|t{t}`` (mean |output| of each weight layer and
    each activation call, ``t = 0..steps``; microsoft/mup's default ``get_coord_data`` record).

    ``impl``: ``"auto"`` uses the hand-written seed-batched MLP path (:func:`_coord_run_mlp`: batched matmuls,
    manual backward, no ``vmap``) where it applies (``model="mlp"`` without biases, float32/64, Adam/SGD,
    ``init="rescale"``) and the generic ``vmap(grad(functional_call))`` path otherwise; ``"reference"`` forces
    the generic path, ``"fast"`` the MLP path (an error where it does not apply).  Both give the same values
    up to float rounding (tests/test_verify_fast.py).
    """
    if cfg.stats not in ("full", "l1"):
        raise UserError(f"stats must be 'full' or 'l1', got {cfg.stats!r}")
    if impl not in ("auto", "fast", "reference"):
        raise ValueError(f"impl must be auto, fast or reference, got {impl!r}")
    if impl != "reference":
        why = _fast_unsupported(cfg)
        if why is None:
            res = _coord_run_mlp(cfg)
            if res is not None:
                return res
            why = "the Parametrization does not rescale plain Linear weights"
        if impl == "fast":
            raise UserError(f"the fast MLP coord_run does not apply: {why}")
    return _coord_run_reference(cfg)


def _setup_seeds(cfg: RunConfig):
    """Device, dtype, the probe batch (cast to the run's dtype) and the seed-stacked model of a run."""
    device = check_device(cfg.device)
    dtype = set_precision(cfg.dtype, device)
    x, y, d_in, d_out = _task_data(cfg, device)
    if dtype != torch.float32 and x.is_floating_point():
        x = x.to(dtype)
    return device, dtype, x, y, build_seeds(cfg, device, dtype, d_in, d_out)


def _coord_run_reference(cfg: RunConfig) -> dict:
    """The generic path: any model, seeds batched with ``vmap(grad(functional_call))`` and forward hooks."""
    device, dtype, x, y, sb = _setup_seeds(cfg)
    layers = weight_layers(sb.module)
    names = list(layers)
    cap = Capture(sb.module, names)
    readout_in = names[-1]
    l1_only = cfg.stats == "l1"
    act_calls: dict = {}
    act_handles = []
    if l1_only:  # every activation module's output too (a module used twice, like MLP.act, per call)
        def act_hook(name):
            def hook(mod, args, out):
                act_calls.setdefault(name, []).append(out)
            return hook
        act_handles = [m.register_forward_hook(act_hook(n)) for n, m in sb.module.named_modules()
                       if isinstance(m, _ACT_TYPES)]
    try:
        def f(params, xb, yb):
            cap.store = {}
            act_calls.clear()
            out = functional_call(sb.module, (params, sb.buffers), (xb,))
            loss = _loss(out, yb)
            acts = {n: cap.store[n][1] for n in names}
            if l1_only:
                acts.update({(n, k, len(v)): o for n, v in act_calls.items() for k, o in enumerate(v)})
                return loss, (acts, loss, loss)
            feats = cap.store[readout_in][0]
            return loss, (acts, feats, loss)

        if l1_only:
            step_fn = vmap(grad(f, has_aux=True), in_dims=(0, None, None))
            params, state, metrics, losses = sb.params, {}, {}, []
            for t in range(cfg.steps + 1):
                grads, (acts, _, loss) = step_fn(params, x, y)
                losses.append(loss.float().tolist())
                for n, a in acts.items():
                    metrics[_l1_key(*n, t) if isinstance(n, tuple) else _l1_key(n, 0, 1, t)] = _l1(a)
                if t < cfg.steps:
                    params = adam_step(params, grads, state, t + 1, sb, cfg.optimizer)
                del grads
            bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
            return {"metrics": metrics, "loss": [list(r) for r in zip(*losses)], "nonfinite": bad}

        step_fn = vmap(grad(f, has_aux=True), in_dims=(0, None, None))
        params = sb.params
        init = {n: params[n].clone() for n in params}
        state, metrics, losses = {}, {}, []
        acts0 = feats0 = None
        want_ntk = cfg.model == "mlp" and cfg.ntk_points and cfg.optimizer == "sgd"  # SGD's kernel
        ntk0 = _ntk(sb, cap, params, x, cfg) if want_ntk else None
        for t in range(cfg.steps + 1):
            grads, (acts, feats, loss) = step_fn(params, x, y)
            losses.append(loss.float().tolist())
            if t == 0:
                acts0, feats0 = acts, feats
                for n in names:
                    metrics[f"{n}|act_init"] = _rms(acts[n], tuple(range(1, acts[n].dim()))).tolist()
            else:
                for n in names:
                    d = _rms(acts[n].float() - acts0[n].float(), tuple(range(1, acts[n].dim()))).tolist()
                    metrics[f"{n}|act_delta|t{t}"] = d
            if t < cfg.steps:
                params = adam_step(params, grads, state, t + 1, sb, cfg.optimizer)
            del grads
        for n in names:
            metrics[f"{n}|act_delta"] = metrics[f"{n}|act_delta|t{cfg.steps}"]
            _weight_metrics(metrics, n, init[f"{n}.weight"], params[f"{n}.weight"], sb.scale[n],
                            isinstance(layers[n], nn.Embedding))
        k0, kT = _kernel(feats0), _kernel(feats)
        metrics["features|kernel_move"] = ((kT - k0).norm(dim=(1, 2)) / k0.norm(dim=(1, 2))).tolist()
        if ntk0 is not None:
            ntkT = _ntk(sb, cap, params, x, cfg)
            metrics["model|ntk_move"] = ((ntkT - ntk0).norm(dim=(1, 2)) / ntk0.norm(dim=(1, 2))).tolist()
    finally:
        cap.remove()
        for h in act_handles:
            h.remove()
    bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": metrics, "loss": [list(r) for r in zip(*losses)], "nonfinite": bad}


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


# ---------------------------------------------------------------------------------------------------------
# fast path for the reference MLP: stacked weights, batched matmuls, hand-written backward
# ---------------------------------------------------------------------------------------------------------

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
    from .multiplier import get_multipliers

    seeds = [int(s) for s in cfg.seeds]
    torch.manual_seed(seeds[0])
    m = make_model(cfg, d_in, d_out)
    pz = parametrize(m, cfg)
    layers = [m.embed, *m.hidden, m.head]
    names = ["embed", *[f"hidden.{i}" for i in range(len(m.hidden))], "head"]
    pnames = [n for n, _ in m.named_parameters()]
    records = getattr(pz, "records", {})
    if (getattr(pz, "init_mode", None) != "rescale" or pnames != [f"{n}.weight" for n in names]
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


def _kernel(feats):
    """Feature kernel phi phi^T / n per seed; LM features (S, B, T, n) are flattened over tokens."""
    f = feats.float().reshape(feats.shape[0], -1, feats.shape[-1])
    return f @ f.transpose(-1, -2) / f.shape[-1]


def _ntk(sb: SeedBatch, cap: Capture, params, x, cfg) -> torch.Tensor:
    """LR-weighted empirical NTK ``sum_p lr_p J_p J_p^T`` of the first logit on ``ntk_points`` inputs.

    For a Linear layer ``y = m x W^T + m_b b`` the per-sample Jacobian of ``W`` is ``m delta x^T``, so its
    block is ``m^2 (delta delta^T) * (x x^T)`` (elementwise); delta is obtained as the gradient w.r.t. a
    zero perturbation added to the layer output (samples of an MLP are independent, so one backward of
    the summed output gives every sample's delta).
    """
    xp = x[: cfg.ntk_points]
    names = cap.names
    layers = weight_layers(sb.module)

    def g(params, pert):
        cap.pert = pert
        out = functional_call(sb.module, (params, sb.buffers), (xp,))
        ins = {n: cap.store[n][0] for n in names}
        return out[:, 0].float().sum(), ins

    zeros = {n: torch.zeros(xp.shape[0], layers[n].out_features, device=xp.device, dtype=xp.dtype) for n in names}
    try:
        deltas, ins = vmap(grad(g, argnums=1, has_aux=True), in_dims=(0, None))(params, zeros)
    finally:
        cap.pert = None
    total = 0
    for n in names:
        dd = deltas[n].float() @ deltas[n].float().transpose(-1, -2)
        xx = ins[n].float() @ ins[n].float().transpose(-1, -2)
        total = total + sb.lr[f"{n}.weight"] * sb.scale[n] ** 2 * dd * xx
        if f"{n}.bias" in sb.lr:
            total = total + sb.lr[f"{n}.bias"] * sb.bias_scale[n] ** 2 * dd
    return total


# ---------------------------------------------------------------------------------------------------------
# NNGP at init
# ---------------------------------------------------------------------------------------------------------

def arccos_nngp(x: torch.Tensor, depth: int, sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> torch.Tensor:
    """Analytic NNGP kernel of a ReLU MLP after ``depth`` ReLU layers (Cho & Saul 2009 arc-cosine kernel,
    the recursion of Lee et al., arXiv 1711.00165, Sec. 2.3): K^{l+1} = s_b + s_w/(2 pi) sqrt(k k')
    (sin th + (pi - th) cos th); returns the kernel of the last hidden *post-activation* features times s_w."""
    x = x.double()
    k = sigma_b2 + sigma_w2 * (x @ x.T) / x.shape[1]
    for l in range(depth):
        d = k.diagonal().sqrt()
        cos = (k / (d[:, None] * d[None, :])).clamp(-1, 1)
        th = torch.arccos(cos)
        e = d[:, None] * d[None, :] * (torch.sin(th) + (math.pi - th) * cos) / (2 * math.pi)  # E[relu relu]
        k = sigma_b2 + sigma_w2 * e if l < depth - 1 else sigma_w2 * e
    return k


def nngp_run(width: int, depth: int = 2, seeds=(0, 1, 2, 3, 4), points: int = 16, device: str = "cpu") -> dict:
    """Relative Frobenius error of the empirical last-layer kernel of Gaussian-init ReLU MLPs (He init,
    sigma_w^2 = 2, zero bias; models.MLP) vs :func:`arccos_nngp`, one value per seed."""
    from .models import MLP

    dev = check_device(device)
    x, _ = _data.probe_batch(points)
    x = x.to(dev)
    target = arccos_nngp(x.cpu(), depth + 1).to(dev)
    errs = []
    for s in seeds:
        torch.manual_seed(int(s))
        m = MLP(x.shape[1], width, 1, depth=depth).to(dev)
        with torch.no_grad():
            for lin in [m.embed, *m.hidden]:
                nn.init.normal_(lin.weight, std=math.sqrt(2.0 / lin.in_features))
                nn.init.zeros_(lin.bias)
            h = m.act(m.embed(x))
            for lin in m.hidden:
                h = m.act(lin(h))
            k = 2.0 * (h.double() @ h.double().T) / width
        errs.append(float((k - target).norm() / target.norm()))
    return {"metrics": {"model|nngp_err": errs}}


# ---------------------------------------------------------------------------------------------------------
# depth: residual stream, branches and in-block updates (the quantities of predict.predict_depth)
# ---------------------------------------------------------------------------------------------------------

def residual_branches(module: nn.Module) -> list[str]:
    """Names of the modules auto-detection marks ``residual_branch`` (the model's ``roles()`` hints), in order."""
    from .roles import auto

    _, mods, _ = auto(module)
    order = {n: i for i, (n, _) in enumerate(module.named_modules())}
    return sorted({m.module_name for m in mods if m.role == "residual_branch"}, key=order.get)


def _gmean(rows: list[torch.Tensor]) -> list:
    """Geometric mean over a list of per-seed (S,) tensors -> per-seed list (a diverged value stays non-finite)."""
    st = torch.stack([r.float() for r in rows])
    return st.clamp_min(1e-30).log().mean(0).exp().where(torch.isfinite(st).all(0), st.sum(0)).tolist()


def depth_run(cfg: RunConfig) -> dict:
    """One depth point of a residual network (``resmlp`` or ``gpt``), all seeds batched; ``cfg.steps`` Adam/SGD steps
    on a fixed batch.  Returns ``{"metrics": {"layer|quantity": [per seed]}, "loss": ...}`` with the keys of
    :data:`~scaling_exponents.torch.predict.DEPTH_QUANTITIES`:

    * ``stream`` = input of ``ln_f`` (h^L), ``blocks_sum`` = h^L - h^0 (h^0 = input of the first block);
    * ``branch`` = output of each ``residual_branch`` module *after* its multiplier (the Parametrization's hook runs
      before ours), geometric mean over branches; ``own_delta`` re-runs each trained branch on its own init input
      (``F(x_0; W_t) - F(x_0; W_0)``), ``input_delta`` is the rest of its change (``F(x_t; W_t) - F(x_0; W_t)``);
    * ``hidden|dW_rms`` = RMS of ``m (W_t - W_0)`` of every Linear inside a branch, geometric mean.
    """
    if cfg.model not in ("resmlp", "gpt"):
        raise UserError(f"depth runs need a residual model (resmlp or gpt), got {cfg.model!r}")
    device, dtype, x, y, sb = _setup_seeds(cfg)
    mods = dict(sb.module.named_modules())
    branches = residual_branches(sb.module)
    if not branches or "ln_f" not in mods or "head" not in mods:
        raise UserError(f"{type(sb.module).__name__} needs residual_branch hints, ln_f and head for a depth run")
    first = ".".join(branches[0].split(".")[:2])  # blocks.0 (GPT's Block or ResMLP's branch): its input is h^0
    names = list(dict.fromkeys(branches + [first, "ln_f", "head"]))
    hidden = [m for m, mod in mods.items() if isinstance(mod, nn.Linear) and any(m.startswith(b + ".") for b in branches)]
    cap = Capture(sb.module, names)
    try:
        def f(params, xb, yb):
            cap.store = {}
            out = functional_call(sb.module, (params, sb.buffers), (xb,))
            loss = _loss(out, yb)
            st = cap.store
            aux = {"h0": st[first][0], "hL": st["ln_f"][0], "feat": st["ln_f"][1], "logits": out,
                   "b_in": {b: st[b][0] for b in branches}, "b_out": {b: st[b][1] for b in branches}}
            return loss, (aux, loss)

        step_fn = vmap(grad(f, has_aux=True), in_dims=(0, None, None))
        params = sb.params
        init = {n: params[n].clone() for n in params}
        state, losses, a0 = {}, [], None
        for t in range(cfg.steps + 1):
            grads, (aux, loss) = step_fn(params, x, y)
            losses.append(loss.float().tolist())
            if t == 0:
                a0 = aux
            if t < cfg.steps:
                params = adam_step(params, grads, state, t + 1, sb, cfg.optimizer)
            del grads
        aT = aux
        dims = lambda z: tuple(range(1, z.dim()))
        rms = lambda z: _rms(z, dims(z))
        m = {"stream|act_init": rms(a0["hL"]).tolist(),
             "blocks_sum|act_init": rms(a0["hL"].float() - a0["h0"].float()).tolist(),
             "branch|act_init": _gmean([rms(a0["b_out"][b]) for b in branches]),
             "stream|act_delta": rms(aT["hL"].float() - a0["hL"].float()).tolist(),
             "blocks_sum|act_delta": rms((aT["hL"].float() - aT["h0"].float()) - (a0["hL"].float() - a0["h0"].float())).tolist(),
             "branch|act_delta": _gmean([rms(aT["b_out"][b].float() - a0["b_out"][b].float()) for b in branches]),
             "features|act_delta": rms(aT["feat"].float() - a0["feat"].float()).tolist(),
             "head|act_delta": rms(aT["logits"].float() - a0["logits"].float()).tolist()}
        own, inp = [], []
        for b in branches:
            sub = {k[len(b) + 1:]: v for k, v in params.items() if k.startswith(b + ".")}
            sub0 = {k[len(b) + 1:]: v for k, v in init.items() if k.startswith(b + ".")}
            run_b = vmap(lambda p, xin, mod=mods[b]: functional_call(mod, p, (xin,)))
            with torch.no_grad():
                trained_at_init_input = run_b(sub, a0["b_in"][b]).float()
                own.append(rms(trained_at_init_input - run_b(sub0, a0["b_in"][b]).float()))
                inp.append(rms(run_b(sub, aT["b_in"][b]).float() - trained_at_init_input))
        m["branch|own_delta"] = _gmean(own)
        m["branch|input_delta"] = _gmean(inp)
        m["hidden|dW_rms"] = _gmean([_rms((params[f"{h}.weight"].float() - init[f"{h}.weight"].float()) * sb.scale[h], (1, 2))
                                     for h in hidden])
    finally:
        cap.remove()
    bad = [k for k, v in m.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": m, "loss": [list(r) for r in zip(*losses)], "nonfinite": bad,
            "branches": len(branches)}
