"""``derive --solver highs|cvxpy``: both LP back ends give the same exact, certified table, and the choice is real
(the cvxpy path builds a cvxpy problem, the highs path a highspy model).

Expected values: Everett et al. (arXiv 2407.05872) Table 1, Adam muP with full alignment: hidden LR exponent -1 and
embedding/readout -1/2 (c = 1/2, 1, 1, 1/2), from either back end; the other tables are compared back end against
back end (the exact re-check and certificate are back-end independent, so any difference is a bug).

Kind: independent computation (two LP back ends, exact comparison) plus the CLI contract.
"""

from __future__ import annotations

import json

import pytest
import sympy

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory import solve as S
from scaling_exponents.theory.solver_choice import current_solver, set_solver

CASES = [("mup", "adam", "full"), ("mup", "sgd", "no"), ("sp", "adam", "full"), ("ntk", "adam", "no"),
         ("completep", None, None), ("umup", None, None)]


@pytest.fixture
def restore():
    before = current_solver()
    yield
    set_solver(before)


def _rows(name, opt, al):
    t = derive(name, optimizer=opt, alignment=al)
    return sorted((r.role, r.quantity, r.dimension, str(r.power)) for r in t.rows)


@pytest.mark.parametrize("name, opt, al", CASES)
def test_both_back_ends_give_the_same_exact_table(name, opt, al, restore):
    set_solver("highs")
    fast = _rows(name, opt, al)
    set_solver("cvxpy")
    slow = _rows(name, opt, al)
    assert fast == slow and fast


def test_everett_adam_mup_from_cvxpy(restore):
    set_solver("cvxpy")
    t = derive("mup", optimizer="adam", alignment="full")
    assert t.power("hidden", "lr") == -1
    assert t.power("embedding", "lr") == sympy.Rational(-1, 2) == t.power("readout", "lr")


def test_the_choice_routes_the_lp(restore, monkeypatch):
    made = []
    real = S._Problem
    monkeypatch.setattr(S, "_Problem", lambda *a, **k: made.append(1) or real(*a, **k))
    set_solver("highs")
    derive("mup", optimizer="adam", alignment="full")
    assert made == []
    set_solver("cvxpy")
    derive("mup", optimizer="adam", alignment="full")
    assert made  # the cvxpy problem was built


def test_cli_solver_flag(capsys, restore):
    assert main(["derive", "-p", "mup", "--solver", "cvxpy", "-f", "json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["derive", "-p", "mup", "--solver", "highs", "-f", "json"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert a["rows"] == b["rows"]


def test_unknown_solver_is_refused(restore):
    with pytest.raises(UserError, match="--solver must be one of highs, cvxpy, got 'glpk'"):
        set_solver("glpk")
