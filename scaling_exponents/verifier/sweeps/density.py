"""The density sweep of the masked MLP (``--densities``): :mod:`scaling_exponents.verifier.verify_density`."""

from __future__ import annotations

from .. import verify_density
from . import Sweep, delegate

_add, _run = delegate(verify_density, "run_density")


SWEEP = Sweep(name="density", axis="density", title="density sweep (masked MLP; supar)", flag="--densities",
              add_arguments=_add, selects=lambda args: getattr(args, "densities", None) is not None, run=_run,
              order=30)
