"""Reference Mixture-of-Experts network: pre-LN residual blocks whose branch is a top-k routed MoE FFN.

The MoE layer of Jiang, Bordelon, Pehlevan & Hanin (arXiv 2601.20205, Sec. 3; read via a secondary digest):
``f(h) = s * sum_{i in A(h)} g_i(h) E_i(h)``, ``g_i = sigmoid(w_i . h)`` (router ``router``: width -> E logits),
``A(h)`` = the top-k experts of ``logit + b`` (``expert_bias``, a buffer: the paper's load-balancing bias is moved
by a rule, not by gradients, and starts at 0), ``E_i(h) = down_i(act(up_i(h)))`` with expert hidden width
``ffn_ratio * width``, and ``s = out_scale`` (1/k in the paper: the mean over the k active experts; a base model's
``out_scale`` is given at construction, e.g. the base point's ``1/k_0``).  The sum passes through ``combine`` (an
identity module), the module of the ``moe_output`` role: a table's ``moe_output`` multiplier is installed there by
:class:`~scaling_exponents.torch.Parametrization` (an output multiplier over the base model's ``s``).
Sparsity ``kappa = k / E``.  Malasnicki et al.'s muP for MoE (arXiv 2508.09752) uses the same block (its
Switch-style softmax gate is replaced by the sigmoid gate here; the gate is Theta(1) either way).

Names: ``embed`` (d_in -> width), ``blocks.{i}.ln``, ``blocks.{i}.moe`` (the residual branch; a
``residual_branch`` output multiplier from :class:`~scaling_exponents.torch.Parametrization` gives
``h + r f(LN(h))``), ``blocks.{i}.moe.combine`` (role ``moe_output``), ``blocks.{i}.moe.router``,
``blocks.{i}.moe.experts.{j}.up``/``.down``, ``ln_f``, ``head``.
Every expert is computed densely on every token and masked by the top-k gates (exact, simple, vmap-friendly;
fine at verifier sizes).  Attention is omitted: the MoE tables state no attention rows, and the dense groups'
rules of arXiv 2601.20205 (its Table 2) were not read.
"""

from __future__ import annotations

import torch
from torch import nn

from ...errors import UserError
from .mlp import _activation

#: ``layers=`` patterns for :class:`~scaling_exponents.torch.Parametrization` (the MoE tables' roles).
MOE_ROLES = {"blocks.*.moe.router": "router", "blocks.*.moe.experts.*.up": "expert_up",
             "blocks.*.moe.experts.*.down": "expert_down", "blocks.*.moe": "residual_branch",
             "blocks.*.moe.combine": "moe_output",
             # the MoE tables have no rows for these (input layer and readout are frozen in the probes, norms gain 1):
             # marked unmanaged on purpose, so Parametrization does not warn about them
             "embed": "default", "head": "default", "blocks.*.ln": "default", "ln_f": "default"}


class Expert(nn.Module):
    """One expert: a two-layer MLP ``down(act(up(h)))`` without biases."""

    def __init__(self, width: int, hidden: int, activation: str):
        super().__init__()
        self.up = nn.Linear(width, hidden, bias=False)
        self.down = nn.Linear(hidden, width, bias=False)
        self.act = _activation(activation)

    def forward(self, h):
        """``down(act(up(h)))``."""
        return self.down(self.act(self.up(h)))


class Combine(nn.Module):
    """The identity on the combined experts: the module a ``moe_output`` multiplier acts on (module doc)."""

    def forward(self, f):
        """``f`` unchanged (the multiplier hook scales it)."""
        return f


class MoELayer(nn.Module):
    """Top-k routed experts with sigmoid gates (module doc); returns ``combine(out_scale * sum_{top-k} g_i E_i(h))``,
    ``out_scale`` = 1/topk unless given (a base model's mean, e.g. 1/k_0 of the base point)."""

    def __init__(self, width: int, experts: int, topk: int, ffn_ratio: int, activation: str = "relu",
                 out_scale: float | None = None):
        super().__init__()
        self.experts_n, self.topk = experts, topk
        self.router = nn.Linear(width, experts, bias=False)
        self.experts = nn.ModuleList(Expert(width, ffn_ratio * width, activation) for _ in range(experts))
        self.register_buffer("expert_bias", torch.zeros(experts))
        self.out_scale = 1.0 / topk if out_scale is None else float(out_scale)
        self.combine = Combine()

    def forward(self, h):
        """The MoE output ``out_scale * sum_k g_k E_k(h)`` over the top-k experts (chosen by router logits plus the
        balancing bias; gates are the sigmoid of the logits)."""
        logits = self.router(h)
        gates = torch.sigmoid(logits)
        idx = (logits + self.expert_bias).topk(self.topk, dim=-1).indices
        mask = torch.zeros_like(gates).scatter(-1, idx, 1.0)
        outs = torch.stack([e(h) for e in self.experts], dim=-2)  # (..., E, width)
        return self.combine(self.out_scale * ((gates * mask).unsqueeze(-1) * outs).sum(-2))


class MoEBlock(nn.Module):
    """A pre-LN MoE block: ``ln`` then ``moe``; the network adds its output to the residual stream."""

    def __init__(self, width, experts, topk, ffn_ratio, activation, out_scale=None):
        super().__init__()
        self.ln = nn.LayerNorm(width, bias=False)
        self.moe = MoELayer(width, experts, topk, ffn_ratio, activation, out_scale)


class MoENet(nn.Module):
    """``depth`` pre-LN residual MoE blocks between an input layer and a readout (module doc); ``out_scale`` is every
    MoE layer's mean (default 1/topk)."""

    def __init__(self, d_in: int, width: int, d_out: int, depth: int = 2, experts: int = 8, topk: int = 2,
                 ffn_ratio: int = 1, activation: str = "relu", out_scale: float | None = None):
        super().__init__()
        if min(d_in, width, d_out, depth, experts, topk, ffn_ratio) < 1:
            raise UserError(f"MoENet needs positive sizes, got d_in={d_in}, width={width}, d_out={d_out}, "
                            f"depth={depth}, experts={experts}, topk={topk}, ffn_ratio={ffn_ratio}")
        if out_scale is not None and not out_scale > 0:
            raise UserError(f"MoENet out_scale (the MoE layers' mean) must be > 0, got {out_scale}")
        if topk > experts:
            raise UserError(f"top-k {topk} exceeds the number of experts {experts}; choose kappa = k/E <= 1")
        self.width, self.depth, self.experts, self.topk, self.ffn_ratio = width, depth, experts, topk, ffn_ratio
        self.embed = nn.Linear(d_in, width, bias=False)
        self.blocks = nn.ModuleList(MoEBlock(width, experts, topk, ffn_ratio, activation, out_scale)
                                    for _ in range(depth))
        self.ln_f = nn.LayerNorm(width, bias=False)
        self.head = nn.Linear(width, d_out, bias=False)

    def forward(self, x):
        """``head(ln_f(h_L))`` with ``h_{l+1} = h_l + moe_l(ln_l(h_l))`` and ``h_0 = embed(x)``."""
        h = self.embed(x)
        for b in self.blocks:
            h = h + b.moe(b.ln(h))
        return self.head(self.ln_f(h))
