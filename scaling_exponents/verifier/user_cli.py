"""``verify --model package.module:factory`` and ``transfer --model ...``: the two commands on a user's own model.

``--model`` of both commands takes a built-in name or a factory (:func:`model_arg`; a name with ``:`` is a factory,
:mod:`.user_model` states its contract); ``verify`` and ``transfer`` hand a factory to :func:`run_verify` /
:func:`run_transfer` first thing.  ``--batch-fn package.module:fn`` gives the batches (default: the built-in byte
data, ``--block`` tokens).  ``--depth`` is passed to a factory that takes ``depth=``.

Output in ``--out``: ``report.md``, the figure (``coord_LABEL.png`` / ``transfer.png``), ``results.json`` (and
``coord_LABEL.csv``, every measurement / ``results.jsonl``, every run); the short table on stdout.  Exit status 0
when every expectation holds, 1 when one fails, 2 on bad input (a one-line error), as the other sweeps.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from ..errors import UserError
from ..evidence.summary_record import tally

#: verify/transfer options that belong to the built-in models' other sweep axes (refused with a factory).
OTHER_AXES = ("depths", "vocabs", "experts", "densities", "ranks")
#: options of the built-in models' probes (value = their default): given with a factory they would be ignored
BUILTIN_ONLY = {"arch": "classic", "eps": None, "rho": None, "weight_decay": None, "no_nngp": False}


def model_arg(builtins):
    """An argparse ``type=`` for ``--model``: a built-in name, a factory (contains ``:``), else one error line."""
    def check(text: str) -> str:
        if text in builtins or ":" in text:
            return text
        from .user_model import FORM

        raise argparse.ArgumentTypeError(f"{text!r} is neither a built-in model (choose from {', '.join(builtins)}) "
                                         f"nor your own model's factory ({FORM})")
    return check


def is_factory(model) -> bool:
    """``--model`` names a user's factory (``module:factory`` / ``file.py:factory``), not a built-in model."""
    return isinstance(model, str) and ":" in model


#: ``--block``'s default: tokens per sequence of the byte data a factory model trains on.
DEFAULT_BLOCK = 32


def add_user_arguments(p) -> None:
    """``--batch-fn`` and ``--block`` (used only with a factory ``--model``)."""
    p.add_argument("--batch-fn", help="with --model module:factory: batches from fn(batch_size, seed) -> (inputs, "
                                      "targets) (default: the built-in byte-level LM data, vocabulary 256)")
    p.add_argument("--block", type=int, default=DEFAULT_BLOCK,
                   help=f"with a factory --model and the byte data: tokens per sequence (default {DEFAULT_BLOCK})")


def _common(args):
    """(factory, depth, targets) after refusing the options a factory sweep does not take."""
    for name in OTHER_AXES:
        if getattr(args, name, None) is not None:
            raise UserError(f"--{name} sweeps the built-in models; your own model (--model {args.model}) sweeps "
                            "--widths only (pass a fixed depth with --depth)")
    for name, default in BUILTIN_ONLY.items():
        if getattr(args, name, default) != default:
            flag = "--" + name.replace("_", "-")
            raise UserError(f"{flag} applies to the built-in models' probes; with --model {args.model} it would be "
                            f"ignored: drop {flag}")
    if args.block < 1:
        raise UserError(f"--block must be >= 1, got {args.block}")
    from .user_model import _accepts, load_callable

    factory = load_callable(args.model)
    depth = args.depth if _accepts(factory, "depth") else None
    targets = [t.strip() for t in str(args.param).split(",") if t.strip()]
    if not targets:
        raise UserError("--param needs at least one parametrization name (see `python -m scaling_exponents list`)")
    if args.optimizer:
        targets = [t if ":" in t else f"{t}:{args.optimizer}" for t in targets]
    return factory, depth, targets


def _widths(args, default: str, parse_ints):
    from ..evidence.store import prepare_out

    widths = parse_ints(args.widths or default, "widths", 2)
    if len(widths) < 2:
        raise UserError("--widths needs at least two different widths to fit a slope")
    return widths, prepare_out(Path(args.out))


def run_verify(args, parse_ints) -> int:
    """``verify --model module:factory``: :func:`.user_coord.coord_check` per ``--param`` entry; the report.
    ``parse_ints`` is verify's ``--widths`` parser (passed in: no import cycle)."""
    from .user_coord import coord_check

    _, depth, targets = _common(args)  # checks the factory loads; the sweeps load it from the spec (store key)
    widths, out = _widths(args, "64,128,256", parse_ints)
    results, lines = {}, []
    for t in targets:
        cc = coord_check(args.model, t, widths=widths, steps=args.steps, seeds=args.seeds, lr=args.lr,
                         base_width=args.base_width, batch_fn=args.batch_fn, batch=args.batch, device=args.device,
                         depth=depth, block=args.block, tol=args.tol)
        png = f"coord_{''.join(c if c.isalnum() or c in '-_' else '_' for c in cc.label)}.png"
        if not args.no_plots:
            fig = cc.figure()
            fig.savefig(out / png, dpi=90)
            import matplotlib.pyplot as plt

            plt.close(fig)
        cc.df.to_csv(out / f"coord_{png[6:-4]}.csv", index=False)
        rows = cc.slopes.to_dict("records")
        fails = [f"{r['module']}|{r['quantity']}" for r in rows if r["verdict"] == "fail"]
        # passed/failed: the one count of every entry (:func:`.summary_record.tally`); status: the coord check's
        # own (``info`` when nothing is expected), so not a verify Summary
        results[cc.label] = {"status": cc.status, "regime": cc.regime, **cc.settings, **tally(rows)._asdict(),
                             "failed_rows": fails,
                             "slopes": {f"{r['module']}|{r['quantity']}": [round(r["slope"], 4), round(r["ci_lo"], 4),
                                                                           round(r["ci_hi"], 4), _exp(r["expected"]),
                                                                           r["verdict"]] for r in rows}}
        print(f"{cc.label}: {cc.status} ({results[cc.label]['passed']}/{results[cc.label]['passed'] + len(fails)} "
              "rows)", file=sys.stderr)
        cmd = (f"python -m scaling_exponents verify --model {args.model} --param {t} --widths "
               f"{','.join(map(str, widths))} --seeds {args.seeds} --steps {args.steps} --lr {cc.settings['lr']:g} "
               f"--batch {args.batch} --tol {args.tol:g} --device {args.device}"
               + (f" --batch-fn {args.batch_fn}" if args.batch_fn else f" --block {args.block}"))
        lines += [f"## {cc.label}: {cc.status}", "", f"Regime: {cc.regime}.  Expected exponent 0 = Theta(1) in width "
                  "(microsoft/mup's coord-check criterion, TP5 arXiv 2203.03466 App. D.1); `info` = no expectation.",
                  "", f"```\n{cmd}\n```", ""] + ([f"![coord check {cc.label}]({png})", ""] if not args.no_plots else [])
        lines += ["| module | quantity | expected | slope | 95% CI | verdict |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['module']} | {r['quantity']} | {_exp(r['expected'])} | {r['slope']:+.3f} | "
                  f"[{r['ci_lo']:+.3f}, {r['ci_hi']:+.3f}] | {r['verdict']} |" for r in rows] + [""]
        print(f"== {cc.label} ({cc.regime}): {cc.status}")
        print(f"{'module':<24} {'quantity':<10} {'expect':>6} {'slope':>7} {'95% CI':>17}  verdict")
        for r in rows:
            print(f"{r['module']:<24} {r['quantity']:<10} {_exp(r['expected']):>6} {r['slope']:+7.2f} "
                  f"{'[%+.2f, %+.2f]' % (r['ci_lo'], r['ci_hi']):>17}  {r['verdict']}")
    head = [f"# Coordinate check of {args.model}", "",
            "Each row: the log-log slope of a module's output RMS at init (`act_init`) or of its change after "
            f"{args.steps} steps (`act_delta`) against width, with a 95% seed-bootstrap CI; **pass** iff the expected "
            f"exponent lies in the CI widened by {args.tol:g}.  A necessary check, not the per-layer prediction of "
            "`verify` on the reference models.", ""]
    (out / "report.md").write_text("\n".join(head + lines))
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nreport: {out / 'report.md'}")
    return 1 if any(r["status"] == "fail" for r in results.values()) else 0


def _exp(e) -> str:
    return "-" if e is None or (isinstance(e, float) and math.isnan(e)) else f"{e:g}"


def run_transfer(args, parse_ints, parse_lrs) -> int:
    """``transfer --model module:factory``: :func:`.user_transfer.lr_transfer` per ``--param`` entry; the report.
    ``parse_ints`` / ``parse_lrs`` are transfer's ``--widths`` / ``--lrs`` parsers (passed in: no import cycle)."""
    from ..evidence.coord_expect import feature_learning
    from ..evidence.report import transfer_figure
    from ..evidence.transfer_verdict import verdict_entries
    from .user_transfer import lr_transfer
    from .user_model import resolve_table

    _, depth, targets = _common(args)  # checks the factory loads; the sweeps load it from the spec (store key)
    if args.steps < 1 or args.seeds < 1 or args.batch < 1 or args.tol < 0:
        raise UserError("--steps, --seeds and --batch must be >= 1 and --tol >= 0")
    parse_lrs(args.lrs, "adam")  # validate before any run
    widths, out = _widths(args, "64,128,256", parse_ints)
    summary, claims = None, []
    for t in targets:
        table, opt, _ = resolve_table(t)
        res = lr_transfer(args.model, t, widths=widths, lrs=parse_lrs(args.lrs, opt.replace("adamw", "adam")),
                          steps=args.steps, seeds=args.seeds, base_width=args.base_width, batch_fn=args.batch_fn,
                          batch=args.batch, device=args.device, depth=depth, block=args.block, out=out,
                          progress=not args.no_progress)
        s = res.summary()
        summary = s if summary is None else {**summary, "params": {**summary["params"], **s["params"]}}
        if feature_learning(table)[0]:
            claims.append(t)
        d = res.drift
        print(f"{res.label}: optimal-LR drift {d['slope']:+.3f} log2 per doubling of width, 95% CI "
              f"[{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]", file=sys.stderr)
    summary["device"] = args.device
    transfer_figure(summary, out / "transfer.png")
    (out / "transfer.json").write_text(json.dumps(summary, indent=1) + "\n")
    wanted = [v.strip() for v in args.verdict.split(",") if v.strip()] if args.verdict else claims
    entries = verdict_entries(summary, wanted, args.tol) if wanted else {}
    (out / "results.json").write_text(json.dumps(entries, indent=1) + "\n")
    lines = [f"# LR transfer of {args.model} ({args.steps} steps, {args.seeds} seeds, final train loss)", "",
             "Drift = slope of log2(LR*) against log2(width): 0 means the optimal base LR transfers (TP5 arXiv "
             "2203.03466 Sec. 1); verdicts for feature-learning tables (pass iff 0 in the 95% CI widened by "
             f"{args.tol:g}), the others are contrasts.", "",
             "| parametrization | drift per doubling | 95% CI | LR* per width | verdict |", "|---|---|---|---|---|"]
    for label, e in summary["params"].items():
        d, v = e["drift"], entries.get(label, {})
        verdict = "contrast" if v.get("contrast") or not v else v["status"]
        lines.append(f"| {label} | {d['slope']:+.3f} | [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}] | "
                     + ", ".join(f"{w}: {o['lr_opt']:.3g}" for w, o in e["optima"].items() if o["lr_opt"])
                     + f" | {verdict} |")
    cmd = (f"python -m scaling_exponents transfer --model {args.model} --param {args.param} --widths "
           f"{','.join(map(str, widths))}" + (f" --lrs {args.lrs}" if args.lrs else "")
           + f" --steps {args.steps} --seeds {args.seeds} --batch {args.batch} --device {args.device}"
           + (f" --batch-fn {args.batch_fn}" if args.batch_fn else f" --block {args.block}"))
    (out / "report.md").write_text("\n".join(lines + ["", f"```\n{cmd}\n```", "", "![loss vs LR per width]"
                                                      "(transfer.png)", ""]))
    print("\n".join(lines[4:]))
    print(f"\nreport: {out / 'report.md'}")
    return 1 if any(e["status"] == "fail" and not e.get("contrast") for e in entries.values()) else 0
