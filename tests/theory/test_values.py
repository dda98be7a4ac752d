"""Concrete per-role values (theory/values.py) and the `derive --lr` output.

Expected values: Everett et al. arXiv 2407.05872 muP for Adam (full alignment): hidden LR ∝ n^-1, embedding
and readout LR ∝ n^-1/2, init std ∝ n^-1/2 (Table 1 a, b; c from the Sec. 3 LP).  u-muP (arXiv 2407.17465):
hidden LR fan_in^-1/2 L^-1/2, embedding LR fan_out^-1/2, readout multiplier 1/fan_in (unit_scaling 0.3.5).

Kind: paper table (arXiv 2407.05872 Table 1); external library (unit_scaling 0.3.5); independent computation (the concrete factors).
"""

from __future__ import annotations

import json

import pytest

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.systems.registry import derive


def test_mup_values_at_1024_from_256():
    v = derive("mup").values({"width": (1024, 256)}, lr=1e-2, init_std=0.02)
    assert v["hidden"]["lr"]["value"] == pytest.approx(2.5e-3)
    assert v["embedding"]["lr"]["value"] == pytest.approx(5e-3)
    assert v["readout"]["lr"]["value"] == pytest.approx(5e-3)
    assert v["hidden"]["init_std"]["value"] == pytest.approx(0.01)
    assert v["embedding"]["multiplier"]["value"] == pytest.approx(2.0)
    assert v["readout"]["multiplier"]["value"] == pytest.approx(0.5)
    assert v["hidden"]["adam_eps"]["value"] is None and v["hidden"]["adam_eps"]["factor"] == pytest.approx(0.25)


def test_cli_json_gives_absolute_hidden_lr(capsys):
    assert main(["derive", "-p", "mup", "--base-width", "256", "--width", "1024", "--lr", "1e-2",
                 "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["values"]["hidden"]["lr"]["value"] == pytest.approx(2.5e-3)
    assert d["values"]["hidden"]["lr"]["base"] == pytest.approx(1e-2)


def test_cli_text_values_and_table8_convention(capsys):
    assert main(["derive", "-p", "mup", "--base-width", "256", "--width", "1024", "--lr", "1e-2",
                 "--convention", "table8"]) == 0
    out = capsys.readouterr().out
    assert "mup-table8's convention" in out
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[-6:] if ln.split() and ln.split()[0] in
            ("embedding", "hidden", "readout")}
    # TP5 Table 8 (microsoft/mup): hidden LR 1/n, readout multiplier 1/n, embedding and readout LR constant
    assert rows["hidden"][1] == "0.0025" and rows["embedding"][1] == "0.01" and rows["readout"][1] == "0.01"
    assert rows["readout"][2:5] == ["base", "x1", "0.25"]  # init std as tuned, multiplier 1/4
    assert all(len(ln) <= 100 for ln in out.splitlines())


def test_umup_fan_rows_take_width():
    t = derive("umup")
    s = {"width": (64, 16), "depth": (12, 3)}
    assert t.combined_factor("hidden", "lr", s) == pytest.approx(0.25)      # fan_in^-1/2 L^-1/2 = 4^-1/2 4^-1/2
    assert t.combined_factor("embedding", "lr", s) == pytest.approx(0.5)    # fan_out^-1/2
    assert t.combined_factor("readout", "multiplier", s) == pytest.approx(0.25)  # 1/fan_in
    recs = {(r["role"], r["quantity"], r["dimension"]): r for r in t.to_records(s)}
    assert recs[("hidden", "lr", "fan_in")]["factor"] == pytest.approx(0.5)
    assert recs[("embedding", "lr", "fan_out")]["factor"] == pytest.approx(0.5)


def test_dimension_without_rule_is_an_error(capsys):
    assert main(["derive", "-p", "mup", "--depth", "48", "--base-depth", "12"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no rule for depth" in err and "width" in err
    with pytest.raises(UserError, match="no rule for depth"):
        derive("mup").values({"width": (2, 1), "depth": (48, 12)})


def test_values_need_sizes_for_every_dimension():
    v = derive("completep").values({"width": (1024, 256)}, lr=1e-2)
    assert v["hidden"]["lr"]["value"] == pytest.approx(2.5e-3)
    assert v["hidden"]["adam_eps"]["factor"] is None and v["hidden"]["adam_eps"]["needs"] == ["depth"]


def test_vocab_sizes_the_embedding_fan_in_and_readout_fan_out():
    """theory/values.py: the two vocabulary fans take --vocab's ratio, are held fixed with width alone, and the
    other fans keep following width (u-muP readout grad-input scale fan_out^-1/2 = V^-1/2, unit_scaling 0.3.5)."""
    from scaling_exponents.theory.values import size_for

    both = {"width": (1024, 256), "vocab": (65536, 32768)}
    assert size_for("embedding", "fan_in", both) == (65536, 32768)
    assert size_for("readout", "fan_out", both) == (65536, 32768)
    assert size_for("readout", "fan_in", both) == (1024, 256) == size_for("embedding", "fan_out", both)
    assert size_for("embedding", "fan_in", {"width": (1024, 256)}) == (1, 1)
    assert size_for("hidden", "fan_in", {"vocab": (4, 1)}) is None
    f = derive("umup-ops").values({"width": (4, 1), "vocab": (16, 1), "batch": (1, 1), "depth": (1, 1)})
    assert f["readout"]["grad_input_scale"]["factor"] == pytest.approx(0.25)
