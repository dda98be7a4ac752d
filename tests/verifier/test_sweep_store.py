"""Results store (resume after interruption, torn lines) and the verify/transfer CLI's error handling.

Where the expected values come from: the **measured** CLI outcome of tiny sweeps (all rows pass at --tol 0.5: exit
0) and the error messages the CLI documents; resume behaviour is checked by counting runs.

Kind: regression: the project's own output (CLI outcomes and error wording); independent computation (run counts).
"""

import json

import pytest

pytest.importorskip("torch")

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.evidence.store import ResultStore, config_key  # noqa: E402
from scaling_exponents.verifier.sweep import run_tasks  # noqa: E402


def _tasks(calls):
    def make(i):
        def fn():
            calls.append(i)
            return {"metrics": {"x": [float(i)]}}
        return fn
    return [({"kind": "fake", "width": 2 ** i}, make(i)) for i in range(6)]


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    path = tmp_path / "results.jsonl"
    calls = []

    def stop_after_3(k):
        if k == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_tasks(_tasks(calls), ResultStore(path), progress=False, after_run=stop_after_3)
    assert calls == [0, 1, 2] and len(path.read_text().splitlines()) == 3
    with open(path, "a") as f:  # a torn line from a kill mid-write is ignored, not fatal
        f.write('{"key": "abc", "conf')
    calls.clear()
    results = run_tasks(_tasks(calls), ResultStore(path), progress=False)
    assert calls == [3, 4, 5]  # only the rest ran
    assert [r["metrics"]["x"][0] for r in results] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    calls.clear()
    run_tasks(_tasks(calls), ResultStore(path), progress=False)
    assert calls == [] and len(ResultStore(path)) == 6
    assert config_key({"a": 1, "b": 2}) == config_key({"b": 2, "a": 1})


def test_sharding_splits_tasks(tmp_path):
    calls = []
    run_tasks(_tasks(calls), ResultStore(None), progress=False, shard=(1, 2))
    assert calls == [1, 3, 5]


@pytest.mark.parametrize("argv, needle", [
    (["verify", "--param", "mpu"], "unknown parametrization"),
    (["verify", "--param", "mup", "--widths", "64,abc"], "comma-separated integers"),
    (["verify", "--param", "mup", "--widths", "64"], "at least two"),
    (["verify", "--param", "mup", "--seeds", "1"], "--seeds"),
    (["verify", "--param", "mup", "--device", "tpu"], "--device"),
    (["verify", "--param", "mup", "--model", "mlp", "--depths", "2,4"], "residual network"),
    (["verify", "--param", "mup:lbfgs"], "supports optimizers"),
    (["transfer", "--param", "mup", "--lrs", "x"], "--lrs"),
])
def test_bad_input_is_one_line_exit_2(argv, needle, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cuda_request_without_gpu_is_a_user_error(capsys, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert main(["verify", "--param", "mup", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "cuda" in capsys.readouterr().err


def test_verify_cli_writes_report_and_resumes(tmp_path, capsys):
    argv = ["verify", "--param", "mup", "--widths", "32,64", "--seeds", "2", "--steps", "1", "--out", str(tmp_path),
            "--no-progress", "--tol", "0.5"]
    code = main(argv)
    summary = json.loads((tmp_path / "results.json").read_text())
    # measured: every row passes at --tol 0.5 (22 rows); exit 0 means "all pass" (1 would mean a failed row)
    assert code == 0 and summary["mup"]["status"] == "pass", summary["mup"]["failed_rows"]
    assert summary["mup"]["failed"] == 0 and summary["mup"]["passed"] >= 20
    assert summary["mup"]["device"] == "cpu"
    assert (tmp_path / "report.md").read_text().count("| embed |") >= 3
    assert (tmp_path / "coord_mup.png").stat().st_size > 10_000
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert main(argv) == code  # rerun: everything comes from the store
    assert (tmp_path / "results.jsonl").read_text().splitlines() == lines
