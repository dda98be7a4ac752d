"""Execute the project's notebooks (``notebooks/*.ipynb``) on CPU with nbclient, optionally saving outputs.

Used by ``python -m scaling_exponents catalog --notebooks`` (to refresh the committed outputs) and by
``tests/test_notebooks.py``.  Timing metadata is not recorded, so a re-run changes only real outputs.
"""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["execute", "execute_all", "images"]


def execute(path: Path, *, save: bool = False, timeout: int = 120, kernel_name: str = "python3"):
    """Run every cell of ``path`` in a fresh kernel (cwd = the notebook's folder); return the notebook.

    Raises ``nbclient.exceptions.CellExecutionError`` on the first failing cell.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    if save:
        nbformat.write(nb, path)
    return nb


def execute_all(folder: Path, *, save: bool = False):
    """Execute every notebook under ``folder`` in name order; yields ``(path, seconds)``."""
    for path in sorted(Path(folder).glob("*.ipynb")):
        t0 = time.perf_counter()
        execute(path, save=save)
        yield path, time.perf_counter() - t0


def images(nb) -> int:
    """Number of ``image/png`` outputs in an executed notebook."""
    return sum(1 for cell in nb.cells if cell.get("cell_type") == "code"
               for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))
