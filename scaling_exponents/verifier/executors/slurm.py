"""``--executor slurm``: the sweep's runs as one SLURM job array, submitted and watched with submitit.

submitit (https://github.com/facebookincubator/submitit) pickles each run, submits all of them in one
``executor.batch()`` -- one job array, at most ``--slurm-parallelism`` tasks running at once -- with
``--slurm-partition``, ``--slurm-time`` (minutes per run), ``--cpus-per-task`` and ``--gpus-per-task``
(rounded up to whole GPUs: SLURM allocates whole devices).  The driver polls the jobs and appends each result
to the store as it arrives; a failed run is resubmitted (a new, smaller array) only with ``--retry``.  If the
driver is killed, the finished results it had stored stay; a rerun resubmits only the missing runs.
``--slurm-cluster local`` runs the array as subprocesses and ``debug`` in this process (both for testing
without a cluster).  Logs and pickles go to ``OUT/slurm/``.
"""

from __future__ import annotations

import math
import time

from ...errors import UserError
from . import Executor, call, gpu_fraction


class SlurmExecutor(Executor):
    """Submits the sweep as one SLURM job array through submitit (``--executor slurm``), polling for finished jobs."""

    name = "slurm"

    def __init__(self, folder, cluster="slurm", partition=None, time_min=60, cpus_per_task=1, gpus_per_task=None,
                 parallelism=64, device="cpu", poll_s=2.0):
        try:
            import submitit
        except ImportError:
            raise UserError("--executor slurm needs submitit: pip install -e '.[slurm]' (submitit==1.5.4)") from None
        if time_min < 1 or parallelism < 1:
            raise UserError("--slurm-time and --slurm-parallelism must be >= 1")
        self.cpus, self.gpus, self.device = cpus_per_task, gpus_per_task, device
        self.poll_s = 0.0 if cluster == "debug" else poll_s
        try:
            self._ex = submitit.AutoExecutor(folder=folder, cluster=cluster)
        except RuntimeError as e:
            raise UserError(f"--executor slurm: {e}; on a machine without SLURM use --slurm-cluster local") from None
        gpus = math.ceil(gpu_fraction({"width": 0}, device, gpus_per_task))
        params = dict(timeout_min=time_min, cpus_per_task=cpus_per_task, slurm_array_parallelism=parallelism,
                      name="scaling_exponents")
        if gpus:
            params["gpus_per_node"] = gpus
        if partition:
            params["slurm_partition"] = partition
        self._ex.update_parameters(**params)

    def capacity(self) -> int:
        """Unbounded: the whole sweep goes into one array and SLURM schedules it."""
        return 1 << 30  # the whole sweep goes into one array; SLURM schedules it

    def submit_all(self, items):
        """Submit every item as one batched job array; returns the submitit jobs."""
        with self._ex.batch():
            jobs = [self._ex.submit(call, fn, self.cpus) for _, fn in items]
        return jobs

    def wait(self, handles):
        """Poll until some jobs are done and return their results (a failed job as an error string)."""
        while True:
            done = [j for j in handles if j.done()]
            if done:
                break
            time.sleep(self.poll_s)
        out = []
        for job in done:
            try:
                out.append((job, job.result()))
            except Exception as e:  # noqa: BLE001 - the job died (timeout, node failure, OOM): a failed run
                out.append((job, f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"))
        return out
