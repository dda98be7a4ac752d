"""The weight-decay timescale sweep (adamw-timescale, wd-layerwise, wd-compute-optimal: their specs name it):
:func:`scaling_exponents.verifier.verify_decay.verify_decay_target` over ``--widths`` and its own dataset sizes."""

from __future__ import annotations

from ...evidence.summary_record import Summary
from . import Sweep, _sizes


def _add(group) -> None:
    group.add_argument("--weight-decay", type=float,
                       help="weight-decay rules: coupled (torch AdamW) lambda at the base size (default: 1/(40 lr), "
                            "a 40-step timescale)")


def _widths(args) -> list[int]:
    from ..verify_decay import DECAY_WIDTHS

    return _sizes.given_widths(args) or list(DECAY_WIDTHS)


def _check(args, target, table) -> None:
    _sizes.check_width_entry(args, target, table, _widths(args))


def _run(target, table, args, ctx) -> dict[str, Summary]:
    from ..verify_decay import verify_decay_target

    kw = _sizes.common(args, ctx)
    kw.pop("steps")  # the timescale probe trains for its own number of steps
    kw["batch"] = 16 if args.batch == 64 else args.batch  # 64 = the coord check's default: 64 x M would exceed the
    # digits train split at M = 64
    s = verify_decay_target(target, model=_sizes.width_model(args), widths=_sizes.given_widths(args),
                            depth=args.depth, weight_decay=args.weight_decay, base_width=args.base_width, **kw)
    return {target.label: s}


def _stray(args) -> str | None:
    if getattr(args, "weight_decay", None) is not None:
        return "--weight-decay sets the base decay of the weight-decay rules (adamw-timescale, wd-layerwise, " \
               "wd-compute-optimal); none of the requested tables is one"
    return None


SWEEP = Sweep(name="weight-decay", axis="width", title="weight-decay timescale sweep (adamw-timescale, wd-layerwise, "
                                                       "wd-compute-optimal)",
              flag="-p adamw-timescale|wd-*", add_arguments=_add, run=_run,
              wanted=lambda args, listed: listed and _sizes.width_requested(args), check=_check, stray=_stray,
              order=53)
