"""Predicted width exponents for a *per-matrix* table (role ``weight``, rows along fan_in / fan_out / blocks) on a
reference model (torch-free).

A per-matrix table (Qiu et al., arXiv 2512.05620 Tables 1-2; the spectral condition, arXiv 2310.17813) puts each
matrix's init std and LR as ``fan_in^p fan_out^q``; on a width-n model a matrix has ``fan_in ∝ n^{p_in}``,
``fan_out ∝ n^{p_out}`` (:class:`.predict.LayerSpec`), so its width exponents are

    b = -(init[fan_in] p_in + init[fan_out] p_out),   c = -(lr[fan_in] p_in + lr[fan_out] p_out)

(plus the ``block_in``/``block_out`` rows with one preconditioner block per matrix, ``b = fan``).  What the update
rule adds is the size of the update's entries per unit LR, ``ΔW_ij ∝ lr n^{e}``, from each optimizer's rule applied
to the low-rank gradient ``G = delta x^T`` of a fixed batch (arXiv 2512.05620 App. B, B.1's bookkeeping):

==========  ==================================================================================================
Adam        ``e = 0``: sign-like entries (App. B.2)
Muon        ``UV^T`` of a rank-k matrix: entries ``(fan_in fan_out)^{-1/2}`` -> ``e = -(p_in + p_out)/2`` (B.4)
SOAP        Adam in the eigenbasis: a rank-k block concentrates into k coordinates, so rotated back the
            entries are ``b_out^{-e_L/2} b_in^{-e_R/2}`` -> ``e = -(e_L p_out + e_R p_in)/2`` (B.5)
Shampoo     ``(GG^T)^{-e_L} G (G^TG)^{-e_R} = U S^{1-2(e_L+e_R)} V^T``: for e_L + e_R = 1/2 Muon's entries (B.3)
Adam#Sh.    grafting takes Adam's magnitude: ``e = 0`` (Table 1: Q1#Q2 takes Q1's LR)
==========  ==================================================================================================

and the effective update exponent is ``eff = c - e`` -- which :func:`.predict.chain_predictions` takes as an Adam
layer with LR exponent ``c - e`` (Adam's ``eff = a + c``).  Everything else (activation sizes, feature changes
with Everett et al.'s alignment, spectral norms) is the same recursion as for per-role tables.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from .predict import LayerSpec, Predictions, chain_predictions

HALF = sympy.Rational(1, 2)
#: Optimizers whose update-entry exponent is derived here (others: UserError naming the ones covered).
COVERED = ("adam", "muon", "soap", "shampoo", "adam#shampoo")


def entry_exponent(table, spec: LayerSpec):
    """``e``: the update's entries per unit LR scale as ``n^e`` for this optimizer and layer (see the module doc)."""
    opt = (table.optimizer or "").lower()
    if opt in ("adam", "adam#shampoo"):  # grafting: Shampoo's direction with Adam's (sign-like) magnitude
        return sympy.Integer(0)
    if opt == "muon":
        return -HALF * (spec.p_in + spec.p_out)
    if opt == "soap":
        e_l, e_r = Q(table.variant.get("e_l", 1)), Q(table.variant.get("e_r", 1))
        return -HALF * (e_l * spec.p_out + e_r * spec.p_in)
    if opt == "shampoo":
        # (GG^T)^-eL G (G^TG)^-eR of a low-rank G = U S V^T is U S^(1-2(eL+eR)) V^T: with eL + eR = 1/2 it is UV^T
        # (Muon's entries); otherwise the entries depend on the gradient's scale, which this bookkeeping does not fix
        if Q(table.variant.get("e_l", HALF / 2)) + Q(table.variant.get("e_r", HALF / 2)) == HALF:
            return -HALF * (spec.p_in + spec.p_out)
    raise UserError(f"table {table.parametrization}: predictions for per-matrix tables cover optimizers "
                    f"{', '.join(COVERED)}; got {table.optimizer!r}")


def _power(table, quantity, spec: LayerSpec):
    return sum((Q(table.power("weight", quantity, d)) * p for d, p in
                (("fan_in", spec.p_in), ("fan_out", spec.p_out), ("block_in", spec.p_in), ("block_out", spec.p_out))),
               sympy.Integer(0))


def code_adjustment(table, spec: LayerSpec):
    """Width exponent of the LR adjustment ``a(A, B)`` the Muon code multiplies in (``A = fan_out``, ``B = fan_in``
    of an ``nn.Linear``; :mod:`scaling_exponents.systems.muon_conventions`), 0 for other tables.

    The verifier runs each convention's own adjustment (:func:`scaling_exponents.verifier.optimizers.muon_group_lr`),
    and the table's ``lr`` rows are the base LR the user sets, so the EFFECTIVE LR exponent is ``lr + a``.  The max
    is resolved per layer by which fan grows (the reference MLP: embed A = n > B = d_in, hidden A = B, head
    A = classes < B = n): ``sqrt(max(1, A/B))`` -> ``max(0, p_out - p_in)/2``; ``0.2 sqrt(max(A, B))`` ->
    ``max(p_in, p_out)/2``; Scion ``sqrt(A/B)`` -> ``(p_out - p_in)/2``.  An ``nn.Embedding`` (the GPT's ``embed`` and
    ``pos``) has ``shape[:2] = (fan_in, fan_out)``, so the code applies the transposed rule there; that is not modelled
    (the conventions are verified on the MLP, whose layers are all ``nn.Linear``)."""
    from ..systems.muon_conventions import CONVENTIONS

    if table.parametrization not in CONVENTIONS:
        return sympy.Integer(0)
    kind = CONVENTIONS[table.parametrization][0]
    p_in, p_out = Q(spec.p_in), Q(spec.p_out)
    if kind == "ratio":
        return HALF * max(Q(0), p_out - p_in)
    if kind == "rms":
        return HALF * max(p_in, p_out)
    return HALF * (p_out - p_in)


def _has_init_rows(table) -> bool:
    return any((r.role, r.quantity) == ("weight", "init_std") for r in table.rows)


def layer_abc(table, spec: LayerSpec):
    """``(a, b, c - e)`` of one layer: multiplier, init std and *effective Adam-equivalent* LR width exponents.

    A table with no ``init_std`` rows leaves PyTorch's init (std ``∝ fan_in^-1/2``: ``b = p_in/2``;
    :mod:`scaling_exponents.torch.initialise`); a Muon-convention table's LR is the base LR times the code's
    adjustment (:func:`code_adjustment`)."""
    a = -_power(table, "multiplier", spec)
    b = -_power(table, "init_std", spec) if _has_init_rows(table) else HALF * Q(spec.p_in)
    c = -_power(table, "lr", spec) - code_adjustment(table, spec)
    return a, b, c - entry_exponent(table, spec)


def _readout_alignment(preds, layers, abc):
    """Logits when the readout's init is not Θ(1/fan_in): the init readout aligns with the feature change.

    Everett et al.'s full-alignment preset takes omega = 1/2 for ``W_0 Δx``; once the features move (r_L = 0) the
    readout's initial weights and the feature update become correlated (TP4, arXiv 2011.14522 Sec. 3: stability of
    the logits needs ``a + b + r >= 1`` for the readout, i.e. omega = 1), so ``W_0 Δx ∝ n^{1 - (a+b) - r_L}``.  A
    per-matrix table gives every matrix, the readout included, ``init ∝ fan_in^{-1/2}`` ((a+b) = 1/2): the logit
    change then grows as n^{1/2} -- which is why arXiv 2512.05620 Sec. 3.1 / App. B.1 initialise the last layer at
    Θ(1/d) (its per-role table, ``derive -p muon --mode per_role``).
    """
    L = len(layers) - 1
    a, b = abc[L][0], abc[L][1]
    r_l = preds.r.get(f"r_{L}")
    p = preds.get(layers[L].name, "act_delta")
    if r_l is None or p is None:
        return
    aligned = 1 - (a + b) - r_l
    if aligned > p.exponent:
        p.exponent = aligned
        p.formula = "logits: 1 - (a+b) - r_L (init readout aligned with the feature change, TP4 a+b+r >= 1)"
        p.source = "Yang & Hu, arXiv 2011.14522, Sec. 3; arXiv 2512.05620 Sec. 3.1 (last layer Θ(1/d))"
        preds.notes.append(f"{layers[L].name} init ∝ fan_in^-1/2 under the per-matrix rows: the logit change grows as "
                           f"n^({aligned}) (the paper's per-role table initialises the readout at Θ(1/d))")


def predict_matrix(table, layers: list[LayerSpec]) -> Predictions:
    """Predictions for the reference model ``layers`` under a per-matrix ``table`` (every matrix takes ``weight`` rows)."""
    if "weight" not in table.roles:
        raise UserError(f"table {table.parametrization} has no per-matrix role 'weight' (has {', '.join(table.roles)})")
    if table.variant.get("mode", "fan") != "fan":
        raise UserError(f"table {table.parametrization} is per role (mode={table.variant.get('mode')}); use verify's "
                        "per-role path")
    abc = [layer_abc(table, s) for s in layers]
    preds = chain_predictions([x[0] for x in abc], [x[1] for x in abc], [x[2] for x in abc], "adam",
                              table.alignment, layers, table.parametrization)
    preds.optimizer = table.optimizer
    _readout_alignment(preds, layers, abc)
    preds.notes.append(
        f"per-matrix table: each matrix takes the 'weight' rows with its own fans; update entries of "
        f"{table.optimizer} per unit LR n^e with e = {', '.join(f'{s.name} {entry_exponent(table, s)}' for s in layers)} "
        "(arXiv 2512.05620 App. B, low-rank gradient of a fixed batch)")
    if not _has_init_rows(table):
        preds.notes.append("table states no init_std: PyTorch's default init is kept (std ∝ fan_in^-1/2, b = p_in/2)")
    if any(code_adjustment(table, s) != 0 for s in layers):
        preds.notes.append("effective LR = table lr x the code's adjustment a(A, B), width exponents "
                           + ", ".join(f"{s.name} {code_adjustment(table, s)}" for s in layers)
                           + " (torch.optim.Muon adjust_lr_fn; A = fan_out, B = fan_in)")
    return preds
