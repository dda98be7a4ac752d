"""Provenance in the results store: a run stored under another table or probe version is recomputed, not reused.

The silent path this guards (issue 23): the store key names the parametrization (``"param": "umup"``) but not its
table, so after u-muP gained its ``final_norm`` rows a rerun into the same ``--out`` reused the old runs and
:func:`~scaling_exponents.evidence.summary.fit_rows` dropped the rows predicted but not measured at every size.

Where the expected values come from: **independent computation** -- the table digest is recomputed here with
``hashlib``/``json`` from the rule in ``ExponentTable.digest``'s docstring, the real u-muP table is compared with
the same table without its ``final_norm`` rows, runs are counted with a trivial task function (as
tests/verifier/test_sweep_store.py does), and the committed stores' keys are recomputed from their configs.  No
torch: :func:`run_tasks` with trivial tasks never imports it.

Kind: independent computation (digest, keys, run counts); regression: the project's own warning and note wording.
"""

import dataclasses
import glob
import hashlib
import json
import warnings
from pathlib import Path

import pytest
import sympy

from scaling_exponents.evidence.prediction import Prediction, Predictions
from scaling_exponents.evidence.store import ResultStore, config_key, provenance
from scaling_exponents.evidence.summary import fit_rows
from scaling_exponents.systems.registry import derive
from scaling_exponents.verifier.sweep import run_tasks

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tables():
    """u-muP as derived now, and the same table before its final_norm rows were added (the change of issue 23)."""
    new = derive("umup")
    old = dataclasses.replace(new, rows=[r for r in new.rows if r.role != "final_norm"])
    assert len(old.rows) < len(new.rows)
    return old, new


def _tasks(calls, value):
    def make(w):
        def fn():
            calls.append(w)
            return {"metrics": {"x": [value]}}
        return fn
    return [({"kind": "fake", "param": "umup", "width": w}, make(w)) for w in (8, 16)]


def _quiet(fn):
    """Run ``fn`` and return (its value, the warnings it raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(w.message) for w in caught]


def test_digest_is_sha256_of_the_rows_and_ignores_notes(tables):
    old, new = tables
    blob = json.dumps([[r.role, r.quantity, r.dimension, str(r.power)] for r in new.rows], separators=(",", ":"))
    assert new.digest() == hashlib.sha256(blob.encode()).hexdigest()[:16]
    assert old.digest() != new.digest()
    renoted = dataclasses.replace(new, rows=[dataclasses.replace(r, note="edited") for r in new.rows])
    assert renoted.digest() == new.digest()  # a row's note is prose, not what the run applies
    first = new.rows[0]
    bumped = [dataclasses.replace(first, power=first.power + sympy.Rational(1, 2))] + list(new.rows[1:])
    assert dataclasses.replace(new, rows=bumped).digest() != new.digest()


def test_provenance_is_recorded_but_not_part_of_the_key(tables):
    cfg = {"kind": "fake", "param": "umup", "width": 8}
    prov = provenance(tables[1], "fake", 3)
    assert prov == {"table": tables[1].digest(), "probe": "fake v3"}
    assert provenance(None, "nngp", 1) == {"probe": "nngp v1"}
    assert config_key({**cfg, "provenance": prov}) == config_key(cfg)


def test_run_with_another_table_is_recomputed_with_one_warning(tmp_path, tables):
    old, new = tables
    path = tmp_path / "results.jsonl"
    calls = []
    run_tasks(_tasks(calls, 1.0), ResultStore(path), progress=False, provenance=provenance(old, "fake", 1))
    assert calls == [8, 16]
    calls.clear()
    results, said = _quiet(lambda: run_tasks(_tasks(calls, 2.0), ResultStore(path), progress=False,
                                             provenance=provenance(new, "fake", 1)))
    assert calls == [8, 16]  # both recomputed
    assert [r["metrics"]["x"] for r in results] == [[2.0], [2.0]]
    stale = [m for m in said if "recomputed" in m]
    assert len(stale) == 1, said  # one warning per sweep, not one per run
    assert f"2 run(s) of umup (table {old.digest()} -> {new.digest()})" in stale[0]
    again = ResultStore(path)  # latest write wins on reload; the new provenance is stored
    assert len(again) == 2 and len(path.read_text().splitlines()) == 4
    assert {r["config"]["provenance"]["table"] for r in again.rows()} == {new.digest()}
    assert again.get({**_tasks([], 0)[0][0], "provenance": provenance(new, "fake", 1)})["metrics"] == {"x": [2.0]}
    assert again.get({**_tasks([], 0)[0][0], "provenance": provenance(old, "fake", 1)}) is None  # stale: not it


def test_probe_version_bump_is_recomputed(tmp_path, tables):
    path = tmp_path / "results.jsonl"
    calls = []
    run_tasks(_tasks(calls, 1.0), ResultStore(path), progress=False, provenance=provenance(tables[1], "depth", 1))
    calls.clear()
    _, said = _quiet(lambda: run_tasks(_tasks(calls, 2.0), ResultStore(path), progress=False,
                                       provenance=provenance(tables[1], "depth", 2)))
    assert calls == [8, 16]
    assert any("2 run(s) of umup (probe depth v1 -> depth v2)" in m for m in said), said


def test_same_provenance_is_reused_without_warning(tmp_path, tables):
    path = tmp_path / "results.jsonl"
    prov = provenance(tables[1], "fake", 1)
    calls = []
    run_tasks(_tasks(calls, 1.0), ResultStore(path), progress=False, provenance=prov)
    calls.clear()
    results, said = _quiet(lambda: run_tasks(_tasks(calls, 2.0), ResultStore(path), progress=False, provenance=prov))
    assert calls == [] and said == []
    assert [r["metrics"]["x"] for r in results] == [[1.0], [1.0]]


def test_legacy_run_without_provenance_is_reused(tmp_path, tables):
    path = tmp_path / "results.jsonl"
    store = ResultStore(path)
    for cfg, _ in _tasks([], 0):  # written before provenance existed: the config has none
        store.add(cfg, {"metrics": {"x": [1.0]}})
    calls = []
    results, said = _quiet(lambda: run_tasks(_tasks(calls, 2.0), ResultStore(path), progress=False,
                                             provenance=provenance(tables[1], "fake", 1)))
    assert calls == [] and said == []
    assert [r["metrics"]["x"] for r in results] == [[1.0], [1.0]]


def test_committed_store_keys_are_unchanged():
    """The key still hashes exactly what it hashed before, so every committed run keeps being found."""
    checked = 0
    for f in sorted(glob.glob(str(ROOT / "catalog/verification/**/results.jsonl"), recursive=True)):
        for line in Path(f).read_text().splitlines():
            row = json.loads(line)
            if "config" in row:
                assert config_key(row["config"]) == row["key"], f
                checked += 1
    assert checked > 1000


def _preds():
    def pred(layer, quantity):
        return Prediction(layer, quantity, sympy.Integer(0), "update_rms ~ n^0", "test")
    return Predictions("umup", "adam", "full", [pred("h1", "act_delta"), pred("embed", "update_rms"),
                                                 pred("head", "update_rms")])


def test_prediction_measured_at_some_sizes_only_is_named_in_a_note():
    widths = [64, 128, 256]
    per = {w: {"h1|act_delta": [1.0, 1.1, 0.9]} for w in widths}
    per[128]["embed|update_rms"] = per[256]["embed|update_rms"] = [0.5, 0.5, 0.5]  # the new runs only
    preds = _preds()
    rows = fit_rows(preds, per, widths, tol=0.1)
    assert [(r["layer"], r["quantity"]) for r in rows] == [("h1", "act_delta")]
    assert preds.notes == ["embed|update_rms measured at 2 of 3 sizes: not fitted; rerun with a fresh --out"]
    fit_rows(preds, per, widths, tol=0.1)
    assert len(preds.notes) == 1  # a second fit of the same predictions does not repeat it
    full = _preds()
    fit_rows(full, {w: {"h1|act_delta": [1.0, 1.1, 0.9]} for w in widths}, widths, tol=0.1)
    assert full.notes == []  # head|update_rms measured nowhere: the probe does not record it, nothing is mixed
