"""The package's front door: ``scaling_exponents.derive`` is the registry's derivation under a short name.

Kind: paper table -- muP with Adam under full alignment, Everett et al. (arXiv 2407.05872) Table 1: hidden LR
exponent -1, embedding and readout -1/2 (papers/oracles/everett2024scaling.csv, status secondary).
"""

import sympy

import scaling_exponents
from scaling_exponents.systems.registry import derive


def test_derive_is_the_registry_derivation():
    t = scaling_exponents.derive("mup", "adam", "full")
    assert t.power("hidden", "lr") == -1
    assert t.power("embedding", "lr") == sympy.Rational(-1, 2) == t.power("readout", "lr")
    assert t.rows == derive("mup", optimizer="adam", alignment="full").rows


def test_options_reach_the_parametrization():
    # CompleteP's alpha option (Dey et al., arXiv 2505.01618): the branch multiplier is depth^-alpha
    t = scaling_exponents.derive("completep", alpha="1/2")
    assert t.power("residual_branch", "multiplier", "depth") == sympy.Rational(-1, 2)
