"""The size vocabulary (``theory/dimensions.py``): how sizes are read, the built-in dimensions, the registry.

Kind: independent computation (each accepted spelling is worked out by hand: 400B = 4*10^11, 2^20 = 1048576);
the symbols are the ones the tables and the catalog already print (n for width, r for LoRA rank: Hayou et al.
arXiv 2402.12354 write r); the error wording is regression: the project's own output.
"""

from __future__ import annotations

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.theory import dimensions as vocabulary
from scaling_exponents.theory.dimensions import Dimension, parse_size, parse_size_spec


@pytest.mark.parametrize("text,value", [("4096", 4096), ("4e11", 4 * 10**11), ("400B", 4 * 10**11),
                                        ("1.5T", 15 * 10**11), ("32k", 32_000), ("4M", 4_000_000),
                                        ("1_000", 1000), ("2G", 2 * 10**9), ("2^20", 1048576),
                                        ("2**10", 1024), (" 256 ", 256)])
def test_size_spellings(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["1.5", "0", "-4", "4x", "", "nan", "inf", "1e-3", "0^3", "2^100"])
def test_non_sizes_are_one_line_user_errors(text):
    with pytest.raises(UserError) as e:
        parse_size(text)
    assert "\n" not in str(e.value) and repr(text) in str(e.value)


def test_a_non_integer_dimension_keeps_fractions():
    assert parse_size("0.25", integer=False) == 0.25
    with pytest.raises(UserError, match="finite number > 0"):
        parse_size("-0.5", integer=False)


def test_builtin_vocabulary_order_and_symbols():
    assert vocabulary.names() == ("width", "depth", "experts", "granularity", "tokens", "batch", "vocab", "rank")
    assert {d.name: d.symbol for d in vocabulary.dimensions()} == {
        "width": "n", "depth": "L", "experts": "E", "granularity": "G", "tokens": "D", "batch": "B", "vocab": "V",
        "rank": "r"}
    assert vocabulary.get("width").metavar == "N" and vocabulary.symbol("head_dim") == "head_dim"


@pytest.mark.parametrize("text,expected", [("width=4096/256", ("width", 4096, 256)),
                                           ("tokens=400B/100B", ("tokens", 4 * 10**11, 10**11)),
                                           ("tokens=400B", ("tokens", 4 * 10**11, None)),
                                           ("Depth=48/12", ("depth", 48, 12))])
def test_size_specs(text, expected):
    assert parse_size_spec(text) == expected


@pytest.mark.parametrize("text,fragment", [("width=abc", "'abc' is not a size"),
                                           ("nosuch=4", "unknown dimension 'nosuch'; known dimensions: width"),
                                           ("width=4096/0", "'0' is not a whole number > 0"),
                                           ("width=4096/", "the base after '/' is missing"),
                                           ("width", "write DIM=SIZE/BASE")])
def test_bad_size_specs_name_the_text_and_the_fix(text, fragment):
    with pytest.raises(UserError) as e:
        parse_size_spec(text)
    msg = str(e.value)
    assert fragment in msg and repr(text) in msg and "\n" not in msg


def test_register_one_entry_and_take_it_back():
    dim = Dimension("seq_len", "T", "T", "sequence length (test)")
    assert "seq_len" not in vocabulary.names()
    try:
        assert vocabulary.register(dim) is dim
        assert vocabulary.names()[-1] == "seq_len" and vocabulary.symbol("seq_len") == "T"
        assert parse_size_spec("seq_len=8k/2k") == ("seq_len", 8000, 2000)
        with pytest.raises(UserError, match="already registered"):
            vocabulary.register(dim)
    finally:
        vocabulary.unregister("seq_len")
    assert "seq_len" not in vocabulary.names()
    with pytest.raises(UserError, match="unknown dimension 'seq_len'"):
        vocabulary.get("seq_len")


@pytest.mark.parametrize("bad,fragment", [(Dimension("Seq Len", "T", "T", "x"), "lowercase identifier"),
                                          ("width", "not str")])
def test_register_refuses_bad_entries(bad, fragment):
    with pytest.raises(UserError, match=fragment):
        vocabulary.register(bad)


def test_builtins_stay():
    with pytest.raises(UserError, match="built-in"):
        vocabulary.unregister("width")
