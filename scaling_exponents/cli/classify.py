"""``classify``: TP4's (arXiv 2011.14522) regime of an (a, b, c) point for an SGD MLP."""

from __future__ import annotations

from ..errors import UserError
from .args import exponents

HELP = "TP4 classification of an (a, b, c) point for an SGD MLP"
DESCRIPTION = ("Classify an abc-parametrization (TP4, arXiv 2011.14522): unstable, trivial, kernel regime or feature "
               "learning.  a and b list input, hidden..., readout.")


def add_arguments(c) -> None:
    """The ``classify`` command's flags: per-layer ``--a``/``--b`` and TP4's one global SGD LR exponent ``--c``."""
    c.add_argument("--a", required=True, help="multiplier exponents, e.g. --a=-1/2,0,1/2")
    c.add_argument("--b", required=True, help="init std exponents, e.g. --b=1/2,1/2,1/2")
    c.add_argument("--c", required=True, help="global SGD learning-rate exponent, e.g. --c=0")


def run(args) -> int:
    """Print TP4's classification (Yang & Hu, arXiv 2011.14522, Thm 3.3 / Sec. 3) of an abc-parametrization: ``r``,
    the per-layer ``r_l`` and the regime (feature learning, kernel, unstable), naming the violated conditions."""
    from ..theory.classify import classify
    from ..theory.exponents import fmt

    a, b, c = exponents(args.a, "a"), exponents(args.b, "b"), exponents(args.c, "c")
    if len(c) != 1:
        raise UserError(f"--c={args.c} gives {len(c)} values; TP4's SGD learning rate has ONE global exponent, "
                        "e.g. --c=0 (for per-layer LRs use `solve`)")
    cl = classify(a, b, c[0])
    seq = lambda xs: "(" + ", ".join(fmt(x) for x in xs) + ")"
    print(f"TP4 (arXiv 2011.14522) classification of a = {seq(a)}, b = {seq(b)}, c = {fmt(c[0])}")
    print(f"  r = {fmt(cl.r)}; r_l = {seq(cl.r_l)}")
    print(f"  regime: {cl.regime}")
    for f in cl.failed:
        print(f"  violates: {f}")
    return 0
