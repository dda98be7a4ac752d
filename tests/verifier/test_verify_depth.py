"""Depth sweeps in the verifier: depth exponents derived from the tables, measured on a tiny residual MLP (CPU).

Where the expected values come from: the **derived depth predictions** (CompleteP / Depth-muP tables) compared with
**measured** slopes on a tiny residual MLP; the exit status of the tiny CLI run is the measured one (all rows
pass).

Kind: paper table (the derived CompleteP / Depth-muP exponents) against measured slopes.
"""

import json

import pytest

torch = pytest.importorskip("torch")

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.systems.registry import derive  # noqa: E402
from scaling_exponents.theory.exponents import Q  # noqa: E402
from scaling_exponents.evidence import predict_depth as P  # noqa: E402
from scaling_exponents.verifier.verify import Target, verify_depth_target  # noqa: E402

DEPTHS = [2, 4, 8, 16]


pytestmark = pytest.mark.usefixtures("two_torch_threads")


def exps(preds):
    return {f"{p.layer}|{p.quantity}": p.exponent for p in preds.items}


def test_depth_predictions_are_derived_from_the_tables():
    cp = P.predict_depth(derive("completep"))
    assert (cp.r["alpha"], cp.r["gamma"]) == (1, 0)
    e = exps(cp)
    assert e["stream|act_init"] == 0 and e["blocks_sum|act_init"] == Q("-1/2") and e["branch|act_init"] == -1
    assert e["stream|act_delta"] == 0 and e["blocks_sum|act_delta"] == 0  # maximal update: alpha + gamma = 1
    assert e["branch|own_delta"] == -1 and e["branch|input_delta"] == -1  # complete: both terms L^-1
    assert e["hidden|dW_rms"] == 0 and e["features|act_delta"] == 0 and e["head|act_delta"] == 0

    dm = P.predict_depth(derive("depth-mup"))
    assert (dm.r["alpha"], dm.r["gamma"]) == (Q("1/2"), Q("1/2"))
    e = exps(dm)
    assert e["stream|act_init"] == 0 and e["blocks_sum|act_init"] == 0 and e["branch|act_init"] == Q("-1/2")
    assert e["stream|act_delta"] == 0 and e["branch|own_delta"] == -1
    assert e["branch|input_delta"] == Q("-1/2") and e["hidden|dW_rms"] == Q("-1/2")  # layerwise linearisation
    assert dm.get("branch", "act_delta").informational  # L^-1 own + L^-1/2 input: a crossover, not a verdict

    # the family member alpha = 1 of depth-muP's options is CompleteP's point; SGD uses TP6's map
    assert P.predict_depth(derive("depth-mup", "adamw", alpha=1)).r["gamma"] == 0
    assert P.predict_depth(derive("depth-mup", "sgd")).r["gamma"] == Q("1/2")

    mup = P.predict_depth(derive("mup-table8", "adam"))  # width muP only: an unscaled ResNet
    assert (mup.r["alpha"], mup.r["gamma"]) == (0, 0)
    e = exps(mup)
    assert e["blocks_sum|act_init"] == Q("1/2") and e["stream|act_delta"] == 1 and e["blocks_sum|act_delta"] == 1
    assert e["branch|own_delta"] == 0 and any("no depth rows" in n for n in mup.notes)
    assert exps(P.predict_depth(derive("mup", "adam"))) == e


def _rows(s):
    return {f"{r['layer']}|{r['quantity']}": r for r in s["rows"]}


def test_completep_stream_change_is_flat_in_depth_and_the_unscaled_one_grows():
    kw = dict(depths=DEPTHS, width=32, seeds=3, steps=2, batch=32)
    cp = _rows(verify_depth_target(Target("completep", "adamw", "completep"), **kw))
    for key in ("stream|act_delta", "blocks_sum|act_delta", "branch|own_delta", "blocks_sum|act_init"):
        assert cp[key]["verdict"] == "pass", cp[key]
    assert abs(cp["stream|act_delta"]["slope"]) < 0.15
    un = _rows(verify_depth_target(Target("mup", "adam", "mup:adam"), **kw))
    assert un["blocks_sum|act_delta"]["ci"][0] > 0.4 and un["blocks_sum|act_delta"]["theory"] == "blows up"
    assert un["stream|act_delta"]["ci"][0] > 0.3 and un["blocks_sum|act_init"]["verdict"] == "pass"


def test_depth_cli_writes_labelled_entries_and_resumes(tmp_path):
    argv = ["verify", "--param", "depth-mup", "--model", "resmlp", "--depths", "2,4", "--width", "32", "--seeds", "2",
            "--steps", "1", "--batch", "16", "--out", str(tmp_path), "--no-progress", "--no-plots"]
    code = main(argv)
    summary = json.loads((tmp_path / "results.json").read_text())
    e = summary["depth-mup@depth"]
    # measured: all 10 depth rows pass; exit 0 means "all pass" (1 would mean a failed row)
    assert code == 0 and e["status"] == "pass" and e["failed"] == 0 and e["passed"] >= 8, e["failed_rows"]
    assert e["dimension"] == "depth" and e["depths"] == [2, 4] and e["alpha"] == "1/2"
    assert "branch|own_delta" in e["slopes"]
    assert "--depths 2,4 --width 32" in (tmp_path / "report.md").read_text()
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert main(argv) == code  # rerun: everything comes from the store
    assert (tmp_path / "results.jsonl").read_text().splitlines() == lines


def test_depth_sweep_input_errors(capsys, tmp_path):
    assert main(["verify", "--param", "completep", "--model", "mlp", "--depths", "2,4", "--out", str(tmp_path)]) == 2
    assert "residual" in capsys.readouterr().err
    assert main(["verify", "--param", "completep", "--depths", "4", "--out", str(tmp_path)]) == 2
    assert "at least two" in capsys.readouterr().err


def test_depth_transfer_cli(tmp_path):
    argv = ["transfer", "--param", "completep,sp-table3:adam", "--depths", "2,4", "--width", "32", "--steps", "4",
            "--seeds", "2", "--lrs", "0.001,0.01,0.1", "--batch", "16", "--out", str(tmp_path), "--no-progress"]
    assert main(argv) == 0
    s = json.loads((tmp_path / "transfer.json").read_text())
    assert set(s["params"]) == {"completep@depth", "sp-table3:adam@depth"}
    d = s["params"]["completep@depth"]
    assert d["dimension"] == "depth" and d["depths"] == [2, 4] and len(d["drift"]["ci"]) == 2
    assert (tmp_path / "transfer.png").stat().st_size > 5_000
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert main(argv) == 0 and (tmp_path / "results.jsonl").read_text().splitlines() == lines
