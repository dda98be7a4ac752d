"""The exponent table a :class:`~.parametrize.Parametrization` applies (its factors are evaluated by
:mod:`scaling_exponents.theory.factors`, the one evaluator).

**Role mapping of stated rules** (:func:`map_shared_roles`).  Two roles of the registry name no single parameter:

* ``global`` -- one value shared by every layer (AM-muP, arXiv 2510.04327 abstract: one LR ``eta* ∝ L^-3/2``;
  multi-path depth, arXiv 2602.07494 abstract).  Its per-parameter rows (``lr``, ``init_std``, ``weight_decay``,
  ``adam_eps``, ``lr_wd_product``, ``multiplier``) apply to every parameter role: they are added to the rows of
  ``embedding``, ``hidden``, ``readout``, ``bias``, ``norm`` and of any other parameter role the table has
  (powers add, i.e. the factors multiply).  Rows of other quantities (SAM's ``perturbation``, CompleteP's
  ``steps``) stay ``global``.
* ``residual_branch`` ``init_std`` -- "residual-branch weights" (AM-muP: ``Var[W] = c/(K fan-in)``).  On a
  model ``residual_branch`` is a *module* role (its ``multiplier`` scales the branch output); its ``init_std`` rows
  go to the weights inside the branches, i.e. the ``hidden`` role (the ResMLP's ``fc1``/``fc2``, a GPT's block
  matrices).  This is the literal reading of the abstract (every branch weight); that the paper scales only the
  last layer of a branch is possible and UNVERIFIED (body not read).

Tables without such rows are returned unchanged (the same object)."""

from __future__ import annotations

import dataclasses
import functools

from ..errors import UserError
from ..theory.table import ExponentTable, Row

#: Per-parameter quantities a ``global`` row hands to every parameter role.
SHARED_QUANTITIES = ("lr", "init_std", "weight_decay", "adam_eps", "lr_wd_product", "multiplier")
#: Parameter roles that always receive ``global`` rows (plus any other non-module role the table has).
SHARED_ROLES = ("embedding", "hidden", "readout", "bias", "norm")
#: Roles that are not parameters: ``global`` itself and the module roles (:data:`.roles.MODULE_ROLES`).
NOT_PARAM_ROLES = ("global", "residual_branch", "adapter", "moe_output", "attention")

def map_shared_roles(table: ExponentTable) -> ExponentTable:
    """``global`` per-parameter rows onto every parameter role, ``residual_branch`` ``init_std`` onto ``hidden``
    (module docstring); ``table`` itself when it has neither."""
    mapped = [r for r in table.rows if (r.role == "global" and r.quantity in SHARED_QUANTITIES)
              or (r.role, r.quantity) == ("residual_branch", "init_std")]
    if not mapped:
        return table
    keep = [r for r in table.rows if r not in mapped]
    targets = sorted(set(SHARED_ROLES) | {r.role for r in keep if r.role not in NOT_PARAM_ROLES})
    powers = {r.key(): r.power for r in keep}
    notes = {r.key(): r.note for r in keep}
    for r in mapped:
        for role in (targets if r.role == "global" else ["hidden"]):
            k = (role, r.quantity, r.dimension)
            powers[k] = powers.get(k, 0) + r.power
            notes[k] = "; ".join(x for x in (notes.get(k, ""), f"from {r.role} {r.quantity}") if x)
    rows = [Row(*k, p, notes[k]) for k, p in powers.items()]
    return dataclasses.replace(table, rows=rows)


def resolve_table(param, optimizer, alignment, options) -> ExponentTable:
    """The :class:`ExponentTable` a Parametrization applies: ``param`` itself or the cached derivation of the name,
    with ``global`` rows mapped onto every parameter role (:func:`map_shared_roles`).  An already-derived table
    takes no ``options`` and no other ``alignment`` (they would be ignored)."""
    if isinstance(param, ExponentTable):
        if options:
            raise UserError(f"options={options!r} apply when a table is derived by name; this {param.parametrization} "
                            "table is already derived: derive it with those options, or pass its name")
        if alignment and param.alignment and str(alignment).strip().lower() != str(param.alignment).lower():
            raise UserError(f"alignment={alignment!r}, but this {param.parametrization} table was derived with "
                            f"alignment {param.alignment!r}: derive it with alignment={alignment!r}, or drop it")
        _check_optimizer_of(param, optimizer)
        return map_shared_roles(param)
    if not isinstance(param, str):
        raise UserError(f"param must be a parametrization name (e.g. 'mup', 'mup-table8') or an ExponentTable, got {param!r}")
    return map_shared_roles(derive_cached(param, optimizer, alignment, tuple(sorted(options.items()))))


def _check_optimizer_of(table: ExponentTable, optimizer) -> None:
    """An explicit optimizer other than the one an already-derived ``table`` is for is refused (it was silently
    ignored: the table's LR rows stayed those of its own optimizer).  Parametrization's default ``"adam"`` cannot be
    told from an explicit one, so it is let through (``lr_guard`` warns at the first step of another optimizer); a
    table derived without an optimizer (am-mup, ssm-mup, ...) takes any."""
    from .lr_guard import TABLE_FAMILY  # Adam and AdamW share one table (their LR/eps rules are the same)

    if not table.optimizer or not optimizer:
        return
    norm = lambda o: TABLE_FAMILY.get(str(o).strip().lower(), str(o).strip().lower())  # noqa: E731
    if norm(optimizer) not in ("adam", norm(table.optimizer)):
        raise UserError(f"optimizer={optimizer!r}, but this {table.parametrization} table was derived for "
                        f"{table.optimizer}: derive it with optimizer={optimizer!r} (or pass its name), or drop it")


@functools.lru_cache(maxsize=64)
def derive_cached(param, optimizer, alignment, options) -> ExponentTable:
    """``derive`` solves an LP (about a second); a model setup re-uses the table of the same request."""
    from ..systems.registry import derive, get

    spec = get(param)
    if not spec.alignments or spec.alignments == ("",):
        if alignment:  # e.g. TP5 tables: no alignment choice; an explicit one would be silently dropped
            raise UserError(f"{spec.name} ({spec.source.key}) has no alignment choice: drop alignment={alignment!r}"
                            " (only tables with an alignment choice take one: see `list`)")
        alignment = None
    if not spec.optimizers or spec.optimizers == ("",):
        # one table for every optimizer (am-mup, ssm-mup, multipath-depth, umup-ops): an explicit optimizer would be
        # silently dropped.  Parametrization's default "adam" cannot be told from an explicit one, so only a value
        # other than it (and None) is refused.
        if optimizer is not None and str(optimizer).strip().lower() not in ("", "adam"):
            raise UserError(f"{spec.name} ({spec.source.key}) has no optimizer choice: it is one table for "
                            f"{spec.title}; drop optimizer={optimizer!r} (or pass optimizer=None)")
        optimizer = None
    elif optimizer in ("adam", "adamw") and optimizer not in spec.optimizers:
        # the same LR/eps rules; a table for one serves the other (CompleteP is stated for AdamW only)
        other = {"adam": "adamw", "adamw": "adam"}[optimizer]
        optimizer = other if other in spec.optimizers else optimizer
    return derive(param, optimizer, alignment, **dict(options))
