"""The typed verify entry ``evidence/summary_record.py``: status / passed / failed computed from rows, the exact dict
(keys and their order) every sweep used to build, and no verifier module building that dict by hand any more.

Where the expected values come from: **independent computation** -- hand-counted row lists for the verdict rule
stated in the module (pass iff there are rows and none fails; ``info`` rows not counted), and **the committed
evidence**: every entry of ``catalog/verification/**/summaries.json`` (written by the sweeps' old dict literals) must
come back key for key, in order, byte for byte, and :func:`summary_json` of the rebuilt entry must equal the committed
``results.json`` entry in every field that is not a calibration class (``verdict`` / ``classes`` are re-derived by
:mod:`scaling_exponents.evidence.calibrate`, which has moved on since some of those files were written).

Kind: independent computation + regression against committed results (the AST scan has a planted-violation
self-test).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from scaling_exponents.evidence.summary import summary_json
from scaling_exponents.evidence.summary_record import VERDICT_KEYS, Summary, plain, status_of, tally

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted((ROOT / "catalog" / "verification").rglob("summaries.json"))
VERIFIER = ROOT / "scaling_exponents" / "verifier"


def _row(verdict: str, layer: str = "hidden") -> dict:
    return {"layer": layer, "quantity": "act_delta", "verdict": verdict}


def _table(title="T", cite="paper, arXiv 0000.00000"):
    return SimpleNamespace(title=title, source=SimpleNamespace(cite=lambda: cite))


def _minimal(rows, **more):
    return Summary.of(_table(), rows, param="mup", label="mup", optimizer="adam", model="mlp", seeds=2, r={},
                      notes=[], **more)


def test_one_failed_row_fails_the_entry_and_is_counted():
    s = _minimal([_row("pass", "a"), _row("fail", "b"), _row("pass", "c"), _row("info", "d")])
    assert (s.status, s.passed, s.failed) == ("fail", 2, 1)
    assert (s["status"], s["passed"], s["failed"]) == ("fail", 2, 1)


def test_no_rows_fails_and_info_rows_are_not_counted():
    assert (status_of([]), tally([])) == ("fail", (0, 0))
    s = _minimal([])
    assert (s.status, s.passed, s.failed) == ("fail", 0, 0)
    only_info = _minimal([_row("info")])
    assert (only_info.status, only_info.passed, only_info.failed) == ("pass", 0, 0)  # the rule verify always had
    assert _minimal([_row("pass"), _row("pass")]).status == "pass"


def test_verdict_follows_the_rows_not_a_stored_value():
    rows = [_row("pass")]
    s = _minimal(rows)
    assert s.status == "pass"
    rows[0]["verdict"] = "fail"  # e.g. a re-scored row: the entry's status moves with it
    assert (s.status, s.passed, s.failed) == ("fail", 0, 1)


def test_computed_keys_cannot_be_given():
    for key in VERDICT_KEYS[:3]:
        with pytest.raises(TypeError, match="computed"):
            _minimal([_row("pass")], **{key: "pass"})
    with pytest.raises(TypeError, match="missing"):
        Summary.of(_table(), [], param="mup", label="mup")
    with pytest.raises(TypeError, match="title"):
        Summary.of(None, [], param="mup", label="mup", notes=[])


def test_reads_like_the_dict_it_replaces():
    s = Summary.of(_table(), [_row("pass")], param="mup", label="mup@depth", model="resmlp", dimension="depth",
                   depths=[1, 2], seeds=2, r={}, notes=[])
    assert list(s) == ["param", "label", "model", "dimension", "title", "source", "depths", "seeds",
                       "status", "passed", "failed", "rows", "r", "notes"]
    assert list(_minimal([])) == ["param", "label", "optimizer", "model", "title", "source", "seeds", "status",
                                  "passed", "failed", "rows", "r", "notes"]
    assert s["title"] == "T" and s["source"] == "paper, arXiv 0000.00000" and s["depths"] == [1, 2]
    assert s.get("widths") is None and "widths" not in s  # a typed field the sweep did not give is no key
    with pytest.raises(KeyError):
        s["widths"]
    assert dict(s) == s.to_dict() == {**s} and s == s.to_dict()
    assert json.dumps(plain({"x": s})) == json.dumps({"x": s.to_dict()})


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.parent.relative_to(ROOT / "catalog")))
def test_committed_entries_round_trip_byte_for_byte(path):
    text = path.read_text()
    old = json.loads(text)
    rebuilt = {k: Summary.from_dict(v) for k, v in old.items()}
    for k, e in old.items():
        assert list(rebuilt[k]) == list(e)  # same keys, same order
        # what each sweep now does: title/source from the table, the verdict block computed, in their old places
        given = {x: v for x, v in e.items() if x not in VERDICT_KEYS + ("title", "source")}
        fresh = Summary.of(_table(e["title"], e["source"]), e["rows"], **given)
        assert json.dumps(fresh.to_dict()) == json.dumps(e)
    assert json.dumps(plain(rebuilt), indent=1) == json.dumps(old, indent=1)
    # results.json as the catalog reads it: identical from a Summary and from the dict
    assert json.dumps(summary_json(rebuilt), indent=2) == json.dumps(summary_json(json.loads(text)), indent=2)


def test_rebuilt_entries_give_the_committed_results_json():
    path = ROOT / "catalog" / "verification" / "depth"
    results = json.loads((path / "results.json").read_text())
    rebuilt = summary_json({k: Summary.from_dict(v) for k, v in json.loads((path / "summaries.json").read_text()).items()})
    assert set(rebuilt) == set(results) and results
    for label, entry in results.items():
        drop = ("verdict", "classes")  # calibration classes: re-derived by evidence.calibrate
        assert {k: v for k, v in rebuilt[label].items() if k not in drop} == \
            {k: v for k, v in entry.items() if k not in drop}
        assert rebuilt[label]["passed"] == entry["passed"] and rebuilt[label]["status"] == entry["status"]


def test_a_stored_status_its_rows_contradict_is_refused():
    e = json.loads(COMMITTED[0].read_text())
    label, entry = next(iter(e.items()))
    entry = dict(entry, passed=entry["passed"] + 1)
    with pytest.raises(ValueError, match=f"{label}.*passed"):
        Summary.from_dict(entry)


def hand_built(source: str) -> list[int]:
    """Lines of ``source`` that build a dict with a ``passed`` key by hand: a ``{...}`` literal with the key
    ``"passed"`` or a ``dict(..., passed=...)`` call (the entry must come from Summary.of / tally)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "passed" for k in node.keys):
            out.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
              and any(kw.arg == "passed" for kw in node.keywords)):
            out.append(node.lineno)
    return out


def test_scan_finds_a_planted_hand_built_summary():
    planted = ('def f(rows, n_fail):\n    x = 1\n    return {"status": "pass" if rows and not n_fail else "fail",\n'
               '            "passed": sum(r["verdict"] == "pass" for r in rows), "failed": n_fail}\n'
               'def g(rows):\n    return dict(status="fail", passed=0)\n')
    assert hand_built(planted) == [3, 6]
    assert hand_built('def f(t, rows):\n    return Summary.of(t, rows, param="p", label="p", notes=[])\n'
                      'def g(rows):\n    return {"status": "info", **tally(rows)._asdict()}\n') == []


def test_no_verifier_module_builds_the_summary_by_hand():
    found = {str(p.relative_to(ROOT)): lines for p in sorted(VERIFIER.rglob("*.py"))
             if (lines := hand_built(p.read_text()))}
    assert found == {}
