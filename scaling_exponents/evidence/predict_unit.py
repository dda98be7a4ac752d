"""Predicted exponents for u-muP's unit-scale check (:mod:`scaling_exponents.verifier.probes.unit_scale`), read off
the derived ``umup`` table (arXiv 2407.17465), along ``width`` or ``depth``.

* activations at init: ``act_rms`` of the embedding and of the hidden Linears = multiplier + init_std + fan_in/2
  (CLT; unit inputs), i.e. 0 under u-muP; the residual stream 0 (tau rule keeps it unit); the logits the
  readout's multiplier + init + fan_in/2 (= -1/2 along width: muP's vanishing output at init);
* weights: ``w_rms`` = the init_std power (0: unit init);
* gradients: 0 -- the paper's claim ("activations, weights and gradients begin training with a scale of one",
  abstract), realised by the library's backward scales, which are not abc quantities and not table rows;
* the library as oracle of the table: the measured forward scale of ``unit_scaling.Linear`` / ``LinearReadout``
  vs the table's hidden / readout ``multiplier``; the last residual branch's tau vs ``residual_branch``
  multiplier; ``lr_scale_func_adam`` vs the ``lr`` rows of embedding / hidden / readout.
Width exponents come from the table's fan rows restated on the transformer's layers (:mod:`.fans`).
"""

from __future__ import annotations

from ..theory.exponents import Q
from .fans import width_view
from .predict import LayerSpec, Prediction, Predictions

PAPER = "arXiv 2407.17465 abstract (unit scale at init)"
TABLE = "derived umup table (arXiv 2407.17465; systems/umup.py)"
LIB = "graphcore unit_scaling 0.3.5 vs the derived umup table"
#: The unit-scaled transformer's weight layers as the width sees them (embedding lookup, hidden, readout).
LAYERS = [LayerSpec("embedding", "embedding", 0, 1), LayerSpec("hidden", "hidden", 1, 1),
          LayerSpec("readout", "readout", 1, 0)]


def predict_unit(table, dimension: str = "width") -> Predictions:
    """Predicted exponents of u-muP's unit-scale check along ``width`` or ``depth``, read off the ``umup`` table
    (arXiv 2407.17465): activations, gradients and updates whose unit scale the table promises (formulas in the
    module docstring)."""
    if dimension not in ("width", "depth"):
        raise ValueError(f"dimension must be width or depth, got {dimension!r}")
    view = width_view(table, LAYERS) if dimension == "width" else table
    half = Q("1/2") if dimension == "width" else Q(0)  # fan_in grows with width only
    pw = lambda role, q: Q(view.power(role, q, dimension))
    act = lambda role, fan: pw(role, "multiplier") + pw(role, "init_std") + fan
    items = [
        Prediction("embedding", "act_rms", act("embedding", 0), "multiplier + init_std (lookup of unit rows)", TABLE),
        Prediction("hidden", "act_rms", act("hidden", half), "multiplier + init_std + fan_in/2 (CLT)", TABLE),
        Prediction("stream", "act_rms", Q(0), "residual stream unit at init (tau rule, arXiv 2407.17465 App. G)", PAPER),
        Prediction("head", "act_rms", act("readout", half), "readout multiplier + init_std + fan_in/2", TABLE),
        Prediction("weights", "w_rms", pw("hidden", "init_std"), "init_std power (unit init)", TABLE),
    ]
    items += [Prediction(role, "grad_rms", Q(0), "unit-scaled gradients (library backward scales)", PAPER)
              for role in ("embedding", "hidden", "readout")]
    items += [Prediction(role, "lib_multiplier", pw(role, "multiplier"), f"table {role} multiplier", LIB)
              for role in ("hidden", "readout")]
    if dimension == "depth":
        items.append(Prediction("residual_branch", "lib_tau", pw("residual_branch", "multiplier"),
                                "table residual_branch multiplier (library tau of the last branch)", LIB))
    items += [Prediction(role, "lib_lr", pw(role, "lr"), f"table {role} lr", LIB)
              for role in ("embedding", "hidden", "readout")]
    for p in items:
        p.dimension = dimension
    return Predictions(table.parametrization, table.optimizer or "adam", "", items)
