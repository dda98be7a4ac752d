"""``solve``: Everett et al.'s (arXiv 2407.05872) LP for the user's own (a, b) and per-layer alignment."""

from __future__ import annotations

from ..errors import SolverError, UserError
from .args import FORMATS, exponents

HELP = "Everett et al.'s LP for your own (a, b) and alignment"
DESCRIPTION = ("Largest stable per-layer learning rates (Everett et al., arXiv 2407.05872) for given a, b per layer "
               "(embedding, hidden..., readout).")


def add_arguments(s) -> None:
    """The ``solve`` command's flags: per-layer ``--a``/``--b``, the optimizer, the alignment (full, no, or one
    ``alpha,omega,u`` triple per layer) and the output format."""
    s.add_argument("--a", required=True)
    s.add_argument("--b", required=True)
    s.add_argument("--optimizer", choices=("adam", "sgd", "adafactor"), default="adam")
    s.add_argument("--alignment", default="full",
                   help="full | no | per-layer 'alpha,omega,u;alpha,omega,u;...' (one triple per layer)")
    s.add_argument("--format", "-f", choices=FORMATS, default="text")
    s.add_argument("--show-system", action="store_true")


def run(args) -> int:
    """Solve Everett et al.'s LP (arXiv 2407.05872, Sec. 3) for the per-layer learning-rate exponents of a custom (a,
    b) and print the table; an infeasible (a, b) is a one-line :class:`UserError` naming the conflicting
    constraints."""
    from ..systems.everett2024 import derive_custom

    a, b = exponents(args.a, "a"), exponents(args.b, "b")
    alignment = args.alignment
    if alignment not in ("full", "no"):
        triples = [t for t in alignment.split(";") if t.strip()]
        alignment = [exponents(t, "alignment") for t in triples]
        if any(len(t) != 3 for t in alignment):
            raise UserError("--alignment takes 'full', 'no', or one 'alpha,omega,u' triple per layer separated by ';'")
    try:
        table = derive_custom(a, b, args.optimizer, alignment, name="custom", title="Custom (a, b): LP learning rates")
    except SolverError as e:
        if "infeasible" not in str(e):
            raise
        raise UserError(f"no stable learning rates for --a={args.a} --b={args.b}: {e}; stability at init needs "
                        "a_1 + b_1 = 0, a_l + b_l = 1/2 (hidden), a_L+1 + b_L+1 >= 1/2") from None
    print(table.render(args.format))
    if args.show_system:
        print("\n" + table.system.describe())
    return 0
