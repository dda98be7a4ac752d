"""Per-layer learning rates from measured alignment: once (a table) or online (``param.step()``).

Seed 003's Phase 2 (``param.step()``: "measure alignment, solve LP, adjust per-layer LRs") and the maxP
online scheduler (m-wojnar/maxP ``MaxPScheduler``: warm-up, then re-solve every K steps).  Everett et al.
(arXiv 2407.05872, Sec. 3) give the LP; :mod:`.alignment` measures ``(alpha, omega, u)`` per weight and
:class:`~scaling_exponents.systems.everett2024_aligned.MeasuredSolver` re-solves it in well under a millisecond.

**Composition with LR schedulers.**  Each chain weight has its own optimizer group whose LR is
``lr * (width/base_width)^-c_l``.  When a solve changes ``c_l`` the group's LR-like entries (``lr``,
``initial_lr``, ``max_lr``, ``min_lr``) and the attached schedulers' ``base_lrs`` (recursively through
``SequentialLR``/``ChainedScheduler``) are multiplied by the ratio of new to old factor -- as if the group had
been built with the new factor.  So the schedule (cosine, one-cycle, warmup-stable-decay via ``LambdaLR``)
scales every group by the same time profile and the solver sets their ratios.  (A ``CosineAnnealingLR`` with
``eta_min > 0`` adds an absolute floor, so there the ratios hold only approximately.)

**Bad measurements** (a product that is still zero, an exponent outside [0, 1], an infeasible LP) keep the last
feasible solution (or the parametrization's own c before the first one) and emit one ``UserWarning`` naming the
layer and the violated bound; ``history`` records every solve.
"""

from __future__ import annotations

import dataclasses
import warnings

import torch

from ..errors import UserError
from ..theory.factors import evaluate
from ..systems.everett2024_aligned import AlignedTable, MeasuredSolver, load
from .alignment import AlignmentProbe, chain_layers

_LR_KEYS = ("lr", "initial_lr", "max_lr", "min_lr")


def _lr_scale(info, c) -> float:
    """``(width/base)^-c`` of one weight (:func:`scaling_exponents.theory.factors.evaluate`, the one evaluator)."""
    if info.width is None:
        raise UserError(f"{info.name!r} has no width ratio; give Parametrization base_width= or base_model=")
    size, base = info.width
    return evaluate([(size / base, -float(c))])  # a measured c is any float (not a short rational)


def apply_table(plan, model, table) -> tuple:
    """``(new plan, AlignedTable, note)``: each chain weight's ``lr_scale`` set to ``(width/base)^-c`` from an
    ``align`` table (JSON path/dict), each in its own optimizer group."""
    table = load(table)
    opt = plan.table.optimizer
    same_opt = table.optimizer == opt or {table.optimizer, opt} <= {"adam", "adamw"}
    if table.param != plan.table.parametrization or not same_opt:
        raise UserError(f"the alignment table was solved for {table.param} with {table.optimizer}; this "
                        f"Parametrization is {plan.table.parametrization} with {opt} -- use the same ones")
    missing = [x.name for x in table.layers if x.name not in plan.records]
    if missing:
        raise UserError(f"alignment table names weights {missing[:3]} that this model lacks; measure on the same "
                        "architecture (names must match)")
    covered = {x.name for x in table.layers}
    extra = [n for n, _, _ in chain_layers(model, plan) if n not in covered]
    if extra:  # e.g. measured at depth 2, applied at depth 3: the extra layers would keep the named table's c
        raise UserError(f"this model has chain weights {extra[:3]}{' ...' if len(extra) > 3 else ''} that the "
                        f"alignment table (measured on {len(table.layers)} weights) has no c for; measure on the "
                        "same architecture (depth included)")
    changes = {}
    for x in table.layers:
        info = plan.records[x.name]
        note = (info.note + "; " if info.note else "") + f"lr from measured alignment: c = {x.c:.3f}"
        changes[x.name] = dataclasses.replace(info, lr_scale=_lr_scale(info, x.c), note=note)
    plan = plan.replace_records(changes, own_group=frozenset(covered))
    return plan, table, f"per-layer LR exponents from a measured-alignment table ({len(table.layers)} weights)"


def _set_lr_scales(param, names, c) -> None:
    """Replace ``param.plan`` by one whose chain weights have ``lr_scale = (width/base)^-c`` (one group each)."""
    plan = param.plan
    changes = {n: dataclasses.replace(plan.records[n], lr_scale=_lr_scale(plan.records[n], cl)) for n, cl in zip(names, c)}
    param.plan = plan.replace_records(changes, own_group=plan.own_group | frozenset(names))


class OnlineAlignment:
    """Measure alignment every ``every`` steps after ``warmup``, re-solve, set each chain group's LR.

    Create it before training (it stores the initial state), build the optimizer from ``param.param_groups``
    (one group per chain weight), then :meth:`attach` the optimizer and schedulers and call
    ``param.step()`` (or :meth:`step`) once per training step.
    """

    def __init__(self, param, probe, forward=None, every: int = 100, warmup: int = 100, mode: str = "rms",
                 w0: str = "store", rows: int | None = None, backend: str = "highs", seed: int = 0):
        if not isinstance(every, int) or every < 1 or not isinstance(warmup, int) or warmup < 0:
            raise UserError(f"every must be an int >= 1 and warmup an int >= 0; got every={every!r}, warmup={warmup!r}")
        if mode == "spectral":  # the re-solve needs the LP's RMS-mode exponents
            from ..systems.everett2024_aligned import SPECTRAL_REFUSED

            raise UserError(SPECTRAL_REFUSED)
        self.param, self.every, self.warmup = param, every, warmup
        self.probe = AlignmentProbe(param.model, probe, param=param, forward=forward, mode=mode, w0=w0, rows=rows,
                                    seed=seed)
        layers = chain_layers(param.model, param)
        self.names = [n for n, _, _ in layers]
        fan_ins = [m.weight.shape[0] if isinstance(m, torch.nn.Embedding) else m.weight.shape[1] for _, m, _ in layers]
        self.solver = MeasuredSolver(param.table.parametrization, _everett_optimizer(param.table.optimizer),
                                     self.names, [r for _, _, r in layers], fan_ins, backend=backend)
        param.plan = param.plan.replace_records(own_group=param.plan.own_group | frozenset(self.names))
        self.optimizer, self.schedulers = None, []
        self.t = 0
        self.c: list[float] | None = None
        self.history: list[dict] = []

    def attach(self, optimizer, *schedulers) -> "OnlineAlignment":
        """Bind to ``optimizer`` (and its LR schedulers): each chain weight must sit alone in its group, so a
        re-solved per-layer c can rescale that group's LR; returns ``self``."""
        groups = {n: i for i, g in enumerate(optimizer.param_groups) for n in g.get("param_names", ())}
        for name in self.names:
            if name not in groups:
                raise UserError(f"optimizer has no group holding {name!r}; build it from param.param_groups "
                                "after creating the online object")
            others = set(optimizer.param_groups[groups[name]]["param_names"]) & set(self.names)
            if others != {name}:
                raise UserError(f"chain weights {sorted(others)} share one optimizer group; build the optimizer from "
                                "param.param_groups after creating the online object (one group per weight)")
        self.optimizer, self.schedulers, self._group = optimizer, list(schedulers), groups
        return self

    def due(self) -> bool:
        """True at the steps where alignment is re-measured and the LP re-solved: after ``warmup``, every ``every``
        steps."""
        return self.t >= self.warmup and (self.t - self.warmup) % self.every == 0 and self.t > 0

    def step(self) -> bool:
        """Count one training step; at solve steps measure, re-solve and set LRs.  Returns whether it solved."""
        if self.optimizer is None:
            raise UserError("call online.attach(optimizer, *schedulers) before param.step()")
        self.t += 1
        if not self.due():
            return False
        measured = self.probe.measure()
        c, msgs = self.solver.solve([m.triple() for m in measured])
        self.history.append({"step": self.t, "alignment": [m.triple() for m in measured], "c": c, "messages": msgs})
        if msgs:
            warnings.warn(f"step {self.t}: " + "; ".join(msgs), UserWarning, stacklevel=2)
        if c is not None:
            self.set_c(c)
        return True

    def set_c(self, c) -> None:
        """Set each chain weight's LR factor to ``(width/base)^-c`` (ratio-preserving with the schedulers)."""
        for name, cl in zip(self.names, c):
            info = self.param.records[name]
            new = _lr_scale(info, cl)
            i = self._group[name]
            group = self.optimizer.param_groups[i]
            k = new / group["lr_scale"]
            if k != 1.0:
                for key in _LR_KEYS:
                    if key in group and isinstance(group[key], (int, float)):
                        group[key] *= k
                for s in self.schedulers:
                    _scale_base(s, i, k)
            group["lr_scale"] = new
        _set_lr_scales(self.param, self.names, c)
        self.c = [float(x) for x in c]

    def table(self, meta=None) -> AlignedTable:
        """The last solve as an ``align`` table (to apply unchanged at other widths)."""
        if not self.history:
            raise UserError("no solve yet: train past the warm-up first")
        return self.solver.table(self.history[-1]["alignment"], meta=meta, strict=False)

    def state_dict(self) -> dict:
        """Resumable state: step count, current c, the solver's last solution, the history and the probe's state."""
        return {"t": self.t, "c": self.c, "last": self.solver.last, "history": list(self.history),
                "probe": self.probe.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` and re-apply the saved c to each chain weight's LR scale."""
        self.t, self.history = int(state["t"]), list(state["history"])
        self.solver.last = state["last"]
        self.probe.load_state_dict(state["probe"])
        self.c = state["c"]
        if self.c is not None:
            _set_lr_scales(self.param, self.names, self.c)


def _scale_base(scheduler, i, k):
    if hasattr(scheduler, "base_lrs") and i < len(scheduler.base_lrs):
        scheduler.base_lrs[i] *= k
    for sub in getattr(scheduler, "_schedulers", ()):
        _scale_base(sub, i, k)


def _everett_optimizer(opt) -> str:
    if opt in ("adam", "adamw"):
        return "adam"
    if opt in ("sgd", "adafactor"):
        return opt
    raise UserError(f"online alignment re-solves Everett et al.'s LP for adam, sgd or adafactor; got {opt!r}")
