"""nn.MultiheadAttention's packed projections: per-block fans and roles.

Kind: independent computation -- the fans are read off the shapes PyTorch documents for the module
(``in_proj_weight`` is (3E, E): three (E, E) blocks q, k, v; with ``kdim``/``vdim`` the separate ``k_proj_weight`` is
(E, kdim)); TP5 (arXiv 2203.03466) scales each block by its own fan_in, so the packed weight's fan_out is E, not 3E.
"""

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from scaling_exponents.torch import mha  # noqa: E402
from scaling_exponents.torch.shapes import fans  # noqa: E402


def test_packed_weight_is_three_square_blocks():
    m = nn.MultiheadAttention(8, 2)
    assert mha.is_mha(m) and not mha.is_mha(nn.Linear(8, 8))
    assert mha.fans(m, "in_proj_weight", m.in_proj_weight) == (8, 8)
    assert fans(m, "in_proj_weight", m.in_proj_weight) == (8, 8)  # the generic fans() defers to the block
    assert [(n, s.start, s.stop, f) for n, s, f in mha.blocks(m)] == [("q", 0, 8, (8, 8)), ("k", 8, 16, (8, 8)),
                                                                      ("v", 16, 24, (8, 8))]


def test_separate_projections_and_biases():
    m = nn.MultiheadAttention(8, 2, kdim=4, vdim=6)
    assert m.in_proj_weight is None and mha.blocks(m) == []
    assert mha.fans(m, "k_proj_weight", m.k_proj_weight) == (4, 8)
    assert mha.fans(m, "v_proj_weight", m.v_proj_weight) == (6, 8)
    assert mha.fans(m, "in_proj_bias", m.in_proj_bias) is None
    assert mha.role_of("in_proj_bias", "hidden") == "bias" and mha.role_of("in_proj_weight", "hidden") == "hidden"
