"""What the width sweeps (``width``, ``matrix``, ``sam``, ``weight-decay``) share: when they run, their widths,
the checks on the model they run on, and the common keyword arguments of their drivers.

One place for ``--widths`` so that the four declarations do not each restate how a width list is read or refused.
"""

from __future__ import annotations

from ...errors import UserError
from ..target import DEFAULT_WIDTHS, parse_ints

#: roles only the reference MoE network has (:mod:`scaling_exponents.verifier.models.moe`)
MOE_ROLES = ("router", "expert_up", "expert_down")


def has_moe_roles(table) -> bool:
    """True when ``table`` states a router or expert row (measured by the ``moe`` sweep, ``--model moe``)."""
    return any(r in table.roles for r in MOE_ROLES)


def check_dense(table, model: str) -> None:
    """An MoE table on a dense model: a one-line error naming the table, its MoE roles and the model that has them."""
    moe_roles = [r for r in MOE_ROLES if r in table.roles]
    if moe_roles:
        raise UserError(f"table {table.parametrization} states roles {', '.join(moe_roles)}, which --model {model} has "
                        "none of: use --model moe (the reference MoE network)")


def width_requested(args) -> bool:
    """The width sweeps run unless only ``--depths`` was given (``--depths`` with ``--widths`` runs both)."""
    return getattr(args, "widths", None) is not None or getattr(args, "depths", None) is None


def given_widths(args) -> list[int] | None:
    """``--widths`` parsed (at least two distinct widths), or None when not given (each sweep has its default)."""
    if getattr(args, "widths", None) is None:
        return None
    widths = parse_ints(args.widths, "widths", 2)
    if len(widths) < 2:
        raise UserError("--widths needs at least two different widths to fit a slope")
    return widths


def default_widths() -> list[int]:
    """The coordinate check's default widths (:data:`scaling_exponents.verifier.target.DEFAULT_WIDTHS`)."""
    return parse_ints(DEFAULT_WIDTHS, "widths", 2)


def width_model(args) -> str:
    """The model of a width sweep: ``--model`` or the MLP."""
    return getattr(args, "model", None) or "mlp"


def check_width_entry(args, target, table, widths) -> None:
    """Refuse, before any run: the residual MLP as a width model, GPT widths off the head dimension, an MoE table on a
    dense model, a ``--table`` none of whose rows the model realises."""
    from ..verify_table import check_realised

    model = width_model(args)
    if model == "resmlp":
        raise UserError("width sweeps cover --model mlp and gpt; resmlp is the depth-sweep model (use --depths)")
    bad = [w for w in widths if w % 16] if model == "gpt" else []
    if bad:
        raise UserError(f"GPT widths must be multiples of the head dimension 16; got {bad}")
    check_dense(table, model)
    check_realised(target, model, args.depth)


def common(args, ctx) -> dict:
    """The keyword arguments every sweep driver takes from the invocation (seeds, steps, LR, batch, device, ...)."""
    return dict(seeds=args.seeds, steps=args.steps, lr=args.lr, batch=args.batch, device=args.device,
                dtype=args.dtype, tol=args.tol, store=ctx.store, progress=ctx.progress)
