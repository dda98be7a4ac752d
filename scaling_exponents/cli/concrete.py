"""``derive``'s practitioner options: base values (``--lr``, ``--init-std``, ``--weight-decay``, ``--eps``) turned
into concrete per-role values at ``--width``/``--depth`` (:mod:`scaling_exponents.theory.values`), the table
restated in another parametrization's convention (``--convert-to NAME``; ``--convention table8`` is its deprecated
alias), and ``--wide``."""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..errors import UserError

#: ``--convention`` (deprecated alias of ``--convert-to``) -> the parametrization whose convention it is (restated by
#: the abc symmetry, :mod:`scaling_exponents.systems.convert`).
CONVENTIONS = {
    "everett": "mup",        # Everett et al. arXiv 2407.05872: per-layer LR exponents c_l, multipliers n^-a
    "table8": "mup-table8",  # TP5 arXiv 2203.03466 Table 8 (microsoft/mup): readout multiplier 1/n, hidden LR 1/n
    "table3": "mup-table3",  # TP5 Table 3: no multipliers, per-weight-type init and LR
}
BASE_FLAGS = (("lr", "LR"), ("init_std", "STD"), ("weight_decay", "WD"), ("eps", "EPS"))


def _number(flag):
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number; give e.g. --{flag} 1e-3") from None
        if not math.isfinite(v) or v < 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be a finite number >= 0")
        return v
    return parse


def add_arguments(d) -> None:
    """The base-value flags (``--lr``, ``--init-std``, ``--weight-decay``, ``--eps``), the hidden ``--convention``
    alias and ``--wide``."""
    for name, meta in BASE_FLAGS:
        flag = name.replace("_", "-")
        d.add_argument(f"--{flag}", type=_number(flag), metavar=meta,
                       help=f"base {name.replace('_', ' ')} tuned at the base shape: print its per-role value at the target")
    d.add_argument("--convention", choices=sorted(CONVENTIONS), help=argparse.SUPPRESS)  # deprecated: --convert-to
    d.add_argument("--wide", action="store_true", help="do not fit the text table in 100 columns")


def bases(args) -> dict:
    """``{name: base value or None}`` of the base-value flags."""
    return {name: getattr(args, name, None) for name, _ in BASE_FLAGS}


def convert_target(args) -> str | None:
    """The parametrization to restate the table in: ``--convert-to NAME``, or the deprecated ``--convention X``
    mapped onto it (:data:`CONVENTIONS`).  Both given and naming different targets is a one-line UserError."""
    target, name = getattr(args, "convert_to", None), getattr(args, "convention", None)
    if not name:
        return target
    mapped = CONVENTIONS[name]
    if target and target != mapped:
        raise UserError(f"--convention {name} (deprecated) is --convert-to {mapped}, not --convert-to {target}: "
                        "give --convert-to only")
    return mapped


def deprecation_note(args) -> None:
    """After a successful ``derive``: one line on stderr saying what replaces ``--convention X``."""
    name = getattr(args, "convention", None)
    if name:
        print(f"note: --convention is deprecated; use --convert-to {CONVENTIONS[name]}", file=sys.stderr)


def restate(table, target: str):
    """``table`` restated in ``target``'s convention by the abc symmetry (the same dynamics, or where they differ);
    a table without width multiplier rows has nothing to restate: a one-line UserError."""
    from ..systems.convert import convert

    if not any(r.dimension == "width" and r.quantity == "multiplier" for r in table.rows):
        raise UserError(f"--convert-to {target} restates width tables with multiplier rows; {table.parametrization} "
                        "has none (its rows are along " + ", ".join(table.dimensions) + ")")
    return convert(table, target)


def render(table, args, dims: dict) -> str:
    """The ``derive`` output: the exponent table, plus per-role values when sizes or base values are given."""
    given = {k: v for k, v in bases(args).items() if v is not None}
    if dims:  # a vocab size restates a per-matrix / role-fan table per LM role, with explicit vocab rows
        from ..systems.vocab_roles import for_sizes

        table = for_sizes(table, dims, getattr(args, "param", None))
    width = None if getattr(args, "wide", False) else 100
    if dims:
        from ..theory.values import check_sizes

        check_sizes(table, dims)
    if given and not dims:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise UserError(f"{flags} give base values; add the target and base sizes, e.g. --size width=1024/256 (or --width 1024 --base-width 256)")
    if given and args.format not in ("text", "json"):
        raise UserError(f"per-role values print as --format text or json, not {args.format}")
    if args.format == "json":
        d = table.to_dict(dims or None)
        if dims:
            d["values"] = table.values(dims, **given)
        return json.dumps(d, indent=2, ensure_ascii=False)
    text = table.render(args.format, sizes=dims or None, width=width)
    if args.format == "text" and given:
        from ..theory.values import render_values

        text += "\n\n" + render_values(table, table.values(dims, **given), dims)
    return text
