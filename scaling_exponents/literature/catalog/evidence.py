"""Reading the empirical verdicts that ``verify`` wrote under ``<out>/verification/`` (never written here)."""

from __future__ import annotations

import json
from pathlib import Path

from .results import NO_GPU, _clean


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


def _empirical(name: str, verification) -> str:
    from ...systems.registry import normalize

    if verification is None:
        return NO_GPU
    if "*" in verification:
        return verification["*"]
    return verification.get(normalize(name), "not in verification/results.json")
