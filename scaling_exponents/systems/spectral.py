"""Yang, Simon & Bernstein, "A Spectral Condition for Feature Learning", arXiv 2310.17813.

**Condition 1** (spectral scaling; quoted in arXiv 2512.05620 Sec. 2): for every weight matrix W_l with
fan_in = n_{l-1} and fan_out = n_l,

    ||W_l||_* = Theta(sqrt(fan_out / fan_in))   and   ||Delta W_l||_* = Theta(sqrt(fan_out / fan_in)).

Everything else is bookkeeping in log-exponents (``quantity ∝ fan_in^p fan_out^q``):

* a Gaussian matrix has ``||W||_* ≈ sigma (sqrt(fan_in) + sqrt(fan_out))``, so the init std solves
  ``sigma + max(fan_in, fan_out)/2 = (fan_out - fan_in)/2``: Parametrization 1 (p. 8, quoted in
  huggingface/nanotron ``scaling/parametrization.py``), ``sigma = fan_in^{-1/2} min(1, sqrt(fan_out/fan_in))``.
  With fan_in and fan_out as *separate* scaling dimensions the max is not linear: which term dominates is a
  regime (option ``regime``), each regime a linear system.  Along one dimension (``mode=per_role``) the max
  is an ordinary ``max_of`` definition that the solver resolves.
* the update is ``Delta W = eta Q(G)`` with ``G = delta x^T`` (rank one, batch 1): x has Theta(1)
  entries (``||x|| = fan_in^{1/2}``), delta has Theta(1/fan_out) entries (muP bookkeeping, arXiv 2512.05620
  App. B.1; ``||delta|| = fan_out^{-1/2}``).  ``||Q(G)||_*`` per optimizer:
  SGD ``||delta|| ||x||``; Adam/SignSGD (entries +-1, rank one) ``sqrt(fan_in fan_out)``; Muon (UV^T) 1.
  The second half of Condition 1 then fixes eta: SGD ``eta ∝ fan_out/fan_in`` (Parametrization 1),
  Adam ``eta ∝ 1/fan_in`` (arXiv 2512.05620 App. B.2; not stated in 2310.17813 as far as read),
  Muon ``eta ∝ sqrt(fan_out/fan_in)``.

Per role (``mode=per_role``) a network of width n has (fan_in, fan_out) = (1, n) for the embedding,
(n, n) hidden, (n, 1) readout; the derived table is muP (SGD or Adam), the paper's central claim.

This module also holds :class:`CellSystem`, the small builder the other "beyond width" modules use: a
:class:`ConstraintSystem` whose variables are table cells ``quantity[role]@dimension``.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q, fmt
from ..theory.solve import solve
from ..theory.system import ConstraintSystem, LinExpr
from ..theory.table import ExponentTable, Row, Source
from .base import Option, ParamSpec

HALF = sympy.Rational(1, 2)
KEY, ARXIV = "yang2023spectral", "2310.17813"
COND1 = "arXiv 2310.17813 Condition 1"
PAR1 = "arXiv 2310.17813 Parametrization 1 (p. 8)"
BOOK = "arXiv 2512.05620 App. B.1 (muP bookkeeping: x entries Theta(1), delta entries Theta(1/fan_out))"

#: (fan_in, fan_out) exponents in the width n of the three roles of a width-n network.
ROLE_FANS = {"embedding": (0, 1), "hidden": (1, 1), "readout": (1, 0)}
REGIMES = ("fan_out>=fan_in", "fan_out<fan_in")


class CellSystem:
    """A :class:`ConstraintSystem` whose reported variables are table cells ``quantity[role]@dim``.

    ``cell`` declares a cell (shown in the table unless ``show=False``); ``aux`` declares a helper
    exponent, optionally pinned by an equation with its own label and source (so ``--show-system`` reads
    as the paper's bookkeeping).  ``solve`` checks every cell for uniqueness; ``table`` builds the
    :class:`ExponentTable`.
    """

    def __init__(self, name: str, source: str):
        self.system = ConstraintSystem(name, source=source)
        self.cells: dict[str, tuple] = {}
        self.solution = None

    def cell(self, role, quantity, dim, note="", show=True) -> LinExpr:
        """The variable for the exponent of ``quantity`` of ``role`` along ``dim``; with ``show`` it becomes a row of
        the table the system renders."""
        name = f"{quantity}[{role}]@{dim}"
        v = self.system.var(name, description=f"exponent of {quantity} of {role} along {dim}")
        if show:
            self.cells.setdefault(name, (role, quantity, dim, note))
        return v

    def aux(self, name, value=None, label="", source="", description="") -> LinExpr:
        """An auxiliary variable (not a table row), optionally fixed to ``value`` with its label and source."""
        v = self.system.var(name, description=description)
        if value is not None:
            self.system.eq(v, value, label=label or f"{name} = {value}", source=source)
        return v

    def eq(self, lhs, rhs=0, label="", source=""):
        """Add ``lhs == rhs`` with the label and source it is shown with (see :meth:`ConstraintSystem.eq`)."""
        self.system.eq(lhs, rhs, label=label, source=source)

    def ge(self, lhs, rhs=0, label="", source=""):
        """Add ``lhs >= rhs`` with the label and source it is shown with."""
        self.system.ge(lhs, rhs, label=label, source=source)

    def le(self, lhs, rhs=0, label="", source=""):
        """Add ``lhs <= rhs`` with the label and source it is shown with."""
        self.system.le(lhs, rhs, label=label, source=source)

    def solve(self, extra_report=()):
        """Solve the system exactly (:func:`..theory.solve.solve`), reporting every table cell (plus
        ``extra_report``) so a non-unique cell is caught; raises on an infeasible or unbounded system."""
        self.solution = solve(self.system, report=list(self.cells) + list(extra_report)).raise_for_status()
        return self.solution

    def value(self, name_or_expr):
        """The exact value of a variable (by name) or of a linear expression at the solution (solving first if
        needed)."""
        sol = self.solution or self.solve()
        if isinstance(name_or_expr, LinExpr):
            return name_or_expr.evaluate(sol.values)
        return sol.values[name_or_expr]

    def table(self, param, optimizer, source: Source, title="", convention="", notes=(), variant=None,
              derived=None, alignment=None) -> ExponentTable:
        """The solved cells as an :class:`ExponentTable` for ``param``/``optimizer``, with a NON-UNIQUE note naming
        the interval of every cell the optimum does not pin."""
        sol = self.solution or self.solve()
        rows = [Row(role, q, dim, sol.values[name], note) for name, (role, q, dim, note) in self.cells.items()]
        notes = list(notes)
        if sol.free:
            notes.append("NON-UNIQUE optimum: " + ", ".join(f"{k} in [{fmt(lo)}, {fmt(hi)}]"
                                                          for k, (lo, hi) in sol.free.items()))
        return ExponentTable(param, optimizer, alignment, source, rows, title=title, variant=dict(variant or {}),
                             derived=dict(derived or {}), notes=notes, convention=convention, solution=sol,
                             system=self.system)


def fans(mode: str, role: str = "weight"):
    """(dims, fan_in exponents, fan_out exponents) for ``mode`` 'fan' (generic matrix) or 'per_role'."""
    if mode == "fan":
        return ("fan_in", "fan_out"), {"fan_in": 1, "fan_out": 0}, {"fan_in": 0, "fan_out": 1}
    fi, fo = ROLE_FANS[role]
    return ("width",), {"width": fi}, {"width": fo}


def _check_mode(mode):
    if mode not in ("fan", "per_role"):
        raise UserError(f"--mode is 'fan' (rows in fan_in/fan_out) or 'per_role' (rows in width); got {mode!r}")


# ------------------------------------------------------------------------------------------------
SPECTRAL_OPTIMIZERS = ("sgd", "adam", "muon")


def _update_norm(optimizer, fi, fo):
    """Exponent of ||Q(G)||_* for G = delta x^T with ||x|| = fan_in^{1/2}, ||delta|| = fan_out^{-1/2}."""
    if optimizer == "sgd":
        return (-fo + HALF * fo) + HALF * fi  # ||delta|| ||x||
    if optimizer == "adam":
        return HALF * fi + HALF * fo  # rank-one sign matrix: sqrt(fan_in fan_out)
    if optimizer == "muon":
        return sympy.Integer(0)  # UV^T has unit spectral norm
    raise UserError(f"spectral condition covers optimizers {', '.join(SPECTRAL_OPTIMIZERS)}; got {optimizer!r}")


def build_spectral(optimizer: str, mode: str = "fan", regime: str = REGIMES[0]) -> CellSystem:
    """The spectral condition (Yang, Simon & Bernstein, arXiv 2310.17813 Cond. 1) for ``optimizer``: init std and LR
    exponents of a generic matrix per fan (``mode='fan'``) or per role, in the ``regime`` of fan_in vs fan_out
    that picks the branch of the init's min (Parametrization 1)."""
    _check_mode(mode)
    if regime not in REGIMES:
        raise UserError(f"--regime is one of {', '.join(REGIMES)}; got {regime!r}")
    cs = CellSystem(f"spectral condition ({optimizer}, {mode})", source=COND1)
    roles = ["weight"] if mode == "fan" else list(ROLE_FANS)
    for role in roles:
        dims, FI, FO = fans(mode, role)
        for dim in dims:
            fi, fo = Q(FI[dim]), Q(FO[dim])
            target = HALF * fo - HALF * fi
            w = cs.cell(role, "spectral_norm", dim, show=mode == "fan")
            dw = cs.cell(role, "update_spectral_norm", dim, show=mode == "fan")
            sigma = cs.cell(role, "init_std", dim)
            lr = cs.cell(role, "lr", dim)
            cs.eq(w, target, label=f"Condition 1: ||W||_* ~ sqrt(fan_out/fan_in) [{role}, {dim}]", source=COND1)
            cs.eq(dw, target, label=f"Condition 1: ||dW||_* ~ sqrt(fan_out/fan_in) [{role}, {dim}]", source=COND1)
            if mode == "fan":
                # the regime names the dominant term of sqrt(fan_in) + sqrt(fan_out)
                dom = HALF * (fo if regime == REGIMES[0] else fi)
                cs.eq(w, sigma + dom, label=f"Gaussian init: ||W||_* ~ sigma sqrt(max fan) [{regime}, {dim}]",
                      source=PAR1)
            else:
                g = cs.system.max_of(f"gauss_norm[{role}]@{dim}", [HALF * fi, HALF * fo],
                                     label=f"||N(0,1)^(fan_out x fan_in)||_* ~ max(sqrt fan_in, sqrt fan_out) [{role}]",
                                     source=PAR1)
                cs.eq(w, sigma + g, label=f"Gaussian init: ||W||_* = sigma ||N(0,1)||_* [{role}, {dim}]", source=PAR1)
            cs.eq(dw, lr + _update_norm(optimizer, fi, fo),
                  label=f"||dW||_* = eta ||Q(G)||_* ({optimizer}) [{role}, {dim}]", source=BOOK)
    return cs


def _spectral(optimizer, alignment, mode="fan", regime=REGIMES[0]):
    refuse_regime_per_role(mode, regime)
    cs = build_spectral(optimizer, mode, regime)
    variant = {"mode": mode} if mode == "per_role" else {"mode": mode, "regime": regime}
    notes = ["every row derived from Condition 1 + the Gaussian spectral norm + ||Q(G)||_* of the optimizer"]
    if optimizer != "sgd":
        notes.append(f"the {optimizer} update norm is from arXiv 2512.05620 (App. B.2/B.8); 2310.17813 states SGD")
    if mode == "fan":
        notes.append(f"init std depends on the regime {regime} (the min in Parametrization 1)")
    return cs.table("spectral", optimizer, Source(KEY, ARXIV, "Condition 1, Parametrization 1"),
                    title="Spectral parametrization (Yang, Simon & Bernstein)",
                    convention="quantity ∝ fan_in^p fan_out^q (mode=fan) or width^p per role (mode=per_role)",
                    notes=notes, variant=variant)


def refuse_regime_per_role(mode: str, regime: str) -> None:
    """``--regime`` picks a branch of a fan_in/fan_out max in ``mode=fan``; ``per_role`` resolves the max per role,
    so a regime other than the default would be ignored: refuse it (one line, with the fix)."""
    if mode == "per_role" and regime != REGIMES[0]:
        raise UserError(f"--regime {regime} picks a branch of the fan_in/fan_out max in --mode fan; --mode per_role "
                        "resolves it per role (embedding/hidden/readout): drop --regime, or use --mode fan")


MODE = Option("mode", "'fan' (a generic matrix, rows in fan_in/fan_out) or 'per_role' (embedding/hidden/readout "
                      "in width)", "fan", str)
REGIME = Option("regime", "which of fan_in, fan_out is larger (picks the branch of the min in the init std)",
                REGIMES[0], str)

SPECS = [
    ParamSpec("spectral", "Spectral parametrization (Yang, Simon & Bernstein 2023)",
              Source(KEY, ARXIV, "Condition 1, Parametrization 1"), _spectral, optimizers=SPECTRAL_OPTIMIZERS,
              options=(MODE, REGIME), aliases=("spectral-mup",), family="optimizers",
              summary="init std and LR per matrix from ||W||_*, ||dW||_* ~ sqrt(fan_out/fan_in)"),
]
