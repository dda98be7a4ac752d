"""``python -m scaling_exponents catalog``: generate ``catalog/`` from the registry, the bibliography and the oracles.

What it writes (all deterministic: sorted, no timestamps, no absolute paths):

* ``README.md``: every named parametrization with its key exponents, paper and verification status, then the
  literature list grouped by section (bib ``keywords``), each entry linked and marked with the
  parametrizations the toolkit encodes from it;
* ``params/NAME.md``: every optimizer x alignment table, the constraint system, r / regime, notes, citation;
* ``papers/KEY.md``: one page per paper that contributes a system: bib data, its parametrizations, its oracle
  rows with the verdict of each;
* ``parametrizations.json`` (a list of ``ExponentTable.to_dict()``, the schema of ``derive --format json``),
  ``parametrizations.csv`` (one row per exponent) and ``references.bib`` (a copy of papers/references.bib).

The verification status is computed here, not copied: a parametrization is "derived + oracle-checked" when
an oracle CSV of its paper (``papers/oracles/<prefix_>KEY.csv``) has rows for it and every comparable numeric
row equals the derived table; a differing row makes it "MISMATCH: ...".  Empirical results are read from
``<out>/verification/results.json`` when another tool has written it (any schema with a parametrization
name and a pass/fail per record); that folder is never written or compared here.

``--check`` renders in memory and compares with the files under ``--out``; it exits 1 naming every file that
differs, is missing, or is stale.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from . import markdown as md

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "catalog"
NOTEBOOK_DIR = ROOT / "notebooks"

#: Literature sections in display order (bib ``keywords``); unknown slugs follow alphabetically.
SECTIONS = {
    "key-papers": "Key papers",
    "depth": "Depth",
    "transfer-theory": "Transfer theory",
    "optimisers": "Optimisers",
    "architectures": "Architectures",
    "weight-decay": "Weight decay",
    "misc": "Miscellaneous",
    "resources-blog": "Resources: blog posts",
    "resources-talk": "Resources: talks",
    "resources-code": "Resources: code",
    "resources-notes": "Resources: notes",
}

#: Roles whose learning rate is "the hidden LR", in order of preference.
HIDDEN_ROLES = ("hidden", "weight", "matrix", "any")
READOUT_ROLES = ("readout",)

#: Files and folders under ``--out`` that the generator owns (``--check`` compares exactly these).
OWNED_FILES = ("README.md", "parametrizations.csv", "parametrizations.json", "references.bib")
OWNED_DIRS = ("params", "papers")

STATUS_ORACLE = "derived + oracle-checked"
STATUS_DERIVED = "derived"
NO_GPU = "not yet run"


# ------------------------------------------------------------------------------------------------
# Collecting: derive every spec x combination, check against the oracles
# ------------------------------------------------------------------------------------------------


@dataclass
class Combo:
    optimizer: str | None
    alignment: str | None
    table: object = None  # ExponentTable
    error: str | None = None
    seconds: float = 0.0  # derive time (reported by the CLI, never written)

    @property
    def label(self) -> str:
        parts = [self.optimizer or "", f"{self.alignment} alignment" if self.alignment else ""]
        return ", ".join(p for p in parts if p) or "default"

    @property
    def short(self) -> str:
        return "/".join(p for p in (self.optimizer, self.alignment) if p) or "default"


@dataclass
class OracleVerdict:
    file: str
    row: object  # oracles.OracleRow
    verdict: str  # "equal" | "MISMATCH" | "disputed" | "not comparable"
    derived: str = ""  # the derived value(s) compared with
    why: str = ""
    param_name: str | None = None  # the encoded parametrization the row was matched to


@dataclass
class SpecResult:
    spec: object  # ParamSpec
    combos: list[Combo]
    verdicts: list[OracleVerdict] = field(default_factory=list)
    status: str = STATUS_DERIVED
    empirical: str = NO_GPU

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def key(self) -> str:
        return self.spec.source.key

    @property
    def default(self) -> Combo | None:
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
        from ..systems import registry

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


def oracle_files(key: str) -> list[str]:
    """Oracle CSVs of the paper ``key``: ``KEY.csv`` or ``PREFIX_KEY.csv`` (e.g. ``tp4_yang2020feature``)."""
    from . import oracles

    return [s for s in oracles.available() if s == key or s.endswith("_" + key)]


def oracle_names(spec, stem: str) -> set[str]:
    """The names ``spec`` may have in oracle file ``stem``: its name, aliases, and the name without the file's
    prefix (``tp4-sp`` is ``sp`` in ``tp4_yang2020feature.csv``); ``spec.extra['oracle']`` adds more."""
    from ..systems.registry import normalize

    names = {normalize(spec.name)} | {normalize(a) for a in spec.aliases}
    prefix = stem[: -len(spec.source.key)].rstrip("_") if stem.endswith(spec.source.key) else ""
    if prefix and normalize(spec.name).startswith(normalize(prefix) + "-"):
        names.add(normalize(spec.name)[len(prefix) + 1:])
    extra = (spec.extra or {}).get("oracle")
    if extra:
        names |= {normalize(x) for x in ([extra] if isinstance(extra, str) else extra)}
    return names


def _num(text):
    from ..theory.exponents import Q

    try:
        return Q(text)
    except Exception:
        return None


def _same_value(a, b) -> bool:
    x, y = _num(a), _num(b)
    if x is not None and y is not None:
        return x == y
    return str(a).strip() == str(b).strip()


def _table_value(table, row):
    """The derived value for an oracle row: (kind, value) with kind "num"/"word", or None when not comparable."""
    for r in table.rows:
        if (r.role, r.quantity, r.dimension) == (row.role, row.quantity, row.dimension):
            return "num", r.power
    d = table.derived or {}
    if row.quantity in d and row.role in ("global", "", "any") and not isinstance(d[row.quantity], (dict, list)):
        v = d[row.quantity]
        num = _num(v) if not isinstance(v, str) else None
        return ("num", num) if num is not None else ("word", str(v))
    return None


def _key(name: str) -> str:
    """Option/variant names compared loosely: ``e_l``, ``eL`` and ``e-l`` are one key."""
    return re.sub(r"[_\-\s]", "", str(name)).lower()


def _show(v) -> str:
    from ..theory.exponents import fmt

    return fmt(v) if _num_like(v) else str(v)


def _check_row(spec, row, file, derive) -> OracleVerdict:
    from ..systems.registry import normalize
    from ..theory.exponents import fmt

    def nc(why):
        return OracleVerdict(file, row, "not comparable", "", why)

    opt_names = [o for o in spec.optimizers if o]
    al_names = [a for a in spec.alignments if a]
    if row.optimizer in ("", "any") or not opt_names:
        opts = opt_names or [None]
    elif normalize(row.optimizer) in opt_names:
        opts = [normalize(row.optimizer)]
    else:
        return nc(f"optimizer {row.optimizer} not covered")
    if row.alignment in ("", "any") or not al_names:
        als = al_names or [None]
    elif normalize(row.alignment) in al_names:
        als = [normalize(row.alignment)]
    else:
        return nc(f"alignment {row.alignment} not covered")
    by_key = {_key(o.name): o.name for o in spec.options}
    variant = {by_key.get(_key(k), k): v for k, v in row.variant_dict.items()}  # eL -> e_l
    options = {k: v for k, v in variant.items() if k in by_key.values() and v}

    expected_num = _num(row.power)
    compared, differ = [], []
    reasons = []
    for o in opts:
        for a in als:
            table, err = derive(spec, o, a, options)
            label = "/".join(x for x in (o, a) if x) or "default"
            if table is None:
                reasons.append(f"derive failed for {label}: {err}")
                continue
            tv = {_key(k): v for k, v in table.variant.items()}
            bad = [k for k, v in variant.items()
                   if k not in options and _key(k) in tv and v and not _same_value(tv[_key(k)], v)]
            if bad:  # the variant key may be an option under another name (TP4's L is --layers)
                renamed = dict(options)
                for k in bad:
                    same = [opt.name for opt in spec.options if opt.name not in renamed
                            and opt.default is not None and _same_value(opt.default, tv[_key(k)])]
                    if len(same) == 1:
                        renamed[same[0]] = variant[k]
                if renamed != options:
                    t2, err2 = derive(spec, o, a, renamed)
                    if t2 is not None:
                        table = t2
            # a bare word (``effective``, ``fan_out<fan_in``) names a variant: one of the table's variant values,
            # or the value of an option that yields it; otherwise the row is about a variant not derived here
            missing = []
            for word in (k for k, v in variant.items() if not v):
                if any(_show(x) == word for x in table.variant.values()):
                    continue
                for opt in spec.options:
                    if opt.name in options:
                        continue
                    t2, _ = derive(spec, o, a, {**options, opt.name: word})
                    if t2 is not None and any(_show(x) == word for x in t2.variant.values()):
                        table = t2
                        break
                else:
                    missing.append(word)
            if missing:
                reasons.append("variant " + ", ".join(repr(w) for w in missing) + " not derived by this parametrization")
                continue
            tv = {_key(k): v for k, v in table.variant.items()}
            bad_variant = [f"{k}={v} vs derived {k}={_show(tv[_key(k)])}" for k, v in variant.items()
                           if k not in options and _key(k) in tv and v and not _same_value(tv[_key(k)], v)]
            if bad_variant:
                reasons.append("variant " + "; ".join(bad_variant))
                continue
            got = _table_value(table, row)
            if got is None:
                reasons.append(f"no {row.role}/{row.quantity}/{row.dimension} in the derived table")
                continue
            kind, value = got
            if expected_num is not None:
                ok = kind == "num" and value == expected_num
                shown = fmt(value) if kind == "num" else str(value)
            else:  # a word such as a regime: "stable-nontrivial-kernel" vs derived "kernel"
                word, shown = row.power.strip().lower(), str(value)
                ok = kind == "word" and (word == shown.lower() or word.endswith("-" + shown.lower()))
            compared.append((label, shown))
            if not ok:
                differ.append((label, shown))
    if not compared:
        return nc("; ".join(dict.fromkeys(reasons)) or "nothing to compare")
    shown = ", ".join(dict.fromkeys(v for _, v in compared)) if len({v for _, v in compared}) == 1 else \
        ", ".join(f"{v} ({lbl})" for lbl, v in compared)
    if differ and row.status == "disputed":  # contradicted by the paper's own derivation or running code
        return OracleVerdict(file, row, "disputed", shown, "documented disagreement: " + row.note)
    if differ:
        return OracleVerdict(file, row, "MISMATCH", shown, "differs for " + ", ".join(lbl for lbl, _ in differ))
    return OracleVerdict(file, row, "equal", shown)


def _status(result: SpecResult) -> str:
    if result.default is None:
        return "derive FAILED"
    v = result.verdicts
    bad = [x for x in v if x.verdict == "MISMATCH"]
    ok = [x for x in v if x.verdict == "equal"]
    nc = [x for x in v if x.verdict == "not comparable"]
    if bad:
        r = bad[0].row
        first = (f"{r.role} {r.quantity} ({r.dimension}): published {r.power}, derived {bad[0].derived}"
                 + (f" [{r.optimizer or 'any optimizer'}{'/' + r.alignment if r.alignment else ''}"
                    f"{'; ' + r.variant if r.variant else ''}]"))
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        return f"MISMATCH: {first}{more} ({len(bad)} of {len(bad) + len(ok)} compared oracle rows differ)"
    disputed = [x for x in v if x.verdict == "disputed"]
    if ok:
        tail = f"; {len(nc)} not comparable" if nc else ""
        tail += f"; {len(disputed)} disputed published values differ as documented" if disputed else ""
        return f"{STATUS_ORACLE} ({len(ok)} oracle rows equal{tail})"
    if nc:
        return f"{STATUS_DERIVED} ({len(nc)} oracle rows, none comparable)"
    return STATUS_DERIVED


def collect(specs=None) -> list[SpecResult]:
    """Derive every spec x optimizer x alignment and check each spec against its paper's oracle rows."""
    from ..systems.registry import all_specs, normalize
    from . import oracles

    specs = all_specs() if specs is None else specs
    derive = _Deriver()
    results = []
    for spec in specs:
        combos = []
        for o, a in _combos(spec):
            t0 = time.perf_counter()
            table, err = derive(spec, o, a)
            combos.append(Combo(o, a, table, err, time.perf_counter() - t0))
        res = SpecResult(spec, combos)
        if res.default is not None:
            for stem in oracle_files(spec.source.key):
                names = oracle_names(spec, stem)
                for row in oracles.load(stem):
                    if normalize(row.param) in names:
                        res.verdicts.append(_check_row(spec, row, stem, derive))
        res.status = _status(res)
        results.append(res)
    return results


# ------------------------------------------------------------------------------------------------
# Empirical verification results (written by `python -m scaling_exponents verify`)
# ------------------------------------------------------------------------------------------------

def load_verification(out_dir: Path) -> dict[str, str] | None:
    """``{parametrization: "pass on cpu (mlp, adam: 22/22 exponents)" | "FAIL ..."}``; None when never run.

    Reads ``verification/results.json`` (width sweeps) and ``verification/*/results.json`` (e.g. depth sweeps)
    as written by ``python -m scaling_exponents verify``
    (:func:`scaling_exponents.evidence.summary.summary_json`): ``{label: {"param", "optimizer", "model",
    "device", "status": "pass"|"fail", "passed", "failed", "failed_rows"}}``.
    """
    from ..systems.registry import normalize

    root = Path(out_dir) / "verification"
    paths = sorted(p for p in [root / "results.json", *root.glob("*/results.json")] if p.is_file())
    if not paths:
        return None
    try:
        runs = [r for p in paths for r in json.loads(p.read_text(encoding="utf-8")).values()]
        runs.sort(key=lambda r: (r["param"], r.get("dimension") or "width", r.get("optimizer") or "",
                                 r.get("model") or ""))
        seen: dict[str, list[str]] = {}
        for r in runs:
            n = int(r.get("passed", 0)) + int(r.get("failed", 0))
            what = (f"{r.get('dimension') or 'width'} sweep, {r.get('model', '?')}, {r.get('optimizer') or 'default'}: "
                    f"{r.get('passed', 0)}/{n} exponents")
            if r["status"] == "pass":
                text = f"pass on {r.get('device', '?')} ({what})"
            else:
                failed = ", ".join(r.get("failed_rows", [])[:3])
                text = f"FAIL on {r.get('device', '?')} ({what}; failed: {failed})"
            seen.setdefault(normalize(r["param"]), []).append(text)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return {"*": f"verification/results.json unreadable: {_clean(str(e))}"}
    return {name: "; ".join(texts) for name, texts in seen.items()}


# ------------------------------------------------------------------------------------------------
# Rendering helpers
# ------------------------------------------------------------------------------------------------


def _cell(table, role, quantity, dims=None) -> str:
    """``n^-1 · L^(-1/2)`` for one (role, quantity); ``1`` when all powers are 0, ``-`` when absent."""
    from ..theory.exponents import fmt
    from ..theory.table import SYMBOL

    rows = [r for r in table.rows if (r.role, r.quantity) == (role, quantity) and (dims is None or r.dimension in dims)]
    rows.sort(key=lambda r: (r.dimension != "width", r.dimension != "depth", r.dimension))
    if not rows:
        return "-"
    parts = []
    for r in rows:
        if r.power != 0:
            p, sym = fmt(r.power), SYMBOL.get(r.dimension, r.dimension)
            parts.append(sym if p == "1" else f"{sym}^({p})" if "/" in p else f"{sym}^{p}")
    return " · ".join(parts) or "1"


def _role_for(table, prefs, quantity):
    roles = {r.role for r in table.rows if r.quantity == quantity}
    return next((r for r in prefs if r in roles), None)


def _hidden_lr(table) -> str:
    role = _role_for(table, HIDDEN_ROLES, "lr")
    if role is None:
        return "-"
    cell = _cell(table, role, "lr")
    return cell if role == "hidden" else f"{cell} ({role})"


def _other_dims(table) -> str:
    """Every nonzero exponent along a dimension other than width (depth, experts, ...)."""
    pairs = dict.fromkeys((r.role, r.quantity) for r in table.rows if r.dimension != "width" and r.power != 0)
    dims = {r.dimension for r in table.rows if r.dimension != "width"}
    return "; ".join(f"{role} {q}: {_cell(table, role, q, dims)}" for role, q in pairs) or "-"


def _regime(table) -> str:
    v = (table.derived or {}).get("regime")
    return str(v) if v is not None else "-"


def _author(a: str) -> str:
    if a.strip().lower() == "others":
        return "et al."
    if "," in a:
        last, first = a.split(",", 1)
        return f"{first.strip()} {last.strip()}".strip()
    return a


def _authors(entry) -> str:
    names = [_author(a) for a in entry.authors]
    if len(names) > 8:
        names = names[:6] + ["et al."]
    if names and names[-1] == "et al.":
        return ", ".join(names[:-1]) + " et al."
    return ", ".join(names)


def _cite(entry, key, prefix="") -> str:
    if entry is None:
        return md.escape(key)
    return md.link(md.escape(entry.short_cite), f"{prefix}papers/{key}.md")


def _entry_links(entry) -> str:
    links = []
    if entry.arxiv:
        links.append(md.link(f"arXiv {md.escape(entry.arxiv)}", f"https://arxiv.org/abs/{entry.arxiv}"))
    if entry.openreview:
        links.append(md.link("OpenReview", f"https://openreview.net/forum?id={entry.openreview}"))
    if entry.url and entry.url != entry.link and not (entry.openreview and "openreview.net" in entry.url):
        links.append(md.link("link", entry.url))
    return " · ".join(links)


def _empirical(name: str, verification) -> str:
    from ..systems.registry import normalize

    if verification is None:
        return NO_GPU
    if "*" in verification:
        return verification["*"]
    return verification.get(normalize(name), "not in verification/results.json")


GENERATED = ("<!-- generated by `python -m scaling_exponents catalog`; do not edit: "
             "edit the code or papers/ and regenerate -->")


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------


def _readme(results, bib, verification) -> str:
    by_key: dict[str, list[SpecResult]] = {}
    for r in results:
        by_key.setdefault(r.key, []).append(r)
    n_tables = sum(1 for r in results for c in r.combos if c.table is not None)
    out = [GENERATED, "", "# Catalog of muP-family parametrizations", "",
           f"{len(results)} named parametrizations from {len(by_key)} papers, {n_tables} derived exponent tables "
           "(every optimizer x alignment each paper covers), and the project's literature list "
           f"({len(bib)} entries).  Every table is **derived** from its paper's constraint system by "
           "`python -m scaling_exponents derive`; nothing here is copied from a paper.", "",
           "Regenerate with `python -m scaling_exponents catalog`; `python -m scaling_exponents catalog --check` "
           "fails when this folder is stale.", "",
           "- [Parametrizations](#parametrizations)",
           "- [Hidden-layer learning rate across optimizers](#hidden-layer-learning-rate-across-optimizers)",
           "- [Literature](#literature)",
           "- [Machine-readable exports](#machine-readable-exports)", "",
           "## Parametrizations", "",
           "Key exponents of each parametrization's default table (first optimizer and alignment it supports); "
           "each cell is the factor the quantity scales by (n = width, L = depth, E = experts, ...; 1 = constant). "
           "The page of each parametrization has every table and the constraint system.", ""]
    header = ["parametrization", "paper", "optimizers x alignments", "default", "hidden LR", "readout multiplier",
              "other dimensions", "regime", "status", "empirical check"]
    rows = []
    for r in results:
        entry = bib.get(r.key)
        d = r.default
        t = d.table if d else None
        combos = f"{sum(1 for c in r.combos if c.table is not None)}/{len(r.combos)}"
        opts = ",".join(o for o in r.spec.optimizers if o) or "-"
        als = ",".join(a for a in r.spec.alignments if a)
        rows.append([
            md.link(md.code_span(r.name, in_table=True), f"params/{r.name}.md"),
            _cite(entry, r.key),
            md.escape(f"{opts}" + (f" x {als}" if als else "") + f" ({combos})", in_table=True),
            md.escape(d.short if d else "-", in_table=True),
            md.escape(_hidden_lr(t), in_table=True) if t else "-",
            md.escape(_cell(t, "readout", "multiplier"), in_table=True) if t else "-",
            md.escape(_other_dims(t), in_table=True) if t else "-",
            md.escape(_regime(t), in_table=True) if t else "-",
            md.escape(r.status, in_table=True),
            md.escape(_empirical(r.name, verification), in_table=True),
        ])
    out += [md.table(header, rows), ""]
    out += ["Status: **derived + oracle-checked** = the paper's published table (transcribed in "
            "`papers/oracles/`) has rows for this parametrization and every comparable one equals the derived "
            "table; **derived** = no oracle rows to compare with; **MISMATCH** = a published value differs from the "
            "derived one (see the paper page); **disputed** published values are contradicted by the paper's own "
            "derivation or by running the reference code, and differ as documented in papers/oracles/README.md.  "
            "Rows are \"not comparable\" when the derived table has no such "
            "entry or covers another variant.  Empirical check: measured exponents vs derived ones, from "
            "[`verification/report.md`](verification/report.md) (`python -m scaling_exponents verify`; each "
            "cell names the device it ran on)."
            if verification is not None else "entry or covers another variant.  Empirical check: not yet run.", ""]

    failed = [(r, c) for r in results for c in r.combos if c.error]
    if failed:
        out += ["### Derivation failures", ""]
        out += [f"- {md.code_span(r.name)} ({md.escape(c.label)}): {md.escape(c.error)}" for r, c in failed]
        out.append("")

    # hidden LR by optimizer
    out += ["## Hidden-layer learning rate across optimizers", "",
            "The learning-rate factor of the hidden weights (or of the role named in brackets) for every "
            "optimizer and alignment a parametrization's paper covers.", ""]
    optimizers = []
    for r in results:
        for c in r.combos:
            if c.optimizer and c.optimizer not in optimizers:
                optimizers.append(c.optimizer)
    optimizers = sorted(optimizers, key=lambda o: (["sgd", "adam", "adamw", "adafactor"].index(o)
                                                   if o in ("sgd", "adam", "adamw", "adafactor") else 9, o))
    cols = optimizers or []
    has_none = any(c.optimizer is None for r in results for c in r.combos)
    if has_none:
        cols = cols + ["(no optimizer choice)"]
    rows = []
    for r in results:
        cells = []
        for o in cols:
            oo = None if o == "(no optimizer choice)" else o
            parts = []
            for c in r.combos:
                if c.optimizer != oo:
                    continue
                v = _hidden_lr(c.table) if c.table is not None else "FAILED"
                parts.append(f"{c.alignment}: {v}" if c.alignment else v)
            cells.append(md.escape("; ".join(parts), in_table=True) if parts else " ")
        rows.append([md.link(md.code_span(r.name, in_table=True), f"params/{r.name}.md")] + cells)
    out += [md.table(["parametrization"] + [md.escape(c, in_table=True) for c in cols], rows), ""]

    # literature
    out += ["## Literature", "",
            "The project's literature list (`references.bib`, a copy of `papers/references.bib`), grouped by "
            "section.  **encodes** marks the parametrizations the toolkit derives from a paper.", ""]
    sections: dict[str, list[tuple[str, bool]]] = {}
    for key, e in sorted(bib.items()):
        secs = e.sections or ("misc",)
        for i, s in enumerate(secs):
            sections.setdefault(s, []).append((key, i > 0))
    order = [s for s in SECTIONS if s in sections] + sorted(s for s in sections if s not in SECTIONS)
    for s in order:
        out += [f"### {SECTIONS.get(s, md.escape(s))}", ""]
        for key, also in sorted(sections[s], key=lambda kv: (kv[1], kv[0])):
            e = bib[key]
            if also:
                own = e.sections[0]
                out.append(f"- see also {md.link(md.escape(e.short_cite), '#' + key)} "
                           f"({md.escape(SECTIONS.get(own, own))}): {md.escape(e.title)}")
                continue
            line = f"- {md.anchor(key)}**{md.link(md.escape(e.title), e.link)}**"
            who = _authors(e)
            bits = [md.escape(who)] if who else []
            if e.venue:
                bits.append(f"*{md.escape(e.venue)}*")
            if e.year:
                bits.append(md.escape(e.year))
            line += ". " + ", ".join(bits) + "." if bits else "."
            links = _entry_links(e)
            line += f" {links} · {md.code_span(key)}" if links else f" {md.code_span(key)}"
            specs = by_key.get(key, [])
            if specs:
                line += (" · **encodes:** " + ", ".join(md.link(md.code_span(x.name), f"params/{x.name}.md")
                                                        for x in specs)
                         + f" ({md.link('paper page', f'papers/{key}.md')})")
            out.append(line)
        out.append("")
    missing = sorted(k for k in by_key if k not in bib)
    if missing:
        out += ["### Sources not in the bibliography", ""]
        for key in missing:
            out.append(f"- {md.anchor(key)}{md.code_span(key)} · **encodes:** "
                       + ", ".join(md.link(md.code_span(x.name), f"params/{x.name}.md") for x in by_key[key])
                       + f" ({md.link('paper page', f'papers/{key}.md')})")
        out.append("")

    out += ["## Machine-readable exports", "",
            "- [`parametrizations.json`](parametrizations.json): a list with one object per derived table, the "
            "schema of `derive --format json` (`rows` of `{role, quantity, dimension, power}`, `power` an exact "
            "rational string with `quantity ∝ dimension^power`).",
            "- [`parametrizations.csv`](parametrizations.csv): the same rows flat, one per exponent.",
            "- [`references.bib`](references.bib): the bibliography.",
            "- `params/NAME.md`, `papers/KEY.md`: one page per parametrization and per paper with a system.", ""]
    return "\n".join(out)


def _param_page(r: SpecResult, bib, verification) -> str:
    from ..theory.exponents import fmt

    spec, entry = r.spec, bib.get(r.key)
    out = [GENERATED, "", f"# `{r.name}`: {md.escape(spec.title)}", "",
           f"[catalog](../README.md) · paper: {_cite(entry, r.key, '../')}"
           + (f" ({md.link('arXiv ' + md.escape(spec.source.arxiv), 'https://arxiv.org/abs/' + spec.source.arxiv)})"
              if spec.source.arxiv else "")
           + (f", {md.escape(spec.source.where)}" if spec.source.where else ""), ""]
    if spec.summary:
        out += [md.escape(spec.summary), ""]
    facts = [f"- **status:** {md.escape(r.status)}", f"- **empirical check:** {md.escape(_empirical(r.name, verification))}"]
    if spec.family:
        facts.append(f"- **family:** {md.escape(spec.family)}")
    if spec.aliases:
        facts.append("- **aliases:** " + ", ".join(md.code_span(a) for a in spec.aliases))
    facts.append("- **optimizers:** " + (", ".join(md.code_span(o) for o in spec.optimizers if o) or "no choice"))
    facts.append("- **alignments:** " + (", ".join(md.code_span(a) for a in spec.alignments if a) or "no choice"))
    for o in spec.options:
        dflt = fmt(o.default) if _num_like(o.default) else o.default
        facts.append(f"- **option** `--{o.name}` (default `{dflt}`): {md.escape(o.help)}")
    facts.append(f"- derive it: `python -m scaling_exponents derive --param {r.name}"
                 + (f" --optimizer {r.default.optimizer}" if r.default and r.default.optimizer else "")
                 + (f" --alignment {r.default.alignment}" if r.default and r.default.alignment else "")
                 + " --show-system`")
    out += facts + [""]

    out += ["## Tables", "",
            "Each cell: the factor the quantity scales by (n = width, L = depth, ...; 1 = constant). "
            "JSON `power` = the exponent, e.g. `n^-1` is power -1.", ""]
    for c in r.combos:
        out += [f"### {md.escape(c.label)}", ""]
        if c.table is None:
            out += [f"derive failed: {md.escape(c.error)}", ""]
            continue
        t = c.table
        if t.convention:
            out += [f"Convention: {md.escape(t.convention)}", ""]
        out += [t.to_markdown(), ""]
        sol = t.solution
        if sol is not None:
            obj = fmt(sol.objective) if getattr(sol, "objective", None) is not None else "-"
            out += [f"Solver: status `{sol.status}`, certified optimal: {sol.certified}, unique optimum: "
                    f"{sol.unique}, objective {md.escape(obj)}.", ""]
        if t.system is not None:
            try:
                described = t.system.describe()
            except Exception as e:  # describe() is part of another module; never crash the catalog
                described = f"(describe() failed: {_clean(f'{type(e).__name__}: {e}')})"
            out += ["<details><summary>constraint system</summary>", "", "```text", _clean_block(described), "```",
                    "", "</details>", ""]
    if r.verdicts:
        out += ["## Published values (oracle rows)", "",
                f"Rows of {', '.join(md.code_span(f) for f in sorted({v.file for v in r.verdicts}))} for this "
                f"parametrization, compared with the derived tables ({md.link('all rows of the paper', f'../papers/{r.key}.md')}).", ""]
        out += [_oracle_table(r.verdicts, with_param=False), ""]
    out += ["## Citation", ""]
    out += _citation(entry, r.key, "../")
    return "\n".join(out) + "\n"


def _num_like(v) -> bool:
    import sympy

    return isinstance(v, (int, sympy.Rational)) and not isinstance(v, bool)


def _clean_block(text: str) -> str:
    text = _clean_paths(text)
    return text.replace("```", "`\u200b``")


def _clean_paths(text: str) -> str:
    return text.replace(str(ROOT) + "/", "").replace(str(ROOT), ".")


def _citation(entry, key, prefix) -> list[str]:
    if entry is None:
        return [f"`{key}` is not in `papers/references.bib`.", ""]
    lines = [f"- **{md.link(md.escape(entry.title), entry.link)}**",
             f"- {md.escape(_authors(entry))}" + (f", *{md.escape(entry.venue)}*" if entry.venue else "")
             + (f", {md.escape(entry.year)}" if entry.year else ""),
             f"- bib key {md.code_span(key)} ({md.link('literature list', prefix + 'README.md#' + key)}, "
             f"{md.link('references.bib', prefix + 'references.bib')})"]
    links = _entry_links(entry)
    if links:
        lines.append(f"- {links}")
    if entry.sections:
        lines.append("- sections: " + ", ".join(md.escape(SECTIONS.get(s, s)) for s in entry.sections))
    return lines + [""]


def _oracle_table(verdicts, with_param=True) -> str:
    header = (["parametrization"] if with_param else []) + [
        "optimizer", "alignment", "variant", "role", "quantity", "dimension", "published", "derived", "verdict",
        "provenance", "source"]
    rows = []
    for v in verdicts:
        r = v.row
        verdict = v.verdict if not v.why else f"{v.verdict}: {v.why}"
        cells = [r.optimizer or "any", r.alignment or "any", r.variant or "-", r.role, r.quantity, r.dimension,
                 r.power, v.derived or "-", verdict, r.status, r.source]
        cells = [md.escape(c, in_table=True) for c in cells]
        cells[8] = f"**{cells[8]}**" if v.verdict == "MISMATCH" else cells[8]
        rows.append(([md.link(md.code_span(v.param_name, in_table=True), f"../params/{v.param_name}.md")
                      if v.param_name else md.escape(r.param, in_table=True)] if with_param else []) + cells)
    return md.table(header, rows)


def _paper_page(key, specs: list[SpecResult], bib) -> str:
    from . import oracles

    entry = bib.get(key)
    title = md.escape(entry.title) if entry else md.code_span(key)
    out = [GENERATED, "", f"# {title}", "", f"[catalog](../README.md) · bib key {md.code_span(key)}", ""]
    out += _citation(entry, key, "../")
    out += ["## Parametrizations derived from this paper", ""]
    for r in specs:
        out.append(f"- {md.link(md.code_span(r.name), f'../params/{r.name}.md')}: {md.escape(r.spec.title)} "
                   f"({md.escape(r.spec.source.where or '-')}); **{md.escape(r.status)}**")
    out.append("")
    files = oracle_files(key)
    if not files:
        out += ["## Published values", "", "No oracle table of this paper in `papers/oracles/`.", ""]
        return "\n".join(out)
    checked = {(v.file, id(v.row)): v for r in specs for v in r.verdicts}
    for stem in files:
        rows = oracles.load(stem)
        verdicts = []
        for row in rows:
            v = checked.get((stem, id(row)))
            if v is None:
                v = OracleVerdict(stem, row, "not comparable", "", "no parametrization of this name is encoded")
            verdicts.append(v)
        n_eq = sum(v.verdict == "equal" for v in verdicts)
        n_bad = sum(v.verdict == "MISMATCH" for v in verdicts)
        out += [f"## Published values: `papers/oracles/{stem}.csv`", "",
                f"{len(rows)} rows: {n_eq} equal the derived table, {n_bad} MISMATCH, "
                f"{len(rows) - n_eq - n_bad} not comparable.  Provenance: `primary` = read in the paper, "
                "`secondary` = only in a transcription, `derived` = computed from the paper's equations.", ""]
        out += [_oracle_table(verdicts), ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# Exports
# ------------------------------------------------------------------------------------------------


def _exports(results) -> tuple[str, str]:
    dicts = [c.table.to_dict() for r in results for c in r.combos if c.table is not None]
    js = json.dumps(dicts, indent=2, ensure_ascii=False) + "\n"
    buf = io.StringIO()
    cols = ["parametrization", "optimizer", "alignment", "variant", "role", "quantity", "dimension", "power",
            "source_key", "source_arxiv", "source_where", "note"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for d in dicts:
        variant = ";".join(f"{k}={v}" for k, v in d["variant"].items())
        for rec in d["rows"]:
            w.writerow({"parametrization": d["parametrization"], "optimizer": d["optimizer"] or "",
                        "alignment": d["alignment"] or "", "variant": variant, "role": rec["role"],
                        "quantity": rec["quantity"], "dimension": rec["dimension"], "power": rec["power"],
                        "source_key": d["source"]["key"], "source_arxiv": d["source"]["arxiv"] or "",
                        "source_where": d["source"]["where"], "note": rec.get("note", "")})
    return js, buf.getvalue()


def render(out_dir: Path | None = None, results=None) -> dict[str, str]:
    """Every generated file as ``{relative path: text}`` (the verification status is read from ``out_dir``)."""
    from .bibliography import BIB_PATH, load_bibliography

    out_dir = Path(out_dir) if out_dir is not None else DEFAULT_OUT
    results = collect() if results is None else results
    bib = load_bibliography()
    verification = load_verification(out_dir)
    for r in results:
        r.empirical = _empirical(r.name, verification)
    for r in results:
        for v in r.verdicts:
            v.param_name = r.name
    files = {"README.md": _readme(results, bib, verification).rstrip("\n") + "\n"}
    for r in results:
        files[f"params/{r.name}.md"] = _param_page(r, bib, verification).rstrip("\n") + "\n"
    keys = sorted({r.key for r in results})
    for key in keys:
        files[f"papers/{key}.md"] = _paper_page(key, [r for r in results if r.key == key], bib).rstrip("\n") + "\n"
    files["parametrizations.json"], files["parametrizations.csv"] = _exports(results)
    files["references.bib"] = BIB_PATH.read_text(encoding="utf-8")
    return dict(sorted(files.items()))


def _existing(out_dir: Path) -> set[str]:
    found = {f for f in OWNED_FILES if (out_dir / f).is_file()}
    for d in OWNED_DIRS:
        if (out_dir / d).is_dir():
            found |= {f"{d}/{p.name}" for p in (out_dir / d).iterdir() if p.is_file()}
    return found


def check(out_dir: Path, files: dict[str, str]) -> list[str]:
    """Problems with ``out_dir`` vs the generated ``files``: '<path>: differs | missing | stale'."""
    problems = []
    for rel, text in files.items():
        p = out_dir / rel
        if not p.is_file():
            problems.append(f"{rel}: missing")
        elif p.read_text(encoding="utf-8") != text:
            problems.append(f"{rel}: differs")
    for rel in sorted(_existing(out_dir) - set(files)):
        problems.append(f"{rel}: stale (no longer generated)")
    return problems


def write(out_dir: Path, files: dict[str, str]) -> list[str]:
    """Write ``files`` under ``out_dir``; remove stale generated pages.  Returns the paths that changed."""
    changed = []
    for rel in sorted(_existing(out_dir) - set(files)):
        (out_dir / rel).unlink()
        changed.append(f"{rel} (removed)")
    for rel, text in files.items():
        p = out_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.is_file() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8")
            changed.append(rel)
    return changed


# ------------------------------------------------------------------------------------------------
# CLI plugin
# ------------------------------------------------------------------------------------------------


def add_arguments(parser) -> None:
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder (default: the repository's catalog/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming the files that differ from what the code generates")
    parser.add_argument("--notebooks", action="store_true",
                        help="also re-execute notebooks/*.ipynb and save them with their outputs (needs nbclient)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only problems")


def run(args) -> int:
    out_dir = Path(args.out) if args.out else DEFAULT_OUT
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {args.out} exists and is not a folder")
    t0 = time.perf_counter()
    results = collect()
    files = render(out_dir, results)
    slow = sorted(((sum(c.seconds for c in r.combos), r.name) for r in results), reverse=True)[:3]
    total = time.perf_counter() - t0
    if not args.quiet and total > 20:
        print("slowest parametrizations to derive: " + ", ".join(f"{n} {s:.1f} s" for s, n in slow), file=sys.stderr)
    if args.check:
        problems = check(out_dir, files)
        if problems:
            print(f"catalog is stale ({len(problems)} file(s)); regenerate with `python -m scaling_exponents catalog`:")
            for p in problems:
                print(f"  {p}")
            return 1
        if not args.quiet:
            print(f"catalog is current ({len(files)} files, {time.perf_counter() - t0:.1f} s)")
        return 0
    changed = write(out_dir, files)
    if not args.quiet:
        print(f"wrote {len(files)} files to {_display(out_dir)} ({len(changed)} changed, "
              f"{time.perf_counter() - t0:.1f} s)")
        for c in changed:
            print(f"  {c}")
    if args.notebooks:
        from .notebooks import execute_all

        for path, secs in execute_all(NOTEBOOK_DIR, save=True):
            if not args.quiet:
                print(f"executed {_display(path)} ({secs:.1f} s)")
    return 0


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
