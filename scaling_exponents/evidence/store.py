"""Append-only JSONL results store keyed by each run's full config: resumable, never recomputes.

What: one line per finished run ``{"key": ..., "config": {...}, "result": {...}}``, flushed and fsync'ed as
soon as the run ends.  Why: a sweep interrupted at any point (Ctrl-C, preemption, a crash) loses at most the
run in flight; rerunning the same command skips every key already present.  The key is a hash of the
canonical JSON of the config, so any change of width, seed set, steps, LR, dtype, ... is a different run.
Runs are independent tasks, so several processes (one per GPU) can append to different files and the files
can be concatenated; a torn last line (killed mid-write) is ignored on load.

Provenance: a config's ``"provenance"`` entry (:func:`provenance`: the digest of the table the run applied and the
probe's version) is stored but left out of the key.  A stored run whose provenance differs from the requested one
was made under another table or probe: it is *stale*, recomputed, and the new record replaces it (latest write
wins).  A stored run without provenance (written before it existed) is trusted as it is, so the committed stores
keep being reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import warnings
from pathlib import Path

from ..errors import UserError

try:  # POSIX advisory locks; elsewhere two sweeps into one folder are not detected
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


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


def unusable_result(result) -> str:
    """Why a stored ``result`` cannot stand for its run ("" when it can): not a non-empty object, or a ``metrics``
    entry that is not a number (a string, a bool), or a NaN/inf metric its run did not report as non-finite (a
    diverged run lists its keys under ``nonfinite``; any other NaN would silently change a verdict)."""
    if not isinstance(result, dict) or not result:
        return "empty result"
    metrics = result.get("metrics")
    if metrics is None:
        return ""
    if not isinstance(metrics, dict):
        return "metrics is not an object"
    reported = set(result.get("nonfinite") or ())
    for k, v in metrics.items():
        for x in (v if isinstance(v, list) else [v]):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                return f"metric {k!r} is {x!r}, not a number"
            if not math.isfinite(x) and k not in reported:
                return f"metric {k!r} is {x} but the run did not report it non-finite"
    return ""


#: The config entry recorded with a run but left out of its key (:func:`provenance`).
PROVENANCE = "provenance"


def config_key(config: dict) -> str:
    """Stable 16-hex key of a config (canonical JSON: sorted keys, no whitespace), its ``provenance`` left out (so
    the keys of runs stored before provenance existed are unchanged)."""
    if PROVENANCE in config:
        config = {k: v for k, v in config.items() if k != PROVENANCE}
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def provenance(table, probe: str, version: int) -> dict:
    """What a run was made with, beyond its config: ``{"table": table.digest(), "probe": "NAME vN"}`` (no ``table``
    when ``table`` is None: a probe that applies no table).  Bump a probe's ``VERSION`` (next to it, in
    ``verifier/probes``) whenever the metrics it records change, and stored runs of the old version are recomputed."""
    out = {"probe": f"{probe} v{version}"}
    if table is not None:
        out["table"] = table.digest()
    return out


def provenance_change(stored: dict, requested: dict) -> str:
    """What differs between a stored and a requested config's provenance, e.g. ``table 1a2b... -> 3c4d...``; "" when
    nothing does, or when either has none (a legacy run is trusted as it is)."""
    old = stored.get(PROVENANCE) if isinstance(stored, dict) else None
    new = requested.get(PROVENANCE)
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return ""
    return ", ".join(f"{k} {old.get(k)} -> {new.get(k)}" for k in sorted(set(old) | set(new))
                     if old.get(k) != new.get(k))


class ResultStore:
    """JSONL store; ``path=None`` keeps results in memory only."""

    def __init__(self, path: str | os.PathLike | None):
        self.path = Path(path) if path else None
        self._rows: dict[str, dict] = {}
        #: runs dropped on load (a torn last line, or a record whose result is unusable): recomputed, and said so
        self.dropped = 0
        self._said: set[int] = set()  # line numbers already warned about (the lock re-reads the file)
        if self.path and self.path.is_dir():
            raise UserError(f"results file {self.path} is a folder; give a .jsonl file path")
        self._load()

    def _load(self) -> None:
        """(Re)read the file: every complete, usable record; a torn line or an unusable result is dropped with a
        warning (its run is recomputed), anything that is not a result record at all is a :class:`UserError`."""
        if not (self.path and self.path.exists()):
            return
        torn, unusable = [], []
        for i, line in enumerate(self.path.read_text(errors="replace").splitlines()):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                row = None
            if not (isinstance(row, dict) and isinstance(row.get("key"), str) and "result" in row):
                if row is None and line.lstrip().startswith("{"):  # torn line from an interrupted write
                    torn.append(i)
                    continue
                raise UserError(f"{self.path} line {i + 1} is not a result record (corrupted or not a results "
                                "file); delete that line (its run is recomputed) or point --out elsewhere")
            why = unusable_result(row["result"])
            if why:
                unusable.append((i, f"line {i + 1}: {why}"))
                self._rows.pop(row["key"], None)
                continue
            self._rows[row["key"]] = row
        self.dropped = len(torn) + len(unusable)
        new_torn = [i for i in torn if i not in self._said]
        new_unusable = [text for i, text in unusable if i not in self._said]
        self._said.update(torn + [i for i, _ in unusable])
        if new_torn:
            warnings.warn(f"{self.path}: {len(new_torn)} truncated line(s) from an interrupted write ignored; "
                          "a run without a complete record is recomputed", stacklevel=3)
        if new_unusable:
            warnings.warn(f"{self.path}: {len(new_unusable)} record(s) with an unusable result ignored and recomputed "
                          f"({'; '.join(new_unusable[:3])})", stacklevel=3)

    @contextlib.contextmanager
    def lock(self):
        """Hold the store's lock file (``results.jsonl.lock``) for one sweep: a second sweep into the same ``--out``
        is refused at once instead of computing every run twice; the lock dies with its process (kill -9 included).
        On entry the file is re-read, so runs another sweep finished meanwhile are not recomputed."""
        if not self.path or fcntl is None:
            yield self
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path.with_name(self.path.name + ".lock"), "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise UserError(f"another sweep is writing {self.path} right now; wait for it to finish (then rerun: "
                            "nothing is recomputed) or choose another --out") from None
        try:
            self._load()
            yield self
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def __contains__(self, config: dict) -> bool:
        row = self._rows.get(config_key(config))
        return row is not None and not provenance_change(row.get("config") or {}, config)

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, config: dict) -> dict | None:
        """The stored result of the run ``config`` describes, or None when it has not run or its stored run is stale
        (made with another table or probe version: :meth:`stale`) -- the resume check."""
        row = self._rows.get(config_key(config))
        return row["result"] if row and not provenance_change(row.get("config") or {}, config) else None

    def stale(self, config: dict) -> str:
        """Why the stored run of ``config`` cannot be reused although its key matches (its provenance differs, e.g.
        ``table 1a2b... -> 3c4d...``), or "" (not stored, same provenance, or a legacy run without provenance)."""
        row = self._rows.get(config_key(config))
        return provenance_change(row.get("config") or {}, config) if row else ""

    def rows(self) -> list[dict]:
        """Every stored row (``key``, ``config``, ``result``), one per distinct config, latest write winning."""
        return list(self._rows.values())

    def add(self, config: dict, result: dict) -> None:
        """Record ``result`` for ``config`` in memory and append it to the JSONL file (after repairing a torn last
        line), so a sweep interrupted at any point resumes from what it finished."""
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
