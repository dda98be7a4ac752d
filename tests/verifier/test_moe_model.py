"""The reference MoE network, the MoE tables applied to it, their predictions, and measured slopes at tiny sizes
(arXiv 2601.20205 moe-completep; arXiv 2508.09752 moe-mup).

Expected values: the MoE output is checked against a hand-written loop of f = (1/k) sum sigmoid(g_i) E_i(h) (arXiv
2601.20205 Sec. 3, equation number UNVERIFIED); router init n^-gamma with gamma = 1 (ratio 1/4), expert LR n^-1 and
residual 1/L are 2601.20205 as read via its abstract and a secondary digest of Table 1 (systems/moe.py); the E^-1/2
/ E^0 predictions are a CLT argument in the comments; measured slopes match within 0.1-0.15.  The MoE output's 1/n_act
(n_act = kappa E) is the Parametrization's ``moe_output`` output multiplier: 1/2 from E = 4 to 8 (issue 22 item 5).

Kind: paper table (arXiv 2601.20205, secondary); independent computation (the hand-written MoE loop, the CLT).
"""

import math
import warnings
from fractions import Fraction

import pytest
import sympy
import torch

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.evidence.predict_moe import predict_moe
from scaling_exponents.evidence.summary import fit_rows
from scaling_exponents.systems.registry import derive
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.safety import ParametrizationWarning
from scaling_exponents.verifier.models import MoENet
from scaling_exponents.verifier.models.moe import MOE_ROLES
from scaling_exponents.verifier.moe_verify import topk_for, verify_moe
from scaling_exponents.verifier.probes.moe import MoERunConfig, build_moe_seeds
from scaling_exponents.verifier.verify import Target

pytestmark = pytest.mark.usefixtures("two_torch_threads")


def test_moe_layer_is_the_mean_of_the_top_k_gated_experts():
    torch.manual_seed(0)
    net = MoENet(8, 16, 3, depth=1, experts=4, topk=2)
    moe, h = net.blocks[0].moe, torch.randn(5, 16)
    logits = moe.router(h)
    want = torch.zeros(5, 16)
    for t in range(5):
        for i in logits[t].topk(2).indices.tolist():
            want[t] += torch.sigmoid(logits[t, i]) * moe.experts[i](h[t])
    assert torch.allclose(moe(h), want / 2, atol=1e-6)  # out_scale 1/k at construction
    with pytest.raises(UserError, match="top-k 5 exceeds"):
        MoENet(8, 16, 3, experts=4, topk=5)


def test_completep_table_on_the_moe_network():
    t = derive("moe-completep", "adam")
    stds = {}
    for w in (32, 128):
        torch.manual_seed(0)
        m = MoENet(8, w, 3, depth=2, experts=4, topk=1)
        pz = Parametrization(m, t, "adam", layers=MOE_ROLES, width=w, base_width=32, depth=4, base_depth=2, lr=1.0,
                             sizes={"experts": (4, 4), "ffn_ratio": (1, 1)})
        stds[w] = float(m.blocks[0].moe.router.weight.detach().std())
        assert pz.lr_of("blocks.0.moe.experts.1.down.weight") == pytest.approx(32 / w)  # n^-1
        assert pz.output_multipliers["blocks.1.moe"] == pytest.approx(0.5)  # residual 1/L: L 2 -> 4
    assert stds[128] / stds[32] == pytest.approx(1 / 4, rel=0.1)  # router init n^-gamma, gamma = 1


def test_moe_output_multiplier_and_frozen_layers_come_from_the_parametrization():
    t = derive("moe-completep", "adam")
    torch.manual_seed(0)
    m = MoENet(8, 16, 3, depth=1, experts=8, topk=2, out_scale=1.0)  # the base point's mean 1/k_0, k_0 = 1 at E_0 = 4
    h = torch.randn(5, 16)
    base = m.blocks[0].moe(h).detach()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParametrizationWarning)  # the moe_output row is applied, nothing is left out
        pz = Parametrization(m, t, "adam", layers=MOE_ROLES, width=16, base_width=16, depth=1, base_depth=1,
                             sizes={"experts": (8, 4), "ffn_ratio": (1, 1)}, settings={"init": None})
        sb, _ = build_moe_seeds(MoERunConfig("moe-completep", width=16, experts=8, topk=2, base_experts=4,
                                             base_topk=1, seeds=(0,), batch=4), t, torch.device("cpu"), torch.float32)
    # 1/n_act with n_act = kappa E: E 4 -> 8 halves the mean (arXiv 2601.20205 Sec. 3)
    assert pz.output_multipliers["blocks.0.moe.combine"] == pytest.approx(0.5)
    assert torch.allclose(m.blocks[0].moe(h), base * 0.5, rtol=1e-6)
    assert "blocks.0.moe.combine: moe_output, output x0.5" in pz.explain(None)
    # the probe's frozen input layer and readout: no optimizer group from the Parametrization, LR 0
    assert sb.lr["embed.weight"] == 0.0 and sb.lr["head.weight"] == 0.0
    assert sb.lr["blocks.0.moe.router.weight"] > 0


def test_two_output_roles_on_one_module_multiply():
    t = derive("moe-completep", "adam")
    torch.manual_seed(0)
    m = MoENet(8, 16, 3, depth=4, experts=8, topk=2, out_scale=1.0)
    roles = {**MOE_ROLES, "blocks.*.moe": ("residual_branch", "moe_output")}
    roles.pop("blocks.*.moe.combine")
    pz = Parametrization(m, t, "adam", layers=roles, width=16, base_width=16, depth=4, base_depth=2,
                         sizes={"experts": (8, 4), "ffn_ratio": (1, 1)}, settings={"init": None})
    # residual 1/L (L 2 -> 4) times 1/n_act (E 4 -> 8): 1/2 x 1/2, not whichever role came last
    assert pz.output_multipliers["blocks.0.moe"] == pytest.approx(0.25)
    text = pz.explain(None)
    assert "blocks.0.moe: residual_branch, output x0.5" in text and "blocks.0.moe: moe_output, output x0.5" in text


def test_predictions_along_experts_at_fixed_kappa():
    by = lambda name: {(p.layer, p.quantity): p.exponent for p in predict_moe(derive(name, "adam"), "experts").items}
    cp, mup = by("moe-completep"), by("moe-mup")
    # 1/n_act with n_act = kappa E: k independent experts at init (CLT) -> E^-1/2, aligned updates -> E^0
    assert cp[("moe_output", "act_init")] == sympy.Rational(-1, 2) and cp[("moe_output", "act_delta")] == 0
    # moe-mup has no 1/n_act: the sum over k ∝ E active experts grows
    assert mup[("moe_output", "act_init")] == sympy.Rational(1, 2) and mup[("moe_output", "act_delta")] == 1
    assert by("moe-completep")[("router", "dW_rms")] == 0


def test_measured_expert_sweep_matches_completep_and_rejects_moe_mup():
    cp = derive("moe-completep", "adam")
    res = verify_moe(Target("moe-completep", "adam", "moe-completep"), cp, widths=(), depths=(), experts=(4, 8, 16),
                     width=16, seeds=2, steps=2, batch=16)
    s = res["moe-completep@moe-experts"]
    rows = {(r["layer"], r["quantity"]): r for r in s["rows"]}
    assert rows[("moe_output", "act_init")]["slope"] == pytest.approx(-0.5, abs=0.15)
    assert rows[("moe_output", "act_init")]["verdict"] == "pass"
    assert rows[("expert_up", "dW_rms")]["slope"] == pytest.approx(0, abs=0.1)
    # the same measurements against moe-mup's predictions: its growing MoE output is not what was measured
    per = {int(k): v for k, v in s["coord"].items()}
    wrong = {(r["layer"], r["quantity"]): r for r in
             fit_rows(predict_moe(derive("moe-mup", "adam"), "experts"), per, [4, 8, 16], 0.15, dimension="experts")}
    assert wrong[("moe_output", "act_delta")]["verdict"] == "fail"
    assert wrong[("moe_output", "act_init")]["verdict"] == "fail"
    assert all(math.isfinite(r["slope"]) for r in s["rows"])


def test_bad_input_is_one_line(tmp_path, capsys):
    assert main(["verify", "-p", "moe-completep", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "moe-completep" in err and "router" in err and "--model moe" in err
    assert main(["verify", "-p", "mup", "--model", "moe", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "table mup has no role 'router'" in err and "--model mlp" in err
    assert main(["verify", "-p", "moe-mup", "--model", "moe", "--experts", "4,6", "--out", str(tmp_path)]) == 2
    assert "multiples of 4" in capsys.readouterr().err
    with pytest.raises(UserError, match="top-k = 3/2"):
        topk_for(6, Fraction(1, 4))
