"""Fixtures shared by the executor and tracking tests."""

import importlib.util
import json
from types import SimpleNamespace

import pytest

#: One tiny LR-transfer sweep (2 widths x 3 LRs, 2 seeds, 3 steps): 6 runs.
TINY_TRANSFER = ["transfer", "--param", "mup", "--widths", "16,32", "--lrs", "0.001,0.01,0.1", "--steps", "3",
                 "--seeds", "2", "--batch", "8", "--no-progress"]


def transfer_results(out) -> dict:
    """``{key: (per-seed final losses, loss curve)}`` of every run in ``out/results.jsonl``."""
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {r["key"]: (r["result"]["final"], r["result"]["curve"]) for r in rows}


@pytest.fixture(scope="session")
def tiny_transfer(tmp_path_factory):
    """The tiny sweep run once with the local executor (and ``--log tensorboard`` where tensorboard is installed):
    ``.out`` its directory, ``.argv`` its command line without ``--out``, ``.results(dir)`` as :func:`transfer_results`."""
    pytest.importorskip("torch")
    from scaling_exponents.cli import main

    out = tmp_path_factory.mktemp("tiny_transfer")
    tb = importlib.util.find_spec("tensorboard") is not None
    assert main(TINY_TRANSFER + ["--out", str(out)] + (["--log", "tensorboard"] if tb else [])) == 0
    return SimpleNamespace(out=out, argv=TINY_TRANSFER, results=transfer_results)
