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
from .verify import parse_ints, parse_targets

DEFAULT_LRS = {"adam": [2.0 ** k for k in range(-12, -1)], "sgd": [2.0 ** k for k in range(-6, 4)]}


def train_run(cfg, steps: int, batch: int, data_seed: int = 0) -> dict:
    """Train all seeds of ``cfg`` for ``steps`` minibatch steps; return per-seed final losses and the curve."""
    import torch
    from torch.func import functional_call, grad_and_value, vmap

    from . import data as D
    from .probes import _loss, adam_step, build_seeds, check_device, set_precision

    device = check_device(cfg.device)
    dtype = set_precision(cfg.dtype, device)
    if cfg.model == "mlp":
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


def optimum(lrs, losses) -> float | None:
    """log2 of the optimal LR: vertex of a quadratic in log2(lr) through the best point and its neighbours
    (falls back to the best grid point at an edge or when the parabola opens downwards)."""
    x = np.log2(np.asarray(lrs, dtype=float))
    y = np.asarray(losses, dtype=float)
    ok = np.isfinite(y)
    if ok.sum() == 0:
        return None
    x, y = x[ok], y[ok]
    i = int(np.argmin(y))
    lo, hi = max(0, i - 2), min(len(x), i + 3)
    if hi - lo >= 3:
        a, b, _ = np.polyfit(x[lo:hi], y[lo:hi], 2)
        if a > 0:
            v = -b / (2 * a)
            return float(np.clip(v, x[lo], x[hi - 1]))
    return float(x[i])


def drift(sizes, lrs, losses, n_boot: int = 500, seed: int = 0) -> dict:
    """Slope of log2 LR* vs log2 size with a seed-bootstrap CI; ``losses[size][lr_index][seed]``."""
    xs = np.log2(np.asarray(sizes, dtype=float))
    arr = np.asarray([[losses[s][j] for j in range(len(lrs))] for s in sizes], dtype=float)  # (W, LR, S)
    arr = np.where(np.isfinite(arr), arr, np.inf)

    def slope(a):
        opts = [optimum(lrs, np.where(np.isfinite(a[w]), a[w], np.nan)) for w in range(len(sizes))]
        if any(o is None for o in opts):
            return float("nan"), opts
        return float(np.polyfit(xs, opts, 1)[0]), opts

    point, opts = slope(arr.mean(axis=2))
    rng = np.random.default_rng(seed)
    S = arr.shape[2]
    boots = []
    for _ in range(n_boot if S > 1 else 0):
        idx = rng.integers(0, S, S)
        boots.append(slope(arr[:, :, idx].mean(axis=2))[0])
    boots = [b for b in boots if math.isfinite(b)]
    lo, hi = (np.quantile(boots, [0.025, 0.975]) if boots else (point, point))
    return {"slope": point, "ci": [float(lo), float(hi)], "log2_lr_opt": opts}


def add_arguments(p) -> None:
    p.add_argument("--param", "-p", required=True, help="comma-separated names, NAME:OPTIMIZER allowed (e.g. mup,sp-table3)")
    p.add_argument("--model", choices=("mlp", "gpt"), default="mlp")
    p.add_argument("--optimizer", "-o", help="default optimizer (default: the paper's first)")
    p.add_argument("--alignment", "-a")
    p.add_argument("--widths", default="64,128,256,512", help="comma-separated widths (default 64,128,256,512)")
    p.add_argument("--depths", help="depth transfer (needs a depth parametrization in the registry)")
    p.add_argument("--depth", type=int, default=2, help="hidden layers / blocks (default 2)")
    p.add_argument("--lrs", help="comma-separated base LRs (default: powers of 2, adam 2^-12..2^-2, sgd 2^-6..2^3)")
    p.add_argument("--steps", type=int, default=200, help="training steps per run (default 200)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per run, trained together (default 3)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--base-width", type=int, help="width the base LR refers to (default: the smallest)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--out", default="transfer")
    p.add_argument("--no-progress", action="store_true")


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


def run(args) -> int:
    import json

    from .probes import RunConfig, check_device
    from .report import transfer_figure
    from .store import ResultStore
    from .sweep import run_tasks
    from .verify import _table

    if args.steps < 1 or args.seeds < 1 or args.batch < 1:
        raise UserError("--steps, --seeds and --batch must be >= 1")
    _lrs(args.lrs, "adam")  # validate early
    widths = parse_ints(args.widths, "widths", 2)
    if len(widths) < 2:
        raise UserError("--widths needs at least two widths to measure a drift")
    check_device(args.device)
    targets = parse_targets(args.param, args.optimizer)
    if args.depths:
        raise UserError("depth transfer needs a depth parametrization with depth rows; none of "
                        f"{', '.join(t.param for t in targets)} has them in this version")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out / "results.jsonl")
    summary = {"model": args.model, "steps": args.steps, "seeds": args.seeds, "metric": "final train loss",
               "device": args.device, "params": {}}
    for t in targets:
        _, opt, al = _table(t, args.alignment)
        opt = opt or "sgd"
        lrs = _lrs(args.lrs, opt)
        tasks = []
        for w in widths:
            for lr in lrs:
                cfg = RunConfig(param=t.param, model=args.model, optimizer=opt, alignment=al, width=w,
                                depth=args.depth, base_width=args.base_width or widths[0], lr=lr,
                                seeds=tuple(range(args.seeds)), batch=args.batch, device=args.device, dtype=args.dtype)
                conf = {"kind": "transfer", **cfg.to_dict(), "train_steps": args.steps}
                tasks.append((conf, (lambda c=cfg: train_run(c, args.steps, args.batch))))
        res = run_tasks(tasks, store, desc=f"transfer {t.label}", progress=not args.no_progress)
        losses = {w: [res[i * len(lrs) + j]["final"] for j in range(len(lrs))] for i, w in enumerate(widths)}
        d = drift(widths, lrs, losses)
        curves = {str(w): {"lr": lrs, "loss": [float(np.mean(v)) if all(map(math.isfinite, v)) else None
                                               for v in losses[w]]} for w in widths}
        optima = {str(w): {"lr_opt": 2 ** o if o is not None else None} for w, o in zip(widths, d["log2_lr_opt"])}
        best_at = {str(lr): min(widths, key=lambda w, j=j: np.mean(losses[w][j])) for j, lr in enumerate(lrs)}
        summary["params"][t.label] = {"param": t.param, "optimizer": opt, "dimension": "width", "drift": d,
                                      "curves": curves, "optima": optima, "widest_best_at_lr": best_at}
        print(f"{t.label}: optimal-LR drift {d['slope']:+.3f} log2/doubling, 95% CI "
              f"[{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]; LR* per width: "
              + ", ".join(f"{w}: {o['lr_opt']:.3g}" for w, o in optima.items() if o["lr_opt"]), file=sys.stderr)
    transfer_figure(summary, out / "transfer.png")
    (out / "transfer.json").write_text(json.dumps(summary, indent=1) + "\n")
    lines = [f"# LR transfer ({args.model}, {args.steps} steps, {args.seeds} seeds, final train loss)", "",
             "| parametrization | drift of log2 LR* per width doubling | 95% CI | LR* per width |", "|---|---|---|---|"]
    for label, s in summary["params"].items():
        d = s["drift"]
        lines.append(f"| {label} | {d['slope']:+.3f} | [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}] | "
                     + ", ".join(f"{w}: {o['lr_opt']:.3g}" for w, o in s["optima"].items() if o["lr_opt"]) + " |")
    lines += ["", "![loss vs LR per width](transfer.png)", ""]
    (out / "transfer.md").write_text("\n".join(lines))
    print("\n".join(lines[2:-2]))
    return 0
