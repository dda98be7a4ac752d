"""The analytic NNGP kernel of a ReLU MLP (arc-cosine kernel) the NNGP probe compares with.

Kind: independent computation -- Cho & Saul's degree-1 arc-cosine kernel by hand (the recursion of Lee et al.,
arXiv 1711.00165, Sec. 2.3: ``K' = s_w/(2 pi) sqrt(k k') (sin th + (pi - th) cos th)``).  Inputs ``sqrt(2) I`` in
d = 2 give the input kernel ``s_w x x^T / d = 2 I``; with s_w = 2 (He init) a ReLU layer keeps the diagonal (2) and
maps the orthogonal pair (th = pi/2) to ``2 * 2 / (2 pi) = 2/pi``; a second layer maps cos = 1/pi to
``2 (sin th + (pi - th) / pi) / pi`` with th = arccos(1/pi).
"""

import math

import pytest

torch = pytest.importorskip("torch")

from scaling_exponents.verifier.probes.kernels import arccos_nngp  # noqa: E402

X = torch.eye(2) * math.sqrt(2.0)


def test_one_relu_layer_on_orthogonal_inputs():
    k = arccos_nngp(X, depth=1)
    assert k[0, 0].item() == pytest.approx(2.0) and k[1, 1].item() == pytest.approx(2.0)
    assert k[0, 1].item() == pytest.approx(2.0 / math.pi)


def test_two_layers_follow_the_recursion():
    k = arccos_nngp(X, depth=2)
    th = math.acos(1 / math.pi)
    assert k[0, 0].item() == pytest.approx(2.0)
    assert k[0, 1].item() == pytest.approx(2.0 * (math.sin(th) + (math.pi - th) / math.pi) / math.pi)
