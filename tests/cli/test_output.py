"""Readable output: 100 columns by default (``--wide`` for full lines), fractions in ``classify``, the catalog
README legend in a fresh folder, ``catalog --notebooks --out`` leaving the tracked notebooks alone, a partial
``verify`` rerun merging into the existing report, finite-size hints in verdicts.

Expected values: regression: the project's own output (list/derive/classify/explain text, the catalog README legend,
report merging of catalog/verification/summaries.json, the finite-size hint wording); the 100-column limit is the
project's readability rule. One derived number: (x0.25) is u-muP's hidden LR fan_in^-1/2 L^-1/2 at 4x width and 4x
depth (arXiv 2407.17465, authors' slides 21/39), computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from scaling_exponents.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _out(capsys, *argv):
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_list_fits_100_columns_and_says_which_mup(capsys):
    out = _out(capsys, "list")
    assert max(map(len, out.splitlines())) <= 100
    assert "`mup-table8` = microsoft/mup" in out and "`sp-table3`" in out
    wide = _out(capsys, "list", "--wide")
    assert max(map(len, wide.splitlines())) > 100  # sources in full, one line per parametrization


def test_derive_fits_100_columns_unless_wide(capsys):
    argv = ["derive", "-p", "umup", "--width", "64", "--base-width", "16", "--depth", "12", "--base-depth", "3"]
    out = _out(capsys, *argv)
    assert max(map(len, out.splitlines())) <= 100
    assert "(x0.25)" in out  # hidden LR fan_in^-1/2 L^-1/2 at 4x width, 4x depth
    assert max(map(len, _out(capsys, *argv, "--wide").splitlines())) > 100


def test_classify_prints_fractions(capsys):
    out = _out(capsys, "classify", "--a=-1/2,0,1/2", "--b=1/2,1/2,1/2", "--c=0")
    assert "a = (-1/2, 0, 1/2), b = (1/2, 1/2, 1/2), c = 0" in out and "['" not in out


def test_explain_fits_100_columns():
    from scaling_exponents.torch import Parametrization
    from scaling_exponents.verifier.models import MLP

    p = Parametrization(MLP(8, 64, 4, depth=2), "mup", base_width=16)
    assert max(map(len, p.explain().splitlines())) <= 100
    assert max(map(len, p.explain(width=None).splitlines())) > 100


def test_catalog_legend_in_a_fresh_folder():
    """Without verification results the legend keeps its first part (the conditional used to swallow it)."""
    from scaling_exponents.literature.bibliography import load_bibliography
    from scaling_exponents.literature.catalog.readme import _readme

    text = _readme([], load_bibliography(), None)
    assert "Status: **derived + oracle-checked** = the paper's published table" in text
    assert "entry or covers another variant.  Empirical check: not yet run." in text


def test_catalog_notebooks_out_copies_not_tracked(tmp_path):
    from scaling_exponents.cli.catalog import _notebook_dir
    from scaling_exponents.literature.catalog.files import DEFAULT_OUT, NOTEBOOK_DIR

    tracked = {p.name: p.read_bytes() for p in NOTEBOOK_DIR.glob("*.ipynb")}
    dest = _notebook_dir(tmp_path / "cat")
    assert dest == tmp_path / "cat" / "notebooks"
    assert sorted(p.name for p in dest.glob("*.ipynb")) == sorted(tracked)
    assert _notebook_dir(DEFAULT_OUT) == NOTEBOOK_DIR
    assert {p.name: p.read_bytes() for p in NOTEBOOK_DIR.glob("*.ipynb")} == tracked


def test_partial_verify_rerun_merges(tmp_path):
    from scaling_exponents.evidence.report import write_verify_report

    all_s = json.loads((ROOT / "catalog" / "verification" / "summaries.json").read_text())
    first = {k: all_s[k] for k in ("mup", "sp")}
    write_verify_report(first, tmp_path, plots=False)
    write_verify_report({"ntk": all_s["ntk"]}, tmp_path, plots=False)  # a partial rerun
    results = json.loads((tmp_path / "results.json").read_text())
    assert sorted(results) == ["mup", "ntk", "sp"]
    report = (tmp_path / "report.md").read_text()
    assert "## mup:" in report and "## ntk:" in report and "## sp:" in report
    write_verify_report({"ntk": all_s["ntk"]}, tmp_path / "fresh", plots=False, merge=False)
    assert sorted(json.loads((tmp_path / "fresh" / "results.json").read_text())) == ["ntk"]


def test_finite_size_hint_in_verdict():
    from scaling_exponents.evidence.hints import hint
    from scaling_exponents.evidence.report import _verdict

    row = {"layer": "embed", "quantity": "W_spec", "verdict": "fail"}
    gpt = {"model": "gpt", "widths": [64, 128, 256]}
    assert "vocab 256 >= width 64" in hint(row, gpt) and "vocab 256" in _verdict(row, gpt)
    assert hint(row, {"model": "gpt", "widths": [512, 1024]}) == ""
    assert hint({**row, "verdict": "pass"}, gpt) == ""
    assert "widths from 16" in hint({"layer": "hidden.0", "quantity": "act_delta", "verdict": "fail"},
                                    {"model": "mlp", "widths": [16, 32, 64]})
