"""Parsing helpers shared by the commands: sizes (``--width N --base-width N0``), exponent lists
(``--a=-1/2,0,1/2``) and the paper-specific pass-through options of ``derive`` (``--alpha 1/2``)."""

from __future__ import annotations

import argparse
import math

from ..errors import UserError

FORMATS = ("text", "markdown", "latex", "csv", "json")
#: dimensions with ``--DIM`` / ``--base-DIM`` flags: (name, metavar); tokens/batch are the training horizon
#: (systems/horizon.py), vocab the vocabulary size (systems/vocab.py), rank the LoRA rank (systems/lora_rank.py),
#: granularity the MoE expert granularity (systems/moe_details.py)
SIZE_FLAGS = (("width", "N"), ("depth", "L"), ("experts", "E"), ("granularity", "G"), ("tokens", "D"), ("batch", "B"),
              ("vocab", "V"), ("rank", "R"))
DIMENSIONS = tuple(d for d, _ in SIZE_FLAGS)
#: Largest |exponent| accepted on the command line (the papers' exponents are within +-2; 1e400 would only
#: overflow the LP solver).
MAX_EXPONENT = 100


#: Size suffixes people write for token budgets and batches: 32k, 4M tokens, 400B tokens, 15T tokens.
SUFFIXES = {"k": 10**3, "K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}


def size_int(text: str) -> int:
    """A positive size as people write it: ``4096``, ``4e11``, ``400B``, ``1.5T``, ``32k`` (k, M, B/G, T).

    Token budgets are billions to trillions, so ``--tokens 4e11`` and ``--tokens 400B`` both mean 4*10^11; the
    result must be a whole number (``1.5`` alone is refused: a size counts things)."""
    t = str(text).strip().replace("_", "").replace(",", "")
    mult = 1
    if t and t[-1] in SUFFIXES:
        t, mult = t[:-1], SUFFIXES[t[-1]]
    try:
        value = float(t) * mult
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: give an integer, 4e11, or 400B (suffix k, M, B, T)")
    if not math.isfinite(value) or value <= 0 or value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number > 0 (sizes are positive): give e.g. 4096, 4e11 or 400B")
    return int(value)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are ONE line (``UserError``: ``error: ...`` and exit 2) naming the bad
    input and pointing at ``--help``, instead of argparse's usage block."""

    def error(self, message):
        raise UserError(f"{message} (see `{self.prog} --help`)")


def sizes(args) -> dict:
    """``{dim: (size, base)}`` from ``--DIM`` / ``--base-DIM`` pairs; each needs the other."""
    out = {}
    for dim in DIMENSIONS:
        size, base = getattr(args, dim, None), getattr(args, f"base_{dim}", None)
        if size is None and base is None:
            continue
        if size is None or base is None:
            raise UserError(f"--{dim} and --base-{dim} go together (the factor is ({dim}/base-{dim})^power)")
        if size <= 0 or base <= 0:
            raise UserError(f"--{dim} and --base-{dim} must be positive integers, got {size} and {base}")
        out[dim] = (size, base)
    return out


def extra_options(tokens: list[str]) -> dict:
    """Paper-specific options (``--alpha 1/2``, ``--layers 3``) passed through to the parametrization."""
    opts, i = {}, 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--"):
            raise UserError(f"unexpected argument {tok!r}; options look like --name value")
        name, _, value = tok[2:].partition("=")
        if not value:
            if i + 1 >= len(tokens):
                raise UserError(f"option --{name} needs a value")
            value, i = tokens[i + 1], i + 1
        opts[name.replace("-", "_")] = value
        i += 1
    return opts


def exponents(text: str, what: str):
    """``"-1/2,0,1/2"`` -> exact rationals; ``what`` names the flag in the error."""
    from ..theory.exponents import Q

    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise UserError(f"--{what} needs comma-separated exponents, e.g. --{what}=-1/2,0,1/2")
    out = [Q(p) for p in parts]
    big = [p.strip() for p, q in zip(parts, out) if abs(q) > MAX_EXPONENT]
    if big:
        raise UserError(f"--{what} exponent {big[0]} is out of range; exponents are powers of the width, "
                        f"within +-{MAX_EXPONENT} (the papers' are within +-2)")
    return out
