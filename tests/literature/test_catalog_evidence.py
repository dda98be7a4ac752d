"""The catalog's empirical column: verdicts linked to their reports, stated reasons for what cannot be measured
here (papers/not_measured.csv), and ``catalog --check`` failing on a parametrization with neither.

Expected values: the verdict strings are built from a results.json written by the test itself (the schema of
evidence.summary.summary_json); the reason text is the test's own CSV row.

Kind: independent computation (the inputs are written by the test itself).
"""

from __future__ import annotations

import json

import pytest

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.literature.catalog import evidence

RUN = {"param": "mup", "optimizer": "adam", "model": "mlp", "device": "cpu", "status": "pass", "passed": 22,
       "failed": 0, "failed_rows": []}


def _reasons(tmp_path, text):
    f = tmp_path / "not_measured.csv"
    f.write_text(text, encoding="utf-8")
    return f


def test_reasons_are_read_and_validated(tmp_path):
    f = _reasons(tmp_path, "parametrization,reason,would_measure\nkfac,no kept K-FAC library for torch 2.13,"
                           "a K-FAC width sweep\n")
    assert evidence.load_reasons(f) == {"kfac": ("no kept K-FAC library for torch 2.13", "a K-FAC width sweep")}
    (tmp_path / "x").mkdir()
    with pytest.raises(UserError, match="lacks column"):
        evidence.load_reasons(_reasons(tmp_path / "x", "parametrization,reason\nkfac,x\n"))
    (tmp_path / "y").mkdir()
    with pytest.raises(UserError, match="line 2: parametrization, reason and would_measure"):
        evidence.load_reasons(_reasons(tmp_path / "y", "parametrization,reason,would_measure\nkfac,,\n"))
    (tmp_path / "z").mkdir()
    with pytest.raises(UserError, match="no-such-table"):
        evidence.load_reasons(_reasons(tmp_path / "z", "parametrization,reason,would_measure\nno-such-table,a,b\n"))


def test_verdicts_link_their_report_and_reasons_show(tmp_path, monkeypatch):
    v = tmp_path / "verification" / "width"
    v.mkdir(parents=True)
    (v / "results.json").write_text(json.dumps({"mup": RUN}), encoding="utf-8")
    (v / "report.md").write_text("# report\n", encoding="utf-8")
    got = evidence.load_verification(tmp_path)
    assert got["mup"] == "pass on cpu (width sweep, mlp, adam: 22/22 exponents)"
    assert got.reports == {"mup": ["verification/width/report.md"]}
    assert evidence.empirical_md("mup", got, "../").endswith("[evidence](../verification/width/report.md)")
    monkeypatch.setattr(evidence, "NOT_MEASURED", _reasons(tmp_path, "parametrization,reason,would_measure\n"
                                                                      "kfac,no kept library,a K-FAC sweep\n"))
    assert evidence._empirical("kfac", got) == "not measurable here: no kept library (would measure it: a K-FAC sweep)"
    assert evidence._empirical("sp", got) == "not in verification/results.json"


def test_check_fails_naming_a_parametrization_with_neither(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(evidence, "NOT_MEASURED", tmp_path / "absent.csv")
    v = tmp_path / "out" / "verification"
    v.mkdir(parents=True)
    (v / "results.json").write_text(json.dumps({"mup": RUN}), encoding="utf-8")
    assert main(["catalog", "--out", str(tmp_path / "out"), "-q"]) == 0
    capsys.readouterr()
    assert main(["catalog", "--out", str(tmp_path / "out"), "--check", "-q"]) == 1
    msg = capsys.readouterr().out
    assert "have neither an empirical verdict" in msg
    names = msg.split("not_measured.csv: ", 1)[1].split("; run", 1)[0].split(", ")
    assert "sp" in names and "tp4-mup" in names and "mup" not in names  # mup has a verdict
    assert msg.startswith(f"{len(names)} parametrization(s)")
