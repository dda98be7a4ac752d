"""The LoRA adapter's width and rank sweeps (``--model lora``, ``--ranks``): :mod:`scaling_exponents.verifier.verify_lora`."""

from __future__ import annotations

from . import Sweep


def _add(group) -> None:
    from .. import verify_lora

    verify_lora.add_arguments(group)


def _selects(args) -> bool:
    return getattr(args, "model", None) == "lora" or getattr(args, "ranks", None) is not None


def _run(args, ctx) -> int:
    from .. import verify_lora

    return verify_lora.run_lora(args, ctx.parse_targets, ctx.table_of)


SWEEP = Sweep(name="lora", axis="rank", title="LoRA sweeps (--model lora: adapter width, rank)",
              flag="--model lora/--ranks", add_arguments=_add, selects=_selects, run=_run, order=40)
