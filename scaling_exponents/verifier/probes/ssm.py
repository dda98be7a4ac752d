"""Latent-state probe for the diagonal SSM (:class:`~scaling_exponents.verifier.models.ssm.DiagonalSSM`): how the
latent state x and its one-step update Delta x scale with width under a B-init / B-LR rule.

Widths N_x = N_u = n.  For each n: x's coordinate RMS at init, then ONE Adam step on B alone (first Adam step =
lr * sign(grad), bias-corrected) on the loss mean((y - target)^2) with a fixed random target, and the RMS of the
change of x on the same input.  :func:`slopes` fits log RMS against log n.  Rules are exponents of n:
``b_init`` for B's std (muP / spectral: -1/2; ``ssm-mup``: 0, i.e. sqrt(N_x / N_u)) and ``b_lr`` for B's LR (muP Adam
hidden: -1).  What the paper prescribes for the LR is UNVERIFIED (systems/ssm.py); here it is an input, so the
probe takes the two exponents rather than a table (no Parametrization); the factors ``(n/base)^power`` are
:func:`scaling_exponents.theory.factors.evaluate`'s.
"""

from __future__ import annotations

import math

import torch

from ...theory.factors import evaluate
from ..models.ssm import DiagonalSSM


def probe(n: int, b_init: float, b_lr: float, *, steps_t: int = 64, batch: int = 8, seed: int = 0,
          lr0: float = 0.1, base: int = 64) -> dict:
    """``{"x_rms", "dx_rms"}`` at width n; B std = (n/base)^b_init / sqrt(base), LR = lr0 (n/base)^b_lr."""
    torch.manual_seed(seed)
    model = DiagonalSSM(n, n, b_std=evaluate([(n / base, b_init)]) / math.sqrt(base), seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    u = torch.randn(batch, steps_t, n, generator=g, dtype=torch.float64)
    target = torch.randn(batch, steps_t, n, generator=g, dtype=torch.float64)
    y, x0 = model(u)
    loss = ((y - target) ** 2).mean()
    (grad,) = torch.autograd.grad(loss, model.B)
    with torch.no_grad():
        model.B -= lr0 * evaluate([(n / base, b_lr)]) * torch.sign(grad)
        _, x1 = model(u)
    x0 = x0.detach()
    return {"x_rms": float(x0.pow(2).mean().sqrt()), "dx_rms": float((x1 - x0).pow(2).mean().sqrt())}


def slopes(widths=(64, 128, 256, 512), b_init: float = -0.5, b_lr: float = -1.0, seeds=(0, 1)) -> dict:
    """Least-squares slope of log(seed-mean RMS) on log(width) for x and Delta x, plus the per-width values."""
    rows = {n: [probe(n, b_init, b_lr, seed=s) for s in seeds] for n in widths}
    out = {"widths": list(widths)}
    for k in ("x_rms", "dx_rms"):
        vals = [sum(r[k] for r in rows[n]) / len(seeds) for n in widths]
        lx = [math.log(n) for n in widths]
        ly = [math.log(v) for v in vals]
        mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
        out[k] = vals
        out[k + "_slope"] = sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)
    return out
