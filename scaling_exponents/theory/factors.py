"""The one evaluator of ``(size / base) ** power``: every concrete factor of the toolkit is computed here.

A table row says ``quantity ∝ dimension^power``; at a target shape the factor of a (role, quantity) is the product
over its rows of ``(size / base)^power`` -- the convention of microsoft/mup (TP5 App. H, arXiv 2203.03466) and
CompleteP (arXiv 2505.01618 Table 1, "base value x m_N^p x m_L^q").  E.g. Everett et al.'s muP for Adam (arXiv
2407.05872, Table 1) has hidden LR ∝ n^-1: at width 1024 over base 256 the factor is ``(1024/256)^-1 = 0.25``.

Users: ``derive``'s values (:mod:`.values`, :meth:`.table.ExponentTable.combined_factor`), the torch layer
(:class:`scaling_exponents.torch.Parametrization`: init, multipliers, LRs, attention logit scale), the predictors
of :mod:`scaling_exponents.evidence` and the verifier's probes.  One place, so a factor the verifier checks is the
factor a user gets.  Torch-free.

* :func:`factor` -- the single-row primitive (one dimension);
* :func:`terms` -- the ``(ratio, power)`` pairs of one (role, quantity) at ``sizes``; a non-zero row along a
  dimension ``sizes`` does not give is a :class:`UserError` naming it (the rule ``derive --lr`` enforces);
* :func:`evaluate` -- ``prod ratio^power`` with equal ratios merged first, so powers that cancel give exactly 1;
* :func:`scale_factor` -- ``evaluate(terms(...))``; :func:`missing` -- the dimensions a (role, quantity) lacks.
"""

from __future__ import annotations

import math

from ..errors import UserError
from .exponents import Q


def evaluate(pairs) -> float:
    """``prod ratio ** power`` over ``[(ratio, power), ...]``, equal ratios merged first (so exponents that cancel,
    e.g. ``n^-1 x n^1``, give exactly 1.0); a zero total power contributes nothing."""
    merged: dict = {}
    for ratio, power in pairs:
        merged[ratio] = merged.get(ratio, 0) + power
    f = 1.0
    for ratio, power in merged.items():
        if power != 0:
            f *= float(ratio) ** float(power)
    return f


def factor(power, size, base_size) -> float:
    """The single-row factor ``(size / base_size) ** power``, e.g. the LR multiplier at width N vs N0.

    ``power`` is anything :func:`.exponents.Q` reads (``-1``, ``"-1/2"``, a sympy Rational)."""
    if size is None or base_size is None:
        raise UserError("a concrete factor needs both a size and a base size (e.g. --width 4096 --base-width 256)")
    if size <= 0 or base_size <= 0:
        raise UserError(f"sizes must be positive, got size={size} and base size={base_size}")
    return evaluate([(size / base_size, Q(power))])


def _rows(table_or_rows):
    return table_or_rows.rows if hasattr(table_or_rows, "rows") else table_or_rows


def _lookup(sizes):
    if callable(sizes):
        return sizes
    if isinstance(sizes, dict):
        return sizes.get
    raise UserError(f"sizes must be a dict {{dimension: (size, base)}}, got {sizes!r}")


def missing(table_or_rows, role: str, quantity: str, sizes) -> list[str]:
    """The dimensions of ``(role, quantity)``'s non-zero rows that ``sizes`` does not give (sorted, distinct)."""
    look = _lookup(sizes)
    return sorted({r.dimension for r in _rows(table_or_rows)
                   if (r.role, r.quantity) == (role, quantity) and r.power != 0 and look(r.dimension) is None})


def terms(table_or_rows, role: str, quantity: str, sizes) -> list[tuple[float, object]]:
    """``[(size/base, power), ...]`` over the non-zero rows ``(role, quantity, dim)``.

    ``sizes``: ``{dim: (size, base)}`` or a callable ``dim -> (size, base) | None`` (the torch layer's per-parameter
    fans).  A row along a dimension without a size is a UserError naming it; sizes must be positive and finite."""
    look = _lookup(sizes)
    out = []
    for r in _rows(table_or_rows):
        if (r.role, r.quantity) != (role, quantity) or r.power == 0:
            continue
        pair = look(r.dimension)
        if pair is None:
            raise UserError(f"{role} {quantity} scales with {r.dimension} (power {r.power}): give its size and base, "
                            f"sizes[{r.dimension!r}] = (size, base)")
        size, base = pair
        ratio = size / base if base else math.nan
        if not (math.isfinite(ratio) and ratio > 0):
            raise UserError(f"sizes[{r.dimension!r}] must be two positive numbers (size, base), got {pair!r}")
        out.append((ratio, r.power))
    return out


def scale_factor(table_or_rows, role: str, quantity: str, sizes) -> float:
    """Product over the rows of ``(role, quantity)`` of ``(size/base)^power`` at ``sizes = {dim: (size, base)}``.

    E.g. Everett et al.'s Adam muP (arXiv 2407.05872 Table 1: hidden LR ∝ n^-1) at ``{"width": (1024, 256)}``: 0.25.
    1.0 where the table states nothing for ``(role, quantity)``; UserError for a missing dimension (:func:`terms`)."""
    return evaluate(terms(table_or_rows, role, quantity, sizes))
