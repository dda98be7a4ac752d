"""--convert-to: restating a table in another convention via the abc symmetry (TP5 Lemma J.1).

Where the expected values come from: **paper tables**: TP5 (arXiv 2203.03466) Tables 3/8/9 via
papers/oracles/tp5_yang2022tensor.csv.
"""

import pytest

from scaling_exponents.cli import main
from scaling_exponents.systems.convert import convert
from scaling_exponents.systems.registry import derive


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("target", ["mup-table3", "mup-table8", "mup-table9"])
def test_everett_mup_restated_is_tp5_table(optimizer, target):
    restated = convert(derive("mup", optimizer, "full"), target)
    tp5 = derive(target, optimizer)
    assert restated.derived["same dynamics as target"] is True
    for role in ("embedding", "hidden", "readout"):
        for q in ("multiplier", "init_std", "lr"):
            assert restated.power(role, q) == tp5.power(role, q), (role, q)


def test_sp_and_mup_differ_only_in_readout_init_under_adam_full_alignment():
    restated = convert(derive("sp", "adam", "full"), "mup")
    assert restated.derived["same dynamics as target"] is False
    assert "readout: theta = 1/2: DIFFERENT dynamics: init_std power 0 vs -1/2" in restated.notes
    assert "hidden: theta = 0: same dynamics" in restated.notes


def test_no_alignment_mup_is_not_tp5(capsys):
    assert main(["derive", "-p", "mup", "-a", "no", "--convert-to", "mup-table8"]) == 0
    assert "DIFFERENT dynamics" in capsys.readouterr().out
    assert main(["derive", "-p", "mup", "-o", "adafactor", "--convert-to", "mup-table8"]) == 2
    assert "does not cover optimizer 'adafactor'" in capsys.readouterr().err
