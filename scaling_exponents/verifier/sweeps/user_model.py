"""The coord check of your own model (``--model package.module:factory``): :mod:`scaling_exponents.verifier.user_cli`.

Its flags (``--batch-fn``, ``--block``) are shared with ``transfer`` and added with ``--model`` itself.
"""

from __future__ import annotations

from . import Sweep


def _selects(args) -> bool:
    from ..user_cli import is_factory

    return is_factory(getattr(args, "model", None))


def _run(args, ctx) -> int:
    from ..user_cli import run_verify

    return run_verify(args, ctx.parse_ints)


SWEEP = Sweep(name="user-model", axis="width", title="your own model", flag="--model module:factory",
              add_arguments=lambda group: None, selects=_selects, run=_run, order=10, takes_tables=True)
