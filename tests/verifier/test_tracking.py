"""--log: TensorBoard event files and the MLflow file store, read back (per-run curves = the stored results; the
final table = transfer.json); W&B offline run files; a resumed sweep does not log a run twice.

Expected values: round trip: the curves and table must equal the same sweep's own results.jsonl / transfer.json,
read back with the external clients (tensorboard 2.21 EventAccumulator, mlflow-skinny 3.17 MlflowClient, wandb 0.31
offline files); run names, counts and error wording are the project's own output.

Kind: external library (tensorboard, mlflow-skinny, wandb clients read back); regression: the project's own output (run names, wording).
"""

import json

import pytest

pytest.importorskip("torch")

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.evidence.store import config_key  # noqa: E402
from scaling_exponents.verifier import tracking  # noqa: E402


@pytest.fixture(scope="module")
def tb_sweep(tiny_transfer):
    pytest.importorskip("tensorboard")
    out = tiny_transfer.out
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return out, rows, json.loads((out / "transfer.json").read_text()), tiny_transfer.argv


def test_tensorboard_event_files_hold_each_runs_curve_and_the_table(tb_sweep):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out, rows, summary, argv = tb_sweep
    assert len(rows) == 6
    for row in rows:
        acc = EventAccumulator(str(out / "tensorboard" / tracking.run_name(row["config"])))
        acc.Reload()
        assert [round(e.value, 5) for e in acc.Scalars("loss")] == [round(v, 5) for v in row["result"]["curve"]]
    acc = EventAccumulator(str(out / "tensorboard" / "lr_transfer"))
    acc.Reload()
    assert acc.Scalars("mup/width/drift")[0].value == pytest.approx(summary["params"]["mup"]["drift"]["slope"], 1e-6)
    assert "lr_transfer/text_summary" in acc.Tags()["tensors"]
    assert len((out / "tensorboard_logged.txt").read_text().split()) == 6
    assert main(argv + ["--out", str(out), "--log", "tensorboard"]) == 0  # rerun: everything from the store ...
    assert len((out / "tensorboard_logged.txt").read_text().split()) == 6  # ... and nothing logged twice
    assert len(list((out / "tensorboard" / tracking.run_name(rows[0]["config"])).iterdir())) == 1


def test_mlflow_file_store_holds_runs_and_table(tb_sweep, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out, rows, summary, argv = tb_sweep
    assert main(argv + ["--out", str(out), "--log", "mlflow"]) == 0  # runs from the store are logged too
    client = MlflowClient((out / "mlruns").resolve().as_uri())
    exp = client.get_experiment_by_name("scaling_exponents")
    runs = {r.info.run_name: r for r in client.search_runs([exp.experiment_id])}
    assert len(runs) == 6 + 1
    for row in rows:
        run = runs[tracking.run_name(row["config"])]
        assert run.data.params["width"] == str(row["config"]["width"]) and run.data.tags["config_key"] == row["key"]
        hist = sorted(client.get_metric_history(run.info.run_id, "loss"), key=lambda m: m.step)
        assert [m.value for m in hist] == pytest.approx(row["result"]["curve"], rel=1e-9)
    table = runs["lr_transfer"]
    assert table.data.metrics["mup/width/drift"] == pytest.approx(summary["params"]["mup"]["drift"]["slope"])
    art = json.loads((out / "mlruns" / exp.experiment_id / table.info.run_id / "artifacts" / "lr_transfer.json")
                     .read_text())
    assert art["columns"][:4] == ["param", "dimension", "predicted_if_transfers", "drift"] and art["rows"][0][0] == "mup"


def test_wandb_offline_writes_local_runs_only(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    for var in ("WANDB_MODE", "WANDB_PROJECT", "WANDB_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")
    tr = tracking.WandbTracker(tmp_path)
    config = {"kind": "coord", "param": "mup", "width": 64, "lr": 0.01}
    result = {"loss": [[2.0, 1.0], [4.0, 3.0]], "metrics": {"head|act_delta|t1": [0.5, 1.5], "head|act_delta": [1.0]}}
    assert tracking.curves(result) == {"loss": [3.0, 2.0], "head/act_delta": [1.0]}
    tr.log_run(config, result)
    tr.log_run(config, result)  # the same run again: skipped
    tr.log_table("measured_vs_predicted", ["param", "layer", "predicted", "measured"], [["mup", "head", 0.0, 0.02]])
    runs = sorted((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 2 and all(list(r.glob("*.wandb")) for r in runs)
    assert not list((tmp_path / "wandb").glob("run-*"))  # nothing synced online
    table = json.loads(next((tmp_path / "wandb").rglob("*.table.json")).read_text())
    assert table["columns"] == ["param", "layer", "predicted", "measured"] and table["data"] == [["mup", "head", 0.0, 0.02]]
    assert (tmp_path / "wandb_logged.txt").read_text().split() == [config_key(config)]


def test_unknown_backend_is_a_user_error(tmp_path):
    import argparse

    from scaling_exponents.errors import UserError

    with pytest.raises(UserError, match="--log must be one of tensorboard, wandb, mlflow; got 'neptune'"):
        tracking.from_args(argparse.Namespace(log="neptune"), tmp_path)
    assert tracking.from_args(argparse.Namespace(log=None), tmp_path) is None
