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
import sys
from pathlib import Path

from ..errors import UserError
from ..theory.factors import evaluate
from .hints import hint
from .summary_record import plain

PANELS = [("act_init", "activation coord size at init"), ("act_delta", "activation change after t steps"),
          ("dW_spec", "||ΔW||₂"), ("W_spec", "||W||₂ at init"), ("dW_rms", "RMS(ΔW)"),
          ("kernel_move", "kernel / NTK movement, NNGP error")]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def slug(label: str) -> str:
    """``label`` with every character other than letters, digits, ``-`` and ``_`` replaced by ``_``: a file name for
    the label's plot."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)


#: Depth-sweep panels: (title, (layer|quantity, ...)).
DEPTH_PANELS = [("at init: stream, branches' sum, one branch", ("stream|act_init", "blocks_sum|act_init", "branch|act_init")),
                ("change after t steps: stream, branches' sum", ("stream|act_delta", "blocks_sum|act_delta")),
                ("per-branch change: own weights / input / total", ("branch|own_delta", "branch|input_delta",
                                                                     "branch|act_delta")),
                ("in-block RMS(ΔW); features, logits change", ("hidden|dW_rms", "features|act_delta", "head|act_delta"))]


def gmean(values) -> float:
    """Geometric mean of |values| (zeros floored at 1e-30): the seed average every coord plot and ratio uses."""
    return math.exp(sum(math.log(max(abs(v), 1e-30)) for v in values) / len(values))


def plot_row(ax, r: dict, sizes, color: str, label: str, anchor: int = 0) -> None:
    """One measured row of a sweep: geometric mean over seeds with min..max bars, labelled with its slope, prediction
    and verdict, and the *predicted* slope dashed through the point at ``sizes[anchor]``."""
    vals = [[abs(v) for v in r["values"][str(x)]] for x in sizes]  # |values|, as gmean: bars around the plotted mean
    gm = [gmean(vs) for vs in vals]
    # clipped at 0: with identical seeds exp(mean log) can exceed max by a rounding error, and matplotlib refuses
    # a negative bar
    ax.errorbar(sizes, gm, yerr=[[max(g - min(vs), 0.0) for g, vs in zip(gm, vals)],
                                 [max(max(vs) - g, 0.0) for g, vs in zip(gm, vals)]],
                marker="o", color=color, capsize=2,
                label=f"{label}: {r['slope']:+.2f} (pred {r['predicted']}) "
                      + {"pass": "✓", "info": "(info)"}.get(r["verdict"], "✗"))
    ax.plot(sizes, [gm[anchor] * evaluate([(x / sizes[anchor], r["predicted_value"])]) for x in sizes], "--", color=color,
            alpha=0.6)


def _is_depth(summary: dict) -> bool:
    return summary.get("dimension") == "depth"


def coord_figure(summary: dict, path: Path) -> None:
    """The coord-check figure of one verified parametrization (a width sweep, or a depth sweep)."""
    plt = _plt()
    depth = _is_depth(summary)
    if depth:
        fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
        panels = DEPTH_PANELS
    else:
        fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
        panels = [tuple(p) for p in summary["panels"]] if summary.get("panels") else PANELS
    widths = summary["depths"] if depth else summary["widths"]
    for ax, (q, title) in zip(axes.flat, panels):
        if depth:
            title, keys = q, title
            rows = [r for k in keys for r in summary["rows"] if f"{r['layer']}|{r['quantity']}" == k]
            qs = ("",)
        else:
            qs = ("kernel_move", "ntk_move", "nngp_err") if q == "kernel_move" else (q,)
            rows = [r for r in summary["rows"] if r["quantity"] in qs]
        for i, r in enumerate(rows):
            label = f"{r['layer']}" + (f" {r['quantity']}" if len(qs) > 1 or depth else "")
            plot_row(ax, r, widths, f"C{i % 10}", label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("depth (residual blocks)" if depth else "width")
        if rows:
            ax.legend(fontsize=7)
    at = f", width {summary['width']}" if depth else ""
    fig.suptitle(f"{summary['label']}: {summary['title']} ({summary['model']}{at}, {summary['seeds']} seeds, "
                 f"{summary['steps']} steps, lr {summary['lr']:g}) -- dashed: predicted slope")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _verdict(r: dict, summary: dict | None = None) -> str:
    """The verdict cell of a report row: pass / FAIL, the calibrated class of a failed row
    (:mod:`.calibrate`: ``fail: unexplained``, ``finite size``, ...) with its reason, the theory and hints."""
    text = {"pass": "**pass**", "info": "info (not counted)"}.get(r["verdict"], "**FAIL**")
    if r.get("class") and r["class"] not in ("pass", "info"):
        text += f" [{r['class']}" + (f": {r['why']}" if r.get("why") else "") + "]"
    h = hint(r, summary) if summary else ""
    return text + (f" (theory: {r['theory']})" if r.get("theory") else "") + (f" ({h})" if h else "")


def _md_rows(summary: dict) -> list[str]:
    depth = _is_depth(summary)
    head = ["layer", "quantity", "predicted depth exponent" if depth else "predicted", "measured slope", "95% CI",
            "verdict"] + ([] if depth else ["spectral cond."]) + ["formula (source)"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in summary["rows"]:
        cells = [r["layer"], r["quantity"], r["predicted"], f"{r['slope']:+.3f}",
                 f"[{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}]", _verdict(r, summary)]
        if not depth:
            sc = r.get("spectral_condition", "")
            cells.append(f"{'V' if summary.get('dimension') == 'vocab' else 'n'}^({sc})" + (" ✓" if r.get("meets_spectral_condition") else " ✗") if sc else "")
        cells.append(f"{r['formula']} ({r['source']})")
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return out


def merge_previous(summaries: dict, out: Path) -> dict:
    """The summaries already in ``out/summaries.json`` (an earlier run) updated with ``summaries``: a partial rerun
    (``verify --param ntk`` into a folder that holds mup, sp, ntk) keeps the other entries."""
    path = Path(out) / "summaries.json"
    if not path.is_file():
        return dict(summaries)
    try:
        old = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise UserError(f"{path} is not valid JSON; delete it (the report is rebuilt from this run) or use another --out") from None
    if not isinstance(old, dict):
        raise UserError(f"{path} is not a summaries file; delete it or use another --out")
    return {**old, **summaries}


def write_verify_report(summaries: dict, out: Path, plots: bool = True, merge: bool = True) -> Path:
    """Write ``report.md``, one PNG per parametrization and ``results.json`` into ``out``; with ``merge``, entries
    of an earlier run in ``out`` that this run did not redo are kept (plots are redrawn only for this run's)."""
    from .summary import summary_json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fresh = set(summaries)
    if merge:
        summaries = merge_previous(summaries, out)
    any_depth = any(_is_depth(s) for s in summaries.values())
    only_depth = all(_is_depth(s) for s in summaries.values())
    what = "depth" if only_depth else ("width and depth" if any_depth else "width")
    if all(s.get("dimension") == "vocab" for s in summaries.values()):
        what, only_depth = "vocabulary", False
    if all(s.get("dimension") == "density" for s in summaries.values()):  # :mod:`..verifier.verify_density`
        what, only_depth = "density", False
    if all(s.get("model") == "lora" for s in summaries.values()):  # :mod:`scaling_exponents.verifier.verify_lora`
        what, only_depth = "LoRA width and rank", False
    axes = {"vocabulary": "V", "density": "rho", "LoRA width and rank": "width (or rank: NAME@rank)"}
    axis = "depth" if only_depth else axes.get(what, "width")
    lines = [f"# Verification: measured vs derived {what} exponents", "",
             f"Each row: the exponent p in `quantity ∝ {axis}^p` derived from the "
             "parametrization's table (`scaling_exponents.evidence.predict`) and the log-log slope fitted on seed-batched "
             "runs, with a 95% percentile bootstrap CI over seeds.  **pass** iff the prediction lies in the CI widened by "
             "the tolerance; a failed row carries its class in brackets (finite size, fails as predicted, or fail: "
             "a class from papers/diagnoses/ or unexplained; `scaling_exponents.evidence.verdicts`).  Regenerate "
             "with the command under each heading.", ""]
    if any_depth:
        lines += ["Depth sweeps (entries `NAME@depth`): a pre-LN residual network `h^{l+1} = h^l + L^-alpha F_l(LN(h^l))` "
                  "at a fixed width, L = number of residual blocks, base LR at the smallest depth; alpha (branch "
                  "multiplier) and gamma (in-block update ∝ L^-gamma) are read off the table's depth rows "
                  "(`predict.depth_exponents`; no depth rows = the unscaled ResNet, alpha = gamma = 0).  Quantities: "
                  "`stream` = h^L (input of the final norm), `blocks_sum` = h^L - h^0, `branch` = one scaled branch "
                  "output (geometric mean over branches), `own_delta` = a branch's change from its own weights at its "
                  "init input (TP6 Claim 7.2 / CompleteP's per-block Θ(1/L) update), `hidden|dW_rms` = in-block "
                  "weight update.", ""]
    lines += ["| parametrization | status | rows passed | device | sizes | seeds | steps |", "|---|---|---|---|---|---|---|"]
    for label, s in summaries.items():
        sizes = s.get("sizes_text") or (f"depth {s['depths'][0]}..{s['depths'][-1]} (width {s['width']})" if _is_depth(s)
                                        else f"{s['widths'][0]}..{s['widths'][-1]}")
        lines.append(f"| {label} | **{s['status']}** | {s['passed']}/{s['passed'] + s['failed']} | {s['device']} | "
                     f"{sizes} | {s['seeds']} | {s['steps']} |")
    for label, s in summaries.items():
        if s.get("command"):  # entries of other sweeps (u-muP unit scale, MoE) carry their own command
            cmd = s["command"]
        elif _is_depth(s):
            name = label[: -len("@depth")] if label.endswith("@depth") else label
            cmd = (f"python -m scaling_exponents verify --param {name} --model {s['model']} --depths "
                   f"{','.join(map(str, s['depths']))} --width {s['width']} --base-depth {s['base_depth']} "
                   f"--seeds {s['seeds']} --steps {s['steps']} --lr {s['lr']:g} --batch {s['batch']} "
                   f"--tol {s['tol']:g} --device {s['device']}")
        else:
            cmd = (f"python -m scaling_exponents verify --param {label} --model {s['model']} --widths "
                   f"{','.join(map(str, s['widths']))} --seeds {s['seeds']} --steps {s['steps']} --lr {s['lr']:g} "
                   f"--tol {s['tol']:g} --device {s['device']}")
            if s.get("arch", "classic") != "classic":
                cmd += f" --arch {s['arch']}"
            if s.get("eps") is not None:
                cmd += f" --eps {s['eps']:g}"
        used = "depth exponents used" if _is_depth(s) else "r exponents used"
        lines += ["", f"## {label}: {s['title']} -- {s['status']}", "",
                  f"Source: {s['source']}.  {used}: " + ", ".join(f"{k} = {v}" for k, v in s["r"].items()),
                  "", f"```\n{cmd}\n```", ""]
        lines += [f"- note: {n}" for n in s["notes"]]
        png = f"coord_{slug(label)}.png"
        if plots and s.get("plot", True) and (label in fresh or not (out / png).exists()):
            coord_figure(s, out / png)
        if (plots and s.get("plot", True)) or (out / png).exists():
            lines += ["", f"![coord check {label}]({png})", ""]
        lines += _md_rows(s)
    (out / "report.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps(summary_json(summaries), indent=2) + "\n")
    (out / "summaries.json").write_text(json.dumps(plain(summaries), indent=1) + "\n")  # Summary -> dict: same bytes
    return out / "report.md"


def announce(summary: dict, label: str | None = None) -> None:
    """One sweep entry's verdict line on stderr (``mup: pass (22/22 rows)``), printed as each entry finishes."""
    print(f"{label or summary['label']}: {summary['status']} ({summary['passed']}/"
          f"{summary['passed'] + summary['failed']} rows)", file=sys.stderr)


def conclude(summaries: dict, out: Path, plots: bool = True) -> int:
    """The end of every ``verify`` sweep: write the report, print the short table and its path; exit status 0 iff
    every entry passes (1 otherwise, as documented for ``verify``)."""
    from .summary import short_table

    write_verify_report(summaries, out, plots=plots)
    print(short_table(summaries))
    print(f"\nreport: {out / 'report.md'}")
    return 0 if all(s["status"] == "pass" for s in summaries.values()) else 1


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
        ax.set_xlabel(f"learning rate (base, at the base {s['dimension']})")
        ax.set_ylabel(summary.get("metric", "loss"))
        d = s.get("drift")
        ax.set_title(f"{label}: drift {d['slope']:+.2f} [{d['ci'][0]:+.2f}, {d['ci'][1]:+.2f}] log2/doubling"
                     if d else label, fontsize=10)
        ax.legend(fontsize=7)
        finite = [v for sz in sizes for v in s["curves"][sz]["loss"] if v is not None and math.isfinite(v)]
        if finite:
            lo = min(finite)
            ax.set_ylim(lo - 0.05 * abs(lo), min(max(finite), lo + 3.0 * (abs(lo) + 0.1)))
    dims = {summary["params"][k].get("dimension", "width") for k in labels}
    ask = " / ".join({"width": "wider", "depth": "deeper"}[d] for d in sorted(dims, reverse=True))
    fig.suptitle(f"LR transfer ({summary['model']}, {summary['steps']} steps): {ask} is better at fixed LR? "
                 "Dotted: fitted optimum per size")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
