"""MoE details (arXiv 2601.20205, arXiv 2508.09752): granularity as a dimension, Adam eps, router init.

Where the expected values come from: ``moe_granularity_jiang2026hyperparameter.csv`` -- 8 granularity rows
computed from the paper's Table 1 (digest) exponents along alpha_ffn ∝ G^-1, n_exp ∝ G ('derived'), 12 Adam-eps
rows from a third-party transcription of the paper's Table 2 ('secondary', UNVERIFIED) and 3 eps rows along G
('derived' from those).  The consistency tests compare with ``moe-completep`` and its own Table-1 oracle.
"""

from functools import lru_cache

import pytest
import sympy

from scaling_exponents.literature import oracles
from scaling_exponents.systems.moe_details import NO_RULE, build_granularity
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.solve import solve

ROWS = oracles.load("moe_granularity_jiang2026hyperparameter")
JIANG = oracles.load("jiang2026hyperparameter")


@lru_cache(maxsize=None)
def table(param="moe-granularity", **opts):
    return derive(param, "adam", **opts)


def test_oracle_counts_and_statuses():
    assert len(ROWS) == 23
    assert sum(r.status == "secondary" for r in ROWS) == 12
    assert all("UNVERIFIED" in r.note for r in ROWS if r.quantity == "adam_eps")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.role}-{r.quantity}-{r.dimension}")
def test_rows_equal_oracle(row):
    t = table(gamma=row.variant_dict["gamma"])
    assert t.solution.unique and t.solution.certified
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


def test_granularity_is_minus_ffn_ratio_plus_experts_of_the_published_table():
    # Table 1 (digest) exponents of moe-completep, composed along alpha_ffn ∝ G^-1, n_exp ∝ G
    pub = {(r.role, r.quantity, r.dimension): r.exact for r in JIANG}
    t, checked = table(), 0
    for (role, q, dim), _ in pub.items():
        if dim != "experts":
            continue
        ffn = pub.get((role, q, "ffn_ratio"), sympy.Integer(0))
        assert t.power(role, q, "granularity") == -ffn + pub[(role, q, "experts")], (role, q)
        checked += 1
    assert checked >= 5


def test_shared_dimensions_equal_moe_completep():
    g, c = table(), table("moe-completep")
    for role in ("router", "expert_up", "expert_down"):
        for q in ("lr", "init_std"):
            for dim in ("width", "ffn_ratio", "experts", "depth"):
                assert g.power(role, q, dim) == c.power(role, q, dim), (role, q, dim)
    assert g.power("moe_output", "multiplier", "experts") == c.power("moe_output", "multiplier", "experts") == -1
    assert g.power("residual_branch", "multiplier", "depth") == -1


def test_granularity_worked_example():
    # G = 1 -> 4 at fixed n_embd and depth: n_hid / 4, n_exp x4, n_act x4 (kappa fixed)
    t, sizes = table(), {"granularity": (4, 1)}
    want = {("expert_down", "lr"): 4, ("expert_down", "init_std"): 4, ("expert_up", "lr"): 1,
            ("router", "lr"): 1, ("moe_output", "multiplier"): 1 / 4,
            ("expert_up", "adam_eps"): 4, ("expert_down", "adam_eps"): 16, ("router", "adam_eps"): 1}
    for (role, q), f in want.items():
        assert t.combined_factor(role, q, sizes) == pytest.approx(f), (role, q)


def test_router_init_gamma_is_bounded_below_by_one_half():
    assert table(gamma="1/2").power("router", "init_std", "width") == -sympy.Rational(1, 2)
    assert table(gamma="1/2").power("router", "init_std", "granularity") == 0
    assert solve(build_granularity("1/4").system).status == "infeasible"


def test_every_constraint_cites_its_source():
    for c in build_granularity().system.constraints:
        assert "arXiv 2601.20205" in c.source, c.label


def test_no_rule_entries_name_bibliography_keys_and_say_why():
    bib = (oracles.PAPERS_DIR / "references.bib").read_text(encoding="utf-8")
    for (key, what), reason in NO_RULE.items():
        assert "{" + key + "," in bib, key
        assert len(reason) > 40, what
    assert "no derivable rule" in NO_RULE[("malasnicki2025mu", "granularity")]
    assert "UNVERIFIED" in NO_RULE[("malasnicki2025mu", "router_init")]
