"""Markdown reports with PNG plots (matplotlib, Agg backend) for ``verify`` and ``transfer``.

* verify: per parametrization a table (layer, quantity, predicted exponent, fitted slope, 95% bootstrap CI,
  verdict) and a coordinate-check figure: one log-log panel per quantity, measured mean over seeds per layer
  (error bars: min..max over seeds) with the *predicted* slope drawn as a dashed line through the smallest
  width's value, so a mismatch is visible at a glance (cf. microsoft/mup ``plot_coord_data``).
* transfer: loss vs learning rate per width (the "wider is better at fixed LR" plot) and the fitted
  optimum per width.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

PANELS = [("act_init", "activation coord size at init"), ("act_delta", "activation change after t steps"),
          ("dW_spec", "||ΔW||₂"), ("W_spec", "||W||₂ at init"), ("dW_rms", "RMS(ΔW)"),
          ("kernel_move", "kernel / NTK movement, NNGP error")]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def slug(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)


def coord_figure(summary: dict, path: Path) -> None:
    """The coord-check figure of one verified parametrization."""
    plt = _plt()
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    widths = summary["widths"]
    for ax, (q, title) in zip(axes.flat, PANELS):
        qs = ("kernel_move", "ntk_move", "nngp_err") if q == "kernel_move" else (q,)
        rows = [r for r in summary["rows"] if r["quantity"] in qs]
        for i, r in enumerate(rows):
            vals = [r["values"][str(w)] for w in widths]
            gm = [math.exp(sum(math.log(max(abs(v), 1e-30)) for v in vs) / len(vs)) for vs in vals]
            lo = [min(vs) for vs in vals]
            hi = [max(vs) for vs in vals]
            color = f"C{i % 10}"
            label = f"{r['layer']}" + (f" {r['quantity']}" if len(qs) > 1 else "")
            ax.errorbar(widths, gm, yerr=[[g - l for g, l in zip(gm, lo)], [h - g for g, h in zip(gm, hi)]],
                        marker="o", color=color, capsize=2,
                        label=f"{label}: {r['slope']:+.2f} (pred {r['predicted']}) {'✓' if r['verdict'] == 'pass' else '✗'}")
            pred = [gm[0] * (w / widths[0]) ** r["predicted_value"] for w in widths]
            ax.plot(widths, pred, "--", color=color, alpha=0.6)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("width")
        if rows:
            ax.legend(fontsize=7)
    fig.suptitle(f"{summary['label']}: {summary['title']} ({summary['model']}, {summary['seeds']} seeds, "
                 f"{summary['steps']} steps, lr {summary['lr']:g}) -- dashed: predicted slope")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _md_rows(summary: dict) -> list[str]:
    out = ["| layer | quantity | predicted | measured slope | 95% CI | verdict | spectral cond. | formula (source) |",
           "|---|---|---|---|---|---|---|---|"]
    for r in summary["rows"]:
        sc = r.get("spectral_condition", "")
        if sc:
            sc = f"n^({sc})" + (" ✓" if r.get("meets_spectral_condition") else " ✗")
        verdict = {"pass": "**pass**", "info": "info (not counted)"}.get(r["verdict"], "**FAIL**")
        if r.get("theory"):
            verdict += f" (theory: {r['theory']})"
        out.append(f"| {r['layer']} | {r['quantity']} | {r['predicted']} | {r['slope']:+.3f} | "
                   f"[{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}] | {verdict} | {sc} | {r['formula']} ({r['source']}) |")
    return out


def write_verify_report(summaries: dict, out: Path, plots: bool = True) -> Path:
    """Write ``report.md``, one PNG per parametrization and ``results.json`` into ``out``."""
    from .verify import summary_json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Verification: measured vs derived width exponents", "",
             "Each row: the exponent p in `quantity ∝ width^p` derived from the parametrization's table "
             "(`scaling_exponents.torch.predict`) and the log-log slope fitted on seed-batched runs, with a "
             "95% percentile bootstrap CI over seeds.  **pass** iff the prediction lies in the CI widened by "
             "the tolerance.  Regenerate with the command under each heading.", ""]
    lines += ["| parametrization | status | rows passed | device | widths | seeds | steps |", "|---|---|---|---|---|---|---|"]
    for label, s in summaries.items():
        lines.append(f"| {label} | **{s['status']}** | {s['passed']}/{s['passed'] + s['failed']} | {s['device']} | "
                     f"{s['widths'][0]}..{s['widths'][-1]} | {s['seeds']} | {s['steps']} |")
    for label, s in summaries.items():
        cmd = (f"python -m scaling_exponents verify --param {label} --model {s['model']} --widths "
               f"{','.join(map(str, s['widths']))} --seeds {s['seeds']} --steps {s['steps']} --lr {s['lr']:g} "
               f"--tol {s['tol']:g} --device {s['device']}")
        lines += ["", f"## {label}: {s['title']} -- {s['status']}", "",
                  f"Source: {s['source']}.  r exponents used: " + ", ".join(f"{k} = {v}" for k, v in s["r"].items()),
                  "", f"```\n{cmd}\n```", ""]
        lines += [f"- note: {n}" for n in s["notes"]]
        if plots:
            png = f"coord_{slug(label)}.png"
            coord_figure(s, out / png)
            lines += ["", f"![coord check {label}]({png})", ""]
        lines += _md_rows(s)
    (out / "report.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps(summary_json(summaries), indent=2) + "\n")
    (out / "summaries.json").write_text(json.dumps(summaries, indent=1) + "\n")
    return out / "report.md"


def transfer_figure(summary: dict, path: Path) -> None:
    """Loss vs LR per width (one panel per parametrization) with each width's fitted optimum marked."""
    plt = _plt()
    labels = list(summary["params"])
    fig, axes = plt.subplots(1, len(labels), figsize=(6 * len(labels), 4.5), squeeze=False)
    for ax, label in zip(axes[0], labels):
        s = summary["params"][label]
        sizes = sorted(s["curves"], key=int)
        for i, size in enumerate(sizes):
            c = s["curves"][size]
            color = plt.cm.viridis(i / max(len(sizes) - 1, 1))
            ax.plot(c["lr"], c["loss"], "o-", color=color, label=f"{s['dimension']} {size}")
            opt = s["optima"].get(size)
            if opt and opt.get("lr_opt"):
                ax.axvline(opt["lr_opt"], color=color, ls=":", alpha=0.7)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("learning rate (base, at the base width)")
        ax.set_ylabel(summary.get("metric", "loss"))
        d = s.get("drift")
        ax.set_title(f"{label}: drift {d['slope']:+.2f} [{d['ci'][0]:+.2f}, {d['ci'][1]:+.2f}] log2/doubling"
                     if d else label, fontsize=10)
        ax.legend(fontsize=7)
        finite = [v for sz in sizes for v in s["curves"][sz]["loss"] if v is not None and math.isfinite(v)]
        if finite:
            lo = min(finite)
            ax.set_ylim(lo - 0.05 * abs(lo), min(max(finite), lo + 3.0 * (abs(lo) + 0.1)))
    fig.suptitle(f"LR transfer ({summary['model']}, {summary['steps']} steps): wider is better at fixed LR?")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
