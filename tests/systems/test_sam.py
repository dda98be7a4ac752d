"""muP^2 / SAM perturbation scaling (Haas et al., arXiv 2411.00075): every numeric oracle row equals the derived table.

Where the expected values come from: **regression: the project's own output** for 26 of the 27 oracle rows (status
'derived', note "REGRESSION ..."): the paper's table bodies were not read; the system was re-derived from the Table
D.2/F.1 captions with the project's own bcd system, so those tests only guard against change.  Paper numbers: the
Fig. 1 caption's global rho ~ n^-1/2 (secondary, ``test_global_is_readout_only_with_rho_n_minus_half``); the
256 -> 4096 multipliers in ``test_mup2_is_unique_and_every_layer_effective`` are the theory notes' test vector.
"""

from functools import lru_cache

import pytest
import sympy

from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive
from scaling_exponents.systems.sam import build_system
from scaling_exponents.theory.solve import solve

H = sympy.Rational(1, 2)
ORACLE = "haas2024effective"
NAME = {"effective": "sam-mup2", "global": "sam-global", "naive": "sam-naive"}


@lru_cache(maxsize=None)
def table(name, optimizer="sgd", base="mup"):
    return derive(name, optimizer, base=base)


ROWS = oracles.load(ORACLE)


def test_oracle_count_and_statuses():
    assert len(ROWS) == 27
    assert sum(r.status == "secondary" for r in ROWS) == 1
    # every project-computed row says so in its note (the catalog counts them as oracle rows)
    assert all(r.note.startswith("REGRESSION") for r in ROWS if r.status == "derived")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("row", [r for r in ROWS if r.param == "sam-mup2"],
                         ids=lambda r: f"{r.variant}-{r.role}-{r.quantity}")
def test_perturbation_rows_equal_oracle(row, optimizer):
    """REGRESSION (own output) except the one secondary Fig. 1 row."""
    # the oracle is for SGD; Adam's muP has the same c_grad = min(b_out, c_out) = 1, hence the same rows
    t = table(NAME[row.variant], optimizer)
    assert t.unique and t.solution.certified
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


@pytest.mark.parametrize("row", [r for r in ROWS if r.variant == "sam_base"], ids=lambda r: f"{r.role}-{r.quantity}")
def test_base_parametrization_rows_equal_oracle(row):
    """REGRESSION (own output): TP5 muP (SGD) b, c as the project reads them for arXiv 2411.00075."""
    for name in NAME.values():
        assert table(name).power(row.role, row.quantity, row.dimension) == row.exact


def test_mup2_is_unique_and_every_layer_effective():
    t = table("sam-mup2")
    assert t.derived["d"] == -H and t.derived["d_l"] == {"embedding": -H, "hidden": H, "readout": 3 * H}
    assert t.derived["effectively perturbed"] == "embedding, hidden, readout"
    assert t.derived["c_grad"] == 1
    # per-layer multipliers = muP-SGD LR multipliers (theory notes test vector 1: 256 -> 4096 gives x16, x1, x1/16)
    sizes = {"width": (4096, 256)}
    assert [t.combined_factor(r, "perturbation", sizes) for r in ("embedding", "hidden", "readout")] == \
        pytest.approx([16, 1, 1 / 16])
    for role in ("embedding", "hidden", "readout"):
        assert t.power(role, "perturbation") == t.power(role, "lr")


def test_engine_min_enumeration_gives_the_same_unique_solution():
    # the "at least one (D.1) equality" as min_of(...) == 0, left to the solver's own enumeration
    cs = build_system("effective", "sgd")
    sol = cs.solve()
    assert sol.unique and sol.values["d"] == -H
    assert sol.values["perturbation[hidden]@width"] == 0


def test_global_is_readout_only_with_rho_n_minus_half():
    t = table("sam-global")
    assert t.power("global", "perturbation") == -H  # Fig. 1 caption: rho = Theta(n^-1/2)
    assert t.derived["effectively perturbed"] == "readout"


def test_naive_is_unstable_and_stability_makes_it_infeasible():
    t = table("sam-naive")
    assert t.derived["perturbation effect exponent"]["readout"] == H
    assert t.derived["regime"].startswith("UNSTABLE")
    sol = solve(build_system("naive", "sgd", stable=True, tight="readout").system)
    assert sol.status == "infeasible"
    assert any("stability: readout" in c for c in sol.conflict)


@pytest.mark.parametrize("d", ["-3/4"])
def test_d_below_minus_half_blows_up(d):
    # Table F.1 caption: d < -1/2 => perturbation blow-up (every case of the (D.1) disjunction is infeasible)
    from scaling_exponents.theory.solve import _feasible, _items

    for tight in ("embedding", "hidden", "readout"):
        s = build_system("global", "sgd", d=d, tight=tight).system
        assert not _feasible(s, _items(s))
    sol = solve(build_system("global", "sgd", d=d, tight="embedding").system)
    assert sol.status == "infeasible" and any("stability" in c for c in sol.conflict)


def test_critical_d_values_make_the_dominating_layer_effective():
    # Table F.1 caption: at d = -1/2, 0, 1/2 an input-, hidden-, output-like layer is effective iff it dominates
    # the gradient norm, i.e. attains (D.1); layerwise d_l free otherwise (effective variant without (F.1))
    for d, role in (("-1/2", "embedding"), ("0", "hidden"), ("1/2", "readout")):
        cs = build_system("naive", "sgd", d=d, stable=False, tight=role)
        cs.system.constraints = [c for c in cs.system.constraints if not c.label.startswith("common d_l")]
        cs.solve()
        assert cs.value(cs.effects[role]) == 0, (d, role)


def test_sp_base_gives_c_grad_zero():
    t = table("sam-mup2", "sgd", "sp")
    assert t.derived["c_grad"] == 0 and t.derived["d"] == -H
    assert t.power("embedding", "perturbation") == 0 and t.power("hidden", "perturbation") == -1


def test_spectral_form_of_effective_perturbation():
    # derived: effective in every layer <=> ||eps^l||_* ~ rho sqrt(fan_out/fan_in) (rank-one gradient)
    t = table("sam-mup2")
    fans = {"embedding": (0, 1), "hidden": (1, 1), "readout": (1, 0)}
    g = {"embedding": -1 + H, "hidden": 0, "readout": H}  # ||grad||_F exponents at c_grad = 1
    for role, (fi, fo) in fans.items():
        assert t.power(role, "perturbation") + g[role] == H * (fo - fi)
