"""Fans of PyTorch parameters and the fan that grows with width for each role.

Kind: independent computation -- fans from the shapes PyTorch documents (Linear (out, in); Conv (out, in, *k) with
the receptive field multiplied into both; Embedding (num, dim)); the width fan per role is TP5's (arXiv 2203.03466
Table 3 / App. J.2.1): fan_out for an embedding and for vectors, fan_in for the other matrices.
"""

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from scaling_exponents.torch.shapes import dim_fans, fans, width_fan  # noqa: E402


def test_fans_of_common_layers():
    lin, conv, emb = nn.Linear(3, 5), nn.Conv2d(3, 4, kernel_size=2), nn.Embedding(10, 4)
    assert fans(lin, "weight", lin.weight) == (3, 5)
    assert fans(conv, "weight", conv.weight) == (12, 16)  # 3*2*2 in, 4*2*2 out
    assert fans(emb, "weight", emb.weight) == (10, 4)
    assert fans(lin, "bias", lin.bias) == (3, 5)  # a bias takes its layer's fan_in (PyTorch's default init)
    ln = nn.LayerNorm(7)
    assert fans(ln, "weight", ln.weight) == (1, 7)


def test_width_fan_per_role():
    lin, emb = nn.Linear(3, 5), nn.Embedding(10, 4)
    assert width_fan("hidden", lin, "weight", lin.weight) == 3
    assert width_fan("readout", lin, "weight", lin.weight) == 3
    assert width_fan("embedding", emb, "weight", emb.weight) == 4
    assert width_fan("bias", lin, "bias", lin.bias) == 5


def test_dim_fans_of_a_vector_is_its_length_both_ways():
    ln, lin = nn.LayerNorm(7), nn.Linear(3, 5)
    assert dim_fans(ln, "weight", ln.weight) == (7, 7)
    assert dim_fans(lin, "weight", lin.weight) == (3, 5)
