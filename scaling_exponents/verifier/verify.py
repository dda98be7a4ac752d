"""``python -m scaling_exponents verify``: measure scaling exponents on real runs and compare with the derived ones.

What: for each requested parametrization (``--param mup,sp,tp4-ntk:sgd``; ``name:optimizer`` picks the optimizer;
``--table FILE.json`` any table in ``derive -f json`` form) the sweeps that measure it run -- each one declaration in
:mod:`.sweeps` (width coordinate check, per-matrix optimizers, SAM, weight decay, depth, u-muP's unit check; and the
sweeps that own a whole invocation: your own model, vocabulary, density, LoRA, MoE).  Which sweeps measure a
parametrization is said by its spec (``ParamSpec.sweeps``) or by the declarations that cover its table; which of
them run is said by the size flags (``--widths``, ``--depths``, ...).  Each sweep predicts every (layer, quantity)
exponent, runs the seed-batched probe at each size (results in a resumable JSONL store), fits log-log slopes with
seed-bootstrap CIs and gives a calibrated verdict per row (:mod:`scaling_exponents.evidence.verdicts`).  Writes
``report.md`` + PNGs, ``results.jsonl`` (every run) and ``results.json`` (summary).

This module only parses the shared flags, validates them and runs the plan: it names no sweep, family or flag of a
sweep (issue 22 item 4); adding a sweep is one file in :mod:`.sweeps`.

Exit status: 0 when every row passes, 1 when some row fails (the numbers are in the report), 2 on bad input.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import UserError
from ..evidence.report import announce, conclude
from .target import DEFAULT_LR, DEFAULT_TOL, DEFAULT_WIDTHS, DTYPES, Target, parse_ints  # noqa: F401  (re-exported)
from .verify_depth import DEFAULT_DEPTH_WIDTH, depth_label, verify_depth_target  # noqa: F401  (re-exported)
from .verify_width import verify_target  # noqa: F401  (re-exported)
from .verify_matrix import _table  # (table, optimizer, alignment) of a -p name or a --table file (:mod:`.verify_table`)
from ..evidence.summary import fit_rows, predictions_for, short_table, summary_json  # noqa: F401  (re-exported)
from ..evidence.summary_record import Summary


def parse_targets(text: str, optimizer: str | None) -> list[Target]:
    """``mup,sp,tp4-ntk:sgd`` -> targets; each name is checked against the registry (UserError if unknown)."""
    from ..systems.registry import get

    out = []
    for item in [t.strip() for t in str(text).split(",") if t.strip()]:
        name, _, opt = item.partition(":")
        spec = get(name)  # raises UserError with suggestions
        explicit = bool(opt)
        opt = opt or optimizer or (spec.optimizers[0] if spec.optimizers and spec.optimizers[0] else "sgd")
        if spec.optimizers and spec.optimizers != ("",) and opt not in spec.optimizers:
            raise UserError(f"{spec.name} supports optimizers {', '.join(spec.optimizers)}; got {opt!r}")
        out.append(Target(name, opt, f"{name}:{opt}" if explicit else name))
    if not out:
        raise UserError("--param needs at least one parametrization name (see `python -m scaling_exponents list`)")
    return out


def validate(args) -> None:
    """The shared flags, checked before any sweep starts: one line naming the bad flag and its range."""
    if args.seeds < 2:
        raise UserError("--seeds must be >= 2 (the confidence interval bootstraps over seeds)")
    if args.steps < 1:
        raise UserError("--steps must be >= 1")
    if args.tol < 0:
        raise UserError("--tol must be >= 0")
    if args.lr is not None and not (args.lr > 0 and math.isfinite(args.lr)):
        raise UserError(f"--lr must be a positive number, got {args.lr}")
    if args.batch < 1:
        raise UserError("--batch must be >= 1")
    if args.dtype not in DTYPES:  # checked here, before any run starts (not inside the first run)
        raise UserError(f"--dtype must be one of {', '.join(DTYPES)}, got {args.dtype!r}")
    if args.depth < 0 or (args.depth == 0 and (args.model or "mlp") != "mlp"):
        raise UserError("--depth must be >= 1 (>= 0 for --model mlp: --depth 0 is TP4's one-hidden-layer net, "
                        "input and readout layers only)")


def run(args) -> int:
    """The ``verify`` command: :func:`_run`, then shut down a Ray instance this command started (exit status)."""
    from .executors import shutdown

    try:
        return _run(args)
    finally:
        shutdown()  # a Ray instance this command started (the CLI leaves with os._exit, past atexit hooks)


def _run(args) -> int:
    """Validate, then hand the invocation to the sweep that owns it (:func:`.sweeps.select`) or run the plan of target
    sweeps (:func:`.sweeps.plan`: which sweeps measure each parametrization is said by its spec or its table), then
    write the report.  No sweep, family or flag is named here."""
    from .probes import check_device
    from ..evidence.store import ResultStore, prepare_out
    from . import executors, sweeps, tracking
    from .verify_table import targets_of

    validate(args)
    table_of = lambda t: _table(t, args.alignment)[0]  # noqa: E731
    sweep = sweeps.select(args)
    if sweep is not None:
        if getattr(args, "table", None) and not sweep.takes_tables:
            able = [s.name for s in sweeps.declared() if s.takes_tables or not s.owns_invocation]
            raise UserError(f"--table works with the {', '.join(able)} sweeps; the {sweep.name} sweep takes -p names")
        return sweep.run(args, sweeps.Context(parse_ints, parse_targets, table_of))
    check_device(args.device)
    steps = sweeps.plan(targets_of(args, parse_targets), args, table_of)
    out = prepare_out(Path(args.out))
    store = ResultStore(out / "results.jsonl")
    executor, tracker = executors.from_args(args, out), tracking.from_args(args, out)
    ctx = sweeps.Context(parse_ints, parse_targets, table_of, store=store, progress=not args.no_progress,
                         runner=dict(executor=executor, retry=getattr(args, "retry", 0),
                                     on_result=tracker and tracker.log_run))
    summaries: dict[str, Summary] = {}
    for sweep, target, table in steps:
        for label, s in sweep.run(target, table, args, ctx).items():
            summaries[label] = s
            announce(s, label)
    if tracker:
        tracker.log_store(store)
        tracker.log_table("measured_vs_predicted", *tracking.verify_rows(summaries))
    return conclude(summaries, out, plots=not args.no_plots)
