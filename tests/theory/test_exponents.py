"""Exact exponents (``theory/exponents.py``): reading, printing, and concrete factors.

Where the expected values come from: **independent computation** -- hand-computed rationals and powers (e.g.
``(4096/256)^(-1/2) = 1/4``) and the error messages the module documents.
"""

from fractions import Fraction

import pytest
import sympy

from scaling_exponents.errors import UserError
from scaling_exponents.theory.exponents import DIMENSIONS, Q, fmt
from scaling_exponents.theory.factors import factor


@pytest.mark.parametrize("value, want", [
    (3, sympy.Rational(3)), (-2, sympy.Rational(-2)), ("-1/2", sympy.Rational(-1, 2)), (" 2/4 ", sympy.Rational(1, 2)),
    ("0.25", sympy.Rational(1, 4)), ("−1/3", sympy.Rational(-1, 3)), (0.5, sympy.Rational(1, 2)),
    (0.125, sympy.Rational(1, 8)), (Fraction(2, 6), sympy.Rational(1, 3)), (sympy.Rational(5, 7), sympy.Rational(5, 7)),
    (sympy.Integer(4), sympy.Rational(4)), (1e-4, sympy.Rational(1, 10_000)),
    (1 / 3, sympy.Rational(1, 3)),  # the nearest double to 1/3 is read as 1/3 (denominator <= 10000)
    (1 / 10_000, sympy.Rational(1, 10_000)),
])
def test_q_reads_exact_rationals(value, want):
    got = Q(value)
    assert got == want and isinstance(got, sympy.Rational)


@pytest.mark.parametrize("value, match", [
    (True, "is a bool, not a number"),
    (3.141592653589793, r"is not a short rational; pass it as a string like '1/3'"),
    (1 / 10_001, "is not a short rational"),  # denominators above 10000 are not "short"
    (0.1 + 0.2, "is not a short rational"),
    ("x/2", r"cannot read exponent 'x/2': write it as an integer or fraction such as '-1/2'"),
    ("1/0", "cannot read exponent '1/0'"),
    ([1], "cannot read exponent \\[1\\] of type list"),
    (sympy.Symbol("n"), "cannot read exponent n of type Symbol"),
])
def test_q_rejects_what_it_cannot_read_exactly(value, match):
    with pytest.raises(UserError, match=match):
        Q(value)


@pytest.mark.parametrize("q, want", [
    (0, "0"), (1, "1"), (-1, "-1"), (sympy.Rational(-1, 2), "-1/2"), ("6/4", "3/2"), (sympy.oo, "inf"), (-sympy.oo, "-inf"),
])
def test_fmt_is_canonical(q, want):
    assert fmt(q) == want


@pytest.mark.parametrize("power, size, base, want", [
    ("-1/2", 4096, 256, 0.25), (-1, 4096, 256, 1 / 16), (1, 512, 128, 4.0), (0, 999, 7, 1.0), ("1/3", 27, 1, 3.0),
    (2, 3, 6, 0.25), (1, 1, 4, 0.25), (-1, 4, 1, 0.25),
])
def test_factor_is_size_over_base_to_the_power(power, size, base, want):
    assert factor(power, size, base) == pytest.approx(want, rel=1e-15)
    assert isinstance(factor(power, size, base), float)


@pytest.mark.parametrize("size, base, message", [
    (None, 4, "a concrete factor needs both a size and a base size (e.g. --width 4096 --base-width 256)"),
    (4, None, "a concrete factor needs both a size and a base size (e.g. --width 4096 --base-width 256)"),
    (0, 4, "sizes must be positive, got size=0 and base size=4"),
    (4, 0, "sizes must be positive, got size=4 and base size=0"),
    (4, -1, "sizes must be positive, got size=4 and base size=-1"),
])
def test_factor_rejects_missing_or_non_positive_sizes(size, base, message):
    with pytest.raises(UserError) as e:
        factor(1, size, base)
    assert str(e.value) == message


def test_dimension_names():
    assert {"width", "depth", "experts", "fan_in", "fan_out", "head_dim"} <= set(DIMENSIONS)
