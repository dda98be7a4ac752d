"""A frozen random MLP with one LoRA adapter (:class:`LoRANet`), the model of the LoRA probe
(:mod:`scaling_exponents.verifier.probes.lora`).

``x -> h = relu(W_in x) -> z = W h + adapter(h) -> relu -> W_out``: ``W_in`` (n x d, N(0, 1/d)), ``W`` (n x n,
N(0, 2/n)) and ``W_out`` (c x n, N(0, 1/n)) are frozen buffers (a "pretrained" network whose hidden coordinates are
Theta(1) at every width); only the adapter factors ``A`` (r x n, ``adapter.lora_a``) and ``B`` (n x r,
``adapter.lora_b``) train.  The adapter module returns ``B A h``; its multiplier ``gamma`` is the output multiplier a
:class:`~scaling_exponents.torch.Parametrization` installs on the module role ``adapter`` (1 without one).
Init[1] (Hu et al. 2021; arXiv 2402.12354 Sec. 3.1): ``B_0 = 0``, ``A_0 ~ N(0, sigma_A^2)``.  The adapter's input
``h`` therefore never changes, so ``Z_A = A h`` moves only through A.
"""

from __future__ import annotations

import torch
from torch import nn


class LoRAAdapter(nn.Module):
    """``forward(h) = (h A^T) B^T`` with ``A`` = ``lora_a`` (r x n, N(0, sigma_a^2)) and ``B`` = ``lora_b`` (n x r, 0)."""

    def __init__(self, width: int, rank: int, sigma_a: float):
        super().__init__()
        self.lora_a = nn.Parameter(torch.randn(rank, width) * sigma_a)
        self.lora_b = nn.Parameter(torch.zeros(width, rank))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """The adapter's contribution ``B A h`` (``h @ A^T @ B^T``), before the multiplier."""
        return (h @ self.lora_a.T) @ self.lora_b.T


class LoRANet(nn.Module):
    """The frozen MLP with a LoRA adapter on its n x n layer (module doc)."""

    def __init__(self, d_in: int, width: int, d_out: int, rank: int, sigma_a: float):
        super().__init__()
        if min(d_in, width, d_out, rank) < 1 or rank > width:
            raise ValueError(f"need d_in, width, d_out >= 1 and 1 <= rank <= width; got {d_in}, {width}, {d_out}, {rank}")
        self.register_buffer("w_in", torch.randn(width, d_in) / d_in ** 0.5)
        self.register_buffer("w", torch.randn(width, width) * (2.0 / width) ** 0.5)
        self.register_buffer("w_out", torch.randn(d_out, width) / width ** 0.5)
        self.adapter = LoRAAdapter(width, rank, sigma_a)

    def adapter_input(self, x: torch.Tensor) -> torch.Tensor:
        """``h = relu(x W_in^T)``: the frozen features the adapter reads."""
        return torch.relu(x @ self.w_in.T)

    def adapted(self, h: torch.Tensor) -> torch.Tensor:
        """``z = h W^T + gamma (h A^T) B^T``: the adapted layer's pre-activation (gamma: the adapter's multiplier)."""
        return h @ self.w.T + self.adapter(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``relu(adapted(input(x))) @ W_out^T``: the frozen input layer, the adapted matrix, the readout."""
        return torch.relu(self.adapted(self.adapter_input(x))) @ self.w_out.T
