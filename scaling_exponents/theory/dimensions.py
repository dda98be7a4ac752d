"""The size vocabulary: every dimension a table can be evaluated at a concrete size along, one entry each.

A :class:`Dimension` names the dimension (``width``: the rows' ``dimension``, the ``--size width=...`` key and the
``--width``/``--base-width`` aliases), its symbol in rules and tables (``n``), its command-line placeholder (``N``),
what it counts, and how a size of it is read (:func:`parse_size`: ``4096``, ``4e11``, ``400B``, ``1.5T``, ``32k``,
``2^20``).  ``derive``'s flags, ``--size`` parsing, ``list --dimension`` and ``catalog/dimensions.md`` all read
:func:`dimensions`, so a new dimension is one :func:`register` call (or one entry in :data:`BUILTIN`).

Torch-free and paper-free: which paper scales along a dimension is the business of its table's rows
(``systems/``), not of this vocabulary.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from ..errors import UserError

#: Size suffixes people write for token budgets and batches: 32k, 4M tokens, 400B tokens, 15T tokens.
SUFFIXES = {"k": 10**3, "K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}
#: What a size may look like, for the messages.
SPELLINGS = "4096, 4e11, 400B, 1.5T, 32k or 2^20 (suffix k, M, B/G, T)"
_POWER = re.compile(r"^(\d+)\s*(?:\^|\*\*)\s*(\d+)$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_size(text, integer: bool = True):
    """A positive size as people write it: ``4096``, ``4e11``, ``400B``, ``1.5T``, ``32k``, ``2^20``, ``1_000``.

    Token budgets are billions to trillions, so ``4e11`` and ``400B`` both mean 4*10^11.  With ``integer`` (a size
    counts things) the result must be a whole number: ``1.5`` alone is refused; without it any finite number > 0
    is kept as a float.  A bad size is a one-line :class:`UserError` naming the text and the accepted spellings."""
    t = str(text).strip().replace("_", "").replace(",", "")
    m = _POWER.match(t)
    if m:
        base, exp = int(m.group(1)), int(m.group(2))
        if exp > 64 or base == 0:
            raise UserError(f"{text!r} is not a size > 0 of at most 64 powers: give e.g. 2^20")
        return base ** exp
    mult = 1
    if t and t[-1] in SUFFIXES:
        t, mult = t[:-1], SUFFIXES[t[-1]]
    try:
        value = float(t) * mult
    except ValueError:
        raise UserError(f"{text!r} is not a size: give {SPELLINGS}") from None
    if not math.isfinite(value) or value <= 0 or (integer and value != int(value)):
        what = "a whole number > 0 (sizes are positive)" if integer else "a finite number > 0"
        raise UserError(f"{text!r} is not {what}: give e.g. 4096, 4e11 or 400B")
    return int(value) if integer else value


@dataclass(frozen=True)
class Dimension:
    """One dimension of the size vocabulary.

    ``name`` is the rows' dimension and the flag (``--size NAME=SIZE/BASE``, ``--NAME``, ``--base-NAME``);
    ``symbol`` is how rules and tables write it (``n`` for width); ``metavar`` is the command-line placeholder
    (``N``; the base is ``N0``); ``meaning`` says what it counts and where it comes from; ``integer`` whether a size
    counts things (whole numbers); ``parse`` reads one size (default :func:`parse_size`)."""

    name: str
    symbol: str
    metavar: str
    meaning: str
    integer: bool = True
    parse: Callable | None = None

    def read(self, text):
        """One size of this dimension from its text (the dimension's ``parse``, else :func:`parse_size`)."""
        if self.parse is not None:
            return self.parse(text)
        return parse_size(text, self.integer)


#: The dimensions ``derive`` takes sizes for, in the order of its help.  tokens/batch are the training horizon
#: (systems/horizon.py), vocab the vocabulary size (systems/vocab.py), rank the LoRA rank (systems/lora_rank.py),
#: granularity the MoE expert granularity (systems/moe_details.py).
BUILTIN = (
    Dimension("width", "n", "N", "model width (d_model, hidden size): the muP family's n"),
    Dimension("depth", "L", "L", "residual blocks (depth-muP, CompleteP: systems/depth.py)"),
    Dimension("experts", "E", "E", "MoE expert count (systems/moe.py)"),
    Dimension("granularity", "G", "G", "MoE expert granularity (systems/moe_details.py)"),
    Dimension("tokens", "D", "D", "training tokens, the horizon (systems/horizon.py, systems/token_horizon.py)"),
    Dimension("batch", "B", "B", "batch size (systems/horizon.py)"),
    Dimension("vocab", "V", "V", "vocabulary size: the embedding's fan_in, the readout's fan_out (systems/vocab.py)"),
    Dimension("rank", "r", "R", "LoRA rank (systems/lora_rank.py)"),
)
_REGISTRY: dict[str, Dimension] = {d.name: d for d in BUILTIN}


def register(dim: Dimension) -> Dimension:
    """Add ``dim`` to the vocabulary (it then appears in ``derive``'s flags and ``--size``); returns it.

    The name must be a lowercase identifier (it becomes ``--NAME``) not already registered."""
    if not isinstance(dim, Dimension):
        raise UserError(f"register a Dimension(name, symbol, metavar, meaning), not {type(dim).__name__}")
    if not _NAME.match(dim.name):
        raise UserError(f"dimension name {dim.name!r} must be a lowercase identifier (it becomes --{dim.name})")
    if dim.name in _REGISTRY:
        raise UserError(f"dimension {dim.name!r} is already registered ({_REGISTRY[dim.name].meaning})")
    _REGISTRY[dim.name] = dim
    return dim


def unregister(name: str) -> None:
    """Remove a registered dimension (a test's cleanup); a built-in one stays."""
    if name in {d.name for d in BUILTIN}:
        raise UserError(f"{name!r} is a built-in dimension and stays registered")
    _REGISTRY.pop(name, None)


def dimensions() -> tuple[Dimension, ...]:
    """Every registered dimension, built-ins first, in registration order."""
    return tuple(_REGISTRY.values())


def names() -> tuple[str, ...]:
    """The registered dimensions' names (``width``, ``depth``, ...)."""
    return tuple(_REGISTRY)


def get(name: str) -> Dimension:
    """The dimension called ``name``; an unknown one is a one-line UserError naming the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UserError(f"unknown dimension {name!r}; known dimensions: {', '.join(_REGISTRY)}") from None


def symbol(name: str) -> str:
    """The symbol rules and tables write for ``name`` (``n`` for width); an unregistered name stands for itself."""
    dim = _REGISTRY.get(name)
    return dim.symbol if dim else name


def parse_size_spec(text: str) -> tuple[str, object, object]:
    """``"width=4096/256"`` -> ``("width", 4096, 256)``; ``"tokens=400B"`` -> ``("tokens", 4*10**11, None)``.

    A bad spec (no ``=``, an unknown dimension, a size that is not one, a zero base) is a one-line UserError
    naming the text and the fix."""
    name, eq, value = str(text).partition("=")
    name = name.strip().lower().replace("-", "_")
    if not eq or not name or not value.strip():
        raise UserError(f"--size {text!r}: write DIM=SIZE/BASE, e.g. --size width=4096/256 "
                        f"(dimensions: {', '.join(_REGISTRY)})")
    if name not in _REGISTRY:
        raise UserError(f"--size {text!r}: unknown dimension {name!r}; known dimensions: {', '.join(_REGISTRY)}")
    dim = _REGISTRY[name]
    size_text, slash, base_text = value.partition("/")
    if slash and not base_text.strip():
        raise UserError(f"--size {text!r}: the base after '/' is missing; e.g. --size {name}=4096/256")
    try:
        size = dim.read(size_text)
        base = dim.read(base_text) if slash else None
    except UserError as e:
        raise UserError(f"--size {text!r}: {e}") from None
    return name, size, base
