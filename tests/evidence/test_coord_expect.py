"""Which tables the coord check on a user's model holds to Theta(1) (``evidence/coord_expect.py``).

Where the expected values come from: **paper table** regimes -- TP4 (arXiv 2011.14522) Thms 3.6/3.8: muP is feature
learning, SP and NTK under SGD are kernel (the derive output's ``regime``); TP5 Table 3's SP with one global Adam LR
(``sp-table3:adam``) is unstable (its width-constant LR exceeds the largest stable Adam LR n^-1 of Everett et al.'s
LP, arXiv 2407.05872; the derive output's ``regime``); CompleteP (arXiv 2505.01618 Table 1) has muP's width rows.  The per-module rule is
the module docstring's (microsoft/mup coord check, TP5 arXiv 2203.03466 App. D.1).

Kind: paper table (regimes).
"""

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.evidence.coord_expect import expected, feature_learning
from scaling_exponents.systems.registry import derive


@pytest.mark.parametrize("name,opt,fl,why", [
    ("mup", "adam", True, "derive: regime feature-learning"),
    ("tp4-mup", "sgd", True, "derive: regime feature-learning"),
    ("tp4-sp", "sgd", False, "derive: regime kernel"),
    ("tp4-ntk", "sgd", False, "derive: regime kernel"),
    ("completep", "adamw", True, "width rows muP"),
    ("mup-table8", "adam", True, "predicted r_l = 0"),
    ("sp-table3", "adam", False, "derive: regime unstable"),
    ("spectral", "adam", None, "no stated regime"),
])
def test_feature_learning_reads_the_regime(name, opt, fl, why):
    got, text = feature_learning(derive(name, opt))
    assert got is fl and why in text, text


def test_expectation_per_module():
    assert expected(True, "act_init", readout=False) == 0.0 and expected(True, "act_delta", readout=True) == 0.0
    assert expected(True, "act_init", readout=True) is None  # logits at init may vanish under muP
    assert expected(False, "act_delta", readout=False) is None and expected(None, "act_init", readout=False) is None
    with pytest.raises(UserError, match="'dW_rms'"):
        expected(True, "dW_rms", readout=False)
