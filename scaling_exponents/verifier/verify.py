"""``python -m scaling_exponents verify``: measure width exponents on real runs and compare with the derived ones.

What: for each requested parametrization (``--param mup,sp,tp4-ntk:sgd``; ``name:optimizer`` picks the
optimizer) it derives the table, predicts every (layer, quantity) exponent (:mod:`.predict`), runs the
seed-batched coordinate check at each width (:mod:`.probes`, results in a resumable JSONL store,
:mod:`.store`/:mod:`.sweep`), fits log-log slopes with seed-bootstrap CIs (:mod:`.fit`) and gives a verdict
per row: **pass** iff the predicted exponent lies in the 95% CI widened by ``--tol``.  Writes
``report.md`` + PNGs (:mod:`.report`), ``results.jsonl`` (every run) and ``results.json`` (summary).

Depth sweeps (``--depths 2,4,8,16 --width 64``, ``--model resmlp`` (default) or ``gpt``): the same for the depth
exponents of a pre-LN residual network (:func:`.predict.predict_depth`: residual stream, branches' sum, per-branch
own-weight and input-driven change, in-block updates), measured by :func:`.probes.depth_run` at a fixed width with
the base LR at the smallest depth; entries are labelled ``NAME@depth``.  A table without depth rows (``mup``,
``sp-table3``) is the unscaled-ResNet baseline (alpha = gamma = 0), whose positive exponents say what blows up.
With ``--depths`` no width sweep runs unless ``--widths`` is also given.

u-muP (``-p umup``, arXiv 2407.17465): the width sweep applies the table at ``--depth`` with ``--base-depth``
(default ``--depth``); without ``--depths`` a ResMLP depth sweep (2,4,8,16) runs too, and :mod:`.unit_verify` checks
the paper's own claim (unit-scale activations, weights, gradients at init) on graphcore's unit-scaled transformer.

Exit status: 0 when every row passes, 1 when some row fails (the numbers are in the report), 2 on bad input.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import UserError
from ..evidence.report import announce, conclude
from .target import DEFAULT_LR, DEFAULT_TOL, DEFAULT_WIDTHS, DTYPES, Target  # noqa: F401  (re-exported)
from .verify_depth import DEFAULT_DEPTH_WIDTH, depth_label, verify_depth_target  # noqa: F401  (re-exported)
from .verify_matrix import _table  # (table, optimizer, alignment) of a -p name or a --table file (:mod:`.verify_table`)
from .sweep_config import apply_config as prepare_parser  # noqa: F401  (--config; called by the CLI)
from ..evidence.summary import fit_rows, predictions_for, short_table, summary_json  # noqa: F401  (re-exported)

def parse_ints(text: str, what: str, minimum: int = 1) -> list[int]:
    try:
        vals = [int(v) for v in str(text).replace(" ", "").split(",") if v]
    except ValueError:
        raise UserError(f"--{what} takes comma-separated integers, e.g. --{what} {DEFAULT_WIDTHS}; got {text!r}") from None
    if not vals or any(v < minimum for v in vals):
        raise UserError(f"--{what} needs integers >= {minimum}; got {text!r}")
    return sorted(set(vals))


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


def verify_target(target: Target, *, model="mlp", widths=(64, 128, 256), depth=2, seeds=5, steps=3, lr=None,
                  base_width=None, batch=64, device="cpu", dtype="float32", alignment=None, tol=DEFAULT_TOL,
                  store=None, progress=False, after_run=None, nngp=True, base_depth=None, arch="classic",
                  eps=None, executor=None, retry=0, on_result=None) -> dict:
    """Verify one parametrization; returns the summary dict (rows with verdicts, per-step coord data).

    A table with depth rows (u-muP, CompleteP, ...) is applied at ``depth`` with ``base_depth`` (default ``depth``:
    depth factors 1, only the width rows act).  Per-matrix optimizer tables (muon, soap, ...) go to
    :func:`.verify_matrix.verify_matrix_target` (the real optimizer, one model per seed).
    ``executor``/``retry``/``on_result``: see :func:`.sweep.run_tasks`."""
    from .verify_matrix import is_matrix_target, verify_matrix_target

    if is_matrix_target(target, alignment):  # per-matrix optimizer tables (muon, soap, ...): the real optimizer
        return verify_matrix_target(target, model=model, widths=widths, depth=depth, seeds=seeds, steps=steps, lr=lr,
                                    base_width=base_width, batch=batch, device=device, dtype=dtype,
                                    alignment=alignment, tol=tol, store=store, progress=progress, after_run=after_run,
                                    arch=arch, eps=eps)
    if eps is not None:
        raise UserError(f"--eps sets the damping of per-matrix optimizer tables (muon, soap, ...); {target.param} is not one")
    from .probes import RunConfig, coord_run, nngp_run
    from ..evidence.store import ResultStore
    from .sweep import run_tasks

    store = store if store is not None else ResultStore(None)
    table, opt, al = _table(target, alignment)
    preds = predictions_for(target.expect or table, model, depth, opt or "sgd")
    if model == "gpt":  # embed/head have the fixed vocabulary as one fan: the slope the swept widths can show
        from ..evidence.hints import finite_vocab

        finite_vocab(preds, widths)
    lr = lr if lr is not None else DEFAULT_LR.get(opt or "sgd", 1e-2)
    base_width = base_width or min(widths)
    scales_with_depth = any(r.dimension == "depth" and r.power != 0 for r in table.rows)
    base_depth = (base_depth or depth) if scales_with_depth else None
    tasks = []
    for w in widths:
        cfg = RunConfig(param=target.param, model=model, optimizer=opt or "sgd", alignment=al, width=w,
                        depth=depth, base_width=base_width, base_depth=base_depth, lr=lr, steps=steps,
                        seeds=tuple(range(seeds)), batch=batch, dtype=dtype, device=device, arch=arch)
        tasks.append(({"kind": "coord", **cfg.to_dict(), "device_kind": device.split(":")[0]},
                      (lambda c=cfg: coord_run(c))))
    if nngp and model == "mlp":
        for w in widths:
            conf = {"kind": "nngp", "width": w, "depth": depth, "seeds": list(range(seeds)), "points": 16}
            tasks.append((conf, (lambda w=w: nngp_run(w, depth, tuple(range(seeds)), 16, device))))
    results = run_tasks(tasks, store, desc=f"verify {target.label}", progress=progress, after_run=after_run,
                        executor=executor, retry=retry, on_result=on_result)
    per_width = {w: {} for w in widths}
    coord = {}
    for (conf, _), res in zip(tasks, results):
        per_width[conf["width"]].update(res["metrics"])
        if conf["kind"] == "coord":
            coord[conf["width"]] = res
    rows = fit_rows(preds, per_width, list(widths), tol)
    n_fail = sum(r["verdict"] == "fail" for r in rows)
    head = next((r for r in rows if r["layer"] == "head" and r["quantity"] == "act_delta"), None)
    if head and head["verdict"] == "fail" and head["predicted_value"] == 0 and head["slope"] > 0:
        preds.notes.append("logit change grows with width although Everett et al.'s alignment (omega_{L+1} = 1/2) "
                           "predicts n^0: the readout's init weights align with the feature update (omega_{L+1} = 1, "
                           "TP4's stability condition a+b+r >= 1) whenever (a+b)_out = 1/2, which predicts n^{1/2}")
    emb = next((p for p in preds.items if (p.layer, p.quantity) == ("embed", "act_delta")), None)
    if emb is not None and emb.exponent < 0 and any(r["verdict"] == "fail" for r in rows):
        preds.notes.append(f"the embedding's update vanishes (n^{emb.exponent}; u-muP's embedding LR rule, not a muP "
                           "symmetry), so the first hidden layer's change and the feature kernel's movement are a "
                           "Theta(1) term plus a vanishing one: at these widths their slopes lie between the predicted "
                           "0 and the vanishing term's exponent")
    nonfinite = sorted({k for r in coord.values() for k in r.get("nonfinite", [])})
    return {
        "param": target.param, "label": target.label, "optimizer": opt, "alignment": al, "model": model,
        "title": table.title, "source": table.source.cite(), "widths": list(widths), "depth": depth,
        "seeds": seeds, "steps": steps, "lr": lr, "base_width": base_width, "batch": batch, "device": device,
        "dtype": dtype, "tol": tol, "status": "pass" if rows and not n_fail else "fail",
        "passed": sum(r["verdict"] == "pass" for r in rows), "failed": n_fail, "rows": rows, "r": {k: str(v) for k, v in preds.r.items()},
        "notes": preds.notes + ([f"non-finite values in {nonfinite}"] if nonfinite else []),
        "seconds": sum(r.get("seconds", 0.0) for r in results if r),
        "coord": {str(w): {k: v for k, v in res["metrics"].items() if "act_" in k} for w, res in coord.items()},
    }


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--param", "-p",
                   help="comma-separated names from `list`; NAME:OPTIMIZER picks the optimizer (e.g. mup,sp,tp4-ntk:sgd)")
    from .user_cli import add_user_arguments, model_arg

    p.add_argument("--model", type=model_arg(("mlp", "gpt", "resmlp", "moe", "lora")),
                   help="mlp (default for width sweeps), resmlp (pre-LN residual MLP; default for depth sweeps), gpt, "
                        "moe (top-k MoE network: sweeps width, --experts, depth), lora (LoRA adapter: --widths, --ranks) "
                        "or your own model: package.module:factory or file.py:factory (a coord check, user_cli)")
    add_user_arguments(p)  # --batch-fn, --block
    p.add_argument("--experts", help="--model moe: comma-separated expert counts of the sweep at fixed sparsity "
                                     "k/E = 1/4 (default 4,8,16)")
    p.add_argument("--optimizer", "-o", help="default optimizer for names without :OPTIMIZER (default: the paper's first)")
    p.add_argument("--alignment", "-a", help="full | no (Everett et al. tables; default full)")
    p.add_argument("--widths", help=f"comma-separated widths of a width sweep (default {DEFAULT_WIDTHS}; with --depths "
                                    "no width sweep unless --widths is given)")
    p.add_argument("--depths", help="comma-separated depths (residual blocks) of a depth sweep at --width, e.g. 2,4,8,16; "
                                    "entries are labelled NAME@depth; a table without depth rows is the unscaled ResNet")
    p.add_argument("--width", type=int, default=DEFAULT_DEPTH_WIDTH,
                   help=f"fixed width of a depth sweep (default {DEFAULT_DEPTH_WIDTH})")
    p.add_argument("--base-depth", type=int, help="depth the base LR refers to: in a depth sweep (default: the smallest "
                                                  "depth) and, for tables with depth rows, in a width sweep (default --depth)")
    p.add_argument("--depth", type=int, default=2, help="hidden layers (MLP; 0 = TP4's one-hidden-layer net, as tp4-mfp) "
                                                        "/ blocks (GPT) in the width sweep")
    p.add_argument("--arch", choices=("classic", "modern"), default="classic",
                   help="GPT architecture: classic (learned positions, GELU) or modern (RoPE, QK-norm, ReLU², untied head, "
                        "bf16 autocast; seed 002 / modded-nanogpt)")
    p.add_argument("--eps", type=float, help="base optimizer eps/damping at the base width for per-matrix tables "
                                             "(scaled by the table's damping rows; default 1e-8)")
    p.add_argument("--seeds", type=int, default=5, help="seeds per width, trained together (default 5)")
    p.add_argument("--steps", type=int, default=3, help="optimizer steps on the fixed batch (default 3)")
    p.add_argument("--lr", type=float, help="base LR at the base width (default: adam 1e-2, sgd 0.5)")
    p.add_argument("--base-width", type=int, help="width the base LR refers to (default: the smallest width)")
    p.add_argument("--batch", type=int, default=64, help="probe/training batch size (default 64)")
    p.add_argument("--tol", type=float, default=DEFAULT_TOL,
                   help=f"pass iff predicted in [CI_lo - tol, CI_hi + tol] (default {DEFAULT_TOL})")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    p.add_argument("--dtype", default="float32", help="float32 | tf32 (CUDA) | bfloat16 | float64")
    p.add_argument("--out", default="verification", help="output directory (report.md, PNGs, results.jsonl/json)")
    p.add_argument("--no-nngp", action="store_true", help="skip the NNGP-at-init check")
    p.add_argument("--rho", type=float, help="SAM tables: perturbation radius at the base width (default 0.1)")
    p.add_argument("--weight-decay", type=float,
                   help="weight-decay rules: coupled (torch AdamW) lambda at the base size (default: 1/(40 lr), "
                        "a 40-step timescale)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--no-plots", action="store_true", help="Markdown only, no PNGs")
    _sweep_arguments(p)
    from . import sweeps

    sweeps.add_arguments(p)  # each declared sweep's flags in its own help group (:mod:`.sweeps`)
    from .verify_table import add_arguments as table_arguments  # --table FILE.json, --expect FILE.json

    table_arguments(p)


def _sweep_arguments(p) -> None:
    """--config, --executor (and its options), --retry, --log: shared with ``transfer``."""
    from . import executors, sweep_config, tracking

    sweep_config.add_arguments(p)
    executors.add_arguments(p)
    tracking.add_arguments(p)


def validate(args) -> None:
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
    from .executors import shutdown

    try:
        return _run(args)
    finally:
        shutdown()  # a Ray instance this command started (the CLI leaves with os._exit, past atexit hooks)


def _run(args) -> int:
    from .probes import check_device
    from ..evidence.store import ResultStore, prepare_out

    validate(args)
    from . import sweeps  # a declared sweep (your own model, vocabulary, density, LoRA) owns the invocation

    sweep = sweeps.select(args)
    if sweep is not None and getattr(args, "table", None) and sweep.name != "user-model":
        raise UserError(f"--table works with the width, depth, per-matrix and MoE sweeps; the {sweep.name} sweep "
                        "takes -p names")
    if sweep is not None:
        return sweep.run(args, sweeps.Context(parse_ints, parse_targets, lambda t: _table(t, args.alignment)[0]))
    depths = parse_ints(args.depths, "depths") if args.depths else None
    do_width = args.widths is not None or depths is None
    widths = parse_ints(args.widths or DEFAULT_WIDTHS, "widths", 2) if do_width else []
    if do_width and len(widths) < 2:
        raise UserError("--widths needs at least two different widths to fit a slope")
    if args.model == "moe":
        return _run_moe(args)
    if getattr(args, "experts", None):
        raise UserError("--experts sweeps the number of experts of the MoE network: add --model moe")
    width_model = args.model or "mlp"
    depth_model = args.model or "resmlp"
    if do_width and width_model == "resmlp":
        raise UserError("width sweeps cover --model mlp and gpt; resmlp is the depth-sweep model (use --depths)")
    if depths is not None:
        if len(depths) < 2:
            raise UserError("--depths needs at least two different depths to fit a slope")
        if depth_model not in ("resmlp", "gpt"):
            raise UserError("a depth sweep needs a residual network: --model resmlp or gpt (the plain MLP has no "
                            "residual stream for the depth tables to scale)")
        if args.width < 1 or (args.base_depth is not None and args.base_depth < 1):
            raise UserError("--width and --base-depth must be >= 1")
    gpt_widths = (widths if width_model == "gpt" else []) + ([args.width] if depths and depth_model == "gpt" else [])
    bad = [w for w in gpt_widths if w % 16]
    if bad:
        raise UserError(f"GPT widths must be multiples of the head dimension 16; got {bad}")
    check_device(args.device)
    from .verify_table import check_realised, targets_of

    targets = targets_of(args, parse_targets)
    for t in targets:
        _check_not_moe(t, args.alignment, args.model or ("resmlp" if depths and not do_width else "mlp"))
        check_realised(t, width_model if do_width else depth_model, args.depth)
    if depths is not None:
        from ..evidence.predict import depth_exponents

        for t in targets:  # fail early, before any run, on tables the depth predictions do not cover
            table, _, _ = _table(t, args.alignment)
            depth_exponents(table)
    out = prepare_out(Path(args.out))
    store = ResultStore(out / "results.jsonl")
    from . import executors, tracking

    executor, tracker = executors.from_args(args, out), tracking.from_args(args, out)
    sweep = dict(executor=executor, retry=getattr(args, "retry", 0), on_result=tracker and tracker.log_run)
    summaries = {}
    from .verify_matrix import default_widths, is_matrix_target

    for t in targets if do_width else []:
        from .verify_optim import special_verifier

        special = None if t.param.startswith("table:") else special_verifier(t.param)  # SAM / weight-decay rules: their own probes (issue 11 items 5, 6)
        if special is not None:
            s = summaries[t.label] = special(t, args, widths if args.widths else None, width_model, store)
            announce(s, t.label)
            continue
        t_widths = widths if args.widths is not None or not is_matrix_target(t, args.alignment) else \
            default_widths(width_model)
        summaries[t.label] = verify_target(
            t, model=width_model, widths=t_widths, depth=args.depth, seeds=args.seeds, steps=args.steps, lr=args.lr,
            base_width=args.base_width, batch=args.batch, device=args.device, dtype=args.dtype,
            alignment=args.alignment, tol=args.tol, store=store, progress=not args.no_progress,
            nngp=not args.no_nngp, base_depth=args.base_depth, arch=args.arch, eps=args.eps, **sweep)
        s = summaries[t.label]
        announce(s, t.label)
    for t in targets if depths else []:
        s = verify_depth_target(
            t, model=depth_model, depths=depths, width=args.width, seeds=args.seeds, steps=args.steps, lr=args.lr,
            base_depth=args.base_depth, batch=args.batch, device=args.device, dtype=args.dtype,
            alignment=args.alignment, tol=args.tol, store=store, progress=not args.no_progress, **sweep)
        summaries[s["label"]] = s
        announce(s)
    for t in targets:  # u-muP's own claim (unit scale at init) and, without --depths, its depth exponents
        from .unit_verify import UNIT_DEPTH_SWEEP, verify_unit, wants_unit_check

        table, _, _ = _table(t, args.alignment)
        if not wants_unit_check(table):
            continue
        if depths is None:
            s = verify_depth_target(t, model="resmlp", depths=UNIT_DEPTH_SWEEP, width=args.width, seeds=args.seeds,
                                    steps=args.steps, lr=args.lr, batch=args.batch, device=args.device,
                                    dtype=args.dtype, tol=args.tol, store=store, progress=not args.no_progress,
                                    **sweep)
            summaries[s["label"]] = s
        new = verify_unit(t, table, seeds=args.seeds, tol=args.tol, store=store, progress=not args.no_progress)
        summaries.update(new)
        for s in list(new.values()) + ([summaries[depth_label(t.label)]] if depths is None else []):
            if s["param"] == t.param:
                announce(s)
    if tracker:
        tracker.log_store(store)
        tracker.log_table("measured_vs_predicted", *tracking.verify_rows(summaries))
    return conclude(summaries, out, plots=not args.no_plots)


def _check_not_moe(target: Target, alignment, model: str) -> None:
    """An MoE table on a dense model: a one-line error naming the table, its MoE roles and the model that has them."""
    table, _, _ = _table(target, alignment)
    moe_roles = [r for r in ("router", "expert_up", "expert_down") if r in table.roles]
    if moe_roles:
        raise UserError(f"table {table.parametrization} states roles {', '.join(moe_roles)}, which --model {model} has "
                        "none of: use --model moe (the reference MoE network)")


def _run_moe(args) -> int:
    """``--model moe``: the MoE sweeps of :mod:`.moe_verify` (all three unless some of --widths/--experts/--depths)."""
    from .moe_verify import MOE_DEPTHS, MOE_EXPERTS, MOE_WIDTHS, verify_moe
    from .probes import check_device
    from ..evidence.store import ResultStore

    validate(args)
    chosen = [x is not None for x in (args.widths, args.experts, args.depths)]
    pick = lambda given, text, default, what: (parse_ints(text, what) if given else
                                               (list(default) if not any(chosen) else []))
    widths = pick(args.widths is not None, args.widths, MOE_WIDTHS, "widths")
    experts = pick(args.experts is not None, args.experts, MOE_EXPERTS, "experts")
    depths = pick(args.depths is not None, args.depths, MOE_DEPTHS, "depths")
    check_device(args.device)
    from .verify_table import targets_of

    targets = targets_of(args, parse_targets)
    tables = [(t, _table(t, args.alignment)[0]) for t in targets]
    from ..evidence.predict_moe import check_moe_table

    for _, table in tables:  # fail early, before any run
        check_moe_table(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out / "results.jsonl")
    summaries = {}
    for t, table in tables:
        res = verify_moe(t, table, widths=widths, experts=experts, depths=depths, seeds=args.seeds, steps=args.steps,
                         lr=args.lr if args.lr is not None else DEFAULT_LR["adam"], batch=args.batch,
                         device=args.device, dtype=args.dtype, tol=args.tol, store=store,
                         progress=not args.no_progress)
        for label, s in res.items():
            announce(s, label)
        summaries.update(res)
    return conclude(summaries, out, plots=not args.no_plots)
