"""Reference MLP with stable module names: ``embed`` (d_in -> width), ``hidden.{i}`` (width -> width),
``head`` (width -> d_out).

PyTorch's default initialisation, so :class:`~scaling_exponents.torch.Parametrization`'s default
``init="rescale"`` turns it into the base model's init times the table's factors (as microsoft/mup's
``set_base_shapes(rescale_params=True)`` does).
"""

from __future__ import annotations

from torch import nn

from ...errors import UserError

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU}


def _activation(name):
    if name not in _ACTIVATIONS:
        raise UserError(f"unknown activation {name!r}; choose one of {', '.join(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


class MLP(nn.Module):
    """``depth`` hidden (width x width) layers between an input and an output layer (depth + 2 Linears)."""

    def __init__(self, d_in: int, width: int, d_out: int, depth: int = 1, bias: bool = True,
                 activation: str = "relu"):
        super().__init__()
        if min(d_in, width, d_out) < 1 or depth < 0:
            raise UserError(f"MLP needs positive sizes and depth >= 0, got d_in={d_in}, width={width}, "
                            f"d_out={d_out}, depth={depth}")
        self.width, self.depth = width, depth
        self.embed = nn.Linear(d_in, width, bias=bias)
        self.hidden = nn.ModuleList(nn.Linear(width, width, bias=bias) for _ in range(depth))
        self.head = nn.Linear(width, d_out, bias=bias)
        self.act = _activation(activation)

    def forward(self, x):
        """``head(act(hidden_L(... act(embed(x)))))``."""
        h = self.act(self.embed(x))
        for layer in self.hidden:
            h = self.act(layer(h))
        return self.head(h)
