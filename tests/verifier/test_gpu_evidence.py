"""``benchmarks/gpu_evidence.py --smoke`` runs every stage of the GPU evidence script on the CPU at tiny sizes (so the
script cannot rot while no GPU is lent), names the device in its README and in every stage report, and answers bad
input with one line; ``align --device`` takes the device and refuses a GPU that is not there.

Expected values: the script's contract (issue 24: every stage runs, the device named in every report, exit 0 when
every stage ran, exit 2 on bad input).  No paper value: the smoke sizes are not evidence.

Kind: smoke test of a benchmark script (subprocess) plus bad-input checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from scaling_exponents.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_evidence.py"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_smoke")
    proc = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    return out, proc


def test_every_stage_runs_and_names_the_device(smoke):
    out, proc = smoke
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = json.loads((out / "device.json").read_text())
    assert info["smoke"] is True and info["device"].startswith("cpu (")
    stages = [r["stage"] for r in info["stages"]]
    assert stages == ["coordcheck", "width_mlp", "width_muon", "width_gpt", "depth", "alignment"]
    assert all(r["status"].startswith("ok") for r in info["stages"]), info["stages"]
    readme = (out / "README.md").read_text()
    assert f"Device: {info['device']}" in readme and "smoke run" in readme
    for stage in stages:
        report = (out / stage / "report.md").read_text()
        assert report.startswith(f"Device: {info['device']}"), stage


def test_smoke_verify_stages_measure_rows(smoke):
    out, _ = smoke
    res = json.loads((out / "width_mlp" / "results.json").read_text())
    assert set(res) == {"mup", "sp-table3:adam"}
    assert res["mup"]["passed"] + res["mup"]["failed"] >= 10  # the MLP's predicted rows were fitted
    assert (out / "alignment" / "transfer.png").is_file()


@pytest.mark.parametrize("argv, fragment", [
    (["--only", "nosuch"], "unknown stage(s) nosuch"),
    (["--smoke"], "give --out DIR"),
    (["--smoke", "--out", "x", "--budget", "0"], "--budget must be > 0"),
])
def test_bad_input_is_one_line(argv, fragment):
    proc = subprocess.run([sys.executable, str(SCRIPT), *argv], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal of a GPU that is not there")
def test_align_device_without_a_gpu_is_refused(capsys):
    assert main(["align", "--model", "mlp", "--device", "cuda", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--device cuda" in err[0] and "--device cpu" in err[0]


def test_align_runs_on_the_named_device(capsys):
    assert main(["align", "--model", "mlp", "--width", "32", "--steps", "2", "--device", "cpu", "-f", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["meta"]["device"] == "cpu"
    assert len(table["layers"]) == 4  # embedding, two hidden, readout of the depth-2 MLP
