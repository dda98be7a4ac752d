"""Seed-batched probe helpers: the randomized spectral norm and the forward-hook capture.

Kind: independent computation -- matrices built here from chosen singular values (U diag(s) V^T with random
orthogonal U, V), so the largest singular value is known; the range finder (Halko, Martinsson & Tropp,
arXiv 0909.4061, Alg. 4.4) is exact for rank <= k.
"""

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from scaling_exponents.verifier.probes.seeds import Capture, spectral_norm, weight_layers  # noqa: E402


def matrix(singular, m=12, n=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    u = torch.linalg.qr(torch.randn(m, len(singular), generator=g)).Q
    v = torch.linalg.qr(torch.randn(n, len(singular), generator=g)).Q
    return u @ torch.diag(torch.tensor(singular)) @ v.T


def test_spectral_norm_of_a_low_rank_stack_is_exact():
    w = torch.stack([matrix([3.0, 2.0, 1.0]), matrix([0.5, 0.25], seed=1)])
    assert spectral_norm(w).tolist() == pytest.approx([3.0, 0.5], rel=1e-5)


def test_spectral_norm_of_a_full_rank_matrix_is_close():
    s = [5.0] + [1.0] * 9  # a clear gap: subspace iteration converges fast
    assert spectral_norm(matrix(s)[None]).item() == pytest.approx(5.0, rel=1e-3)


def test_capture_records_each_layers_input_and_output_and_removes_its_hooks():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    layers = weight_layers(net)
    assert list(layers) == ["0", "2"]
    cap = Capture(net, layers)
    x = torch.randn(5, 3)
    net(x)
    inp, out = cap.store["0"]
    assert torch.equal(inp, x) and out.shape == (5, 4)
    cap.remove()
    assert all(not m._forward_hooks for m in layers.values())
