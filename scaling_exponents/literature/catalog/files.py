"""The generated file set: exports (JSON, CSV), ``render`` (every file in memory), ``check`` and ``write``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .dimensions import PAGE as DIMENSIONS_PAGE
from .dimensions import page as dimensions_page
from .evidence import _empirical, load_verification
from .oracle_check import collect
from .pages import _paper_page, _param_page
from .readme import _readme
from .results import ROOT

DEFAULT_OUT = ROOT / "catalog"


NOTEBOOK_DIR = ROOT / "notebooks"


#: Files and folders under ``--out`` that the generator owns (``--check`` compares exactly these).
OWNED_FILES = ("README.md", DIMENSIONS_PAGE, "parametrizations.csv", "parametrizations.json", "references.bib")


OWNED_DIRS = ("params", "papers")


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
    from ..bibliography import BIB_PATH, load_bibliography

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
    files[DIMENSIONS_PAGE] = dimensions_page()
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
