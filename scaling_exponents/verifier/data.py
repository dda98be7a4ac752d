"""Real data that needs no download: scikit-learn's bundled digits, and bytes of Python's own stdlib source.

* :func:`digits` -- the 1,797 8x8 handwritten digits shipped inside scikit-learn (UCI ML hand-written
  digits, Alpaydin & Kaynak 1998), standardised per pixel; 64 inputs, 10 classes.  Used for the MLP.
* :func:`stdlib_bytes` -- a byte-level language-modelling corpus: the ``.py`` files of the running
  interpreter's standard library (found via ``sysconfig.get_paths()["stdlib"]``), sorted by name and
  concatenated, so the same Python version gives the same bytes on every machine.  Vocabulary 256.
  Used for the GPT.

Everything is deterministic given ``seed``; nothing is fetched from the network.
"""

from __future__ import annotations

import sysconfig
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..errors import UserError


@lru_cache(maxsize=1)
def _digits_arrays():
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - depends on the environment
        raise UserError("the MLP data set needs scikit-learn: pip install scikit-learn") from None
    d = load_digits()
    x = d.data.astype(np.float32)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    return x, d.target.astype(np.int64)


def digits(split: str = "train", seed: int = 0, test_fraction: float = 0.25):
    """``(x, y)`` tensors of the digits data: a fixed shuffled split (``train`` / ``test`` / ``all``)."""
    x, y = _digits_arrays()
    perm = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    idx = {"train": perm[n_test:], "test": perm[:n_test], "all": perm}.get(split)
    if idx is None:
        raise UserError(f"unknown split {split!r}; choose train, test or all")
    return torch.from_numpy(x[idx]), torch.from_numpy(y[idx])


def probe_batch(batch: int = 64, seed: int = 0):
    """A fixed batch of digits (the coordinate-check probe/training batch)."""
    x, y = digits("train", seed)
    if batch < 1 or batch > len(x):
        raise UserError(f"--batch must be in 1..{len(x)}, got {batch}")
    return x[:batch], y[:batch]


@lru_cache(maxsize=2)
def stdlib_bytes(max_bytes: int = 4_000_000) -> np.ndarray:
    """The first ``max_bytes`` bytes of the concatenated stdlib ``.py`` files (uint8 array)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*.py") if p.is_file())
    if not files:
        raise UserError(f"no Python standard-library sources found under {root}")
    chunks, total = [], 0
    for p in files:
        b = p.read_bytes()
        chunks.append(b)
        total += len(b)
        if total >= max_bytes:
            break
    return np.frombuffer(b"".join(chunks)[:max_bytes], dtype=np.uint8)


def byte_batches(block: int, batch: int, seed: int = 0, split: str = "train", max_bytes: int = 4_000_000):
    """Infinite iterator of ``(x, y)`` int64 tensors ``(batch, block)``, y = x shifted by one byte.

    The last 10% of the corpus is the ``test`` split.
    """
    data = stdlib_bytes(max_bytes)
    cut = int(len(data) * 0.9)
    part = data[:cut] if split == "train" else data[cut:]
    if len(part) <= block + 1:
        raise UserError(f"corpus split too small for block {block}")
    rng = np.random.default_rng(seed)
    t = torch.from_numpy(part.astype(np.int64))
    while True:
        starts = torch.from_numpy(rng.integers(0, len(part) - block - 1, size=batch))
        idx = starts[:, None] + torch.arange(block + 1)
        chunk = t[idx]
        yield chunk[:, :-1], chunk[:, 1:]
