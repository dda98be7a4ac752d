"""Every file in papers/diagnoses/ (issue 22): the shared format (columns, class vocabulary, one-line reasons
<= 200 characters) and that every line still explains a FAIL in the committed evidence -- a line whose globs match
no failed row of any catalog/verification/**/results.json is stale (e.g. after a fix made the row pass).

Kind: regression (the committed evidence under catalog/verification and the format of papers/diagnoses, stated in
the issue 22 brief: columns parametrization,sweep,model,row,class,reason,evidence).
"""

import csv
import fnmatch
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "papers" / "diagnoses").glob("*.csv"))
COLUMNS = ["parametrization", "sweep", "model", "row", "class", "reason", "evidence"]
CLASSES = {"table wrong", "assumption broken", "probe limitation", "finite size", "fails as predicted"}


def _lines():
    out = []
    for path in FILES:
        with path.open(newline="") as f:
            out += [{**ln, "file": path.name} for ln in csv.DictReader(f)]
    return out


def _failed_rows():
    out = []
    for path in sorted((ROOT / "catalog" / "verification").rglob("results.json")):
        data = json.loads(path.read_text())
        for entry in data.values():
            if isinstance(entry, dict):
                for row in entry.get("failed_rows") or []:
                    out.append((entry.get("param"), entry.get("dimension") or "width", entry.get("model"), row))
    return out


def test_format():
    assert [p.name for p in FILES] == ["issue22_diagnosed.csv", "issue22_remeasured.csv"]
    for path in FILES:
        with path.open(newline="") as f:
            assert next(csv.reader(f)) == COLUMNS, path.name
    lines = _lines()
    assert len(lines) >= 20
    for ln in lines:
        assert ln["class"] in CLASSES, ln
        assert 0 < len(ln["reason"]) <= 200 and "\n" not in ln["reason"], ln["reason"]
        assert ln["evidence"].strip(), ln
        assert "|" in ln["row"], ln["row"]


@pytest.mark.parametrize("line", _lines(), ids=lambda ln: f"{ln['parametrization']}:{ln['sweep']}:{ln['row']}")
def test_every_line_matches_a_committed_failure(line):
    hits = [f for f in _failed_rows() if fnmatch.fnmatch(f[0] or "", line["parametrization"])
            and fnmatch.fnmatch(f[1], line["sweep"]) and fnmatch.fnmatch(f[2] or "", line["model"])
            and fnmatch.fnmatch(f[3], line["row"])]
    assert hits, f"stale diagnosis (no committed failed row matches): {line}"
