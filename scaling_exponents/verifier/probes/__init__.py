"""Probes: what the verifier measures on seed-batched runs, split by what they measure.

* :mod:`.config` -- :class:`RunConfig` (one run; its dict is the store key), device/precision, model building.
* :mod:`.seeds` -- seed batching, capture hooks, functional optimizers, shared metrics.
* :mod:`.coord` -- coordinate sizes, updates, weight norms, kernel movement across widths (:func:`coord_run`).
* :mod:`.coord_fast` -- the hand-written fast path of :func:`coord_run` for the reference MLP.
* :mod:`.kernels` -- empirical NTK, feature kernel, NNGP at init (:func:`nngp_run`).
* :mod:`.depth` -- residual stream and branches across depths (:func:`depth_run`).
"""

from .config import RunConfig, check_device, make_model, parametrize, set_precision, table_for
from .coord import coord_run
from .depth import depth_run, residual_branches
from .kernels import arccos_nngp, nngp_run
from .seeds import Capture, SeedBatch, adam_step, build_seeds, spectral_norm, weight_layers

__all__ = ["RunConfig", "check_device", "set_precision", "make_model", "table_for", "parametrize", "coord_run",
           "depth_run", "residual_branches", "nngp_run", "arccos_nngp", "SeedBatch", "Capture", "build_seeds",
           "adam_step", "spectral_norm", "weight_layers"]
