"""The depth sweep (``--depths 2,4,8,16 --width 64``; listed by u-muP's spec, where it runs without the flag):
:func:`scaling_exponents.verifier.verify_depth.verify_depth_target` on a pre-LN residual network at a fixed width.

A table without depth rows (``mup``, ``sp-table3``) is the unscaled-ResNet baseline (alpha = gamma = 0), whose
positive exponents say what blows up; entries are labelled ``NAME@depth``.
"""

from __future__ import annotations

from ...errors import UserError
from ...evidence.summary_record import Summary
from ..target import parse_ints
from . import Sweep, _sizes

#: depths of the sweep when a spec lists it and ``--depths`` is not given (u-muP: CompleteP/Depth-muP's ladder)
DEFAULT_DEPTHS = (2, 4, 8, 16)


def _add(group) -> None:
    from ..verify_depth import DEFAULT_DEPTH_WIDTH

    group.add_argument("--depths", help="comma-separated depths (residual blocks) of a depth sweep at --width, e.g. "
                                        "2,4,8,16; entries are labelled NAME@depth; a table without depth rows is the "
                                        "unscaled ResNet")
    group.add_argument("--width", type=int, default=DEFAULT_DEPTH_WIDTH,
                       help=f"fixed width of a depth sweep (default {DEFAULT_DEPTH_WIDTH})")
    group.add_argument("--base-depth", type=int, help="depth the base LR refers to: in a depth sweep (default: the "
                                                      "smallest depth) and, for tables with depth rows, in a width "
                                                      "sweep (default --depth)")


def _requested(args) -> bool:
    return getattr(args, "depths", None) is not None


def _model(args) -> str:
    return (args.model or "resmlp") if _requested(args) else "resmlp"


def _depths(args) -> list[int]:
    return parse_ints(args.depths, "depths") if _requested(args) else list(DEFAULT_DEPTHS)


def _check(args, target, table) -> None:
    from ...evidence.predict_depth import depth_exponents
    from ..verify_table import check_realised

    depths, model = _depths(args), _model(args)
    if len(depths) < 2:
        raise UserError("--depths needs at least two different depths to fit a slope")
    if model not in ("resmlp", "gpt"):
        raise UserError("a depth sweep needs a residual network: --model resmlp or gpt (the plain MLP has no residual "
                        "stream for the depth tables to scale)")
    if args.width < 1 or (args.base_depth is not None and args.base_depth < 1):
        raise UserError("--width and --base-depth must be >= 1")
    if model == "gpt" and args.width % 16:
        raise UserError(f"GPT widths must be multiples of the head dimension 16; got {[args.width]}")
    _sizes.check_dense(table, model)
    check_realised(target, model, args.depth)
    depth_exponents(table)  # tables the depth predictions do not cover fail here, before any run


def _run(target, table, args, ctx) -> dict[str, Summary]:
    from ..verify_depth import verify_depth_target

    s = verify_depth_target(target, model=_model(args), depths=_depths(args), width=args.width,
                            base_depth=args.base_depth if _requested(args) else None, alignment=args.alignment,
                            **_sizes.common(args, ctx), **(ctx.runner or {}))
    return {s["label"]: s}


SWEEP = Sweep(name="depth", axis="depth", title="depth sweep (pre-LN residual network: --model resmlp or gpt)",
              flag="--depths", add_arguments=_add, run=_run,
              wanted=lambda args, listed: listed or _requested(args), check=_check, order=60)
