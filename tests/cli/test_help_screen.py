"""``verify --help`` and ``transfer --help`` fit one screen (the less common flags folded into one line per help
group, each sweep's flags under its own title) and lose no flag; ``--help-all`` restores every flag's own help.

Expected values: regression: the project's own contract (issue 25 item 3: "shown in groups so that verify --help
reads in one screen"); the flags are read from the parsers themselves, so a new flag is checked too.

Kind: regression.
"""

from __future__ import annotations

import argparse

import pytest

from scaling_exponents.cli import main
from scaling_exponents.cli.args import Parser


def _help(capsys, monkeypatch, argv):
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit):
        main(argv)
    return capsys.readouterr().out


def _flags(command) -> set[str]:
    from scaling_exponents.cli import COMMANDS, _command_module

    module = _command_module(dict((n, m) for n, m, _ in COMMANDS)[command])
    p = Parser(prog="x")
    module.add_arguments(p)
    return {max(a.option_strings, key=len) for a in p._actions if a.option_strings and a.dest != "help"
            and not (a.help is argparse.SUPPRESS and not hasattr(a, "full_help"))}


@pytest.mark.parametrize("command, most_lines", [("verify", 80), ("transfer", 45)])
def test_help_fits_a_screen_and_names_every_flag(capsys, monkeypatch, command, most_lines):
    out = _help(capsys, monkeypatch, [command, "--help"])
    lines = out.splitlines()
    assert len(lines) <= most_lines and max(map(len, lines)) <= 100
    missing = [f for f in _flags(command) if f not in out]
    assert not missing and len(_flags(command)) > 20, missing
    assert "--help-all" in out


def test_each_sweep_has_its_group_and_help_all_restores_every_flags_help(capsys, monkeypatch):
    from scaling_exponents.verifier import sweeps

    out = _help(capsys, monkeypatch, ["verify", "--help"])
    for s in sweeps.declared():  # every sweep with flags of its own has its titled group
        group = argparse.ArgumentParser().add_argument_group(s.title)
        s.add_arguments(group)
        if group._group_actions:
            assert s.title.split(" (")[0] in out, s.title
    assert "perturbation radius" not in out  # folded: --rho X on the SAM group's line
    full = _help(capsys, monkeypatch, ["verify", "--help-all"])
    assert "perturbation radius at the base width" in full and "--rho RHO" in full
    assert len(full.splitlines()) > len(out.splitlines()) + 30
