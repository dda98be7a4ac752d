"""The width coordinate check (``--widths``, the default sweep): :func:`scaling_exponents.verifier.verify_width.
verify_target` on the built-in MLP or GPT, for every table that is not per-matrix and has no MoE roles."""

from __future__ import annotations

from ...evidence.summary_record import Summary
from ..target import DEFAULT_WIDTHS
from . import Sweep, _sizes


def _add(group) -> None:
    group.add_argument("--widths", help=f"comma-separated widths of a width sweep (default {DEFAULT_WIDTHS}; per-matrix, "
                                        "SAM and weight-decay tables have their own; with --depths no width sweep "
                                        "unless --widths is given)")
    group.add_argument("--base-width", type=int, help="width the base LR refers to (default: the smallest width)")
    group.add_argument("--no-nngp", action="store_true", help="skip the NNGP-at-init check (MLP)")


def _covers(table) -> bool:
    from ...torch.matrix_roles import is_per_matrix

    return not is_per_matrix(table) and not _sizes.has_moe_roles(table)


def _widths(args) -> list[int]:
    return _sizes.given_widths(args) or _sizes.default_widths()


def _check(args, target, table) -> None:
    _sizes.check_width_entry(args, target, table, _widths(args))


def _run(target, table, args, ctx) -> dict[str, Summary]:
    from ..verify_width import verify_target

    s = verify_target(target, model=_sizes.width_model(args), widths=_widths(args), depth=args.depth,
                      base_width=args.base_width, alignment=args.alignment, nngp=not args.no_nngp,
                      base_depth=args.base_depth, arch=args.arch, **_sizes.common(args, ctx), **(ctx.runner or {}))
    return {target.label: s}


SWEEP = Sweep(name="width", axis="width", title="width sweeps (coordinate check; --widths also sets the per-matrix, "
                                                "SAM and weight-decay sweeps)", flag="--widths",
              add_arguments=_add, run=_run, covers=_covers,
              wanted=lambda args, listed: listed and _sizes.width_requested(args), check=_check, order=50)
