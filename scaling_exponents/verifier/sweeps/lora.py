"""The LoRA adapter's width and rank sweeps (``--model lora``, ``--ranks``): :mod:`scaling_exponents.verifier.verify_lora`."""

from __future__ import annotations

from .. import verify_lora
from . import Sweep, delegate

_add, _run = delegate(verify_lora, "run_lora")


def _selects(args) -> bool:
    return getattr(args, "model", None) == "lora" or getattr(args, "ranks", None) is not None


SWEEP = Sweep(name="lora", axis="rank", title="LoRA sweeps (--model lora: adapter width, rank)",
              flag="--model lora/--ranks", add_arguments=_add, selects=_selects, run=_run, order=40,
              models=("lora",))
