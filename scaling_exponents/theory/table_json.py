"""Load an :class:`~.table.ExponentTable` from the JSON that ``derive --format json`` writes (torch-free).

What: :func:`load_table` takes a path, a JSON string or an already-parsed dict in the form of
:meth:`ExponentTable.to_dict` (``parametrization``, ``optimizer``, ``alignment``, ``source``, ``rows`` of
``{role, quantity, dimension, power}``, optional ``title``/``variant``/``derived``/``notes``/``convention``) and
returns the table with exact rational powers; :func:`table_digest` is a short content hash of what the verifier
applies (rows, optimizer, alignment).  Why: ``verify --table FILE.json`` verifies any exponent table -- a hand-made
rule, a measured alignment table, a planted error of the calibration (:mod:`scaling_exponents.evidence.calibration`)
-- and a malformed file must be one line naming the file, the row and the fix, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from pathlib import Path

import sympy

from ..errors import UserError
from . import dimensions as vocabulary
from .table import ExponentTable, Row, Source

#: Quantities a table row may state: every quantity of the registered tables (``tests/theory/test_table_json.py``
#: checks this covers all of them) -- an unknown one is most likely a typo (``learning_rate`` for ``lr``).
QUANTITIES = frozenset({
    "adam_eps", "bound", "damping", "damping_A", "damping_B", "effective_lr", "feature", "forward_scale",
    "grad_input_scale", "grad_weight_scale", "init_std", "logit_scale", "lr", "lr_adjustment", "lr_ratio_to_hidden",
    "lr_ratio_to_lora_a", "lr_wd_product", "multiplier", "one_minus_beta1", "one_minus_beta2", "one_minus_momentum",
    "perturbation", "perturbation_layer_scale", "spectral_norm", "steps", "tau", "timescale_fraction",
    "top_singular_value", "update_rms", "update_spectral_norm", "weight_decay"})
#: Dimensions a row may scale along (those of :data:`.exponents.DIMENSIONS` and of every registered table), besides
#: every dimension of the size vocabulary (:mod:`.dimensions`).
DIMENSIONS = frozenset({
    "batch", "block_in", "block_out", "blocks", "channels", "density", "depth", "experts", "fan_in", "fan_out",
    "ffn_ratio", "granularity", "head_dim", "iters_per_epoch", "rank", "state", "tokens", "topk", "vocab", "width"})
ROW_KEYS = ("role", "quantity", "dimension", "power")


def _read(src, where: str):
    if isinstance(src, dict):
        return src
    text = src
    if isinstance(src, Path) or (isinstance(src, str) and not src.lstrip().startswith("{")):
        try:
            text = Path(src).read_text()
        except OSError as e:
            raise UserError(f"table file {where}: cannot read it ({e.strerror}); give the path of a file written by "
                            "`python -m scaling_exponents derive -p NAME -f json > FILE.json`") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"table file {where}: not JSON (line {e.lineno}: {e.msg}); write it with "
                        "`python -m scaling_exponents derive -p NAME -f json > FILE.json` and edit the powers") from None


def _power(value, where: str, i: int, row: dict):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UserError(f"table file {where}: row {i} ({row.get('role')}/{row.get('quantity')}/{row.get('dimension')})"
                        f" has power {value!r}; write it as a rational string such as \"-1/2\" or \"1\"")
    try:
        f = Fraction(str(value).strip().replace("−", "-"))
    except (ValueError, ZeroDivisionError):
        raise UserError(f"table file {where}: row {i} ({row.get('role')}/{row.get('quantity')}/"
                        f"{row.get('dimension')}) has power {value!r}, not a rational; write it as \"-1/2\", "
                        "\"1\" or \"0\"") from None
    return sympy.Rational(f.numerator, f.denominator)


def _row(i: int, row, where: str) -> Row:
    if not isinstance(row, dict):
        raise UserError(f"table file {where}: row {i} is a {type(row).__name__}, not an object with keys "
                        f"{', '.join(ROW_KEYS)}")
    missing = [k for k in ROW_KEYS if k not in row]
    if missing:
        raise UserError(f"table file {where}: row {i} has no {', '.join(missing)}; every row needs "
                        f"{', '.join(ROW_KEYS)} (e.g. {{\"role\": \"hidden\", \"quantity\": \"lr\", "
                        "\"dimension\": \"width\", \"power\": \"-1\"})")
    for k in ("role", "quantity", "dimension"):
        if not isinstance(row[k], str) or not row[k].strip():
            raise UserError(f"table file {where}: row {i} has {k} {row[k]!r}; it must be a non-empty string")
    if row["quantity"] not in QUANTITIES:
        raise UserError(f"table file {where}: row {i} has unknown quantity {row['quantity']!r}; known: "
                        f"{', '.join(sorted(QUANTITIES))}")
    known = DIMENSIONS | set(vocabulary.names())  # a dimension registered in the size vocabulary is a row's too
    if row["dimension"] not in known:
        raise UserError(f"table file {where}: row {i} has unknown dimension {row['dimension']!r}; known: "
                        f"{', '.join(sorted(known))}")
    return Row(row["role"], row["quantity"], row["dimension"], _power(row["power"], where, i, row),
               str(row.get("note", "")))


def load_table(src, name: str | None = None) -> ExponentTable:
    """The table in ``src`` (a path, a JSON string or a dict in :meth:`ExponentTable.to_dict` form).

    ``name`` overrides the file's ``parametrization`` (default: that field, else the file stem).  Raises
    :class:`UserError` naming the file, the row index and the fix for anything malformed."""
    where = "<dict>" if isinstance(src, dict) else str(src) if not str(src).lstrip().startswith("{") else "<json>"
    data = _read(src, where)
    if not isinstance(data, dict):
        raise UserError(f"table file {where}: expected a JSON object with \"rows\" (as `derive -f json` writes), "
                        f"got a {type(data).__name__}")
    rows = data.get("rows")
    if not isinstance(rows, list) or not rows:
        raise UserError(f"table file {where}: no \"rows\" list; write the file with "
                        "`python -m scaling_exponents derive -p NAME -f json` (its \"rows\" are role/quantity/"
                        "dimension/power objects)")
    parsed = [_row(i, r, where) for i, r in enumerate(rows)]
    seen = {}
    for i, r in enumerate(parsed):
        if r.key() in seen:
            raise UserError(f"table file {where}: rows {seen[r.key()]} and {i} both state {'/'.join(r.key())}; "
                            "keep one")
        seen[r.key()] = i
    src_d = data.get("source") if isinstance(data.get("source"), dict) else {}
    stem = Path(where).stem if where not in ("<dict>", "<json>") else "table"
    for k in ("optimizer", "alignment"):
        if data.get(k) is not None and not isinstance(data.get(k), str):
            raise UserError(f"table file {where}: {k} must be a string or null, got {data.get(k)!r}")
    return ExponentTable(
        parametrization=name or str(data.get("parametrization") or stem), optimizer=data.get("optimizer") or None,
        alignment=data.get("alignment") or None,
        source=Source(str(src_d.get("key") or "user"), src_d.get("arxiv"), str(src_d.get("where") or where)),
        rows=parsed, title=str(data.get("title") or ""), variant=dict(data.get("variant") or {}),
        derived=dict(data.get("derived") or {}), notes=list(data.get("notes") or []),
        convention=str(data.get("convention") or ""))


def table_digest(table: ExponentTable) -> str:
    """First 8 hex digits of a SHA-256 over the rows (role, quantity, dimension, exact power), optimizer and
    alignment: two tables the verifier would run differently never share a digest; titles and notes do not count."""
    canon = json.dumps({"optimizer": table.optimizer, "alignment": table.alignment,
                        "rows": sorted([r.role, r.quantity, r.dimension, str(r.power)] for r in table.rows)},
                       sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()[:8]
