"""The README's environment works for the user's own code, not only for the project's import path: a fresh
``from transformers import LlamaConfig`` imports (no torchvision built for another torch is installed beside the pinned
CPU torch), and microsoft/mup, the parity oracle, imports without torchvision.

Expected values: the README's install contract (issue 23: "`from transformers import LlamaConfig` works in the
README's environment"; a torchvision 0.28 wheel beside torch 2.13 made it fail with ``operator torchvision::nms does
not exist``).

Kind: smoke test of the environment (fresh interpreters, as a user's script would start).
"""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_user_code_imports_transformers():
    proc = _run("from transformers import LlamaConfig; print(LlamaConfig().num_hidden_layers)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "32"  # transformers' LlamaConfig default (Llama-2-7B: 32 layers)


def test_mup_oracle_imports_without_torchvision():
    proc = _run("import sys, mup, mup.coord_check; print('torchvision' in sys.modules)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "False"
