"""The vocabulary sweep of the GPT (``--vocabs``): :mod:`scaling_exponents.verifier.verify_vocab`."""

from __future__ import annotations

from .. import verify_vocab
from . import Sweep, delegate

_add, _run = delegate(verify_vocab, "run_vocab")


SWEEP = Sweep(name="vocab", axis="vocab", title="vocabulary sweep (GPT; vocab-roles tables)", flag="--vocabs",
              add_arguments=_add, selects=lambda args: getattr(args, "vocabs", None) is not None, run=_run, order=20)
