"""The "modern GPT" switches of the reference :class:`~.gpt.GPT` (seed 002: the modded-nanogpt speedrun stack with muP).

Each switch is one of the modded-nanogpt (Keller Jordan et al., github.com/KellerJordan/modded-nanogpt) choices:

* ``rope=True`` -- rotary position embeddings on q and k (Su et al., arXiv 2104.09864, Eq. (34): pairs of
  coordinates rotated by ``t * base^{-2i/d}``), replacing the learned ``pos`` table;
* ``qk_norm=True`` -- RMS-normalise q and k per head before the dot product (Dehghani et al., arXiv 2302.05442
  Sec. 3.1; modded-nanogpt uses a weightless ``rms_norm``), so the logit size no longer depends on the weights' scale;
* ``activation="relu2"`` -- ReLU² in the MLP (So et al., "Primer", arXiv 2109.08668 Sec. 4);
* ``tied_embeddings=False`` -- untied head (the default of :class:`~.gpt.GPT` already);
* ``autocast="bfloat16"`` -- the forward under ``torch.autocast`` (parameters stay float32, matmuls in bf16);
* Muon on the hidden matrices with Adam on the rest -- an optimizer choice, not a module:
  :func:`scaling_exponents.verifier.optimizers.build_optimizer` with ``matrix_roles=("hidden",)``.

:meth:`~.gpt.GPT.modern` builds a :class:`~.gpt.GPT` with all of them on.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import UserError


class ReLU2(nn.Module):
    """``relu(x)^2`` (Primer, arXiv 2109.08668)."""

    def forward(self, x):
        """``relu(x)^2``."""
        return F.relu(x).square()


def rope_tables(head_dim: int, length: int, base: float = 10_000.0):
    """``(cos, sin)`` of shape (length, head_dim/2): angle ``t * base^{-2i/head_dim}`` (arXiv 2104.09864 Eq. (34))."""
    if head_dim % 2:
        raise UserError(f"RoPE needs an even head dimension, got {head_dim}")
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    ang = torch.arange(length, dtype=torch.float32)[:, None] * inv[None]
    return ang.cos(), ang.sin()


def apply_rope(x, cos, sin):
    """Rotate coordinate pairs (first half, second half) of ``x`` (..., T, d) by the angles of ``cos``/``sin`` (T, d/2)."""
    d = x.shape[-1] // 2
    x1, x2 = x[..., :d], x[..., d:]
    t = x.shape[-2]
    c, s = cos[:t].to(x.dtype), sin[:t].to(x.dtype)
    return torch.cat((x1 * c + x2 * s, x2 * c - x1 * s), dim=-1)


def qk_rms_norm(x, eps: float = 1e-6):
    """Weightless RMS norm over the head dimension (modded-nanogpt's QK-norm)."""
    return F.rms_norm(x, (x.shape[-1],), eps=eps)
