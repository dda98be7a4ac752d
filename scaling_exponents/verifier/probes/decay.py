"""Weight-decay rules measured on AdamW runs: the EMA timescale in steps and the steady-state weights.

One run = one size point (width, iterations per epoch M), all seeds.  Each seed's reference MLP gets the rule's table
through :class:`~scaling_exponents.torch.Parametrization` (roles mapped by ``roles``; ``sizes`` carries M; the decay
tables state no init, so PyTorch's default init is kept: ``init=None``) and trains
with ``torch.optim.AdamW`` on the digits data: ``M`` fixed mini-batches of ``batch`` samples form an epoch, cycled.
Per weight layer it records

* ``tau_iter`` -- the timescale in steps over which the weights forget their initialisation: AdamW's weights are an
  EMA of its updates with timescale ``1/(eta lambda)`` (Wang & Aitchison, arXiv 2405.13698 Sec. 3), so the overlap
  ``c_k = <W_k, W_0> / <W_0, W_0>`` decays as ``exp(-k/tau)``; ``tau`` = -1/slope of ``log c_k`` over the steps where
  ``c_k > e^-2`` (least squares with intercept);
* ``tau_epoch`` -- ``tau_iter / M`` (the paper's timescale in epochs);
* ``W_rms`` -- RMS entry of the effective weight, averaged over the last fifth of the run (steady state when the run
  is >= 5 timescales long: the last fifth is then >= 1 timescale);
* ``top_sv`` -- its largest singular value (randomized range finder, :func:`.seeds.spectral_norm`), averaged likewise (Fan et al., arXiv 2510.15262: ``sqrt(eta/lambda) d^{3/4}``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from ...errors import UserError
from .config import check_device, set_precision


#: Version of what decay_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


def _batches(m: int, batch: int, seed: int, device, dtype):
    from .. import data as _data

    x, y = _data.digits("train", seed=0)
    if m * batch > len(x):
        raise UserError(f"{m} iterations per epoch x batch {batch} needs {m * batch} digits; the train split has "
                        f"{len(x)}: lower --batch or the largest M")
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(len(x))[: m * batch])
    xs, ys = x[perm].to(device=device, dtype=dtype), y[perm].to(device)
    return [(xs[i * batch:(i + 1) * batch], ys[i * batch:(i + 1) * batch]) for i in range(m)]


def _tau(c: list[float]) -> float:
    """-1/slope of log c_k on the steps with c_k > e^-2 (at least 3 of them; else NaN)."""
    k = [i for i, v in enumerate(c) if v > math.exp(-2)]
    k = k[: next((j for j in range(1, len(k)) if k[j] != k[j - 1] + 1), len(k))]  # the first contiguous stretch
    if len(k) < 3:
        return float("nan")
    slope = np.polyfit(np.asarray(k, float), np.log(np.asarray([c[i] for i in k])), 1)[0]
    return float(-1.0 / slope) if slope < 0 else float("inf")


def decay_run(param: str, optimizer: str, options: dict, width: int, base_width: int, m: int, base_m: int,
              roles: dict | None, no_decay: tuple, lr: float, weight_decay: float, steps: int, seeds: tuple,
              batch: int = 16, depth: int = 2, device: str = "cpu", dtype: str = "float32") -> dict:
    """``{"metrics": {"<layer>|<quantity>": [one value per seed]}}`` for the quantities above."""
    from ..models import MLP
    from ...systems.registry import derive
    from ...torch.multiplier import get_multipliers
    from ...torch.parametrize import Parametrization
    from .seeds import spectral_norm, weight_layers

    dev = check_device(device)
    dt = set_precision(dtype, dev)
    table = derive(param, optimizer, None, **options)
    metrics: dict[str, list] = {}
    for s in seeds:
        torch.manual_seed(int(s))
        model = MLP(64, width, 10, depth=depth, bias=False)
        sizes = {"iters_per_epoch": (m, base_m)} if any(r.dimension == "iters_per_epoch" for r in table.rows) else {}
        pz = Parametrization(model, param=table, optimizer=optimizer, layers=roles, width=width, base_width=base_width,
                             sizes=sizes, lr=lr, settings={"weight_decay": weight_decay, "no_weight_decay": no_decay, "init": None})
        model.to(device=dev, dtype=dt)
        opt = torch.optim.AdamW(pz.param_groups)
        layers = weight_layers(model)
        w0 = {n: mod.weight.detach().clone() for n, mod in layers.items()}
        n0 = {n: float(w.pow(2).sum()) for n, w in w0.items()}
        overlap = {n: [1.0] for n in layers}
        data = _batches(m, batch, int(s), dev, dt)
        tail = {n: [] for n in layers}  # (W_rms, top_sv) every ~1/50 of the run over its last fifth: steady state
        every = max(1, steps // 50)
        for k in range(steps):
            x, y = data[k % m]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x).float(), y).backward()
            opt.step()
            with torch.no_grad():
                for n, mod in layers.items():
                    overlap[n].append(float((mod.weight * w0[n]).sum()) / n0[n])
                    if k >= steps - steps // 5 and (steps - 1 - k) % every == 0:
                        mult = get_multipliers(mod)
                        w = mod.weight.detach().float() * (mult[0] if mult else 1.0)
                        tail[n].append((float(w.pow(2).mean().sqrt()), float(spectral_norm(w[None])[0])))
        for n in layers:
            tau = _tau(overlap[n])
            vals = {"tau_iter": tau, "tau_epoch": tau / m, "W_rms": float(np.mean([t[0] for t in tail[n]])),
                    "top_sv": float(np.mean([t[1] for t in tail[n]]))}
            for q, v in vals.items():
                metrics.setdefault(f"{n}|{q}", []).append(v)
    nonfinite = sorted(k for k, v in metrics.items() if not all(math.isfinite(t) for t in v))
    return {"metrics": metrics, "nonfinite": nonfinite}
