"""``python -m scaling_exponents verify``: parse and print only; the sweeps run in :mod:`scaling_exponents.verifier`.

The shared flags are here; each sweep declaration (:mod:`scaling_exponents.verifier.sweeps`) adds its own in a help
group, folded to one line by :func:`.help_screen.compact` so that ``verify --help`` fits a screen (``--help-all``:
every flag).  The verifier (and torch) is imported only when the command runs or builds its parser.
"""

from __future__ import annotations

DESCRIPTION = ("Measure scaling exponents on real PyTorch runs (MLP, GPT, residual MLP, MoE, LoRA, or your own model) "
               "and compare each with the derived one: a calibrated verdict per row, a report with plots "
               "(needs the [torch] extra).")
#: the flags shown with their own help on ``verify --help`` (the rest: one line per group, all with --help-all)
KEEP = {"param", "model", "optimizer", "alignment", "seeds", "steps", "lr", "tol", "device", "out", "config",
        "table", "widths", "depths"}
USAGE = ("%(prog)s (-p NAME[,NAME...] | --table FILE.json) [--widths W,W,... | --depths D,D,... | a sweep's flag] "
         "[options]   (--help-all: every flag)")


def sweep_arguments(p) -> None:
    """``--config``, ``--executor`` (and its options), ``--retry``, ``--log``: shared by ``verify`` and ``transfer``."""
    from ..verifier import executors, sweep_config, tracking

    sweep_config.add_arguments(p)
    executors.add_arguments(p)
    tracking.add_arguments(p)


def add_arguments(p) -> None:
    """The flags every sweep shares, then each declared sweep's flags in a help group of its own."""
    from ..verifier import sweeps
    from ..verifier.target import DEFAULT_TOL
    from ..verifier.user_cli import add_user_arguments, model_arg
    from ..verifier.verify_table import add_arguments as table_arguments  # --table FILE.json, --expect FILE.json
    from .help_screen import compact

    p.add_argument("--param", "-p",
                   help="comma-separated names from `list`; NAME:OPTIMIZER picks the optimizer (e.g. mup,sp,tp4-ntk:sgd)")
    extra = sweeps.models()
    p.add_argument("--model", type=model_arg(("mlp", "gpt", "resmlp") + extra),
                   help="mlp (default for width sweeps), resmlp (pre-LN residual MLP; default for depth sweeps), gpt, "
                        f"{', '.join(extra)} (their sweeps' groups below) or your own model: package.module:factory or "
                        "file.py:factory (a coord check)")
    add_user_arguments(p)  # --batch-fn, --block
    p.add_argument("--optimizer", "-o", help="default optimizer for names without :OPTIMIZER (default: the paper's first)")
    p.add_argument("--alignment", "-a", help="full | no (Everett et al. tables; default full)")
    p.add_argument("--arch", choices=("classic", "modern"), default="classic",
                   help="GPT architecture: classic (learned positions, GELU) or modern (RoPE, QK-norm, ReLU², untied head, "
                        "bf16 autocast; seed 002 / modded-nanogpt)")
    p.add_argument("--depth", type=int, default=2, help="hidden layers (MLP; 0 = TP4's one-hidden-layer net, as tp4-mfp) "
                                                        "/ blocks (GPT, MoE) of the model a width sweep runs")
    p.add_argument("--seeds", type=int, default=5, help="seeds per size, trained together (default 5)")
    p.add_argument("--steps", type=int, default=3, help="optimizer steps on the fixed batch (default 3)")
    p.add_argument("--lr", type=float, help="base LR at the base size (default: adam 1e-2, sgd 0.5)")
    p.add_argument("--batch", type=int, default=64, help="probe/training batch size (default 64)")
    p.add_argument("--tol", type=float, default=DEFAULT_TOL,
                   help=f"pass iff predicted in [CI_lo - tol, CI_hi + tol] (default {DEFAULT_TOL})")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    p.add_argument("--dtype", default="float32", help="float32 | tf32 (CUDA) | bfloat16 | float64")
    p.add_argument("--out", default="verification",
                   help="output directory (report.md, PNGs, results.jsonl/json); runs already in its results.jsonl are "
                        "reused, except those stored with another table digest or probe version (recomputed; runs "
                        "stored before provenance was recorded are trusted as they are)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--no-plots", action="store_true", help="Markdown only, no PNGs")
    sweep_arguments(p)
    sweeps.add_arguments(p)  # each declared sweep's flags in its own help group
    table_arguments(p)
    compact(p, KEEP, USAGE)


def prepare_parser(parser, argv) -> None:
    """``--config SWEEP.yaml``: the file's values become the parser's defaults (flags on the command line win)."""
    from ..verifier.sweep_config import apply_config

    apply_config(parser, argv)


def run(args) -> int:
    """Run the sweeps (:func:`scaling_exponents.verifier.verify.run`); its exit status: 0 all pass, 1 a row fails."""
    from ..verifier.verify import run as run_verify

    return run_verify(args)
