"""Executors: a failed task is reported with its config and does not stop the others; --retry; the progress bar's
counts; the same config and seed give identical results locally, on Ray and as a (submitit) SLURM job array.

Expected values: the tasks are built in the test, so their results and errors are known; the Ray (2.60) and submitit
(1.5.4, 'debug' cluster) runs must equal the local executor's results from the same module. The event sequence, bar
counts and message wording are regression: the project's own output.
"""

import pytest

pytest.importorskip("torch")

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.evidence.store import ResultStore  # noqa: E402
from scaling_exponents.verifier.executors import SweepFailed, drive  # noqa: E402
from scaling_exponents.verifier.executors.local import LocalExecutor  # noqa: E402
from scaling_exponents.verifier.sweep import run_tasks  # noqa: E402


def _boom():
    raise ValueError("width 8 diverged")


class _Flaky:
    """Fails on its first call, succeeds on the second (a transient error --retry should absorb)."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("transient")
        return {"final": [1.0]}


def _ok(i):
    return lambda: {"final": [float(i)]}


def test_failed_task_reports_config_and_error_and_others_finish(tmp_path, capsys):
    store = ResultStore(tmp_path / "r.jsonl")
    tasks = [({"kind": "t", "width": w}, _boom if w == 8 else _ok(w)) for w in (4, 8, 16, 32)]
    with pytest.raises(SweepFailed) as e:
        run_tasks(tasks, store, progress=False)
    assert "1 of 4 runs failed" in str(e.value) and "the 3 finished are stored" in str(e.value)
    err = capsys.readouterr().err
    assert '{"kind": "t", "width": 8}' in err and "ValueError: width 8 diverged" in err
    assert len(ResultStore(tmp_path / "r.jsonl")) == 3  # the others ran and were stored
    calls = []
    fixed = [(c, (lambda c=c: calls.append(c["width"]) or {"final": [0.0]})) for c, _ in tasks]
    res = run_tasks(fixed, ResultStore(tmp_path / "r.jsonl"), progress=False)  # rerun: only the failed one
    assert calls == [8] and [r["final"][0] for r in res] == [4.0, 0.0, 16.0, 32.0]


def test_retry_reruns_a_failed_task_and_counts_show_in_the_bar(capsys):
    tasks = [({"kind": "t", "width": 1}, _ok(1)), ({"kind": "t", "width": 2}, _Flaky())]
    with pytest.raises(SweepFailed):
        run_tasks(tasks, ResultStore(None), progress=False, retry=0)
    flaky = _Flaky()
    tasks[1] = (tasks[1][0], flaky)
    res = run_tasks(tasks, ResultStore(None), progress=True, retry=1)
    assert flaky.calls == 2 and res[1] == {"final": [1.0], "seconds": res[1]["seconds"]}
    err = capsys.readouterr().err
    assert "failed, retrying (attempt 1)" in err and "finished=2 running=0 failed=0" in err
    kinds = [ev.kind for ev in drive(LocalExecutor(), [(0, {}, _boom)], retry=2)]
    assert kinds == ["start", "retry", "start", "retry", "start", "fail"]


@pytest.fixture(scope="module")
def tiny(tiny_transfer):
    """Run the tiny sweep into a directory with other executor flags; its results."""
    def run(out, executor_args):
        assert main(tiny_transfer.argv + ["--out", str(out)] + executor_args) == 0
        return tiny_transfer.results(out)
    return run


@pytest.fixture(scope="module")
def local_results(tiny_transfer):
    return tiny_transfer.results(tiny_transfer.out)


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    import os

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


def test_ray_gives_identical_results_and_reports_failures(ray_cluster, tiny, local_results, tmp_path, capsys):
    from scaling_exponents.verifier.executors.ray import RayExecutor

    assert tiny(tmp_path / "ray", ["--executor", "ray", "--retry", "1"]) == local_results
    assert len(local_results) == 6 and all(len(f) == 2 for f, _ in local_results.values())
    tasks = [({"kind": "t", "width": w}, _boom if w == 8 else _ok(w)) for w in (4, 8)]
    with pytest.raises(SweepFailed, match="1 of 2 runs failed"):
        run_tasks(tasks, ResultStore(None), progress=False, executor=RayExecutor())
    assert "ValueError: width 8 diverged" in capsys.readouterr().err


def test_slurm_job_array_gives_identical_results(tiny, local_results, tmp_path):
    pytest.importorskip("submitit")
    out = tmp_path / "slurm"
    assert tiny(out, ["--executor", "slurm", "--slurm-cluster", "debug"]) == local_results
    assert (out / "slurm").is_dir()  # submitit's pickles and logs


def test_slurm_without_a_cluster_is_a_user_error(tmp_path, capsys):
    pytest.importorskip("submitit")
    import shutil

    if shutil.which("sbatch"):
        pytest.skip("this machine has SLURM")
    assert main(["transfer", "--param", "mup", "--out", str(tmp_path), "--executor", "slurm"]) == 2
    err = capsys.readouterr().err
    assert "--slurm-cluster local" in err and len(err.strip().splitlines()) == 1
