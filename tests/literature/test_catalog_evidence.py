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


def _summary_entry(param, optimizer, key, slopes, predicted):
    """A summaries.json entry with one failed row whose seed-mean local slopes are ``slopes`` (widths 64..1024)."""
    import math

    widths, values, logv = [64, 128, 256, 512, 1024], {}, 0.0
    for i, n in enumerate(widths):
        logv += slopes[i - 1] * math.log(2) if i else 0.0
        values[str(n)] = [math.exp(logv - 0.02), math.exp(logv), math.exp(logv + 0.02)]
    layer, quantity = key.split("|")
    row = {"layer": layer, "quantity": quantity, "predicted": str(predicted), "predicted_value": predicted,
           "tol": 0.15, "verdict": "fail", "values": values}
    return {"param": param, "optimizer": optimizer, "model": "mlp", "rows": [row]}


def _classified(tmp_path, monkeypatch, entries, csv_lines=()):
    """load_verification over results.json + summaries.json written here, with the test's own diagnoses."""
    from scaling_exponents.evidence import diagnoses

    folder = tmp_path / "diag"
    folder.mkdir()
    (folder / "t.csv").write_text("parametrization,sweep,model,row,class,reason,evidence\n"
                                  + "".join(line + "\n" for line in csv_lines), encoding="utf-8")
    monkeypatch.setattr(diagnoses, "FOLDER", folder)
    v = tmp_path / "verification"
    v.mkdir()
    results = {label: {**RUN, "param": e["param"], "optimizer": e["optimizer"], "status": "fail", "passed": 21,
                       "failed": 1, "failed_rows": [f"{r['layer']}|{r['quantity']}" for r in e["rows"]]}
               for label, e in entries.items()}
    (v / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (v / "summaries.json").write_text(json.dumps(entries), encoding="utf-8")
    return evidence.load_verification(tmp_path)


def test_the_catalog_cell_carries_the_class_and_the_reason(tmp_path, monkeypatch):
    got = _classified(tmp_path, monkeypatch, {
        "sp": _summary_entry("sp", "adam", "head|act_delta", [0.09, 0.25, 0.45, 0.6], 0),
        "umup": _summary_entry("umup", "adam", "hidden.0|act_delta", [-0.28, -0.19, -0.14, -0.11], 0),
        "tp4-sp-default:sgd": _summary_entry("tp4-sp-default", "sgd", "hidden.0|act_delta", [0.3] * 4, 1),
        "ntk": _summary_entry("ntk", "adam", "head|act_delta", [0.3] * 4, 0),
    }, ["sp,width,mlp,head|act_delta,assumption broken,Adam's sign update aligns the readout,arXiv 2407.05872"])
    where = "on cpu (width sweep, mlp, adam: 21/22 exponents)"
    assert got["sp"] == f"FAIL: assumption broken (head|act_delta: Adam's sign update aligns the readout) {where}"
    assert got["umup"] == f"finite size (hidden.0|act_delta) {where}"
    assert got["tp4-sp-default"].startswith("fails as predicted (hidden.0|act_delta: regime unstable, "
                                            "arXiv 2011.14522 Thm 3.3) on cpu")
    assert got["ntk"] == f"FAIL: unexplained (head|act_delta) {where}"
    assert evidence.unexplained(got) == [("ntk", "ntk", "head|act_delta")]
    assert evidence.class_counts(got) == {"fail: assumption broken": 1, "fail: unexplained": 1,
                                          "fails as predicted": 1, "finite size": 1}
    monkeypatch.setattr(evidence, "PENDING_DIAGNOSIS", frozenset({("ntk", "head|act_delta")}))
    assert evidence.unexplained(got) == []


def test_without_summaries_the_failed_rows_are_classified_by_diagnoses(tmp_path, monkeypatch):
    got = _classified(tmp_path, monkeypatch, {"sp": _summary_entry("sp", "adam", "head|act_delta", [0.3] * 4, 0)},
                      ["s?,width,*,head|*,table wrong,the table says n^0,arXiv 2407.05872"])
    (tmp_path / "verification" / "summaries.json").unlink()
    got = evidence.load_verification(tmp_path)
    assert got["sp"].startswith("FAIL: table wrong (head|act_delta: the table says n^0) on cpu")


def test_check_fails_naming_an_unexplained_fail_row(tmp_path, monkeypatch, capsys):
    from scaling_exponents.cli import catalog as cli

    _classified(tmp_path, monkeypatch, {"ntk": _summary_entry("ntk", "adam", "head|act_delta", [0.3] * 4, 0)})
    monkeypatch.setattr(cli, "collect", lambda: [])  # the files themselves are current: only the classes are checked
    monkeypatch.setattr(cli, "render", lambda out, results: {})
    monkeypatch.setattr(cli, "check", lambda out, files: [])
    monkeypatch.setattr(evidence, "PENDING_DIAGNOSIS", frozenset())
    assert main(["catalog", "--out", str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("1 FAIL row(s) have no class and no reason") and "  ntk: head|act_delta (entry ntk)" in out
    monkeypatch.setattr(evidence, "PENDING_DIAGNOSIS", frozenset({("ntk", "head|act_delta")}))
    assert main(["catalog", "--out", str(tmp_path), "--check"]) == 0
    assert "fail: unexplained 1 (1 unexplained rows pending a diagnosis" in capsys.readouterr().out
