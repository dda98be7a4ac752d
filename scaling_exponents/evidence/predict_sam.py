"""Predicted width exponents of SAM's per-layer perturbation (Haas et al., arXiv 2411.00075), from a SAM table.

Torch-free.  Re-derived from the table's rows with the backward exponents of Everett et al. (arXiv 2407.05872,
:func:`~scaling_exponents.systems.everett2024.gradient_exponents`), *not* read off the SAM system's own
``derived`` block, so the measurement checks the bcd bookkeeping of :mod:`scaling_exponents.systems.sam` too.
For layer ``l`` with fans ``n^{p_in}``, ``n^{p_out}``, gradient entries ``n^{-g_l}`` (rank-one ``dh x^T``), the
table's per-layer scale ``n^{S_l}`` (``perturbation_layer_scale`` = n^{-d_l}) and net factor ``n^{P_l}``
(``perturbation`` = n^{-(d + d_l)}):

* ``grad_norm``   ``||grad_l||_F ∝ n^{G_l}``, ``G_l = -g_l + (p_in + p_out)/2``;
* the normaliser  ``||v|| ∝ n^V``, ``V = max_l (S_l + G_l)`` (App. D (D.1) asks V = 0; here it is computed);
* ``pert_norm``   ``||eps_l||_F ∝ n^{P_l + G_l - V}``;
* ``pert_effect`` RMS of ``eps_l x^{l-1}`` ``∝ n^{P_l - g_l + p_in - V}``: ``eps_l`` is along ``dh x^T`` of the same
  batch, so ``x^T x'`` sums ``n^{p_in}`` positive (ReLU) terms coherently -- App. F (F.1): Theta(1) iff effective;
* ``pert_rel``    the same divided by the layer's output size: ``n^{q_l}`` at init, ``n^{max(q_l, -r_l)}`` after the
  training steps (:func:`.predict.chain_predictions`).  When the two differ (muP's logits: n^{-1/2} at init, n^0
  after training) the trained ratio's slope at small widths is a transient, so that row is information.

Each is measured at init (quantity suffix ``_t0``) and after the training steps (no suffix).
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..systems.everett2024 import gradient_exponents
from ..theory.exponents import Q
from .predict import Prediction, Predictions, chain_predictions, role_abc

HAAS = "Haas et al., arXiv 2411.00075, App. D (D.1), App. F (F.1)"
#: quantities of the SAM probe, in display order
SAM_QUANTITIES = {
    "grad_norm": "Frobenius norm of the layer's weight gradient",
    "pert_norm": "Frobenius norm of SAM's ascent step eps_l of the layer",
    "pert_effect": "RMS coordinate of eps_l x^{l-1}: the layer's effective perturbation (F.1)",
    "pert_rel": "pert_effect relative to the RMS coordinate of the layer's output",
}


def predict_sam(table, layers) -> Predictions:
    """Predictions of the four SAM quantities for ``layers`` (embedding..readout) under a SAM table."""
    covered = {r.role for r in table.rows if r.quantity == "perturbation_layer_scale"}
    missing = sorted({s.role for s in layers} - covered)
    if not covered or missing:
        raise UserError(f"table {table.parametrization} has no SAM radius for role(s) {', '.join(missing) or 'any'}; "
                        f"SAM predictions need perturbation_layer_scale rows for every layer")
    abc = [role_abc(table, s.role) for s in layers]
    a, b, c = ([x[i] for x in abc] for i in range(3))
    opt = table.optimizer or "sgd"
    base = chain_predictions(a, b, c, opt, None, layers, table.parametrization)
    g = gradient_exponents(a, b, c, opt)
    half = sympy.Rational(1, 2)
    G = [-g[l] + half * (s.p_in + s.p_out) for l, s in enumerate(layers)]
    S = [Q(table.power(s.role, "perturbation_layer_scale")) for s in layers]
    P = [Q(table.power(s.role, "perturbation")) for s in layers]
    V = max(S[l] + G[l] for l in range(len(layers)))
    items = []
    for l, s in enumerate(layers):
        q0 = base.get(s.name, "act_init").exponent
        dq = base.get(s.name, "act_delta").exponent
        effect = P[l] - g[l] + s.p_in - V
        for suffix, size, when in (("_t0", q0, "at init"), ("", max(q0, dq), "after the training steps")):
            info = None
            if not suffix and q0 != dq:
                info = (f"the output is n^({q0}) at init and n^({dq}) after training; at small widths its size is a "
                        "mix of both, so the ratio's slope is a transient (pert_effect is the verdict row)")
            items += [
                Prediction(s.name, "grad_norm" + suffix, G[l],
                           f"-g_l + (p_in+p_out)/2 (rank-one dh x^T; g_l: Everett backward), {when}",
                           "Everett et al., arXiv 2407.05872 (gradient exponents)"),
                Prediction(s.name, "pert_norm" + suffix, P[l] + G[l] - V, f"P_l + G_l - V, V = max_l (S_l + G_l), {when}",
                           HAAS),
                Prediction(s.name, "pert_effect" + suffix, effect,
                           f"P_l - g_l + p_in - V (eps_l x coherent over fan_in), {when}", HAAS),
                Prediction(s.name, "pert_rel" + suffix, effect - size,
                           "pert_effect - " + ("q_l" if suffix else "max(q_l, -r_l)") + f", {when}", HAAS,
                           informational=info),
            ]
    preds = Predictions(table.parametrization, opt, base.alignment, items,
                        r={"V (log_n ||v||)": V, **{f"d+d_l[{s.name}]": -P[l] for l, s in enumerate(layers)}})
    if V != 0:
        preds.notes.append(f"||v|| ∝ n^{V}: (D.1) (V = 0) does not hold for this table")
    return preds


def claim(rows) -> dict:
    """Per layer: what the table predicts for its effective perturbation and whether the measurement agrees."""
    out = {}
    for r in rows:
        if r["quantity"] not in ("pert_effect", "pert_effect_t0"):
            continue
        p = r["predicted_value"]
        kind = "effectively perturbed (Theta(1))" if p == 0 else ("vanishes" if p < 0 else "blows up")
        out[r["layer"] + ("@init" if r["quantity"].endswith("_t0") else "")] = {"predicted": kind, "exponent": r["predicted"], "slope": round(r["slope"], 3),
                           "verdict": r["verdict"]}
    return out
