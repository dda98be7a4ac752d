"""``python -m scaling_exponents align``: parse and print only; the measurement and the LP run in
:mod:`scaling_exponents.verifier.align` (imported when the command runs)."""

from __future__ import annotations

HELP = "measure per-layer alignment (alpha, omega, u) and solve for per-layer LR exponents"
DESCRIPTION = ("Train the reference MLP or GPT under a named parametrization, measure Everett et al.'s alignment "
               "exponents per layer (arXiv 2407.05872, Sec. 3) and solve their LP for per-layer LR exponents c_l.")


def add_arguments(p) -> None:
    """The ``align`` command's flags: model, width (or widths for a slope), steps, optimizer, parametrization, LR,
    depth and measure mode."""
    p.add_argument("--model", required=True, help="mlp | gpt")
    p.add_argument("--width", type=int, default=128, help="width to measure at (default 128)")
    p.add_argument("--widths", help="comma-separated widths: measure the slope across them instead")
    p.add_argument("--steps", type=int, default=100, help="training steps before measuring (default 100)")
    p.add_argument("--optimizer", default="adam", help="adam | sgd (default adam)")
    p.add_argument("--param", default="mup", help="mup | sp | ntk | mfp: (a, b) of the LP and the training run")
    p.add_argument("--lr", type=float, help="base learning rate (default 1e-3 adam, 0.1 sgd)")
    p.add_argument("--depth", type=int, default=2, help="hidden layers (MLP) or blocks (GPT)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--probe-batch", type=int, default=32, help="examples in the fixed probe batch (default 32)")
    p.add_argument("--mode", default="rms", help="rms | spectral")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=3, help="seeds per width for --widths (default 3)")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N: where the model trains and is measured "
                                                   "(default cpu)")
    p.add_argument("--out", help="directory to write align_<model>_w<width>.json into")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text")


def run(args) -> int:
    """Measure and solve (:func:`scaling_exponents.verifier.align.run`)."""
    from ..verifier.align import run as run_align

    return run_align(args)
