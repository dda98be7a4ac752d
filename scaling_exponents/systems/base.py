"""What a named parametrization is: a constraint system + the choices its paper makes + a citation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..theory.table import ExponentTable, Source


@dataclass(frozen=True)
class Option:
    """A paper-specific option of ``derive`` (e.g. ``alpha`` for the depth family, ``layers`` for Everett)."""

    name: str
    help: str
    default: object = None
    parse: Callable = str


@dataclass(frozen=True)
class ParamSpec:
    """A named parametrization.

    ``build(optimizer, alignment, **options)`` derives its :class:`ExponentTable` from the paper's
    constraint system; ``optimizers``/``alignments`` list what the paper covers (the first is the default);
    ``sweeps`` names the ``verify`` sweeps that measure it (see the field).
    """

    name: str
    title: str
    source: Source
    build: Callable[..., ExponentTable]
    optimizers: tuple[str, ...] = ("",)
    alignments: tuple[str, ...] = ("",)
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    summary: str = ""
    family: str = ""
    extra: dict = field(default_factory=dict)
    #: the ``verify`` sweeps (``verifier/sweeps`` declaration names) that measure this parametrization, e.g.
    #: ``("sam",)``; empty: the sweeps whose declaration covers the derived table (the width coordinate check, or the
    #: per-matrix optimizer sweep for a per-matrix table).  Names only: the torch-free core never imports the verifier.
    sweeps: tuple[str, ...] = ()

    @property
    def default_optimizer(self):
        """The optimizer ``derive`` uses when none is given: the first listed (None for optimizer-free tables)."""
        return self.optimizers[0] or None

    @property
    def default_alignment(self):
        """The alignment ``derive`` uses when none is given: the first listed (None when the table has no alignment)."""
        return self.alignments[0] or None
