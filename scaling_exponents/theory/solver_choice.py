"""Which LP back end :mod:`.solve` uses: ``derive --solver highs|cvxpy`` and its Python form.

``"highs"`` (the default) builds the LP as a highspy model directly (:mod:`.highs_backend`, < 1 ms a solve);
``"cvxpy"`` builds a cvxpy problem (solved by HiGHS when cvxpy has it, else cvxpy's default).  The rounding to
rationals, the exact sympy re-check and the dual certificate (:mod:`.solve`, steps 3-5) do not depend on the back end,
so both give the same exact, certified table (tests/theory/test_solver_choice.py derives every named table both ways).
"""

from __future__ import annotations

from ..errors import UserError
from . import solve as _solve
from .highs_backend import highs_available

#: the LP back ends ``derive --solver`` offers
SOLVERS = ("highs", "cvxpy")


def set_solver(name: str) -> str:
    """Route every LP through ``name`` (one of :data:`SOLVERS`); returns the back end used before."""
    if name not in SOLVERS:
        raise UserError(f"--solver must be one of {', '.join(SOLVERS)}, got {name!r}")
    if name == "highs" and not highs_available():
        raise UserError("--solver highs needs highspy (pip install highspy); or use --solver cvxpy")
    previous = current_solver()
    _solve._USE_HIGHS = name == "highs"
    return previous


def current_solver() -> str:
    """The LP back end in use: ``"highs"`` or ``"cvxpy"``."""
    return "highs" if _solve._USE_HIGHS and highs_available() else "cvxpy"
