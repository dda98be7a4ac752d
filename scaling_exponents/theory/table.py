"""ExponentTable: role x quantity x dimension -> exact power, and its renderings.

Each row states ``quantity ∝ dimension^power`` (Everett et al. convention with signs made explicit: the
learning-rate power is ``-c``, the multiplier power ``-a``, the init-std power ``-b``).  Renderers give a
practitioner's text table, Markdown, LaTeX, CSV and one JSON object; with concrete sizes
(``sizes={"width": (4096, 256)}``) every row also gets its numeric factor.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

import sympy

from ..errors import UserError
from .exponents import Q, fmt
from .factors import factor, scale_factor
from .grid import WIDTH, grid, wrap
from .values import size_for
from .values import values as _values

#: Display order of quantities and roles (others follow alphabetically).
QUANTITY_ORDER = ["multiplier", "init_std", "lr", "weight_decay", "adam_eps", "perturbation", "damping"]
ROLE_ORDER = [
    "embedding", "bias", "hidden", "hidden_bias", "norm", "attention", "residual_branch", "router",
    "expert_up", "expert_down", "shared_expert", "final_norm", "readout", "global",
]
SYMBOL = {"width": "n", "depth": "L", "experts": "E", "topk": "k", "head_dim": "d", "fan_in": "fan_in",
          "fan_out": "fan_out", "rank": "r", "tokens": "D", "batch": "B"}


@dataclass(frozen=True)
class Source:
    """Where a table comes from: bib key (papers/references.bib), arXiv id, and the table/section."""

    key: str
    arxiv: str | None = None
    where: str = ""

    def cite(self) -> str:
        """The citation shown beside a table: key, arXiv id and where in the paper (those given)."""
        return f"{self.key}" + (f", arXiv {self.arxiv}" if self.arxiv else "") + (f", {self.where}" if self.where else "")


@dataclass(frozen=True)
class Row:
    """One row of an exponent table: ``quantity`` of ``role`` scales as ``dimension^power`` (an exact rational), with
    a note on where it comes from."""

    role: str
    quantity: str
    dimension: str
    power: sympy.Rational
    note: str = ""

    def key(self):
        """``(role, quantity, dimension)``: what identifies a row within a table."""
        return (self.role, self.quantity, self.dimension)


def _order(seq, item):
    return (seq.index(item), item) if item in seq else (len(seq), item)


@dataclass
class ExponentTable:
    """The derived exponent table of one parametrization under one optimizer/alignment choice."""

    parametrization: str
    optimizer: str | None
    alignment: str | None
    source: Source
    rows: list[Row]
    title: str = ""
    variant: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)  # e.g. {"r": {...}, "regime": "..."}
    notes: list[str] = field(default_factory=list)
    convention: str = ""
    solution: object = None  # theory.solve.Solution (not serialised)
    system: object = None  # theory.system.ConstraintSystem (not serialised)

    def __post_init__(self):
        self.rows = sorted(
            [Row(r.role, r.quantity, r.dimension, Q(r.power), r.note) for r in self.rows],
            key=lambda r: (_order(ROLE_ORDER, r.role), _order(QUANTITY_ORDER, r.quantity), r.dimension),
        )
        seen = set()
        for r in self.rows:
            if r.key() in seen:
                raise ValueError(f"duplicate row {r.key()} in table {self.parametrization}")
            seen.add(r.key())

    # -- access ---------------------------------------------------------------------------------
    def power(self, role, quantity, dimension="width") -> sympy.Rational:
        """The exact power of ``quantity`` for ``role`` along ``dimension`` (0 when the table has no row)."""
        for r in self.rows:
            if r.key() == (role, quantity, dimension):
                return r.power
        return sympy.Integer(0)

    def digest(self) -> str:
        """16-hex digest of the rows (role, quantity, dimension, exact power; notes left out).  Why: the results
        store records it with every run (:func:`scaling_exponents.evidence.store.provenance`), so a run measured
        under an older version of this table (a row added or changed) is recomputed instead of silently reused."""
        blob = json.dumps([[r.role, r.quantity, r.dimension, str(r.power)] for r in self.rows], separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def roles(self):
        """The roles with rows, in the display order (embedding, hidden, readout, ... first)."""
        return sorted({r.role for r in self.rows}, key=lambda x: _order(ROLE_ORDER, x))

    @property
    def quantities(self):
        """The quantities with rows, in the display order (multiplier, init_std, lr, ...)."""
        return sorted({r.quantity for r in self.rows}, key=lambda x: _order(QUANTITY_ORDER, x))

    @property
    def dimensions(self):
        """The scaling dimensions with rows, width first, then depth, then the rest alphabetically."""
        return sorted({r.dimension for r in self.rows}, key=lambda x: (x != "width", x != "depth", x))

    def factors(self, sizes: dict) -> dict:
        """Numeric factor of every row given ``sizes = {dimension: (size, base_size)}``."""
        out = {}
        for r in self.rows:
            pair = size_for(r.role, r.dimension, sizes)  # fan_in/fan_out rows take their size from width
            if pair is not None:
                out[r.key()] = factor(r.power, *pair)
        return out

    def combined_factor(self, role, quantity, sizes: dict) -> float:
        """Product over the dimensions in ``sizes`` of ``(size/base)^power`` for one (role, quantity); rows along a
        dimension ``sizes`` omits are held at their base (factor 1).  :func:`.factors.scale_factor` evaluates it."""
        return scale_factor(self, role, quantity, lambda dim: size_for(role, dim, sizes) or (1, 1))

    def values(self, sizes: dict, *, lr=None, init_std=None, weight_decay=None, eps=None) -> dict:
        """Concrete per-role values at ``sizes`` from base values; see :func:`.values.values`."""
        return _values(self, sizes, lr=lr, init_std=init_std, weight_decay=weight_decay, eps=eps)

    # -- rendering ------------------------------------------------------------------------------
    def heading(self) -> str:
        """The table's title with its optimizer, alignment and variant options, e.g. ``muP (adam, full alignment)``."""
        opt = f"{self.optimizer}" if self.optimizer else ""
        al = f", {self.alignment} alignment" if self.alignment else ""
        var = "".join(f", {k}={v}" for k, v in self.variant.items())
        inner = f"{opt}{al}{var}".strip(", ")
        return f"{self.title or self.parametrization}" + (f" ({inner})" if inner else "")

    def _cell(self, role, quantity, sizes=None) -> str:
        parts = []
        # width-like dimensions first, depth last: "n^-1 · L^-1", "fan_in^(-1/2) · L^(-1/2)"
        for r in sorted(self.rows, key=lambda r: (r.dimension == "depth", r.dimension != "width", r.dimension)):
            if (r.role, r.quantity) != (role, quantity):
                continue
            if r.power != 0:
                p = fmt(r.power)
                sym = SYMBOL.get(r.dimension, r.dimension)
                parts.append(sym if p == "1" else f"{sym}^({p})" if "/" in p else f"{sym}^{p}")
        if not any((r.role, r.quantity) == (role, quantity) for r in self.rows):
            return "-"
        text = " · ".join(parts) if parts else "1"
        if sizes:
            missing = sorted({r.dimension for r in self.rows if (r.role, r.quantity) == (role, quantity)
                              and r.power != 0 and size_for(role, r.dimension, sizes) is None})
            text += (f"  ({', '.join(missing)} not given)" if missing
                     else f"  (x{self.combined_factor(role, quantity, sizes):.6g})")
        return text

    def _grid(self, sizes=None):
        header = ["role"] + self.quantities
        body = [[role] + [self._cell(role, q, sizes) for q in self.quantities] for role in self.roles]
        return header, body

    def _derived_lines(self):
        lines = []
        for k, v in self.derived.items():
            if isinstance(v, dict):
                lines.append(f"{k}: " + ", ".join(f"{kk} = {fmt(vv) if _is_num(vv) else vv}" for kk, vv in v.items()))
            else:
                lines.append(f"{k}: {fmt(v) if _is_num(v) else v}")
        return lines

    def to_text(self, sizes=None, width: int | None = WIDTH) -> str:
        """The practitioner's table; fits in ``width`` columns (blocks of columns, wrapped notes); None: wide."""
        header, body = self._grid(sizes)
        dims = ", ".join(f"{SYMBOL.get(d, d)} = {d}" for d in self.dimensions)
        head = [self.heading(), f"source: {self.source.cite()}"]
        if self.convention:
            head.append(f"convention: {self.convention}")
        head.append(f"each cell: the factor a quantity scales by ({dims}); 1 = constant")
        if sizes:
            head.append("concrete factors: " + ", ".join(f"{d} {s} vs base {b}" for d, (s, b) in sizes.items()))
        out = [ln for h in head for ln in wrap(h, width)]
        out += [""] + grid(header, body, width)
        derived = self._derived_lines()
        if derived:
            out += [""] + [ln for d in derived for ln in wrap(d, width)]
        if self.notes:
            out += [""] + [ln for n in self.notes for ln in wrap(f"note: {n}", width)]
        return "\n".join(out)

    def to_markdown(self, sizes=None) -> str:
        """The table as a Markdown grid (roles x quantities; with ``sizes``, the concrete factor of every cell), with
        its source, derived values and notes."""
        header, body = self._grid(sizes)
        md = lambda cells: "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
        out = [f"**{self.heading()}**, source: {self.source.cite()}", ""]
        out += [md(header), md(["---"] * len(header))] + [md(r) for r in body]
        derived = self._derived_lines()
        if derived:
            out += [""] + [f"- {d}" for d in derived]
        if self.notes:
            out += [""] + [f"- note: {n}" for n in self.notes]
        return "\n".join(out)

    def to_latex(self, sizes=None) -> str:
        """The table as a LaTeX ``tabular`` (cells as ``$n^{-1}$``-style products), for papers and notes."""
        def tex(role, q):
            cell = self._cell(role, q)
            if cell in ("-", "1"):
                return cell if cell == "-" else "$1$"
            return "$" + " \\cdot ".join(
                p.replace("^(", "^{").replace(")", "}") if "^(" in p else p.replace("^", "^{") + "}" if "^" in p else p
                for p in cell.split(" · ")
            ).replace("fan_in", r"\mathrm{fan\_in}").replace("fan_out", r"\mathrm{fan\_out}") + "$"

        qs = self.quantities
        esc = lambda s: s.replace("_", r"\_")
        out = [r"\begin{tabular}{l" + "c" * len(qs) + "}", r"\toprule",
               " & ".join(["role"] + [esc(q) for q in qs]) + r" \\", r"\midrule"]
        out += [" & ".join([esc(role)] + [tex(role, q) for q in qs]) + r" \\" for role in self.roles]
        out += [r"\bottomrule", r"\end{tabular}", f"% {esc(self.heading())}; source: {esc(self.source.cite())}"]
        return "\n".join(out)

    def to_records(self, sizes=None) -> list[dict]:
        """One dict per row (role, quantity, dimension, power as a string, and with ``sizes`` its concrete factor):
        the flat form CSV and JSON share."""
        facs = self.factors(sizes) if sizes else {}
        recs = []
        for r in self.rows:
            rec = {"role": r.role, "quantity": r.quantity, "dimension": r.dimension, "power": fmt(r.power)}
            if r.key() in facs:
                rec["factor"] = facs[r.key()]
            if r.note:
                rec["note"] = r.note
            recs.append(rec)
        return recs

    def to_csv(self, sizes=None) -> str:
        """The rows as CSV, one line per (role, quantity, dimension), with the factor column when ``sizes`` are
        given."""
        buf = io.StringIO()
        cols = ["parametrization", "optimizer", "alignment", "role", "quantity", "dimension", "power"]
        if sizes:
            cols.append("factor")
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for rec in self.to_records(sizes):
            w.writerow({"parametrization": self.parametrization, "optimizer": self.optimizer or "",
                        "alignment": self.alignment or "", **rec})
        return buf.getvalue()

    def to_dict(self, sizes=None) -> dict:
        """JSON-ready form: names, variant, source, rows, notes and, when solved, the solution's certification and
        non-unique ranges -- the format ``derive -f json`` prints and :func:`from_dict` reads back."""
        sol = self.solution
        d = {
            "parametrization": self.parametrization,
            "title": self.title,
            "optimizer": self.optimizer,
            "alignment": self.alignment,
            "variant": {k: (fmt(v) if _is_num(v) else v) for k, v in self.variant.items()},
            "source": {"key": self.source.key, "arxiv": self.source.arxiv, "where": self.source.where},
            "convention": self.convention,
            "rows": self.to_records(sizes),
            "derived": _jsonable(self.derived),
            "notes": list(self.notes),
        }
        if sol is not None:
            d["solver"] = {"status": sol.status, "certified": sol.certified, "unique": sol.unique,
                           "objective": fmt(sol.objective) if sol.objective is not None else None}
        if sizes:
            d["sizes"] = {k: {"size": s, "base": b} for k, (s, b) in sizes.items()}
        return d

    def to_json(self, sizes=None) -> str:
        """:meth:`to_dict` as indented JSON (non-ASCII kept, e.g. μ)."""
        return json.dumps(self.to_dict(sizes), indent=2, ensure_ascii=False)

    def render(self, fmt_name: str = "text", sizes=None, width: int | None = WIDTH) -> str:
        """``fmt_name`` in text, markdown, latex, csv, json; ``width`` limits the text format (None: wide)."""
        renderers = {"text": self.to_text, "markdown": self.to_markdown, "latex": self.to_latex,
                     "csv": self.to_csv, "json": self.to_json}
        if fmt_name not in renderers:
            raise UserError(f"unknown format {fmt_name!r}; choose one of {', '.join(renderers)}")
        if fmt_name == "text":
            return self.to_text(sizes=sizes, width=width)
        return renderers[fmt_name](sizes=sizes)


def _is_num(v) -> bool:
    return isinstance(v, (int, sympy.Rational)) and not isinstance(v, bool)


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if _is_num(v):
        return fmt(v)
    return v
