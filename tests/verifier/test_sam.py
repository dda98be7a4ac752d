"""SAM with per-layer radii (muP^2, Haas et al. arXiv 2411.00075): the optimizer, the predictions, a tiny sweep.

Expected values: Haas et al. arXiv 2411.00075: the effective radii d = -1/2, d_l = (-1/2, 1/2, 3/2) from Table D.2's
caption, the perturbation eps_l of Sec. 3, and the per-layer effect exponents (muP^2 all 0; global SAM only the last
layer, Fig. 1 / abstract); the SAM step is checked against a hand computation (gradient at the perturbed weights,
then SGD). Measured slopes: |slope| < 0.15, CI bounds 0.3 / -1.2.

Kind: paper table (arXiv 2411.00075 Table D.2 caption, Sec. 3); independent computation (the hand-computed SAM step).
"""

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pytorch_optimizer")

from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.evidence.predict import mlp_layers  # noqa: E402
from scaling_exponents.evidence.predict_sam import predict_sam  # noqa: E402
from scaling_exponents.systems.registry import derive  # noqa: E402
from scaling_exponents.theory.exponents import Q  # noqa: E402
from scaling_exponents.verifier.models import MLP, ResMLP  # noqa: E402
from scaling_exponents.verifier.sam import layer_radii, make_sam  # noqa: E402
from scaling_exponents.torch import Parametrization  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _setup(param="sam-mup2", width=32, base=16, rho=0.1):
    torch.manual_seed(0)
    model = MLP(8, width, 3, depth=1, bias=False)
    pz = Parametrization(model, param=param, optimizer="sgd", width=width, base_width=base, lr=0.1)
    opt = make_sam(pz, rho, "sgd", model="test")
    x, y = torch.randn(16, 8), torch.randint(0, 3, (16,))

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss

    return model, opt, closure


def test_radii_are_the_tables_and_the_ascent_step_is_the_papers():
    model, opt, closure = _setup(width=32, base=16)
    ratio = 2.0
    # sam-mup2: d = -1/2, d_l = (-1/2, 1/2, 3/2) (Table D.2 caption "Effective"; systems/sam.py derives them)
    scales = {g["role"]: (g["layer_scale"], g["rho"]) for g in opt.param_groups}
    assert scales["embedding"][0] == pytest.approx(ratio ** 0.5)
    assert scales["hidden"][0] == pytest.approx(ratio ** -0.5)
    assert scales["readout"][0] == pytest.approx(ratio ** -1.5)
    assert all(r == pytest.approx(0.1 * ratio ** 0.5) for _, r in scales.values())
    closure()
    params = [p for g in opt.param_groups for p in g["params"]]
    before = [p.detach().clone() for p in params]
    grads = [p.grad.detach().clone() for p in params]
    s = [g["layer_scale"] for g in opt.param_groups for _ in g["params"]]
    v_norm = math.sqrt(sum(float((si * gi).pow(2).sum()) for si, gi in zip(s, grads)))
    eps = opt.perturbation()
    for e, si, gi in zip(eps, s, grads):  # eps_l = rho n^-d n^-d_l g_l / ||v||, v_l = n^-d_l g_l (Sec. 3)
        torch.testing.assert_close(e, 0.1 * ratio ** 0.5 * si * gi / v_norm, rtol=1e-4, atol=1e-7)
    for p, b in zip(params, before):  # the measurement restores the weights
        assert torch.equal(p, b)


def test_one_step_is_sgd_on_the_gradient_at_the_perturbed_weights():
    model, opt, closure = _setup(param="sam-global")
    closure()
    params = [p for g in opt.param_groups for p in g["params"]]
    w0 = [p.detach().clone() for p in params]
    lrs = [g["lr"] for g in opt.param_groups for _ in g["params"]]
    eps = opt.perturbation()
    closure()
    with torch.no_grad():
        for p, e in zip(params, eps):
            p.add_(e)
    closure()
    g_pert = [p.grad.detach().clone() for p in params]
    with torch.no_grad():
        for p, w in zip(params, w0):
            p.copy_(w)
    closure()
    opt.step(closure)
    for p, w, g, lr in zip(params, w0, g_pert, lrs):
        torch.testing.assert_close(p.detach(), w - lr * g, rtol=1e-5, atol=1e-6)


def test_sam_radii_on_a_model_without_the_roles_is_one_line_error():
    model = ResMLP(8, 16, 3, depth=1, bias=False)
    pz = Parametrization(model, param="sam-mup2", optimizer="sgd", width=16, base_width=16, lr=0.1)
    with pytest.raises(UserError) as e:
        layer_radii(pz, 0.1, "--model resmlp")
    msg = str(e.value)
    assert "table sam-mup2" in msg and "'norm'" in msg and "--model mlp" in msg and "\n" not in msg
    with pytest.raises(UserError, match="must be > 0"):
        layer_radii(Parametrization(MLP(8, 16, 3, bias=False), param="sam-mup2", optimizer="sgd", base_width=16), 0.0)


def test_cli_sam_on_gpt_exits_2(capsys):
    from scaling_exponents.cli import main

    assert main(["verify", "-p", "sam-mup2", "--model", "gpt", "--widths", "32,64", "--out", "/tmp/_unused"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sam-mup2" in err[0] and "--model mlp" in err[0]


def test_predictions_reproduce_the_papers_claims():
    """Re-derived with Everett's gradient exponents; agree with the bcd system's own effect exponents."""
    want = {"sam-mup2": (0, 0, 0),        # every layer effectively perturbed (muP^2)
            "sam-global": (-2, -1, 0),    # only the last layer (Fig. 1 / abstract: SAM reduces to last-layer SAM)
            "sam-naive": (Q("-3/2"), Q("-1/2"), Q("1/2"))}  # d = 0 in muP: readout blows up, others vanish
    for name, exp in want.items():
        t = derive(name, "sgd")
        pr = predict_sam(t, mlp_layers(1))
        got = tuple(pr.get(layer, "pert_effect_t0").exponent for layer in ("embed", "hidden.0", "head"))
        assert got == exp
        assert got == tuple(t.derived["perturbation effect exponent"][r] for r in ("embedding", "hidden", "readout"))
        assert pr.r["V (log_n ||v||)"] == 0  # (D.1) holds: ||v|| = Theta(1)
    with pytest.raises(UserError, match="no SAM radius"):
        predict_sam(derive("mup", "sgd"), mlp_layers(1))


def test_tiny_sweep_measures_the_predicted_exponents(tmp_path):
    from scaling_exponents.verifier.verify import Target
    from scaling_exponents.verifier.verify_sam import verify_sam_target

    out = {}
    for name in ("sam-mup2", "sam-naive"):
        s = verify_sam_target(Target(name, "sgd", name), widths=(64, 128, 256, 512), depth=1, seeds=3, steps=2,
                              base_width=8, batch=32)
        out[name] = {(r["layer"], r["quantity"]): r for r in s["rows"]}
        assert s["status"] == "pass", [(k, r["slope"]) for k, r in out[name].items() if r["verdict"] == "fail"]
    mup2, naive = out["sam-mup2"], out["sam-naive"]
    for layer in ("embed", "hidden.0", "head"):
        assert abs(mup2[(layer, "pert_effect_t0")]["slope"]) < 0.15
    assert naive[("head", "pert_effect_t0")]["ci"][0] > 0.3      # grows ~ n^1/2
    assert naive[("embed", "pert_effect_t0")]["ci"][1] < -1.2    # vanishes ~ n^-3/2
