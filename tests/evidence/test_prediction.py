"""The prediction records: lookup by (layer, quantity) and the JSON form reports and the store read.

Kind: independent computation -- the records are built by hand here and their dicts written out in full; the
one derived row is TP4's (arXiv 2011.14522 Prop. 5.3): under muP with SGD the hidden activations move Θ(1), so the
``hidden|act_delta`` exponent of :func:`predict` on a one-hidden-layer MLP is 0.
"""

import sympy

from scaling_exponents.evidence.predict import mlp_layers, predict
from scaling_exponents.evidence.prediction import LayerSpec, Prediction, Predictions
from scaling_exponents.systems.registry import derive

H = sympy.Rational(1, 2)


def test_layer_spec_defaults_to_both_fans_growing():
    assert (LayerSpec("h", "hidden").p_in, LayerSpec("h", "hidden").p_out) == (1, 1)


def test_to_dict_writes_exponents_as_fractions_and_only_the_optional_fields_set():
    p = Prediction("head", "dW_spec", -H, "f", "src", spectral_condition=-H, informational="why")
    assert p.to_dict() == {"layer": "head", "quantity": "dW_spec", "dimension": "width", "exponent": "-1/2",
                           "formula": "f", "source": "src", "spectral_condition": "-1/2", "informational": "why"}
    assert "spectral_condition" not in Prediction("h", "act_init", 0, "f", "s").to_dict()


def test_predictions_get_and_to_dict():
    a, b = Prediction("h", "act_init", 0, "f", "s"), Prediction("h", "act_delta", -H, "f", "s")
    ps = Predictions("mup", "sgd", "full", [a, b], r={"r_1": H}, notes=["n"])
    assert ps.get("h", "act_delta") is b and ps.get("h", "kernel_move") is None
    d = ps.to_dict()
    assert d["r"] == {"r_1": "1/2"} and d["notes"] == ["n"]
    assert [x["exponent"] for x in d["predictions"]] == ["0", "-1/2"]


def test_predict_fills_the_records():
    preds = predict(derive("tp4-mup"), mlp_layers(1))
    assert isinstance(preds, Predictions)
    assert preds.get("hidden.0", "act_delta").exponent == 0
