"""Optimizers from kept libraries for the per-matrix tables (scaling_exponents.verifier.optimizers) and their predictions.

Expected values: torch.optim.Muon (torch 2.13.0; 'original' sqrt(max(1, out/in)) divided out) and pytorch_optimizer
4.1.0's SOAP/Shampoo (SOAP's zero first step is that library's behaviour, observed); the Muon spectral band 0.5-1.6
is a loose window around Newton-Schulz's output singular values; predictions are Qiu et al. arXiv 2512.05620 Tables
1-2 with the spectral condition (arXiv 2310.17813); measured slope -1 within 0.2.

Kind: external library (torch.optim.Muon, pytorch_optimizer 4.1.0); paper table (arXiv 2512.05620 Tables 1-2).
"""

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.evidence.predict import mlp_layers
from scaling_exponents.evidence.predict_matrix import predict_matrix
from scaling_exponents.systems.registry import derive
from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import GPT, MLP
from scaling_exponents.verifier.optimizers import build_optimizer


def _setup(name, opt, model):
    pz = Parametrization(model, name, optimizer=opt, width=model.width, base_width=32, depth=model.depth,
                         base_depth=model.depth, lr=0.02)
    return pz, build_optimizer(opt, pz.param_groups, pz)


def test_muon_is_torch_muon_with_table_lr():
    torch.manual_seed(0)
    model = GPT(256, 64, 1, head_dim=16, bias=False)
    pz, o = _setup("muon", "muon", model)
    muon, adamw = o.optimizers
    assert isinstance(muon, torch.optim.Muon) and isinstance(adamw, torch.optim.AdamW)
    lr = {g["param_names"][0]: g["lr"] for g in muon.param_groups}
    # torch's "original" adjustment sqrt(max(1, out/in)) is divided out: up (256x64) gets table lr / 2
    assert lr["blocks.0.mlp.up.weight"] == pytest.approx(0.02 * pz.records["blocks.0.mlp.up.weight"].lr_scale / 2)
    assert {n for g in adamw.param_groups for n in g["param_names"]} == {
        "blocks.0.ln1.weight", "blocks.0.ln2.weight", "ln_f.weight"}
    # one Muon step is an orthogonalised update: spectral norm ≈ lr (Newton-Schulz singular values in ~[0.5, 1.5])
    w = model.blocks[0].attn.proj.weight
    w0 = w.detach().clone()
    idx = torch.randint(0, 256, (4, 16))
    model.loss(idx, idx).backward()
    o.step()
    s = torch.linalg.matrix_norm(w.detach() - w0, ord=2) / lr["blocks.0.attn.proj.weight"]
    assert 0.5 < float(s) < 1.6


def test_soap_and_shampoo_from_pytorch_optimizer():
    po = pytest.importorskip("pytorch_optimizer")
    torch.manual_seed(0)
    model = MLP(16, 64, 10, depth=1, bias=False)
    _, o = _setup("soap", "soap", model)
    assert isinstance(o.optimizers[0], po.SOAP) and len(o.optimizers) == 1  # no vectors: no AdamW
    x, y = torch.randn(8, 16), torch.randint(0, 10, (8,))
    w0 = model.hidden[0].weight.detach().clone()
    for step in range(2):
        o.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        o.step()
        moved = float((model.hidden[0].weight.detach() - w0).abs().max())
        assert (moved == 0) if step == 0 else (moved > 0)  # SOAP's first step only builds the eigenbasis
    _, o = _setup("shampoo", "shampoo", MLP(16, 64, 10, depth=1, bias=False))
    assert isinstance(o.optimizers[0], po.Shampoo) and "matrix_eps" in o.optimizers[0].param_groups[0]


def test_kfac_and_bad_input_are_user_errors():
    pz = Parametrization(MLP(16, 64, 10, depth=1), "mup", optimizer="adam", width=64, base_width=32)
    with pytest.raises(UserError, match="backpack-for-pytorch"):
        build_optimizer("kfac", pz.param_groups, pz)
    with pytest.raises(UserError, match="table muon: no parameter has the per-matrix role 'weight'"):
        build_optimizer("muon", pz.param_groups, pz)
    with pytest.raises(UserError, match="no optimizer for 'lion'"):
        build_optimizer("lion", pz.param_groups, pz)


def test_predictions_of_per_matrix_tables():
    layers = mlp_layers(2)
    for name in ("muon", "soap"):
        p = predict_matrix(derive(name, optimizer=name), layers)
        get = lambda l, q: p.get(l, q).exponent
        # update entries: Muon/SOAP (fan_in fan_out)^-1/2 per unit LR; hidden dW_rms n^-1, spectral n^0 (Cond. 1)
        assert (get("hidden.0", "dW_rms"), get("hidden.0", "dW_spec"), get("hidden.0", "act_delta")) == (-1, 0, 0)
        assert (get("embed", "dW_rms"), get("embed", "dW_spec")) == (0, sympy_half())
        # readout initialised fan_in^-1/2 by the per-matrix rows: aligned logit change n^(1/2)
        assert get("head", "act_delta") == sympy_half()
    p = predict_matrix(derive("adam-qiu", optimizer="adam"), layers)
    assert p.get("hidden.0", "dW_rms").exponent == -1 and p.get("embed", "dW_rms").exponent == 0
    with pytest.raises(UserError, match="cover optimizers adam, muon, soap, shampoo"):
        predict_matrix(derive("sgd-qiu", optimizer="sgd"), layers)
    # Shampoo with e_L + e_R = 1/2 has Muon's entries; its blocks-free LR equals Muon's, so the same exponents
    sh = predict_matrix(derive("shampoo", optimizer="shampoo"), layers)
    assert sh.get("hidden.0", "dW_rms").exponent == -1 and sh.get("embed", "dW_spec").exponent == sympy_half()


def sympy_half():
    import sympy

    return sympy.Rational(1, 2)


def test_optim_run_measures_muon_width_exponent(two_torch_threads):
    from scaling_exponents.verifier.verify import Target
    from scaling_exponents.verifier.verify_matrix import verify_matrix_target

    s = verify_matrix_target(Target("muon", "muon", "muon"), widths=(32, 64, 128), depth=1, seeds=2, steps=2, batch=16)
    row = next(r for r in s["rows"] if (r["layer"], r["quantity"]) == ("hidden.0", "dW_rms"))
    assert row["predicted"] == "-1" and abs(row["slope"] + 1) < 0.2
    assert s["optimizer"] == "muon" and any("torch.optim.Muon" in n for n in s["notes"])
