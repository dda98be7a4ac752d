"""Predicted VOCABULARY exponents of a GPT at fixed width, from ``vocab-roles``' per-role rows (torch-free).

``vocab-roles`` (:mod:`scaling_exponents.systems.vocab_roles`) restates a per-matrix table per LM role along the
vocabulary V: embedding (fan_in V, fan_out n), hidden (n, n), readout (n, V).  At a fixed width only the ``vocab``
rows act; each measured quantity's exponent of V is computed here from those rows (nothing looked up):

* ``dW_rms`` (RMS entry of the role's W_t - W_0): a Muon table states it as its ``update_rms`` row (the code's
  adjustment times ``RMS(UV^T)``); for Adam it is the ``lr`` row, Adam's entries being ``±lr`` per step whatever the
  gradient's scale (arXiv 2512.05620 App. B.2, the sign-like update).
* ``dW_spec`` (``||W_t - W_0||_2``): the table's ``update_spectral_norm`` row where it has one (spectral, Adam:
  ``lr sqrt(fan_in fan_out)``, arXiv 2512.05620 App. B.2/B.8); for Muon the ``effective_lr`` row, since the polar
  factor ``UV^T`` has spectral norm 1 (arXiv 2512.05620 App. B.4).
* ``own_delta`` (readout; RMS over the V logits of ``(W_t - W_0) x_0``, the logit change the readout's own update
  makes) and the embedding's ``act_delta``: Condition 1's consequence (arXiv 2310.17813 Sec. 3: an update aligned
  with its input, ``||ΔW x||_2 = ||ΔW||_2 ||x||_2``, with ``||x||_2 = sqrt(fan_in)`` for Θ(1)-entry inputs), RMS over
  fan_out:  ``p(dW_spec) + v_in/2 - v_out/2`` where ``v_in``/``v_out`` are 1 where that fan is V.  This is the
  table's own reading, literally also for the embedding; Condition 1 wants it Θ(1), ``spectral_condition`` 0.
* ``dW_seen`` (embedding, Adam): RMS entry of the rows of the tokens that occur in the batch (``seen`` rows; the
  others get no gradient and Adam leaves them at 0).  Adam moves each seen row by ``±lr`` per entry however often the
  token occurs (its frequency is ∝ 1/V for uniform tokens; Adam normalises it away): the ``lr`` row's V power.  For
  the one-hot input ``||x||_2 = 1``, so the embedding's output change IS this row change (``V^{p(lr)}``), not the
  literal ``V^0``: the embedding ``act_delta`` row tests the literal reading, ``dW_seen`` the one-hot one (TP5
  Table 3, arXiv 2203.03466: Adam's input-weight LR is V-independent; see ``embedding-lr-vocab``).
* ``hidden|dW_rms``: as ``dW_rms`` (vocab power 0 for n x n matrices).

Muon embedding rows are not predicted: the polar factor of a gradient supported on the k seen rows spreads
``min(k, n)`` unit singular values over k rows, and k (distinct tokens of a fixed batch) is not a power of V.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.factors import scale_factor
from ..theory.values import VOCAB
from .predict import Prediction, Predictions

SPECTRAL = "Yang, Simon & Bernstein, arXiv 2310.17813, Cond. 1 / Sec. 3"
QIU = "Qiu et al., arXiv 2512.05620, App. B"
TP5 = "Yang et al., arXiv 2203.03466, Table 3 (one-hot input weights)"
HALF = sympy.Rational(1, 2)
#: role -> (1 if fan_in is V, 1 if fan_out is V)  (vocab_roles.LM_FANS)
VOCAB_FANS = {"embedding": (1, 0), "hidden": (0, 0), "readout": (0, 1)}
#: model layer name of each role in the reference GPT (models.gpt)
LAYERS = {"embedding": "embed", "hidden": "hidden", "readout": "head"}
COVERED = ("muon", "adam")


def _p(table, role, quantity):
    return Q(table.power(role, quantity, VOCAB))


def _has(table, role, quantity):
    return any((r.role, r.quantity, r.dimension) == (role, quantity, VOCAB) for r in table.rows)


def update_exponents(table, role: str) -> tuple:
    """``(p_rms, rms_formula, p_spec, spec_formula)``: V powers of the role's update RMS and spectral norm."""
    opt = (table.optimizer or "").lower()
    if opt == "muon":
        if not (_has(table, role, "update_rms") and _has(table, role, "effective_lr")):
            raise UserError(f"table {table.parametrization}: a Muon table needs update_rms and effective_lr vocab rows "
                            f"for {role} (vocab-roles with a Muon-convention table)")
        return (_p(table, role, "update_rms"), "update_rms row (code adjustment x RMS(UV^T))",
                _p(table, role, "effective_lr"), "effective_lr row x ||UV^T||_2 = 1")
    if opt == "adam":
        spec = (_p(table, role, "update_spectral_norm"), "update_spectral_norm row") \
            if _has(table, role, "update_spectral_norm") else \
            (_p(table, role, "lr") + HALF * sum(VOCAB_FANS[role]), "lr row + (v_in + v_out)/2 (sign matrix)")
        return (_p(table, role, "lr"), "lr row (Adam entries ±lr)") + spec
    raise UserError(f"a vocabulary sweep covers vocab-roles tables of optimizers {', '.join(COVERED)}; got "
                    f"{table.optimizer!r} (SGD's update scales with the gradient, which the table does not state)")


def predict_vocab(table) -> Predictions:
    """Predictions along V for the reference GPT under a ``vocab-roles`` table (see the module doc)."""
    roles = set(table.roles)
    if not {"embedding", "hidden", "readout"} <= roles or not any(r.dimension == VOCAB for r in table.rows):
        raise UserError(f"table {table.parametrization} has no per-role vocab rows: a vocabulary sweep needs "
                        "vocab-roles (e.g. -p vocab-roles:muon or vocab-roles:adam)")
    opt = (table.optimizer or "").lower()
    items = []

    def add(layer, q, exp, formula, source, sc=None, info=None):
        items.append(Prediction(layer, q, Q(exp), formula, source, dimension=VOCAB,
                                spectral_condition=None if sc is None else Q(sc),
                                informational=info))

    src = QIU if opt == "adam" else "torch.optim.Muon _adjust_lr; " + QIU
    for role in ("readout", "hidden"):
        p_rms, f_rms, p_spec, f_spec = update_exponents(table, role)
        add(LAYERS[role], "dW_rms", p_rms, f_rms, src)
        if role == "readout":
            v_in, v_out = VOCAB_FANS[role]
            add("head", "dW_spec", p_spec, f_spec, src, sc=HALF * (v_out - v_in))
            own = p_spec + HALF * v_in - HALF * v_out
            add("head", "own_delta", own, f"dW_spec + v_in/2 - v_out/2 = {p_spec} - 1/2 (logits of the readout's own "
                "update)", SPECTRAL, sc=0)
            add("head", "act_delta", 0, "Θ(1) logit change (Condition 1's goal)", SPECTRAL, sc=0,
                info="the total logit change adds W_0 Δh from the other layers' updates, which the readout rows do "
                     "not predict")
    if opt == "adam":
        p_rms, _, p_spec, f_spec = update_exponents(table, "embedding")
        v_in, v_out = VOCAB_FANS["embedding"]
        add("embed", "dW_seen", p_rms, "lr row: Adam moves each seen token's row by ±lr per entry, however often "
            "it occurs", f"{TP5}; {QIU}")
        add("embed", "act_delta", p_spec + HALF * v_in - HALF * v_out,
            f"literal Condition 1: {f_spec} {p_spec} + 1/2 (||x||_2 = sqrt(fan_in) = sqrt(V)); one-hot ||x||_2 = 1 "
            "gives the dW_seen exponent", SPECTRAL, sc=0)
    preds = Predictions(table.parametrization, table.optimizer, table.alignment, items)
    preds.r = {"table": table.variant.get("table", ""), "order": table.variant.get("order", "")}
    if opt == "muon":
        preds.notes.append("Muon embedding rows not predicted: its polar factor spreads min(k, n) singular values over "
                           "the k seen rows, and k is not a power of V")
    return preds


def vocab_sizes(table, vocab: int, base_vocab: int) -> dict:
    """``{dim: (size, base)}`` of a vocabulary sweep point: ``vocab`` at V over V0, every other dimension of the table
    (width) held at its base -- what the probe's :class:`~scaling_exponents.torch.Parametrization` gets."""
    return {**{r.dimension: (1, 1) for r in table.rows}, VOCAB: (vocab, base_vocab)}


def role_lrs(table, lr: float, vocab: int, base_vocab: int) -> dict:
    """``{role: LR at vocab}``: the base LR (set at ``base_vocab``) times the ``lr`` rows' factor at V over V0
    (:func:`scaling_exponents.theory.factors.scale_factor`; width fixed)."""
    sizes = vocab_sizes(table, vocab, base_vocab)
    return {role: lr * scale_factor(table, role, "lr", sizes) for role in VOCAB_FANS}
