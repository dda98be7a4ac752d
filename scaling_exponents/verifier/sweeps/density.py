"""The density sweep of the masked MLP (``--densities``): :mod:`scaling_exponents.verifier.verify_density`."""

from __future__ import annotations

from . import Sweep


def _add(group) -> None:
    from .. import verify_density

    verify_density.add_arguments(group)


def _run(args, ctx) -> int:
    from .. import verify_density

    return verify_density.run_density(args, ctx.parse_targets, ctx.table_of)


SWEEP = Sweep(name="density", axis="density", title="density sweep (masked MLP; supar)", flag="--densities",
              add_arguments=_add, selects=lambda args: getattr(args, "densities", None) is not None, run=_run,
              order=30)
