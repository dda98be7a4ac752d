"""Coordinate check of a user's own model under a table: microsoft/mup's ``get_coord_data`` for any ``nn.Module``.

What: for each width and seed, build the model with the user's factory (:mod:`.user_model`), apply the table with
:class:`~scaling_exponents.torch.Parametrization` (the smallest width's model gives the base shapes), build the
optimizer from its ``param_groups``, and train ``steps`` steps on one fixed batch.  Forward hooks on every leaf
module record the RMS of its output at init (``act_init``) and the RMS of its change from init after each step
(``act_delta``), as mup's ``get_coord_data`` records per module.  Each (module, quantity) gets a log-log slope
against width with a seed-bootstrap 95% CI (:func:`scaling_exponents.evidence.fit.fit_slope`) and a verdict against
the expected exponent of :mod:`scaling_exponents.evidence.coord_expect` (0 under a feature-learning table: the
coord-check criterion of TP5, arXiv 2203.03466, App. D.1).

This is a *necessary* check, not the per-layer prediction the ``verify`` command makes for the reference models
(:mod:`scaling_exponents.evidence.predict`): passing it says no module's activations or updates blow up or vanish
with width; it does not say the optimal LR transfers (run :func:`.user_transfer.lr_transfer` for that).  Tables that
are not feature learning (SP, NTK, ...) get no expectation: every row is ``info`` and the slopes say what grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from ..errors import UserError
from . import user_model as U
from .target import DEFAULT_TOL  # the verifier's tolerance on a CI, as verify's

DEFAULT_LR = {"adam": 1e-2, "adamw": 1e-2, "sgd": 0.1, "muon": 2e-2}


@dataclass
class CoordCheck:
    """Result of :func:`coord_check`: ``df`` (width, seed, step, module, quantity, value), ``slopes`` (one row per
    module x quantity: slope, 95% CI, expected exponent, verdict), the table's ``regime`` and the run settings."""

    df: object
    slopes: object
    label: str
    regime: str
    settings: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``pass`` (every expectation met), ``fail`` (some row fails) or ``info`` (no expectation stated)."""
        v = set(self.slopes["verdict"])
        return "fail" if "fail" in v else "pass" if "pass" in v else "info"

    def figure(self):
        """mup's ``plot_coord_data``: one log-log panel per quantity, geometric mean over seeds vs width per module."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
        widths = sorted(self.df["width"].unique())
        last = self.df["step"].max()
        for ax, q in zip(axes, ("act_init", "act_delta")):
            sub = self.df[(self.df["quantity"] == q) & (self.df["step"] == (0 if q == "act_init" else last))]
            for i, (module, g) in enumerate(sub.groupby("module", sort=False)):
                gm = g.groupby("width")["value"].apply(lambda v: math.exp(sum(math.log(max(x, 1e-30)) for x in v)
                                                                          / len(v)))
                row = self.slopes[(self.slopes["module"] == module) & (self.slopes["quantity"] == q)].iloc[0]
                mark = {"pass": "✓", "fail": "✗"}.get(row["verdict"], "")
                ax.plot(widths, [gm[w] for w in widths], "o-", color=f"C{i % 10}", lw=1,
                        label=f"{module} {row['slope']:+.2f}{mark}")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("width")
            ax.set_title(f"{q}: " + ("RMS of module output at init" if q == "act_init" else
                                     f"RMS of output change after {last} steps"), fontsize=10)
            ax.legend(fontsize=6, ncol=2)
        fig.suptitle(f"coord check {self.label} ({self.regime}; {self.settings.get('optimizer')}, lr "
                     f"{self.settings.get('lr'):g}, {self.settings.get('seeds')} seeds) -- flat = Theta(1)", fontsize=10)
        fig.tight_layout()
        return fig


def _rms(t) -> float:
    return float(t.detach().float().pow(2).mean().sqrt())


def _first_tensor(out):
    if torch.is_tensor(out):
        return out
    if isinstance(out, (tuple, list)) and out and torch.is_tensor(out[0]):
        return out[0]
    return None


def _run(factory, table, opt, width, base, lr, seed, steps, batch, depth, device, param_kw):
    """``({module: [act_init, act_delta after step 1..steps]}, readout module names)`` of one (width, seed)."""
    model, pz, optim = U.setup(factory, table, opt, width, base, lr, seed, depth, device, param_kw)
    x, y = (U.to_device(t, device) for t in batch)
    outs: dict[str, list] = {}
    hooks = []
    for name, mod in model.named_modules():
        if name and not any(True for _ in mod.children()):
            hooks.append(mod.register_forward_hook(
                lambda m, i, o, name=name: outs.setdefault(name, []).append(_first_tensor(o))))
    readout = {info.module_name for info in pz.records.values() if info.role == "readout"}
    values, init = {}, None
    try:
        for t in range(steps + 1):
            outs.clear()
            out = U.forward(model, x)
            cur = {k: [o.detach().float() for o in v if o is not None and o.is_floating_point()] for k, v in outs.items()}
            cur = {k: v for k, v in cur.items() if v}
            if init is None:
                init = cur
                values = {k: [math.sqrt(sum(_rms(o) ** 2 * o.numel() for o in v) / sum(o.numel() for o in v))]
                          for k, v in cur.items()}
            else:
                for k, v in cur.items():
                    d = [(a - b) for a, b in zip(v, init[k])]
                    values[k].append(math.sqrt(sum(_rms(o) ** 2 * o.numel() for o in d) / sum(o.numel() for o in d)))
            if t == steps:
                break
            optim.zero_grad(set_to_none=True)
            loss = U.loss(out, y)
            if not torch.isfinite(loss):
                raise UserError(f"the loss is {float(loss)} at width {width}, seed {seed}, step {t}: lower lr (now {lr:g})")
            loss.backward()
            optim.step()
    finally:
        for h in hooks:
            h.remove()
    return values, readout


def coord_check(factory, table="mup", widths=(64, 128, 256), steps: int = 3, seeds: int = 3, lr: float | None = None,
                optimizer: str | None = None, base_width: int | None = None, batch_fn=None, batch: int = 32,
                device: str = "cpu", depth: int | None = None, block: int = 32, tol: float = DEFAULT_TOL,
                param_kw: dict | None = None) -> CoordCheck:
    """Coordinate check of ``factory``'s model under ``table`` (module docstring).

    Args:
        factory: a callable ``factory(width=..[, depth=..]) -> nn.Module`` or ``"package.module:factory"``.
        table: a registry name (``"mup"``), ``"NAME:OPTIMIZER"`` or an :class:`ExponentTable`.
        widths, steps, seeds: the sweep; ``lr`` the base LR at ``base_width`` (default the smallest width).
        optimizer: adam (default), adamw, sgd or muon (``torch.optim.Muon`` on the matrices, AdamW on the rest).
        batch_fn: ``fn(batch_size, seed) -> (inputs, targets)`` or ``"module:fn"``; default the byte data, ``block``
            tokens long (:mod:`.user_model`).  depth: passed to the factory (and to depth tables, factors 1).
        tol: a row passes iff its expected exponent lies in the 95% CI widened by ``tol``.
        param_kw: more keywords for every :class:`~scaling_exponents.torch.Parametrization` (``layers=`` to give
            roles auto-detection misses, e.g. ``residual_branch`` / ``attention`` modules).
    """
    import pandas as pd

    from ..evidence.coord_expect import expected, feature_learning
    from ..evidence.fit import fit_slope, verdict

    name, factory, widths = U.sweep_widths(factory, widths, "fit a slope")
    if steps < 1 or seeds < 2 or batch < 1:
        raise UserError(f"steps >= 1, seeds >= 2 (the CI bootstraps seeds) and batch >= 1; got {steps}, {seeds}, {batch}")
    if tol < 0:
        raise UserError(f"tol must be >= 0, got {tol}")
    table, opt, label = U.resolve_table(table, optimizer)
    lr = DEFAULT_LR[opt] if lr is None else lr
    if not (lr > 0 and math.isfinite(lr)):
        raise UserError(f"lr must be a positive number, got {lr}")
    base_width, base = U.base_model(factory, widths, depth, base_width)
    fixed = U.batches(batch_fn, batch, block)(0)
    rows, readouts = [], set()
    for w in widths:
        for s in range(seeds):
            values, readout = _run(factory, table, opt, w, base, lr, s, steps, fixed, depth, device, param_kw)
            readouts |= readout
            for module, vs in values.items():
                rows.append((w, s, 0, module, "act_init", vs[0]))
                rows += [(w, s, t, module, "act_delta", v) for t, v in enumerate(vs[1:], start=1)]
    df = pd.DataFrame(rows, columns=["width", "seed", "step", "module", "quantity", "value"])
    fl, why = feature_learning(table)
    regime = why if fl is None else ("feature learning" if fl else "not feature learning") + f" ({why})"
    out = []
    for (module, q), g in df[(df["step"] == 0) | (df["step"] == steps)].groupby(["module", "quantity"], sort=False):
        vals = [g[g["width"] == w].sort_values("seed")["value"].tolist() for w in widths]
        if any(len(v) != seeds for v in vals):
            continue  # a module not called at every width
        fit = fit_slope(widths, vals)
        exp = expected(fl, q, module in readouts)
        out.append({"module": module, "quantity": q, "slope": fit.slope, "ci_lo": fit.lo, "ci_hi": fit.hi,
                    "expected": float("nan") if exp is None else exp, "verdict": verdict(exp, fit, tol) if exp is not None else "info",
                    "readout": module in readouts})
    slopes = pd.DataFrame(out, columns=["module", "quantity", "slope", "ci_lo", "ci_hi", "expected", "verdict",
                                        "readout"])
    settings = dict(widths=widths, steps=steps, seeds=seeds, lr=lr, optimizer=opt, base_width=base_width, batch=batch,
                    device=device, depth=depth, tol=tol, model=name,
                    batch_fn=U.batch_name(batch_fn, block))
    return CoordCheck(df, slopes, label, regime, settings)
