"""MoE probe: router logits, expert pre-activations and outputs, MoE output, residual branch and stream of the
reference :class:`~scaling_exponents.verifier.models.moe.MoENet` at init and after ``steps`` Adam steps on a fixed
batch, all seeds batched (``vmap`` over ``functional_call``); the quantities of
:func:`scaling_exponents.evidence.predict_moe.predict_moe`.

The table is applied by :class:`~scaling_exponents.torch.Parametrization` with the MoE roles
(:data:`~scaling_exponents.verifier.models.moe.MOE_ROLES`) and sizes ``{width, experts, ffn_ratio, depth}``
relative to the base point.  The model is built as the base point's: each MoE layer's mean is ``1/k_base`` (arXiv
2601.20205's 1/n_act at the base), and the table's ``moe_output`` multiplier is installed by the Parametrization on
the module role ``moe_output`` (``blocks.*.moe.combine``), so the MoE output is ``(1/k_base) x table factor``.  The
input layer and the readout are frozen at PyTorch's default init (``requires_grad=False``: the Parametrization gives
them no optimizer group, so their LR is 0): the MoE tables state no rows for them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import torch
from torch.func import functional_call, grad, vmap

from ...errors import UserError
from .config import check_device, set_precision
from .seeds import Capture, SeedBatch, _group_hparams, _loss, _rms, train_fixed_batch
from .depth import _gmean


#: Version of what moe_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


@dataclass
class MoERunConfig:
    """One point of an MoE sweep (all seeds batched); ``to_dict()`` is the result store key."""

    param: str
    width: int = 64
    experts: int = 8
    topk: int = 2
    ffn_ratio: int = 1
    depth: int = 2
    base_width: int = 64
    base_experts: int = 8
    base_topk: int = 2
    base_depth: int = 2
    optimizer: str = "adam"
    lr: float = 1e-2
    steps: int = 3
    seeds: tuple = (0, 1, 2, 3, 4)
    batch: int = 64
    dtype: str = "float32"
    device: str = "cpu"

    def to_dict(self):
        """The run's configuration as a store key (``kind: moe_coord``; seeds as a list)."""
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        return {"kind": "moe_coord", **d}


def sizes(cfg: MoERunConfig) -> dict:
    """``{dimension: (size, base)}`` of a run, the ``sizes=`` that Parametrization evaluates the table's rows at."""
    return {"width": (cfg.width, cfg.base_width), "experts": (cfg.experts, cfg.base_experts),
            "ffn_ratio": (cfg.ffn_ratio, cfg.ffn_ratio), "depth": (cfg.depth, cfg.base_depth)}


def build_moe_seeds(cfg: MoERunConfig, table, device, dtype, d_in=64, d_out=10) -> tuple[SeedBatch, dict]:
    """One MoE network per seed, each parametrized by ``Parametrization`` with ``table`` at the run's sizes, batched
    for the probe (:class:`SeedBatch`), and the per-parameter hyperparameters of its optimizer groups."""
    from ...torch.parametrize import Parametrization
    from ...torch.safety import ParametrizationWarning
    from ..models.moe import MOE_ROLES, MoENet

    per_seed, template, hp, mults = [], None, None, None
    for s in cfg.seeds:
        torch.manual_seed(int(s))
        m = MoENet(d_in, cfg.width, d_out, depth=cfg.depth, experts=cfg.experts, topk=cfg.topk,
                   ffn_ratio=cfg.ffn_ratio, out_scale=1.0 / cfg.base_topk)  # the base point's mean 1/k_base
        for frozen in (m.embed, m.head):  # no MoE-table rows for them (module doc)
            frozen.requires_grad_(False)
        with warnings.catch_warnings():  # the frozen layers are the probe's choice; any other problem still warns
            warnings.filterwarnings("ignore", r"Parametrization: \d+ frozen parameter\(s\)[^|]*$",
                                    ParametrizationWarning)
            pz = Parametrization(m, table, cfg.optimizer, layers=MOE_ROLES, width=cfg.width, base_width=cfg.base_width,
                                 depth=cfg.depth, base_depth=cfg.base_depth, lr=cfg.lr,
                                 sizes={k: v for k, v in sizes(cfg).items() if k in ("experts", "ffn_ratio")})
        if template is None:
            template, names = m, [n for n, _ in m.named_parameters()]
            hp = _group_hparams(m, pz, names)
            mults = dict(pz.output_multipliers)
        per_seed.append({n: p.detach() for n, p in m.named_parameters()})
    lr, eps, wd = hp
    template = template.to(device=device, dtype=dtype)
    params = {n: torch.stack([d[n] for d in per_seed]).to(device=device, dtype=dtype) for n in per_seed[0]}
    buffers = {n: b for n, b in template.named_buffers()}
    return SeedBatch(template, params, buffers, lr, eps, wd), mults


def moe_run(cfg: MoERunConfig, table) -> dict:
    """``{"metrics": {"component|quantity": [per seed]}, "loss": ...}`` (keys of :func:`predict_moe`)."""
    from .. import data as _data

    if cfg.optimizer not in ("adam", "adamw"):
        raise UserError(f"the MoE tables are stated for Adam; got optimizer {cfg.optimizer!r}")
    device = check_device(cfg.device)
    dtype = set_precision(cfg.dtype, device)
    x, y = _data.probe_batch(cfg.batch)
    x, y = x.to(device=device, dtype=dtype), y.to(device)
    sb, mults = build_moe_seeds(cfg, table, device, dtype)
    mods = dict(sb.module.named_modules())
    groups = {"router": [n for n in mods if n.endswith(".moe.router")],
              "expert_up": [n for n in mods if n.endswith(".up")],
              "expert_down": [n for n in mods if n.endswith(".down")]}
    branches = [n for n in mods if n.endswith(".moe")]
    cap = Capture(sb.module, [n for g in groups.values() for n in g] + branches + ["ln_f"])
    try:
        def f(params, xb, yb):
            cap.store = {}
            out = functional_call(sb.module, (params, sb.buffers), (xb,))
            acts = {n: o for n, (_, o) in cap.store.items() if n != "ln_f"}
            acts["stream"] = cap.store["ln_f"][0]
            return _loss(out, yb), acts

        step_fn = vmap(grad(f, has_aux=True), in_dims=(0, None, None))
        params = sb.params
        init = {n: p.clone() for n, p in params.items()}
        a0, aT, params = train_fixed_batch(step_fn, params, x, y, sb, cfg)
        rms = lambda z: _rms(z, tuple(range(1, z.dim())))
        m = {}
        for role, names in groups.items():
            m[f"{role}|act_init"] = _gmean([rms(a0[n]) for n in names])
            m[f"{role}|act_delta"] = _gmean([rms(aT[n].float() - a0[n].float()) for n in names])
            dw = torch.cat([(params[f"{n}.weight"].float() - init[f"{n}.weight"].float()).flatten(1) for n in names], 1)
            m[f"{role}|dW_rms"] = dw.pow(2).mean(1).sqrt().tolist()
        r = {b: mults.get(b, 1.0) for b in branches}
        m["residual_branch|act_init"] = _gmean([rms(a0[b]) for b in branches])
        m["residual_branch|act_delta"] = _gmean([rms(aT[b].float() - a0[b].float()) for b in branches])
        m["moe_output|act_init"] = _gmean([rms(a0[b]) / r[b] for b in branches])
        m["moe_output|act_delta"] = _gmean([rms(aT[b].float() - a0[b].float()) / r[b] for b in branches])
        m["stream|act_delta"] = rms(aT["stream"].float() - a0["stream"].float()).tolist()
    finally:
        cap.remove()
    bad = [k for k, v in m.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": m, "nonfinite": bad, "residual_multipliers": sorted(set(r.values()))}
