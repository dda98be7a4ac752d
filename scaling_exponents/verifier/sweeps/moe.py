"""The MoE network's sweeps (``--model moe``: width, ``--experts`` at fixed sparsity, depth; MoE specs name it):
:func:`scaling_exponents.verifier.moe_verify.verify_moe`, all three unless some of --widths/--experts/--depths."""

from __future__ import annotations

from pathlib import Path

from . import Sweep, _sizes


def _add(group) -> None:
    group.add_argument("--experts", help="--model moe: comma-separated expert counts of the sweep at fixed sparsity "
                                         "k/E = 1/4 (default 4,8,16)")


def _run(args, ctx) -> int:
    from ...evidence.predict_moe import check_moe_table
    from ...evidence.report import announce, conclude
    from ...evidence.store import ResultStore
    from ..moe_verify import MOE_DEPTHS, MOE_EXPERTS, MOE_WIDTHS, verify_moe
    from ..probes import check_device
    from ..target import DEFAULT_LR
    from ..verify_table import targets_of

    chosen = [x is not None for x in (args.widths, args.experts, args.depths)]

    def pick(text, default, what):
        return ctx.parse_ints(text, what) if text is not None else (list(default) if not any(chosen) else [])

    widths = pick(args.widths, MOE_WIDTHS, "widths")
    experts = pick(args.experts, MOE_EXPERTS, "experts")
    depths = pick(args.depths, MOE_DEPTHS, "depths")
    check_device(args.device)
    tables = [(t, ctx.table_of(t)) for t in targets_of(args, ctx.parse_targets)]
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


def _stray(args) -> str | None:
    if getattr(args, "experts", None):
        return "--experts sweeps the number of experts of the MoE network: add --model moe"
    return None


SWEEP = Sweep(name="moe", axis="width,experts,depth", title="MoE network (--model moe: width, experts, depth)",
              flag="--model moe", add_arguments=_add, run=_run, selects=lambda args: getattr(args, "model", None) == "moe",
              covers=_sizes.has_moe_roles, stray=_stray, order=45,
              takes_tables=True, models=("moe",))
