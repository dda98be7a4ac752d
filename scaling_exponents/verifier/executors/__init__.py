"""Where a sweep's runs execute: in this process (``local``), on Ray (``ray``) or as a SLURM job array (``slurm``).

What: an *executor* runs the independent tasks of a sweep (:func:`..sweep.run_tasks`) -- each ``fn()`` one run,
fully determined by its config -- and hands every result back to the driver as it arrives; :func:`drive` is
the one loop every executor shares: keep up to ``capacity()`` tasks in flight, resubmit a failed task up to
``retry`` times, and report each start / result / retry / failure as an :class:`Event`.  The driver (the
process that called ``run_tasks``) is the only writer of the append-only result store, so a killed worker
or a killed driver loses no finished run and a rerun computes only what is missing.

Why not a scheduler of our own: Ray core tasks (:mod:`.ray`) and submitit job arrays (:mod:`.slurm`) are what
users already run on a multi-GPU node or a cluster; ``local`` (:mod:`.local`) needs neither package.
Results do not depend on the executor: every task runs through :func:`call` (same code, same config, same
seed; the number of torch threads per task is pinned with ``--cpus-per-task``, default 1 off-process).
"""

from __future__ import annotations

import collections
import time
import traceback
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ...errors import UserError

EXECUTORS = ("local", "ray", "slurm")


class SweepFailed(UserError):
    """Some runs of a sweep failed after their retries; the finished ones are stored."""


@dataclass
class Event:
    """``kind``: ``start`` | ``done`` (``value`` = the result) | ``retry`` / ``fail`` (``value`` = one-line error)."""

    kind: str
    index: int
    value: Any = None
    attempt: int = 0


def call(fn: Callable[[], dict], threads: int | None = None) -> dict:
    """Run one task where it lands (any executor): pin torch's threads if asked, time it, catch its error.

    Returns the task's result dict plus ``seconds``, or ``{"__error__": "Type: message"}`` -- an ordinary
    exception in a task is data for the driver (reported with the task's config), never a crash of the worker.
    """
    torch, before = None, None
    if threads:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(int(threads))
    t0 = time.perf_counter()
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001 - reported to the driver with the task's config
        last = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
        where = f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
        return {"__error__": f"{type(e).__name__}: {e}{where}".replace("\n", " ")}
    finally:
        if torch is not None:
            torch.set_num_threads(before)  # an in-process executor (local, slurm debug) leaves the driver as it was
    return dict(result, seconds=time.perf_counter() - t0)


class Executor:
    """Base: ``submit_all(items)`` -> handles, ``wait(handles)`` -> ``[(handle, result_or_error)]`` (>= 1 item).

    ``items`` are ``(config, fn)`` pairs.  A result is a dict; an error is a ``str``.  ``capacity()`` bounds the
    tasks in flight (so "running" in the progress bar means running).
    """

    name = "base"

    def capacity(self) -> int:
        """How many tasks may be in flight at once (1 for the base: sequential)."""
        return 1

    def submit_all(self, items: list[tuple[dict, Callable]]) -> list:
        """Start every ``(config, fn)`` item; returns one handle per item."""
        raise NotImplementedError

    def wait(self, handles: list) -> list[tuple[Any, Any]]:
        """Block until at least one handle finishes; returns ``[(handle, result dict or error str)]``."""
        raise NotImplementedError

    def close(self) -> None:
        """End of one sweep (the executor may serve the next sweep of the same command)."""

    def shutdown(self) -> None:
        """End of the command: release what the executor started."""


def drive(executor: Executor, items: list[tuple[int, dict, Callable]], retry: int = 0) -> Iterator[Event]:
    """Run ``items`` (``(index, config, fn)``) on ``executor``; yield an :class:`Event` per start/result/retry/failure."""
    if retry < 0:
        raise UserError(f"--retry must be >= 0, got {retry}")
    queue = collections.deque((i, c, f, 0) for i, c, f in items)
    inflight: dict = {}
    while queue or inflight:
        room = max(1, executor.capacity()) - len(inflight)
        batch = [queue.popleft() for _ in range(min(room, len(queue)))]
        if batch:
            for h, (i, c, f, a) in zip(executor.submit_all([(c, f) for i, c, f, a in batch]), batch):
                inflight[h] = (i, c, f, a)
                yield Event("start", i, attempt=a)
        for h, value in executor.wait(list(inflight)):
            i, c, f, a = inflight.pop(h)
            if isinstance(value, dict) and "__error__" not in value:
                yield Event("done", i, value, a)
                continue
            err = value["__error__"] if isinstance(value, dict) else str(value)
            if a < retry:
                queue.append((i, c, f, a + 1))
                yield Event("retry", i, err, a)
            else:
                yield Event("fail", i, err, a)


_LIVE: list = []  # executors holding resources (a Ray instance this process started) until :func:`shutdown`


def shutdown() -> None:
    """Release what the executors of this process hold (stop a Ray instance they started)."""
    while _LIVE:
        _LIVE.pop().shutdown()


def add_arguments(p) -> None:
    """The executor flags shared by ``verify`` and ``transfer``."""
    g = p.add_argument_group("executor (where the runs execute)")
    g.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="local: one run after another in this process (default); ray: Ray core tasks on all cores/GPUs "
                        "(pip install '.[ray]'); slurm: one submitit job array (pip install '.[slurm]')")
    g.add_argument("--retry", type=int, default=0, help="run a failed task again up to N times (default 0)")
    g.add_argument("--cpus-per-task", type=int, default=1,
                   help="CPUs (= torch threads) per off-process run, ray and slurm (default 1)")
    g.add_argument("--gpus-per-task", type=float,
                   help="GPUs per run, fractions allowed (ray, slurm); default with --device cuda: 1/4 of a GPU for "
                        "width <= 1024, 1/2 up to 4096, else 1")
    g.add_argument("--ray-address", help="join a running Ray cluster (e.g. auto or ray://host:10001) instead of "
                                         "starting a local one; its nodes need this package installed")
    g.add_argument("--ray-num-cpus", type=int, help="CPUs of the local Ray instance (default: all)")
    g.add_argument("--slurm-partition", help="SLURM partition")
    g.add_argument("--slurm-time", type=int, default=60, help="SLURM time limit per run in minutes (default 60)")
    g.add_argument("--slurm-parallelism", type=int, default=64, help="max array tasks running at once (default 64)")
    g.add_argument("--slurm-cluster", choices=("slurm", "local", "debug"), default="slurm",
                   help="submitit backend: slurm (default), local (subprocesses) or debug (in this process; tests)")


def gpu_fraction(config: dict, device: str, explicit: float | None) -> float:
    """GPUs one run asks for: ``--gpus-per-task`` if given, 0 on CPU, else a fraction by width (small runs share)."""
    if explicit is not None:
        return explicit
    if not str(device).startswith("cuda"):
        return 0.0
    w = int(config.get("width", 0) or 0)
    return 0.25 if w <= 1024 else 0.5 if w <= 4096 else 1.0


def from_args(args, out_dir=None) -> Executor:
    """The executor the flags ask for (``local`` when ``args`` has no ``executor``)."""
    name = getattr(args, "executor", None) or "local"
    cpus = getattr(args, "cpus_per_task", 1)
    gpus = getattr(args, "gpus_per_task", None)
    if cpus < 1 or (gpus is not None and gpus < 0) or getattr(args, "retry", 0) < 0:
        raise UserError("--cpus-per-task must be >= 1, --gpus-per-task >= 0 and --retry >= 0")
    device = getattr(args, "device", "cpu")
    if name == "local":
        from .local import LocalExecutor

        return LocalExecutor()
    if name == "ray":
        from .ray import RayExecutor

        return RayExecutor(address=getattr(args, "ray_address", None), num_cpus=getattr(args, "ray_num_cpus", None),
                           cpus_per_task=cpus, gpus_per_task=gpus, device=device)
    if name == "slurm":
        from .slurm import SlurmExecutor

        return SlurmExecutor(folder=str(Path(out_dir or ".") / "slurm"), cluster=args.slurm_cluster,
                             partition=args.slurm_partition, time_min=args.slurm_time, cpus_per_task=cpus,
                             gpus_per_task=gpus, parallelism=args.slurm_parallelism, device=device)
    raise UserError(f"--executor must be one of {', '.join(EXECUTORS)}; got {name!r}")
