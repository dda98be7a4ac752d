"""u-muP (Blake et al., arXiv 2407.17465): oracle rows and a cross-check against the `unit-scaling` package.

`unit-scaling==0.3.5` (graphcore-research/unit-scaling, the authors' library) is a test dependency (dev
extra); its optimizer rules (`unit_scaling.optim.scaled_parameters` with `lr_scale_func_adam` /
`lr_scale_func_sgd`, both readout constraints) and residual rule (`transformer_residual_scaling_rule`) are
compared with our derived table at several widths and depths.

Where the expected values come from: **paper table** (u-muP vs muP table, via the authors' slides:
blake2024umup.csv) and the **external library** unit-scaling 0.3.5 (LR, weight decay, forward multipliers and
residual rule computed by the library at runtime, with the table's fans taken from each parameter's real,
non-square shape).
"""

import math

import pytest
import sympy

from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive

H = sympy.Rational(1, 2)
ORACLE = "blake2024umup"


def check(table, rows):
    assert rows
    for row in rows:
        got = table.power(row.role, row.quantity, row.dimension)
        assert got == row.exact, (row.source, row.variant, row.role, row.quantity, row.dimension, got, row.power)


# -- the constraint system ---------------------------------------------------------------------------
def test_unit_init_pins_the_abc_shift():
    t = derive("umup", "adam")
    assert t.solution.certified and t.solution.unique
    assert t.derived["shift t"] == {"embedding": 0, "hidden": H, "readout": 0, "bias": 0}
    assert t.derived["alpha"] == H  # Depth-muP end of the depth family


def test_hidden_is_mup_moved_along_its_adam_orbit():
    # slide 38: muP (1, 1/sqrt(f), eta/f) -> u-muP (1/sqrt(f), 1, eta/sqrt(f)) with theta = sqrt(fan_in)
    from scaling_exponents.theory.symmetry import equivalent

    u, m = derive("umup", "adam"), derive("mup-table8", "adam")
    abc = lambda t, role, dim: tuple(-t.power(role, q, dim) for q in ("multiplier", "init_std", "lr"))
    for role, dim in (("hidden", "fan_in"), ("readout", "fan_in")):
        assert equivalent(abc(m, role, "width"), abc(u, role, dim), "adam")
    # the embedding LR rule is NOT a symmetry of muP (a genuine change, slide 14)
    assert not equivalent(abc(m, "embedding", "width"), abc(u, "embedding", "fan_out"), "adam")


# -- oracle rows -------------------------------------------------------------------------------------
def test_umup_adam_rows():
    rows = oracles.select(ORACLE, param="umup", optimizer="adam", variant="")
    assert len(rows) == 18  # 11 primary (u-muP table) + 7 code (unit-scaling optim.py)
    check(derive("umup", "adam"), rows)


def test_umup_sgd_readout_none_rows():
    rows = oracles.select(ORACLE, param="umup", optimizer="sgd", variant="readout_constraint=None")
    # unit-scaling's lr_scale_func_sgd(None) returns lr_scale_func_adam since commit 6db4000 (2024-10-24, v0.3.0+):
    # bias/norm LR has no x shape[0] factor (that was commit 27b8af3 only); also checked against the package below
    norm = [r for r in rows if r.role == "norm"]
    assert len(rows) == 5 and [r.power for r in norm] == ["0"]
    check(derive("umup", "sgd"), rows)


def test_umup_mup_row_is_depth_mup():
    # the u-muP table's muP row (relative, base-fan-in / base-depth) is Depth-muP in Table 1 form
    rows = oracles.select(ORACLE, param="mup", variant="mup_row")
    assert len(rows) == 6
    check(derive("depth-mup", "adamw"), rows)


def test_aleph_alpha_rows():
    # NOT compared: role input_weight (Aleph-Alpha gives a non-embedding input layer LR 1; the library and the
    # paper have no such weight type -- a code divergence, not a u-muP rule)
    rows = oracles.select(ORACLE, param="umup", variant="aleph_alpha_code")
    assert len(rows) == 5
    check(derive("umup", "adam"), [r for r in rows if r.role != "input_weight"])


def test_umup_sgd_to_output_scale_rows():
    # code-only SGD rule (unit_scaling 0.3.5 lr_scale_func_sgd, issue #73): weight LR x fan_in^(+1/2), bias/norm
    # x shape[0], readout x 1; encoded as the option readout_constraint="to_output_scale", its rows marked UNVERIFIED
    rows = oracles.select(ORACLE, variant="readout_constraint=to_output_scale")
    assert len(rows) == 7
    t = derive("umup", "sgd", readout_constraint="to_output_scale")
    check(t, rows)
    assert t.variant == {"readout_constraint": "to_output_scale"}
    assert "UNVERIFIED" in t.rows[[r.key() for r in t.rows].index(("hidden", "lr", "fan_in"))].note
    assert any("UNVERIFIED" in n and "#73" in n for n in t.notes)
    # the default (and the spelled-out "none") is still the readout_constraint=None table, the Adam rule
    for table in (derive("umup", "sgd"), derive("umup", "sgd", readout_constraint="None")):
        assert table.power("hidden", "lr", "fan_in") == -H and table.variant == {"readout_constraint": "None"}
    # weight decay stays independent: lr x wd constant, so the torch value follows the new LR rows
    assert t.power("norm", "weight_decay", "fan_out") == -1 and t.power("norm", "lr_wd_product", "fan_out") == 0
    # multipliers and inits do not change (the constraint is a backward scale, not an abc quantity)
    adam = derive("umup", "adam")
    for role in ("embedding", "hidden", "readout"):
        for q in ("multiplier", "init_std"):
            assert [r.power for r in t.rows if r.role == role and r.quantity == q] == \
                   [r.power for r in adam.rows if r.role == role and r.quantity == q]


def test_readout_constraint_is_refused_for_adam_and_checked():
    from scaling_exponents.errors import UserError

    with pytest.raises(UserError, match=r"option of u-muP's SGD table.*drop it, or use -o sgd"):
        derive("umup", "adam", readout_constraint="to_output_scale")
    with pytest.raises(UserError, match=r"bad value 'to_input_scale'.*none, to_output_scale"):
        derive("umup", "sgd", readout_constraint="to_input_scale")


# -- cross-check against the unit-scaling package ------------------------------------------------------
# a real test dependency (dev extra), imported unconditionally: a missing package is an error, not a skip
import torch.nn as nn  # noqa: E402
import unit_scaling as uu  # noqa: E402
from unit_scaling.optim import lr_scale_func_adam, lr_scale_func_sgd, scaled_parameters  # noqa: E402

VOCAB, LR, WD = 1000, 0.1, 1e-3


def model(width, layers):
    """Embedding, a depth stack of unit-scaled transformer layers + (LayerNorm, biased MLP) blocks, readout."""
    rule = uu.transformer_residual_scaling_rule()
    blocks = []
    for i in range(layers):
        blocks.append(nn.Sequential(
            uu.TransformerLayer(width, heads=2, mhsa_tau=rule(2 * i, 2 * layers), mlp_tau=rule(2 * i + 1, 2 * layers),
                                is_causal=True),
            uu.LayerNorm(width, elementwise_affine=True),
            uu.Linear(width, 2 * width, bias=True), uu.Linear(2 * width, width, bias=True)))
    return nn.ModuleDict(dict(emb=uu.Embedding(VOCAB, width), stack=uu.DepthSequential(*blocks),
                              out=uu.LinearReadout(width, VOCAB)))


def role_of(name, p):
    if name.startswith("emb."):
        return "embedding"
    if name.startswith("out."):
        return "readout"
    return {"weight": "hidden", "bias": "hidden_bias", "norm": "norm"}[p.mup_type]


def groups(m, lr_scale_func):
    named = list(m.named_parameters())
    out = scaled_parameters([p for _, p in named], lr_scale_func, lr=LR, weight_decay=WD)
    assert [g["params"][0] for g in out] == [p for _, p in named]
    return [(name, p, g) for (name, p), g in zip(named, out)]


def sizes_of(name, p, layers):
    """Fans of a parameter as the table means them: fan_in of a (out, in) weight is shape[1] (the library's
    ``unit_scaling.optim._get_fan_in``), fan_out is shape[0]; an embedding (V, d) has fan_out d (its hidden size,
    the library's "fan_in" of an embedding); a 1-D parameter has fan_out = its size.  The MLP's Linear(w, 2w)
    and Linear(2w, w) are non-square, so a fan_in/fan_out swap in the u-muP rules changes the factor."""
    if p.ndim == 1:
        return {"fan_in": (p.shape[0], 1), "fan_out": (p.shape[0], 1), "depth": (layers, 1)}
    fan_in, fan_out = p.shape[1], p.shape[0]
    if name.startswith("emb."):
        fan_in, fan_out = p.shape[0], p.shape[1]
    return {"fan_in": (fan_in, 1), "fan_out": (fan_out, 1), "depth": (layers, 1)}


SHAPES = [(16, 1), (16, 3), (64, 4), (128, 8)]


@pytest.mark.parametrize("width,layers", SHAPES)
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "sgd/to_output_scale"])
def test_lr_and_weight_decay_equal_unit_scaling(width, layers, optimizer):
    if optimizer == "sgd/to_output_scale":
        table = derive("umup", "sgd", readout_constraint="to_output_scale")
        func = lr_scale_func_sgd(readout_constraint="to_output_scale")
    else:
        table = derive("umup", optimizer)
        func = lr_scale_func_adam if optimizer == "adam" else lr_scale_func_sgd(readout_constraint=None)
    seen, non_square = set(), 0
    for name, p, g in groups(model(width, layers), func):
        role = role_of(name, p)
        seen.add(role)
        s = sizes_of(name, p, layers)
        non_square += role == "hidden" and s["fan_in"] != s["fan_out"]
        assert g["lr"] == pytest.approx(LR * table.combined_factor(role, "lr", s), rel=1e-12), name
        # independent weight decay: torch value lambda / lr_group, so lr * wd = lambda
        assert g["weight_decay"] == pytest.approx(WD * table.combined_factor(role, "weight_decay", s) / LR, rel=1e-12)
        assert g["lr"] * g["weight_decay"] == pytest.approx(WD * table.combined_factor(role, "lr_wd_product", s))
    assert seen == {"embedding", "hidden", "hidden_bias", "norm", "readout"}
    assert non_square >= 2 * layers  # each block's MLP in and out weights


@pytest.mark.parametrize("width", [16, 64])
def test_forward_multipliers_equal_unit_scaling(width):
    """The library's forward scale of each weight type (weights and inputs all ones: output = multiplier x
    fan_in) equals the table's multiplier at the parameter's own fans; the layers are non-square, so a
    fan_in/fan_out swap in the table shows."""
    import torch

    t = derive("umup", "adam")
    layers = [("emb.weight", uu.Embedding(VOCAB, width), "embedding", torch.tensor([[0]]), 1),
              ("stack.w1", uu.Linear(width, 3 * width), "hidden", torch.ones(1, width), width),
              ("stack.w2", uu.Linear(3 * width, width), "hidden", torch.ones(1, 3 * width), 3 * width),
              ("out.weight", uu.LinearReadout(width, VOCAB), "readout", torch.ones(1, width), width)]
    for name, layer, role, x, summed in layers:
        torch.nn.init.ones_(layer.weight)
        with torch.no_grad():
            got = float(layer(x).flatten()[0]) / summed
        want = t.combined_factor(role, "multiplier", sizes_of(name, layer.weight, 1))
        assert got == pytest.approx(want, rel=1e-6), (name, got, want)


def test_library_test_vector():
    # unit_scaling/tests/test_optim.py::test_scaled_parameters: Embedding(256,16), 3 x Linear(16,16) in a
    # DepthSequential, LinearReadout(16,1024), lr 0.1 -> 0.1/4, 0.1/4/sqrt(3), 0.1/sqrt(3), 0.1
    t = derive("umup", "adam")
    s = {"fan_in": (16, 1), "fan_out": (16, 1), "depth": (3, 1)}
    assert 0.1 * t.combined_factor("embedding", "lr", s) == pytest.approx(0.1 / 4)
    assert 0.1 * t.combined_factor("hidden", "lr", s) == pytest.approx(0.1 / 4 / math.sqrt(3))
    assert 0.1 * t.combined_factor("hidden_bias", "lr", s) == pytest.approx(0.1 / math.sqrt(3))
    assert 0.1 * t.combined_factor("readout", "lr", s) == pytest.approx(0.1)


def test_library_sgd_none_is_adam_for_norm_and_bias():
    m = model(32, 2)
    adam = {n: g["lr"] for n, _, g in groups(m, lr_scale_func_adam)}
    sgd = {n: g["lr"] for n, _, g in groups(m, lr_scale_func_sgd(readout_constraint=None))}
    assert adam == sgd
    norm = [n for n, p in m.named_parameters() if p.mup_type == "norm"][0]
    assert sgd[norm] == pytest.approx(LR / math.sqrt(2))  # depth only, no x shape[0] (as the oracle row)


@pytest.mark.parametrize("layers", [2, 8, 32])
def test_residual_rule_is_depth_to_the_minus_half(layers):
    # u-muP Appendix G rule: tau_k = alpha_k / sqrt(L + sum_{j<k} alpha_j^2), alpha = 1 by default
    t = derive("umup", "adam")
    branch = t.combined_factor("residual_branch", "multiplier", {"depth": (layers, 1)})
    rule = uu.transformer_residual_scaling_rule()
    taus = [rule(k, 2 * layers) for k in range(2 * layers)]
    assert taus[0] == pytest.approx(branch, rel=1e-12)  # first branch: exactly L^-1/2
    assert all(branch / math.sqrt(3) - 1e-12 <= tau <= branch + 1e-12 for tau in taus)  # Θ(L^-1/2)


def test_residual_rule_exponent():
    rule = uu.transformer_residual_scaling_rule()
    last = lambda L: rule(2 * L - 1, 2 * L)
    slope = math.log(last(4096) / last(1024)) / math.log(4)
    assert slope == pytest.approx(float(derive("umup", "adam").power("residual_branch", "multiplier", "depth")),
                                  abs=1e-3)


def test_the_final_norm_takes_the_norm_width_rule_and_no_depth_factor():
    """Expected values: external library (unit-scaling 0.3.5): ``lr_scale_for_depth`` is L^-1/2 for a parameter of the
    depth stack (``DepthSequential`` sets ``mup_scaling_depth``) and 1 for every parameter outside it (its
    ``TransformerDecoder`` has no norm gains at all, so the embedding and readout stand for "outside"); the table's
    final_norm rows carry the same width rule as the blocks' norms.  Before this row the final norm fell
    back to ``norm`` and took depth^-1/2 (measured L^-0.49 in catalog/verification/umup, issue 22)."""
    pytest.importorskip("unit_scaling")
    from unit_scaling import TransformerDecoder
    from unit_scaling.optim import lr_scale_for_depth

    t = derive("umup", "adam")
    assert t.power("final_norm", "lr", "depth") == 0 and t.power("norm", "lr", "depth") == sympy.Rational(-1, 2)
    for q in ("multiplier", "init_std", "lr"):
        for dim in ("fan_out", "fan_in"):
            assert t.power("final_norm", q, dim) == t.power("norm", q, dim)
    m = TransformerDecoder(hidden_size=32, vocab_size=16, layers=4, heads=2)
    in_stack = m.layers[0].mlp.linear_2.weight  # any parameter of the depth stack (its blocks' norms have no gain)
    assert lr_scale_for_depth(m.embedding.weight) == 1 and lr_scale_for_depth(m.projection.weight) == 1
    assert lr_scale_for_depth(in_stack) == pytest.approx(len(m.layers) ** -0.5)
