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
    assert [s.name for s in sweeps.declared()] == ["user-model", "vocab", "density", "lora", "moe", "width", "matrix",
                                                   "sam", "weight-decay", "depth", "unit"]


def test_each_is_selected_by_its_own_flag():
    ns = argparse.Namespace
    assert sweeps.select(ns(model=None, vocabs="64,256")).name == "vocab"
    assert sweeps.select(ns(model=None, densities="1,0.5")).name == "density"
    assert sweeps.select(ns(model="lora")).name == "lora"
    assert sweeps.select(ns(model="pkg.mod:factory")).name == "user-model"
    assert sweeps.select(ns(model="moe")).name == "moe"
    assert sweeps.select(ns(model="mlp", vocabs=None, densities=None, ranks=None, experts=None)) is None


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
    for title in ("MoE network (--model moe: width, experts, depth):", "SAM perturbation sweep", "depth sweep",
                  "per-matrix optimizer tables"):
        assert title in out


# --- target sweeps: the spec (or the table) says which sweeps measure a parametrization ---------------------------

def _args(**kw):
    base = dict(model=None, widths=None, depths=None, depth=2, width=64, base_depth=None, eps=None, rho=None,
                weight_decay=None, experts=None, alignment=None, vocabs=None, densities=None, ranks=None)
    return argparse.Namespace(**{**base, **kw})


def _plan(names, **kw):
    from scaling_exponents.verifier.verify import _table, parse_targets

    steps = sweeps.plan(parse_targets(names, None), _args(**kw), lambda t: _table(t, None)[0])
    return [(s.name, t.param) for s, t, _ in steps]


def test_which_sweeps_measure_each_parametrization():
    from scaling_exponents.verifier.verify import _table, parse_targets

    want = {"mup": ("width",), "muon-keller": ("matrix",), "sam-mup2": ("sam",), "adamw-timescale": ("weight-decay",),
            "umup": ("width", "depth", "unit"), "moe-completep": ("moe",)}
    for name, sweeps_of in want.items():
        (t,) = parse_targets(name, None)
        assert sweeps.listed(t, _table(t, None)[0]) == sweeps_of, name


def test_every_sweep_a_spec_names_is_declared():
    from scaling_exponents.systems.registry import all_specs

    names = {s.name for s in sweeps.declared()}
    named = {n for spec in all_specs() for n in spec.sweeps}
    assert named and named <= names, named - names


def test_the_plan_follows_the_size_flags():
    assert _plan("mup,umup") == [("width", "mup"), ("width", "umup"), ("depth", "umup"), ("unit", "umup")]
    assert _plan("mup,umup", depths="2,4") == [("depth", "mup"), ("depth", "umup"), ("unit", "umup")]
    assert _plan("mup", widths="64,128", depths="2,4") == [("width", "mup"), ("depth", "mup")]
    assert _plan("sam-mup2,muon-keller") == [("matrix", "muon-keller"), ("sam", "sam-mup2")]


@pytest.mark.parametrize("flag, value, message", [
    ("eps", 1e-6, "--eps sets the damping of per-matrix optimizer tables"),
    ("rho", 0.05, "--rho sets SAM's perturbation radius"),
    ("weight_decay", 0.1, "--weight-decay sets the base decay of the weight-decay rules"),
])
def test_a_sweeps_flag_without_its_sweep_is_refused(flag, value, message):
    with pytest.raises(UserError, match=message):
        _plan("mup", **{flag: value})
    _plan({"eps": "muon-keller", "rho": "sam-mup2", "weight_decay": "adamw-timescale"}[flag], **{flag: value})


def test_a_table_no_requested_sweep_measures_is_refused():
    with pytest.raises(UserError, match="states roles router.*use --model moe"):
        _plan("moe-completep")
    with pytest.raises(UserError, match="--experts sweeps the number of experts.*add --model moe"):
        sweeps.select(_args(experts="4,8"))


def test_a_new_target_sweep_is_one_file(tmp_path, monkeypatch):
    (tmp_path / "planted_target.py").write_text(
        "from scaling_exponents.verifier.sweeps import Sweep\n"
        "SWEEP = Sweep(name='planted-target', axis='width', title='planted', flag='-p mup', add_arguments=lambda g: None,"
        " run=lambda t, table, args, ctx: {}, covers=lambda table: table.parametrization == 'mup',"
        " wanted=lambda args, listed: listed, order=55)\n")
    monkeypatch.setattr(sweeps, "__path__", [*sweeps.__path__, str(tmp_path)])
    assert _plan("mup,ntk") == [("width", "mup"), ("width", "ntk"), ("planted-target", "mup")]


def test_verify_names_no_sweep_family_or_sweep_flag():
    """The command's module holds no dispatch: no attribute of a sweep's own flags, no sweep or family name."""
    import ast
    import inspect

    from scaling_exponents.systems.registry import all_specs
    from scaling_exponents.verifier import verify

    parser = argparse.ArgumentParser()
    sweeps.add_arguments(parser)
    own_flags = {a.dest for a in parser._actions} - {"help"}
    names = {s.name for s in sweeps.declared()} | {spec.family for spec in all_specs()} - {""}
    tree = ast.parse(inspect.getsource(verify))
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id == "args"}
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert own_flags and not (used & own_flags), used & own_flags
    assert not (strings & names), strings & names
    assert {"widths", "depths", "experts", "eps", "rho", "weight_decay"} <= own_flags  # the check can fail


def test_the_width_sweeps_share_one_reading_of_widths():
    from scaling_exponents.verifier.sweeps import _sizes

    assert _sizes.width_requested(_args()) and not _sizes.width_requested(_args(depths="2,4"))
    assert _sizes.width_requested(_args(widths="64,128", depths="2,4"))
    assert _sizes.given_widths(_args(widths="128,64,128")) == [64, 128] and _sizes.given_widths(_args()) is None
    with pytest.raises(UserError, match="at least two different widths"):
        _sizes.given_widths(_args(widths="64,64"))
    with pytest.raises(UserError, match="GPT widths must be multiples of the head dimension 16; got \\[40\\]"):
        _sizes.check_width_entry(_args(model="gpt"), None, None, [32, 40])
