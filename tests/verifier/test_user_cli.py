"""``--model`` for verify/transfer: a built-in name or the user's own factory, and one error line otherwise.

Kind: independent computation -- the accepted forms are the ones the module states (a built-in name, or
``module:factory`` / ``file.py:factory``, i.e. anything with a colon).
"""

import argparse

import pytest

pytest.importorskip("torch")

from scaling_exponents.verifier.user_cli import is_factory, model_arg  # noqa: E402


def test_builtins_and_factories_pass_and_anything_else_is_one_error():
    check = model_arg(("mlp", "gpt"))
    assert check("mlp") == "mlp" and check("my_pkg.models:build") == "my_pkg.models:build"
    with pytest.raises(argparse.ArgumentTypeError, match=r"'resnet' is neither a built-in model \(choose from mlp, gpt\)"):
        check("resnet")


def test_is_factory():
    assert is_factory("model.py:make") and not is_factory("mlp") and not is_factory(None)
