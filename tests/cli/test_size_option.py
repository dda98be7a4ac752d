"""``derive --size DIM=SIZE/BASE``: the same concrete factors as the ``--DIM``/``--base-DIM`` aliases, one-line errors
for bad sizes, and a dimension registered in ``theory/dimensions.py`` appearing in derive's flags and in ``--size``.
Also ``--convention``, now a deprecated alias of ``--convert-to``.

Kind: paper table (TP5 arXiv 2203.03466 Table 8: hidden Adam LR 1/n, hidden init 1/sqrt(n), attention logits
q.k/d, so (1024/256)^-1 = 0.25, (1024/256)^-1/2 = 0.5, (128/64)^-1 = 0.5; Table 8 restated from Everett et al.'s
muP is the same table); the error wording is regression: the project's own output.
"""

from __future__ import annotations

import json

import pytest

from scaling_exponents.cli import main
from scaling_exponents.theory import dimensions as vocabulary
from scaling_exponents.theory.dimensions import Dimension


def _json(capsys, *argv) -> dict:
    assert main(["derive", *argv, "-f", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _factors(d: dict) -> dict:
    return {(r["role"], r["quantity"], r["dimension"]): r.get("factor") for r in d["rows"]}


def test_size_equals_the_alias_pair_and_gives_table8_factors(capsys):
    by_size = _json(capsys, "-p", "mup-table8", "--size", "width=1024/256", "--lr", "1e-2")
    by_alias = _json(capsys, "-p", "mup-table8", "--width", "1024", "--base-width", "256", "--lr", "1e-2")
    assert by_size == by_alias
    f = _factors(by_size)
    assert f[("hidden", "lr", "width")] == pytest.approx(0.25) and f[("hidden", "init_std", "width")] == 0.5
    assert by_size["values"]["hidden"]["lr"]["value"] == pytest.approx(2.5e-3)


def test_several_sizes_and_suffixes(capsys):
    d = _json(capsys, "-p", "adamw-timescale-horizon", "--size", "tokens=4e11/100B", "--size", "batch=8M/1M",
              "--weight-decay", "0.1")
    # tau = B/(eta lambda D) constant (arXiv 2405.13698 Sec. 3): lambda x (B/B0)/(D/D0) = 0.1 x 8/4
    assert d["values"]["any"]["weight_decay"]["value"] == pytest.approx(0.2)


def test_the_same_size_twice_is_accepted(capsys):
    d = _json(capsys, "-p", "mup", "--size", "width=2^12/256", "--width", "4096", "--base-width", "256")
    assert _factors(d)[("hidden", "lr", "width")] == pytest.approx(1 / 16)


@pytest.mark.parametrize("argv,fragments", [
    (["--size", "width=abc"], ["--size 'width=abc'", "'abc' is not a size", "400B"]),
    (["--size", "nosuch=4"], ["'nosuch'", "known dimensions: width, depth"]),
    (["--size", "width=4096/0"], ["'0'", "whole number > 0"]),
    (["--size", "tokens=400B"], ["give the base too", "--size tokens=400B/BASE"]),
    (["--size", "width=4096/256", "--width", "2048", "--base-width", "256"],
     ["width is given twice", "--size width=4096/256", "--width 2048 --base-width 256", "give it once"]),
    (["--size", "width=4096/256", "--size", "width=4096/512"], ["width is given twice"]),
    (["--width", "4096"], ["--width and --base-width go together", "--size width=SIZE/BASE"]),
    (["--size", "depth=48/12"], ["no rule for depth", "its dimensions: width"]),
])
def test_bad_sizes_are_one_line(argv, fragments, capsys):
    assert main(["derive", "-p", "mup", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert all(f in err for f in fragments), err


def test_a_registered_dimension_is_one_entry(capsys):
    """Register head_dim (a row dimension of TP5's tables that derive has no size for): it appears as --head-dim in
    derive's help, --size head_dim=... and the alias give its concrete factor, and it is gone once unregistered."""
    assert main(["derive", "-p", "mup-table8", "--size", "head_dim=128/64"]) == 2
    assert "unknown dimension 'head_dim'" in capsys.readouterr().err
    vocabulary.register(Dimension("head_dim", "d", "D_HEAD", "attention head dimension (test)"))
    try:
        with pytest.raises(SystemExit):
            main(["derive", "--help"])
        assert "--head-dim D_HEAD" in capsys.readouterr().out
        d = _json(capsys, "-p", "mup-table8", "--size", "head_dim=128/64", "--size", "width=1024/256")
        assert _factors(d)[("attention", "logit_scale", "head_dim")] == pytest.approx(0.5)
        assert _json(capsys, "-p", "mup-table8", "--head-dim", "128", "--base-head-dim", "64", "--width", "1024",
                     "--base-width", "256") == d
        assert main(["list", "--dimension", "head_dim"]) == 0
        assert "head_dim (d): " in capsys.readouterr().out
    finally:
        vocabulary.unregister("head_dim")
    with pytest.raises(SystemExit):
        main(["derive", "--help"])
    assert "--head-dim" not in capsys.readouterr().out


def test_convention_is_a_deprecated_alias_of_convert_to(capsys):
    assert main(["derive", "-p", "mup", "--convert-to", "mup-table8", "-f", "csv"]) == 0
    by_flag = capsys.readouterr()
    assert main(["derive", "-p", "mup", "--convention", "table8", "-f", "csv"]) == 0
    by_alias = capsys.readouterr()
    assert by_alias.out == by_flag.out and by_flag.err == ""
    assert by_alias.err == "note: --convention is deprecated; use --convert-to mup-table8\n"
    assert main(["derive", "-p", "mup", "--convention", "table8", "--convert-to", "mup-table8", "-f", "csv"]) == 0
    assert capsys.readouterr().out == by_flag.out
    with pytest.raises(SystemExit):
        main(["derive", "--help"])
    help_text = capsys.readouterr().out
    assert "--convert-to NAME" in help_text and "--convention" not in help_text


@pytest.mark.parametrize("argv,fragment", [
    (["-p", "umup", "--convert-to", "mup-table8"], "umup has none"),
    (["-p", "mup", "--convert-to", "mup-table8", "--emit", "hf", "--size", "width=4096/256"],
     "does not apply to --emit"),
])
def test_convert_to_refusals(argv, fragment, capsys):
    assert main(["derive", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1, err
