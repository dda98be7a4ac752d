"""Vocabulary and the embedding LR (arXiv 2506.15025, 2605.21486) and DiT muP (arXiv 2505.15270): oracle rows equal
the derived tables; the disagreement between the two embedding-LR papers is asserted; DiT muP equals TP5 Table 3.

Kind: paper table (hayou2025optimal.csv, kalra2026quantifying.csv abstracts; TP5 Table 3 for DiT).
"""

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.exponents import Q

ROWS = list(oracles.load("hayou2025optimal")) + list(oracles.load("kalra2026quantifying"))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.param}-{r.variant or 'default'}")
def test_rows_equal_oracle(row):
    t = derive(row.param, **{k: v for k, v in row.variant_dict.items()})
    assert t.solution.unique and t.solution.certified
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


def test_regimes_and_disagreement():
    lv, mup, boost = derive("embedding-lr-vocab"), derive("embedding-lr-vocab", regime="mup"), derive("sp-embedding-boost")
    # the muP regime reproduces TP5 Table 3's (derived) Adam embedding LR: Theta(1)
    assert mup.power("embedding", "lr") == derive("mup-table3", "adam").power("embedding", "lr") == 0
    assert lv.power("embedding", "lr") == Q("-1/2")
    # width x4: embedding/hidden ratio x2 (large vocab) vs x4 (muP; Kalra & Barkeshli)
    assert lv.combined_factor("embedding", "lr_ratio_to_hidden", {"width": (4, 1)}) == pytest.approx(2)
    assert boost.combined_factor("embedding", "lr_ratio_to_hidden", {"width": (4, 1)}) == pytest.approx(4)
    assert boost.power("embedding", "lr_ratio_to_hidden") - lv.power("embedding", "lr_ratio_to_hidden") == Q("1/2")


def test_dit_mup_is_tp5_table3():
    tp5 = [r for r in oracles.select("tp5_yang2022tensor", param="mup-table3") if r.optimizer in ("adam", "")
           and r.role in ("embedding", "hidden", "readout")]
    assert len(tp5) >= 6
    t = derive("dit-mup", "adam")
    assert t.parametrization == "dit-mup" and t.source.arxiv == "2505.15270"
    for r in tp5:
        assert t.power(r.role, r.quantity, r.dimension) == r.exact, r


def test_bad_regime():
    with pytest.raises(UserError, match="regime"):
        derive("embedding-lr-vocab", regime="huge")
