"""TP4's one-hidden-layer network (L = 1: input layer then readout, ``MLP(depth=0)``) in the verifier.

Expected values: TP4 (arXiv 2011.14522) Table 1 and Thm 3.3 for MFP with L = 1 under SGD: r = 0 (feature learning:
the hidden activation moves Theta(1)); the readout (a_out + b_out = 1) sums n terms of size n^-1 at init, so the
output is Theta(n^-1/2) by the CLT; the readout's update RMS is n^-1 (LR n^1 times a gradient entry n^-2).

Kind: paper table (TP4 Table 1, Thm 3.3); independent computation (the CLT argument).
"""

from __future__ import annotations

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.evidence.predict import mlp_layers, predict_named
from scaling_exponents.theory.exponents import Q


def test_depth_zero_is_embed_then_head():
    assert [s.name for s in mlp_layers(0)] == ["embed", "head"]
    with pytest.raises(UserError, match="hidden_layers >= 0"):
        mlp_layers(-1)


def test_tp4_mfp_predictions_for_l1():
    p = predict_named("tp4-mfp", "sgd", hidden_layers=0)
    assert p.get("embed", "act_delta").exponent == 0      # r_1 = 0: feature learning (TP4 Thm 3.3)
    assert p.get("head", "act_init").exponent == Q("-1/2")  # logits at init n^-1/2 (a_out + b_out = 1, sum of n terms)
    assert p.get("head", "dW_rms").exponent == -1


def test_one_hidden_layer_table_on_a_deeper_mlp_says_use_depth_zero():
    with pytest.raises(UserError, match=r"no role 'hidden'.*--depth 0"):
        predict_named("tp4-mfp", "sgd", hidden_layers=2)
