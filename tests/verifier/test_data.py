"""The verifier's data: the digits probe batch (MLP sweeps) and byte-level LM batches (GPT sweeps).

Kind: independent computation -- shapes, determinism under a seed, the standardisation the module states (zero
mean, unit std per feature over the whole set), next-byte targets, and the one-line refusals of bad input.
"""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.verifier import data  # noqa: E402


def test_digits_are_standardised_and_split_without_overlap():
    x, y = data.digits("all")
    assert x.shape == (1797, 64) and y.shape == (1797,) and set(y.tolist()) == set(range(10))
    assert x.mean(0).abs().max().item() < 1e-5
    used = x.std(0, unbiased=False) > 0.5  # constant pixels stay 0
    assert (x.std(0, unbiased=False)[used] - 1).abs().max().item() < 1e-3
    tr, te = data.digits("train")[0], data.digits("test")[0]
    assert len(tr) + len(te) == 1797 and len(te) == round(0.25 * 1797)


def test_probe_batch_is_deterministic_and_checked():
    a, b = data.probe_batch(8), data.probe_batch(8)
    assert a[0].shape == (8, 64) and torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(data.probe_batch(8, seed=1)[0], a[0])
    with pytest.raises(UserError, match="--batch must be in 1.."):
        data.probe_batch(0)
    with pytest.raises(UserError, match="unknown split 'val'"):
        data.digits("val")


def test_byte_batches_predict_the_next_byte():
    x, y = next(data.byte_batches(block=16, batch=4, seed=0, max_bytes=200_000))
    assert x.shape == y.shape == (4, 16) and x.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])
    assert int(x.max()) < 256
    with pytest.raises(UserError, match="corpus split too small for block"):
        next(data.byte_batches(block=10_000, batch=1, split="test", max_bytes=20_000))
