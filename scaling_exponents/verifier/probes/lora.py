"""LoRA probe (:func:`lora_run`): one size (width n or rank r) of :class:`~..models.lora.LoRANet`, one model and one
real optimizer per seed, measuring the quantities of :mod:`scaling_exponents.evidence.predict_lora`.

**Data.**  The verifier's probe batch (:func:`..data.probe_batch`: ``batch`` standardised scikit-learn digits, 64
inputs, 10 classes; the same batch for every seed), cross-entropy loss, ``steps`` full-batch steps.

**HPs: the product.**  Each seed's model gets the table (:func:`~scaling_exponents.evidence.predict_lora.probe_table`:
with Init[A]'s ``lora_a init_std`` row where the table states none) through
:class:`~scaling_exponents.torch.Parametrization`: roles ``adapter.lora_a`` -> ``lora_a``, ``adapter.lora_b`` ->
``lora_b`` and the module ``adapter`` -> module role ``adapter`` (its ``multiplier`` rows are the output multiplier
gamma), ``width``/``base_width`` the sweep's width and base width, the rank as a dimension:
``sizes={"rank": (r, r_0)}``, ``init="rescale"`` on A drawn with the base std ``sigma_A = n_0^s`` (s the init row).
So sigma_A, the per-factor LRs and gamma are the product's; the optimizer is built from its ``param_groups``:
``adam``: ``torch.optim.Adam`` (betas 0.9, 0.999, eps 1e-8, no weight decay); ``sgd``: ``torch.optim.SGD`` (no
momentum).  Only A and B train; the network's weights are frozen buffers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch.nn import functional as F

from ...errors import UserError
from .config import check_device, table_for

#: roles of the LoRA network (``layers=`` of the Parametrization): A, B and the adapter module (gamma)
#: Version of what lora_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


ROLES = {"adapter": "adapter", "adapter.lora_a": "lora_a", "adapter.lora_b": "lora_b"}


@dataclass
class LoRAConfig:
    """One point of a LoRA sweep (all seeds); ``to_dict()`` is the result store's key."""

    param: str
    optimizer: str
    width: int
    rank: int
    base_width: int
    base_rank: int
    lr: float
    steps: int = 3
    seeds: tuple = (0, 1, 2)
    batch: int = 64
    device: str = "cpu"

    def to_dict(self):
        """The config as the result store's key (seeds as a list)."""
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        return d


def _rms(t: torch.Tensor) -> float:
    return float(t.double().pow(2).mean().sqrt())


def make(cfg: LoRAConfig, d_in: int, d_out: int, device):
    """One seed's :class:`~..models.lora.LoRANet` with the table applied by the Parametrization (module doc)."""
    from ...evidence.predict_lora import init_std_exponent, probe_table
    from ...theory.factors import factor
    from ...torch.parametrize import Parametrization
    from ..models.lora import LoRANet

    table = probe_table(table_for(cfg.param, cfg.optimizer, None))
    model = LoRANet(d_in, cfg.width, d_out, cfg.rank, factor(init_std_exponent(table), cfg.base_width, 1)).to(device)
    pz = Parametrization(model, table, cfg.optimizer, layers=ROLES, width=cfg.width, base_width=cfg.base_width,
                         sizes={"rank": (cfg.rank, cfg.base_rank)}, lr=cfg.lr, settings={"strict": True})
    return model, pz


def build(pz, cfg: LoRAConfig):
    """The optimizer of one seed, fed from the Parametrization's ``param_groups``."""
    groups = pz.param_groups
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups)
    raise UserError(f"the LoRA probe runs adam or sgd; got {cfg.optimizer!r}")


def lora_run(cfg: LoRAConfig) -> dict:
    """Train each seed's adapter ``cfg.steps`` steps on the fixed batch; ``{"metrics": {"layer|quantity": [per seed]}}``.

    RMS over the batch and coordinates: ``lora_a|dW_rms``/``lora_b|dW_rms`` of ``A_T - A_0``, ``B_T - B_0``;
    ``lora_a|feature`` of ``A_T h``; ``lora_a|feature_delta`` of ``(A_T - A_0) h``; ``adapter|output_delta`` of
    ``gamma (B_T A_T - B_0 A_0) h``; ``adapter|delta1`` of ``gamma B_{T-1} (A_T - A_{T-1}) h`` and ``delta2`` of
    ``gamma (B_T - B_{T-1}) A_{T-1} h`` (the last step's LoRA+ terms); ``adapter|grad_in`` of
    ``gamma (dL/dz) B_T A_T`` (the adapter's share of the gradient into h, at the final weights).
    """
    from ..data import probe_batch

    device = check_device(cfg.device)
    if cfg.steps < 2:
        raise UserError("the LoRA probe needs --steps >= 2 (with B_0 = 0, A first moves at step 2)")
    x, y = (t.to(device) for t in probe_batch(cfg.batch))
    per_seed = []
    for s in cfg.seeds:
        torch.manual_seed(int(s))
        model, pz = make(cfg, x.shape[1], 10, device)
        opt = build(pz, cfg)
        ad = model.adapter
        a0, b0 = ad.lora_a.detach().clone(), ad.lora_b.detach().clone()
        prev = (a0, b0)
        for _ in range(cfg.steps):
            prev = (ad.lora_a.detach().clone(), ad.lora_b.detach().clone())
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        g = pz.output_multipliers.get("adapter", 1.0)  # gamma, as the Parametrization installed it
        h = model.adapter_input(x).detach()
        z = model.adapted(h).detach().requires_grad_(True)
        F.cross_entropy(torch.relu(z) @ model.w_out.T, y).backward()
        with torch.no_grad():
            a, b = ad.lora_a.detach(), ad.lora_b.detach()
            ap, bp = prev
            m = {"lora_a|dW_rms": _rms(a - a0), "lora_b|dW_rms": _rms(b - b0), "lora_a|feature": _rms(h @ a.T),
                 "lora_a|feature_delta": _rms(h @ (a - a0).T),
                 "adapter|output_delta": _rms(g * ((h @ a.T) @ b.T - (h @ a0.T) @ b0.T)),
                 "adapter|delta1": _rms(g * (h @ (a - ap).T) @ bp.T),
                 "adapter|delta2": _rms(g * (h @ ap.T) @ (b - bp).T),
                 "adapter|grad_in": _rms(g * (z.grad @ b) @ a), "loss": float(loss.detach())}
        per_seed.append(m)
    metrics = {k: [p[k] for p in per_seed] for k in per_seed[0]}
    bad = [k for k, v in metrics.items() if not all(math.isfinite(v_) for v_ in v)]
    return {"metrics": metrics, "nonfinite": bad}
