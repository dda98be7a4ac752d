"""Run a list of independent tasks through the results store: resumable, with a progress bar.

What: :func:`run_tasks` takes ``(config, fn)`` pairs -- ``config`` a JSON-able dict that *fully* determines
the run, ``fn()`` the run itself -- skips every config already in the :class:`~.store.ResultStore`, runs the
rest in order and appends each result the moment it finishes.  Why: an interrupted sweep (Ctrl-C, a
preempted GPU job, a crash) resumes where it stopped and never recomputes or loses a finished run; and
since each task is independent, a sweep can be split over GPUs by giving each process a slice of the
task list (``shard=(i, k)``) and its own store file.
"""

from __future__ import annotations

import sys
import time

from ..evidence.store import ResultStore


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
              shard: tuple[int, int] | None = None) -> list[dict]:
    """Run ``tasks`` (list of ``(config, fn)``) not yet in ``store``; return every task's result, in order.

    ``after_run(k)`` is called after the k-th *new* run is stored (tests use it to interrupt a sweep).
    ``shard=(i, k)`` runs only tasks ``i, i+k, i+2k, ...`` (one process per device); results of the other
    shards are returned as ``None`` unless already in the store.
    """
    todo = [(i, c, f) for i, (c, f) in enumerate(tasks)
            if c not in store and (shard is None or i % shard[1] == shard[0])]
    bar = _bar(len(todo), desc, progress)
    new = 0
    try:
        for _, config, fn in todo:
            t0 = time.perf_counter()
            result = fn()
            result = dict(result, seconds=time.perf_counter() - t0)
            store.add(config, result)
            new += 1
            bar.update(1)
            if after_run is not None:
                after_run(new)
    finally:
        bar.close()
    return [store.get(c) for c, _ in tasks]
