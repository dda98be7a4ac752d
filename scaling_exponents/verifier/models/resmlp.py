"""A pre-norm residual MLP for depth sweeps: ``h^{l+1} = h^l + blocks.l(h^l)``, ``blocks.l(h) = fc2(relu(fc1(ln(h))))``.

Why a separate model: :class:`~scaling_exponents.verifier.models.mlp.MLP` has no residual stream, and the depth
parametrizations (CompleteP, arXiv 2505.01618; depth-muP, arXiv 2310.02244) scale *residual branches*.  This is
the pre-LN residual network of both papers with an MLP branch of two matrices (block depth 2, like a
transformer's MLP), small enough for CPU sweeps over depth:

* ``embed`` (d_in -> width, input weights), ``blocks.{i}`` (the residual branches: ``ln``, ``fc1``, ``fc2``),
  ``ln_f`` (final norm), ``head`` (width -> d_out, readout);
* ``blocks.{i}`` returns the branch ``F_i(h)`` only; the model adds it to the stream, so a ``residual_branch``
  output multiplier on ``blocks.{i}`` (installed by :class:`~scaling_exponents.torch.Parametrization`) gives
  exactly ``h + L^-alpha F_i(LN(h))``;
* ``roles()`` names every branch exactly (``"blocks.3"``, not the glob ``"blocks.*"``, which would also match
  ``blocks.3.fc1`` since ``fnmatch``'s ``*`` crosses dots) -- the hint dict :func:`~scaling_exponents.torch.roles.auto`
  reads before auto-detecting the weight layers (embed: embedding, fc1/fc2: hidden, head: readout,
  ``blocks.*.ln``: norm, ``ln_f``: final_norm).

PyTorch's default init, like the other reference models, so ``Parametrization``'s default ``init="rescale"`` makes
the base model's init times the table's factors.
"""

from __future__ import annotations

from torch import nn

from ...errors import UserError


class Branch(nn.Module):
    """Residual branch ``fc2(act(fc1(ln(h))))`` (pre-norm)."""

    def __init__(self, width: int, hidden: int, bias: bool, activation: str):
        super().__init__()
        from .mlp import _activation

        self.ln = nn.LayerNorm(width, bias=bias)
        self.fc1 = nn.Linear(width, hidden, bias=bias)
        self.fc2 = nn.Linear(hidden, width, bias=bias)
        self.act = _activation(activation)

    def forward(self, h):
        """``fc2(act(fc1(ln(h))))``: the branch before its residual multiplier."""
        return self.fc2(self.act(self.fc1(self.ln(h))))


class ResMLP(nn.Module):
    """Pre-norm residual MLP with ``depth`` residual branches ``blocks.{i}`` and a final norm ``ln_f``."""

    def __init__(self, d_in: int, width: int, d_out: int, depth: int = 2, bias: bool = True,
                 activation: str = "relu", mlp_ratio: int = 1):
        super().__init__()
        if min(d_in, width, d_out, mlp_ratio) < 1 or depth < 1:
            raise UserError(f"ResMLP needs positive sizes and depth >= 1, got d_in={d_in}, width={width}, "
                            f"d_out={d_out}, depth={depth}, mlp_ratio={mlp_ratio}")
        self.width, self.depth = width, depth
        self.embed = nn.Linear(d_in, width, bias=bias)
        self.blocks = nn.ModuleList(Branch(width, mlp_ratio * width, bias, activation) for _ in range(depth))
        self.ln_f = nn.LayerNorm(width, bias=bias)
        self.head = nn.Linear(width, d_out, bias=bias)

    def roles(self) -> dict:
        """Hints for auto-detection: every ``blocks.{i}`` is a residual branch (exact names, see the module doc)."""
        return {f"blocks.{i}": "residual_branch" for i in range(self.depth)}

    def forward(self, x):
        """``head(ln_f(h_L))`` with ``h_{l+1} = h_l + block_l(h_l)`` and ``h_0 = embed(x)``."""
        h = self.embed(x)
        for block in self.blocks:
            h = h + block(h)
        return self.head(self.ln_f(h))
