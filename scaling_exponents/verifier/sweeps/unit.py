"""u-muP's own claim, unit scale at initialisation (listed by u-muP's spec): :func:`scaling_exponents.verifier.
unit_verify.verify_unit` on graphcore's unit-scaled transformer, over width and over depth (arXiv 2407.17465)."""

from __future__ import annotations

from ...evidence.summary_record import Summary
from . import Sweep


def _run(target, table, args, ctx) -> dict[str, Summary]:
    from ..unit_verify import verify_unit

    return verify_unit(target, table, seeds=args.seeds, tol=args.tol, store=ctx.store, progress=ctx.progress)


SWEEP = Sweep(name="unit", axis="width,depth", title="unit scale at init (u-muP)", flag="-p umup",
              add_arguments=lambda group: None, run=_run, wanted=lambda args, listed: listed, order=70)
