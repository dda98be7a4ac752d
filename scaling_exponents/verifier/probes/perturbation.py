"""SAM's effective perturbation per layer across widths (Haas et al., arXiv 2411.00075, App. F, (F.1)).

One run = one width, all seeds (one model per seed; SAM is a two-pass optimizer, so no vmap).  Each seed's
reference MLP gets the SAM table's base parametrization (init std, LR), trains ``steps`` SAM steps
(:class:`~scaling_exponents.verifier.sam.LayerwiseSAM`, per-layer radii from the table) on the fixed probe batch,
and at init and at the trained weights (keys ``..._t0`` and plain) measures, per weight layer ``l`` with input ``x^{l-1}`` and output ``h^l``:

* ``grad_norm``   -- ``||grad_{W^l} L||_F``: the quantity the (D.1) normalisation is about;
* ``pert_norm``   -- ``||eps^l||_F`` of SAM's ascent step;
* ``pert_effect`` -- RMS coordinate of ``eps^l x^{l-1}``: the change of the layer's output caused by perturbing
  its own weights, the paper's "effective perturbation" (F.1) (Theta(1) iff the layer is effectively perturbed);
* ``pert_rel``    -- ``pert_effect`` divided by the RMS coordinate of ``h^l``: the same, relative to the output.

The ascent step is the optimizer's own (``LayerwiseSAM.perturbation``), so what is measured is what trains.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from .config import RunConfig, check_device, make_model, parametrize, set_precision
from .seeds import Capture, _loss, weight_layers


#: Version of what perturbation_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


def _rms(x):
    return float(x.float().pow(2).mean().sqrt())


def perturbation_run(cfg: RunConfig, rho: float) -> dict:
    """``{"metrics": {"<layer>|<quantity>": [one value per seed]}}`` for the four quantities above."""
    from .. import data as _data
    from ..sam import make_sam

    device = check_device(cfg.device)
    dtype = set_precision(cfg.dtype, device)
    x, y = _data.probe_batch(cfg.batch)
    x, y = x.to(device=device, dtype=dtype), y.to(device)
    metrics: dict[str, list] = {}
    for s in cfg.seeds:
        torch.manual_seed(int(s))
        model = make_model(cfg, 64, 10)
        pz = parametrize(model, cfg)
        model.to(device=device, dtype=dtype)
        opt = make_sam(pz, rho, cfg.optimizer, model=f"--model {cfg.model}")

        def closure():
            opt.zero_grad()
            loss = _loss(model(x), y)
            loss.backward()
            return loss

        _measure(model, opt, closure, "_t0", metrics)
        for _ in range(cfg.steps):
            closure()
            opt.step(closure)
        _measure(model, opt, closure, "", metrics)
    nonfinite = sorted(k for k, v in metrics.items() if not all(math.isfinite(t) for t in v))
    return {"metrics": metrics, "nonfinite": nonfinite}


def _measure(model, opt, closure, suffix: str, metrics: dict) -> None:
    """The four quantities of every weight layer at the current weights (keys ``layer|quantity<suffix>``)."""
    from ...torch.multiplier import get_multipliers

    layers = weight_layers(model)
    cap = Capture(model, layers)
    closure()
    cap.remove()
    grads = {n: m.weight.grad.detach().clone() for n, m in layers.items()}
    by_param = dict(zip([p for g in opt.param_groups for p in g["params"]], opt.perturbation()))
    for n, m in layers.items():
        mult = get_multipliers(m)
        inp, out = cap.store[n]
        eps = by_param[m.weight] * (mult[0] if mult else 1.0)  # change of the effective weight
        effect = _rms(F.linear(inp.detach(), eps))
        vals = {"grad_norm": float(grads[n].float().norm()), "pert_norm": float(eps.float().norm()),
                "pert_effect": effect, "pert_rel": effect / max(_rms(out.detach()), 1e-30)}
        for q, v in vals.items():
            metrics.setdefault(f"{n}|{q}{suffix}", []).append(v)
