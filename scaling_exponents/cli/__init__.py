"""Command line: ``python -m scaling_exponents {list,derive,classify,solve,catalog,...}``.

Every command answers a user error (unknown name, unsupported optimizer, bad exponent) with ONE line on
stderr and exit status 2, never a traceback.  Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import SolverError, UserError

EPILOG = """examples:
  python -m scaling_exponents list
  python -m scaling_exponents derive --param mup --optimizer adam --alignment full
  python -m scaling_exponents derive --param mup --width 4096 --base-width 256
  python -m scaling_exponents derive --param sp --optimizer sgd --format json
  python -m scaling_exponents classify --a=-1/2,0,1/2 --b=1/2,1/2,1/2 --c=0
  python -m scaling_exponents solve --optimizer adam --a=-1/2,0,1/2 --b=1/2,1/2,1/2 --alignment no

Exponent convention (Everett et al., arXiv 2407.05872): a layer's weight is n^-a * w, w ~ N(0, n^-2b),
learning rate eta * n^-c.  Tables print each quantity as the factor it scales by (n^-1 = halves when the
width doubles); --format json gives `power` = the signed exponent (so c = -power for the lr).
"""


def _sizes(args) -> dict:
    sizes = {}
    for dim in ("width", "depth", "experts"):
        size, base = getattr(args, dim, None), getattr(args, f"base_{dim}", None)
        if size is None and base is None:
            continue
        if size is None or base is None:
            raise UserError(f"--{dim} and --base-{dim} go together (the factor is ({dim}/base-{dim})^power)")
        if size <= 0 or base <= 0:
            raise UserError(f"--{dim} and --base-{dim} must be positive integers, got {size} and {base}")
        sizes[dim] = (size, base)
    return sizes


def _extra_options(tokens: list[str]) -> dict:
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


def cmd_list(args) -> int:
    from ..systems.registry import all_specs

    specs = all_specs()
    if args.format == "json":
        import json

        print(json.dumps([{"name": s.name, "title": s.title, "key": s.source.key, "arxiv": s.source.arxiv,
                           "where": s.source.where, "optimizers": [o for o in s.optimizers if o],
                           "alignments": [a for a in s.alignments if a], "aliases": list(s.aliases),
                           "options": [o.name for o in s.options], "family": s.family} for s in specs], indent=2))
        return 0
    rows = [("name", "paper (bib key, arXiv)", "optimizers", "alignments", "what")]
    for s in specs:
        rows.append((s.name, f"{s.source.key}, {s.source.arxiv or '-'} {s.source.where}".strip(),
                     ",".join(o for o in s.optimizers if o) or "-", ",".join(a for a in s.alignments if a) or "-",
                     s.summary))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    print("\nderive one with: python -m scaling_exponents derive --param NAME [--optimizer ...] [--alignment ...]")
    return 0


def cmd_derive(args, extra) -> int:
    from ..systems.registry import derive

    sizes = _sizes(args)
    opts = _extra_options(extra)
    table = derive(args.param, optimizer=args.optimizer, alignment=args.alignment, **opts)
    if args.convert_to:
        from ..systems.convert import convert

        table = convert(table, args.convert_to)
    print(table.render(args.format, sizes=sizes or None))
    if args.show_system and table.system is not None:
        print("\n" + table.system.describe())
    return 0


def _exps(text: str, what: str):
    from ..theory.exponents import Q

    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise UserError(f"--{what} needs comma-separated exponents, e.g. --{what}=-1/2,0,1/2")
    return [Q(p) for p in parts]


def cmd_classify(args) -> int:
    from ..theory.classify import classify
    from ..theory.exponents import fmt

    a, b = _exps(args.a, "a"), _exps(args.b, "b")
    cl = classify(a, b, _exps(args.c, "c")[0])
    print(f"TP4 (arXiv 2011.14522) classification of a = {[fmt(x) for x in a]}, b = {[fmt(x) for x in b]}, c = {args.c}")
    print(f"  r = {fmt(cl.r)}; r_l = {[fmt(x) for x in cl.r_l]}")
    print(f"  regime: {cl.regime}")
    for f in cl.failed:
        print(f"  violates: {f}")
    return 0


def cmd_solve(args) -> int:
    from ..systems.everett2024 import derive_custom

    a, b = _exps(args.a, "a"), _exps(args.b, "b")
    alignment = args.alignment
    if alignment not in ("full", "no"):
        triples = [t for t in alignment.split(";") if t.strip()]
        alignment = [_exps(t, "alignment") for t in triples]
        if any(len(t) != 3 for t in alignment):
            raise UserError("--alignment takes 'full', 'no', or one 'alpha,omega,u' triple per layer separated by ';'")
    table = derive_custom(a, b, args.optimizer, alignment, name="custom", title="Custom (a, b): LP learning rates")
    print(table.render(args.format))
    if args.show_system:
        print("\n" + table.system.describe())
    return 0


#: Subcommands implemented outside this file: (name, module, help).  Each module defines
#: ``add_arguments(parser)`` and ``run(args) -> int``; it is imported only when its command runs
#: (or when ``--help`` is built), so ``derive`` never imports torch.
PLUGINS = [
    ("catalog", "scaling_exponents.literature.catalog", "generate catalog/ (README, one page per parametrization "
     "and paper, CSV/JSON exports); --check compares with the committed one"),
    ("verify", "scaling_exponents.verifier.verify", "measure exponents on PyTorch MLP/GPT width (and depth) sweeps and "
     "compare with the derived ones (needs the [torch] extra)"),
    ("transfer", "scaling_exponents.verifier.transfer", "learning-rate transfer sweeps: optimal LR per width/depth, "
     "its drift, SP vs muP (needs the [torch] extra)"),
]


def _plugin(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and e.name.split(".")[0] == "torch":
            raise UserError("this command needs PyTorch: pip install 'torch==2.13.0' (CPU) or the build for your "
                            "GPU, then pip install -e '.[torch]'") from None
        if e.name == module:
            raise UserError(f"{module} is not part of this installation yet") from None
        raise


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scaling_exponents",
        description="Derive how hyperparameters must scale with width, depth and other dimensions, from each "
                    "paper's constraint system (muP, SP, NTK, MFP, CompleteP, u-muP, ...).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    lp = sub.add_parser("list", help="every named parametrization with its paper and what it supports")
    lp.add_argument("--format", choices=("text", "json"), default="text")

    d = sub.add_parser(
        "derive", help="derive a parametrization's exponent table",
        description="Derive the exponent table of a named parametrization from its paper's constraint system. "
                    "Paper-specific options (e.g. --layers 3, --alpha 1/2) are passed through; "
                    "`list` shows which each parametrization takes.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--param", "-p", required=True, help="name from `list`, e.g. mup, sp, ntk, mfp, mup-table8")
    d.add_argument("--optimizer", "-o", help="sgd | adam | adafactor | ... (default: the paper's first)")
    d.add_argument("--alignment", "-a", help="full | no (Everett et al.; default full)")
    for dim, sym in (("width", "N"), ("depth", "L"), ("experts", "E")):
        d.add_argument(f"--{dim}", type=int, metavar=sym, help=f"target {dim}: print concrete factors vs --base-{dim}")
        d.add_argument(f"--base-{dim}", type=int, metavar=f"{sym}0", help=f"the {dim} the base hyperparameters were tuned at")
    d.add_argument("--format", "-f", choices=("text", "markdown", "latex", "csv", "json"), default="text")
    d.add_argument("--convert-to", metavar="NAME", help="restate the table in another parametrization's convention "
                   "via the abc symmetry (e.g. mup-table8), or say where they differ")
    d.add_argument("--show-system", action="store_true", help="also print the constraint system it was derived from")

    c = sub.add_parser("classify", help="TP4 classification of an (a, b, c) point for an SGD MLP",
                       description="Classify an abc-parametrization (TP4, arXiv 2011.14522): unstable, trivial, "
                                   "kernel regime or feature learning.  a and b list input, hidden..., readout.")
    c.add_argument("--a", required=True, help="multiplier exponents, e.g. --a=-1/2,0,1/2")
    c.add_argument("--b", required=True, help="init std exponents, e.g. --b=1/2,1/2,1/2")
    c.add_argument("--c", required=True, help="global SGD learning-rate exponent, e.g. --c=0")

    s = sub.add_parser("solve", help="Everett et al.'s LP for your own (a, b) and alignment",
                       description="Largest stable per-layer learning rates (Everett et al., arXiv 2407.05872) "
                                   "for given a, b per layer (embedding, hidden..., readout).")
    s.add_argument("--a", required=True)
    s.add_argument("--b", required=True)
    s.add_argument("--optimizer", choices=("adam", "sgd", "adafactor"), default="adam")
    s.add_argument("--alignment", default="full",
                   help="full | no | per-layer 'alpha,omega,u;alpha,omega,u;...' (one triple per layer)")
    s.add_argument("--format", "-f", choices=("text", "markdown", "latex", "csv", "json"), default="text")
    s.add_argument("--show-system", action="store_true")

    for name, module, help_ in PLUGINS:
        sub.add_parser(name, help=help_, description=help_)  # parsed by the plugin itself, see main()
    return p


def _dispatch(parser, argv: list[str]) -> int:
    plugins = {name: (module, help_) for name, module, help_ in PLUGINS}
    if argv and argv[0] in plugins:
        module, help_ = plugins[argv[0]]
        mod = _plugin(module)
        sp = argparse.ArgumentParser(prog=f"python -m scaling_exponents {argv[0]}", description=help_,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(sp)
        return int(mod.run(sp.parse_args(argv[1:])) or 0)
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if extra and args.command != "derive":
        raise UserError(f"unrecognized arguments: {' '.join(extra)}")
    commands = {"list": cmd_list, "classify": cmd_classify, "solve": cmd_solve}
    if args.command == "derive":
        return cmd_derive(args, extra)
    return commands[args.command](args)


def main(argv=None) -> int:
    """Run one command; user errors become one line on stderr and exit status 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(build_parser(), argv)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except SolverError as e:
        print(f"solver error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted (finished results are kept; rerun the same command to resume)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
