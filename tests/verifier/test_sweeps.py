"""``verifier/sweeps``: the sweeps that own a whole ``verify`` invocation are declarations discovered from the package
(adding one is one file), each selected by its own flag, with its flags in its own help group; two selected at once
are refused naming both, instead of being resolved silently by an order of ifs.

Expected values: regression: the project's own contract (issue 22 item 4: one declaration per sweep, no dispatch
chain in ``verify``).

Kind: regression plus a planted declaration (a new module in the package is found and run).
"""

from __future__ import annotations

import argparse

import pytest

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.verifier import sweeps


def test_the_declared_sweeps():
    assert [s.name for s in sweeps.declared()] == ["user-model", "vocab", "density", "lora"]


def test_each_is_selected_by_its_own_flag():
    ns = argparse.Namespace
    assert sweeps.select(ns(model=None, vocabs="64,256")).name == "vocab"
    assert sweeps.select(ns(model=None, densities="1,0.5")).name == "density"
    assert sweeps.select(ns(model="lora")).name == "lora"
    assert sweeps.select(ns(model="pkg.mod:factory")).name == "user-model"
    assert sweeps.select(ns(model="mlp", vocabs=None, densities=None, ranks=None)) is None


def test_two_sweeps_at_once_are_refused(tmp_path, capsys):
    with pytest.raises(UserError, match="--vocabs and --densities are different sweeps"):
        sweeps.select(argparse.Namespace(model=None, vocabs="64,256", densities="1,0.5"))
    rc = main(["verify", "-p", "supar", "--vocabs", "64,256", "--densities", "1,0.5", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "are different sweeps" in err[0]


def test_a_new_sweep_is_one_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "planted_axis.py").write_text(
        "from scaling_exponents.verifier.sweeps import Sweep\n"
        "def _add(group):\n    group.add_argument('--planted-sizes')\n"
        "def _run(args, ctx):\n    print('planted sweep ran over', ctx.parse_ints(args.planted_sizes, 'planted-sizes'))\n"
        "    return 0\n"
        "SWEEP = Sweep(name='planted', axis='planted', title='planted sweep', flag='--planted-sizes', add_arguments=_add,"
        " selects=lambda a: getattr(a, 'planted_sizes', None) is not None, run=_run, order=99)\n")
    monkeypatch.setattr(sweeps, "__path__", [*sweeps.__path__, str(tmp_path)])
    assert [s.name for s in sweeps.declared()][-1] == "planted"
    assert main(["verify", "-p", "mup", "--planted-sizes", "4,2,8"]) == 0
    assert "planted sweep ran over [2, 4, 8]" in capsys.readouterr().out


def test_help_groups_each_sweeps_flags(capsys):
    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    out = capsys.readouterr().out
    for title in ("vocabulary sweep (GPT; vocab-roles tables):", "density sweep (masked MLP; supar):",
                  "LoRA sweeps (--model lora: adapter width, rank):"):
        assert title in out
