"""The command line: output schema, concrete factors, one-line errors with exit status 2, no torch.

Where the expected values come from: **regression: the project's own output** for the output schema and messages
(the CLI's contract); the concrete factors are **independent computation** ((N/N0)^p by hand).
"""

import json
import subprocess
import sys

import pytest

from scaling_exponents.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_derive_json_schema(capsys):
    code, out, _ = run(capsys, "derive", "--param", "mup", "--optimizer", "adam", "--alignment", "full",
                       "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["parametrization"] == "mup" and d["optimizer"] == "adam" and d["alignment"] == "full"
    assert d["source"] == {"key": "everett2024scaling", "arxiv": "2407.05872", "where": d["source"]["where"]}
    rows = {(r["role"], r["quantity"], r["dimension"]): r["power"] for r in d["rows"]}
    assert rows[("hidden", "lr", "width")] == "-1"
    assert rows[("embedding", "multiplier", "width")] == "1/2"
    assert rows[("readout", "lr", "width")] == "-1/2"
    assert d["solver"]["certified"] and d["solver"]["unique"]


def test_concrete_factors(capsys):
    code, out, _ = run(capsys, "derive", "--param", "mup", "--width", "4096", "--base-width", "256", "-f", "json")
    d = json.loads(out)
    lr = {r["role"]: r["factor"] for r in d["rows"] if r["quantity"] == "lr"}
    assert lr["hidden"] == pytest.approx(1 / 16) and lr["embedding"] == pytest.approx(1 / 4)
    code, out, _ = run(capsys, "derive", "--param", "mup", "--width", "4096", "--base-width", "256")
    assert "(x0.0625)" in out


@pytest.mark.parametrize("fmt,needle", [("text", "n^-1"), ("markdown", "| hidden |"), ("latex", r"\begin{tabular}"),
                                        ("csv", "mup,adam,full,hidden,lr,width,-1")])
def test_formats(capsys, fmt, needle):
    code, out, _ = run(capsys, "derive", "--param", "mup", "--format", fmt)
    assert code == 0 and needle in out


def test_unknown_name_suggests_closest(capsys):
    code, out, err = run(capsys, "derive", "--param", "mupp")
    assert code == 2 and out == ""
    assert "unknown parametrization 'mupp'" in err and "Did you mean 'mup'" in err and "tp4-mup" in err
    assert len(err.strip().splitlines()) == 1


def test_unsupported_optimizer_lists_supported(capsys):
    code, _, err = run(capsys, "derive", "--param", "mup-table8", "--optimizer", "adafactor")
    assert code == 2 and "supported: adam, sgd" in err


def test_missing_base_width_and_bad_option(capsys):
    code, _, err = run(capsys, "derive", "--param", "mup", "--width", "1024")
    assert code == 2 and "--base-width" in err
    code, _, err = run(capsys, "derive", "--param", "mup", "--alpha", "1")
    assert code == 2 and "takes no option --alpha" in err


def test_list_names_papers(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    for needle in ("mup", "everett2024scaling", "2407.05872", "tp4-mup", "yang2020feature", "mup-table8"):
        assert needle in out


def test_classify_and_solve(capsys):
    code, out, _ = run(capsys, "classify", "--a=-1/2,0,1/2", "--b=1/2,1/2,1/2", "--c=0")
    assert code == 0 and "feature-learning" in out and "r = 0" in out
    code, out, _ = run(capsys, "classify", "--a=0,0,0", "--b=0,1/2,1/2", "--c=0")
    assert "unstable" in out and "violates" in out
    code, out, _ = run(capsys, "solve", "--a=-1/2,0,1/2", "--b=1/2,1/2,1/2", "--alignment", "no", "-f", "json")
    d = json.loads(out)
    assert d["derived"]["c"] == {"c_1": "1/2", "c_2": "1/2", "c_3": "0"}
    code, _, err = run(capsys, "classify", "--a=x", "--b=0", "--c=0")
    assert code == 2 and "cannot read exponent 'x'" in err


def test_cold_derive_is_torch_free_and_clean_json():
    code = ("import sys, json, io, contextlib; from scaling_exponents.cli import main\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf): main(['derive', '--param', 'mup', '-f', 'json'])\n"
            "json.loads(buf.getvalue()); assert 'torch' not in sys.modules, 'derive imported torch'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    out = subprocess.run([sys.executable, "-m", "scaling_exponents", "derive", "--param", "sp", "-f", "json"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["parametrization"] == "sp"
