"""``verify --table FILE.json`` (``verifier/verify_table.py``) and ``benchmarks/calibrate.py --smoke``.

Kind: regression and smoke test -- a table file written by ``derive -p mup -f json`` runs the same tiny sweep as
``-p mup`` and must give the same slope and verdict on every row (the custom-table path changes nothing but the
name); the same file with the hidden LR exponent planted +1/2 (Adam: ``dW_rms ∝ n^{-1}`` becomes ``n^{-1/2}``,
Everett et al. arXiv 2407.05872 Sec. 3) must fail the hidden ``dW_rms`` rows when judged against mup's predictions
(``--expect``); bad input exits 2 with one line.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.evidence.calibration import plant  # noqa: E402
from scaling_exponents.systems.registry import derive  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--widths", "32,64", "--seeds", "2", "--steps", "1", "--no-nngp", "--no-plots", "--no-progress"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tables")
    mup = derive("mup", optimizer="adam")
    (d / "mup.json").write_text(mup.to_json())
    (d / "planted.json").write_text(plant(mup, "hidden", "lr", "width", "1/2").to_json())
    return d


def test_table_file_gives_the_same_verdicts_as_the_registered_name(files, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    main(["verify", "--table", str(files / "mup.json"), "--out", str(a)] + TINY)
    main(["verify", "-p", "mup", "--out", str(b)] + TINY)
    ra, rb = json.loads((a / "results.json").read_text()), json.loads((b / "results.json").read_text())
    assert ra["mup"]["param"].startswith("table:mup@") and rb["mup"]["param"] == "mup"
    for k in ("status", "passed", "failed", "failed_rows", "optimizer"):
        assert ra["mup"][k] == rb["mup"][k], k
    sa, sb = (json.loads((d / "summaries.json").read_text())["mup"]["rows"] for d in (a, b))
    assert [(r["layer"], r["quantity"], r["verdict"]) for r in sa] == [(r["layer"], r["quantity"], r["verdict"])
                                                                       for r in sb]
    assert [r["slope"] for r in sa] == pytest.approx([r["slope"] for r in sb], abs=1e-9)


def test_planted_hidden_lr_fails_the_hidden_update_rows_against_mups_predictions(files, tmp_path):
    out = tmp_path / "p"
    code = main(["verify", "--table", str(files / "planted.json"), "--expect", str(files / "mup.json"),
                 "--out", str(out)] + TINY)
    rows = json.loads((out / "summaries.json").read_text())["planted"]["rows"]
    hidden = {(r["layer"], r["quantity"]): r for r in rows if r["quantity"] == "dW_rms"}
    assert code == 1
    for layer in ("hidden.0", "hidden.1"):
        r = hidden[(layer, "dW_rms")]
        assert r["verdict"] == "fail" and r["predicted_value"] == -1 and r["slope"] == pytest.approx(-0.5, abs=0.1)
    assert hidden[("head", "dW_rms")]["verdict"] == "pass"  # only the planted role moved


@pytest.mark.parametrize("extra,needle", [
    (["--table", "{nope}"], "table file {nope}: cannot read it"),
    (["--table", "{bad}"], "table file {bad}: not JSON"),
    (["--table", "{mup}", "--executor", "ray"], "registered in this process only"),
    (["--table", "{alien}"], "no row the verifier's --model mlp realises (gizmo/lr/width)"),
    (["--expect", "{mup}"], "--expect FILE.json sets the predictions of --table runs"),
])
def test_bad_table_input_exits_2_with_one_line(files, tmp_path, capsys, extra, needle):
    (files / "bad.json").write_text("{rows: oops")
    (files / "alien.json").write_text(json.dumps({"optimizer": "adam", "rows": [
        {"role": "gizmo", "quantity": "lr", "dimension": "width", "power": "-1"}]}))
    fill = {k: str(files / f"{k}.json") for k in ("nope", "bad", "mup", "alien")}
    extra = [e.format(**fill) for e in extra]
    needle = needle.format(**fill)
    argv = ["verify"] + (["-p", "mup"] if extra[0] == "--expect" else []) + extra + ["--out", str(tmp_path / "o")]
    assert main(argv + TINY) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_calibrate_smoke_writes_report_and_plants(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--smoke", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "calibration" / "calibration.json").read_text())
    fam = data["families"]["smoke"]
    assert [c["label"] for c in fam["correct"]] == ["mup"]
    assert sorted(p["delta"] for p in fam["plants"]) == ["+1/2", "-1/2"]
    assert all(p["detected"] and any("hidden" in f for f in p["failed_rows"]) for p in fam["plants"])
    assert all(p["rows"] and p["self_rows"] for p in fam["plants"])
    assert "| smoke | width 32,64 |" in (tmp_path / "calibration.md").read_text()


def test_config_file_list_of_tables_is_split_into_files(files, tmp_path, capsys):
    cfg = tmp_path / "sweep.yaml"
    cfg.write_text(f"table: [{files / 'mup.json'}, {files / 'missing.json'}]\n")
    assert main(["verify", "--config", str(cfg), "--out", str(tmp_path / "o")] + TINY) == 2
    assert f"table file {files / 'missing.json'}: cannot read it" in capsys.readouterr().err
