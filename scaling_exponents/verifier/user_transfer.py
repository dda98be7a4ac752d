"""LR-transfer sweep of a user's own model: does the optimal base learning rate stay put across widths?

What: for each width, base LR and seed, build the model with the user's factory (:mod:`.user_model`), apply the
table with :class:`~scaling_exponents.torch.Parametrization` (the smallest width's model gives the base shapes),
train ``steps`` minibatch steps with a torch optimizer over its ``param_groups`` and keep the final training loss
(mean of the last 10% of steps, as ``transfer``).  The optimum per width and the *drift* -- slope of log2(LR*)
against log2(width), log2 units per doubling, with a seed-bootstrap 95% CI -- come from
:func:`scaling_exponents.evidence.lr_optimum.optimum` / :func:`~scaling_exponents.evidence.lr_optimum.drift`, the
functions of the ``transfer`` command.  muP's claim (TP5, arXiv 2203.03466, Sec. 1 and Fig. 1) is drift ~ 0; under
SP with one global Adam LR the optimum moves to smaller LRs as the model widens.  With ``out=`` every (width, LR)
run goes to a resumable JSONL store (:mod:`scaling_exponents.evidence.store`), so an interrupted sweep resumes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import UserError
from . import user_model as U


@dataclass
class LRTransfer:
    """Result of :func:`lr_transfer`: ``losses[width][lr_index][seed]``, ``optima`` ``{width: LR*}``, ``drift``
    (``{"slope", "ci", "log2_lr_opt"}``), ``lrs``, ``widths`` and the run settings."""

    label: str
    widths: list
    lrs: list
    losses: dict
    optima: dict
    drift: dict
    settings: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """The ``transfer.json`` form (read by :func:`scaling_exponents.evidence.report.transfer_figure`)."""
        curves = {str(w): {"lr": self.lrs, "loss": [float(np.mean(v)) if all(map(math.isfinite, v)) else None
                                                    for v in self.losses[w]]} for w in self.widths}
        entry = {"param": self.label, "optimizer": self.settings.get("optimizer"), "dimension": "width",
                 "drift": self.drift, "curves": curves,
                 "optima": {str(w): {"lr_opt": o} for w, o in self.optima.items()}}
        return {"model": self.settings.get("model"), "steps": self.settings.get("steps"),
                "seeds": self.settings.get("seeds"), "metric": "final train loss", "params": {self.label: entry}}

    def figure(self):
        """Loss vs base LR per width (log2 axis), each width's fitted optimum dotted, the drift in the title."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        for i, w in enumerate(self.widths):
            color = plt.cm.viridis(i / max(len(self.widths) - 1, 1))
            mean = [float(np.mean(v)) if all(map(math.isfinite, v)) else float("nan") for v in self.losses[w]]
            ax.plot(self.lrs, mean, "o-", color=color, label=f"width {w}")
            if self.optima.get(w):
                ax.axvline(self.optima[w], color=color, ls=":", alpha=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base learning rate (at the base width)")
        ax.set_ylabel("final train loss")
        finite = [v for w in self.widths for vs in self.losses[w] for v in vs if math.isfinite(v)]
        if finite:
            lo = min(finite)
            ax.set_ylim(lo - 0.05 * abs(lo), min(max(finite), lo + 3.0 * (abs(lo) + 0.1)))
        d = self.drift
        ax.set_title(f"{self.label}: drift {d['slope']:+.2f} [{d['ci'][0]:+.2f}, {d['ci'][1]:+.2f}] log2 per "
                     "doubling of width", fontsize=10)
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig


#: Version of what :func:`_train` records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`, with the digest of the table -- a user's own table may change
#: under the same name): bump it whenever what it records changes, so stored runs of the old version are recomputed.
VERSION = 1


def _train(factory, table, opt, width, base, lr, seeds, steps, get_batch, depth, device, param_kw=None) -> dict:
    """Per-seed final losses (mean of the last 10% of steps; ``inf`` when diverged) of one (width, LR)."""
    import torch

    finals = []
    tail = max(1, steps // 10)
    for s in seeds:
        model, _, optim = U.setup(factory, table, opt, width, base, lr, s, depth, device, param_kw)
        curve = []
        for t in range(steps):
            x, y = (U.to_device(v, device) for v in get_batch(t))
            loss = U.loss(U.forward(model, x), y)
            if not torch.isfinite(loss):
                curve = [float("inf")]
                break
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            curve.append(loss.item())
        v = float(np.mean(curve[-tail:]))
        finals.append(v if math.isfinite(v) else float("inf"))
    return {"final": finals}


def lr_transfer(factory, table="mup", widths=(64, 128, 256), lrs=None, steps: int = 100, seeds: int = 3,
                optimizer: str | None = None, base_width: int | None = None, batch_fn=None, batch: int = 32,
                device: str = "cpu", depth: int | None = None, block: int = 32, out=None,
                progress: bool = False, param_kw: dict | None = None) -> LRTransfer:
    """Train ``factory``'s model at every (width, base LR, seed) under ``table``; the optimum per width and its drift.

    Args as :func:`.user_coord.coord_check`; ``lrs`` the base-LR grid (>= 3 values; default powers of 2, Adam
    2^-12..2^-2, SGD 2^-6..2^3), ``steps`` training steps per run on fresh batches (``batch_fn(batch, step)``, the
    same stream for every run), ``out`` a folder whose ``results.jsonl`` keeps every finished run (resumable),
    ``param_kw`` more Parametrization keywords (part of each run's store key).
    """
    from ..evidence.lr_optimum import DEFAULT_LRS, drift
    from ..evidence.store import ResultStore, prepare_out, provenance
    from .sweep import run_tasks

    name, factory, widths = U.sweep_widths(factory, widths, "measure a drift")
    if steps < 1 or seeds < 1 or batch < 1:
        raise UserError(f"steps, seeds and batch must be >= 1; got {steps}, {seeds}, {batch}")
    table, opt, label = U.resolve_table(table, optimizer)
    lrs = sorted({float(v) for v in (lrs or DEFAULT_LRS.get(opt.replace("adamw", "adam"), DEFAULT_LRS["adam"]))})
    if len(lrs) < 3 or any(not (v > 0 and math.isfinite(v)) for v in lrs):
        raise UserError(f"lrs needs >= 3 positive learning rates to fit an optimum; got {lrs}")
    base_width, base = U.base_model(factory, widths, depth, base_width)
    get_batch = U.batches(batch_fn, batch, block)
    store = ResultStore(prepare_out(out) / "results.jsonl" if out is not None else None)
    settings = dict(model=name, optimizer=opt, steps=steps, seeds=seeds, batch=batch,
                    base_width=base_width, depth=depth, device=device,
                    batch_fn=U.batch_name(batch_fn, block))
    tasks = []
    for w in widths:
        for lr in lrs:
            conf = {"kind": "user_transfer", "table": label, **settings, "width": w, "lr": lr,
                    "seeds": list(range(seeds)), **({"param_kw": param_kw} if param_kw else {})}
            tasks.append((conf, (lambda w=w, lr=lr: _train(factory, table, opt, w, base, lr, range(seeds), steps,
                                                           get_batch, depth, device, param_kw))))
    res = run_tasks(tasks, store, desc=f"lr transfer {label}", progress=progress,
                    provenance=provenance(table, "user_train", VERSION))
    losses = {w: [res[i * len(lrs) + j]["final"] for j in range(len(lrs))] for i, w in enumerate(widths)}
    d = drift(widths, lrs, losses)
    optima = {w: (2 ** o if o is not None else None) for w, o in zip(widths, d["log2_lr_opt"])}
    return LRTransfer(label, widths, lrs, losses, optima, d, settings)
