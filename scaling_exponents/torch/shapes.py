"""Fans and base shapes: the size and base size of every dimension a table row scales with.

The width of a parameter is the fan that grows with width for its role (TP5 App. J.2.1, arXiv 2203.03466;
Everett et al. arXiv 2407.05872 §2): ``fan_out`` for embeddings and vectors, ``fan_in`` for other matrices.
Base sizes come from a global width ratio or, per parameter, from a smaller base model (microsoft/mup's
``set_base_shapes``); u-muP's fan rows (arXiv 2407.17465) use each parameter's own fan over its base fan.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn

from ..errors import UserError
from . import mha as _mha
from . import roles as _roles
from .matrix_roles import BLOCK_DIMS

_EMBED_TYPES = (nn.Embedding, nn.EmbeddingBag)                        # PyTorch default N(0, 1)


def fans(module: nn.Module, attr: str, p: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a parameter: Linear/Conv weights (out, in, *k), Embedding (num, dim),
    vectors have fan_out = length and the fan_in of their layer's weight (TP5: bias fan_in is 1 for the
    *width* question, but PyTorch's default bias init uses the layer's fan_in)."""
    if isinstance(module, _EMBED_TYPES) and attr == "weight":
        return p.shape[0], p.shape[1]
    block = _mha.fans(module, attr, p)  # one q/k/v block of nn.MultiheadAttention's packed weight
    if block is not None:
        return block
    if p.dim() >= 2:
        receptive = math.prod(p.shape[2:]) if p.dim() > 2 else 1
        return p.shape[1] * receptive, p.shape[0] * receptive
    w = getattr(module, "weight", None)
    if isinstance(w, torch.Tensor) and w.dim() >= 2 and attr != "weight":
        return fans(module, "weight", w)[0], p.numel()
    return 1, p.numel()


def dim_fans(module: nn.Module, attr: str, p: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` as *dimensions* of a table row (u-muP, unit_scaling.optim._get_fan_in): matrices as
    :func:`fans` (an embedding's fan_out is its hidden size), vectors their length for both."""
    if p.dim() < 2:
        return p.numel(), p.numel()
    return fans(module, attr, p)


def width_fan(role: str, module, attr, p) -> int:
    """The fan that grows with the width for a parameter of ``role``: fan_out for an embedding and for vectors,
    fan_in for other matrices (TP5's infinite dimension, arXiv 2203.03466 Table 3)."""
    fan_in, fan_out = fans(module, attr, p)
    if role == "embedding" or p.dim() < 2:
        return fan_out
    return fan_in


def _size_number(name: str, v):
    """A width as a real number (int, float, numpy scalar, 0-d tensor); a string, bool, NaN or inf is refused (a
    ``True`` would silently mean 1, a ``"256"`` fail deep inside)."""
    if isinstance(v, torch.Tensor) and v.numel() == 1:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        raise UserError(f"{name} must be a finite number (the model's hidden size, or its base's), got {v!r}")
    return v


class BaseShapes:
    """Sizes and base sizes per dimension, from a width ratio, a base model, depth and explicit sizes."""

    def __init__(self, table, net, width, base_width, base_model, depth, base_depth, base_head_dim, sizes):
        self.net = net
        self.base_net = _roles.unwrap(base_model) if base_model is not None else None
        self.base_modules = dict(self.base_net.named_modules()) if self.base_net is not None else {}
        self.ratio = None
        dims = {r.dimension for r in table.rows if r.power != 0}
        width_dims = dims & {"width", "fan_in", "fan_out"}
        if self.base_net is None:
            if base_width is not None:
                width = width if width is not None else getattr(net, "width", None)
                if width is None:
                    raise UserError(f"base_width={base_width} needs width= (the model has no `width` attribute)")
                width, base_width = _size_number("width", width), _size_number("base_width", base_width)
                if width <= 0 or base_width <= 0:
                    raise UserError(f"width and base_width must be positive, got {width} and {base_width}")
                self.ratio = width / base_width
                self.width_desc = f"width {width:g} / base {base_width:g} = {self.ratio:g}"
            elif width is not None:
                raise UserError(f"width={width} needs base_width= (or base_model=) to say what the base shape is")
            elif width_dims:
                raise UserError(f"{table.parametrization} scales with {'/'.join(sorted(width_dims))}: give base_width= (and width=, default "
                                "model.width) or base_model= (a smaller instance of the same model)")
            else:
                self.ratio = 1.0
                self.width_desc = "width: table has no width rows"
        else:
            given = [f"{k}={v!r}" for k, v in (("width", width), ("base_width", base_width)) if v is not None]
            if given:  # the base model's fans win: a global ratio next to them would be dropped silently
                raise UserError(f"give base_model= (per-parameter base fans) or width=/base_width= (one global ratio), "
                                f"not both: {', '.join(given)} would be ignored next to base_model=")
            self.width_desc = f"width: per-parameter base fans read from base model {type(self.base_net).__name__}"
        self.depth = depth if depth is not None else getattr(net, "depth", None)
        if base_depth is None and self.base_net is not None:
            base_depth = getattr(self.base_net, "depth", None)
        self.base_depth = base_depth
        if "depth" in dims and (self.depth is None or self.base_depth is None):
            raise UserError(f"{table.parametrization} scales with depth: give depth= (default model.depth) and "
                            "base_depth= (or a base_model with a `depth` attribute)")
        self.base_head_dim = base_head_dim
        self.sizes = dict(sizes)
        for d in dims - {"width", "depth", "head_dim", "fan_in", "fan_out", *BLOCK_DIMS}:
            if d not in self.sizes:
                raise UserError(f"{table.parametrization} has rows along {d!r}: give sizes={{{d!r}: (size, base)}}")

    def _base_param(self, a, shape):
        module = self.base_modules.get(a.module_name)
        p = getattr(module, a.attr, None) if module is not None else None
        if not isinstance(p, torch.Tensor):
            raise UserError(f"base_model has no parameter {a.name!r}; it must be a smaller instance of the same model")
        if p.dim() != len(shape):
            raise UserError(f"base_model's {a.name!r} has shape {tuple(p.shape)}, the model's {shape}")
        return self.base_modules[a.module_name], p

    def width(self, a, module, p, role):
        """``(size, base)`` of the parameter's width fan: from the base model when one is given, else the fan divided
        by the width ratio (a readout's bias has the finite output dimension: its ratio is 1)."""
        fan = width_fan(role, module, a.attr, p)
        if self.base_net is not None:
            bm, bp = self._base_param(a, tuple(p.shape))
            return (fan, width_fan(role, bm, a.attr, bp))
        if p.dim() < 2 and a.layer_role == "readout":
            return (fan, fan)  # the readout's bias has the output (finite) dimension
        return (fan, fan / self.ratio)

    def fans(self, a, module, p):
        """``{"fan_in": (size, base), "fan_out": (size, base)}`` of one parameter (u-muP's fan rows).

        With a global ratio, every fan grows with width except the input layer's fan_in (data / vocabulary)
        and the readout's fan_out (and its bias)."""
        fi, fo = dim_fans(module, a.attr, p)
        if self.base_net is not None:
            bm, bp = self._base_param(a, tuple(p.shape))
            bfi, bfo = dim_fans(bm, a.attr, bp)
        elif p.dim() < 2:
            bfi = bfo = fi if a.layer_role == "readout" else fi / self.ratio
        else:
            bfi = fi if a.layer_role == "embedding" else fi / self.ratio
            bfo = fo if a.layer_role == "readout" else fo / self.ratio
        return {"fan_in": (fi, bfi), "fan_out": (fo, bfo)}

    def fan_in_ratio(self, a, module, p):
        """fan_in / base fan_in of the layer (for PyTorch's default init std ∝ fan_in^-1/2)."""
        fan_in = fans(module, a.attr, p)[0]
        if self.base_net is not None:
            bm, bp = self._base_param(a, tuple(p.shape))
            return fan_in / fans(bm, a.attr, bp)[0]
        # global ratio: the input layer's fan_in (data dimension) does not grow with width
        return 1.0 if a.layer_role == "embedding" else self.ratio

    def size(self, dim, info):
        """``(size, base)`` of a parameter along ``dim`` (width, depth, fan_in/fan_out, a per-matrix dimension or a
        size given in ``sizes=``); a table dimension the model cannot supply is a :class:`UserError` naming the
        fix."""
        if dim == "width":
            return info.width
        if dim == "depth":
            return (self.depth, self.base_depth)
        if dim in ("fan_in", "fan_out"):
            if info.fans is None:
                raise UserError(f"the table has {info.role!r} rows along {dim!r}, which only parameters have")
            return info.fans[dim]
        if info.dims and dim in info.dims:  # per-matrix dimensions (preconditioner blocks, :mod:`.matrix_roles`)
            return info.dims[dim]
        if dim in self.sizes:
            return self.sizes[dim]
        raise UserError(f"no size for dimension {dim!r} of role {info.role!r}; give sizes={{{dim!r}: (size, base)}}")

    def head_dim(self, module_name, d):
        """The base head dimension of attention module ``module_name`` (whose head dim is ``d``): given, from the
        base model, or ``d`` itself when the model says its head dim does not grow with the width."""
        if self.base_head_dim is not None:
            return self.base_head_dim
        bm = self.base_modules.get(module_name)
        if bm is not None and hasattr(bm, "head_dim"):
            return bm.head_dim
        grows = getattr(self.net, "head_dim_scales_with_width", None)  # models.GPT says how it was built
        if grows is False:
            return d
        if grows and self.ratio is not None:
            return d / self.ratio
        raise UserError("the table scales attention logits with head_dim: give base_head_dim= (the base model's "
                        "head dimension) or base_model=")

    def describe(self):
        """One line naming every size and its base (width, depth, extra dimensions), for reports and errors."""
        parts = [self.width_desc]
        if self.depth is not None and self.base_depth is not None:
            parts.append(f"depth {self.depth} / base {self.base_depth}")
        parts += [f"{d} {s} / base {b}" for d, (s, b) in self.sizes.items()]
        return "sizes: " + "; ".join(parts)
