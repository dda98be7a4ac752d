"""``python -m scaling_exponents transfer``: parse and print only; the LR-transfer sweeps run in
:mod:`scaling_exponents.verifier.transfer` (imported when the command runs).

``--help`` fits a screen (:func:`.help_screen.compact`); ``--help-all`` shows every flag.
"""

from __future__ import annotations

from .verify import prepare_parser  # noqa: F401  (--config SWEEP.yaml: the same as verify's)

#: the flags shown with their own help on ``transfer --help`` (the rest folded, all with --help-all)
KEEP = {"param", "model", "optimizer", "widths", "depths", "lrs", "steps", "seeds", "device", "out", "verdict",
        "config"}
USAGE = ("%(prog)s -p NAME[,NAME...] [--widths W,W,... | --depths D,D,...] [--lrs LR,LR,...] [options]   "
         "(--help-all: every flag)")


def add_arguments(p) -> None:
    """The ``transfer`` command's flags: parametrizations, model (a reference one or the user's factory), optimizer,
    sizes, LR grid and the sweep options."""
    from .help_screen import compact

    p.add_argument("--param", "-p", required=True, help="comma-separated names, NAME:OPTIMIZER allowed (e.g. mup,sp-table3)")
    from ..verifier.user_cli import add_user_arguments, model_arg

    p.add_argument("--model", type=model_arg(("mlp", "gpt", "resmlp")),
                   help="mlp (default for width transfer), resmlp (default for depth transfer), gpt, or your own model: "
                        "package.module:factory or file.py:factory (user_cli)")
    add_user_arguments(p)  # --batch-fn, --block
    p.add_argument("--optimizer", "-o", help="default optimizer (default: the paper's first)")
    p.add_argument("--alignment", "-a")
    p.add_argument("--widths", help="comma-separated widths (default 64,128,256,512; with --depths no width transfer "
                                    "unless --widths is given)")
    p.add_argument("--depths", help="comma-separated depths (residual blocks) for LR transfer over depth at --width; "
                                    "a table without depth rows is the unscaled ResNet baseline (e.g. sp-table3:adam)")
    p.add_argument("--width", type=int, default=64, help="fixed width of a depth transfer (default 64)")
    p.add_argument("--base-depth", type=int, help="depth the base LR refers to (default: the smallest depth)")
    p.add_argument("--depth", type=int, default=2, help="hidden layers / blocks (default 2)")
    p.add_argument("--lrs", help="comma-separated base LRs (default: powers of 2, adam 2^-12..2^-2, sgd 2^-6..2^3)")
    p.add_argument("--steps", type=int, default=200, help="training steps per run (default 200)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per run, trained together (default 3)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--base-width", type=int, help="width the base LR refers to (default: the smallest)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--out", default="transfer",
                   help="output directory; runs already in its results.jsonl are reused, except those stored with "
                        "another table digest or probe version (recomputed; runs stored before provenance was "
                        "recorded are trusted as they are)")
    p.add_argument("--verdict", help="comma-separated names whose claim is drift 0 under their own LR rule: write "
                                     "OUT/results.json (catalog verdicts; the other tables are contrasts)")
    p.add_argument("--tol", type=float, default=0.15, help="with --verdict: pass iff 0 in [CI_lo - tol, CI_hi + tol] "
                                                           "(default 0.15, as verify)")
    p.add_argument("--no-progress", action="store_true")
    from .verify import sweep_arguments

    sweep_arguments(p)
    compact(p, KEEP, USAGE)


def run(args) -> int:
    """Run the LR-transfer sweeps (:func:`scaling_exponents.verifier.transfer.run`)."""
    from ..verifier.transfer import run as run_transfer

    return run_transfer(args)
