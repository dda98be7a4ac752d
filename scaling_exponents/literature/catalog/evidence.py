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
    """``{parametrization: verdict text}`` plus ``reports``: ``{parametrization: [report path relative to out]}``."""

    reports: dict[str, list[str]]


def load_verification(out_dir: Path) -> dict[str, str] | None:
    """``{parametrization: "pass on cpu (mlp, adam: 22/22 exponents)" | "FAIL ..."}``; None when never run.

    Reads ``verification/results.json`` (width sweeps) and ``verification/*/results.json`` (e.g. depth sweeps)
    as written by ``python -m scaling_exponents verify``
    (:func:`scaling_exponents.evidence.summary.summary_json`): ``{label: {"param", "optimizer", "model",
    "device", "status": "pass"|"fail", "passed", "failed", "failed_rows"}}``.
    """
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
            for r in json.loads(p.read_text(encoding="utf-8")).values():
                if r.get("contrast"):  # a contrast run beside another table's sweep (density: muP), not a verdict
                    continue
                runs.append(r)
                if report is not None:
                    reports.setdefault(normalize(r["param"]), set()).add(report.as_posix())
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
            if str(r.get("expected", "")).startswith("fails as"):  # measured exponents = the predicted failure
                text += f"; {r['expected']}"
            seen.setdefault(normalize(r["param"]), []).append(text)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return {"*": f"verification/results.json unreadable: {_clean(str(e))}"}
    out = Verification({name: "; ".join(texts) for name, texts in seen.items()})
    out.reports = {name: sorted(paths) for name, paths in reports.items()}
    return out


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
