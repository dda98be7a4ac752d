"""SAM's per-layer perturbation sweep (sam-mup2, sam-global, sam-naive: their specs name it):
:func:`scaling_exponents.verifier.verify_sam.verify_sam_target` over ``--widths`` (default its own ladder)."""

from __future__ import annotations

from ...evidence.summary_record import Summary
from . import Sweep, _sizes


def _add(group) -> None:
    group.add_argument("--rho", type=float, help="SAM tables: perturbation radius at the base width (default 0.1)")


def _widths(args) -> list[int]:
    from ..verify_sam import SAM_WIDTHS

    return _sizes.given_widths(args) or list(SAM_WIDTHS)


def _check(args, target, table) -> None:
    _sizes.check_width_entry(args, target, table, _widths(args))


def _run(target, table, args, ctx) -> dict[str, Summary]:
    from ..verify_sam import SAM_RHO, verify_sam_target

    s = verify_sam_target(target, model=_sizes.width_model(args), widths=_widths(args), depth=args.depth,
                          base_width=args.base_width, rho=args.rho if args.rho is not None else SAM_RHO,
                          **_sizes.common(args, ctx))
    return {target.label: s}


def _stray(args) -> str | None:
    if getattr(args, "rho", None) is not None:
        return "--rho sets SAM's perturbation radius; none of the requested tables is a SAM table (sam-mup2, " \
               "sam-global, sam-naive)"
    return None


SWEEP = Sweep(name="sam", axis="width", title="SAM perturbation sweep (sam-mup2, sam-global, sam-naive)",
              flag="-p sam-*", add_arguments=_add, run=_run,
              wanted=lambda args, listed: listed and _sizes.width_requested(args), check=_check, stray=_stray,
              order=52)
