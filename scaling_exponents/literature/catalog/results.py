"""What the catalog collects per parametrization: its derived tables (one ``Combo`` per optimizer x
alignment), its oracle verdicts and its status; and the cached, failure-recording deriver."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


STATUS_ORACLE = "derived + oracle-checked"


STATUS_DERIVED = "derived"


NO_GPU = "not yet run"


@dataclass
class Combo:
    """One derived table of a parametrization for one (optimizer, alignment), or the error its derivation raised,
    with the time it took (printed by the CLI, never written to the catalog)."""

    optimizer: str | None
    alignment: str | None
    table: object = None  # ExponentTable
    error: str | None = None
    seconds: float = 0.0  # derive time (reported by the CLI, never written)

    @property
    def label(self) -> str:
        """Human-readable name of the combination, e.g. ``adam, full alignment`` (``default`` when it has neither)."""
        parts = [self.optimizer or "", f"{self.alignment} alignment" if self.alignment else ""]
        return ", ".join(p for p in parts if p) or "default"

    @property
    def short(self) -> str:
        """Short name of the combination, e.g. ``adam/full`` (``default`` when it has neither), for table headers."""
        return "/".join(p for p in (self.optimizer, self.alignment) if p) or "default"


@dataclass
class OracleVerdict:
    """How one published oracle row compares with the derived table: ``equal``, ``MISMATCH``, ``disputed`` or ``not
    comparable``, with the derived value and the reason."""

    file: str
    row: object  # oracles.OracleRow
    verdict: str  # "equal" | "MISMATCH" | "disputed" | "not comparable"
    derived: str = ""  # the derived value(s) compared with
    why: str = ""
    param_name: str | None = None  # the encoded parametrization the row was matched to


@dataclass
class SpecResult:
    """Everything the catalog shows for one parametrization: its derived combos, its oracle verdicts, its status and
    its empirical (GPU) verdict."""

    spec: object  # ParamSpec
    combos: list[Combo]
    verdicts: list[OracleVerdict] = field(default_factory=list)
    status: str = STATUS_DERIVED
    empirical: str = NO_GPU

    @property
    def name(self) -> str:
        """The parametrization's registry name (e.g. ``mup``)."""
        return self.spec.name

    @property
    def key(self) -> str:
        """The bibliography key of the paper it comes from (``papers/references.bib``)."""
        return self.spec.source.key

    @property
    def default(self) -> Combo | None:
        """The first combo that derived a table (the one the catalog page shows first), or None if every one failed."""
        return next((c for c in self.combos if c.table is not None), None)


def _clean(text: str) -> str:
    """An error message without absolute paths or memory addresses (the output must be deterministic)."""
    text = str(text).replace(str(ROOT) + "/", "").replace(str(ROOT), ".")
    text = re.sub(r"(?:/[\w.\-]+)+/(site-packages|dist-packages)/", r"<\1>/", text)
    text = re.sub(r"0x[0-9a-fA-F]+", "0x…", text)
    return " ".join(text.split())


class _Deriver:
    """Cached ``registry.derive`` that records failures instead of raising."""

    def __init__(self):
        from ...systems import registry

        self.registry = registry
        self.cache: dict = {}

    def __call__(self, spec, optimizer, alignment, options=None):
        key = (spec.name, optimizer, alignment, tuple(sorted((options or {}).items())))
        if key not in self.cache:
            try:
                self.cache[key] = (self.registry.derive(spec.name, optimizer, alignment, **(options or {})), None)
            except Exception as e:  # a broken spec must not take the catalog down
                self.cache[key] = (None, _clean(f"{type(e).__name__}: {e}"))
        return self.cache[key]


def _combos(spec) -> list[tuple[str | None, str | None]]:
    opts = [o or None for o in (spec.optimizers or ("",))]
    als = [a or None for a in (spec.alignments or ("",))]
    return [(o, a) for o in opts for a in als]

def _num_like(v) -> bool:
    import sympy

    return isinstance(v, (int, sympy.Rational)) and not isinstance(v, bool)
