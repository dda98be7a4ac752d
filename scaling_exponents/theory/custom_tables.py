"""Process-local registry of exponent tables that are not in :mod:`scaling_exponents.systems.registry` (torch-free).

What: :func:`register` files a table (one loaded by ``verify --table FILE.json``, or a planted error of the
calibration) under ``table:<label>@<sha8>`` -- ``sha8`` the content digest of :func:`.table_json.table_digest` --
and :func:`lookup` gives it back.  Why: the verifier identifies what it runs by a name (``RunConfig.param``, the key
of the resumable result store); putting the digest in that name means two different tables never share stored
results while re-running the same table resumes.  The registry lives in this process only, so a custom table cannot
run on a remote executor (Ray, SLURM workers re-import the code and would not find it): the verifier refuses that.
"""

from __future__ import annotations

from .table import ExponentTable
from .table_json import table_digest

PREFIX = "table:"
_TABLES: dict[str, ExponentTable] = {}


def key_for(table: ExponentTable, label: str | None = None) -> str:
    """``table:<label>@<sha8>`` (label: ``table.parametrization`` unless given)."""
    label = (label or table.parametrization or "table").replace("@", "_").replace(",", "_").replace(":", "_")
    return f"{PREFIX}{label}@{table_digest(table)}"


def register(table: ExponentTable, label: str | None = None) -> str:
    """File ``table`` and return its key (idempotent: the same content and label give the same key)."""
    key = key_for(table, label)
    _TABLES[key] = table
    return key


def is_custom(name) -> bool:
    """Whether ``name`` is a key of this registry's form (registered or not)."""
    return isinstance(name, str) and name.startswith(PREFIX)


def lookup(key: str) -> ExponentTable:
    """The table filed under ``key``; KeyError (a bug, not user input) if this process never registered it."""
    return _TABLES[key]
