"""Append-only JSONL results store keyed by each run's full config: resumable, never recomputes.

What: one line per finished run ``{"key": ..., "config": {...}, "result": {...}}``, flushed and fsync'ed as
soon as the run ends.  Why: a sweep interrupted at any point (Ctrl-C, preemption, a crash) loses at most the
run in flight; rerunning the same command skips every key already present.  The key is a hash of the
canonical JSON of the config, so any change of width, seed set, steps, LR, dtype, ... is a different run.
Runs are independent tasks, so several processes (one per GPU) can append to different files and the files
can be concatenated; a torn last line (killed mid-write) is ignored on load.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def config_key(config: dict) -> str:
    """Stable 16-hex key of a config (canonical JSON: sorted keys, no whitespace)."""
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class ResultStore:
    """JSONL store; ``path=None`` keeps results in memory only."""

    def __init__(self, path: str | os.PathLike | None):
        self.path = Path(path) if path else None
        self._rows: dict[str, dict] = {}
        if self.path and self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # torn line from an interrupted write
                if isinstance(row, dict) and "key" in row:
                    self._rows[row["key"]] = row

    def __contains__(self, config: dict) -> bool:
        return config_key(config) in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, config: dict) -> dict | None:
        row = self._rows.get(config_key(config))
        return row["result"] if row else None

    def rows(self) -> list[dict]:
        return list(self._rows.values())

    def add(self, config: dict, result: dict) -> None:
        key = config_key(config)
        row = {"key": key, "config": config, "result": result}
        self._rows[key] = row
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = self.path.exists() and self.path.stat().st_size > 0 and not self.path.read_bytes().endswith(b"\n")
            with open(self.path, "a") as f:
                if torn:
                    f.write("\n")
                f.write(json.dumps(row, separators=(",", ":"), default=float) + "\n")
                f.flush()
                os.fsync(f.fileno())
