"""Apply a derived exponent table to a user's PyTorch model (and nothing else: the experiments that measure
whether a table holds are :mod:`scaling_exponents.verifier`).

* :class:`Parametrization` (:mod:`.parametrize`) -- the front door over plan, apply and groups (its inputs:
  :mod:`.settings`).
* :mod:`.plan` -- ``Plan.from_table(table, model, roles, shapes)``: frozen per-parameter records (:mod:`.records`).
* :mod:`.apply` -- ``apply(plan, model)``: re-initialisation (:mod:`.initialise`), multipliers, attention scale.
* :mod:`.roles` -- glob patterns and auto-detection of parameter roles.
* :mod:`.shapes` -- fans and base shapes (the size / base size of each dimension for each parameter).
* :mod:`.tables` -- resolving the table (cached ``derive``) and evaluating its factors.
* :mod:`.groups` -- ``param_groups(plan, model, lr=...)``: a pure function to optimizer groups (lr / wd / eps).
* :mod:`.explain` -- the per-parameter report and the table rows not applied.
* :mod:`.multiplier` -- picklable, compile-friendly forward multipliers for any module.
* :mod:`.presets` -- role presets for known model families (:mod:`.presets.hf`: GPT-2, Llama, Mistral, Qwen2).
* :mod:`.fold` -- ``Parametrization.fold()``: a plain model with the multipliers baked in and folded LRs.

Reference models (MLP, GPT, ResMLP) live in :mod:`scaling_exponents.verifier.models`; the experiments that
measure whether a table holds live in :mod:`scaling_exponents.verifier`.

See ``docs/pytorch.md`` for a walk-through.
"""

from .multiplier import get_multipliers, set_multipliers
from .groups import param_groups
from .parametrize import ParamInfo, Parametrization
from .plan import Plan
from .roles import auto as auto_roles
from .roles import match as match_roles
from .settings import Settings

#: ``apply`` is not re-exported: the name would hide the submodule :mod:`.apply` (import it from there)
__all__ = ["Parametrization", "ParamInfo", "Plan", "Settings", "param_groups", "auto_roles", "match_roles",
           "set_multipliers", "get_multipliers"]
