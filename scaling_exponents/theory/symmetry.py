"""The abc symmetry: different (a, b, c) that give the same training dynamics.

TP5 Lemma J.1 (arXiv 2203.03466) and TP4 Eq. (5) (arXiv 2011.14522): for a parameter with multiplier A,
init std B and learning rate C, the function computed at every step is unchanged under
``A <- A theta, B <- B / theta`` and ``C <- C / theta^2`` (SGD) or ``C <- C / theta`` (Adam and other
scale-invariant updates).  In exponents with ``theta = n^{-t}``:

* SGD: ``(a, b, c) -> (a + t, b - t, c - 2t)``
* Adam: ``(a, b, c) -> (a + t, b - t, c - t)``
* Adafactor with parameter scaling (update ∝ parameter RMS): ``(a, b, c) -> (a + t, b - t, c)``

The Adam case holds exactly only with epsilon = 0; with a finite epsilon the epsilon exponent must move
with the gradient (Everett et al., arXiv 2407.05872).
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from .exponents import Q

#: how many units c moves per unit of t
LR_SHIFT = {"sgd": 2, "adam": 1, "adamw": 1, "adafactor": 0}


def lr_shift(optimizer: str) -> int:
    """How many units the LR exponent c moves per unit of the abc shift t for ``optimizer`` (SGD 2, Adam 1, Adafactor
    0; TP5 Lemma J.1, arXiv 2203.03466); an optimizer with no known symmetry is a :class:`UserError`."""
    try:
        return LR_SHIFT[optimizer]
    except KeyError:
        raise UserError(f"no abc symmetry known for optimizer {optimizer!r}; known: {', '.join(LR_SHIFT)}") from None


def shift(a, b, c, t, optimizer: str):
    """Apply the symmetry with ``theta = n^{-t}`` to one layer's exponents."""
    a, b, c, t = Q(a), Q(b), Q(c), Q(t)
    return a + t, b - t, c - lr_shift(optimizer) * t


def orbit_offset(abc1, abc2, optimizer: str):
    """The t taking (a, b, c) ``abc1`` to ``abc2`` under the symmetry, or None if they are not equivalent."""
    a1, b1, c1 = (Q(x) for x in abc1)
    a2, b2, c2 = (Q(x) for x in abc2)
    t = a2 - a1
    if b2 == b1 - t and c2 == c1 - lr_shift(optimizer) * t:
        return t
    return None


def equivalent(abc1, abc2, optimizer: str) -> bool:
    """True when ``abc1`` and ``abc2`` are on the same abc-symmetry orbit for ``optimizer`` (same training dynamics,
    TP5 Lemma J.1), i.e. :func:`orbit_offset` finds a shift t."""
    return orbit_offset(abc1, abc2, optimizer) is not None


def invariants(a, b, c, optimizer: str):
    """Two combinations left unchanged by the symmetry: ``a + b`` (init scale of the effective weight) and
    ``c + k a`` with k the LR shift (effective update scale)."""
    a, b, c = Q(a), Q(b), Q(c)
    return a + b, c + lr_shift(optimizer) * a


ZERO = sympy.Integer(0)
