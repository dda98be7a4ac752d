"""The index by dimension: which parametrizations say what to change along width, depth, experts, granularity,
tokens, batch, vocab or rank, with the one-line rule of each (``list --dimension``, ``catalog/dimensions.md``).

A parametrization scales along a dimension when its **default** table (the first optimizer, alignment and the
default options its paper covers: :func:`scaling_exponents.systems.registry.derive` with no choice) has a row
along it -- exactly the tables ``derive --DIM N --base-DIM N0`` accepts (:func:`theory.values.check_sizes`):
``width`` also matches the ``fan_in``/``fan_out`` rows that width sizes, and ``vocab`` the embedding's fan_in and
the readout's fan_out (:data:`theory.values.FIXED_FANS`).  Other optimizers or options of a spec may scale along
more dimensions (``derive -p NAME -o OPT``); this index does not derive them.

The rule restates the table's rows along the dimension, nothing else: ``lr ∝ D^-8/25`` (token-horizon, Bjorck et
al. arXiv 2409.19913 Sec. 4, a fitted exponent).  A table whose notes, summary or source call a rule EMPIRICAL,
UNVERIFIED or VERIFIED-2nd is marked so (the notes are quoted on the catalog page).  Torch-free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import UserError
from ...theory import dimensions as vocabulary
from ...theory.exponents import fmt
from ...theory.table import QUANTITY_ORDER, ROLE_ORDER, _order
from ...theory.values import FAN_DIMS, FIXED_FANS, VOCAB

#: Status labels, in the order shown, and how they are recognised in a table's texts.
LABELS = (("empirical", re.compile(r"empirical", re.I)), ("UNVERIFIED", re.compile(r"\bUNVERIFIED\b")),
          ("VERIFIED-2nd", re.compile(r"VERIFIED-2nd")))
PAGE = "dimensions.md"
#: Roles that stand for the whole network or any matrix: a rule on them alone is not named by role.
GENERIC = ("any", "global", "weight")


@dataclass(frozen=True)
class Entry:
    """One parametrization along one dimension: its rule and what its table says about the rule's footing."""

    name: str
    dimension: str
    rule: str
    optimizer: str | None
    labels: tuple[str, ...] = ()
    flagged: tuple[str, ...] = ()  # the notes that carry a label, verbatim

    def line(self) -> str:
        """The rule with its labels, as one line."""
        tag = f"  [{', '.join(self.labels)}]" if self.labels else ""
        return f"{self.rule}{tag}"


def check_dimensions(text: str) -> list[str]:
    """``"tokens,batch"`` -> ``["tokens", "batch"]``; an unknown name is a one-line UserError naming the known."""
    names = [t.strip().lower().replace("-", "_") for t in str(text).split(",") if t.strip()]
    known = vocabulary.names()
    bad = [n for n in names if n not in known]
    if bad or not names:
        what = ", ".join(repr(b) for b in bad) if bad else "nothing"
        raise UserError(f"--dimension {text!r}: unknown dimension {what}; known dimensions: {', '.join(known)} "
                        "(comma-separated, e.g. --dimension tokens,batch)")
    return list(dict.fromkeys(names))


def rows_along(table, dimension: str) -> list:
    """The rows of ``table`` that a ``--DIM`` size scales, as ``(row, symbol)`` pairs."""
    out = []
    for r in table.rows:
        fan = (r.role, r.dimension) in FIXED_FANS
        if r.dimension == dimension:
            out.append((r, vocabulary.symbol(dimension)))
        elif dimension == "width" and r.dimension in FAN_DIMS and not fan:
            out.append((r, r.dimension))
        elif dimension == VOCAB and fan:
            out.append((r, vocabulary.symbol(VOCAB)))
    return out


def _power(symbol: str, p) -> str:
    return symbol if fmt(p) == "1" else f"{symbol}^{fmt(p)}"


def rule(table, dimension: str) -> str:
    """One line: every quantity that moves along ``dimension``, each role's factor (a product when a role has
    fan_in and fan_out rows), roles grouped by factor.  Roles are named when only some of the roles with a row move
    (the others keep their value: power 0), when the one role that moves is a specific layer (``readout``, not
    ``any``/``global``/``weight``), and always along vocab (only the embedding and readout have a V);
    a table whose powers are all 0 says so."""
    pairs = rows_along(table, dimension)
    mono: dict[str, dict[str, list[str]]] = {}  # quantity -> role -> factors
    for r, sym in pairs:
        facs = mono.setdefault(r.quantity, {}).setdefault(r.role, [])
        if r.power != 0:
            facs.append(_power(sym, r.power))
    parts = []
    for q in sorted(mono, key=lambda x: _order(QUANTITY_ORDER, x)):
        groups: dict[str, list[str]] = {}
        for role in sorted(mono[q], key=lambda x: _order(ROLE_ORDER, x)):
            if mono[q][role]:
                groups.setdefault(" ".join(mono[q][role]), []).append(role)
        if not groups:
            continue
        only = next(iter(groups.values()))
        if len(groups) == 1 and len(only) == len(mono[q]) and dimension != VOCAB and (len(only) > 1 or
                                                                                       only[0] in GENERIC):
            parts.append(f"{q} ∝ {next(iter(groups))}")
        else:
            parts.append(f"{q} ∝ " + ", ".join(f"{f} ({', '.join(rs)})" for f, rs in groups.items()))
    if not parts:
        qs = sorted(mono, key=lambda x: _order(QUANTITY_ORDER, x))
        return f"nothing changes with {vocabulary.symbol(dimension)} (power 0 for {', '.join(qs)})"
    return "; ".join(parts)


def _labels(spec, table, dimension: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    texts = [spec.summary, spec.source.where, *table.notes, *(r.note for r, _ in rows_along(table, dimension))]
    texts = [t for t in dict.fromkeys(texts) if t]
    labels = tuple(name for name, pat in LABELS if any(pat.search(t) for t in texts))
    flagged = tuple(t for t in table.notes if any(pat.search(t) for name, pat in LABELS if name != "VERIFIED-2nd"))
    return labels, flagged


def _default_tables(specs=None):
    """``[(spec, table or None, error)]``: each spec's default table, derived once per process."""
    from ...systems.registry import all_specs, derive

    global _CACHE
    if specs is None and _CACHE is not None:
        return _CACHE
    out = []
    for s in all_specs() if specs is None else specs:
        try:
            out.append((s, derive(s.name), None))
        except UserError as e:  # a spec that needs an option to derive: shown as such, never silently dropped
            out.append((s, None, str(e)))
    if specs is None:
        _CACHE = out
    return out


_CACHE = None


def index(dimensions=None, specs=None) -> dict[str, dict]:
    """``{dim: {"entries": [Entry], "no_rule": [(name, why)]}}`` over every registered parametrization.

    ``no_rule`` lists the tables that say why they have no rule along ``dim`` (``derived["no rule for DIM"]``,
    e.g. embedding-lr-vocab's large-vocab regime, UNVERIFIED in arXiv 2506.15025) and specs that failed to derive."""
    tables = _default_tables(specs)
    out = {}
    for dim in vocabulary.names() if dimensions is None else dimensions:
        entries, no_rule = [], []
        for spec, table, err in tables:
            if table is None:
                no_rule.append((spec.name, f"default table not derived: {err}"))
                continue
            if rows_along(table, dim):
                labels, flagged = _labels(spec, table, dim)
                entries.append(Entry(spec.name, dim, rule(table, dim), table.optimizer, labels, flagged))
            elif isinstance(table.derived, dict) and table.derived.get(f"no rule for {dim}"):
                no_rule.append((spec.name, str(table.derived[f"no rule for {dim}"])))
        out[dim] = {"entries": entries, "no_rule": no_rule}
    return out


def page(idx=None) -> str:
    """``catalog/dimensions.md``: one section per dimension, each parametrization with its rule and a link."""
    from .. import markdown as md
    from .readme import GENERATED

    idx = index() if idx is None else idx
    out = [GENERATED, "", "# What to change along each dimension", "",
           "[catalog](README.md) · the parametrizations whose default table (first optimizer, alignment and "
           "options) has rows along each dimension that `derive` takes a size for, with the rule those rows state "
           "(`quantity ∝ symbol^power`; roles in parentheses when only those move, the roles not named keep their "
           "value; width includes fan_in/fan_out rows, "
           "vocab the embedding's fan_in and the readout's fan_out).  Another optimizer or option of a "
           "parametrization can scale along more dimensions: see its page.  The same index on the command line: "
           "`python -m scaling_exponents list --dimension tokens`.", "",
           "Marks: **empirical** = the table calls a rule an empirical fit or optimum (no constraint system "
           "behind it); **UNVERIFIED** = its notes say part of it was not read in the paper; **VERIFIED-2nd** = "
           "read through a secondary source.  The notes behind the first two are quoted.", ""]
    out += [f"- [{d}](#{d}) ({len(idx[d]['entries'])})" for d in idx]
    out.append("")
    for dim, sect in idx.items():
        sym = vocabulary.symbol(dim)
        out += [f"## {dim}", "",
                f"{len(sect['entries'])} parametrizations; {sym} = {dim}.  Concrete factors: `python -m "
                f"scaling_exponents derive -p NAME --{dim} {sym} --base-{dim} {sym}0`.", ""]
        for e in sect["entries"]:
            opt = f" ({e.optimizer})" if e.optimizer else ""
            marks = f" **{', '.join(e.labels)}**" if e.labels else ""
            out.append(f"- {md.link(md.code_span(e.name), f'params/{e.name}.md')}{md.escape(opt)}: "
                       f"{md.escape(e.rule)}{marks}")
            out += [f"  - {md.escape(n)}" for n in e.flagged]
        if sect["no_rule"]:
            out += ["", f"No rule along {dim}:", ""]
            out += [f"- {md.link(md.code_span(n), f'params/{n}.md')}: {md.escape(why)}" for n, why in sect["no_rule"]]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
