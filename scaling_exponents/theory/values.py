"""Concrete per-role values for a target model: absolute LR, init std, multiplier, weight decay, Adam eps.

A table row says ``quantity ∝ dimension^power``; the value at the target shape is the base value (tuned at the
base shape) times ``prod_dim (size / base)^power`` -- the convention of microsoft/mup (TP5 App. H, arXiv
2203.03466) and CompleteP (arXiv 2505.01618 Table 1, "base value x m_N^p x m_L^q").  E.g. Everett et al.'s
muP for Adam (arXiv 2407.05872, Table 1 + Sec. 3 LP) has hidden LR ∝ n^-1, so a base LR 1e-2 tuned at width
256 becomes 1e-2 x (1024/256)^-1 = 2.5e-3 at width 1024.

Rows stated along ``fan_in`` / ``fan_out`` (u-muP arXiv 2407.17465, spectral arXiv 2310.17813, Qiu et al.
arXiv 2512.05620) take their size from ``width``: every fan grows with width except the embedding's fan_in
and the readout's fan_out, which are the vocabulary V of a language model (the data / class dimension of
other networks).  Those two take ``vocab``'s size ratio when it is given and are held fixed otherwise (the
same rule as :class:`scaling_exponents.torch.shapes.BaseShapes` with a global width ratio).  A per-matrix
table (role ``weight``) does not say which matrix is the embedding: it is refused a ``vocab`` size here and
restated per role by :func:`scaling_exponents.systems.vocab_roles.lm_view`.

Torch-free: used by ``derive --lr ...`` and :meth:`ExponentTable.values`; every factor is
:func:`.factors.scale_factor`'s.
"""

from __future__ import annotations

import math

from ..errors import UserError
from .factors import missing, scale_factor

#: Quantities with a base value the user can give, and the keyword that gives it.
BASE_KEYWORDS = {"lr": "lr", "init_std": "init_std", "weight_decay": "weight_decay", "adam_eps": "eps"}
#: Quantities whose base value is 1 by definition (a multiplier is 1 at the base shape).
UNIT_QUANTITIES = ("multiplier",)
#: Width-like dimensions that ``width`` sizes stand for.
FAN_DIMS = ("fan_in", "fan_out")
#: (role, fan) pairs that do NOT grow with width: the input layer's fan_in and the readout's fan_out -- the
#: vocabulary of a language model (``vocab`` sizes them when given).
FIXED_FANS = {("embedding", "fan_in"), ("readout", "fan_out")}
#: The dimension that sizes :data:`FIXED_FANS`.
VOCAB = "vocab"


def size_for(role: str, dimension: str, sizes: dict):
    """``(size, base)`` of ``dimension`` for ``role`` from ``sizes = {dim: (size, base)}``, or None if not given.

    ``fan_in``/``fan_out`` without their own entry come from ``width``, except the embedding's fan_in and the
    readout's fan_out, which come from ``vocab`` (held fixed when only ``width`` is given; see the module doc)."""
    if dimension in sizes:
        return sizes[dimension]
    if dimension in FAN_DIMS and (role, dimension) in FIXED_FANS:
        if VOCAB in sizes:
            return sizes[VOCAB]
        return (1, 1) if "width" in sizes else None
    if dimension in FAN_DIMS and "width" in sizes:
        return sizes["width"]
    return None


def vocab_fans(table) -> list:
    """The (role, fan) rows of ``table`` that the vocabulary sizes: the embedding's fan_in, the readout's fan_out."""
    return sorted({(r.role, r.dimension) for r in table.rows if (r.role, r.dimension) in FIXED_FANS})


def table_dimensions(table) -> list[str]:
    """Every dimension the table has a row along (zero powers included): the rules it states."""
    return sorted({r.dimension for r in table.rows})


def check_sizes(table, sizes: dict) -> None:
    """Refuse a size for a dimension the table has no rule for (it would be silently ignored)."""
    dims = set(table_dimensions(table))
    for dim in sizes:
        ok = dim in dims or (dim == "width" and dims & set(FAN_DIMS)) or (dim == VOCAB and vocab_fans(table))
        if not ok and dim == VOCAB and dims & set(FAN_DIMS) and {r.role for r in table.rows} == {"weight"}:
            raise UserError(f"{table.parametrization} states one generic matrix (role 'weight'), so it cannot tell "
                            f"the embedding from the readout; restate it per role: `derive -p vocab-roles --table "
                            f"{table.parametrization}` or systems.vocab_roles.lm_view(table)")
        if not ok:
            have = ", ".join(sorted(dims)) or "none"
            why = table.derived.get(f"no rule for {dim}") if isinstance(getattr(table, "derived", None), dict) else None
            raise UserError(f"{table.parametrization} has no rule for {dim} (its dimensions: {have}"
                            + (f"; {why}" if why else "") + f"); drop --{dim}/--base-{dim} or pick a "
                            f"parametrization that scales with {dim} (see `list`)")


def _check_base(name: str, value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise UserError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def values(table, sizes: dict, *, lr=None, init_std=None, weight_decay=None, eps=None) -> dict:
    """``{role: {quantity: {"factor": f, "base": b, "value": b * f}}}`` at the target ``sizes``.

    ``sizes`` is ``{dim: (size, base)}``; ``lr``, ``init_std``, ``weight_decay``, ``eps`` are the base values tuned
    at the base shape (``value`` is None where no base value was given; a multiplier's base is 1).  A (role,
    quantity) with a non-zero row along a dimension not in ``sizes`` has ``factor`` None and ``needs`` naming it.
    """
    if not isinstance(sizes, dict):
        raise UserError(f"sizes must be a dict {{dimension: (size, base)}}, got {sizes!r}")
    for dim, pair in sizes.items():
        if (not isinstance(pair, (tuple, list)) or len(pair) != 2
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0
                           for x in pair)):
            raise UserError(f"sizes[{dim!r}] must be (size, base) with two positive numbers, got {pair!r}")
    check_sizes(table, sizes)
    bases = {"lr": _check_base("lr", lr), "init_std": _check_base("init_std", init_std),
             "weight_decay": _check_base("weight_decay", weight_decay), "adam_eps": _check_base("eps", eps)}
    out: dict = {}
    for role in table.roles:
        per = {}
        for q in table.quantities:
            rows = [r for r in table.rows if (r.role, r.quantity) == (role, q)]
            if not rows:
                continue
            at = lambda dim, role=role: size_for(role, dim, sizes)  # noqa: E731
            needs = missing(rows, role, q, at)
            entry = {"factor": None if needs else scale_factor(rows, role, q, at)}
            if needs:
                entry["needs"] = needs
            base = 1.0 if q in UNIT_QUANTITIES else bases.get(q)
            if q in UNIT_QUANTITIES or q in bases:
                entry["base"] = base
                entry["value"] = None if (base is None or needs) else base * entry["factor"]
            per[q] = entry
        out[role] = per
    return out


def render_values(table, vals: dict, sizes: dict, width: int = 100) -> str:
    """The values as a text table (one row per role), with a heading naming sizes and base values."""
    qs = [q for q in ("lr", "init_std", "multiplier", "weight_decay", "adam_eps")
          if any(q in per for per in vals.values())]
    header = ["role"] + qs
    body = []
    for role, per in vals.items():
        cells = [role]
        for q in qs:
            e = per.get(q)
            if e is None:
                cells.append("-")
            elif e.get("needs"):
                cells.append("needs --" + ",".join(e["needs"]))
            elif e.get("value") is not None:
                cells.append(f"{e['value']:.4g}")
            else:
                cells.append(f"base x{e['factor']:.4g}")
        body.append(cells)
    widths = [max(len(c) for c in col) for col in zip(header, *body)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    at = ", ".join(f"{d} {s:g} (base {b:g})" for d, (s, b) in sizes.items())
    given = []
    for q in ("lr", "init_std", "weight_decay", "adam_eps"):
        b = next((per[q]["base"] for per in vals.values() if q in per and per[q].get("base") is not None), None)
        if b is not None:
            given.append(f"{q} {b:g}")
    out = [f"values at {at}" + (f"; base {', '.join(given)}" if given else ""),
           "each cell: base value x factor (base x1 = the value tuned at the base shape)", "",
           line(header), line(["-" * w for w in widths])] + [line(b) for b in body]
    missing = [q for q in ("lr", "init_std", "weight_decay", "adam_eps")
               if q in qs and not any(per.get(q, {}).get("base") is not None for per in vals.values())]
    if missing:
        flags = {"lr": "--lr", "init_std": "--init-std", "weight_decay": "--weight-decay", "adam_eps": "--eps"}
        out.append("(give " + ", ".join(flags[q] for q in missing) + " for absolute values)")
    return "\n".join(out)
