"""Restate a table stated per fan (``fan_in`` / ``fan_out`` rows: u-muP, arXiv 2407.17465, absolute convention) as
width exponents of a given model's layers, so the width predictions of :mod:`.predict` apply to it.

A layer whose fan_in grows like ``width^p_in`` and fan_out like ``width^p_out`` (:class:`.predict.LayerSpec`) gets,
for every (role, quantity), ``width power = power[width] + p_in power[fan_in] + p_out power[fan_out]`` -- the
exponent of ``fan_in^a fan_out^b`` when both fans are powers of the width.  The roles' fans are read off the
model's layers (all layers of one role must agree: on the reference MLP embedding (0, 1), hidden (1, 1),
readout (1, 0); biases and norm gains take their layer's fan_out, as ``unit_scaling.optim._get_fan_in`` does).
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import UserError
from ..theory.table import Row

FAN_DIMS = ("fan_in", "fan_out")
#: Vector roles: fans are their length (``torch.shapes.dim_fans``), which grows with the width.
VECTOR_FANS = {"hidden_bias": (1, 1), "norm": (1, 1), "bias": (1, 1), "final_norm": (1, 1)}


def has_fan_rows(table) -> bool:
    """True when ``table`` states some quantity per fan (rows along fan_in/fan_out, as u-muP does), so the width
    predictions must first restate it per layer with :func:`width_view`."""
    return any(r.dimension in FAN_DIMS and r.power != 0 for r in table.rows)


def width_view(table, layers):
    """A copy of ``table`` whose ``width`` rows are the fan rows evaluated on ``layers`` (fan rows dropped)."""
    fans = dict(VECTOR_FANS)
    for spec in layers:
        old = fans.get(spec.role) if spec.role not in VECTOR_FANS else None
        if old is not None and old != (spec.p_in, spec.p_out):
            raise UserError(f"layers of role {spec.role!r} have different fans {old} and {(spec.p_in, spec.p_out)}: "
                            f"table {table.parametrization} is stated per fan; give each such layer its own role")
        fans[spec.role] = (spec.p_in, spec.p_out)
    keep, per_key = [], {}
    for r in table.rows:
        if r.dimension not in FAN_DIMS + ("width",):
            keep.append(r)
            continue
        p_in, p_out = fans.get(r.role, (1, 1))
        weight = {"width": 1, "fan_in": p_in, "fan_out": p_out}[r.dimension]
        per_key[(r.role, r.quantity)] = per_key.get((r.role, r.quantity), 0) + weight * r.power
    rows = keep + [Row(role, q, "width", p, note="from fan rows") for (role, q), p in per_key.items()]
    notes = list(table.notes) + ["width exponents restated from fan_in/fan_out rows on this model's layers "
                                 "(evidence/fans.py)"]
    return replace(table, rows=rows, notes=notes)
