"""The vocabulary sweep of the GPT (``--vocabs``): :mod:`scaling_exponents.verifier.verify_vocab`."""

from __future__ import annotations

from . import Sweep


def _add(group) -> None:
    from .. import verify_vocab

    verify_vocab.add_arguments(group)


def _run(args, ctx) -> int:
    from .. import verify_vocab

    return verify_vocab.run_vocab(args, ctx.parse_targets, ctx.table_of)


SWEEP = Sweep(name="vocab", axis="vocab", title="vocabulary sweep (GPT; vocab-roles tables)", flag="--vocabs",
              add_arguments=_add, selects=lambda args: getattr(args, "vocabs", None) is not None, run=_run, order=20)
