"""Reference GPT with stable module names, for tests, coordinate checks and LR-transfer sweeps.

Pre-norm causal transformer: ``embed``, ``pos``, ``blocks.{i}.ln1``, ``blocks.{i}.attn.qkv``,
``blocks.{i}.attn.proj``, ``blocks.{i}.ln2``, ``blocks.{i}.mlp.up``, ``blocks.{i}.mlp.down``, ``ln_f``,
``head``.  Attention logits use ``logit_scale`` (a buffer): ``1/sqrt(d)`` (Vaswani et al.) or ``1/d``
(muP, TP5 Def. 4.1, arXiv 2203.03466).  PyTorch's default initialisation (see :mod:`.mlp`); forward passes
are cheap and deterministic (no dropout, explicit attention instead of a fused kernel).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import UserError
from .gpt_modern import ReLU2, apply_rope, qk_rms_norm, rope_tables
from .mlp import _activation

#: Attention logit scale rules: the multiplier of q.k as a function of the head dimension d.
ATTN_SCALES = {"1/sqrt(d)": lambda d: 1.0 / math.sqrt(d), "1/d": lambda d: 1.0 / d}


class Attention(nn.Module):
    """Causal multi-head self-attention with an explicit ``logit_scale`` buffer.

    Exposes the protocol :class:`Parametrization` uses for the ``attention`` role: ``head_dim`` and
    ``logit_scale_for(head_dim)`` (this module's rule), and the buffer ``logit_scale``.
    """

    def __init__(self, width: int, n_head: int, head_dim: int, attn_scale: str, bias: bool, rope: bool = False,
                 qk_norm: bool = False, block_size: int = 64):
        super().__init__()
        if attn_scale not in ATTN_SCALES:
            raise UserError(f"attn_scale must be one of {', '.join(ATTN_SCALES)}, got {attn_scale!r}")
        self.n_head, self.head_dim, self.attn_scale = n_head, head_dim, attn_scale
        self.qkv = nn.Linear(width, 3 * n_head * head_dim, bias=bias)
        self.proj = nn.Linear(n_head * head_dim, width, bias=bias)
        self.register_buffer("logit_scale", torch.tensor(self.logit_scale_for(head_dim)), persistent=False)
        self.rope, self.qk_norm = rope, qk_norm  # modern switches (:mod:`.gpt_modern`)
        if rope:
            cos, sin = rope_tables(head_dim, block_size)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)

    def logit_scale_for(self, head_dim: float) -> float:
        """The attention logit scale at head dimension ``head_dim`` under this module's ``attn_scale`` rule
        (:data:`ATTN_SCALES`: ``1/sqrt(d)``, Vaswani et al., or ``1/d``, muP TP5 Def. 4.1)."""
        return ATTN_SCALES[self.attn_scale](head_dim)

    def forward(self, x):
        """Causal multi-head self-attention of ``x`` (batch, time, width), logits scaled by ``logit_scale`` (optional
        qk-norm and RoPE)."""
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)
        if self.qk_norm:
            q, k = qk_rms_norm(q), qk_rms_norm(k)
        if self.rope:
            q, k = apply_rope(q, self.rope_cos, self.rope_sin), apply_rope(k, self.rope_cos, self.rope_sin)
        att = (q @ k.transpose(-2, -1)) * self.logit_scale
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, self.n_head * self.head_dim))


class FeedForward(nn.Module):
    """The block's MLP ``down(act(up(x)))`` (``up``: width -> hidden, ``down``: hidden -> width)."""

    def __init__(self, width: int, hidden: int, bias: bool, activation: str):
        super().__init__()
        self.up = nn.Linear(width, hidden, bias=bias)
        self.down = nn.Linear(hidden, width, bias=bias)
        self.act = ReLU2() if activation == "relu2" else _activation(activation)

    def forward(self, x):
        """``down(act(up(x)))``."""
        return self.down(self.act(self.up(x)))


class Block(nn.Module):
    """Pre-norm block ``x + r * attn(ln1(x))``, ``x + r * mlp(ln2(x))`` with ``r = residual_multiplier``.

    ``attn`` and ``mlp`` are the residual branches: a ``residual_branch`` output multiplier (CompleteP /
    depth-muP ``L^-alpha``) is applied to them by :class:`Parametrization` on top of ``r``.
    """

    def __init__(self, width, n_head, head_dim, mlp_ratio, attn_scale, bias, activation, residual_multiplier,
                 rope=False, qk_norm=False, block_size=64):
        super().__init__()
        self.residual_multiplier = float(residual_multiplier)
        self.ln1 = nn.LayerNorm(width, bias=bias)
        self.attn = Attention(width, n_head, head_dim, attn_scale, bias, rope, qk_norm, block_size)
        self.ln2 = nn.LayerNorm(width, bias=bias)
        self.mlp = FeedForward(width, mlp_ratio * width, bias, activation)

    def forward(self, x):
        """Pre-LN residual block: ``x + m attn(ln1(x))`` then ``+ m mlp(ln2(x))``, ``m`` the residual multiplier."""
        x = x + self.residual_multiplier * self.attn(self.ln1(x))
        return x + self.residual_multiplier * self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Small GPT-style decoder (pre-norm, causal, learned positions) returning logits ``(B, T, vocab)``.

    Give ``n_head`` (head_dim = width / n_head, so head_dim grows with width) or ``head_dim`` (n_head =
    width / head_dim, head_dim fixed).  ``tied_embeddings=True`` shares ``embed.weight`` with
    ``head.weight`` (TP5 Table 8 allows it).  ``readout_zero_init=True`` starts ``head.weight`` at 0 (microsoft/mup's
    ``MuReadout(readout_zero_init=True)``; a ``Parametrization``'s rescale keeps it 0).  ``roles()`` is the hint
    dict auto-detection reads.
    Modern switches (:mod:`.gpt_modern`): ``rope`` (no learned ``pos``), ``qk_norm``, ``activation="relu2"``,
    ``autocast="bfloat16"`` (forward under ``torch.autocast``).
    """

    def __init__(self, vocab: int, width: int, depth: int, n_head: int | None = None, head_dim: int | None = None,
                 mlp_ratio: int = 4, block_size: int = 64, attn_scale: str = "1/sqrt(d)",
                 tied_embeddings: bool = False, residual_multiplier: float = 1.0, bias: bool = True,
                 activation: str = "gelu", readout_zero_init: bool = False, rope: bool = False,
                 qk_norm: bool = False, autocast: str | None = None):
        super().__init__()
        if autocast not in (None, "bfloat16"):
            raise UserError(f"autocast is None or 'bfloat16', got {autocast!r}")
        self.rope, self.qk_norm, self.autocast = rope, qk_norm, autocast
        if (n_head is None) == (head_dim is None):
            raise UserError("give exactly one of n_head= (head_dim = width/n_head) or head_dim= (n_head = width/head_dim)")
        if n_head is not None and width % n_head:
            raise UserError(f"width {width} is not divisible by n_head={n_head}")
        if head_dim is not None and width % head_dim:
            raise UserError(f"width {width} is not divisible by head_dim={head_dim}")
        #: whether head_dim grows with width (n_head given) -- Parametrization's default base head_dim uses it
        self.head_dim_scales_with_width = head_dim is None
        n_head = n_head or width // head_dim
        head_dim = head_dim or width // n_head
        self.vocab, self.width, self.depth, self.n_head, self.head_dim = vocab, width, depth, n_head, head_dim
        self.block_size = block_size
        self.embed = nn.Embedding(vocab, width)
        self.pos = None if rope else nn.Embedding(block_size, width)
        self.blocks = nn.ModuleList(
            Block(width, n_head, head_dim, mlp_ratio, attn_scale, bias, activation, residual_multiplier, rope, qk_norm,
                  block_size)
            for _ in range(depth))
        self.ln_f = nn.LayerNorm(width, bias=bias)
        self.head = nn.Linear(width, vocab, bias=False)
        if tied_embeddings and readout_zero_init:
            raise UserError("readout_zero_init=True would zero the tied embedding too; drop one of them")
        if tied_embeddings:
            self.head.weight = self.embed.weight
        if readout_zero_init:
            nn.init.zeros_(self.head.weight)

    @classmethod
    def modern(cls, vocab: int, width: int, depth: int, head_dim: int = 16, block_size: int = 64, bias: bool = False,
               autocast: str | None = "bfloat16", **kw) -> "GPT":
        """Every modern switch on (seed 002 / modded-nanogpt): RoPE, QK-norm, ReLU², untied head, bf16 autocast."""
        return cls(vocab, width, depth, head_dim=head_dim, block_size=block_size, bias=bias, rope=True, qk_norm=True,
                   activation="relu2", tied_embeddings=False, autocast=autocast, **kw)

    def roles(self) -> dict:
        """Hints for auto-detection: positions are input weights; attention and MLP are residual branches."""
        hints = {"blocks.*.attn": ("residual_branch", "attention"), "blocks.*.mlp": "residual_branch"}
        return {"pos": "embedding", **hints} if self.pos is not None else hints

    def forward(self, idx):
        """Logits (batch, time, vocab) for token ids ``idx``; a sequence longer than ``block_size`` is a
        :class:`UserError`; under ``autocast`` the body runs in bfloat16 and the logits come back as float32."""
        t = idx.shape[1]
        if t > self.block_size:
            raise UserError(f"sequence length {t} exceeds block_size={self.block_size}")
        if self.autocast:
            with torch.autocast(idx.device.type, dtype=torch.bfloat16):
                return self._forward(idx, t).float()
        return self._forward(idx, t)

    def _forward(self, idx, t):
        x = self.embed(idx)
        if self.pos is not None:
            x = x + self.pos(torch.arange(t, device=idx.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))

    def loss(self, idx, targets):
        """Mean next-token cross-entropy."""
        logits = self(idx)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
