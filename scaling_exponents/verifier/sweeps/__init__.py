"""Every ``verify`` sweep is one declaration in this package (issue 22 item 4).

What: each public module declares ``SWEEP = Sweep(...)``: its name and axis, the help group its flags go in
(``add_arguments``), and how it runs.  Two kinds:

- **invocation sweeps** (``selects`` given: your own model, vocabulary, density, LoRA, MoE) own a whole invocation
  when their flag or model is given; ``run(args, ctx)`` returns the exit status.
- **target sweeps** (width coordinate check, per-matrix optimizers, SAM, weight decay, depth, u-muP's unit check)
  measure one parametrization each; ``run(target, table, args, ctx)`` returns ``{label: Summary}``
  (:class:`scaling_exponents.evidence.summary_record.Summary`: status, passed, failed computed from its rows).

Which target sweeps measure a parametrization is said by its spec (``ParamSpec.sweeps``, e.g. ``("sam",)``) or,
when the spec names none (and for ``--table`` files), by the declarations whose ``covers(table)`` is true.  A
declaration's ``wanted(args, listed)`` says whether it runs in this invocation (the width sweeps unless only
``--depths`` was given; the depth sweep on ``--depths`` or when listed), ``check(args, target, table)`` refuses bad
input before any run.  ``verify`` (:func:`.verify._run`) only asks :func:`select` and :func:`plan`: it never names a
sweep, a family or a flag, and adding a sweep is one file here plus its test.

Why: ``verify`` used to choose by a chain of ``if args.vocabs ... elif ...``, by the spec's family (SAM, weight
decay), by the table's shape (per-matrix) and by the name ``umup``; two flags together were resolved by that order
without a word.  Here two invocation sweeps at once are an error naming both, and a parametrization that no requested
sweep measures is an error naming the sweeps that do.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from ...errors import UserError


@dataclass(frozen=True)
class Context:
    """What a sweep's driver gets from ``verify`` besides the parsed flags: its parsers, the table lookup and (for
    target sweeps) the results store, the executor options and whether to show progress."""

    parse_ints: Callable
    parse_targets: Callable
    table_of: Callable  # Target -> ExponentTable (the --alignment of the invocation applied)
    store: object = None
    runner: dict | None = None  # executor=, retry=, on_result= of :func:`scaling_exponents.verifier.sweep.run_tasks`
    progress: bool = True


def _never(*_):
    return False


def _no_check(*_):
    return None


@dataclass(frozen=True)
class Sweep:
    """One sweep.  ``add_arguments(group)`` adds its flags to its own help group titled ``title``; ``flag`` names what
    selects it (for messages).  Invocation sweeps give ``selects(args)`` and ``run(args, ctx) -> exit status``;
    target sweeps give ``covers(table)``, ``wanted(args, listed)``, ``check(args, target, table)`` and
    ``run(target, table, args, ctx) -> {label: Summary}``.  ``stray(args)``: a message when this sweep's own flags
    are given although it does not run (never silently ignored)."""

    name: str
    axis: str
    title: str
    flag: str
    add_arguments: Callable
    run: Callable
    selects: Callable | None = None
    covers: Callable = _never
    wanted: Callable = _never
    check: Callable = _no_check
    stray: Callable = _no_check
    order: int = 100
    takes_tables: bool = False  # an invocation sweep that also runs ``--table FILE.json`` entries
    models: tuple[str, ...] = ()  # ``--model`` values that select this sweep (``moe``, ``lora``)

    @property
    def owns_invocation(self) -> bool:
        """True for a sweep selected by its flag that runs the whole invocation (not per parametrization)."""
        return self.selects is not None


def delegate(module, runner: str) -> tuple[Callable, Callable]:
    """``(add_arguments, run)`` for an invocation sweep implemented by ``module``: its ``add_arguments(group)`` and
    ``<runner>(args, parse_targets, table_of)`` with the invocation's :class:`Context`."""
    def run(args, ctx: Context) -> int:
        return getattr(module, runner)(args, ctx.parse_targets, ctx.table_of)

    return module.add_arguments, run


def declared() -> list[Sweep]:
    """Every ``SWEEP`` declared by a public module of this package (``_name`` modules are helpers), in ``order``."""
    out = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
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


def models() -> tuple[str, ...]:
    """The ``--model`` values the declared sweeps add to the built-in MLP, residual MLP and GPT."""
    return tuple(m for s in declared() for m in s.models)


def select(args) -> Sweep | None:
    """The invocation sweep this invocation is, or None (target sweeps); two at once is an error, and so is a flag of
    an invocation sweep that is not selected (its ``stray`` message)."""
    owners = [s for s in declared() if s.owns_invocation]
    chosen = [s for s in owners if s.selects(args)]
    if len(chosen) > 1:
        raise UserError(f"{' and '.join(s.flag for s in chosen)} are different sweeps ({', '.join(s.name for s in chosen)}); "
                        "run them one at a time")
    for s in owners:
        message = None if s in chosen else s.stray(args)
        if message:
            raise UserError(message)
    return chosen[0] if chosen else None


def listed(target, table) -> tuple[str, ...]:
    """The sweeps that measure ``target``: its spec's ``sweeps`` or, when it names none (and for a ``--table`` file),
    every declaration whose ``covers(table)`` is true."""
    from ...systems.registry import get
    from ...theory.custom_tables import is_custom

    named = () if is_custom(target.param) else get(target.param).sweeps
    return tuple(named) or tuple(s.name for s in declared() if s.covers(table))


def plan(targets, args, table_of) -> list[tuple[Sweep, object, object]]:
    """``[(sweep, target, table), ...]`` to run, in the declarations' order (every width entry, then depth, ...); each
    step's ``check`` has run, so bad input stops here, before any run.  A target that no wanted sweep measures is an
    error naming the sweeps that do (e.g. an MoE table on the dense MLP: the ``moe`` sweep, ``--model moe``)."""
    sweeps = declared()
    by_name = {s.name: s for s in sweeps}
    steps = []
    for t in targets:
        table = table_of(t)
        names = listed(t, table)
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise UserError(f"{t.param} names sweeps {unknown} that no module of verifier/sweeps declares")
        mine = [s for s in sweeps if not s.owns_invocation and s.wanted(args, s.name in names)]
        if not mine:
            for s in sweeps:  # the refusal of a sweep that would run were it listed is the most specific reason
                if not s.owns_invocation and s.wanted(args, True):
                    s.check(args, t, table)
            how = "; ".join(f"{n} ({by_name[n].flag})" for n in names) or "none declared"
            raise UserError(f"{t.label}: none of the requested sweeps measures it; its sweeps: {how}")
        for s in mine:
            s.check(args, t, table)
        steps += [(s, t, table) for s in mine]
    ran = {s.name for s, _, _ in steps}
    for s in sweeps:  # a target sweep's own flag given although none of the targets is measured by it
        message = None if s.owns_invocation or s.name in ran else s.stray(args)
        if message:
            raise UserError(message)
    order = {s.name: i for i, s in enumerate(sweeps)}
    return sorted(steps, key=lambda step: order[step[0].name])  # stable: targets keep their order within a sweep
