"""Closed-form classification of abc-parametrizations of an MLP under SGD (Tensor Programs IV).

Yang & Hu, "Tensor Programs IV: Feature Learning in Infinite-Width Neural Networks", arXiv 2011.14522.
Model (TP4 Eq. (1)): ``h^1 = W^1 xi``, ``h^{l+1} = W^{l+1} phi(h^l)`` for ``l < L``, output
``f = W^{L+1} phi(h^L)``; ``W^l = n^{-a_l} w^l``, ``w^l ~ N(0, n^{-2 b_l})``, SGD learning rate ``eta n^{-c}``
(TP4 Sec. 3).  Index convention here: lists ``a``, ``b`` have ``L + 1`` entries, ``a[0]`` is the input
layer ``W^1`` and ``a[L]`` the readout ``W^{L+1}``.

* ``r := min(a_{L+1}+b_{L+1}, 2a_{L+1}+c) + c - 1 + min_{l=1..L}(2 a_l + 1[l = 1])`` (TP4 Def. 3.2); the
  per-layer ``r_l`` drops the min over l (TP4 Prop. 5.3).  ``Delta x^L_t = Theta(n^{-r})``.
* stable iff (TP4 Thm. 3.3): ``a_1+b_1 = 0``; ``a_l+b_l = 1/2`` for ``2 <= l <= L``;
  ``a_{L+1}+b_{L+1} >= 1/2``; ``r >= 0``; ``2a_{L+1}+c >= 1``; ``a_{L+1}+b_{L+1}+r >= 1``.
* a stable parametrization is nontrivial iff ``a_{L+1}+b_{L+1}+r = 1`` or ``2a_{L+1}+c = 1`` (TP4 Thm. 3.4;
  the number is confirmed by TP IVb, arXiv 2308.01814, which cites it).
* a stable nontrivial parametrization is in the feature-learning regime iff ``r = 0`` (Thm. 3.6) and in the
  kernel regime iff ``r > 0`` (Thm. 3.8); it is always one or the other (Cor. 3.9, the Dynamical Dichotomy;
  appendix forms Thm. H.13 / Cor. H.14, confirmed via TP IVb).  The numbers 3.6/3.8/3.9 rest on two
  agreeing transcriptions (papers/oracles/tp4_theorems.md).

This module is the closed form; ``systems/tp4.py`` encodes the same conditions as a constraint system and
classifies with the LP, and the tests check that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..errors import UserError
from .exponents import Q, fmt

HALF = sympy.Rational(1, 2)

TP4_THM_STABLE = "arXiv 2011.14522 Thm 3.3"
TP4_NONTRIVIAL = "arXiv 2011.14522 Thm 3.4"
TP4_DICHOTOMY = "arXiv 2011.14522 Thms 3.6, 3.8, Cor. 3.9 (Dynamical Dichotomy)"
TP4_R_DEF = "arXiv 2011.14522 Def. 3.2"
TP4_R_L = "arXiv 2011.14522 Prop. 5.3"


@dataclass
class Classification:
    """TP4 verdict for one (a, b, c): r, r_l, and the regime with the conditions that decided it."""

    r: sympy.Rational
    r_l: list
    stable: bool
    nontrivial: bool
    regime: str  # "unstable" | "trivial" | "kernel" | "feature-learning"
    failed: list[str] = field(default_factory=list)

    @property
    def feature_learning(self) -> bool:
        """True when the parametrization is in TP4's feature-learning regime (r = 0; arXiv 2011.14522 Thm 3.3)."""
        return self.regime == "feature-learning"

    @property
    def kernel(self) -> bool:
        """True when the parametrization is in TP4's kernel regime (r > 0, stable and nontrivial; arXiv 2011.14522)."""
        return self.regime == "kernel"

    def describe(self) -> str:
        """One line for the CLI: ``r = ...: regime`` and, when unstable or trivial, the conditions it violates."""
        why = f" (violates: {'; '.join(self.failed)})" if self.failed else ""
        return f"r = {fmt(self.r)}: {self.regime}{why}"


def _check(a, b, c):
    a = [Q(x) for x in a]
    b = [Q(x) for x in b]
    if len(a) != len(b) or len(a) < 2:
        raise UserError(
            f"TP4 needs a and b with L+1 >= 2 entries each (input ... readout); got {len(a)} and {len(b)}"
        )
    return a, b, Q(c)


def tp4_r_layers(a, b, c) -> list:
    """Per-layer update exponents r_l for l = 1..L (TP4 Prop. 5.3)."""
    a, b, c = _check(a, b, c)
    L = len(a) - 1
    g = min(a[L] + b[L], 2 * a[L] + c)
    return [g + c - 1 + 2 * a[l] + (1 if l == 0 else 0) for l in range(L)]


def tp4_r(a, b, c) -> sympy.Rational:
    """TP4's r (Def. 3.2): the feature-update exponent, Delta x^L = Theta(n^{-r})."""
    return min(tp4_r_layers(a, b, c))


def stability_conditions(a, b, c):
    """(label, holds) for each condition of TP4 Thm 3.3, in order."""
    a, b, c = _check(a, b, c)
    L = len(a) - 1
    r = tp4_r(a, b, c)
    conds = [("a_1 + b_1 = 0 (stable at init)", a[0] + b[0] == 0)]
    conds += [(f"a_{l + 1} + b_{l + 1} = 1/2 (stable at init)", a[l] + b[l] == HALF) for l in range(1, L)]
    conds += [
        (f"a_{L + 1} + b_{L + 1} >= 1/2 (stable at init)", a[L] + b[L] >= HALF),
        ("r >= 0 (features do not blow up)", r >= 0),
        (f"2 a_{L + 1} + c >= 1 (logit updates do not blow up)", 2 * a[L] + c >= 1),
        (f"a_{L + 1} + b_{L + 1} + r >= 1 (logits do not blow up)", a[L] + b[L] + r >= 1),
    ]
    return conds


def classify(a, b, c) -> Classification:
    """Classify (a, b, c) per TP4: unstable / trivial / kernel regime / feature learning."""
    a, b, c = _check(a, b, c)
    L = len(a) - 1
    r_l = tp4_r_layers(a, b, c)
    r = min(r_l)
    failed = [label for label, ok in stability_conditions(a, b, c) if not ok]
    stable = not failed
    nontrivial = stable and (a[L] + b[L] + r == 1 or 2 * a[L] + c == 1)
    if not stable:
        regime = "unstable"
    elif not nontrivial:
        regime = "trivial"
    elif r == 0:
        regime = "feature-learning"
    else:
        regime = "kernel"
    return Classification(r, r_l, stable, nontrivial, regime, failed)
