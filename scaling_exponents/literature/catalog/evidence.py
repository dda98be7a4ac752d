"""Empirical verdicts for the catalog: what ``verify`` wrote under ``<out>/verification/`` (never written here),
linked to the report beside each ``results.json``, and, for a parametrization that this toolkit cannot measure,
the stated reason and the experiment that would measure it (``papers/not_measured.csv``).

``catalog --check`` fails when a parametrization has neither a verdict nor a stated reason
(:func:`missing_evidence`), so a new table cannot land without evidence or an explanation."""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

from ...errors import UserError
from .. import markdown as md
from .results import NO_GPU, ROOT, _clean

#: Parametrizations that cannot be measured here: parametrization, reason, what would measure it, source.
NOT_MEASURED = ROOT / "papers" / "not_measured.csv"
NOT_MEASURED_COLUMNS = ("parametrization", "reason", "would_measure")


class Verification(dict):
    """``{parametrization: verdict text}`` plus ``reports``: ``{parametrization: [report path relative to out]}`` and
    ``classes``: ``[(parametrization, entry label, layer|quantity, RowVerdict)]`` of every row that did not pass;
    ``calibration``: the calibration headline line (or None)."""

    reports: dict[str, list[str]]
    classes: list[tuple]


def _summaries(folder: Path) -> dict:
    """``summaries.json`` beside a ``results.json`` (full rows with per-seed values), {} when absent."""
    path = folder / "summaries.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def load_verification(out_dir: Path) -> dict[str, str] | None:
    """``{parametrization: "pass on cpu (mlp, adam: 22/22 exponents)" | "FAIL: <class> (...) on cpu (...)"}``; None
    when never run.

    Reads ``verification/results.json`` (width sweeps) and ``verification/*/results.json`` (e.g. depth sweeps)
    as written by ``python -m scaling_exponents verify``
    (:func:`scaling_exponents.evidence.summary.summary_json`): ``{label: {"param", "optimizer", "model",
    "device", "status": "pass"|"fail", "passed", "failed", "failed_rows"}}``.  Each entry is classified
    (:func:`scaling_exponents.evidence.calibrate.classify_entry`) from the ``summaries.json`` beside it (per-seed
    values: finite-size trends are read off them), else from ``results.json`` and ``papers/diagnoses/``.
    """
    from ...evidence.calibrate import cell, classify_entry
    from ...systems.registry import normalize

    root = Path(out_dir) / "verification"
    paths = sorted(p for p in [root / "results.json", *root.glob("*/results.json")] if p.is_file())
    if not paths:
        return None
    try:
        runs, reports = [], {}
        for p in paths:
            folder = p.parent.relative_to(Path(out_dir))
            report = next((folder / n for n in ("report.md", "transfer.md") if (p.parent / n).is_file()), None)
            full = _summaries(p.parent)
            for label, r in json.loads(p.read_text(encoding="utf-8")).items():
                if r.get("contrast"):  # a contrast run beside another table's sweep (density: muP), not a verdict
                    continue
                s = full.get(label)
                runs.append((r, label, s if isinstance(s, dict) and s.get("rows") is not None else r))
                if report is not None:
                    reports.setdefault(normalize(r["param"]), set()).add(report.as_posix())
        runs.sort(key=lambda x: (x[0]["param"], x[0].get("dimension") or "width", x[0].get("optimizer") or "",
                                 x[0].get("model") or ""))
        seen: dict[str, list[str]] = {}
        classes = []
        for r, label, source in runs:
            n = int(r.get("passed", 0)) + int(r.get("failed", 0))
            what = (f"{r.get('dimension') or 'width'} sweep, {r.get('model', '?')}, {r.get('optimizer') or 'default'}: "
                    f"{r.get('passed', 0)}/{n} exponents")
            found = classify_entry({**r, **source}) if r["status"] != "pass" else {}
            text = cell(found, f"{r.get('device', '?')} ({what})")
            classes += [(normalize(r["param"]), label, key, v) for key, v in found.items()
                        if v.verdict not in ("pass", "info")]
            if str(r.get("expected", "")).startswith("fails as"):  # measured exponents = the predicted failure
                text += f"; {r['expected']}"
            seen.setdefault(normalize(r["param"]), []).append(text)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return {"*": f"verification/results.json unreadable: {_clean(str(e))}"}
    out = Verification({name: "; ".join(texts) for name, texts in seen.items()})
    out.reports = {name: sorted(paths) for name, paths in reports.items()}
    out.classes = classes
    out.calibration = _calibration(root)
    return out


def _calibration(root: Path) -> str | None:
    """The calibration headline (:func:`scaling_exponents.evidence.calibration.headline`) when
    ``verification/calibration/calibration.json`` exists beside the evidence."""
    from ...evidence.calibration import headline

    path = root / "calibration" / "calibration.json"
    if not path.is_file():
        return None
    try:
        return headline(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as e:
        return f"calibration.json unreadable: {_clean(str(e))}"


#: FAIL rows tolerated without a diagnosis; empty: every committed FAIL has a class and a reason
#: (papers/diagnoses/*.csv), and ``catalog --check`` fails on any new one.
PENDING_DIAGNOSIS: frozenset[tuple[str, str]] = frozenset()


def unexplained(verification) -> list[tuple[str, str, str]]:
    """``[(parametrization, entry label, layer|quantity)]`` of FAIL rows with class ``unexplained`` and no pending
    diagnosis (:data:`PENDING_DIAGNOSIS`): ``catalog --check`` fails on them (issue 22: no FAIL without a class)."""
    rows = getattr(verification, "classes", None) or []
    return [(p, label, key) for p, label, key, v in rows
            if v.verdict == "fail" and v.klass == "unexplained" and (p, key) not in PENDING_DIAGNOSIS]


def class_counts(verification) -> dict[str, int]:
    """How many rows that did not pass carry each class label (``fail: unexplained``, ``finite size``, ...)."""
    counts: dict[str, int] = {}
    for *_, v in getattr(verification, "classes", None) or []:
        counts[v.label] = counts.get(v.label, 0) + 1
    return dict(sorted(counts.items()))


def load_reasons(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """``{parametrization: (reason, what would measure it)}`` from ``papers/not_measured.csv`` ({} if absent)."""
    return _read_reasons(Path(path) if path is not None else NOT_MEASURED)


@functools.lru_cache(maxsize=4)
def _read_reasons(path: Path) -> dict[str, tuple[str, str]]:
    from ...systems.registry import get, normalize

    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in NOT_MEASURED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(f"{path.name} lacks column(s) {', '.join(missing)}; it needs {', '.join(NOT_MEASURED_COLUMNS)}")
        out = {}
        for i, row in enumerate(reader, start=2):
            name, reason, how = (row[c].strip() for c in NOT_MEASURED_COLUMNS)
            if not (name and reason and how):
                raise UserError(f"{path.name} line {i}: parametrization, reason and would_measure must all be given")
            get(name)  # an unknown name is a UserError naming the close matches
            out[normalize(name)] = (reason, how)
    return out


def _empirical(name: str, verification) -> str:
    """The verdict text, the stated reason it is not measured here, or that it has neither."""
    from ...systems.registry import normalize

    if verification is not None and "*" in verification:
        return verification["*"]
    key = normalize(name)
    if verification is not None and key in verification:
        return verification[key]
    reasons = load_reasons()
    if key in reasons:
        reason, how = reasons[key]
        return f"not measurable here: {reason} (would measure it: {how})"
    return NO_GPU if verification is None else "not in verification/results.json"


def empirical_md(name: str, verification, prefix: str = "", *, in_table: bool = False) -> str:
    """:func:`_empirical` as Markdown, linked to the report(s) it comes from (``prefix``: path to the catalog root)."""
    from ...systems.registry import normalize

    verdict = _empirical(name, verification)
    text = md.escape(verdict, in_table=in_table)
    reports = getattr(verification, "reports", {}).get(normalize(name), [])
    if reports and not verdict.startswith("not "):
        text += " " + ", ".join(md.link("evidence" if len(reports) == 1 else f"evidence {i}", prefix + r)
                                for i, r in enumerate(reports, start=1))
    return text


def missing_evidence(results, verification) -> list[str]:
    """Parametrizations with neither an empirical verdict nor a stated reason (``catalog --check`` fails on them)."""
    from ...systems.registry import normalize

    reasons = load_reasons()
    have = set(verification or {}) | set(reasons)
    return [r.name for r in results if normalize(r.name) not in have]
