"""Re-initialising the weights of a :class:`~.plan.Plan` (``init`` of :func:`.apply.apply` and of ``Parametrization``).

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

import dataclasses

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


def initialise(plan, net: nn.Module, mode, constant_init: bool = False) -> tuple[dict, list[str]]:
    """Apply init ``mode`` (module docstring) to every managed weight of ``net``; returns ``({name: record with
    init_scale and init_std}, notes)``.  ``constant_init``: the weights were drawn with a fixed std (a Hugging Face
    preset), so ``"rescale"`` multiplies by the table's factor only."""
    modules = dict(net.named_modules())
    untouched = set()
    changes = {}
    managed = [i for i in plan.records.values()
               if i.role != "default" and i.role not in _roles.NORM_ROLES and i.name not in plan.frozen]
    with torch.no_grad():
        for info in managed:
            module = modules.get(info.module_name, net)
            p = getattr(module, info.attr)
            if mode == "rescale":
                if getattr(module, "_se_rescaled", False):
                    raise UserError(f"{info.module_name!r} was already rescaled by a Parametrization; pass init=None "
                                    "(settings={'init': None}) to re-apply one (e.g. before loading a checkpoint)")
                if info.role in plan.table.roles and not plan.states(info.role, "init_std"):
                    scale = 1.0
                    untouched.add(info.role)
                else:
                    # PyTorch's default init std ∝ fan_in^-1/2; a preset's model (HF) uses a fixed std
                    torch_default = isinstance(module, RESCALE_TYPES) and not constant_init
                    extra = [(info.fan_in_ratio, sympy.Rational(1, 2))] if torch_default else []
                    scale = _evaluate(plan.terms(info.role, "init_std", info) + extra)
                    p.mul_(scale)
            else:
                scale = plan.factor(info.role, "init_std", info)
                if info.attr == "bias" or info.role in ("bias", "hidden_bias"):
                    p.zero_()
                else:
                    p.normal_(0.0, float(mode) * scale)
            std = float(p.float().std()) if p.numel() > 1 else float(p.abs())
            changes[info.name] = dataclasses.replace(info, init_scale=scale, init_std=std)
        if mode == "rescale":
            for info in managed:
                modules.get(info.module_name, net)._se_rescaled = True
    notes = [f"{LEFT_AS_IS} (roles {', '.join(sorted(untouched))}: no init_std row)"] if untouched else []
    return changes, notes
