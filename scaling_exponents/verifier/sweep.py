"""Run a list of independent tasks through the results store: resumable, with a progress bar.

What: :func:`run_tasks` takes ``(config, fn)`` pairs -- ``config`` a JSON-able dict that *fully* determines
the run, ``fn()`` the run itself -- skips every config already in the :class:`~.store.ResultStore`, runs the
rest (in order in this process, or in parallel on Ray / SLURM: :mod:`.executors`) and appends each
result the moment it arrives.  Why: an interrupted sweep (Ctrl-C, a
preempted GPU job, a crash) resumes where it stopped and never recomputes or loses a finished run; and
since each task is independent, a sweep can be split over GPUs by giving each process a slice of the
task list (``shard=(i, k)``) and its own store file.
"""

from __future__ import annotations

import json
import sys
import warnings

from ..evidence.store import PROVENANCE, ResultStore


def _bar(total, desc, enabled):
    try:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, file=sys.stderr, disable=not enabled, leave=False, dynamic_ncols=True)
    except ImportError:  # pragma: no cover - tqdm is a declared dependency of the torch extra
        return _SimpleBar(total, desc, enabled)


class _SimpleBar:
    """Minimal stderr progress bar used when tqdm is missing."""

    def __init__(self, total, desc, enabled):
        self.total, self.desc, self.enabled, self.n = total, desc, enabled, 0

    def update(self, k=1):
        self.n += k
        if self.enabled:
            done = int(30 * self.n / max(self.total, 1))
            print(f"\r{self.desc} [{'#' * done}{'.' * (30 - done)}] {self.n}/{self.total}", end="", file=sys.stderr)

    def set_postfix_str(self, s):
        pass

    def close(self):
        if self.enabled:
            print(file=sys.stderr)


def run_tasks(tasks, store: ResultStore, desc: str = "runs", progress: bool = True, after_run=None,
              shard: tuple[int, int] | None = None, executor=None, retry: int = 0, on_result=None,
              provenance: dict | None = None) -> list[dict]:
    """Run ``tasks`` (list of ``(config, fn)``) not yet in ``store``; return every task's result, in order.

    ``after_run(k)`` is called after the k-th *new* run is stored (tests use it to interrupt a sweep).
    ``shard=(i, k)`` runs only tasks ``i, i+k, i+2k, ...`` (one process per device); results of the other
    shards are returned as ``None`` unless already in the store.  ``executor`` (:mod:`.executors`; default
    local, in this process) runs the tasks; this process alone appends to ``store``, each result as it arrives.
    A failed task is reported with its config and error, retried up to ``retry`` times, and does not stop the
    others; if any still failed, :class:`~.executors.SweepFailed` is raised after the others finished.
    ``on_result(config, result)`` sees every new result (experiment tracking, :mod:`.tracking`).
    ``provenance`` (:func:`~scaling_exponents.evidence.store.provenance`: the applied table's digest and the probe's
    version) is recorded in every config that has none; it is not part of the key, but a stored run made with
    another provenance is recomputed (one warning per sweep says which parametrizations and what changed), while a
    stored run without one (made before provenance was recorded) is reused as it is.
    """
    if provenance is not None:
        tasks = [(c if PROVENANCE in c else {**c, PROVENANCE: provenance}, f) for c, f in tasks]
    with store.lock():  # one sweep per results file at a time (a second is refused, not run twice)
        _warn_stale(tasks, store, shard)
        return _run_locked(tasks, store, desc, progress, after_run, shard, executor, retry, on_result)


def _warn_stale(tasks, store, shard) -> None:
    """One warning for the stored runs this sweep recomputes because their provenance differs (another table or
    probe version), grouped by parametrization and by what changed."""
    stale: dict[tuple[str, str], int] = {}
    for i, (c, _) in enumerate(tasks):
        why = store.stale(c) if shard is None or i % shard[1] == shard[0] else ""
        if why:
            what = (str(c.get("param") or c.get("table") or c.get("kind") or "?"), why)
            stale[what] = stale.get(what, 0) + 1
    if stale:
        where = store.path or "the results store"
        parts = "; ".join(f"{n} run(s) of {param} ({why})" for (param, why), n in stale.items())
        warnings.warn(f"{where}: stored runs made with another table or probe version are recomputed and replaced: "
                      f"{parts}", stacklevel=3)


def _run_locked(tasks, store, desc, progress, after_run, shard, executor, retry, on_result) -> list[dict]:
    """:func:`run_tasks` once the store's lock is held."""
    from .executors import SweepFailed, drive
    from .executors.local import LocalExecutor

    todo = [(i, c, f) for i, (c, f) in enumerate(tasks)
            if c not in store and (shard is None or i % shard[1] == shard[0])]
    executor = executor or LocalExecutor()
    bar = _bar(len(todo), desc, progress)
    new, running, failed = 0, set(), []

    def note(msg):
        if progress and hasattr(bar, "write"):
            bar.write(msg, file=sys.stderr)  # above the bar, which stays
        else:
            print(msg, file=sys.stderr)

    try:
        for ev in drive(executor, todo, retry):
            config = tasks[ev.index][0]
            if ev.kind == "start":
                running.add(ev.index)
            elif ev.kind == "done":
                running.discard(ev.index)
                store.add(config, ev.value)
                new += 1
                bar.update(1)
                if on_result is not None:
                    on_result(config, ev.value)
                if after_run is not None:
                    after_run(new)
            else:
                running.discard(ev.index)
                what = "failed, retrying" if ev.kind == "retry" else "failed"
                note(f"run {what} (attempt {ev.attempt + 1}): {json.dumps(config, sort_keys=True)}: {ev.value}")
                if ev.kind == "fail":
                    failed.append(config)
                    bar.update(1)
            bar.set_postfix_str(f"finished={new} running={len(running)} failed={len(failed)}")
    finally:
        bar.close()
        executor.close()
    if failed:
        where = f" in {store.path}" if store.path else ""
        raise SweepFailed(f"{len(failed)} of {len(todo)} runs failed (configs and errors above); the {new} finished "
                          f"are stored{where}: fix the cause and rerun the same command to run only the missing ones "
                          f"(or add --retry N)")
    return [store.get(c) for c, _ in tasks]
