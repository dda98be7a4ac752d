"""Published exponent tables, transcribed into ``papers/oracles/*.csv``: the TEST ORACLES.

Nothing in the engine reads these to produce an answer; the tests compare every derived entry with
them.  Schema (one row per value, see papers/oracles/README.md):
``param,optimizer,alignment,variant,role,quantity,dimension,power,source,status,note``.
``power`` is the signed exponent (quantity ∝ dimension^power), or a word for regime rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PAPERS_DIR = Path(__file__).resolve().parents[2] / "papers"
ORACLE_DIR = PAPERS_DIR / "oracles"
COLUMNS = ["param", "optimizer", "alignment", "variant", "role", "quantity", "dimension", "power", "source",
           "status", "note"]


@dataclass(frozen=True)
class OracleRow:
    """One published value from ``papers/oracles/*.csv``: a (role, quantity, dimension) power of a parametrization as
    a paper (or its code) states it, with where it was read and whether it was read first-hand."""

    param: str
    optimizer: str
    alignment: str
    variant: str
    role: str
    quantity: str
    dimension: str
    power: str
    source: str
    status: str
    note: str

    @property
    def variant_dict(self) -> dict:
        """The row's ``variant`` column (``k=v; k=v``) as a dict, to match it against a table's variant options."""
        out = {}
        for part in filter(None, (p.strip() for p in self.variant.split(";"))):
            k, _, v = part.partition("=")
            out[k.strip()] = v.strip()
        return out

    @property
    def exact(self):
        """The power as a sympy Rational (raises for regime words)."""
        from ..theory.exponents import Q

        return Q(self.power)


@lru_cache(maxsize=None)
def load(name: str) -> tuple[OracleRow, ...]:
    """All rows of ``papers/oracles/<name>.csv``."""
    path = ORACLE_DIR / (name if name.endswith(".csv") else f"{name}.csv")
    if not path.exists():
        raise FileNotFoundError(f"no oracle file {path}; available: {sorted(p.stem for p in ORACLE_DIR.glob('*.csv'))}")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path}: header {reader.fieldnames} is not the oracle schema {COLUMNS}")
        return tuple(OracleRow(**{k: (v or "").strip() for k, v in row.items()}) for row in reader)


def available() -> list[str]:
    """The names of the oracle files present (``papers/oracles/*.csv`` stems), i.e. the papers with published rows."""
    return sorted(p.stem for p in ORACLE_DIR.glob("*.csv"))


def select(name: str, **match) -> list[OracleRow]:
    """Rows of oracle ``name`` whose fields equal ``match`` (e.g. ``param="mup", optimizer="adam"``)."""
    return [r for r in load(name) if all(getattr(r, k) == v for k, v in match.items())]
