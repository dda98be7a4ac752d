"""Dispatch of ``verify`` to the probes of optimizer-side rules (issue 11 items 5-6): SAM's per-layer perturbation
(:mod:`.verify_sam`) and the weight-decay rules (:mod:`.verify_decay`).  Each returns a summary dict in the same
form as :func:`.verify.verify_target`, so the report, ``results.json`` and the catalog read them unchanged."""

from __future__ import annotations


def _sam(t, args, widths, model, store):
    from .verify_sam import SAM_RHO, SAM_WIDTHS, verify_sam_target

    return verify_sam_target(t, model=model, widths=widths or SAM_WIDTHS, depth=args.depth, seeds=args.seeds,
                             steps=args.steps, lr=args.lr, base_width=args.base_width, batch=args.batch,
                             device=args.device, dtype=args.dtype, tol=args.tol,
                             rho=args.rho if args.rho is not None else SAM_RHO, store=store,
                             progress=not args.no_progress)


def _decay(t, args, widths, model, store):
    from .verify_decay import verify_decay_target

    return verify_decay_target(t, model=model, widths=widths, depth=args.depth, seeds=args.seeds, lr=args.lr,
                               weight_decay=args.weight_decay, base_width=args.base_width,
                               batch=16 if args.batch == 64 else args.batch,  # 64 = the coord check's default: 64 x M
                               # would exceed the digits train split at M = 64
                               device=args.device, dtype=args.dtype, tol=args.tol, store=store,
                               progress=not args.no_progress)


def special_verifier(param: str):
    """The verify function of ``param``'s family (``sam``, ``weight-decay``), or None for the coordinate check."""
    from ..systems.registry import get

    return {"sam": _sam, "weight-decay": _decay}.get(get(param).family)
