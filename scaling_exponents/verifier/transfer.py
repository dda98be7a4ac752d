"""``python -m scaling_exponents transfer``: does the optimal learning rate transfer across width?

What: for each parametrization, train every width over a grid of base learning rates on real data (digits
for the MLP, a byte-level LM on the stdlib's own source for the GPT), seeds batched with ``vmap``
(:mod:`.probes`); take the final training loss (mean of the last 10% of steps), fit the optimum per width
as the vertex of a quadratic in log2(LR) through the best grid point and its neighbours, and report the
*drift* -- the slope of log2(LR*) vs log2(width), in log2 units per doubling of width -- with a 95%
bootstrap CI over seeds.  muP's claim (TP5, arXiv 2203.03466, Sec. 1 and Fig. 1) is drift ≈ 0 and "wider
is better at fixed LR"; SP's optimum drifts (to smaller LRs under Adam).  Each (width, LR) is an
independent run in the resumable store (:mod:`.store`).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..evidence.lr_optimum import DEFAULT_LRS, drift, optimum  # noqa: F401  (re-exported: scripts and users import them here)
from .verify import parse_ints, parse_targets


#: Version of what train_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


def train_run(cfg, steps: int, batch: int, data_seed: int = 0) -> dict:
    """Train all seeds of ``cfg`` for ``steps`` minibatch steps; return per-seed final losses and the curve."""
    import torch
    from torch.func import functional_call, grad_and_value, vmap

    from . import data as D
    from .probes.seeds import _loss
    from .probes import adam_step, build_seeds, check_device, set_precision

    device = check_device(cfg.device)
    dtype = set_precision(cfg.dtype, device)
    if cfg.model in ("mlp", "resmlp"):
        x_all, y_all = D.digits("train")
        x_all, y_all = x_all.to(device, dtype if dtype != torch.float32 else torch.float32), y_all.to(device)
        rng = np.random.default_rng(data_seed)
        batches = (tuple(t[idx] for t in (x_all, y_all))
                   for idx in (torch.from_numpy(rng.integers(0, len(x_all), batch)).to(device) for _ in range(steps)))
        d_in, d_out = 64, 10
    else:
        it = D.byte_batches(cfg.block, batch, seed=data_seed)
        batches = ((x.to(device), y.to(device)) for x, y in (next(it) for _ in range(steps)))
        d_in, d_out = 256, 256
    sb = build_seeds(cfg, device, dtype, d_in, d_out)

    def f(params, xb, yb):
        return _loss(functional_call(sb.module, (params, sb.buffers), (xb,)), yb)

    step = vmap(grad_and_value(f), in_dims=(0, None, None))
    params, state, curve = sb.params, {}, []
    for t, (xb, yb) in enumerate(batches, start=1):
        grads, loss = step(params, xb, yb)
        curve.append(loss.float().tolist())
        params = adam_step(params, grads, state, t, sb, cfg.optimizer)
    arr = np.asarray(curve, dtype=float)  # (steps, seeds)
    tail = max(1, steps // 10)
    final = arr[-tail:].mean(axis=0)
    final = [float(v) if math.isfinite(v) else float("inf") for v in final]
    return {"final": final, "curve": arr[:: max(1, steps // 50)].mean(axis=1).tolist()}


def _lrs(text, optimizer):
    if not text:
        return DEFAULT_LRS.get(optimizer, DEFAULT_LRS["adam"])
    try:
        vals = sorted({float(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise UserError(f"--lrs takes comma-separated positive numbers, e.g. --lrs 1e-3,3e-3,1e-2; got {text!r}") from None
    if len(vals) < 3 or any(not (v > 0 and math.isfinite(v)) for v in vals):
        raise UserError(f"--lrs needs >= 3 positive learning rates to fit an optimum; got {text!r}")
    return vals


def _sweep(t, sizes, lrs, args, dimension, model, store, opt, al, sweep=None):
    """Train every (size, LR) of one target; returns its summary entry (drift over ``dimension``)."""
    from ..evidence.store import provenance
    from .probes import RunConfig, table_for
    from .sweep import run_tasks

    tasks = []
    for size in sizes:
        for lr in lrs:
            if dimension == "width":
                cfg = RunConfig(param=t.param, model=model, optimizer=opt, alignment=al, width=size,
                                depth=args.depth, base_width=args.base_width or sizes[0], lr=lr,
                                seeds=tuple(range(args.seeds)), batch=args.batch, device=args.device, dtype=args.dtype)
            else:
                cfg = RunConfig(param=t.param, model=model, optimizer=opt, alignment=al, width=args.width,
                                depth=size, base_width=args.width, base_depth=args.base_depth or sizes[0], lr=lr,
                                seeds=tuple(range(args.seeds)), batch=args.batch, device=args.device, dtype=args.dtype)
            conf = {"kind": "transfer", **cfg.to_dict(), "train_steps": args.steps}
            tasks.append((conf, (lambda c=cfg: train_run(c, args.steps, args.batch))))
    what = "" if dimension == "width" else " over depth"
    prov = provenance(table_for(t.param, opt, al), "train", VERSION)
    res = run_tasks(tasks, store, desc=f"transfer {t.label}{what}", progress=not args.no_progress, provenance=prov,
                    **(sweep or {}))
    losses = {w: [res[i * len(lrs) + j]["final"] for j in range(len(lrs))] for i, w in enumerate(sizes)}
    d = drift(sizes, lrs, losses)
    curves = {str(w): {"lr": lrs, "loss": [float(np.mean(v)) if all(map(math.isfinite, v)) else None
                                           for v in losses[w]]} for w in sizes}
    optima = {str(w): {"lr_opt": 2 ** o if o is not None else None} for w, o in zip(sizes, d["log2_lr_opt"])}
    best_at = {str(lr): min(sizes, key=lambda w, j=j: np.mean(losses[w][j])) for j, lr in enumerate(lrs)}
    entry = {"param": t.param, "optimizer": opt, "dimension": dimension, "drift": d, "curves": curves,
             "optima": optima, ("widest" if dimension == "width" else "deepest") + "_best_at_lr": best_at}
    if dimension == "depth":
        entry.update(width=args.width, base_depth=args.base_depth or sizes[0], depths=list(sizes))
    unit = "width" if dimension == "width" else "depth"
    print(f"{t.label}: optimal-LR drift {d['slope']:+.3f} log2 per doubling of {unit}, 95% CI "
          f"[{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]; LR* per {unit}: "
          + ", ".join(f"{w}: {o['lr_opt']:.3g}" for w, o in optima.items() if o["lr_opt"]), file=sys.stderr)
    return entry


def run(args) -> int:
    """Run the LR-transfer sweep (optimal LR vs width or depth per parametrization), shutting down any Ray instance
    it started on the way out."""
    from .executors import shutdown

    try:
        return _run(args)
    finally:
        shutdown()  # a Ray instance this command started (the CLI leaves with os._exit, past atexit hooks)


def _check_before_work(args, targets, depths) -> dict:
    """Every input a sweep would otherwise reject (or drop) after hours of runs, checked before the first: each
    target's table (optimizer, ``--alignment``), ``--alignment`` that no target takes, ``--verdict`` names not in
    ``--param``, base sizes.  Returns ``{label: (optimizer, alignment)}``."""
    from ..systems.registry import normalize
    from .verify import _table

    tables = {t.label: _table(t, args.alignment)[1:] for t in targets}
    if args.alignment and not any(al for _, al in tables.values()):
        names = ", ".join(t.param for t in targets)
        raise UserError(f"--alignment {args.alignment} applies to none of {names} (no alignment choice; see `list`): "
                        "drop --alignment")
    if args.verdict:
        swept = {normalize(t.param) for t in targets}  # as evidence.transfer_verdict matches them
        unknown = sorted({v.strip() for v in args.verdict.split(",") if v.strip()
                          and normalize(v.split(":")[0]) not in swept})
        if unknown:
            raise UserError(f"--verdict names {', '.join(unknown)}, not swept here; give names from --param")
    for flag, v in (("--base-width", args.base_width), ("--base-depth", args.base_depth)):
        if v is not None and v < 1:
            raise UserError(f"{flag} must be >= 1, got {v}")
    if args.base_depth is not None and not depths:
        raise UserError("--base-depth is the base of a depth transfer: add --depths, or drop --base-depth")
    from .user_cli import DEFAULT_BLOCK

    for flag, given in (("--batch-fn", args.batch_fn is not None), ("--block", args.block != DEFAULT_BLOCK)):
        if given:  # user_cli's options of a factory --model; the built-in models have their own data
            raise UserError(f"{flag} applies to your own model (--model module:factory); the built-in "
                            f"{args.model or 'mlp/resmlp'} trains on its own data and would ignore it: drop {flag}")
    return tables


def _run(args) -> int:
    import json

    from .probes import check_device
    from ..evidence.report import transfer_figure
    from ..evidence.store import ResultStore, prepare_out

    if args.steps < 1 or args.seeds < 1 or args.batch < 1:
        raise UserError("--steps, --seeds and --batch must be >= 1")
    from .user_cli import is_factory, run_transfer

    if is_factory(args.model):  # your own model: :mod:`.user_transfer`
        return run_transfer(args, parse_ints, _lrs)
    if getattr(args, "tol", 0.15) < 0:
        raise UserError(f"--tol must be >= 0, got {args.tol}")
    _lrs(args.lrs, "adam")  # validate early
    depths = parse_ints(args.depths, "depths") if args.depths else None
    do_width = args.widths is not None or depths is None
    widths = parse_ints(args.widths or "64,128,256,512", "widths", 2) if do_width else []
    if do_width and len(widths) < 2:
        raise UserError("--widths needs at least two widths to measure a drift")
    width_model, depth_model = args.model or "mlp", args.model or "resmlp"
    if depths is not None:
        if len(depths) < 2:
            raise UserError("--depths needs at least two depths to measure a drift")
        if depth_model not in ("resmlp", "gpt"):
            raise UserError("depth transfer needs a residual network: --model resmlp or gpt")
        if args.width < 1 or (depth_model == "gpt" and args.width % 16):
            raise UserError(f"--width must be >= 1 (a multiple of 16 for the GPT); got {args.width}")
    check_device(args.device)
    targets = parse_targets(args.param, args.optimizer)
    tables = _check_before_work(args, targets, depths)
    out = prepare_out(Path(args.out))
    store = ResultStore(out / "results.jsonl")
    from . import executors, tracking

    executor, tracker = executors.from_args(args, out), tracking.from_args(args, out)
    sweep = dict(executor=executor, retry=getattr(args, "retry", 0), on_result=tracker and tracker.log_run)
    summary = {"model": width_model if do_width else depth_model, "steps": args.steps, "seeds": args.seeds,
               "metric": "final train loss", "device": args.device, "params": {}}
    jobs = [(t, widths, "width", width_model) for t in targets if do_width]
    jobs += [(t, depths, "depth", depth_model) for t in targets if depths]
    for t, sizes, dimension, model in jobs:
        opt, al = tables[t.label]
        opt = opt or t.optimizer  # a table without optimizer choice trains with NAME:OPT / --optimizer (default sgd)
        lrs = _lrs(args.lrs, opt.replace("adamw", "adam"))
        label = t.label if dimension == "width" else f"{t.label}@depth"
        summary["params"][label] = _sweep(t, sizes, lrs, args, dimension, model, store, opt, al, sweep)
    transfer_figure(summary, out / "transfer.png")
    (out / "transfer.json").write_text(json.dumps(summary, indent=1) + "\n")
    if args.verdict:
        from ..evidence.transfer_verdict import verdict_entries

        entries = verdict_entries(summary, [v.strip() for v in args.verdict.split(",") if v.strip()], args.tol)
        (out / "results.json").write_text(json.dumps(entries, indent=1) + "\n")
    if tracker:
        tracker.log_store(store)
        tracker.log_table("lr_transfer", *tracking.transfer_rows(summary))
    dims = {s["dimension"] for s in summary["params"].values()}
    at = f", width {args.width}" if dims == {"depth"} else ""
    lines = [f"# LR transfer ({summary['model']}{at}, {args.steps} steps, {args.seeds} seeds, final train loss)", "",
             "Drift = slope of log2(LR*) against log2(size): 0 means the optimal base LR transfers; the 95% CI "
             "bootstraps seeds.", "",
             "| parametrization | dimension | drift of log2 LR* per doubling | 95% CI | LR* per size |", "|---|---|---|---|---|"]
    for label, s in summary["params"].items():
        d = s["drift"]
        lines.append(f"| {label} | {s['dimension']} | {d['slope']:+.3f} | [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}] | "
                     + ", ".join(f"{w}: {o['lr_opt']:.3g}" for w, o in s["optima"].items() if o["lr_opt"]) + " |")
    cmd = (f"python -m scaling_exponents transfer --param {args.param} --model {summary['model']} "
           + (f"--widths {','.join(map(str, widths))} " if do_width else "")
           + (f"--depths {','.join(map(str, depths))} --width {args.width} " if depths else "")
           + (f"--lrs {args.lrs} " if args.lrs else "")
           + f"--steps {args.steps} --seeds {args.seeds} --batch {args.batch} --device {args.device}"
           + (f" --verdict {args.verdict}" if args.verdict else ""))
    lines += ["", "Regenerate:", "", f"```\n{cmd}\n```", "", "![loss vs LR per size](transfer.png)", ""]
    (out / "transfer.md").write_text("\n".join(lines))
    print("\n".join(lines[4:-7]))
    return 0
