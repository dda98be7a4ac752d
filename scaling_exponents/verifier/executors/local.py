"""``--executor local`` (the default): every run in this process, one after another; needs no extra package.

The task runs inside :meth:`LocalExecutor.wait` (so the driver's loop, progress bar and store are the same
as for the off-process executors); torch keeps this process's thread setting.  Ctrl-C stops the sweep;
finished runs are already stored.
"""

from __future__ import annotations

from . import Executor, call


class LocalExecutor(Executor):
    """Runs each task in this process, one at a time when waited on (``--executor local``, the default)."""

    name = "local"

    def __init__(self, threads: int | None = None):
        self.threads = threads
        self._next = 0
        self._fns: dict = {}

    def capacity(self) -> int:
        """One task at a time: the process runs them in turn."""
        return 1

    def submit_all(self, items):
        """Queue the items (nothing runs yet); returns their sequence numbers as handles."""
        handles = []
        for _, fn in items:
            self._next += 1
            self._fns[self._next] = fn
            handles.append(self._next)
        return handles

    def wait(self, handles):
        """Run the first handle's task now and return its result (an error as a string, as every executor does)."""
        h = handles[0]
        return [(h, call(self._fns.pop(h), self.threads))]
