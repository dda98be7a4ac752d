"""Command line: ``python -m scaling_exponents {list,derive,classify,solve,catalog,verify,transfer}``.

One module per command (:data:`COMMANDS`), each with ``add_arguments(parser)`` and ``run(args) -> int``; a
command's module is imported only when it runs, so ``derive`` never imports torch.  Every command answers a
user error (unknown name, unsupported optimizer, bad exponent) with ONE line on stderr and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import SolverError, UserError

EPILOG = """examples:
  python -m scaling_exponents list
  python -m scaling_exponents derive --param mup --optimizer adam --alignment full
  python -m scaling_exponents derive --param mup --size width=4096/256   (alias: --width 4096 --base-width 256)
  python -m scaling_exponents derive --param sp --optimizer sgd --format json
  python -m scaling_exponents classify --a=-1/2,0,1/2 --b=1/2,1/2,1/2 --c=0
  python -m scaling_exponents solve --optimizer adam --a=-1/2,0,1/2 --b=1/2,1/2,1/2 --alignment no

Exponent convention (Everett et al., arXiv 2407.05872): a layer's weight is n^-a * w, w ~ N(0, n^-2b),
learning rate eta * n^-c.  Tables print each quantity as the factor it scales by (n^-1 = halves when the
width doubles); --format json gives `power` = the signed exponent (so c = -power for the lr).
"""


#: Every command: (name, module, help).  Each module defines ``add_arguments(parser)`` and ``run(args) -> int``
#: (``run(args, extra)`` where it sets ``TAKES_EXTRA``), optionally ``DESCRIPTION``; it is imported only when its
#: command runs.  To add a command, add a module and one line here.
COMMANDS = [
    ("list", "scaling_exponents.cli.listing", "every named parametrization with its paper and what it supports"),
    ("derive", "scaling_exponents.cli.derive", "derive a parametrization's exponent table"),
    ("classify", "scaling_exponents.cli.classify", "TP4 classification of an (a, b, c) point for an SGD MLP"),
    ("solve", "scaling_exponents.cli.solve", "Everett et al.'s LP for your own (a, b) and alignment"),
    ("catalog", "scaling_exponents.cli.catalog", "generate catalog/ (README, one page per parametrization "
     "and paper, CSV/JSON exports); --check compares with the committed one"),
    ("verify", "scaling_exponents.cli.verify", "measure exponents on PyTorch MLP/GPT width (and depth) sweeps and "
     "compare with the derived ones (needs the [torch] extra)"),
    ("transfer", "scaling_exponents.cli.transfer", "learning-rate transfer sweeps: optimal LR per width/depth, "
     "its drift, SP vs muP (needs the [torch] extra)"),
    ("align", "scaling_exponents.cli.align", "measure per-layer alignment on the MLP/GPT and solve for per-layer LR "
     "exponents (needs the [torch] extra)"),
]


#: the one line a torch command gives where PyTorch is not installed
NEEDS_TORCH = ("this command needs PyTorch: pip install 'torch==2.13.0' (CPU) or the build for your GPU, then "
               "pip install -e '.[torch]'")


def _command_module(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and e.name.split(".")[0] == "torch":
            raise UserError(NEEDS_TORCH) from None
        if e.name == module:
            raise UserError(f"{module} is not part of this installation yet") from None
        raise


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: lists the commands (each command's own parser is built when it runs)."""
    from .args import Parser

    p = Parser(
        prog="python -m scaling_exponents",
        description="Derive how hyperparameters must scale with width, depth and other dimensions, from each "
                    "paper's constraint system (muP, SP, NTK, MFP, CompleteP, u-muP, ...).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, _, help_ in COMMANDS:
        sub.add_parser(name, help=help_, description=help_)
    return p


def _dispatch(argv: list[str]) -> int:
    commands = {name: (module, help_) for name, module, help_ in COMMANDS}
    if not argv or argv[0] not in commands:
        parser = build_parser()
        parser.parse_args(argv)  # --help, or argparse's error naming the valid commands
        parser.print_help()
        return 0
    module, help_ = commands[argv[0]]
    mod = _command_module(module)
    from .args import Parser

    sp = Parser(prog=f"python -m scaling_exponents {argv[0]}",
                                 description=getattr(mod, "DESCRIPTION", help_),
                                 epilog=EPILOG if argv[0] == "derive" else None,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    mod.add_arguments(sp)
    if hasattr(mod, "prepare_parser"):  # e.g. verify/transfer's --config sweep.yaml: the file's values become defaults
        mod.prepare_parser(sp, argv[1:])
    if getattr(mod, "TAKES_EXTRA", False):
        args, extra = sp.parse_known_args(argv[1:])
        return int(mod.run(args, extra) or 0)
    return int(mod.run(sp.parse_args(argv[1:])) or 0)


def main(argv=None) -> int:
    """Run one command; user errors become one line on stderr and exit status 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            return _dispatch(argv)
        except ModuleNotFoundError as e:  # a torch command (verify, transfer, align) imports torch when it runs
            if e.name and e.name.split(".")[0] == "torch":
                raise UserError(NEEDS_TORCH) from None
            raise
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
