"""The exponent table a :class:`~.parametrize.Parametrization` applies, and evaluating its factors."""

from __future__ import annotations

import functools

import sympy

from ..errors import UserError
from ..theory.table import ExponentTable

def evaluate(terms) -> float:
    """``prod ratio**power`` with equal ratios merged first, so exponents that cancel give exactly 1."""
    merged: dict[float, sympy.Rational] = {}
    for ratio, power in terms:
        merged[ratio] = merged.get(ratio, sympy.Integer(0)) + power
    f = 1.0
    for ratio, power in merged.items():
        if power != 0:
            f *= ratio ** float(power)
    return f



def resolve_table(param, optimizer, alignment, options) -> ExponentTable:
    if isinstance(param, ExponentTable):
        return param
    if not isinstance(param, str):
        raise UserError(f"param must be a parametrization name (e.g. 'mup', 'mup-table8') or an ExponentTable, got {param!r}")
    return derive_cached(param, optimizer, alignment, tuple(sorted(options.items())))


@functools.lru_cache(maxsize=64)
def derive_cached(param, optimizer, alignment, options) -> ExponentTable:
    """``derive`` solves an LP (about a second); a model setup re-uses the table of the same request."""
    from ..systems.registry import derive, get

    spec = get(param)
    if not spec.alignments or spec.alignments == ("",):
        alignment = None  # e.g. TP5 tables: no alignment choice
    if not spec.optimizers or spec.optimizers == ("",):
        optimizer = None
    elif optimizer in ("adam", "adamw") and optimizer not in spec.optimizers:
        # the same LR/eps rules; a table for one serves the other (CompleteP is stated for AdamW only)
        other = {"adam": "adamw", "adamw": "adam"}[optimizer]
        optimizer = other if other in spec.optimizers else optimizer
    return derive(param, optimizer, alignment, **dict(options))
