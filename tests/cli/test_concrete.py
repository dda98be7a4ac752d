"""``derive``'s practitioner options (:mod:`scaling_exponents.cli.concrete`): base values (``--lr``, ``--init-std``)
turned into per-role values at a width, ``--convert-to`` / the deprecated ``--convention``, and their one-line
refusals.

Expected values, width 1024 against base 256 (m = 4), TP5 Table 3 (arXiv 2203.03466) under Adam: hidden LR
``1/fan_in`` -> factor 1/4 (base lr 1e-3 -> 2.5e-4), hidden init var ``1/fan_in`` -> std factor 1/2 (0.02 -> 0.01),
readout init var ``1/fan_in^2`` -> std factor 1/4 (0.005), readout LR 1/4; embedding all x1.  Everett et al.'s muP
(arXiv 2407.05872 Table 1, Adam, full alignment) restated by the abc symmetry (TP5 Lemma J.1) is TP5 Table 8:
readout multiplier ``n^-1``, hidden LR ``n^-1``, readout LR ``n^0``.  Error strings are regression.

Kind: paper table (TP5 Tables 3 and 8) + regression (the CLI's messages and exit status 2).
"""

import argparse
import json

import pytest

from scaling_exponents.cli import main
from scaling_exponents.cli.concrete import CONVENTIONS, bases, convert_target, restate
from scaling_exponents.errors import UserError
from scaling_exponents.systems.registry import derive

SIZES = ("--width", "1024", "--base-width", "256")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_base_values_at_width_1024_over_256_follow_tp5_table3(capsys):
    code, out, _ = run(capsys, "derive", "-p", "mup-table3", "-o", "adam", *SIZES, "--lr", "1e-3", "--init-std",
                       "0.02", "-f", "json")
    assert code == 0
    v = json.loads(out)["values"]
    assert v["hidden"]["lr"] == {"factor": 0.25, "base": 1e-3, "value": pytest.approx(2.5e-4)}
    assert v["hidden"]["init_std"]["value"] == pytest.approx(0.01)
    assert v["readout"]["init_std"]["value"] == pytest.approx(0.005)
    assert v["readout"]["lr"]["factor"] == 0.25
    assert v["embedding"]["lr"]["value"] == pytest.approx(1e-3) and v["embedding"]["init_std"]["factor"] == 1.0


def test_the_text_output_adds_a_values_table(capsys):
    code, out, _ = run(capsys, "derive", "-p", "mup-table3", "-o", "adam", *SIZES, "--lr", "1e-3")
    assert code == 0
    assert "values at width 1024 (base 256); base lr 0.001" in out
    hidden = [line.split() for line in out.splitlines() if line.startswith("hidden")]
    assert hidden[-1][:2] == ["hidden", "0.00025"]  # the values table's row: lr first


@pytest.mark.parametrize("argv, err", [
    (("--lr", "1e-3"), "error: --lr give base values; add the target and base sizes, e.g. --size width=1024/256 "
                       "(or --width 1024 --base-width 256)"),
    (("--lr", "1e-3", *SIZES, "-f", "csv"), "error: per-role values print as --format text or json, not csv"),
    (("--lr", "abc"), "error: argument --lr: 'abc' is not a number; give e.g. --lr 1e-3"),
    (("--init-std", "-1"), "error: argument --init-std: '-1' must be a finite number >= 0"),
    (("--eps", "inf"), "error: argument --eps: 'inf' must be a finite number >= 0"),
    (("--convention", "table8", "--convert-to", "mup-table3"),
     "error: --convention table8 (deprecated) is --convert-to mup-table8, not --convert-to mup-table3: give "
     "--convert-to only"),
])
def test_bad_base_values_and_conventions_are_one_line_errors(capsys, argv, err):
    code, out, e = run(capsys, "derive", "-p", "mup", *argv)
    assert code == 2 and out == ""
    assert e.startswith(err) and len(e.strip().splitlines()) == 1


def test_convert_target_maps_the_deprecated_convention():
    ns = argparse.Namespace
    assert convert_target(ns(convert_to=None, convention="table8")) == "mup-table8"
    assert convert_target(ns(convert_to="mup-table8", convention="table8")) == "mup-table8"  # the same target
    assert convert_target(ns(convert_to="mup-table3", convention=None)) == "mup-table3"
    assert CONVENTIONS == {"everett": "mup", "table8": "mup-table8", "table3": "mup-table3"}
    assert bases(ns(lr=1e-3, init_std=None, weight_decay=0.1, eps=None)) == {
        "lr": 1e-3, "init_std": None, "weight_decay": 0.1, "eps": None}


def test_the_deprecated_convention_restates_and_says_what_replaces_it(capsys):
    code, out, err = run(capsys, "derive", "-p", "mup", "-o", "adam", "--convention", "table8", "-f", "csv")
    assert code == 0 and err == "note: --convention is deprecated; use --convert-to mup-table8\n"
    assert "mup->mup-table8,adam,full,readout,multiplier,width,-1" in out.splitlines()


def test_restate_gives_table8_from_everett_mup_and_refuses_a_table_without_multipliers():
    restated, table8 = restate(derive("mup", "adam", "full"), "mup-table8"), derive("mup-table8", "adam")
    for role, quantity in [("readout", "multiplier"), ("hidden", "lr"), ("readout", "lr"), ("hidden", "init_std"),
                           ("readout", "init_std"), ("embedding", "lr")]:
        assert restated.power(role, quantity, "width") == table8.power(role, quantity, "width"), (role, quantity)
    assert str(restated.power("readout", "multiplier", "width")) == "-1"
    with pytest.raises(UserError, match=r"^--convert-to mup-table8 restates width tables with multiplier rows; "
                                        r"am-mup has none"):
        restate(derive("am-mup"), "mup-table8")
