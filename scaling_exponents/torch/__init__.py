"""Apply a derived exponent table to a user's PyTorch model (and nothing else: the experiments that measure
whether a table holds are :mod:`scaling_exponents.verifier`).

* :class:`Parametrization` (:mod:`.parametrize`) -- roles, re-initialisation, forward multipliers.
* :mod:`.roles` -- glob patterns and auto-detection of parameter roles.
* :mod:`.shapes` -- fans and base shapes (the size / base size of each dimension for each parameter).
* :mod:`.tables` -- resolving the table (cached ``derive``) and evaluating its factors.
* :mod:`.groups` -- optimizer param groups with per-group lr / weight decay / eps.
* :mod:`.explain` -- the per-parameter report and the table rows not applied.
* :mod:`.multiplier` -- picklable, compile-friendly forward multipliers for any module.
* :mod:`.presets` -- role presets for known model families (:mod:`.presets.hf`: GPT-2, Llama, Mistral, Qwen2).
* :mod:`.fold` -- ``Parametrization.fold()``: a plain model with the multipliers baked in and folded LRs.

Reference models (MLP, GPT, ResMLP) live in :mod:`scaling_exponents.verifier.models`; the experiments that
measure whether a table holds live in :mod:`scaling_exponents.verifier`.

See ``docs/pytorch.md`` for a walk-through.
"""

from .multiplier import get_multipliers, set_multipliers
from .parametrize import ParamInfo, Parametrization
from .roles import auto as auto_roles
from .roles import match as match_roles

__all__ = ["Parametrization", "ParamInfo", "auto_roles", "match_roles", "set_multipliers",
           "get_multipliers"]
