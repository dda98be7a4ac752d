"""The modern GPT switches (RoPE, QK-norm, ReLU², untied head, bf16 autocast; Muon on hidden matrices + Adam).

Expected values: RoPE's relative-position identity (Su et al. arXiv 2104.09864 Eq. 34), RMS = 1 after QK RMS-norm
and ReLU²(x) = max(0, x)² by definition (independent computation). Which parameters go to Muon vs Adam, the
parameter names and the error strings are regression: the project's own design and output.
"""

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import GPT
from scaling_exponents.verifier.models.gpt_modern import ReLU2, apply_rope, qk_rms_norm, rope_tables
from scaling_exponents.verifier.optimizers import build_optimizer


def test_rope_scores_depend_on_relative_position_only():
    # arXiv 2104.09864 Eq. (34): <R_t q, R_s k> = <q, R_{s-t} k>
    torch.manual_seed(0)
    cos, sin = rope_tables(8, 16)
    q, k = torch.randn(8), torch.randn(8)
    score = lambda t, s: float(apply_rope(q.expand(16, 8), cos, sin)[t] @ apply_rope(k.expand(16, 8), cos, sin)[s])
    assert score(3, 1) == pytest.approx(score(9, 7), rel=1e-5)
    assert score(3, 1) != pytest.approx(score(3, 2), rel=1e-3)
    with pytest.raises(UserError, match="even head dimension"):
        rope_tables(7, 4)


def test_qk_norm_and_relu2():
    x = 5 * torch.randn(3, 4, 16)
    assert qk_rms_norm(x).pow(2).mean(-1).sqrt() == pytest.approx(torch.ones(3, 4), rel=1e-4)
    assert ReLU2()(torch.tensor([-2.0, 3.0])).tolist() == [0.0, 9.0]


def test_modern_gpt_switches():
    torch.manual_seed(0)
    m = GPT.modern(256, 64, 2, block_size=16)
    names = [n for n, _ in m.named_parameters()]
    assert "pos.weight" not in names and m.head.weight is not m.embed.weight  # RoPE, untied head
    assert isinstance(m.blocks[0].mlp.act, ReLU2) and m.blocks[0].attn.qk_norm
    idx = torch.randint(0, 256, (2, 16))
    out = m(idx)
    assert out.dtype == torch.float32 and out.shape == (2, 16, 256)  # bf16 autocast inside, float32 logits
    classic = GPT(256, 64, 2, head_dim=16, block_size=16, autocast=None)
    assert "pos.weight" in [n for n, _ in classic.named_parameters()]
    with pytest.raises(UserError, match="autocast is None or 'bfloat16'"):
        GPT(256, 64, 1, head_dim=16, autocast="fp8")


def test_muon_on_hidden_adam_on_the_rest():
    m = GPT.modern(256, 64, 1, block_size=16)
    pz = Parametrization(m, "muon", optimizer="muon", width=64, base_width=32, depth=1, base_depth=1)
    assert pz.unmatched == []
    o = build_optimizer("muon", pz.param_groups, pz, matrix_roles=("hidden",))
    muon_names = {n for g in o.optimizers[0].param_groups for n in g["param_names"]}
    adam_names = {n for g in o.optimizers[1].param_groups for n in g["param_names"]}
    assert muon_names == {"blocks.0.attn.qkv.weight", "blocks.0.attn.proj.weight", "blocks.0.mlp.up.weight",
                          "blocks.0.mlp.down.weight"}
    assert {"embed.weight", "head.weight", "ln_f.weight"} <= adam_names


def test_modern_gpt_through_the_verifier_config():
    from scaling_exponents.verifier.probes import RunConfig, make_model

    cfg = RunConfig("mup", model="gpt", width=32, arch="modern")
    assert make_model(cfg).rope and cfg.to_dict()["arch"] == "modern"
    assert "arch" not in RunConfig("mup", model="gpt").to_dict()  # store keys of classic runs unchanged
    with pytest.raises(UserError, match="--arch is classic or modern"):
        make_model(RunConfig("mup", model="gpt", width=32, arch="retro"))
