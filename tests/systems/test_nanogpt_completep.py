"""Cross-check with the authors' reference code, EleutherAI/nanoGPT-mup branch `completep` (model.py @3904404).

The formulas below restate that file as plain numbers (no torch):

* ``Block.__init__``: ``residual_scaling = 1 / depth_multiplier ** depth_alpha_exp`` on both branches;
* ``GPT.__init__``: ``c_attn/c_fc/c_proj.weight ~ N(0, (init_std / sqrt(mup_width_multiplier))^2)``, every
  other Linear/Embedding ``N(0, init_std^2)``, LayerNorm gain 1;
* ``GPT.forward``: ``x *= mup_input_alpha`` after the embedding; ``x *= mup_output_alpha / mup_width_multiplier``
  before the (tied) ``lm_head``;
* ``GPT.configure_optimizers`` (``depth_alpha_enabled``): five groups with ``lr_scale``, ``weight_decay``, ``eps``.

Our concrete factors (``ExponentTable.combined_factor`` with width/base-width and depth/base-depth) must
equal them for every (width, depth) pair.

Expected values come from an external reference implementation, read (not run): the per-group factors in
``nanogpt()`` restate EleutherAI/nanoGPT-mup branch ``completep`` model.py @3904404 as listed above; WD, EPS and
INIT_STD are arbitrary base values that cancel in the ratios; the alpha = 1 claim is that repository's README.

Kind: external library (EleutherAI/nanoGPT-mup completep, read and restated).
"""

import math

import pytest

from scaling_exponents.systems.registry import derive

BASE_WIDTH, BASE_DEPTH = 256, 2  # the completep coord-check base shape
WD, EPS, INIT_STD = 0.1, 1e-12, 0.02


def nanogpt(width, depth, alpha):
    """nanoGPT-mup@completep's per-group numbers at this shape, relative to the base HPs."""
    m_n, m_l = width / BASE_WIDTH, depth / BASE_DEPTH
    depth_lr_scaling = m_l ** (alpha - 1)
    width_lr_scaling = 1 / m_n
    emb_unemb_eps = EPS * (1 / m_n)
    hidden_eps = EPS * (1 / m_n) * m_l ** (-1 * alpha)
    groups = {  # role: (lr_scale, weight_decay, eps)
        "embedding": (1.0, WD, emb_unemb_eps),
        "norm": (depth_lr_scaling, 0.0, hidden_eps),
        "hidden": (width_lr_scaling * depth_lr_scaling, WD / width_lr_scaling, hidden_eps),
        "hidden_bias": (depth_lr_scaling, 0.0, hidden_eps),
        "final_norm": (1.0, 0.0, emb_unemb_eps),
    }
    return {
        "groups": groups,
        "residual_scaling": 1 / m_l ** alpha,
        "hidden_init_std": INIT_STD / math.sqrt(m_n),
        "other_init_std": INIT_STD,
        "readout_forward": 1.0 / m_n,  # mup_output_alpha = 1
        "input_forward": 1.0,  # mup_input_alpha = 1
    }


SHAPES = [(256, 2), (1024, 8), (4096, 48), (384, 6), (2048, 2), (256, 128)]


@pytest.mark.parametrize("alpha", [1.0, 0.5, 0.75])
@pytest.mark.parametrize("width,depth", SHAPES)
def test_concrete_factors_equal_nanogpt(width, depth, alpha):
    table = derive("completep") if alpha == 1.0 else derive("completep", alpha=str(alpha))
    sizes = {"width": (width, BASE_WIDTH), "depth": (depth, BASE_DEPTH)}
    f = lambda role, q: table.combined_factor(role, q, sizes)
    ref = nanogpt(width, depth, alpha)
    for role, (lr_scale, wd, eps) in ref["groups"].items():
        assert f(role, "lr") == pytest.approx(lr_scale, rel=1e-12), role
        assert EPS * f(role, "adam_eps") == pytest.approx(eps, rel=1e-12), role
    # torch weight_decay: only the hidden group is rescaled; the tied embedding keeps the base lambda
    assert WD * f("hidden", "weight_decay") == pytest.approx(ref["groups"]["hidden"][1], rel=1e-12)
    assert f("hidden", "lr_wd_product") == pytest.approx(
        ref["groups"]["hidden"][0] * ref["groups"]["hidden"][1] / WD, rel=1e-12)
    assert f("residual_branch", "multiplier") == pytest.approx(ref["residual_scaling"], rel=1e-12)
    assert INIT_STD * f("hidden", "init_std") == pytest.approx(ref["hidden_init_std"], rel=1e-12)
    for role in ("embedding", "readout"):
        assert INIT_STD * f(role, "init_std") == pytest.approx(ref["other_init_std"], rel=1e-12)
    assert f("readout", "multiplier") == pytest.approx(ref["readout_forward"], rel=1e-12)
    assert f("embedding", "multiplier") == pytest.approx(ref["input_forward"], rel=1e-12)
    # the tied lm_head lives in nanoGPT's emb group: same LR and eps as the embedding
    assert f("readout", "lr") == f("embedding", "lr") and f("readout", "adam_eps") == f("embedding", "adam_eps")


def test_readme_claim_alpha_one_needs_no_lr_depth_factor():
    # nanoGPT-mup README: with alpha = 1 the LR correction m_L^(alpha-1) is 1 for every group
    t = derive("completep")
    assert all(t.power(r, "lr", "depth") == 0 for r in t.roles)
