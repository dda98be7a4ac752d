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
import warnings
from pathlib import Path

from ..errors import UserError


def prepare_out(path, flag: str = "--out") -> Path:
    """Create the output folder ``path`` and check it is writable; a one-line :class:`UserError` otherwise."""
    import tempfile

    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise UserError(f"{flag} {path} is not a writable folder ({e.strerror or e}); choose another folder") from None
    return out


def config_key(config: dict) -> str:
    """Stable 16-hex key of a config (canonical JSON: sorted keys, no whitespace)."""
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class ResultStore:
    """JSONL store; ``path=None`` keeps results in memory only."""

    def __init__(self, path: str | os.PathLike | None):
        self.path = Path(path) if path else None
        self._rows: dict[str, dict] = {}
        #: runs dropped on load (a torn last line): they are recomputed, and said so
        self.dropped = 0
        if self.path and self.path.is_dir():
            raise UserError(f"results file {self.path} is a folder; give a .jsonl file path")
        if self.path and self.path.exists():
            lines = self.path.read_text(errors="replace").splitlines()
            for i, line in enumerate(lines):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    row = None
                if not (isinstance(row, dict) and isinstance(row.get("key"), str) and "result" in row):
                    if row is None and line.lstrip().startswith("{"):  # torn line from an interrupted write
                        self.dropped += 1
                        continue
                    raise UserError(f"{self.path} line {i + 1} is not a result record (corrupted or not a results "
                                    "file); delete that line (its run is recomputed) or point --out elsewhere")
                self._rows[row["key"]] = row
            if self.dropped:
                warnings.warn(f"{self.path}: {self.dropped} truncated line(s) from an interrupted write ignored; "
                              "a run without a complete record is recomputed", stacklevel=2)

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
