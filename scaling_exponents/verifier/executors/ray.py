"""``--executor ray``: each run is a Ray core task; the driver keeps the store and appends results as they arrive.

``ray.init`` starts a local instance on this machine (no dashboard, usage statistics off unless the user set
``RAY_USAGE_STATS_ENABLED``) or, with ``--ray-address``, joins a running cluster whose nodes have this package
installed.  Each task asks for ``--cpus-per-task`` CPUs (= its torch threads) and, with ``--device cuda``,
a GPU share (:func:`.gpu_fraction`: several small-width runs share one GPU).  Tasks in flight are capped at
what the cluster can run at once, so the progress bar's "running" count is real.  A worker killed mid-run is
re-run by Ray itself (``max_retries``, Ray's default 3 for system failures); an exception inside a run comes
back as data and is retried only with ``--retry``.  Ray docs: https://docs.ray.io/en/latest/ray-core/tasks.html
"""

from __future__ import annotations

import os

from ...errors import UserError
from . import Executor, call, gpu_fraction


def _ray():
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray: pip install -e '.[ray]' (ray==2.60.0)") from None
    return ray


class RayExecutor(Executor):
    """Runs each task as a Ray remote call (``--executor ray``), on a cluster at ``address`` or a local instance it
    starts and owns, with per-task CPUs/GPUs and Ray's retries for lost workers."""

    name = "ray"

    def __init__(self, address=None, num_cpus=None, cpus_per_task=1, gpus_per_task=None, device="cpu",
                 system_retries=3):
        ray = _ray()
        self.cpus, self.gpus, self.device, self.system_retries = cpus_per_task, gpus_per_task, device, system_retries
        self._owns = False
        if not ray.is_initialized():
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            kw = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
            try:
                if address:
                    ray.init(address=address, **kw)
                else:
                    ray.init(num_cpus=num_cpus, **kw)
            except (ConnectionError, ValueError, RuntimeError) as e:
                raise UserError(f"--ray-address {address!r}: cannot join a Ray cluster ({e}); start one with "
                                f"`ray start --head` or drop --ray-address for a local instance") from None
            self._owns = True
            from . import _LIVE

            _LIVE.append(self)
        if str(device).startswith("cuda") and not ray.cluster_resources().get("GPU"):
            raise UserError("--device cuda with --executor ray: the Ray cluster has no GPU; use --device cpu or join a "
                            "cluster with GPUs (--ray-address)")
        self._remote = ray.remote(call)
        self._ray = ray

    def capacity(self) -> int:
        """Tasks the cluster can run at once: its CPUs (and GPUs, when asked for) divided by the per-task request."""
        res = self._ray.cluster_resources()
        n = int(res.get("CPU", 1) // max(self.cpus, 1))
        if self.gpus:
            n = min(n, int(res.get("GPU", 0) // self.gpus)) if res.get("GPU") else n
        return max(1, n)

    def submit_all(self, items):
        """Submit every item as a named Ray task with its CPU and GPU request; returns the object refs."""
        refs = []
        for config, fn in items:
            g = gpu_fraction(config, self.device, self.gpus)
            refs.append(self._remote.options(num_cpus=self.cpus, num_gpus=g, max_retries=self.system_retries,
                                             name=f"run-{config.get('kind', 'task')}-{config.get('width', '')}")
                        .remote(fn, self.cpus))
        return refs

    def wait(self, handles):
        """Wait for one ref; a crashed worker or node comes back as an error string, like a failed run."""
        ready, _ = self._ray.wait(handles, num_returns=1)
        out = []
        for ref in ready:
            try:
                out.append((ref, self._ray.get(ref)))
            except Exception as e:  # noqa: BLE001 - a crashed worker / node: reported like a failed run
                out.append((ref, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"))
        return out

    def shutdown(self) -> None:
        """Shut down the Ray instance this executor started (one it joined is left running)."""
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
        self._owns = False
