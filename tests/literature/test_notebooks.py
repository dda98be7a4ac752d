"""Every notebook in notebooks/ runs top to bottom on CPU without errors and draws at least one figure.

Where the expected values come from: none: the notebooks must run and draw (a smoke test; their numbers are checked
elsewhere).

Kind: smoke test (no expected values: the notebooks must run and draw).
"""

from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("pandas")

from scaling_exponents.literature.notebooks import execute, images  # noqa: E402

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:2] == ["01_abc_phase_diagram.ipynb", "02_catalog_tour.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_and_plots(path):
    nb = execute(path, save=False, timeout=120)  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert images(nb) >= 1, f"{path.name} produced no image/png output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_outputs_and_no_local_paths(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    assert images(nb) >= 1, f"{path.name} is committed without its outputs; run `python -m scaling_exponents catalog --notebooks`"
    text = path.read_text(encoding="utf-8")
    assert "/work/shared" not in text and str(Path(__file__).resolve().parents[2]) not in text
