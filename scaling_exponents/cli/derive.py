"""``derive``: a named parametrization's exponent table, as factors, concrete sizes, or JSON/CSV/LaTeX."""

from __future__ import annotations

from . import concrete
from .args import FORMATS, add_size_arguments, extra_options, sizes

HELP = "derive a parametrization's exponent table"
DESCRIPTION = ("Derive the exponent table of a named parametrization from its paper's constraint system. "
               "Paper-specific options (e.g. --layers 3, --alpha 1/2) are passed through; "
               "`list` shows which each parametrization takes.")
#: ``derive`` passes unknown ``--name value`` pairs to the parametrization (see :func:`.args.extra_options`).
TAKES_EXTRA = True


def add_arguments(d) -> None:
    """``derive``'s flags; the size flags come from the size vocabulary (:func:`.args.add_size_arguments`)."""
    d.add_argument("--param", "-p", required=True, help="name from `list`, e.g. mup, sp, ntk, mfp, mup-table8")
    d.add_argument("--optimizer", "-o", help="sgd | adam | adafactor | ... (default: the paper's first)")
    d.add_argument("--alignment", "-a", help="full | no (Everett et al.; default full) | an `align` table FILE.json")
    add_size_arguments(d)
    d.add_argument("--format", "-f", choices=FORMATS, default="text")
    d.add_argument("--convert-to", metavar="NAME", help="restate the table in another parametrization's convention "
                   "via the abc symmetry (e.g. mup-table8 = microsoft/mup, mup = Everett et al.), or say where they "
                   "differ")
    d.add_argument("--show-system", action="store_true", help="also print the constraint system it was derived from")
    d.add_argument("--solver", choices=("highs", "cvxpy"), default="highs",
                   help="LP back end: highs (highspy directly, default, < 1 ms a solve) or cvxpy; both give the same "
                        "exact, certified table")
    concrete.add_arguments(d)
    d.add_argument("--emit", metavar="FRAMEWORK", choices=("megatron", "nanogpt-mup", "hf"),
                   help="print the flags/config entries that make megatron | nanogpt-mup | hf train with this table "
                        "(needs --size width=N/N0), and the rows that framework cannot express")


#: Flags that shape the printed table; ``--emit`` prints a framework's flags instead and would drop them silently
#: (``--convert-to`` / ``--convention`` with ``--emit`` are refused in :func:`run`).
_TABLE_FLAGS = (("show_system", "--show-system"), ("init_std", "--init-std"), ("weight_decay", "--weight-decay"),
                ("eps", "--eps"))


def _given(args, flags) -> list[str]:
    return [flag for attr, flag in flags if getattr(args, attr, None) not in (None, False)]


def _check_combinations(args, opts: dict) -> None:
    """Refuse flags the chosen path would ignore (one line naming the flag and the fix), before any work."""
    from ..errors import UserError

    if args.emit:
        ignored = _given(args, _TABLE_FLAGS) + ([f"--format {args.format}"] if args.format != "text" else [])
        if ignored:
            them = "it" if len(ignored) == 1 else "them"
            raise UserError(f"--emit {args.emit} prints that framework's flags (from the table, the sizes and --lr) "
                            f"and would ignore {', '.join(ignored)}: drop {them}, or drop --emit")
    if args.show_system and args.format in ("csv", "latex"):
        raise UserError(f"--show-system prints the constraint system as text, which would break the {args.format} "
                        "output: use --format text, markdown or json (json holds it under \"system\")")
    if _measured_file(args):
        ignored = _given(args, (("show_system", "--show-system"), ("emit", "--emit")))
        ignored += [f"--{k.replace('_', '-')}" for k in opts]
        if getattr(args, "solver", "highs") != "highs":
            ignored.append(f"--solver {args.solver}")
        if ignored:
            raise UserError(f"--alignment {args.alignment} is a measured table, solved by its own exact per-layer LP "
                            f"(no options, framework flags or solver choice); drop {', '.join(ignored)}")


def _measured_file(args) -> bool:
    return bool(args.alignment) and args.alignment.lower().endswith(".json")


def _measured_table(args):
    """The exact table of an ``align`` JSON file, checked against --param and --optimizer."""
    from ..errors import UserError
    from ..systems.everett2024_aligned import exact_table, load

    measured = load(args.alignment)
    table = exact_table(measured)
    if table.parametrization.removesuffix("-measured") != args.param:
        raise UserError(f"{args.alignment} was measured under {table.parametrization.removesuffix('-measured')}, "
                        f"not --param {args.param}")
    if args.optimizer and args.optimizer != measured.optimizer:  # the LP's c depends on the optimizer
        raise UserError(f"{args.alignment} was measured and solved under {measured.optimizer}, not --optimizer "
                        f"{args.optimizer}; measure it under {args.optimizer} (`align --optimizer "
                        f"{args.optimizer}`) or drop --optimizer")
    return table


def run(args, extra=()) -> int:
    """Derive the table (or solve a measured ``--alignment FILE.json``) and print it, restated, with sizes and
    per-role values, or as a framework's flags (``--emit``); flags the chosen path would ignore are refused first."""
    from ..systems.registry import derive

    from ..theory.solver_choice import set_solver

    set_solver(getattr(args, "solver", "highs"))
    dims = sizes(args)
    target = concrete.convert_target(args)
    opts = extra_options(list(extra))
    measured = _measured_file(args)
    if target and (args.emit or measured):
        from ..errors import UserError

        raise UserError(f"--convert-to {target} restates a derived table; it does not apply to "
                        f"{'--emit ' + args.emit if args.emit else 'a measured --alignment FILE.json'}: drop one")
    _check_combinations(args, opts)
    if measured:  # a measured table from `align`: exact per-layer LP; sizes and base values apply
        print(concrete.render(_measured_table(args), args, dims))
        return 0
    table = derive(args.param, optimizer=args.optimizer, alignment=args.alignment, **opts)
    if args.emit:
        from ..frameworks import emit

        print(emit(table, args.emit, dims, lr=getattr(args, "lr", None), options=opts).render())
        return 0
    if target:
        table = concrete.restate(table, target)
    out = concrete.render(table, args, dims)
    if args.show_system and table.system is not None:
        if args.format == "json":  # one JSON document: the system's lines under "system"
            import json

            d = json.loads(out)
            d["system"] = table.system.describe().splitlines()
            out = json.dumps(d, indent=2, ensure_ascii=False)
        else:
            out += "\n\n" + table.system.describe()
    print(out)
    concrete.deprecation_note(args)
    return 0
