"""The ``verify`` sweeps that own a whole invocation, each one declaration (issue 22 item 4, first step).

What: every module of this package declares ``SWEEP = Sweep(...)``: its name and axis, the help group its flags go in,
``add_arguments`` (its own flags), ``selects`` (whether an invocation is this sweep's: its axis flag or its model was
given) and ``run`` (the driver, returning the CLI exit status).  :func:`declared` discovers them, so adding such a sweep
is one file here plus its implementation and test -- ``verify`` neither names them nor chains their flags.

Why: ``verify`` used to choose these sweeps by a chain of ``if args.vocabs ... elif args.densities ...`` and
``verify.add_arguments`` listed each module's flags by hand; two such flags together were resolved by that order
without a word.  Here two selected sweeps are an error naming both.

Not yet declarations (UNDONE, issue 22 item 4): the width/depth sweeps of the built-in MLP/ResMLP/GPT, the MoE
network's sweeps and the per-family probes (SAM, weight decay, per-matrix optimizers, u-muP's unit check) still go
through :func:`scaling_exponents.verifier.verify._run`.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from ...errors import UserError


@dataclass(frozen=True)
class Context:
    """What a sweep's driver gets from ``verify`` besides the parsed flags: its parsers and the table lookup."""

    parse_ints: Callable
    parse_targets: Callable
    table_of: Callable  # Target -> ExponentTable (the --alignment of the invocation applied)


@dataclass(frozen=True)
class Sweep:
    """One sweep: ``selects(args)`` says the invocation is this sweep's; ``run(args, ctx)`` runs it (exit status);
    ``add_arguments(group)`` adds its flags to its own help group titled ``title``; ``flag`` names what selects it
    (for messages)."""

    name: str
    axis: str
    title: str
    flag: str
    add_arguments: Callable
    selects: Callable
    run: Callable
    order: int = 100


def delegate(module, runner: str) -> tuple[Callable, Callable]:
    """``(add_arguments, run)`` for a sweep implemented by ``module``: its ``add_arguments(group)`` and
    ``<runner>(args, parse_targets, table_of)`` with the invocation's :class:`Context`."""
    def run(args, ctx: Context) -> int:
        return getattr(module, runner)(args, ctx.parse_targets, ctx.table_of)

    return module.add_arguments, run


def declared() -> list[Sweep]:
    """Every ``SWEEP`` declared by a module of this package, in ``order``."""
    out = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        sweep = getattr(module, "SWEEP", None)
        if not isinstance(sweep, Sweep):
            raise TypeError(f"{module.__name__} declares no SWEEP = Sweep(...)")
        out.append(sweep)
    return sorted(out, key=lambda s: (s.order, s.name))


def add_arguments(parser) -> None:
    """Each declared sweep's flags, in a help group of its own."""
    for sweep in declared():
        sweep.add_arguments(parser.add_argument_group(sweep.title))


def select(args) -> Sweep | None:
    """The declared sweep this invocation is, or None (the built-in width/depth sweeps); two at once is an error."""
    chosen = [s for s in declared() if s.selects(args)]
    if len(chosen) > 1:
        raise UserError(f"{' and '.join(s.flag for s in chosen)} are different sweeps ({', '.join(s.name for s in chosen)}); "
                        "run them one at a time")
    return chosen[0] if chosen else None
