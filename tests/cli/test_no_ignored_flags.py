"""``derive`` flags that a path used to accept and then drop (issue 23, "an option accepted and ignored"):
``--emit`` with table-shaping flags, ``--show-system`` with machine-readable formats, an ``align`` JSON file with
options / conversions / framework flags / solver choice / base values, and the ``Parametrization`` line that
``--emit hf`` prints (it must run and apply the same table as the request: alignment, options, base depth).

Expected values: error strings are regression (the project's own output); the measured LR value is
``lr x (width / base)^-c`` with the file's ``c`` rounded to 2 decimals as ``exact_table`` rounds it
(``c = 0.23146 -> 23/100``), computed here; the emitted line is checked against a ``Parametrization`` built
directly with the same arguments.

Kind: regression (one-line errors, own output) + consistency (emitted code vs a direct call).
"""

import json
import math

import pytest

from scaling_exponents.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")

#: An `align` table as the command writes it (model mlp, width 32; numbers from one 10-step run).
ALIGN = {"format": "scaling_exponents.aligned_table/1", "param": "mup", "optimizer": "adam",
         "meta": {"model": "mlp", "width": 32, "steps": 10, "mode": "rms"},
         "layers": [
             {"name": "embed.weight", "role": "embedding", "fan_in": 64, "alpha": 0.668851, "omega": None, "u": None,
              "c": 0.522252, "c_full": 0.5, "c_no": 0.5},
             {"name": "hidden.0.weight", "role": "hidden", "fan_in": 32, "alpha": 0.724254, "omega": 0.522252,
              "u": 0.450554, "c": 0.724254, "c_full": 1.0, "c_no": 0.5},
             {"name": "head.weight", "role": "readout", "fan_in": 32, "alpha": 0.73146, "omega": 0.587383,
              "u": 0.592962, "c": 0.23146, "c_full": 0.5, "c_no": -0.0}]}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("extra, named", [
    (["--format", "json"], "--format json"),
    (["--init-std", "0.02", "--weight-decay", "0.1"], "--init-std, --weight-decay"),
    (["--show-system"], "--show-system"),
])
def test_emit_refuses_flags_it_would_drop(capsys, extra, named):
    code, out, err = run(capsys, "derive", "-p", "mup", "--emit", "hf", "--width", "1024", "--base-width", "256",
                         *extra)
    assert code == 2 and out == ""
    assert err.strip().startswith(f"error: --emit hf prints that framework's flags") and f"ignore {named}:" in err


def test_show_system_json_is_one_document_and_csv_is_refused(capsys):
    code, out, _ = run(capsys, "derive", "-p", "mup", "--show-system", "--format", "json")
    assert code == 0
    d = json.loads(out)  # before: the text system after the JSON ("Extra data")
    assert d["system"][0].startswith("System Everett et al. (adam)") and d["parametrization"] == "mup"
    code, out, err = run(capsys, "derive", "-p", "mup", "--show-system", "--format", "csv")
    assert code == 2 and out == "" and "would break the csv output" in err


@pytest.fixture
def align_file(tmp_path):
    path = tmp_path / "align_mlp_w32.json"
    path.write_text(json.dumps(ALIGN))
    return str(path)


@pytest.mark.parametrize("extra, named", [
    (["--layers", "5"], "--layers"),
    (["--show-system"], "--show-system"),
    (["--emit", "hf", "--width", "1024", "--base-width", "256"], "--emit"),
    (["--solver", "cvxpy"], "--solver cvxpy"),
])
def test_measured_table_refuses_what_it_cannot_apply(capsys, align_file, extra, named):
    code, out, err = run(capsys, "derive", "-p", "mup", "--alignment", align_file, *extra)
    assert code == 2 and out == ""
    assert "is a measured table" in err and err.strip().endswith(f"drop {named}")


def test_measured_table_prints_base_values(capsys, align_file):
    code, out, err = run(capsys, "derive", "-p", "mup", "--alignment", align_file, "--width", "1024",
                         "--base-width", "256", "--lr", "1e-3", "-f", "json")
    assert code == 0, err
    values = json.loads(out)["values"]  # before: --lr was dropped, no values
    assert values["head.weight"]["lr"]["value"] == pytest.approx(1e-3 * 4 ** -0.23, rel=1e-12)
    assert values["hidden.0.weight"]["lr"]["value"] == pytest.approx(1e-3 * 4 ** -0.72, rel=1e-12)


def _emitted_line(capsys, *argv):
    code, out, err = run(capsys, "derive", *argv, "--emit", "hf")
    assert code == 0, err
    lines = [x for x in out.splitlines() if x.startswith("param = Parametrization(")]
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("argv, direct", [
    (["-p", "mup", "-o", "adam", "--alignment", "no", "--width", "128", "--base-width", "32", "--lr", "0.01"],
     dict(param="mup", optimizer="adam", alignment="no", base_width=32, lr=0.01)),
    (["-p", "depth-mup", "--alpha", "1", "--width", "128", "--base-width", "32", "--depth", "4", "--base-depth", "2"],
     dict(param="depth-mup", optimizer="adamw", base_width=32, base_depth=2, settings={"options": {"alpha": "1"}})),
])
def test_emitted_parametrization_line_runs_and_applies_the_request(capsys, argv, direct):
    """Before: ``options={alpha=1}`` (a SyntaxError), ``{'hidden_layers': '2'}`` (not an option), and no
    alignment or base_depth (a user copying the line got alignment 'full' and no depth base)."""
    import torch

    from scaling_exponents.torch import Parametrization
    from scaling_exponents.verifier.models import GPT

    line = _emitted_line(capsys, *argv)
    torch.manual_seed(0)
    model = GPT(64, 128, 4, n_head=4, block_size=8)
    scope = {"Parametrization": Parametrization, "model": model}
    exec(line, scope)  # noqa: S102 -- the emitted code, run as a user would paste it
    torch.manual_seed(0)
    ref = Parametrization(GPT(64, 128, 4, n_head=4, block_size=8), **direct)
    got = {n: (r.lr_scale, r.multiplier) for n, r in scope["param"].records.items()}
    want = {n: (r.lr_scale, r.multiplier) for n, r in ref.records.items()}
    assert got == want
    assert scope["param"].lr_of("head.weight") == ref.lr_of("head.weight")
    if "alignment" in direct:  # 'no' alignment: hidden Adam LR n^-1/2 (Everett Table 1), not full's n^-1
        assert got["blocks.0.mlp.up.weight"][0] == pytest.approx(math.sqrt(32 / 128))


@pytest.mark.parametrize("argv, message", [
    (["-p", "muon", "--mode", "per_role", "--residual", "false"],
     "error: --residual false applies to --mode fan (a matrix inside a residual block); --mode per_role has no depth "
     "rows: drop --residual, or use --mode fan"),
    (["-p", "spectral", "-o", "sgd", "--mode", "per_role", "--regime", "fan_out<fan_in"],
     "error: --regime fan_out<fan_in picks a branch of the fan_in/fan_out max in --mode fan; --mode per_role resolves "
     "it per role (embedding/hidden/readout): drop --regime, or use --mode fan"),
    (["-p", "muon-keller", "--mode", "per_role", "--regime", "fan_out<fan_in"], "error: --regime fan_out<fan_in picks"),
])
def test_options_a_mode_ignores_are_refused(capsys, argv, message):
    """Before: the per_role table printed, identical to the one without the option (it was dropped)."""
    code, out, err = run(capsys, "derive", *argv)
    assert code == 2 and out == "" and err.strip().startswith(message)
    # the option still acts where it applies (fan mode): it changes the table
    fan = [a for a in argv if a not in ("--mode", "per_role")]
    code, with_opt, _ = run(capsys, "derive", *fan, "-f", "json")
    base = [a for a in fan if a not in ("--residual", "false", "--regime", "fan_out<fan_in")]
    code2, without, _ = run(capsys, "derive", *base, "-f", "json")
    assert code == code2 == 0 and json.loads(with_opt)["rows"] != json.loads(without)["rows"]


@pytest.mark.parametrize("param, dims", [("umup", "depth, fan_in, fan_out, head_dim"), ("moe-mup", "width, experts")])
def test_convert_to_with_nothing_to_restate_is_refused(capsys, param, dims):
    """Before: ``convert`` returned the rows unchanged under "in mup-table8's convention" with "same dynamics as
    target: True" -- vacuously, since no role was compared (u-muP's rows are along fans, MoE-muP's roles are not
    TP5's); the CLI's --convert-to refuses such tables before calling it."""
    from scaling_exponents.errors import UserError
    from scaling_exponents.systems.convert import convert
    from scaling_exponents.systems.registry import derive

    with pytest.raises(UserError, match=rf"{param} shares no role with width multiplier rows with mup-table8 "
                                        rf"\(its rows are along {dims}\): nothing to restate"):
        convert(derive(param, "adam"), "mup-table8")
    code, out, err = run(capsys, "derive", "-p", param, "--convert-to", "mup-table8")  # the CLI checks first
    assert code == 2 and out == "" and f"restates width tables with multiplier rows; {param} has none" in err


def test_convert_to_names_the_roles_it_leaves_unchanged():
    import dataclasses

    import sympy

    from scaling_exponents.systems.convert import convert
    from scaling_exponents.systems.registry import derive
    from scaling_exponents.theory.table import Row

    mup = derive("mup", "adam", "full")
    extra = dataclasses.replace(mup, rows=mup.rows + [Row("router", "lr", "width", sympy.Rational(-1))])
    restated = convert(extra, "mup-table8")
    assert "not restated (no shared width multiplier role in mup-table8): router" in restated.notes
    assert restated.power("router", "lr") == -1 and restated.derived["same dynamics as target"] is True


@pytest.mark.parametrize("argv, message", [
    (["derive", "-p", "mup", "-p", "sp"], "error: --param given twice (-p mup, then -p sp): argparse would keep only "
                                          "the last; give it once"),
    (["derive", "-p", "mup", "--width", "64", "--width=128", "--base-width", "32"],
     "error: --width given twice (--width 64, then --width 128)"),
    (["derive", "-p", "depth-mup", "--alpha", "1/2", "--alpha", "1"],
     "error: option --alpha given twice ('1/2' and '1'); give it once"),
    (["transfer", "-p", "mup", "--steps", "1", "--steps", "2"],
     "error: --steps given twice (--steps 1, then --steps 2)"),
])
def test_an_option_given_twice_is_refused(capsys, argv, message):
    """Before: argparse (and the pass-through options) kept the last value: `-p mup -p sp` derived sp, exit 0."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.strip().startswith(message)


def test_emitted_line_from_a_table_alone_carries_its_options():
    """``emit(table, "hf", sizes)`` without the request's options reads them from the table's variant (only the
    keys that are the spec's options: mup's ``hidden_layers`` is a variant, not an option)."""
    from scaling_exponents.frameworks.hf import parametrization_call
    from scaling_exponents.systems.registry import derive

    line = parametrization_call(derive("depth-mup", "adamw", alpha="1"), {"width": (128, 32), "depth": (8, 2)})
    assert line == ("param = Parametrization(model, 'depth-mup', 'adamw', base_width=32, base_depth=2, "
                    "settings={'options': {'alpha': '1'}})")
    assert parametrization_call(derive("mup", "adam"), {"width": (128, 32)}) == \
        "param = Parametrization(model, 'mup', 'adam', 'full', base_width=32)"
    compile(line, "<emitted>", "exec")
