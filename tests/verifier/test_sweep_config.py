"""``--config sweep.yaml``: the example files run (at tiny size, flags overriding the file); bad keys and types are
one-line errors naming the key and the accepted ones.

Expected values: the YAML files in examples/ and the flags passed by each test (file values as defaults, flags win);
the result counts are computed by hand (2 params x 2 widths x 3 LRs); the accepted keys and error wording are
regression: the project's own output.
"""

import argparse
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("yaml")

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.cli import transfer  # noqa: E402  (the command's flags)
from scaling_exponents.verifier.sweep_config import apply_config, load  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_transfer_example_runs_tiny_with_flags_overriding_the_file(tmp_path, one_torch_thread):
    out = tmp_path / "t"
    argv = ["transfer", "--config", str(EXAMPLES / "transfer_width_lr.yaml"), "--widths", "16,32", "--lrs",
            "0.001,0.01,0.1", "--steps", "2", "--seeds", "2", "--batch", "8", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    summary = json.loads((out / "transfer.json").read_text())
    assert set(summary["params"]) == {"mup", "sp-table3:adam"}  # from the file
    assert summary["steps"] == 2 and summary["seeds"] == 2  # from the flags
    assert list(summary["params"]["mup"]["curves"]) == ["16", "32"]
    assert summary["params"]["mup"]["curves"]["16"]["lr"] == [0.001, 0.01, 0.1]
    assert len((out / "results.jsonl").read_text().splitlines()) == 2 * 2 * 3  # 2 params x 2 widths x 3 LRs


def test_coord_example_runs_tiny(tmp_path, one_torch_thread):
    out = tmp_path / "c"
    argv = ["verify", "--config", str(EXAMPLES / "coord_width.yaml"), "--widths", "32,64", "--seeds", "2",
            "--steps", "1", "--out", str(out), "--no-progress", "--no-plots", "--no-nngp"]
    assert main(argv) in (0, 1)
    summary = json.loads((out / "results.json").read_text())
    assert set(summary) == {"mup", "sp"} and summary["mup"]["widths"] == [32, 64] and summary["mup"]["tol"] == 0.15


def _parser():
    p = argparse.ArgumentParser()
    transfer.add_arguments(p)
    return p


def test_file_values_become_defaults_and_flags_override(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("param: mup\nsteps: 7\nbase_width: 32\nwidths: [64, 128]\nno-progress: true\nexecutor: ray\n")
    p = _parser()
    argv = ["--config", str(f), "--steps", "9"]
    apply_config(p, argv)
    args = p.parse_args(argv)  # --param is required, and given by the file
    assert (args.param, args.steps, args.base_width, args.widths, args.no_progress, args.executor) == \
        ("mup", 9, 32, "64,128", True, "ray")


@pytest.mark.parametrize("text, needles", [
    ("widht: [64, 128]\n", ["unknown key 'widht'", "accepted:", "widths", "base-width"]),
    ("steps: abc\n", ["'steps' must be an integer", "'abc'"]),
    ("steps: 2.5\n", ["'steps' must be an integer"]),
    ("executor: kubernetes\n", ["'executor'", "local, ray, slurm"]),
    ("no_progress: 1\n", ["'no_progress' must be true or false"]),
    ("widths: {a: 1}\n", ["'widths' must be a string or a list"]),
    ("- 1\n- 2\n", ["expected a mapping"]),
    ("steps: [1\n", ["not valid YAML"]),
])
def test_bad_files_are_one_line_errors(tmp_path, text, needles):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(UserError) as e:
        load(f, _parser())
    assert all(n in str(e.value) for n in needles), str(e.value)
    assert "\n" not in str(e.value)


def test_cli_reports_bad_key_with_exit_2(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text("param: mup\nlearning_rate: 0.1\n")
    assert main(["transfer", "--config", str(f), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'learning_rate'" in err and "lrs" in err and len(err.strip().splitlines()) == 1
    assert main(["transfer", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read it" in capsys.readouterr().err
