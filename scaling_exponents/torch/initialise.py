"""Re-initialising the weights of a :class:`~.parametrize.Parametrization` (its ``init`` argument).

* ``init="rescale"`` (the default; microsoft/mup's ``rescale_params=True``, TP5 App. H, arXiv 2203.03466):
  multiply the current weights, assumed PyTorch-default initialised (std ``∝ fan_in^-1/2`` for Linear/Conv/MHA),
  by ``sqrt(fan_in/base_fan_in)`` -- which turns PyTorch's default into the base model's std -- times the table's
  ``init_std`` factor.  **A role the table has rows for but no ``init_std`` row** (the Muon-convention tables,
  which state only the LR; LoRA's ``lora_b``; the vocabulary LR tables) is **left as it is**: the table says
  nothing about its init, so the user's (PyTorch's) init is kept rather than read as "constant std" (issue 22:
  reading it as constant multiplied every matrix of ``muon-keller`` by ``sqrt(fan_in/base)``, so the weights kept
  std 0.072 at every width and the features grew as ``n^1`` at init).  ``explain()`` then says
  ``init: table states none, left as is`` for those roles.  A role the table has NO rows for at all (biases
  under Everett et al.'s three-role tables) keeps mup's vector-like default, a width-independent std (microsoft/
  mup ``rescale_params``; TP5 Lemma J.1 parity of the Everett form with Table 8, tests/torch/test_mup_parity.py).
* a float ``sigma``: resample ``N(0, (sigma * init_std factor)^2)``, biases zero (a user-given base std, so a
  role without rows gets ``sigma`` itself).
"""

from __future__ import annotations

import sympy
import torch
from torch import nn

from ..errors import UserError
from . import mha as _mha
from . import roles as _roles
from ..theory.factors import evaluate as _evaluate

#: Modules whose PyTorch default init has std ∝ fan_in^-1/2 (rescaled by sqrt(fan_in/base_fan_in)).
RESCALE_TYPES = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd) + _mha.MHA_TYPES
#: The ``explain()`` note for roles without ``init_std`` rows under ``init="rescale"``.
LEFT_AS_IS = "init: table states none, left as is"


def initialise(pz, net: nn.Module) -> None:
    """Apply ``pz.init_mode`` to every managed weight of ``net`` (module docstring); records ``init_scale`` and
    ``init_std`` on each :class:`~.records.ParamInfo`."""
    modules = dict(net.named_modules())
    untouched = set()
    with torch.no_grad():
        for info in pz.records.values():
            if info.role == "default" or info.role in _roles.NORM_ROLES or info.name in pz.frozen:
                continue
            module = modules.get(info.module_name, net)
            p = getattr(module, info.attr)
            if pz.init_mode == "rescale":
                if getattr(module, "_se_rescaled", False):
                    raise UserError(f"{info.module_name!r} was already rescaled by a Parametrization; pass init=None "
                                    "to re-apply one (e.g. before loading a checkpoint)")
                if info.role in pz.table.roles and not pz._has_role_rows(info.role, "init_std"):
                    info.init_scale = 1.0
                    untouched.add(info.role)
                else:
                    # PyTorch's default init std ∝ fan_in^-1/2; a preset's model (HF) uses a fixed std
                    torch_default = isinstance(module, RESCALE_TYPES) and not getattr(pz.preset, "constant_init", 0)
                    extra = [(info.fan_in_ratio, sympy.Rational(1, 2))] if torch_default else []
                    info.init_scale = _evaluate(pz.terms(info.role, "init_std", info) + extra)
                    p.mul_(info.init_scale)
            else:
                f = pz.factor(info.role, "init_std", info)
                if info.attr == "bias" or info.role in ("bias", "hidden_bias"):
                    p.zero_()
                else:
                    p.normal_(0.0, float(pz.init_mode) * f)
                info.init_scale = f
            info.init_std = float(p.float().std()) if p.numel() > 1 else float(p.abs())
        if pz.init_mode == "rescale":
            for info in pz.records.values():
                if info.role != "default" and info.role not in _roles.NORM_ROLES and info.name not in pz.frozen:
                    modules.get(info.module_name, net)._se_rescaled = True
    if untouched:
        pz.notes.append(f"{LEFT_AS_IS} (roles {', '.join(sorted(untouched))}: no init_std row)")
