"""Tensor Programs V (arXiv 2203.03466): Tables 3, 8, 9 derived via Everett's LP + the abc symmetry.

Where the expected values come from: **paper tables**: TP5 (arXiv 2203.03466) Tables 3, 8, 9
(tp5_yang2022tensor.csv).
"""

import pytest

from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.symmetry import equivalent, invariants

ORACLE = "tp5_yang2022tensor"
FORMS = ["mup-table3", "mup-table8", "mup-table9", "sp-table3"]


@pytest.mark.parametrize("param", FORMS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_every_tp5_entry_equals_oracle(param, optimizer):
    table = derive(param, optimizer)
    rows = [r for r in oracles.select(ORACLE, param=param) if r.optimizer in ("", optimizer)]
    assert len(rows) >= 10
    for row in rows:
        assert table.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.role, row.quantity)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_three_mup_forms_are_one_symmetry_orbit(optimizer):
    tables = [derive(p, optimizer) for p in FORMS[:3]]
    for role in ("embedding", "hidden", "readout", "bias"):
        abc = [(-t.power(role, "multiplier"), -t.power(role, "init_std"), -t.power(role, "lr")) for t in tables]
        assert equivalent(abc[0], abc[1], optimizer) and equivalent(abc[0], abc[2], optimizer)
        assert len({invariants(*x, optimizer) for x in abc}) == 1


def test_table9_is_everett_mup_full_alignment():
    t9, ev = derive("mup-table9", "adam"), derive("mup", "adam", "full")
    for role in ("embedding", "hidden", "readout"):
        for q in ("multiplier", "init_std", "lr"):
            assert t9.power(role, q) == ev.power(role, q)


def test_sp_is_not_equivalent_to_mup():
    sp, mup = derive("sp-table3", "adam"), derive("mup-table3", "adam")
    abc = lambda t: (-t.power("hidden", "multiplier"), -t.power("hidden", "init_std"), -t.power("hidden", "lr"))
    assert not equivalent(abc(sp), abc(mup), "adam")
