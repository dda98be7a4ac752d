"""``align``: measure-once on the MLP and GPT, JSON out, accepted back by Parametrization and by
``derive --alignment FILE`` (exact check); one-line errors.

Expected values: the readout c_full = 1/2 and hidden c_full = 1 are Everett et al.'s muP-for-Adam LR exponents under
full alignment (arXiv 2407.05872 Table 1); the LR round trip is base x (width/base)^-c computed from the JSON the
command wrote. The bands 0.3 < alpha, omega < 1.0 and 0 < slope < 1.2 are loose windows around the theory's range
[1/2, 1] chosen for 15-step tiny runs (not from a paper); error strings are regression: the project's own output.
"""

import json

import pytest

from scaling_exponents.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("model,width", [("mlp", 64), ("gpt", 32)])
def test_align_json_round_trip(capsys, tmp_path, model, width):
    import torch

    from scaling_exponents.torch import Parametrization
    from scaling_exponents.verifier.models import GPT, MLP

    code, out, err = run(capsys, "align", "--model", model, "--width", str(width), "--steps", "15",
                         "--batch", "8", "--probe-batch", "8", "--depth", "1", "--out", str(tmp_path), "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["param"] == "mup" and d["optimizer"] == "adam" and d["meta"]["width"] == width
    layers = {x["name"]: x for x in d["layers"]}
    assert layers["head.weight"]["role"] == "readout" and layers["head.weight"]["c_full"] == pytest.approx(0.5)
    hidden = [x for x in d["layers"] if x["role"] == "hidden"]
    assert hidden and all(0.3 < x["alpha"] < 1.0 and 0.3 < x["omega"] < 1.0 for x in hidden)
    assert all(x["c_full"] == pytest.approx(1.0) for x in hidden)  # muP Adam, full alignment (Everett Table 1)
    path = tmp_path / f"align_{model}_w{width}.json"
    assert json.loads(path.read_text()) == d
    torch.manual_seed(0)
    net = MLP(64, 4 * width, 10, depth=1) if model == "mlp" else GPT(256, 4 * width, 1, head_dim=16, block_size=32)
    p = Parametrization(net, "mup", "adam", base_width=width, lr=1e-3, settings={"table": path})
    for x in d["layers"]:
        assert p.lr_of(x["name"]) == pytest.approx(1e-3 * 4.0 ** (-x["c"]), rel=1e-9)
    code, out, err = run(capsys, "derive", "--param", "mup", "--alignment", str(path), "-f", "json")
    assert code == 0, err
    t = json.loads(out)
    lr = {r["role"]: r["power"] for r in t["rows"] if r["quantity"] == "lr"}
    assert float(eval(lr["head.weight"])) == pytest.approx(-layers["head.weight"]["c"], abs=0.02)


def test_align_errors_are_one_line(capsys):
    code, _, err = run(capsys, "align", "--model", "cnn")
    assert code == 2 and err.strip() == "error: --model must be one of mlp, gpt, got 'cnn'"
    code, _, err = run(capsys, "align", "--model", "mlp", "--widths", "64,x")
    assert code == 2 and "--widths takes comma-separated integers" in err
    code, _, err = run(capsys, "derive", "--param", "mup", "--alignment", "missing.json")
    assert code == 2 and "does not exist" in err


def test_align_width_sweep_reports_slopes_with_bootstrap_ci(capsys):
    code, out, err = run(capsys, "align", "--model", "mlp", "--widths", "32,128", "--steps", "5", "--seeds", "2",
                         "--batch", "8", "--probe-batch", "8", "--depth", "1", "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["meta"]["method"].startswith("slope across widths")
    fit = d["meta"]["fits"]["hidden.0.weight"]["alpha"]
    assert fit["n_widths"] == 2 and fit["n_seeds"] == 2
    assert fit["ci"][0] <= fit["slope"] <= fit["ci"][1]
    hidden = {x["name"]: x for x in d["layers"]}["hidden.0.weight"]
    assert hidden["alpha"] == pytest.approx(fit["slope"], abs=1e-6)  # the LP used the slope
    assert 0.0 < fit["slope"] < 1.2
