"""Parsing helpers shared by the commands: sizes (``--size width=N/N0``, alias ``--width N --base-width N0``,
generated from :mod:`scaling_exponents.theory.dimensions`), exponent lists
(``--a=-1/2,0,1/2``) and the paper-specific pass-through options of ``derive`` (``--alpha 1/2``)."""

from __future__ import annotations

import argparse

from ..errors import UserError
from ..theory import dimensions as vocabulary
from ..theory.dimensions import parse_size

FORMATS = ("text", "markdown", "latex", "csv", "json")
#: Largest |exponent| accepted on the command line (the papers' exponents are within +-2; 1e400 would only
#: overflow the LP solver).
MAX_EXPONENT = 100
#: The size spellings ``--help`` shows (:func:`~scaling_exponents.theory.dimensions.parse_size` reads them).
SPELLINGS_HELP = "4096, 4e11, 400B, 1.5T, 32k, 2^20"


def size_int(text: str) -> int:
    """A positive whole size as people write it (``4096``, ``4e11``, ``400B``, ``32k``, ``2^20``) for an argparse
    ``type=``: :func:`scaling_exponents.theory.dimensions.parse_size`, its error as argparse's (one line naming the
    flag)."""
    return _argparse_type(lambda t: parse_size(t, True))(text)


def _argparse_type(parse):
    def read(text):
        try:
            return parse(text)
        except UserError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return read


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are ONE line (``UserError``: ``error: ...`` and exit 2) naming the bad
    input and pointing at ``--help``, instead of argparse's usage block."""

    def error(self, message):
        """Raise argparse's message as one-line :class:`UserError` pointing at ``--help``."""
        raise UserError(f"{message} (see `{self.prog} --help`)")

    def parse_known_args(self, args=None, namespace=None):
        """argparse keeps the LAST of a repeated single-value option (``-p mup -p sp`` derives sp): refuse it."""
        import sys

        argv = list(sys.argv[1:] if args is None else args)
        _refuse_repeats(self, argv)
        return super().parse_known_args(argv, namespace)


def _refuse_repeats(parser, argv: list[str]) -> None:
    """One line naming a single-value option given twice (its earlier value would be dropped silently)."""
    single = {}
    for action in parser._actions:
        if type(action).__name__ in ("_StoreAction",) and action.nargs in (None, "?"):
            for opt in action.option_strings:
                single[opt] = action
    seen: dict = {}
    for i, tok in enumerate(argv):
        if tok == "--":
            break
        name, eq, value = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        action = single.get(name)
        if action is None:
            continue
        given = f"{name} {value if eq else (argv[i + 1] if i + 1 < len(argv) else '')}".strip()
        if action in seen:
            raise UserError(f"{action.option_strings[0]} given twice ({seen[action]}, then {given}): argparse would "
                            f"keep only the last; give it once (see `{parser.prog} --help`)")
        seen[action] = given


def add_size_arguments(parser, what: str = "print concrete factors") -> None:
    """``--size DIM=SIZE/BASE`` (repeatable) and its aliases ``--DIM`` / ``--base-DIM``, generated from the size
    vocabulary (:mod:`scaling_exponents.theory.dimensions`): one registered dimension is one more pair here."""
    dims = vocabulary.dimensions()
    parser.add_argument("--size", action="append", metavar="DIM=SIZE/BASE", default=None,
                        help=f"target and base size along a dimension, repeatable, e.g. --size width=4096/256 "
                             f"--size tokens=400B/100B ({SPELLINGS_HELP}): {what}; dimensions: "
                             + ", ".join(f"{d.name} ({d.metavar})" for d in dims))
    group = parser.add_argument_group("size aliases", "--DIM X --base-DIM X0 is --size DIM=X/X0")
    for d in dims:  # --head-dim / --base-head-dim for head_dim: argparse's dests are head_dim / base_head_dim
        flag = d.name.replace("_", "-")
        group.add_argument(f"--{flag}", type=_argparse_type(d.read), metavar=d.metavar, help=d.meaning)
        group.add_argument(f"--base-{flag}", type=_argparse_type(d.read), metavar=f"{d.metavar}0",
                           help=argparse.SUPPRESS)


def sizes(args) -> dict:
    """``{dim: (size, base)}`` from ``--size DIM=SIZE/BASE`` and the ``--DIM`` / ``--base-DIM`` aliases.

    A size needs its base; one dimension given twice with different values (two ``--size``, or ``--size`` and an
    alias) is a one-line UserError."""
    out, said = {}, {}
    for text in getattr(args, "size", None) or ():
        name, size, base = vocabulary.parse_size_spec(text)
        if base is None:
            raise UserError(f"--size {text!r}: give the base too, e.g. --size {text.strip()}/BASE (the factor is "
                            f"({name}/base)^power)")
        _put(out, said, name, (size, base), f"--size {text}")
    for dim in vocabulary.names():
        size, base = getattr(args, dim, None), getattr(args, f"base_{dim}", None)
        if size is None and base is None:
            continue
        flag = dim.replace("_", "-")
        if size is None or base is None:
            raise UserError(f"--{flag} and --base-{flag} go together, or write --size {dim}=SIZE/BASE (the factor is "
                            f"({flag}/base-{flag})^power)")
        _put(out, said, dim, (size, base), f"--{flag} {size} --base-{flag} {base}")
    for dim, (size, base) in out.items():
        if size <= 0 or base <= 0:
            raise UserError(f"{dim} sizes must be positive, got {size} and base {base}")
    return out


def _put(out: dict, said: dict, dim: str, pair: tuple, how: str) -> None:
    if dim in out and out[dim] != pair:
        raise UserError(f"{dim} is given twice with different values ({said[dim]} and {how}); give it once")
    out[dim], said[dim] = pair, said.get(dim, how)


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
        key = name.replace("-", "_")
        if key in opts:  # the earlier value would be dropped silently
            raise UserError(f"option --{name} given twice ({opts[key]!r} and {value!r}); give it once")
        opts[key] = value
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
