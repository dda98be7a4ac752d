"""The results store never lets a bad record stand for a run and never lets two sweeps compute the same runs twice:
an empty result, a string metric or an unreported NaN metric is dropped with a warning (the run is recomputed, no
traceback, no silently changed verdict); a second sweep into the same results file is refused while the first runs.
Also: a sweep file with a key given twice, and ``verify --dtype nosuch``, are answered before any run.

Expected values: the store's contract (module doc of ``evidence/store.py``) and YAML 1.2 Sec. 3.2.1.1 (mapping keys
are unique); otherwise regression: the project's own contract.  Kind: planted corruptions and a concurrent writer (a second process holding the lock).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.evidence.store import ResultStore, config_key, unusable_result

GOOD = {"metrics": {"head|act_delta": [0.5, 0.6]}, "seconds": 1.0}


@pytest.mark.parametrize("result, why", [
    ({}, "empty result"),
    ({"metrics": {"head|act_delta": "0.5"}}, "metric 'head|act_delta' is '0.5', not a number"),
    ({"metrics": {"head|act_delta": [0.5, float("nan")]}}, "did not report it non-finite"),
    ({"metrics": {"head|act_delta": True}}, "not a number"),
])
def test_unusable_records_are_dropped_and_recomputed(tmp_path, result, why):
    path = tmp_path / "results.jsonl"
    rows = [{"key": config_key({"w": 1}), "config": {"w": 1}, "result": GOOD},
            {"key": config_key({"w": 2}), "config": {"w": 2}, "result": result}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.warns(UserWarning, match="unusable result ignored and recomputed"):
        store = ResultStore(path)
    assert {"w": 1} in store and {"w": 2} not in store and store.dropped == 1
    assert why in unusable_result(result)


def test_a_reported_divergence_is_kept():
    assert unusable_result({"metrics": {"a": float("inf")}, "nonfinite": ["a"]}) == ""


def test_a_second_sweep_into_the_same_file_is_refused(tmp_path):
    path = tmp_path / "results.jsonl"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from scaling_exponents.evidence.store import ResultStore
        with ResultStore({str(path)!r}).lock():
            print("locked", flush=True)
            time.sleep(30)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UserError, match="another sweep is writing .*results.jsonl right now"):
            with ResultStore(path).lock():
                pass
    finally:
        holder.kill()
        holder.wait()
    with ResultStore(path).lock():  # the lock died with its process
        pass


def test_the_lock_rereads_runs_finished_meanwhile(tmp_path):
    path = tmp_path / "results.jsonl"
    mine = ResultStore(path)
    ResultStore(path).add({"w": 3}, GOOD)  # another process finished this run after `mine` was loaded
    assert {"w": 3} not in mine
    with mine.lock():
        assert {"w": 3} in mine


def test_yaml_key_given_twice_is_refused(tmp_path, capsys):
    cfg = tmp_path / "sweep.yaml"
    cfg.write_text("param: mup\nwidths: 64,128\nseeds: 2\nwidths: 256,512\n")
    assert main(["verify", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'widths' is given twice (line 2 and line 4)" in err[0]


def test_bad_dtype_is_refused_before_any_run(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["verify", "-p", "mup", "--widths", "32,64", "--seeds", "2", "--dtype", "nosuch", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--dtype must be one of float32, tf32, bfloat16, float64, got 'nosuch'" in err[0]
    assert not (out / "results.jsonl").exists()


def test_a_dropped_line_is_said_once_not_again_when_the_lock_rereads(tmp_path):
    import warnings

    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"key": config_key({"w": 1}), "config": {"w": 1}, "result": {}}) + "\n")
    with pytest.warns(UserWarning, match="1 record"):
        store = ResultStore(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with store.lock():
            assert store.dropped == 1 and {"w": 1} not in store
