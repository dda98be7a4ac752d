"""Density sweeps in the verifier (``verify --densities``): predictions from supar's density rows, the masked MLP's
static masks, a tiny measured sweep on CPU, and the CLI's one-line errors.

Where the expected values come from: supar's density rows (arXiv 2405.15743 via the effective width rho n: hidden
init_std rho^-1/2, hidden lr rho^-1, embedding/readout rho^0) are read from the derived table; the predicted slopes
are computed from them by :mod:`scaling_exponents.evidence.predict_density` (SμPar: every activation and own-update
change flat, hidden dW_rms rho^-1; muP with rho-independent HPs: hidden.0 act_init rho^(1/2), own update rho^1,
hidden.1 act_init rho^1).  A tiny sweep (width 128, densities 1, 1/2, 1/4, 2 seeds, 2 Adam steps) must measure
slopes within TOL of them.  The mask test checks exact zeros (masked weights and gradients), not a tolerance.

Kind: independent computation (exponents derived from the table's density rows) against measured slopes.
"""

import json

import pytest

torch = pytest.importorskip("torch")

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.evidence.predict_density import predict_density, role_factors  # noqa: E402
from scaling_exponents.systems.registry import derive  # noqa: E402
from scaling_exponents.theory.exponents import Q  # noqa: E402
from scaling_exponents.verifier.probes.density import DensityConfig, MaskedMLP, density_run  # noqa: E402
from scaling_exponents.verifier.verify import Target  # noqa: E402
from scaling_exponents.verifier.verify_density import parse_densities, verify_density_target  # noqa: E402

pytestmark = pytest.mark.usefixtures("two_torch_threads")

TINY = dict(densities=[1, 0.5, 0.25], width=128, depth=2, seeds=2, steps=2, batch=32)
#: measured slopes of the tiny sweep (3 densities over a factor 4) lie within this of the predicted exponent
TOL = 0.15


def exps(preds):
    return {f"{p.layer}|{p.quantity}": p.exponent for p in preds.items}


def rows_of(summary):
    return {f"{r['layer']}|{r['quantity']}": r for r in summary["rows"]}


def test_predictions_come_from_the_density_rows():
    supar = derive("supar", "adam")
    assert supar.power("hidden", "init_std", "density") == Q("-1/2") and supar.power("hidden", "lr", "density") == -1
    assert supar.power("readout", "lr", "density") == 0 and supar.power("embedding", "init_std", "density") == 0
    e = exps(predict_density(supar, 2))
    assert all(v == 0 for k, v in e.items() if k.split("|")[1] in ("act_init", "act_delta", "own_delta"))
    assert e["hidden.0|dW_rms"] == e["hidden.1|dW_rms"] == -1
    assert not any(p.informational for p in predict_density(supar, 2).items)  # every SμPar row is counted

    mup = predict_density(derive("mup-table3", "adam"), 2)
    e = exps(mup)
    assert e["hidden.0|act_init"] == Q("1/2") and e["hidden.1|act_init"] == 1 and e["head|act_init"] == 1
    assert e["hidden.0|own_delta"] == 1 and e["hidden.1|own_delta"] == Q("3/2") and e["hidden.0|dW_rms"] == 0
    assert e["hidden.0|act_delta"] == Q("1/2")  # the asymptote min(own 1, propagated 1/2) ...
    assert mup.get("hidden.0", "act_delta").informational  # ... reported, not counted (two terms at rho in [1/8, 1])
    f = role_factors(supar, 0.25)
    assert f["hidden"] == pytest.approx((2.0, 4.0)) and f["readout"] == f["embedding"] == (1.0, 1.0)


def test_mask_keeps_masked_weights_and_gradients_exactly_zero():
    torch.manual_seed(0)
    model = MaskedMLP(16, 64, 10, depth=2, density=0.25)
    for layer in model.hidden:
        assert abs(float(layer.mask.mean()) - 0.25) < 0.03
        assert float(layer.weight.detach()[layer.mask == 0].abs().max()) == 0.0
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    x, y = torch.randn(32, 16), torch.randint(0, 10, (32,))
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        for layer in model.hidden:
            assert float(layer.weight.grad[layer.mask == 0].abs().max()) == 0.0
            assert float(layer.weight.grad[layer.mask == 1].abs().max()) > 0.0
        opt.step()
    for layer in model.hidden:
        assert float(layer.weight.detach()[layer.mask == 0].abs().max()) == 0.0
    res = density_run(DensityConfig(param="supar", density=0.125, width=64, seeds=(0, 1), steps=3, batch=16))
    assert res["metrics"]["hidden.0|mask_leak"] == res["metrics"]["hidden.1|mask_leak"] == [0.0, 0.0]
    with pytest.raises(UserError, match="density must be in"):
        MaskedMLP(16, 64, 10, depth=1, density=0)


def test_tiny_supar_sweep_is_flat_in_density():
    s = verify_density_target(Target("supar", "adam", "supar"), derive("supar", "adam"), **TINY)
    rows = rows_of(s)
    assert s["status"] == "pass" and s["dimension"] == "density" and s["label"] == "supar@density"
    for key in ("hidden.0|act_delta", "hidden.1|act_delta", "head|act_delta", "hidden.0|act_init",
                "hidden.1|own_delta"):
        assert abs(rows[key]["slope"]) <= TOL and rows[key]["verdict"] == "pass", key
    for key in ("hidden.0|dW_rms", "hidden.1|dW_rms"):
        assert abs(rows[key]["slope"] + 1) <= TOL and rows[key]["verdict"] == "pass", key


def test_tiny_mup_contrast_falls_with_density():
    s = verify_density_target(Target("mup-table3", "adam", "mup-table3"), derive("mup-table3", "adam"), contrast=True,
                              **TINY)
    rows = rows_of(s)
    for key, pred in (("hidden.0|act_init", 0.5), ("hidden.1|act_init", 1.0), ("hidden.0|own_delta", 1.0),
                      ("hidden.1|own_delta", 1.5), ("hidden.0|dW_rms", 0.0)):
        assert abs(rows[key]["slope"] - pred) <= TOL and rows[key]["verdict"] == "pass", key
    # the hidden activation change falls with rho, between the asymptote 1/2 and the own-update term 1 (info)
    assert rows["hidden.0|act_delta"]["verdict"] == "info" and 0.5 - TOL <= rows["hidden.0|act_delta"]["slope"] <= 1
    assert s["contrast"] is True


def test_cli_sweep_writes_results_with_the_contrast(tmp_path):
    argv = ["verify", "-p", "supar", "--densities", "1,0.5", "--width", "64", "--seeds", "2", "--steps", "1",
            "--batch", "16", "--no-progress", "--no-plots", "--out", str(tmp_path)]
    assert main(argv) in (0, 1)  # 1 when the contrast fails a row
    res = json.loads((tmp_path / "results.json").read_text())
    assert set(res) == {"supar@density", "mup-table3@density"}
    assert res["supar@density"]["dimension"] == "density" and res["supar@density"]["densities"] == [0.5, 1.0]
    assert res["supar@density"]["contrast"] is False and res["mup-table3@density"]["contrast"] is True
    assert "quantity ∝ rho^p" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("densities, message", [
    ("0,0.5", "--densities must lie in (0, 1]"),
    ("0.5,1.5", "--densities must lie in (0, 1]"),
    ("nan,0.5", "--densities must lie in (0, 1]"),
    ("0.5", "--densities needs at least two different densities"),
    ("0.5,0.5", "--densities needs at least two different densities"),
    ("half,1", "--densities takes comma-separated numbers"),
])
def test_bad_densities_are_one_line_errors(densities, message, capsys, tmp_path):
    assert main(["verify", "-p", "supar", "--densities", densities, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_density_sweep_needs_the_mlp_adam_and_hidden_layers(capsys, tmp_path):
    base = ["verify", "--densities", "1,0.5", "--out", str(tmp_path)]
    assert main(base + ["-p", "supar", "--model", "gpt"]) == 2
    assert "masked MLP" in capsys.readouterr().err
    assert main(base + ["-p", "supar", "--widths", "64,128"]) == 2
    assert "one sweep per command" in capsys.readouterr().err
    assert main(base + ["-p", "supar", "--depth", "0"]) == 2
    assert "--depth >= 1" in capsys.readouterr().err
    assert main(base + ["-p", "mup-table3:sgd"]) == 2
    assert "Adam tables" in capsys.readouterr().err
    assert parse_densities("0.125, 1,0.5") == [0.125, 0.5, 1.0]


def test_the_probe_trains_the_products_groups():
    """The probe's LRs and init factors are Parametrization's, and they equal the predictor's rho^c, rho^s."""
    from scaling_exponents.verifier.probes.density import parametrize

    supar = derive("supar", "adam")
    cfg = DensityConfig(param="supar", density=0.25, width=32, lr=0.01)
    torch.manual_seed(0)
    model = MaskedMLP(16, 32, 10, depth=2, density=0.25)
    pz = parametrize(model, supar, cfg)
    f = role_factors(supar, 0.25)
    assert {g["role"]: g["lr"] for g in pz.param_groups} == {r: 0.01 * f[r][1] for r in f}
    assert {i.role: i.init_scale for i in pz.records.values()} == {r: f[r][0] for r in f}
    assert f["hidden"] == (2.0, 4.0)  # SμPar hidden: init rho^-1/2, LR rho^-1 (arXiv 2405.15743 Table 1, VERIFIED-2nd)
