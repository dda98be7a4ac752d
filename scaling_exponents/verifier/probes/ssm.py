"""Latent-state probe for the diagonal SSM (:class:`~scaling_exponents.verifier.models.ssm.DiagonalSSM`): how the
latent state x and its one-step update Delta x scale with width under a table's B-init / B-LR rule.

Widths N_x = N_u = n.  For each n: x's coordinate RMS at init, then ONE Adam step on B alone (first Adam step =
lr * sign(grad), bias-corrected, epsilon left out) on the loss mean((y - target)^2) with a fixed random target, and
the RMS of the change of x on the same input.  :func:`slopes` fits log RMS against log n.

**HPs: the product.**  B's init and LR come from :class:`~scaling_exponents.torch.Parametrization`: the model is
built at the base width's B std ``base^-1/2`` (fan_in^-1/2 at n = base), the table is applied with ``init="rescale"``
(B is multiplied by the table's ``init_std`` factor), ``width=n``, ``base_width=base`` and the SSM's own dimensions as
``sizes={"state": (n, base), "channels": (n, base)}``; the step's LR is ``Parametrization.lr_of("B")``.  A_log, C and
D are role ``default`` (they keep the model's init; only B moves).  :func:`probe_table` gives the two rules measured:

* ``"mup"`` -- muP for Adam as applied to the SSM: B (N_u -> N_x, both fans grow) is a hidden matrix, so it takes
  ``derive("mup", "adam")``'s ``hidden`` rows (Everett et al. arXiv 2407.05872 Table 1: init n^-1/2, LR n^-1);
* ``"ssm-mup"`` -- ``derive("ssm-mup")`` (B init ∝ sqrt(N_x / N_u), systems/ssm.py, VERIFIED-2nd) plus one LR row:
  the paper's B LR is UNVERIFIED (systems/ssm.py), so the probe uses muP's hidden Adam LR along N_u (the ``mup``
  table's ``hidden lr`` power, ``channels^-1``) and says so in the table's notes.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from ...errors import UserError
from ..models.ssm import DiagonalSSM

#: the SSM's dimensions (``sizes=``): the latent state N_x and the input/output channels N_u, both = n here
SSM_DIMS = ("state", "channels")
RULES = ("mup", "ssm-mup")


def roles(b_role: str) -> dict:
    """``layers=`` of the Parametrization: B gets ``b_role``; A_log, C, D are deliberately unmanaged."""
    return {"B": b_role, "A_log": "default", "C": "default", "D": "default"}


def probe_table(rule: str):
    """``(table, role of B)`` of a rule in :data:`RULES` (module doc), from the registry's tables."""
    from ...systems.registry import derive
    from ...theory.table import Row

    if rule not in RULES:
        raise UserError(f"the SSM probe measures the rules {', '.join(RULES)}; got {rule!r}")
    mup = derive("mup", "adam")
    if rule == "mup":
        hidden = [r for r in mup.rows if r.role == "hidden"]
        return dataclasses.replace(mup, rows=hidden, notes=mup.notes + [
            "SSM probe: only the hidden rows (B: N_u -> N_x, both fans grow, is a hidden matrix)"]), "hidden"
    table = derive("ssm-mup")
    lr = mup.power("hidden", "lr", "width")
    row = Row("B", "lr", "channels", lr, note="muP Adam hidden LR 1/fan_in (arXiv 2407.05872 Table 1); the paper's "
              "B LR is UNVERIFIED (systems/ssm.py)")
    return dataclasses.replace(table, rows=table.rows + [row], optimizer="adam", notes=table.notes + [
        f"SSM probe: B lr channels^{lr} added from mup's hidden Adam LR (ssm-mup states no LR)"]), "B"


def parametrize(model: DiagonalSSM, table, role: str, n: int, base: int, lr0: float):
    """The table applied to the SSM by :class:`~scaling_exponents.torch.Parametrization` (module doc)."""
    from ...torch.parametrize import Parametrization

    return Parametrization(model, table, table.optimizer, layers=roles(role), width=n, base_width=base,
                           sizes={d: (n, base) for d in SSM_DIMS}, lr=lr0, settings={"strict": True})


def probe(n: int, table, role: str, *, steps_t: int = 64, batch: int = 8, seed: int = 0, lr0: float = 0.1,
          base: int = 64) -> dict:
    """``{"x_rms", "dx_rms"}`` at width n under ``table`` (B has role ``role``): B's std and LR from the
    Parametrization relative to ``base`` (module doc)."""
    torch.manual_seed(seed)
    model = DiagonalSSM(n, n, b_std=1.0 / math.sqrt(base), seed=seed)  # the base width's B std
    pz = parametrize(model, table, role, n, base, lr0)
    g = torch.Generator().manual_seed(seed + 1)
    u = torch.randn(batch, steps_t, n, generator=g, dtype=torch.float64)
    target = torch.randn(batch, steps_t, n, generator=g, dtype=torch.float64)
    y, x0 = model(u)
    loss = ((y - target) ** 2).mean()
    (grad,) = torch.autograd.grad(loss, model.B)
    with torch.no_grad():
        model.B -= pz.lr_of("B") * torch.sign(grad)
        _, x1 = model(u)
    x0 = x0.detach()
    return {"x_rms": float(x0.pow(2).mean().sqrt()), "dx_rms": float((x1 - x0).pow(2).mean().sqrt())}


def slopes(rule: str = "mup", widths=(64, 128, 256, 512), seeds=(0, 1)) -> dict:
    """Least-squares slope of log(seed-mean RMS) on log(width) for x and Delta x under :func:`probe_table`
    ``(rule)``, plus the per-width values."""
    table, role = probe_table(rule)
    rows = {n: [probe(n, table, role, seed=s) for s in seeds] for n in widths}
    out = {"widths": list(widths)}
    for k in ("x_rms", "dx_rms"):
        vals = [sum(r[k] for r in rows[n]) / len(seeds) for n in widths]
        lx = [math.log(n) for n in widths]
        ly = [math.log(v) for v in vals]
        mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
        out[k] = vals
        out[k + "_slope"] = sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)
    return out
