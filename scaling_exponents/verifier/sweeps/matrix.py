"""The per-matrix optimizer sweep (muon, soap, shampoo, ...): :func:`scaling_exponents.verifier.verify_matrix.
verify_matrix_target` runs the real optimizer, one model per seed, for every per-matrix table."""

from __future__ import annotations

from ...evidence.summary_record import Summary
from . import Sweep, _sizes


def _add(group) -> None:
    group.add_argument("--eps", type=float, help="base optimizer eps/damping at the base width for per-matrix tables "
                                                 "(scaled by the table's damping rows; default 1e-8)")


def _covers(table) -> bool:
    from ...torch.matrix_roles import is_per_matrix

    return is_per_matrix(table)


def _widths(args) -> list[int]:
    from ..verify_matrix import default_widths

    return _sizes.given_widths(args) or default_widths(_sizes.width_model(args))


def _check(args, target, table) -> None:
    _sizes.check_width_entry(args, target, table, _widths(args))


def _run(target, table, args, ctx) -> dict[str, Summary]:
    from ..verify_matrix import verify_matrix_target

    s = verify_matrix_target(target, model=_sizes.width_model(args), widths=_widths(args), depth=args.depth,
                             base_width=args.base_width, alignment=args.alignment, arch=args.arch, eps=args.eps,
                             **_sizes.common(args, ctx))
    return {target.label: s}


def _stray(args) -> str | None:
    if getattr(args, "eps", None) is not None:
        return "--eps sets the damping of per-matrix optimizer tables (muon, soap, ...); none of the requested ones is"
    return None


SWEEP = Sweep(name="matrix", axis="width", title="per-matrix optimizer tables (muon, soap, shampoo, ...)",
              flag="--widths", add_arguments=_add, run=_run, covers=_covers,
              wanted=lambda args, listed: listed and _sizes.width_requested(args), check=_check, stray=_stray,
              order=51)
