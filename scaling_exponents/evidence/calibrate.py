"""Calibrated verdicts of whole sweep entries: every row of a summary classified (:mod:`.verdicts`), the table's
own regime looked up in the engine, and the one-cell text the catalog shows.

What: :func:`classify_entry` takes one entry of ``summaries.json`` (rows with per-size per-seed ``values``) or, when
only the short ``results.json`` is at hand, its ``failed_rows`` (no values: no finite-size trend can be read, so
only the table's regime and the diagnoses classify them).  Why: the committed evidence gets classes without
re-running anything, and new runs get the same classes (:func:`.summary.summary_json`).

Torch-free.
"""

from __future__ import annotations

import functools

from .verdicts import RowVerdict, classify_row, entry_verdict, instability

#: Classes of a failing row, in the order the catalog cell lists them (the unexplained first).
FAIL_ORDER = ("unexplained", "table wrong", "assumption broken", "probe limitation", "finite size",
              "fails as predicted")


@functools.lru_cache(maxsize=256)
def table_regime(param: str, optimizer: str | None) -> tuple[str | None, str | None]:
    """``(regime, regime_source)`` the engine derives for ``param`` under ``optimizer`` (``derive -p``), or
    ``(None, None)`` when the table reports none or cannot be derived with that optimizer."""
    from ..systems.registry import derive, get

    try:
        spec = get(param)
        opt = optimizer if optimizer in (spec.optimizers or ()) else None
        if optimizer and opt is None:
            return None, None
        derived = derive(param, opt).derived or {}
    except Exception:  # noqa: BLE001 - a table that does not derive has no regime to report
        return None, None
    regime = derived.get("regime")
    return (str(regime) if regime is not None else None), derived.get("regime_source")


def sweep_of(entry: dict) -> str:
    """The sweep a diagnosis names: ``transfer`` for LR-transfer entries (``lr_opt`` / ``global|lr_opt_drift``),
    else the entry's ``dimension`` (``width`` when absent)."""
    rows = entry.get("failed_rows") or [f"{r['layer']}|{r['quantity']}" for r in entry.get("rows", [])]
    if "lr_opt" in entry or any(str(r).startswith("global|lr_opt") for r in rows):
        return "transfer"
    return entry.get("dimension") or "width"


def classify_entry(entry: dict, diagnoses=None) -> dict[str, RowVerdict]:
    """``{layer|quantity: RowVerdict}`` for every fitted row of a ``summaries.json`` entry, or for the failed rows
    of a ``results.json`` entry (no ``rows``)."""
    param = entry["param"]
    sweep, model = sweep_of(entry), entry.get("model")
    rows = entry.get("rows")
    if rows is None:
        rows = []
        for key in entry.get("failed_rows", []):
            layer, _, quantity = str(key).partition("|")
            rows.append({"layer": layer, "quantity": quantity, "verdict": "fail"})
    unstable = ""
    if any(r.get("verdict") == "fail" for r in rows):
        regime, source = table_regime(param, entry.get("optimizer"))
        unstable = instability(regime, source, entry.get("expected"))
    return {f"{r['layer']}|{r['quantity']}": classify_row(r, param=param, sweep=sweep, model=model, unstable=unstable,
                                                          diagnoses=diagnoses) for r in rows}


def verdict_of(classes: dict[str, RowVerdict]) -> str:
    """The entry's verdict: pass | finite size | fails as predicted | fail."""
    return entry_verdict(classes.values())


def groups(classes: dict[str, RowVerdict]) -> list[tuple[str, list[str], str]]:
    """Non-passing rows grouped by (class, reason): ``[(class, [rows], reason)]``, failing classes first."""
    out: dict[tuple[str, str], list[str]] = {}
    for key, v in classes.items():
        if v.verdict in ("pass", "info"):
            continue
        quiet = v.verdict == "finite size" or v.klass == "unexplained"  # per-row slopes / nothing to say
        out.setdefault((v.klass, "" if quiet else v.reason), []).append(key)

    def rank(item):
        (klass, _), _rows = item
        fail = any(classes[k].verdict == "fail" for k in _rows)
        return (0 if fail else 1, FAIL_ORDER.index(klass) if klass in FAIL_ORDER else len(FAIL_ORDER))

    return [(k, rows, reason) for (k, reason), rows in sorted(out.items(), key=rank)]


def cell(classes: dict[str, RowVerdict], where: str, max_rows: int = 3) -> str:
    """One catalog cell: ``FAIL: assumption broken (head|act_delta: reason) on cpu (...)``, ``finite size (...) on
    cpu (...)``, ``fails as predicted (...)`` or ``pass on cpu (...)``; ``where`` is ``cpu (width sweep, ...)``."""
    verdict = verdict_of(classes)
    if verdict == "pass":
        return f"pass on {where}"
    parts = []
    for klass, rows, reason in groups(classes):
        shown = ", ".join(rows[:max_rows]) + (f" +{len(rows) - max_rows} more" if len(rows) > max_rows else "")
        parts.append(f"{klass} ({shown}" + (f": {reason}" if reason else "") + ")")
    head = "FAIL: " if verdict == "fail" else ""
    return f"{head}{'; '.join(parts)} on {where}"
