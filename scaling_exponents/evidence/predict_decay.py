"""Predicted exponents of what the weight-decay rules claim, from their tables (torch-free).

* ``tau_iter`` -- AdamW's weights are an EMA of its updates with timescale ``1/(eta lambda)`` steps (Wang & Aitchison,
  arXiv 2405.13698 Sec. 3), so ``tau_iter ∝ n^{-P}`` with ``P`` the table's ``lr_wd_product`` power along the swept
  dimension (width, or iterations per epoch M);
* ``tau_epoch`` (M sweep) -- ``tau_iter / M``: the rule's claim, constant in M (exponent ``-P - 1`` = 0);
* ``top_sv`` -- the largest singular value of a matrix in the AdamW steady state, the table's ``top_singular_value``
  row (Fan et al., arXiv 2510.15262 abstract: ``sqrt(eta/lambda) d^{3/4}``, held width-invariant by the rule);
* ``W_rms`` -- RMS entry at the end, ``sqrt(eta/lambda)`` for an EMA of uncorrelated unit-size Adam updates
  (``1/lambda`` if they were coherent): reported as information, since neither paper states it and the update
  statistics change with width unless the LR follows muP.
"""

from __future__ import annotations

from ..errors import UserError
from ..theory.exponents import Q
from .predict import Prediction, Predictions

WANG = "Wang & Aitchison, arXiv 2405.13698 Sec. 3 (tau_iter = 1/(eta lambda)); abstract (tau_epoch constant)"
FAN = "Fan et al., arXiv 2510.15262 abstract (sigma_max ~ sqrt(eta/lambda) d^(3/4))"
#: quantities of the decay probe (width panels of the report), with their meaning
DECAY_QUANTITIES = {"tau_iter": "steps over which the weights forget their init (EMA timescale)",
                    "top_sv": "largest singular value at the end (steady state)",
                    "W_rms": "RMS entry at the end (steady state)"}


def _has(table, role, quantity, dim=None):
    return any((r.role, r.quantity) == (role, quantity) and (dim is None or r.dimension == dim) for r in table.rows)


def predict_decay(table, layer_roles: dict, no_decay=()) -> Predictions:
    """Predictions for the layers ``{name: role}`` of a weight-decay table (layers of roles in ``no_decay`` or
    without ``lr_wd_product`` rows get none).  M rows (``*_vs_M``, dimension ``iters_per_epoch``) only when the table
    has rows along that dimension."""
    items = []
    for name, role in layer_roles.items():
        if role in no_decay or not _has(table, role, "lr_wd_product"):
            continue
        pw = Q(table.power(role, "lr_wd_product", "width"))
        items.append(Prediction(name, "tau_iter", -pw, "-(lr_wd_product power): tau_iter = 1/(eta lambda)", WANG))
        if _has(table, role, "top_singular_value"):
            items.append(Prediction(name, "top_sv", Q(table.power(role, "top_singular_value")),
                                    "the table's top_singular_value row", FAN))
        rw = (Q(table.power(role, "lr")) - Q(table.power(role, "weight_decay"))) / 2
        items.append(Prediction(name, "W_rms", rw, "(lr - weight_decay)/2: sqrt(eta/lambda), uncorrelated updates",
                                WANG, informational="no paper states the steady-state entry size; sqrt(eta/lambda) "
                                "assumes uncorrelated unit-size Adam updates whose statistics do not change with width"))
        if _has(table, role, "lr_wd_product", "iters_per_epoch"):
            pm = Q(table.power(role, "lr_wd_product", "iters_per_epoch"))
            items.append(Prediction(name, "tau_iter_vs_M", -pm, "-(lr_wd_product power along M)", WANG,
                                    dimension="iters_per_epoch"))
            items.append(Prediction(name, "tau_epoch_vs_M", -pm - 1, "tau_iter / M", WANG, dimension="iters_per_epoch"))
    if not items:
        raise UserError(f"table {table.parametrization} decays none of the layers {', '.join(layer_roles)} "
                        f"(roles {', '.join(sorted(set(layer_roles.values())))}); nothing to measure")
    return Predictions(table.parametrization, table.optimizer or "adamw", "", items)
