"""The generated catalog/: deterministic, current, cross-linked, escaped, with computed statuses.

Where the expected values come from: **regression: the project's own output** (the committed catalog/ must equal a
fresh render); a planted wrong oracle value must show as MISMATCH.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scaling_exponents.cli import main
from scaling_exponents.literature import catalog, markdown as md
from scaling_exponents.literature.bibliography import parse_bibliography_string

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "catalog"


@pytest.fixture(scope="module")
def second_run(tmp_path_factory):
    """An independent generation in another process, started first so that it runs beside the in-process one."""
    out = tmp_path_factory.mktemp("second")
    proc = subprocess.Popen([sys.executable, "-m", "scaling_exponents", "catalog", "--out", str(out), "-q"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, out


@pytest.fixture(scope="module")
def results(second_run):
    return catalog.collect()


@pytest.fixture(scope="module")
def files(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("catalog")
    return catalog.render(out, results)


def test_generation_is_deterministic(files, second_run, tmp_path):
    """A second, independent run (fresh derivations, through the CLI) writes exactly the same bytes."""
    proc, out = second_run
    stdout, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, stdout
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(files)
    for rel in written:
        assert (out / rel).read_text(encoding="utf-8") == files[rel], rel
    assert list(files) == sorted(files)
    for rel, text in files.items():  # no absolute paths, no timestamps
        assert str(ROOT) not in text and str(tmp_path) not in text, rel
        assert not re.search(r"\b20\d\d-\d\d-\d\d[ T]\d\d:\d\d", text), rel


def test_committed_catalog_is_current(results):
    """Fails when catalog/ is stale: run `python -m scaling_exponents catalog` and commit the result."""
    problems = catalog.check(COMMITTED, catalog.render(COMMITTED, results))
    assert not problems, "catalog/ is stale; regenerate with `python -m scaling_exponents catalog`: " + "; ".join(problems)


def test_check_flag_names_differing_files(results, files, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(catalog, "collect", lambda specs=None: results)  # the CLI path, without deriving again
    out = tmp_path / "cat"
    catalog.write(out, files)
    assert catalog.check(out, files) == []
    (out / "README.md").write_text("edited\n", encoding="utf-8")
    (out / "params" / "no-such-param.md").write_text("old\n", encoding="utf-8")
    (out / "parametrizations.json").unlink()
    (out / "verification").mkdir()
    (out / "verification" / "notes.txt").write_text("not ours\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["catalog", "--out", str(out), "--check"]) == 1
    msg = capsys.readouterr().out
    assert "README.md: differs" in msg
    assert "parametrizations.json: missing" in msg
    assert "params/no-such-param.md: stale" in msg
    assert "verification" not in msg
    # regenerating repairs it, removes the stale page and leaves verification/ alone
    catalog.write(out, files)
    assert not (out / "params" / "no-such-param.md").exists()
    assert (out / "verification" / "notes.txt").exists()
    assert catalog.check(out, files) == []


def test_every_spec_and_combination_is_derived(results, files):
    from scaling_exponents.systems.registry import all_specs

    specs = all_specs()
    assert [r.name for r in results] == [s.name for s in specs]
    tables = json.loads(files["parametrizations.json"])
    expected = sum(1 for r in results for c in r.combos if c.table is not None)
    assert len(tables) == expected
    for t in tables:  # the schema of `derive --format json`
        assert {"parametrization", "optimizer", "alignment", "source", "rows"} <= set(t)
        assert all(set(row) >= {"role", "quantity", "dimension", "power"} for row in t["rows"])
    for s in specs:
        assert f"params/{s.name}.md" in files
        assert f"papers/{s.source.key}.md" in files
    csv_lines = files["parametrizations.csv"].splitlines()
    assert csv_lines[0].startswith("parametrization,optimizer,alignment,variant,role,quantity,dimension,power")
    assert len(csv_lines) - 1 == sum(len(t["rows"]) for t in tables)
    assert files["references.bib"] == (ROOT / "papers" / "references.bib").read_text(encoding="utf-8")


def test_json_matches_cli_derive(files, capsys):
    tables = json.loads(files["parametrizations.json"])
    t = next(t for t in tables if (t["parametrization"], t["optimizer"], t["alignment"]) == ("mup", "adam", "full"))
    assert main(["derive", "-p", "mup", "-o", "adam", "-a", "full", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == t


def test_readme_links_papers_and_parametrizations_both_ways(results, files):
    readme = files["README.md"]
    for r in results:
        page = files[f"params/{r.name}.md"]
        # README -> parametrization page, parametrization page -> paper page and README
        assert f"](params/{r.name}.md)" in readme
        assert f"](../papers/{r.key}.md)" in page and "](../README.md" in page
        # paper page -> parametrization page; README literature entry -> paper page and parametrization
        paper = files[f"papers/{r.key}.md"]
        assert f"](../params/{r.name}.md)" in paper
        assert f'<a id="{r.key}"></a>' in readme
        entry = next(line for line in readme.splitlines() if f'<a id="{r.key}"></a>' in line)
        assert f"](papers/{r.key}.md)" in entry and f"](params/{r.name}.md)" in entry
        assert f"README.md#{r.key})" in page  # back to the literature entry


def test_literature_sections_and_links(files):
    from scaling_exponents.literature.bibliography import load_bibliography

    readme = files["README.md"]
    bib = load_bibliography()
    for heading in ("### Key papers", "### Depth", "### Weight decay", "### Resources: code"):
        assert heading in readme
    assert readme.index("### Key papers") < readme.index("### Depth") < readme.index("### Resources: blog posts")
    for key, e in bib.items():
        assert f'<a id="{key}"></a>' in readme, key
        if e.link:
            line = next(line for line in readme.splitlines() if f'<a id="{key}"></a>' in line)
            assert f"]({e.link.replace(' ', '%20')})" in line, key


TRICKY = r"""@misc{tricky2024,
  author = {M{\"u}ller, J{\"o}rg and {\L}ukasz, Kaiser and others},
  title  = {{$\mu$P$^2$}: Sharp_ness *Aware* | {Min}imization with $\frac{a_1}{b}$ \& {\'E}tude [v2] <x>},
  year   = {2024},
  eprint = {2401.00001},
  archiveprefix = {arXiv},
  keywords = {misc}
}
"""


def test_escaping_of_a_tricky_bib_title():
    e = parse_bibliography_string(TRICKY)["tricky2024"]
    text = md.escape(e.title)
    assert text.startswith("μP²: ")
    assert "{" not in text.replace("`$\\frac{a_1}{b}$`", "")  # braces gone except inside the kept math
    assert "Sharp\\_ness" in text and "\\*Aware\\*" in text and "\\|" in text
    assert "Étude" in text and "& " in text and "\\[v2\\]" in text and "\\<x\\>" in text
    assert "`$\\frac{a_1}{b}$`" in text  # unrenderable math kept verbatim as code, its _ not escaped
    cell = md.escape(e.title, in_table=True)
    assert "`$\\frac{a_1}{b}$`" in cell and cell.count("\\|") == 1
    assert md.escape("x | `$a|b$`".replace("`", ""), in_table=True).endswith("`$a\\|b$`")
    assert catalog._authors(e) == "Jörg Müller, Kaiser Łukasz et al."
    assert md.bib_text(r"Scaling {\c{c}}a $\alpha_{1}$") == "Scaling ça `$\\alpha_{1}$`"


def test_status_strings_are_computed(results, files):
    by = {r.name: r for r in results}
    # Everett et al.'s four parametrizations have oracle rows in papers/oracles/everett2024scaling.csv
    for name in ("mup", "sp", "ntk", "mfp", "tp4-mup", "mup-table8"):
        assert by[name].status.startswith(catalog.STATUS_ORACLE), (name, by[name].status)
        assert any(v.verdict == "equal" for v in by[name].verdicts)
    for r in results:
        assert r.status.startswith((catalog.STATUS_ORACLE, catalog.STATUS_DERIVED, "MISMATCH: ", "derive FAILED"))
        bad = [v for v in r.verdicts if v.verdict == "MISMATCH"]
        assert r.status.startswith("MISMATCH: ") == bool(bad), r.name
        assert f"| {md.escape(r.status, in_table=True)} |" in files["README.md"]
    # without evidence beside it the rendered catalog says so; the committed catalog carries the committed evidence:
    # tp4-mup's committed width sweep (22 rows, all pass) is its verdict
    # cell, linked to the report it came from, and no measured parametrization reads "not yet run"
    committed = (COMMITTED / "README.md").read_text(encoding="utf-8")
    row = next(line for line in committed.splitlines() if line.startswith("| [`tp4-mup`]"))
    assert "22/22 exponents" in row and "(verification/report.md)" in row and catalog.NO_GPU not in row
    assert catalog.NO_GPU in files["README.md"]


def test_a_wrong_oracle_value_is_reported_as_mismatch(monkeypatch):
    from scaling_exponents.literature import oracles
    from scaling_exponents.systems.registry import get

    spec = get("mup")
    rows = list(oracles.load("everett2024scaling"))
    i = next(i for i, r in enumerate(rows) if (r.param, r.optimizer, r.alignment, r.role, r.quantity)
             == ("mup", "adam", "full", "hidden", "lr"))
    rows[i] = oracles.OracleRow(**{**rows[i].__dict__, "power": "-1/2"})
    monkeypatch.setattr(oracles, "load", lambda name: tuple(rows) if name == "everett2024scaling" else ())
    [res] = catalog.collect([spec])
    assert res.status.startswith("MISMATCH: hidden lr (width): published -1/2, derived -1 [adam/full]"), res.status


def test_a_failing_spec_is_reported_not_raised():
    import dataclasses

    from scaling_exponents.systems.registry import get

    def broken(optimizer, alignment, **options):
        raise RuntimeError("boom at /nowhere 0xdeadbeef")

    spec = dataclasses.replace(get("mup"), name="broken-demo", build=broken)
    # derive() resolves by name, so route the cached deriver through this spec's build
    deriver = catalog._Deriver()
    deriver.registry = type("R", (), {"derive": staticmethod(lambda n, o, a, **k: broken(o, a))})
    table, err = deriver(spec, "adam", "full")
    assert table is None and err.startswith("RuntimeError: boom") and "0xdeadbeef" not in err


def test_verification_results_are_read_when_present(tmp_path):
    v = tmp_path / "verification"
    v.mkdir()
    run = {"device": "cpu", "model": "mlp", "optimizer": "adam", "passed": 22, "failed": 0, "failed_rows": []}
    (v / "results.json").write_text(json.dumps({
        "mup": {**run, "param": "mup", "status": "pass"},
        "tp4-mup:sgd": {**run, "param": "tp4-mup", "optimizer": "sgd", "status": "pass"},
        "sp": {**run, "param": "sp", "status": "fail", "passed": 21, "failed": 1, "failed_rows": ["head|act_delta"]},
    }), encoding="utf-8")
    got = catalog.load_verification(tmp_path)
    assert got["mup"] == "pass on cpu (width sweep, mlp, adam: 22/22 exponents)"
    assert got["tp4-mup"] == "pass on cpu (width sweep, mlp, sgd: 22/22 exponents)"
    # no summaries.json: the failed row is classified by papers/diagnoses/ (issue22_remeasured.csv explains it)
    assert got["sp"].startswith("FAIL: assumption broken (head|act_delta: ")
    assert got["sp"].endswith(" on cpu (width sweep, mlp, adam: 21/22 exponents)")
    (v / "depth").mkdir()
    (v / "depth" / "results.json").write_text(json.dumps({"completep@depth": {
        **run, "param": "completep", "optimizer": "adamw", "model": "resmlp", "dimension": "depth", "status": "pass",
        "passed": 11}}), encoding="utf-8")
    assert catalog.load_verification(tmp_path)["completep"] == "pass on cpu (depth sweep, resmlp, adamw: 11/11 exponents)"
    assert catalog.load_verification(tmp_path / "nothing") is None
    (v / "results.json").write_text("[1, 2]", encoding="utf-8")
    assert catalog.load_verification(tmp_path)["*"].startswith("verification/results.json unreadable")


def test_user_error_for_a_file_as_out(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["catalog", "--out", str(f)]) == 2
    assert "error:" in capsys.readouterr().err
