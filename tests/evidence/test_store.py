"""The append-only JSONL result store (``evidence/store.py``): keys, rows, torn lines, persistence.

Where the expected values come from: **independent computation** -- the key is recomputed here with ``hashlib``
and ``json`` from the rule in the module docstring (sha256 of canonical JSON, sorted keys, no whitespace, first
16 hex digits); file contents are read back with ``json``.  No torch: runs in the mutation-testing quick profile.
"""

import hashlib
import json

from scaling_exponents.evidence.store import ResultStore, config_key


def test_key_is_sha256_of_canonical_json():
    cfg = {"width": 64, "lr": 0.01, "seeds": [0, 1], "param": "mup"}
    blob = '{"lr":0.01,"param":"mup","seeds":[0,1],"width":64}'
    assert config_key(cfg) == hashlib.sha256(blob.encode()).hexdigest()[:16]
    assert len(config_key(cfg)) == 16
    assert config_key({**cfg, "lr": 0.02}) != config_key(cfg)
    assert config_key({"b": 2, "a": 1}) == config_key({"a": 1, "b": 2})
    assert config_key({"p": ("x", 1)}) == config_key({"p": ["x", 1]})  # JSON has one sequence type
    # values JSON cannot encode (a Path, a torch dtype) are keyed by their str()
    from pathlib import PurePosixPath

    assert config_key({"out": PurePosixPath("a/b")}) == config_key({"out": "a/b"})


def test_memory_store_add_get_contains_len_rows():
    s = ResultStore(None)
    assert len(s) == 0 and s.rows() == [] and s.get({"a": 1}) is None and {"a": 1} not in s
    s.add({"a": 1}, {"metrics": {"x": [1.0]}})
    s.add({"a": 2}, {"metrics": {"x": [2.0]}})
    s.add({"a": 1}, {"metrics": {"x": [3.0]}})  # same key: the newer result replaces the older
    assert len(s) == 2 and {"a": 1} in s and {"a": 3} not in s
    assert s.get({"a": 1}) == {"metrics": {"x": [3.0]}}
    assert s.rows() == [{"key": config_key({"a": 1}), "config": {"a": 1}, "result": {"metrics": {"x": [3.0]}}},
                        {"key": config_key({"a": 2}), "config": {"a": 2}, "result": {"metrics": {"x": [2.0]}}}]


def test_file_store_appends_one_line_per_run_and_reloads(tmp_path):
    path = tmp_path / "sub" / "dir" / "results.jsonl"  # the parent folders are created
    s = ResultStore(path)
    s.add({"w": 1}, {"v": 1})
    s.add({"w": 2}, {"v": 2})
    lines = path.read_text().splitlines()
    assert [json.loads(x) for x in lines] == [{"key": config_key({"w": 1}), "config": {"w": 1}, "result": {"v": 1}},
                                             {"key": config_key({"w": 2}), "config": {"w": 2}, "result": {"v": 2}}]
    assert path.read_text().endswith("\n") and " " not in lines[0]
    t = ResultStore(path)
    assert len(t) == 2 and t.get({"w": 2}) == {"v": 2}


def test_torn_last_line_is_skipped_and_the_next_row_starts_on_a_new_line(tmp_path):
    path = tmp_path / "results.jsonl"
    ResultStore(path).add({"w": 1}, {"v": 1})
    with open(path, "a") as f:
        f.write('{"key": "abc", "conf')  # killed mid-write
    s = ResultStore(path)
    assert len(s) == 1
    s.add({"w": 2}, {"v": 2})
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["config"] == {"w": 2}
    assert len(ResultStore(path)) == 2


def test_a_line_that_is_not_a_row_is_a_user_error_naming_it(tmp_path):
    import pytest

    from scaling_exponents.errors import UserError

    path = tmp_path / "results.jsonl"
    path.write_text('{"key": "k", "config": {}, "result": {"v": 0}}\n[1, 2]\n')
    with pytest.raises(UserError, match=r"results.jsonl line 2 is not a result record"):
        ResultStore(path)
    path.write_text('{"key": "k", "config": {}, "result": {"v": 0}}\n\n')  # blank lines are fine
    assert len(ResultStore(path)) == 1


def test_numpy_floats_are_written_as_floats(tmp_path):
    import numpy as np

    path = tmp_path / "results.jsonl"
    ResultStore(path).add({"w": 1}, {"v": np.float32(0.5)})
    assert json.loads(path.read_text())["result"] == {"v": 0.5}


def test_empty_file_is_not_torn_and_a_one_byte_torn_line_is(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    ResultStore(empty).add({"w": 1}, {"v": 1})
    assert empty.read_text().startswith("{") and len(empty.read_text().splitlines()) == 1
    one = tmp_path / "one.jsonl"
    one.write_text("{")  # killed after one byte
    ResultStore(one).add({"w": 1}, {"v": 1})
    assert one.read_text().splitlines()[0] == "{" and json.loads(one.read_text().splitlines()[1])["result"] == {"v": 1}
