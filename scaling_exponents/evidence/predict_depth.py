"""Predicted depth exponents of a pre-LN residual network, ``h^{l+1} = h^l + L^-alpha F_l(LN(h^l))``, derived from an
:class:`ExponentTable` (torch-free).

What: ``quantity ∝ L^p`` (L = number of blocks) for the residual stream, the branches' sum, one branch and the
raw updates, from the table's depth powers (:func:`depth_exponents`).  Why: the depth verifier
(``verifier/verify_depth.py``) compares these with measured log-log slopes; the derivation follows TP6
(Yang, Yu, Zhu & Hayou, arXiv 2310.02244, Sec. 7) and CompleteP (Dey et al., arXiv 2505.01618), see
:func:`predict_depth`.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q, fmt
from .prediction import Prediction, Predictions

TP6 = "Yang, Yu, Zhu & Hayou, arXiv 2310.02244"
DEY = "Dey et al., arXiv 2505.01618"

#: Depth quantities (layer|quantity), in display order, with their meaning.
DEPTH_QUANTITIES = {
    "stream|act_init": "RMS coordinate of the residual stream h^L (input of the final norm) at init",
    "blocks_sum|act_init": "RMS coordinate of h^L - h^0 = sum of the L scaled branch outputs, at init",
    "branch|act_init": "RMS coordinate of one scaled branch output L^-alpha F_l (geometric mean over branches)",
    "stream|act_delta": "RMS coordinate of h^L_t - h^L_0 after t steps",
    "blocks_sum|act_delta": "RMS coordinate of the change of h^L - h^0 after t steps",
    "branch|own_delta": "per-block update contribution: L^-alpha [F_l(x_0; W_t) - F_l(x_0; W_0)] at the block's init input",
    "branch|input_delta": "change of one scaled branch output from its changed input: L^-alpha [F_l(x_t; W_t) - F_l(x_0; W_t)]",
    "branch|act_delta": "total change of one scaled branch output (own weights + changed input)",
    "hidden|dW_rms": "RMS entry of the update of the in-block weight matrices (geometric mean over them)",
    "embed|update_rms": "RMS entry of the raw update of the input weights (Adam: ∝ their LR)",
    "norm|update_rms": "RMS entry of the raw update of the branches' norm gains (geometric mean over blocks)",
    "final_norm|update_rms": "RMS entry of the raw update of the final norm's gain",
    "head|update_rms": "RMS entry of the raw update of the readout weights",
    "features|act_delta": "RMS coordinate of the change of the final norm's output (the readout's input)",
    "head|act_delta": "RMS coordinate of the logit change",
}


def depth_exponents(table) -> dict:
    """``alpha``, ``gamma`` and the other depth powers the depth predictions use, read off ``table``.

    * ``alpha`` = minus the depth power of the ``residual_branch`` multiplier (TP6 Eq. (1); CompleteP Table 1);
      a table without depth rows (width-only muP or SP) is an *unscaled* ResNet: ``alpha = 0``.
    * ``gamma``: in-block parameters (role ``hidden``) move by ``L^-gamma`` per step.  TP6's optimizer map (Sec. 1.1
      fn. 5) gives their LR depth power as ``-gamma`` for Adam and ``alpha - gamma`` for SGD, so inverting it:
      Adam ``gamma = -q_lr(hidden)``, SGD ``gamma = alpha - q_lr(hidden)``.
    * ``e_embed`` / ``e_readout``: depth power of the Adam update of the input / output weights (their LR's depth
      power; 0 in every table here -- they sit outside the blocks).
    """
    opt = (table.optimizer or "sgd").lower()
    alpha = -Q(table.power("residual_branch", "multiplier", "depth"))
    q_lr = Q(table.power("hidden", "lr", "depth"))
    if opt in ("adam", "adamw"):
        gamma = -q_lr
    elif opt == "sgd":
        gamma = alpha - q_lr
    else:
        raise UserError(f"depth predictions cover adam, adamw and sgd (TP6 Sec. 1.1 fn. 5); got {table.optimizer!r}")
    return {"alpha": alpha, "gamma": gamma, "e_embed": Q(table.power("embedding", "lr", "depth")),
            "e_readout": Q(table.power("readout", "lr", "depth")), "depth_rows": "depth" in table.dimensions,
            "optimizer": opt}


def predict_depth(table, model: str = "resmlp") -> Predictions:
    """Depth exponents (``quantity ∝ L^p``) of a pre-LN residual network under ``table`` (torch-free).

    Derivation, with ``a = alpha``, ``g = gamma`` from :func:`depth_exponents` (the network of TP6 Def. 6.2 and
    CompleteP Sec. 2, ``h^{l+1} = h^l + L^-a F_l(LN(h^l))``, width -> inf first, ``t = O(1)`` steps):

    * init: every branch output ``L^-a F_l`` is Θ(L^-a) (pre-LN: ``F_l`` sees a unit-size input whatever the
      stream's size), and the L outputs are uncorrelated at init (independent zero-mean ``W_l``), so their sum is
      ``L^{1/2-a}`` and the stream ``h^L = h^0 + sum`` is ``L^{max(0, 1/2-a)}`` -- TP6 Claim 7.1, CompleteP's
      "stable initialization" (D1: a >= 1/2).
    * per-block update contribution (own weights, input held at init): the linear term ``L^-a ΔW_l x`` with
      ``ΔW_l ∝ L^-g`` is ``L^{-(a+g)}``; the non-linear terms are ``L^{-a-2g}``, smaller or equal (g >= 0) --
      TP6 Claim 7.2 and CompleteP's "maximal update": each block moves the stream by Θ(1/L) iff ``a + g = 1``.
    * stream change: the L own-weight contributions are driven by the same loss gradient, so they add coherently,
      ``L · L^{-(a+g)} = L^{1-a-g}``; the input layer's update (depth power ``e_embed``) reaches h^L through the
      identity path; hence ``Δh^L ∝ L^{max(e_embed, 1-a-g)}`` -- Θ(1) for CompleteP (1, 0) and depth-muP (1/2, 1/2)
      (TP6 Claim 7.2 "stable and nontrivial": a + g = 1), ``L^1`` for an unscaled ResNet (0, 0).
    * change of the branches' sum: the coherent own-weight term ``L^{1-a-g}`` plus the incoherent propagation of
      the changed input through L random branch Jacobians, ``L^{1/2-a}`` times the stream's relative change.
    * a branch's total change: ``L^-a`` times the larger of its own-weight change ``L^-g`` and its input's relative
      change ``min(0, Δh - h)`` (LN caps a relative change at Θ(1)): depth-muP's branches are dominated by the
      input change (``L^-1/2`` vs own ``L^-1``), the layerwise linearisation of TP6 Claim 7.6 that CompleteP's
      "complete feature learning" removes (a = 1: both terms ``L^-1``).
    * in-block weight update (Adam): its LR, ``L^{q_lr(hidden)} = L^-g`` (TP6 fn. 5; CompleteP D2c g >= 0).
    * raw updates of the input weights, the norm gains and the readout (Adam only): their LR's depth power -- Adam's
      normalised step is ~LR per entry whatever the gradient's size (TP6 fn. 5); these rows see an LR rule the
      stream and logits feel only through subleading terms (``benchmarks/calibrate.py`` missed such LR errors).
    * final features (the final LN's output) and logits: the stream's relative change ``Δh - h`` capped at 0 by the
      LN; where it is > 0 (a < 1/2 with a + g < 1) the features are rewritten within O(1) steps and the rows
      are reported as information, not verdicts (the cap is approached only at large L).

    ``model`` (``resmlp`` or ``gpt``) only names the layers: a GPT block has two branches, both scaled (L counts
    blocks; 2L branches change no exponent).
    """
    if model not in ("resmlp", "gpt"):
        raise UserError(f"depth predictions are for residual networks (--model resmlp or gpt); got {model!r}")
    ex = depth_exponents(table)
    a, g, e_in, e_out = ex["alpha"], ex["gamma"], ex["e_embed"], ex["e_readout"]
    half = sympy.Rational(1, 2)
    s0 = max(sympy.Integer(0), half - a)
    own = -(a + g)
    d = max(e_in, 1 - a - g)
    rel = d - s0  # relative change of the stream
    feat = min(sympy.Integer(0), rel)
    items = []

    def add(key, p, formula, source, info=None):
        layer, quantity = key.split("|")
        items.append(Prediction(layer, quantity, sympy.nsimplify(p), formula, source, dimension="depth",
                                informational=info))

    cross = ("h^L = h^0 + (branches' sum): a Θ(1) term plus one growing as L^({p}); the growing one dominates only at "
             "large depth, so the verdict is on blocks_sum, and this row is information")
    add("stream|act_init", s0, "max(0, 1/2 - alpha): L i.i.d. branch outputs of size L^-alpha on top of h^0",
        f"{TP6} Claim 7.1; {DEY} stable init", info=cross.format(p=fmt(half - a)) if half - a > 0 else None)
    add("blocks_sum|act_init", half - a, "1/2 - alpha: sum of L uncorrelated branch outputs L^-alpha",
        f"{TP6} Claim 7.1; {DEY} stable init")
    add("branch|act_init", -a, "-alpha: the branch multiplier (pre-LN branch output Θ(1))", f"{TP6} Def. 6.2")
    add("stream|act_delta", d, "max(e_embed, 1 - alpha - gamma): L coherent block updates of size L^-(alpha+gamma)",
        f"{TP6} Claim 7.2; {DEY} maximal update",
        info=cross.replace("Θ(1)", f"L^({fmt(e_in)})").format(p=fmt(1 - a - g)) if 1 - a - g > e_in else None)
    add("blocks_sum|act_delta", max(1 - a - g, half - a + rel),
        "max(1 - alpha - gamma, 1/2 - alpha + (Δh - h)): coherent own-weight terms, incoherent input propagation",
        f"{TP6} Claim 7.2")
    add("branch|own_delta", own, "-(alpha + gamma): L^-alpha ΔW x with ΔW ∝ L^-gamma (Θ(1/L) iff alpha + gamma = 1)",
        f"{TP6} Claim 7.2; {DEY} maximal update")
    sat = ("the stream's relative change grows as L^(" + fmt(rel) + "); the LN caps it at Θ(1), a limit "
           "reached only at large depth, so this row is information, not a verdict") if rel > 0 else None
    add("branch|input_delta", -a + feat,
        "-alpha + min(0, Δh - h): L^-alpha x the relative change of the branch's normalised input",
        f"{TP6} Claim 7.6 (layerwise linearisation); {DEY} complete feature learning", info=sat)
    two = ("the sum of the own-weight term L^(" + fmt(own) + ") and the input term L^(" + fmt(-a + feat) + "): the larger "
           "dominates only at large depth, so the two terms are checked separately (own_delta, input_delta)"
           ) if own != -a + feat else sat
    add("branch|act_delta", -a + max(-g, feat),
        "-alpha + max(-gamma, min(0, Δh - h)): own-weight change vs changed (normalised) input",
        f"{TP6} Claims 7.2, 7.6; {DEY} complete feature learning", info=two)
    add("hidden|dW_rms", -g if ex["optimizer"] in ("adam", "adamw") else Q(table.power("hidden", "lr", "depth")) - a,
        "Adam: q_lr(hidden) = -gamma (update ∝ LR); SGD: LR x gradient L^(alpha-gamma) L^-alpha",
        f"{TP6} Sec. 1.1 fn. 5; {DEY} Table 1")
    if ex["optimizer"] in ("adam", "adamw"):  # Adam's step is ~LR per entry whatever the gradient's size
        for layer, role in (("embed", "embedding"), ("norm", "norm"), ("final_norm", "final_norm"), ("head", "readout")):
            add(f"{layer}|update_rms", Q(table.power(role, "lr", "depth")), f"Adam: q_lr({role}) (update ∝ LR)",
                f"{TP6} Sec. 1.1 fn. 5")
    add("features|act_delta", feat, "min(0, Δh - h): the final LN divides the stream by its size", f"{TP6} Claim 7.2",
        info=sat)
    add("head|act_delta", max(feat, e_out), "max(features, e_readout): logits move with the features and the readout",
        f"{TP6} Claim 7.2", info=sat)
    notes = []
    if not ex["depth_rows"]:
        notes.append(f"{table.parametrization} has no depth rows: an unscaled ResNet (alpha = 0, gamma = 0; "
                     "every LR depth-independent); the rows with positive exponents say what blows up with depth")
    if a < half:
        notes.append(f"alpha = {fmt(a)} < 1/2: the stream at init grows as L^({fmt(half - a)}) (TP6 Claim 7.1 violated)")
    if a + g < 1:
        notes.append(f"alpha + gamma = {fmt(a + g)} < 1: the stream's change grows as L^({fmt(1 - a - g)}) "
                     "(TP6 Claim 7.2 violated: unstable in training)")
    elif a + g > 1:
        notes.append(f"alpha + gamma = {fmt(a + g)} > 1: blocks' updates vanish relative to Θ(1/L) (trivial in depth)")
    return Predictions(table.parametrization, ex["optimizer"], table.alignment or "", items,
                       r={"alpha": a, "gamma": g, "alpha+gamma": a + g}, notes=notes)
