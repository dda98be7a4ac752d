"""Measure alignment on the reference MLP/GPT: once at one width, or as slopes across a width sweep.

*Measure once* (m-wojnar/maxP's "maxP-meas": measure passively at one scale, solve, apply the c-table at every
scale): train the model ``steps`` steps under the named parametrization, measure ``(alpha, omega, u)`` per
weight on a fixed probe batch (:mod:`scaling_exponents.torch.alignment`), solve Everett et al.'s LP (arXiv
2407.05872, Sec. 3) for per-layer c.

*Width sweep* (the robust estimate): at several widths and seeds, the log-alignment *ratios*
``||A z||_rms / (||A||_rms ||z||_rms)`` scale as ``width^exponent``; the exponent is the slope of log ratio
vs log width (:func:`scaling_exponents.evidence.fit.fit_slope`, percentile bootstrap CI over seeds).  A
single width mixes in O(1) factors (e.g. a batch-B gradient reads ``1 - log B / (2 log n)``) that cancel in
the slope.

Data: digits for the MLP, the byte-level stdlib corpus for the GPT (:mod:`.data`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import UserError

MODELS = ("mlp", "gpt")


@dataclass
class Setup:
    """What one alignment measurement trains: the model, its Parametrization, the batch iterator, the fixed probe
    input and the loss."""

    model: object
    param: object
    batches: object     # iterator of (x, y)
    probe: object       # probe input
    loss: object        # loss(model, x, y)


def build(kind: str, width: int, base_width: int | None = None, depth: int = 2, param: str = "mup",
          optimizer: str = "adam", lr: float = 1e-3, batch: int = 32, probe_batch: int = 32, block: int = 32,
          seed: int = 0, table=None, alignment: str | None = None, device: str = "cpu") -> Setup:
    """The reference model under ``param`` with its data iterator and a fixed probe batch, all on ``device``.

    The Parametrization is applied on the CPU (init and groups are device-independent), then the model moves:
    ``Module.to`` keeps the same Parameter objects, so the param groups stay valid; batches and the probe follow."""
    import torch
    from torch.nn import functional as F

    from ..torch import Parametrization
    from . import data as D
    from .models import GPT, MLP

    if kind not in MODELS:
        raise UserError(f"--model must be one of {', '.join(MODELS)}, got {kind!r}")
    if width < 8 or depth < 1 or batch < 1 or probe_batch < 1:
        raise UserError(f"need width >= 8, depth >= 1 and positive batch sizes; got width={width}, depth={depth}")
    torch.manual_seed(seed)
    if kind == "mlp":
        model = MLP(64, width, 10, depth=depth)
        x_all, y_all = D.digits("train")
        rng = np.random.default_rng(seed + 1)

        def batches():
            while True:
                idx = torch.from_numpy(rng.integers(0, len(x_all), batch))
                yield x_all[idx], y_all[idx]
        probe = D.probe_batch(probe_batch, seed=7)[0]

        def loss(m, x, y):
            return F.cross_entropy(m(x), y)
        it = batches()
    else:
        if width % 16:
            raise UserError(f"the GPT uses head_dim 16: --width must be a multiple of 16, got {width}")
        model = GPT(256, width, depth, head_dim=16, block_size=block)
        it = D.byte_batches(block, batch, seed=seed)
        probe = next(D.byte_batches(block, probe_batch, seed=10_007, split="test"))[0]

        def loss(m, x, y):
            return m.loss(x, y)
    p = Parametrization(model, param, optimizer, alignment, base_width=base_width or width, lr=lr, settings={"table": table})
    dev = _device(device)
    if dev.type != "cpu":
        model.to(dev)
        probe = probe.to(dev)
        it = ((x.to(dev), y.to(dev)) for x, y in it)
    return Setup(model, p, it, probe, loss)


def _device(device: str):
    """``cpu`` / ``cuda[:i]`` as a torch.device; a GPU that is not there is a one-line error, not a traceback."""
    from .probes.config import check_device

    return check_device(str(device))


def make_optimizer(setup: Setup, optimizer: str):
    """AdamW (no weight decay) or SGD over the Parametrization's groups, the two optimizers the alignment LP covers."""
    import torch

    groups = setup.param.param_groups
    if optimizer in ("adam", "adamw"):
        return torch.optim.AdamW(groups, weight_decay=0.0)
    if optimizer == "sgd":
        return torch.optim.SGD(groups)
    raise UserError(f"--optimizer must be adam or sgd, got {optimizer!r}")


def train(setup: Setup, opt, steps: int, scheduler=None, on_step=None) -> list[float]:
    """Plain training loop; returns the per-step losses (``inf`` once diverged)."""
    losses = []
    for t in range(steps):
        x, y = next(setup.batches)
        loss = setup.loss(setup.model, x, y)
        if not math.isfinite(loss.item()):
            losses += [float("inf")] * (steps - t)
            break
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        if on_step is not None:
            on_step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    return losses


def measure(kind: str, width: int, steps: int, optimizer: str = "adam", mode: str = "rms", seed: int = 0,
            **kw):
    """Train ``steps`` steps at ``width`` and measure; returns ``(setup, [LayerAlignment])``."""
    from ..torch.alignment import AlignmentProbe

    if steps < 1:
        raise UserError(f"--steps must be >= 1 (alignment needs the weights to move), got {steps}")
    setup = build(kind, width, optimizer=optimizer, seed=seed, **kw)
    probe = AlignmentProbe(setup.model, setup.probe, param=setup.param, mode=mode)
    train(setup, make_optimizer(setup, optimizer), steps)
    return setup, probe.measure()


def solver_for(setup: Setup, measured, optimizer: str):
    """A :class:`MeasuredSolver` for the measured layers (names, roles, fans) of ``setup``'s parametrization, to
    solve the LP with the measured alignments."""
    from ..systems.everett2024_aligned import MeasuredSolver

    return MeasuredSolver(setup.param.table.parametrization, "adam" if optimizer in ("adam", "adamw") else optimizer,
                          [m.name for m in measured], [m.role for m in measured], [m.fan_in for m in measured])


def measure_once(kind: str, width: int, steps: int, optimizer: str = "adam", mode: str = "rms", seed: int = 0,
                 strict: bool = True, **kw):
    """maxP-meas: one width, one measurement, the per-layer c table (:class:`~..systems.everett2024_aligned.AlignedTable`)."""
    setup, measured = measure(kind, width, steps, optimizer, mode, seed, **kw)
    meta = {"model": kind, "width": width, "steps": steps, "mode": mode, "seed": seed, "method": "single width",
            **{k: v for k, v in kw.items() if isinstance(v, (int, float, str))}}
    return solver_for(setup, measured, optimizer).table([m.triple() for m in measured], meta=meta, strict=strict)


def sweep(kind: str, widths, steps: int, optimizer: str = "adam", seeds=(0, 1, 2), mode: str = "rms",
          n_boot: int = 1000, **kw):
    """Alignment exponents as slopes across ``widths``; returns ``(table, fits)``.

    ``fits[name] = {"alpha": Slope, "omega": Slope, "u": Slope}`` (None where a product is zero).  The table
    solves the LP with the slopes (clipped to [0, 1] as in :meth:`MeasuredSolver.check`).
    """
    from ..evidence.fit import fit_slope

    widths = sorted(set(int(w) for w in widths))
    if len(widths) < 2:
        raise UserError("--widths needs at least two widths for a slope, e.g. --widths 64,128,256")
    ratios: dict = {}
    setup = measured = None
    for w in widths:
        for s in seeds:
            setup, measured = measure(kind, w, steps, optimizer, mode, s, **kw)
            for m in measured:
                ratios.setdefault(m.name, {}).setdefault(w, []).append(m.ratios or (None, None, None))
    fits, triples = {}, []
    for m in measured:
        per = ratios[m.name]
        fits[m.name] = {}
        trip = []
        for j, sym in enumerate(("alpha", "omega", "u")):
            vals = [[r[j] for r in per[w]] for w in widths]
            if any(v is None for row in vals for v in row):
                fits[m.name][sym] = None
                trip.append(None)
                continue
            f = fit_slope(widths, vals, n_boot=n_boot)
            fits[m.name][sym] = f
            # a spectral ratio rho reads 1 + log rho / log n (torch.alignment), so the exponent is slope + 1
            trip.append(f.slope if mode == "rms" else f.slope + 1.0)
        triples.append(tuple(trip))
    meta = {"model": kind, "widths": ",".join(map(str, widths)), "steps": steps, "mode": mode,
            "seeds": ",".join(map(str, seeds)), "method": "slope across widths (bootstrap CI over seeds)",
            "device": str(kw.get("device", "cpu"))}
    table = solver_for(setup, measured, optimizer).table(triples, meta=meta, strict=False)
    return table, fits
