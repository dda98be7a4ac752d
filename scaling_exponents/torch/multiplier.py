"""Forward multipliers for any module: the ``a`` of an abc-parametrization, ``W_eff = n^{-a} w``.

In the abc convention of Tensor Programs IV/V (Yang & Hu, arXiv 2011.14522; Yang et al., arXiv 2203.03466)
and Everett et al. (arXiv 2407.05872) a multiplier scales a *parameter*, not a module output: the readout
of microsoft/mup computes ``W (x / width_mult) + b``, so its bias is not scaled.  This module realises
parameter multipliers and whole-output multipliers (residual branches, CompleteP arXiv 2505.01618 /
depth-muP arXiv 2310.02244) while keeping the model picklable:

* **Forward hook + buffers** (the default).  For module types whose output is affine in their direct
  parameters -- ``Linear``, ``Conv*``, ``Embedding``, ``LayerNorm``/``RMSNorm``/``GroupNorm`` and any
  module without direct parameters -- ``y = f(x; m_w W, m_b b)`` equals ``m_w f(x; W, b) + (m_b - m_w) b``
  (bias broadcast on its channel axis).  The hook applies exactly that, times the module's output
  multiplier.  The factors are (non-persistent) buffers on the module and the hook is a module-level
  function, so ``copy.deepcopy``, ``pickle``/``torch.save(model)``, ``torch.compile(fullgraph=True)`` and
  DDP keep them; state dicts keep their plain keys (mup issues #59/#60 and its README limitation).
* **``torch.nn.utils.parametrize``** (fallback) for any other module type whose parameters need
  different multipliers: exact for every module, but PyTorch refuses to pickle parametrized modules
  (state dicts work), and parameter names gain ``.parametrizations.<name>.original``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize as _parametrize

#: Buffer names on a module (non-persistent: checkpoints stay loadable into an un-parametrized model).
SCALE = "se_output_scale"        # m_out * m_w
BIAS_DELTA = "se_bias_delta"     # m_out * (m_b - m_w)
_HOOK_FLAG = "_se_hook_handle_id"

#: Module types whose output is affine in (weight, bias), with the bias on the last axis.
_BIAS_LAST = (nn.Linear, nn.Bilinear, nn.LayerNorm, nn.RMSNorm)
#: Channel-first types: the bias is broadcast on axis 1 (or 0 when unbatched for convolutions).
_BIAS_CHANNEL = (nn.modules.conv._ConvNd, nn.GroupNorm, nn.modules.batchnorm._NormBase)
#: Types affine in their only parameter (no bias).
_NO_BIAS = (nn.Embedding, nn.EmbeddingBag)


def hook_supported(module: nn.Module, param_names) -> bool:
    """Whether parameter multipliers of ``module`` can be realised exactly by scaling its output."""
    names = set(param_names)
    if not names:
        return True
    if isinstance(module, _NO_BIAS):
        return names <= {"weight"}
    if isinstance(module, _BIAS_LAST + _BIAS_CHANNEL):
        return names <= {"weight", "bias"}
    return False


def _bias_view(module: nn.Module, bias: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    if isinstance(module, nn.modules.conv._ConvNd):
        return bias.view(-1, *([1] * (module.weight.dim() - 2)))
    if isinstance(module, _BIAS_CHANNEL):
        return bias.view(-1, *([1] * (output.dim() - 2)))
    return bias


def _scale_output(module: nn.Module, args, output):
    """Forward hook: ``m_out * (m_w * y + (m_b - m_w) * b)`` (a module-level function, so it pickles)."""
    scale = getattr(module, SCALE)
    if isinstance(output, torch.Tensor):
        y = output * scale
        if module._se_bias_correction:
            y = y + getattr(module, BIAS_DELTA) * _bias_view(module, module.bias, output)
        return y
    if isinstance(output, (tuple, list)):  # e.g. a block returning (hidden, aux): scale every tensor
        return type(output)(o * scale if isinstance(o, torch.Tensor) else o for o in output)
    raise TypeError(f"cannot apply an output multiplier to {type(module).__name__} returning {type(output).__name__}")


def set_multipliers(module: nn.Module, output: float = 1.0, weight: float = 1.0, bias: float = 1.0) -> None:
    """Make ``module`` compute ``output * f(x; weight * W, bias * b)`` with a forward hook.

    Idempotent: calling it again replaces the factors (the hook is registered once).  Only valid where
    :func:`hook_supported` holds for the parameters whose factor is not 1.
    """
    has_bias = isinstance(getattr(module, "bias", None), torch.Tensor)
    ref = next(iter(module.parameters(recurse=False)), None)
    dtype = ref.dtype if ref is not None and ref.is_floating_point() else torch.get_default_dtype()
    device = ref.device if ref is not None else None
    for name, value in ((SCALE, output * weight), (BIAS_DELTA, output * (bias - weight))):
        t = torch.tensor(float(value), dtype=dtype, device=device)
        if name in module._buffers:
            module._buffers[name] = t
        else:
            module.register_buffer(name, t, persistent=False)
    module._se_bias_correction = bool(has_bias and bias != weight)
    if not getattr(module, _HOOK_FLAG, None):
        handle = module.register_forward_hook(_scale_output)
        setattr(module, _HOOK_FLAG, handle.id)


def get_multipliers(module: nn.Module) -> tuple[float, float] | None:
    """``(output*weight, output*(bias-weight))`` as set by :func:`set_multipliers`, or ``None``."""
    if SCALE not in module._buffers:
        return None
    return float(module._buffers[SCALE]), float(module._buffers[BIAS_DELTA])


class Scale(nn.Module):
    """``torch.nn.utils.parametrize`` parametrization ``w -> multiplier * w`` (multiplier is a buffer)."""

    def __init__(self, multiplier: float):
        super().__init__()
        self.register_buffer("multiplier", torch.tensor(float(multiplier)))

    def forward(self, w):
        """``multiplier * w``: the weight the module sees, so the table's multiplier acts on the forward pass."""
        return w * self.multiplier


def set_param_multiplier(module: nn.Module, name: str, multiplier: float) -> None:
    """Fallback for arbitrary modules: reparametrize ``module.<name>`` as ``multiplier * original``."""
    if _parametrize.is_parametrized(module, name):
        for p in module.parametrizations[name]:
            if isinstance(p, Scale):
                p.multiplier.fill_(float(multiplier))
                return
    _parametrize.register_parametrization(module, name, Scale(multiplier))
