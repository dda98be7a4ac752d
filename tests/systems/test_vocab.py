"""Vocabulary V as a dimension (systems/vocab_roles.py, systems/vocab.py, theory/values.py).

Expected values, each from its source:
* torch.optim.Muon ``_adjust_lr`` (torch 2.13, adjust_lr_fn=None): ``lr * sqrt(max(1, A/B))`` with (A, B) =
  ``param.shape[:2]``: for the readout nn.Linear(n, V) (V, n) -> sqrt(V/n); for an nn.Embedding (V, n) the same
  (transposed rule).  n 256 -> 1024 and V 32768 -> 65536 give sqrt(2/4) = 0.7071 for both.
* Condition 1 (arXiv 2310.17813): effective LR sqrt(fan_out/fan_in): readout sqrt(V/n) (x0.7071 here, so the
  user's base LR is unchanged, 0.02), embedding sqrt(n/V) (x1.4142), so torch leaves the embedding's base LR to
  move by n/V (x2: 0.04).
* Keller's Muon (same rule), Moonlight 0.2 sqrt(max(A, B)) (readout: V^(1/2)), Scion sqrt(A/B).
* TP5 Table 3 (arXiv 2203.03466) Adam LRs per fan: V is no LR fan (embedding-lr-vocab --regime mup).

Kind: external library (torch.optim.Muon's _adjust_lr, run); paper table (arXiv 2310.17813 Condition 1, TP5 Table 3); independent computation (the factors worked out above).
"""

from __future__ import annotations

import json
import math

import pytest

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.systems.registry import derive
from scaling_exponents.systems.vocab_roles import lm_view, order_for
from scaling_exponents.theory.exponents import Q

SIZES = ["--width", "1024", "--base-width", "256", "--vocab", "65536", "--base-vocab", "32768"]


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_torch_muon_readout_and_embedding_vocab_factor(capsys):
    d = _json(capsys, ["derive", "-p", "torch-muon-original", *SIZES, "--lr", "0.02", "--format", "json"])
    v = d["values"]
    assert v["readout"]["lr_adjustment"]["factor"] == pytest.approx(math.sqrt(2 / 4))
    assert v["readout"]["effective_lr"]["factor"] == pytest.approx(math.sqrt(2 / 4))
    assert v["readout"]["lr"]["value"] == pytest.approx(0.02)           # the code alone realises Condition 1
    assert v["embedding"]["lr_adjustment"]["factor"] == pytest.approx(math.sqrt(2 / 4))  # nn.Embedding: transposed
    assert v["embedding"]["effective_lr"]["factor"] == pytest.approx(math.sqrt(4 / 2))
    assert v["embedding"]["lr"]["value"] == pytest.approx(0.04)         # n/V left to the user
    assert v["hidden"]["lr"]["value"] == pytest.approx(0.02)
    rows = {(r["role"], r["quantity"], r["dimension"]): r["power"] for r in d["rows"]}
    assert rows[("readout", "lr_adjustment", "vocab")] == "1/2" and rows[("readout", "lr_adjustment", "width")] == "-1/2"
    assert rows[("embedding", "lr", "vocab")] == "-1" and rows[("embedding", "lr", "width")] == "1"
    assert rows[("hidden", "lr", "vocab")] == "0"                        # explicit: the hidden matrix has no V


@pytest.mark.parametrize("name, readout_adj, embed_lr", [
    ("muon-keller", "1/2", "-1"), ("torch-muon-original", "1/2", "-1"),
    ("muon-moonlight", "1/2", "-1"), ("torch-muon-match-rms", "1/2", "-1"),   # 0.2 sqrt(max): V^(1/2) too
    ("scion-spectral", "1/2", "-1"),
])
def test_five_muon_codes_vocab_powers(name, readout_adj, embed_lr):
    t = derive("vocab-roles", "muon", table=name)
    assert t.power("readout", "lr_adjustment", "vocab") == Q(readout_adj)
    assert t.power("readout", "effective_lr", "vocab") == Q("1/2")     # Condition 1: sqrt(V/n)
    assert t.power("embedding", "effective_lr", "vocab") == Q("-1/2")  # Condition 1: sqrt(n/V)
    assert t.power("embedding", "lr", "vocab") == Q(embed_lr)
    # width: Keller/torch leave the readout's base LR constant; Moonlight's sqrt(max) = sqrt(V) has no n factor
    expect_w = {"muon-moonlight": "-1/2", "torch-muon-match-rms": "-1/2"}.get(name, "0")
    assert t.power("readout", "lr", "width") == Q(expect_w)


def test_codes_differ_below_the_crossover():
    """V < n: Keller's max(1, V/n) = 1 on the readout (no V factor), Scion's sqrt(V/n) keeps V^(1/2)."""
    k, s = derive("vocab-roles", "muon", table="muon-keller", order="V<n"), derive("vocab-roles", "muon",
                                                                                   table="scion-spectral", order="V<n")
    assert k.power("readout", "lr_adjustment", "vocab") == 0 and k.power("readout", "lr", "vocab") == Q("1/2")
    assert s.power("readout", "lr_adjustment", "vocab") == Q("1/2") and s.power("readout", "lr", "vocab") == 0


def test_spectral_adam_literal_embedding_vs_tp5():
    """Recorded disagreement: Condition 1 read with fan_in = V gives Adam embedding LR V^-1; TP5 Table 3: V^0."""
    sp = derive("vocab-roles", "adam")
    assert sp.variant["table"] == "spectral"
    assert sp.power("embedding", "lr", "vocab") == -1 and sp.power("readout", "lr", "vocab") == 0
    assert sp.power("hidden", "lr", "width") == -1
    mup = derive("embedding-lr-vocab", regime="mup")
    assert mup.power("embedding", "lr", "vocab") == 0 == mup.power("readout", "lr", "vocab")


def test_mup_regime_values_and_lv_refusal(capsys):
    d = _json(capsys, ["derive", "-p", "embedding-lr-vocab", "--regime", "mup", *SIZES, "--lr", "0.01",
                       "--format", "json"])
    assert d["values"]["embedding"]["lr"]["value"] == pytest.approx(0.01)    # muP Adam: no n, no V factor
    assert d["values"]["hidden"]["lr"]["value"] == pytest.approx(0.0025)
    assert main(["derive", "-p", "embedding-lr-vocab", *SIZES]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no rule for vocab" in err and "UNVERIFIED" in err and "crossover" in err


def test_vocab_for_a_table_without_a_rule_is_one_line(capsys):
    assert main(["derive", "-p", "mup", *SIZES]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: mup has no rule for vocab (its dimensions: width); drop --vocab/--base-vocab or pick a "
                   "parametrization that scales with vocab (see `list`)")


def test_matrix_table_values_refuse_vocab_and_point_to_the_view():
    with pytest.raises(UserError, match="vocab-roles --table spectral"):
        derive("spectral", "adam").values({"vocab": (4, 1), "width": (4, 1)})


def test_role_fan_tables_take_vocab():
    """u-muP ops (unit_scaling 0.3.5): the readout's grad-input scale is fan_out^(-1/2) = V^(-1/2)."""
    t = derive("umup-ops")
    f = t.values({"width": (4, 1), "vocab": (4, 1), "batch": (1, 1), "depth": (1, 1)})
    assert f["readout"]["grad_input_scale"]["factor"] == pytest.approx(0.5)
    assert f["readout"]["forward_scale"]["factor"] == pytest.approx(0.25)   # fan_in^-1 = n^-1, no V
    view = lm_view(t)
    assert view.power("readout", "grad_input_scale", "vocab") == Q("-1/2")
    assert view.power("readout", "forward_scale", "width") == -1
    assert any(r.key() == ("readout", "forward_scale", "vocab") and r.power == 0 for r in view.rows)


def test_order_must_not_cross_v_equals_n():
    assert order_for({"vocab": (65536, 32768), "width": (1024, 256)}) == "V>=n"
    assert order_for({"vocab": (100, 50), "width": (1024, 256)}) == "V<n"
    with pytest.raises(UserError, match="same side of V = n"):
        order_for({"vocab": (512, 32768), "width": (1024, 256)})


def test_torch_muon_code_measured_vocab_slope():
    """Measured on torch.optim.Muon itself: one step, ratio of the applied update to the orthogonalised gradient,
    across V at n = 32: slope 1/2 in V for the readout (nn.Linear) AND the nn.Embedding (the transposed rule)."""
    torch = pytest.importorskip("torch")
    from torch.optim._muon import _zeropower_via_newtonschulz

    n, lr, vs = 32, 1e-3, (64, 256, 1024)
    for make in (lambda V: torch.nn.Linear(n, V, bias=False), lambda V: torch.nn.Embedding(V, n)):
        scale = []
        for V in vs:
            torch.manual_seed(0)
            m = make(V)
            opt = torch.optim.Muon([m.weight], lr=lr, weight_decay=0.0, momentum=0.0, nesterov=False)
            g = torch.randn_like(m.weight)
            m.weight.grad = g.clone()
            w0 = m.weight.detach().clone()
            opt.step()
            o = _zeropower_via_newtonschulz(g, opt.defaults["ns_coefficients"], opt.defaults["ns_steps"],
                                            opt.defaults["eps"]).to(w0.dtype)
            scale.append(((w0 - m.weight.detach()).norm() / (lr * o.norm())).item())
        slope = math.log(scale[-1] / scale[0]) / math.log(vs[-1] / vs[0])
        assert slope == pytest.approx(0.5, abs=1e-3)
    t = derive("vocab-roles", "muon")
    assert t.power("readout", "lr_adjustment", "vocab") == t.power("embedding", "lr_adjustment", "vocab") == Q("1/2")


def test_qiu_tables_whose_table_name_differs(capsys):
    """adam-qiu's table calls itself 'adam': the view re-derives it under its registered name.  Qiu et al.
    (arXiv 2512.05620 Table 1) Adam LR 1/fan_in: embedding V^-1 (literal fan_in = V), readout n^-1 (no V)."""
    t = derive("vocab-roles", "adam", table="adam-qiu")
    assert t.power("embedding", "lr", "vocab") == -1 and t.power("readout", "lr", "vocab") == 0
    assert t.power("readout", "lr", "width") == -1
    d = _json(capsys, ["derive", "-p", "adam-qiu", *SIZES, "--lr", "1e-3", "--format", "json"])
    assert d["values"]["embedding"]["lr"]["value"] == pytest.approx(5e-4)   # 1e-3 x (V/V0)^-1 = 1e-3 / 2
    assert d["values"]["readout"]["lr"]["value"] == pytest.approx(2.5e-4)   # 1e-3 x (n/n0)^-1


def test_one_hot_derivation_in_the_mup_regime():
    """The muP regime's embedding Adam LR along width and V is derived for one-hot tokens (||dW e_i|| = eta sqrt(n)
    required Theta(sqrt(n))): eta ∝ n^0 V^0, the same as TP5 Table 3's input-weight Adam LR 1."""
    t = derive("embedding-lr-vocab", regime="mup")
    assert t.solution.unique and t.solution.certified
    assert t.power("embedding", "lr", "width") == 0 == t.power("embedding", "lr", "vocab")
    text = t.system.describe()
    assert "one-hot token" in text and "Theta(sqrt(n))" in text
    assert "one-hot token" not in derive("embedding-lr-vocab").system.describe()   # LV regime: not derived
