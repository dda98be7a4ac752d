"""Seed 003 §7 solver tests on the fast Everett LP (arXiv 2407.05872, Sec. 3): full alignment recovers the
named tables (oracle papers/oracles/everett2024scaling.csv, Table 1), relaxed alignment gives larger LRs
monotonically, r_l >= 0 holds, infeasibility and bad measurements are reported, fast == exact.

Kind: paper table (everett2024scaling.csv, arXiv 2407.05872 Table 1); independent computation (the exact LP must equal the fast one).
"""

import numpy as np
import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.literature.oracles import select
from scaling_exponents.systems.everett2024 import NAMED_AB, roles_for
from scaling_exponents.systems.everett2024_aligned import MeasuredSolver, exact_table
from scaling_exponents.systems.everett2024_fast import EverettLP, presets

HIDDEN = 3


def _lp(param, optimizer, backend="highs", **kw):
    roles = roles_for(HIDDEN)
    a = [NAMED_AB[param][r][0] for r in roles]
    b = [NAMED_AB[param][r][1] for r in roles]
    return EverettLP(a, b, optimizer, backend=backend, **kw), roles


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("param", ["sp", "ntk", "mup", "mfp"])
@pytest.mark.parametrize("alignment", ["full", "no"])
def test_preset_alignment_recovers_the_named_tables(param, optimizer, alignment):
    oracle = {r.role: -r.exact for r in select("everett2024scaling", param=param, optimizer=optimizer,
                                                alignment=alignment, quantity="lr")}
    assert set(oracle) == {"embedding", "hidden", "readout"}
    lp, roles = _lp(param, optimizer)
    res = lp.solve(presets(len(roles), alignment))
    assert res.ok
    assert res.c == pytest.approx([float(oracle[r]) for r in roles], abs=1e-7)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_cvxpy_backend_agrees_with_highs(optimizer):
    rng = np.random.default_rng(0)
    hi, roles = _lp("mup", optimizer)
    cv, _ = _lp("mup", optimizer, backend="cvxpy")
    for _ in range(3):
        theta = rng.uniform(0.5, 1.0, (len(roles), 3))
        assert cv.solve(theta).c == pytest.approx(hi.solve(theta).c, abs=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_relaxed_alignment_gives_larger_lrs_monotonically(optimizer):
    lp, roles = _lp("mup", optimizer)
    full, no = presets(len(roles), "full"), presets(len(roles), "no")
    cs = [lp.solve(full + s * (no - full)).c for s in np.linspace(0, 1, 6)]
    for prev, nxt in zip(cs, cs[1:]):
        assert np.all(nxt <= prev + 1e-9)      # every layer's c is non-increasing: LRs only grow
        assert nxt.sum() < prev.sum() - 1e-6   # and strictly so in total
    # muP: relaxing alignment from full to none moves the hidden c by 1/2 (Table 1: Adam 1 -> 1/2, SGD 0 -> -1/2)
    assert cs[0][1] - cs[-1][1] == pytest.approx(0.5)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adafactor"])
def test_solutions_satisfy_every_row_and_r_nonnegative(optimizer):
    rng = np.random.default_rng(1)
    lp, roles = _lp("mup", optimizer)
    for _ in range(20):
        theta = rng.uniform(0, 1, (len(roles), 3))
        res = lp.solve(theta)
        assert res.ok and np.all(res.r >= -1e-9)
        x = np.concatenate([res.c, res.r] + ([] if optimizer != "sgd" else [[np.nan]]))
        if optimizer == "sgd":  # G = min(a+b, 2a+c) of the readout
            x[-1] = min(1.0, 1.0 + res.c[-1])
        lhs, rhs = lp.A @ x, lp.rhs(theta)
        assert np.all(lhs[~lp.eq] >= rhs[~lp.eq] - 1e-7) and np.allclose(lhs[lp.eq], rhs[lp.eq], atol=1e-7)


def test_fast_solve_matches_the_exact_certified_solve():
    rng = np.random.default_rng(2)
    lp, roles = _lp("mup", "adam")
    for _ in range(2):
        theta = np.round(rng.uniform(0.5, 1.0, (len(roles), 3)), 2)
        exact = lp.exact(theta)
        assert exact.solution.certified
        fast = lp.solve(theta)
        _on_exact_face(fast.c, exact)


def _on_exact_face(c, exact):
    """The fast optimum has the exact optimal objective and lies in the exact optimal face's ranges."""
    sol = exact.solution
    assert sum(c) == pytest.approx(float(sol.objective), abs=1e-7)
    for i, ci in enumerate(c):
        lo, hi = sol.ranges[f"c_{i + 1}"]
        assert float(lo) - 1e-7 <= ci <= float(hi) + 1e-7


def test_non_unique_optimum_is_broken_toward_the_full_alignment_table():
    # measured alignment can make min sum c a whole face: (embedding c, hidden c) trade off through r_1
    lp, roles = _lp("mup", "adam")
    theta = presets(len(roles), "full")
    theta[1] = (0.8, 0.5, 0.9)
    exact = lp.exact(theta)
    assert exact.solution.free  # the exact solver reports the face
    c = lp.solve(theta).c
    _on_exact_face(c, exact)
    assert c[0] == pytest.approx(0.5)  # the embedding keeps muP's full-alignment c = 1/2 (closest point)
    assert lp.solve(theta, tie_break=False).objective == pytest.approx(sum(c))


def test_infeasibility_names_the_layer_and_constraint():
    # SP (readout a+b = 1/2) with a fully aligned initial readout (omega = 1) cannot keep logits stable once
    # the last hidden layer must learn features (r_L = 0): 1/2 + 0 - 1 < 0
    lp, roles = _lp("sp", "adam", names=["emb", "h1", "h2", "h3", "head"], feature_learning=True)
    theta = presets(len(roles), "full")
    theta[-1, 1] = 1.0
    res = lp.solve(theta)
    assert res.status == "infeasible"
    assert any(c.startswith("head: stable logits a+b+r_4-omega") for c in res.conflict)
    assert any("h3: feature learning r_4 = 0" in c for c in res.conflict)
    assert lp.solve(presets(len(roles), "full")).ok  # the model recovers: the next solve is optimal again


def test_stability_at_init_and_bad_inputs_are_user_errors():
    with pytest.raises(UserError, match="a_2 \\+ b_2 = 1/2"):
        EverettLP([0, 0, 0], [0, 0, 1], "adam")
    lp, roles = _lp("mup", "adam")
    with pytest.raises(UserError, match="not finite for layer_2.omega"):
        th = presets(len(roles), "full")
        th[1, 1] = np.nan
        lp.solve(th)


def test_measured_solver_keeps_the_last_feasible_solution_and_says_why():
    names = ["embed.weight", "hidden.0.weight", "hidden.1.weight", "head.weight"]
    roles = ["embedding", "hidden", "hidden", "readout"]
    s = MeasuredSolver("mup", "adam", names, roles, [16, 64, 64, 64])
    good = [(None, None, None), (0.8, 0.5, 0.9), (0.8, 0.5, 0.9), (0.7, 0.5, 0.8)]
    c, msgs = s.solve(good)
    assert msgs == [] and c[1] < 1.0  # weaker than full alignment: a larger hidden LR than muP's c = 1
    bad = [(None, None, None), (0.8, 0.5, 0.9), (-0.4, 0.5, 0.9), (0.7, None, 0.8)]
    c2, msgs = s.solve(bad)
    assert c2 == c
    assert any("hidden.1.weight: alpha = -0.400 outside [0, 1]" in m for m in msgs)
    assert any("head.weight: omega not measurable" in m for m in msgs)
    assert msgs[-1] == "kept the last feasible solution"
    with pytest.raises(UserError, match="hidden.1.weight: alpha"):
        s.solve(bad, strict=True)
    # the per-layer table round-trips to the exact, certified solve
    t = s.table(good, meta={"width": 64})
    exact = exact_table(t)
    assert exact.derived["certified"]
    assert [float(v) for v in exact.derived["c"].values()] == pytest.approx([t.layers[0].c] + [x.c for x in t.layers[1:]])
    assert exact.power("hidden.0.weight", "lr") == -exact.derived["c"]["c_2"]


def test_direct_highs_back_end_gives_the_same_certified_tables_as_cvxpy(monkeypatch):
    from scaling_exponents.systems.registry import derive
    from scaling_exponents.theory import solve as S

    for args in (("mup", "adam", "full"), ("sp", "sgd", "full"), ("mfp", "adam", "no")):
        fast = derive(*args)
        monkeypatch.setattr(S, "_USE_HIGHS", False)
        ref = derive(*args)
        monkeypatch.setattr(S, "_USE_HIGHS", True)
        assert fast.rows == ref.rows and fast.notes == ref.notes
        assert fast.solution.certified and ref.solution.certified


def test_the_backends_split_a_point_into_c_and_r_and_sum_c():
    """``everett2024_fast_backends.result``: x = (c_1..c_n, r_1..r_{n-1}); the objective is sum c (Everett et al.'s
    LP minimises the sum of LR exponents)."""
    from scaling_exponents.systems.everett2024_fast_backends import FastResult, result

    hi, roles = _lp("mup", "adam")
    n = len(roles)
    x = np.arange(2 * n - 1, dtype=float)
    res = result(hi, x)
    assert res.ok and list(res.c) == list(range(n)) and list(res.r) == list(range(n, 2 * n - 1))
    assert res.objective == sum(range(n))
    assert not FastResult("infeasible").ok
