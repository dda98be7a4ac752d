"""Per-matrix tables (role ``weight``) on the reference models and a user's model (scaling_exponents.torch.matrix_roles).

Expected values: Qiu et al. arXiv 2512.05620 Table 1 (Muon LR ∝ sqrt(fan_out/fan_in): x sqrt 2, 1, 1/sqrt 2 at width
ratio 2) and Table 2 (damping sqrt(fan_in/fan_out) -> eps), blocked Shampoo LR n_blk^-1/2 (Sec. 3.1); the per-role
check is muP for Adam's hidden LR 1/n (arXiv 2407.05872 Table 1: x 1/2 at ratio 2). Error strings and explain() text
are regression: the project's own output.
"""

import math

import pytest
from torch import nn

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.matrix_roles import block_sizes, is_per_matrix, table_role
from scaling_exponents.verifier.models import GPT, MLP, ResMLP


def _muon(model, **kw):
    return Parametrization(model, "muon", optimizer="muon", width=64, base_width=32, depth=2, base_depth=2, lr=0.02, **kw)


def test_muon_table_lr_per_matrix_on_mlp():
    # arXiv 2512.05620 Table 1 (Muon): lr ∝ sqrt(fan_out/fan_in): embedding n^(+1/2), hidden 1, readout n^(-1/2)
    pz = _muon(MLP(16, 64, 10, depth=2, bias=False))
    assert pz.table.roles == ["weight"] and is_per_matrix(pz.table)
    r = pz.records
    assert {r[n].role for n in r} == {"weight"}
    assert r["embed.weight"].lr_scale == pytest.approx(math.sqrt(2))
    assert r["hidden.0.weight"].lr_scale == pytest.approx(1.0)
    assert r["head.weight"].lr_scale == pytest.approx(1 / math.sqrt(2))
    # damping (Table 2): sqrt(fan_in/fan_out)/L -> the group eps factor
    assert r["embed.weight"].eps_scale == pytest.approx(1 / math.sqrt(2))
    assert r["head.weight"].eps_scale == pytest.approx(math.sqrt(2))
    eps = {g["param_names"][0]: g["eps"] for g in pz.param_groups}
    assert eps["head.weight"] == pytest.approx(1e-8 * math.sqrt(2))
    assert r["hidden.0.weight"].fans == {"fan_in": (64, 32.0), "fan_out": (64, 32.0)}


def test_explain_shows_each_matrix_fans_and_damping_applied():
    text = _muon(GPT(256, 64, 2, head_dim=16)).explain()
    lines = [l for l in text.splitlines() if l.startswith("blocks.0.mlp.down.weight")]
    assert any("fan_in 256/128, fan_out 64/32" in l for l in lines) and any(" weight" in l for l in lines)
    assert "per-matrix" in text  # the why column (wrapped) names the per-matrix mapping
    assert "damping" not in text.split("table rows NOT applied")[1]  # damping rows are applied (as eps)
    assert "roles the table has no rows for (factors 1): bias, norm" in text


def test_shampoo_blocks_from_block_size():
    # blocked Shampoo (Qiu et al. Sec. 3.1): lr ∝ n_blk^-(eL+eR) (d_out/d_in)^(1-eL-eR); a 64x64 matrix in 32-blocks has 4
    assert block_sizes({"fan_in": (64, 32), "fan_out": (64, 32)}, 32) == {
        "block_in": (32, 32), "block_out": (32, 32), "blocks": (4, 1)}
    assert block_sizes({"fan_in": (64, 32), "fan_out": (10, 10)}, None)["blocks"] == (1, 1)
    pz = Parametrization(ResMLP(16, 64, 10, depth=2, bias=False), "shampoo", optimizer="shampoo", width=64,
                         base_width=32, depth=2, base_depth=2, settings={"block_size": 32})
    assert pz.records["blocks.0.fc1.weight"].lr_scale == pytest.approx(4 ** -0.5)
    with pytest.raises(UserError, match="block_size must be a positive integer"):
        block_sizes({"fan_in": (64, 32), "fan_out": (64, 32)}, 0)


def test_user_named_matrix_and_vector_roles():
    class Net(nn.Module):
        def __init__(self, w):
            super().__init__()
            self.width = w
            self.a = nn.Linear(8, w)
            self.b = nn.Linear(w, w)
            self.norm = nn.LayerNorm(w)

        def forward(self, x):
            return self.b(self.norm(self.a(x)))

    # a user-named matrix has no "input layer" meaning: its base fans come from a base model (mup's base shapes)
    pz = Parametrization(Net(64), "muon", optimizer="muon", base_model=Net(32), depth=1, base_depth=1,
                         layers={"a": "matrix", "b": "matrix", "norm.*": "vector"})
    assert pz.records["b.weight"].role == "weight" and pz.records["norm.weight"].role == "vector"
    assert pz.records["a.weight"].lr_scale == pytest.approx(math.sqrt(2))
    assert pz.records["norm.weight"].lr_scale == 1.0
    with pytest.raises(UserError, match="role 'matrix' is for parameters with >= 2 dimensions"):
        Parametrization(Net(64), "muon", optimizer="muon", width=64, base_width=32, depth=1, base_depth=1,
                        layers={"a": "matrix", "norm.weight": "matrix"})


def test_per_role_tables_unchanged():
    from scaling_exponents.systems.registry import derive

    mup = derive("mup", optimizer="adam")
    assert not is_per_matrix(mup) and table_role(mup, "hidden", 2) == "hidden"
    pz = Parametrization(MLP(16, 64, 10, depth=1), "mup", optimizer="adam", width=64, base_width=32)
    assert pz.records["hidden.0.weight"].role == "hidden" and pz.records["hidden.0.weight"].lr_scale == pytest.approx(0.5)
