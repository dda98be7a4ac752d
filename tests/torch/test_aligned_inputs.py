"""Measured-alignment tables are never half-used or misread (issue 23): a hand-edited value that is not a number, a
table solved under Adam asked for under SGD, a table measured on a depth-2 model applied to a depth-3 one, and
spectral-mode readings fed to the LP are each refused with one line naming the input and the fix.

Expected values: regression: the toolkit's contract (error wording); the spectral-vs-RMS semantics are stated in
``systems/everett2024_aligned.py`` (an independent Gaussian update reads ~1 - log 2/log n spectrally, 1/2 in RMS terms, Everett
et al. arXiv 2407.05872 Sec. 3).

Kind: bad-input checks on a table the test measures itself (a 2-step ``align`` run).
"""

from __future__ import annotations

import json

import pytest
import torch

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.systems.everett2024_aligned import MeasuredSolver, load
from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import MLP


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("align")
    assert main(["align", "--model", "mlp", "--width", "32", "--steps", "2", "--out", str(out)]) == 0
    return next(out.glob("align_mlp_w32.json"))


def test_a_string_where_a_number_belongs(table_path, tmp_path):
    data = json.loads(table_path.read_text())
    data["layers"][1]["omega"] = "0.5"
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"edited.json: layer 1 \('hidden.0.weight'\) has omega = '0.5', not a finite"):
        load(bad)


def test_optimizer_mismatch_is_refused(table_path, capsys):
    assert main(["derive", "-p", "mup", "-o", "sgd", "--alignment", str(table_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "measured and solved under adam, not --optimizer sgd" in err[0]
    assert main(["derive", "-p", "mup", "--alignment", str(table_path)]) == 0  # its own optimizer: fine


def test_depth_mismatch_is_refused(table_path):
    with pytest.raises(UserError, match=r"chain weights \['hidden.2.weight'\] that the alignment table"):
        Parametrization(MLP(64, 32, 10, depth=3), "mup", "adam", base_width=16, settings={"table": str(table_path)})
    p = Parametrization(MLP(64, 32, 10, depth=2), "mup", "adam", base_width=16, settings={"table": str(table_path)})
    assert len(p.aligned.layers) == 4


def test_spectral_readings_never_reach_the_lp(capsys):
    assert main(["align", "--model", "mlp", "--mode", "spectral", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--mode spectral" in err[0] and "use mode 'rms'" in err[0]
    solver = MeasuredSolver("mup", "adam", ["a", "b"], ["embedding", "readout"], [64, 32])
    with pytest.raises(UserError, match="spectral-mode alignment readings"):
        solver.table([(1.0, None, None), (0.5, 0.5, 0.5)], meta={"mode": "spectral"})
    p = Parametrization(MLP(64, 32, 10, depth=1), "mup", "adam", base_width=16)
    with pytest.raises(UserError, match="spectral-mode alignment readings"):
        p.online(torch.randn(8, 64), mode="spectral")
