"""Four-arm LR-transfer sweep on the byte-level GPT (issue 12, item 5): does measured alignment help?

Arms (all Everett et al.'s muP (a, b), arXiv 2407.05872 Table 1, Adam, base width = the smallest width):

1. ``full``   -- muP with the full-alignment c (1, 1/2, 1): embedding 1/2, hidden 1, readout 1/2;
2. ``no``     -- muP with the no-alignment c (1/2, 1/2, 1/2): embedding 1/2, hidden 1/2, readout 0;
3. ``measured`` -- measure once (m-wojnar/maxP's "maxP-meas"): ``align`` at the base width (``--measure-steps``
   steps at ``--measure-lr``), the per-layer c-table applied unchanged at every width;
4. ``online`` -- ``param.step()``: start from (1), measure every ``--every`` steps after ``--warmup``, re-solve
   and set per-layer LRs (seed 003 Phase 2).

For each (arm, width, base LR, seed): validation loss (4 held-out batches) after ``--steps`` steps.  Reported:
best-LR loss per width with the min/max over seeds, the optimum drift per width doubling (vertex of a quadratic
in log2 LR, :func:`scaling_exponents.verifier.transfer.drift`, bootstrap CI over seeds) and the per-layer c each
arm used.  maxP (docs/width_ladder_results.md) reports measure-once beating uniform no-alignment by ~0.1 nat at
every scale, with the correction concentrated on the readout.  Results append to ``OUT/results.jsonl`` as they
finish (rerun to resume); the report is ``OUT/report.md`` + ``OUT/transfer.png``.

    python benchmarks/alignment_transfer.py --out catalog/verification/alignment [--widths 32,64,128] \\
        [--lrs ...] [--steps 80] [--seeds 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np

ARMS = ("full", "no", "measured", "online")


def _val_loss(setup, batches):
    import torch  # noqa: F401  (no_grad below)

    with torch.no_grad():
        return float(np.mean([float(setup.model.loss(x, y)) for x, y in batches]))


def run_one(arm, width, lr, seed, args, table_path):
    from scaling_exponents.verifier import alignment_sweep as A
    from scaling_exponents.verifier import data as D

    kw = dict(base_width=args.base_width, depth=args.depth, lr=lr, batch=args.batch, block=args.block, seed=seed,
              device=args.device)
    setup = A.build("gpt", width, table=table_path if arm == "measured" else None,
                    alignment="no" if arm == "no" else None, **kw)
    online = None
    if arm == "online":
        online = setup.param.online(setup.probe, every=args.every, warmup=args.warmup, rows=256)
    opt = A.make_optimizer(setup, "adam")
    if online is not None:
        online.attach(opt)
    val = [(x.to(args.device), y.to(args.device))
           for (x, y), _ in zip(D.byte_batches(args.block, args.batch, seed=99, split="test"), range(4))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        losses = A.train(setup, opt, args.steps, on_step=setup.param.step if online else None)
    final = _val_loss(setup, val) if math.isfinite(losses[-1]) else float("inf")
    c = {}
    for name, info in setup.param.records.items():
        if info.role in ("embedding", "hidden", "readout") and name.endswith("weight") and info.width:
            ratio = info.width[0] / info.width[1]
            c[name] = None if ratio == 1 else -math.log(info.lr_scale) / math.log(ratio)
    return {"arm": arm, "width": width, "lr": lr, "seed": seed, "val": final if math.isfinite(final) else None,
            "train_tail": float(np.mean(losses[-max(1, args.steps // 10):])) if math.isfinite(losses[-1]) else None,
            "c": c, "solves": len(online.history) if online else 0}


def measure_table(args, out: Path) -> Path:
    from scaling_exponents.verifier.alignment_sweep import measure_once

    path = out / f"align_gpt_w{args.base_width}.json"
    if not path.exists():
        t = measure_once("gpt", args.base_width, args.measure_steps, lr=args.measure_lr, depth=args.depth,
                         batch=args.batch, block=args.block, strict=False, device=args.device)
        t.save(path)
    return path


def report(args, out: Path, rows, table_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scaling_exponents.systems.everett2024_aligned import load
    from scaling_exponents.verifier.probes.config import describe_device
    from scaling_exponents.verifier.transfer import drift

    lrs = args.lrs
    have = {(r["arm"], r["width"], r["lr"]) for r in rows}
    widths = [w for w in args.widths if all((a, w, lr) in have for a in ARMS for lr in lrs)]
    if len(widths) < 2:
        raise SystemExit(f"need >= 2 complete widths for a report; complete: {widths}")
    if widths != args.widths:
        print(f"report on the complete widths {widths} (of {args.widths}); rerun to finish the others")
    lines = [f"# Measured alignment vs muP presets: byte-level GPT LR transfer ({args.steps} steps, "
             f"{len(args.seeds)} seeds, validation loss)", "",
             "Arms: muP (Everett et al. arXiv 2407.05872 (a, b)) with the full-alignment c, with the no-alignment c, "
             f"with a c-table measured once at width {args.base_width} (maxP-meas), and online (`param.step()`, "
             f"every {args.every} steps after {args.warmup}). Base width {args.base_width}; Adam; {args.depth} blocks, "
             f"head_dim 16, batch {args.batch} x {args.block} bytes.", "",
             f"Device: {describe_device(getattr(args, 'device', 'cpu'))}.", "",
             "| arm | " + " | ".join(f"best val loss @ {w} [seed min, max] (LR*)" for w in widths)
             + " | drift of log2 LR* per doubling [95% CI] |", "|---" * (len(widths) + 2) + "|"]
    summary = {}
    fig, axes = plt.subplots(1, len(ARMS), figsize=(4 * len(ARMS), 3.4), sharey=True)
    for ax, arm in zip(axes, ARMS):
        losses = {}
        cells = []
        for w in widths:
            per_lr = []
            for lr in lrs:
                vals = [r["val"] for r in rows if (r["arm"], r["width"], r["lr"]) == (arm, w, lr)]
                per_lr.append([v if v is not None else float("inf") for v in vals] or [float("inf")])
            n = min(len(v) for v in per_lr)
            per_lr = [v[:n] for v in per_lr]
            losses[w] = per_lr
            means = [float(np.mean(v)) for v in per_lr]
            j = int(np.argmin(means))
            cells.append(f"{means[j]:.4f} [{min(per_lr[j]):.4f}, {max(per_lr[j]):.4f}] ({lrs[j]:.3g})")
            ok = [i for i, m in enumerate(means) if math.isfinite(m)]
            ax.plot([lrs[i] for i in ok], [means[i] for i in ok], marker="o", label=f"width {w}")
            summary.setdefault(arm, {})[w] = {"best": means[j], "lr": lrs[j], "seeds": per_lr[j]}
        d = drift(widths, lrs, losses)
        summary[arm]["drift"] = d
        lines.append(f"| {arm} | " + " | ".join(cells) + f" | {d['slope']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}] |")
        ax.set_xscale("log", base=2)
        ax.set_title(arm)
        ax.set_xlabel("base LR")
    axes[0].set_ylabel("validation loss (nats/byte)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "transfer.png", dpi=110)
    # per-layer c each arm used (the widest width, best LR, seed 0)
    wmax = max(widths)
    lines += ["", f"Per-layer LR exponent c (lr ∝ (width/{args.base_width})^-c) each arm used at width {wmax} "
              "(best LR, first seed; online: after its last solve):", ""]
    cs = {}
    for arm in ARMS:
        best = summary[arm][wmax]["lr"]
        r = next((r for r in rows if (r["arm"], r["width"], r["lr"]) == (arm, wmax, best)), None)
        cs[arm] = r["c"] if r else {}
    names = list(cs["full"])
    lines += ["| weight | " + " | ".join(ARMS) + " |", "|---" * (len(ARMS) + 1) + "|"]
    for n in names:
        lines.append(f"| {n} | " + " | ".join("-" if cs[a].get(n) is None else f"{cs[a][n]:.3f}" for a in ARMS) + " |")
    t = load(table_path)
    lines += ["", f"Measured table (`{table_path.name}`, width {args.base_width}, {args.measure_steps} steps at LR "
              f"{args.measure_lr}): readout delta c vs full = {t.layers[-1].delta:+.3f}; hidden deltas "
              f"{min(x.delta for x in t.layers if x.role == 'hidden'):+.3f} .. "
              f"{max(x.delta for x in t.layers if x.role == 'hidden'):+.3f}.", "",
              "Regenerate:", "", "```", "python benchmarks/alignment_transfer.py --out " + str(out) + " --widths "
              + ",".join(map(str, args.widths)) + " --lrs " + ",".join(f"{x:g}" for x in lrs) + f" --steps {args.steps} "
              f"--seeds {len(args.seeds)} --threads {args.threads} --device {getattr(args, 'device', 'cpu')}", "```", "", "![val loss vs LR](transfer.png)", ""]
    (out / "report.md").write_text("\n".join(lines))
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
    print("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="catalog/verification/alignment")
    ap.add_argument("--widths", default="32,64,128")
    ap.add_argument("--lrs", default=",".join(f"{2.0 ** k:g}" for k in range(-9, -3)))
    ap.add_argument("--steps", type=int, default=80)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--block", type=int, default=32)
    ap.add_argument("--every", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--measure-steps", type=int, default=80)
    ap.add_argument("--measure-lr", type=float, default=2.0 ** -6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--report-only", action="store_true", help="write the report from the results so far")
    ap.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (default cpu); named in the report")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    args.widths = sorted(int(w) for w in args.widths.split(","))
    args.lrs = sorted(float(x) for x in args.lrs.split(","))
    args.seeds = list(range(args.seeds))
    args.base_width = args.widths[0]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store = out / "results.jsonl"
    rows = [json.loads(line) for line in store.read_text().splitlines()] if store.exists() else []
    done = {(r["arm"], r["width"], r["lr"], r["seed"]) for r in rows}
    table_path = measure_table(args, out)
    for w in ([] if args.report_only else args.widths):
        for arm in args.arms.split(","):
            for lr in args.lrs:
                for s in args.seeds:
                    if (arm, w, lr, s) in done:
                        continue
                    t = time.perf_counter()
                    r = run_one(arm, w, lr, s, args, table_path)
                    r["seconds"] = round(time.perf_counter() - t, 2)
                    rows.append(r)
                    with store.open("a") as f:
                        f.write(json.dumps(r) + "\n")
                    print(f"{arm:8s} w={w:4d} lr={lr:.4g} seed={s} val={r['val']} ({r['seconds']} s)", flush=True)
    report(args, out, rows, table_path)


if __name__ == "__main__":
    main()
