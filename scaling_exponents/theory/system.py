"""A constraint system over named exponent variables, with exact rational coefficients.

A paper's scaling argument is a set of linear (in)equalities over exponents (a_l, b_l, c_l, r_l, ...),
some of which are defined through ``min(...)`` or ``max(...)`` of linear terms (e.g. Tensor Programs IV's
``r = min(...)``, Everett et al.'s ``r_l = min{...}``).  :class:`ConstraintSystem` records them once, each
with a label and a citation; :mod:`.solve` turns them into an LP (min/max terms in epigraph form), solves
it with cvxpy and re-checks every constraint exactly.

Nothing here imports cvxpy; building a system is pure Python + sympy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import sympy

from ..errors import UserError
from .exponents import Q, fmt


class LinExpr:
    """An affine expression ``sum_i coef_i * var_i + const`` with exact rational coefficients."""

    __slots__ = ("terms", "const")

    def __init__(self, terms: Mapping[str, object] | None = None, const=0):
        self.terms = {k: Q(v) for k, v in (terms or {}).items() if Q(v) != 0}
        self.const = Q(const)

    @staticmethod
    def of(x) -> "LinExpr":
        """``x`` itself when it is a :class:`LinExpr`, else the constant expression ``x`` (so constraints accept
        numbers)."""
        return x if isinstance(x, LinExpr) else LinExpr({}, Q(x))

    def __add__(self, other):
        other = LinExpr.of(other)
        terms = dict(self.terms)
        for k, v in other.terms.items():
            terms[k] = terms.get(k, 0) + v
        return LinExpr(terms, self.const + other.const)

    __radd__ = __add__

    def __neg__(self):
        return LinExpr({k: -v for k, v in self.terms.items()}, -self.const)

    def __sub__(self, other):
        return self + (-LinExpr.of(other))

    def __rsub__(self, other):
        return LinExpr.of(other) - self

    def __mul__(self, k):
        if isinstance(k, LinExpr):
            if k.terms and self.terms:
                raise TypeError("product of two non-constant expressions is not linear")
            if not k.terms:
                k = k.const
            else:
                return k * self.const
        k = Q(k)
        return LinExpr({n: v * k for n, v in self.terms.items()}, self.const * k)

    __rmul__ = __mul__

    def evaluate(self, values: Mapping[str, sympy.Rational]) -> sympy.Rational:
        """Exact value under ``values`` (every variable in the expression must be given)."""
        total = self.const
        for name, coef in self.terms.items():
            if name not in values:
                raise KeyError(name)
            total += coef * values[name]
        return total

    def variables(self) -> set[str]:
        """The names of the variables with a (non-zero) coefficient."""
        return set(self.terms)

    def __str__(self):
        parts = []
        for name in sorted(self.terms):
            coef = self.terms[name]
            if coef == 1:
                parts.append(f"+ {name}")
            elif coef == -1:
                parts.append(f"- {name}")
            elif coef < 0:
                parts.append(f"- {fmt(-coef)}*{name}")
            else:
                parts.append(f"+ {fmt(coef)}*{name}")
        if self.const != 0 or not parts:
            parts.append(f"- {fmt(-self.const)}" if self.const < 0 else f"+ {fmt(self.const)}")
        text = " ".join(parts)
        return text[2:] if text.startswith("+ ") else "-" + text[2:]

    __repr__ = __str__


@dataclass(frozen=True)
class Constraint:
    """``expr (==|>=) 0``, with a human label and the paper location it comes from."""

    expr: LinExpr
    sense: str  # "==" or ">="
    label: str
    source: str = ""

    def holds(self, values) -> bool:
        """Whether the constraint holds exactly (sympy rationals) at ``values``: the exact re-check of an LP answer."""
        v = self.expr.evaluate(values)
        return v == 0 if self.sense == "==" else v >= 0

    def __str__(self):
        return f"{self.expr} {self.sense} 0"


@dataclass(frozen=True)
class Definition:
    """``name = min(terms)`` or ``name = max(terms)``: a derived exponent such as TP4's r."""

    name: str
    kind: str  # "min" or "max"
    terms: tuple[LinExpr, ...]
    label: str
    source: str = ""

    def value(self, values) -> sympy.Rational:
        """The exact value of the defined variable at ``values``: the min (or max) of its terms."""
        vals = [t.evaluate(values) for t in self.terms]
        return min(vals) if self.kind == "min" else max(vals)

    def __str__(self):
        return f"{self.name} = {self.kind}(" + ", ".join(str(t) for t in self.terms) + ")"


@dataclass
class ConstraintSystem:
    """Named exponent variables, linear constraints, min/max definitions and an objective.

    Build it with :meth:`var`, :meth:`eq`, :meth:`ge`, :meth:`le`, :meth:`min_of`, :meth:`max_of`,
    :meth:`minimize` / :meth:`maximize`; solve it with :func:`scaling_exponents.theory.solve.solve`.
    """

    name: str
    source: str = ""
    variables: list[str] = field(default_factory=list)
    fixed: dict[str, sympy.Rational] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    objective: LinExpr | None = None
    sense: str = "min"
    descriptions: dict[str, str] = field(default_factory=dict)

    # -- building -------------------------------------------------------------------------------
    def var(self, name: str, fixed=None, description: str = "") -> LinExpr:
        """Declare (or fetch) variable ``name``; ``fixed`` pins it to an exact value."""
        if name not in self.variables:
            self.variables.append(name)
        if description:
            self.descriptions[name] = description
        if fixed is not None:
            self.fix(name, fixed)
        return LinExpr({name: 1})

    def fix(self, name: str, value) -> None:
        """Fix variable ``name`` to ``value`` (e.g. a given a or b); an unknown name is a :class:`UserError`."""
        if name not in self.variables:
            raise UserError(f"cannot fix unknown variable {name!r} of system {self.name!r}")
        self.fixed[name] = Q(value)

    def _check_known(self, expr: LinExpr, label: str):
        unknown = expr.variables() - set(self.variables)
        if unknown:
            raise UserError(f"constraint {label!r} uses undeclared variables {sorted(unknown)}")

    def eq(self, lhs, rhs=0, label: str = "", source: str = "") -> None:
        """Add ``lhs == rhs``."""
        expr = LinExpr.of(lhs) - rhs
        self._check_known(expr, label)
        self.constraints.append(Constraint(expr, "==", label or f"{lhs} == {rhs}", source))

    def ge(self, lhs, rhs=0, label: str = "", source: str = "") -> None:
        """Add ``lhs >= rhs``."""
        expr = LinExpr.of(lhs) - rhs
        self._check_known(expr, label)
        self.constraints.append(Constraint(expr, ">=", label or f"{lhs} >= {rhs}", source))

    def le(self, lhs, rhs=0, label: str = "", source: str = "") -> None:
        """Add ``lhs <= rhs``."""
        self.ge(rhs, lhs, label or f"{lhs} <= {rhs}", source)

    def _define(self, kind, name, terms, label, source, description):
        terms = tuple(LinExpr.of(t) for t in terms)
        if not terms:
            raise UserError(f"{kind}() of no terms for {name!r}")
        var = self.var(name, description=description)
        for t in terms:
            self._check_known(t, label or name)
        self.definitions.append(Definition(name, kind, terms, label or f"{name} = {kind}(...)", source))
        return var

    def min_of(self, name: str, terms: Iterable, label: str = "", source: str = "", description: str = "") -> LinExpr:
        """Define ``name = min(terms)``. In the LP it becomes ``name <= t`` for each term (epigraph form)."""
        return self._define("min", name, terms, label, source, description)

    def max_of(self, name: str, terms: Iterable, label: str = "", source: str = "", description: str = "") -> LinExpr:
        """Define ``name = max(terms)``. In the LP it becomes ``name >= t`` for each term."""
        return self._define("max", name, terms, label, source, description)

    def minimize(self, expr) -> None:
        """Set the objective to minimise ``expr``."""
        self.objective, self.sense = LinExpr.of(expr), "min"

    def maximize(self, expr) -> None:
        """Set the objective to maximise ``expr`` (e.g. Everett et al.'s maximal LR exponents)."""
        self.objective, self.sense = LinExpr.of(expr), "max"

    # -- exact evaluation -----------------------------------------------------------------------
    def complete(self, values: Mapping[str, object]) -> dict[str, sympy.Rational]:
        """Exact values of every variable: given/fixed ones, then every min/max definition in order."""
        out = {k: Q(v) for k, v in values.items()}
        out.update(self.fixed)
        for d in self.definitions:
            out[d.name] = d.value(out)
        return out

    def violations(self, values: Mapping[str, object]) -> list[str]:
        """Labels of every constraint (and fixed value / definition) that ``values`` violates, exactly."""
        bad = []
        vals = {k: Q(v) for k, v in values.items()}
        for name, v in self.fixed.items():
            if vals.get(name) != v:
                bad.append(f"fixed {name} = {fmt(v)} (got {fmt(vals[name]) if name in vals else 'nothing'})")
        for d in self.definitions:
            if d.name in vals and vals[d.name] != d.value(vals):
                bad.append(f"{d.label}: {d.name} = {fmt(vals[d.name])} but {d.kind} = {fmt(d.value(vals))}")
        for c in self.constraints:
            try:
                if not c.holds(vals):
                    bad.append(f"{c.label}: {c} is {fmt(c.expr.evaluate(vals))}")
            except KeyError as e:
                bad.append(f"{c.label}: no value for {e.args[0]}")
        return bad

    def check(self, values: Mapping[str, object]) -> bool:
        """True when ``values`` satisfy every constraint and definition exactly (:meth:`violations` is empty)."""
        return not self.violations(values)

    def describe(self) -> str:
        """The system in readable math, one constraint per line with its label and source."""
        lines = [f"System {self.name}" + (f"  [{self.source}]" if self.source else "")]
        if self.fixed:
            lines.append("  given: " + ", ".join(f"{k} = {fmt(v)}" for k, v in self.fixed.items()))
        for d in self.definitions:
            lines.append(f"  {d}" + (f"    ({d.source})" if d.source else ""))
        for c in self.constraints:
            lines.append(f"  {c.label}: {c}" + (f"    ({c.source})" if c.source else ""))
        if self.objective is not None:
            lines.append(f"  {self.sense}imize {self.objective}")
        return "\n".join(lines)
