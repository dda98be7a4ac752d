"""What a coordinate check on a user's own model may expect from a table (torch-free).

microsoft/mup's coord-check criterion (TP5, arXiv 2203.03466, App. D.1, and the ``get_coord_data`` /
``plot_coord_data`` tools): under a feature-learning parametrization every hidden activation and its change after a
few steps stay Theta(1) in width (slope 0 on a log-log plot); one that grows with width means some layer's
init/multiplier/LR is mis-scaled.  This is a *necessary* check, not the per-layer prediction of
:mod:`.predict` (which needs the reference models' layer structure): a user's model has arbitrary modules, so only
the criterion shared by the whole muP family is stated.

Which tables are feature learning (:func:`feature_learning`), in this order:

1. the table's own derive output ``derived["regime"]`` (TP4, arXiv 2011.14522, Thms 3.6/3.8 and Cor. 3.9; the
   Everett et al. LP tables): feature learning iff it is ``"feature-learning"``;
2. ``derived["feature learning"]`` of the depth tables (CompleteP arXiv 2505.01618, depth-muP arXiv 2310.02244):
   their width rows are muP's, so width-wise they are feature learning;
3. otherwise the table's own predicted update exponents on the reference MLP (:func:`.summary.predictions_for`):
   feature learning iff every ``r_l`` (hidden layers and logits) is 0 -- TP4 Thm 3.6's criterion ``r = 0``
   computed from the table's (a, b, c); a table the predictions do not cover (per-matrix optimizers, ...) has no
   stated regime.

Expectation per module: non-readout modules 0 for ``act_init`` and ``act_delta``; the readout 0 for ``act_delta``
(TP4's nontrivial logit updates) and none for ``act_init`` (muP tables let the logits at init vanish, e.g.
``n^-1/2`` under TP5 Table 3's ``1/fan_in`` readout multiplier, while others keep them Theta(1)).  A table that is
not feature learning (SP, NTK, kernel or unstable tables) gets no expectation: every row is ``info``.
"""

from __future__ import annotations

from ..errors import UserError

QUANTITIES = ("act_init", "act_delta")
SOURCE = "TP5 arXiv 2203.03466 App. D.1 (coord check); TP4 arXiv 2011.14522 Thm 3.6 (feature learning iff r = 0)"


def feature_learning(table) -> tuple[bool | None, str]:
    """``(is_feature_learning, why)``; ``None`` when neither the table nor the predictions state a regime."""
    d = table.derived or {}
    if "regime" in d:
        return d["regime"] == "feature-learning", f"derive: regime {d['regime']}"
    if "feature learning" in d:
        return True, f"derive: width rows muP, depth: {d['feature learning']}"
    from .summary import predictions_for

    opt = (table.optimizer or "sgd").replace("adamw", "adam")
    try:
        preds = predictions_for(table, "mlp", 2, opt)
    except UserError as e:
        return None, f"no stated regime ({e})"
    bad = {k: v for k, v in preds.r.items() if v != 0}
    if bad:
        return False, "predicted r != 0 (" + ", ".join(f"{k} = {v}" for k, v in bad.items()) + ")"
    return True, "predicted r_l = 0 for every layer"


def expected(fl: bool | None, quantity: str, readout: bool) -> float | None:
    """The expected width exponent of ``quantity`` of one module, or ``None`` (no expectation: verdict info)."""
    if quantity not in QUANTITIES:
        raise UserError(f"coord-check quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    if not fl:
        return None
    if readout and quantity == "act_init":
        return None
    return 0.0
