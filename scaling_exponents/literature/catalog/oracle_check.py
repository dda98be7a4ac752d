"""Deriving every parametrization and checking each against its paper's oracle rows
(``papers/oracles/*.csv``): a row equal to the derived table, a MISMATCH, disputed, or not comparable."""

from __future__ import annotations

import re
import time

from .results import (
    STATUS_DERIVED,
    STATUS_ORACLE,
    Combo,
    OracleVerdict,
    SpecResult,
    _combos,
    _Deriver,
    _num_like,
)


def oracle_files(key: str) -> list[str]:
    """Oracle CSVs of the paper ``key``: ``KEY.csv`` or ``PREFIX_KEY.csv`` (e.g. ``tp4_yang2020feature``)."""
    from .. import oracles

    return [s for s in oracles.available() if s == key or s.endswith("_" + key)]


def oracle_names(spec, stem: str) -> set[str]:
    """The names ``spec`` may have in oracle file ``stem``: its name, aliases, and the name without the file's
    prefix (``tp4-sp`` is ``sp`` in ``tp4_yang2020feature.csv``); ``spec.extra['oracle']`` adds more."""
    from ...systems.registry import normalize

    names = {normalize(spec.name)} | {normalize(a) for a in spec.aliases}
    prefix = stem[: -len(spec.source.key)].rstrip("_") if stem.endswith(spec.source.key) else ""
    if prefix and normalize(spec.name).startswith(normalize(prefix) + "-"):
        names.add(normalize(spec.name)[len(prefix) + 1:])
    extra = (spec.extra or {}).get("oracle")
    if extra:
        names |= {normalize(x) for x in ([extra] if isinstance(extra, str) else extra)}
    return names


def _num(text):
    from ...theory.exponents import Q

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
    from ...theory.exponents import fmt

    return fmt(v) if _num_like(v) else str(v)


def _check_row(spec, row, file, derive) -> OracleVerdict:
    from ...systems.registry import normalize
    from ...theory.exponents import fmt

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
    if is_regression(row):
        return OracleVerdict(file, row, "equal", shown, "regression row: the project's own output, not a published value")
    return OracleVerdict(file, row, "equal", shown)


def is_regression(row) -> bool:
    """An oracle row that records the project's own output (its note starts with REGRESSION) rather than a published
    value: it guards against regressions but is not evidence that the table matches the paper."""
    return str(row.note or "").lstrip().upper().startswith("REGRESSION")


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
    regression = [x for x in ok if is_regression(x.row)]
    ok = [x for x in ok if not is_regression(x.row)]
    reg = f"{len(regression)} regression rows (own output) equal" if regression else ""
    if ok:
        tail = f"; {len(nc)} not comparable" if nc else ""
        tail += f"; {len(disputed)} disputed published values differ as documented" if disputed else ""
        tail += f"; {reg}" if reg else ""
        return f"{STATUS_ORACLE} ({len(ok)} oracle rows equal{tail})"
    if reg:
        return f"{STATUS_DERIVED} ({reg}; no published row to compare with)"
    if nc:
        return f"{STATUS_DERIVED} ({len(nc)} oracle rows, none comparable)"
    return STATUS_DERIVED


def collect(specs=None) -> list[SpecResult]:
    """Derive every spec x optimizer x alignment and check each spec against its paper's oracle rows."""
    from ...systems.registry import all_specs, normalize
    from .. import oracles

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
