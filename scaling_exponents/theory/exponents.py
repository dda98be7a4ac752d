"""Exact rational exponents and the scaling dimensions they refer to.

Every exponent in the toolkit is a :class:`sympy.Rational`; floats appear only inside the LP solver.
Convention (Everett et al., arXiv 2407.05872, Sec. 2): a layer's weight is ``n^{-a} w`` with
``w ~ N(0, n^{-2b})`` and learning rate ``eta n^{-c}``.  Machine-readable output states every quantity as
a signed power, ``quantity ∝ dim^power``, so ``power = -a`` for the multiplier, ``-b`` for the init std and
``-c`` for the learning rate.
"""

from __future__ import annotations

from fractions import Fraction
from numbers import Rational as _NumRational

import sympy

from ..errors import UserError

#: Scaling dimensions: name -> what it measures.
DIMENSIONS = {
    "width": "hidden width n (fan-in of hidden/readout layers, fan-out of the embedding)",
    "depth": "number of residual blocks L",
    "experts": "number of experts E in a mixture-of-experts layer",
    "topk": "number of experts k each token is routed to",
    "fan_in": "fan-in of the layer's weight matrix",
    "fan_out": "fan-out of the layer's weight matrix",
    "head_dim": "attention head dimension d_head",
    "rank": "LoRA rank r",
    "tokens": "training tokens D",
    "batch": "batch size B",
}


def Q(value) -> sympy.Rational:
    """Return ``value`` as an exact :class:`sympy.Rational`.

    Accepts ints, ``Fraction``, sympy numbers and strings such as ``"-1/2"`` or ``"0.5"``.
    Floats are accepted only when they are exactly a short decimal (``0.5``, ``0.25``); anything
    else is rejected so that no rounding happens silently.
    """
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, bool):
        raise UserError(f"exponent {value!r} is a bool, not a number")
    if isinstance(value, int):
        return sympy.Rational(value)
    if isinstance(value, _NumRational):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        frac = Fraction(value).limit_denominator(10_000)
        if float(frac) != value:
            raise UserError(f"exponent {value!r} is not a short rational; pass it as a string like '1/3'")
        return sympy.Rational(frac.numerator, frac.denominator)
    if isinstance(value, str):
        text = value.strip().replace("−", "-")
        try:
            frac = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise UserError(f"cannot read exponent {value!r}: write it as an integer or fraction such as '-1/2'") from None
        return sympy.Rational(frac.numerator, frac.denominator)
    if isinstance(value, sympy.Basic) and value.is_Rational:
        return sympy.Rational(value)
    raise UserError(f"cannot read exponent {value!r} of type {type(value).__name__}")


def fmt(q) -> str:
    """Canonical string of an exact exponent: ``"0"``, ``"1"``, ``"-1/2"`` (``"inf"``/``"-inf"`` for bounds)."""
    if q in (sympy.oo, -sympy.oo):
        return "inf" if q == sympy.oo else "-inf"
    q = Q(q)
    return str(q.p) if q.q == 1 else f"{q.p}/{q.q}"

