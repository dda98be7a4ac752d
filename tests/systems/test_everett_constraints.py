"""Everett et al. (arXiv 2407.05872, Sec. 3 constraint table): constraints checked by what they mean.

The 24-cell oracle test (test_everett2024.py) compares solved LR exponents; at the named (a, b) and the preset
alignments some constraints never bind there, so relaxing or dropping them passed it.  Here each constraint is
put where it decides the answer.  Where the expected values come from: **independent computation by hand**
from the paper's constraint table (worked out in each test's comments), not from the code's output.
"""

import pytest
import sympy

from scaling_exponents.errors import SolverError
from scaling_exponents.systems.everett2024 import build_system, derive_custom
from scaling_exponents.theory.solve import solve

H = sympy.Rational(1, 2)
Q4 = sympy.Rational(1, 4)


def c_of(t):
    return [t.derived["c"][f"c_{l + 1}"] for l in range(len(t.derived["c"]))]


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "adafactor"])
def test_readout_init_below_one_half_is_unstable(optimizer):
    # muP embedding/hidden, readout (a, b) = (0, 1/4): a_3 + b_3 = 1/4 < 1/2 violates "a_{L+1} + b_{L+1} >= 1/2"
    # (stable logits at init).  Every other constraint can be met by a small enough LR (large c), so the init
    # condition alone makes the system infeasible.
    sol = solve(build_system([-H, 0, 0], [H, H, Q4], optimizer, "full"))
    assert sol.status == "infeasible"
    assert any("a_3 + b_3 >= 1/2" in c for c in sol.conflict), sol.conflict
    with pytest.raises(SolverError, match=r"infeasible; conflicting constraints: stable init: a_3 \+ b_3 >= 1/2"):
        derive_custom([-H, 0, 0], [H, H, Q4], optimizer, "full")


def test_readout_init_exactly_one_half_is_allowed():
    # the boundary a + b = 1/2 is SP's readout (0, 1/2) and muP's readout (1/2, 0)-shifted: feasible
    assert solve(build_system([-H, 0, 0], [H, H, H], "adam", "full")).status == "optimal"
    assert solve(build_system([-H, 0, H], [H, H, 0], "adam", "full")).status == "optimal"


def test_hidden_init_weight_term_binds_when_omega_is_one():
    # Adam, muP (a, b) = ([-1/2, 0, 1/2], [1/2, 1/2, 1/2]); hidden layer with omega_2 = 1, others full alignment.
    #   r_1 = a_1 + c_1 = c_1 - 1/2
    #   r_2 = min(a_2 + c_2 - alpha, a_2 + c_2 + r_1 - u, 1/2 + r_1 - omega_2) = min(c_2 - 1, c_2 + r_1 - 1, r_1 - 1/2)
    #   r_2 >= 0  =>  c_2 >= 1 and (init-weight term) r_1 >= 1/2, i.e. c_1 >= 1
    #   logits: min(a_3 + b_3 + r_2 - 1/2, a_3 + c_3 - 1, a_3 + c_3 + r_2 - 1) >= 0  =>  c_3 >= 1/2
    # minimise sum c: c = (1, 1, 1/2).  Without the init-weight term c_1 would be 1/2 (r_1 >= 0 only).
    al = [(1, H, 1), (1, 1, 1), (1, H, 1)]
    t = derive_custom([-H, 0, H], [H, H, H], "adam", al)
    assert c_of(t) == [1, 1, H]
    assert t.derived["r"]["r_1"] == H and t.derived["r"]["r_2"] == 0


def test_hidden_init_weight_term_with_sgd():
    # SGD, same (a, b): G = min(a_3 + b_3, 2 a_3 + c_3) = min(1, 1 + c_3); g_l = G + a_l.
    # eff_1 = g_1 + a_1 + c_1 = G - 1 + c_1, eff_2 = G + c_2.  With omega_2 = 1 the init-weight term needs
    # r_1 = eff_1 >= 1/2; with omega_2 = 1/2 (full) only r_1 >= 0.  So c_1 differs by exactly 1/2.
    full = derive_custom([-H, 0, H], [H, H, H], "sgd", "full")
    big = derive_custom([-H, 0, H], [H, H, H], "sgd", [(1, H, 1), (1, 1, 1), (1, H, 1)])
    assert c_of(big)[0] - c_of(full)[0] == H
    assert big.derived["r"]["r_1"] == H


def test_readout_init_weight_term_binds_when_omega_is_large():
    # logits: a_3 + b_3 + r_2 - omega_3 >= 0.  With omega_3 = 1 and muP (a_3 + b_3 = 1) this is r_2 >= 0
    # (no change); with omega_3 = 3/2 it needs r_2 >= 1/2: the hidden LR must shrink by n^-1/2 (c_2 = 3/2).
    al = [(1, H, 1), (1, H, 1), (1, sympy.Rational(3, 2), 1)]
    t = derive_custom([-H, 0, H], [H, H, H], "adam", al)
    assert c_of(t)[1] == sympy.Rational(3, 2) and t.derived["r"]["r_2"] == H
