"""The registry's choice of optimizer and alignment (:func:`scaling_exponents.systems.registry.derive`): the first
listed when none is given, a listed one when given, and a one-line refusal -- naming what the table is for -- when
the spec has no such choice (an explicit ``--optimizer sgd`` on a table stated for every optimizer would otherwise be
dropped, issue 23).

Expected values: the four specs without an optimizer choice are the project's stated rules (AM-muP arXiv 2510.04327,
muP-SSM Vankadara et al. 2024, multi-path depth arXiv 2602.07494, u-muP's per-op scales arXiv 2407.17465); TP5
Table 8's hidden LR is ``n^-1`` under Adam and ``n^0`` under SGD (arXiv 2203.03466 Table 8); error strings are
regression (the project's own output).

Kind: regression (one-line errors, the registry's choices) + paper table (TP5 Table 8 hidden LR).
"""

import pytest

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.systems.registry import all_specs, derive, get

NO_OPTIMIZER_CHOICE = ("am-mup", "ssm-mup", "multipath-depth", "umup-ops")


def test_the_specs_without_an_optimizer_choice():
    assert {s.name for s in all_specs() if s.optimizers in ((), ("",))} == set(NO_OPTIMIZER_CHOICE)
    for name in NO_OPTIMIZER_CHOICE:
        assert get(name).default_optimizer is None and derive(name).optimizer is None


@pytest.mark.parametrize("name", NO_OPTIMIZER_CHOICE)
def test_an_explicit_optimizer_is_refused_naming_the_table(name):
    title = get(name).title
    with pytest.raises(UserError) as e:
        derive(name, "sgd")
    assert str(e.value) == (f"{name} ({get(name).source.key}) has no optimizer choice: it is one table for {title}; "
                            "drop --optimizer sgd.")


def test_the_cli_refuses_o_on_ssm_mup_in_one_line(capsys):
    code = main(["derive", "-p", "ssm-mup", "-o", "sgd"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == ("error: ssm-mup (vankadara2024feature) has no optimizer choice: it is one table for muP-SSM "
                   "(Vankadara et al. 2024): B init of the LTI core; drop --optimizer sgd.\n")
    assert main(["derive", "-p", "ssm-mup", "-f", "csv"]) == 0  # without -o it derives


def test_an_explicit_alignment_on_a_table_without_that_choice_is_refused():
    with pytest.raises(UserError, match=r"^mup-table8 \(yang2022tensor\) has no alignment choice: it is one table "
                                        r"for .*; drop --alignment no\.$"):
        derive("mup-table8", "adam", "no")


def test_the_first_listed_optimizer_is_the_default_and_a_listed_one_is_used():
    spec = get("mup-table8")
    assert derive("mup-table8").optimizer == spec.optimizers[0] == spec.default_optimizer
    # TP5 Table 8: hidden LR 1/n under Adam, constant under SGD
    assert str(derive("mup-table8", "adam").power("hidden", "lr", "width")) == "-1"
    assert str(derive("mup-table8", "SGD").power("hidden", "lr", "width")) == "0"  # normalised spelling
    with pytest.raises(UserError, match=r"^mup-table8 \(yang2022tensor\) does not cover optimizer 'lion'; supported: "):
        derive("mup-table8", "lion")
