"""Apply derived exponent tables to PyTorch models (the only part of the package that imports torch).

* :class:`Parametrization` -- roles, re-initialisation, forward multipliers, optimizer param groups.
* :mod:`.roles` -- glob patterns and auto-detection of parameter roles.
* :mod:`.multiplier` -- picklable, compile-friendly forward multipliers for any module.

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
