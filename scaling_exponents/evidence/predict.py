"""Predicted width exponents of measurable quantities, derived from an :class:`ExponentTable` (torch-free).

What: for each layer of a model (embedding -> hidden... -> readout) and each measurable quantity, the exponent
``p`` in ``quantity ∝ n^p`` (n = width) that the table's (a, b, c) imply.  Why: the verifier compares these
with log-log slopes measured on real runs, so nothing here is looked up -- every number is computed from the
table's multiplier (-a), init-std (-b) and learning-rate (-c) powers with the formulas below.

Formulas (a layer ``W_eff = n^{-a} w``, ``w ~ N(0, n^{-2b})``, LR ``∝ n^{-c}``; alignment (alpha, omega, u)):

* activation coordinate size at init (CLT, independent weights): ``q_1 = -(a_1+b_1)``,
  ``q_l = q_{l-1} + 1/2 - (a_l+b_l)``, logits ``q_{L+1} = q_L + 1/2 - (a_{L+1}+b_{L+1})``
  (TP4, arXiv 2011.14522 Sec. 3 / Thm 3.3 "stable at init").
* activation change after t = O(1) steps, ``Δh_l ∝ n^{-r_l}`` with Everett et al.'s recursion
  (arXiv 2407.05872 Sec. 3): ``r_1 = eff_1``, ``r_l = min(eff_l - alpha, eff_l + r_{l-1} - u,
  (a_l+b_l) + r_{l-1} - omega)``, logits ``min(a+b+r_L-omega, step-alpha, step+r_L-u)``; ``eff_l`` is the
  exponent of the entries of ``ΔW_eff``: Adam ``a+c``, SGD ``g+a+c`` (``g`` from
  :func:`~scaling_exponents.systems.everett2024.gradient_exponents`), Adafactor ``a+b+c``.  For SGD and
  full alignment this is TP4's ``r_l`` (Prop. 5.3), which the tests check.
* weight update: RMS entry of ``ΔW_eff`` ``∝ n^{-eff_l}``; spectral norm ``||ΔW||_2 ∝ n^{-eff_l + (p_in+p_out)/2}``
  (a low-rank update of a fan_out x fan_in matrix has ``||ΔW||_2 ≈ rms * sqrt(fan_in fan_out)``); weights at
  init ``||W||_2 ∝ n^{-(a+b) + max(p_in, p_out)/2}`` (Gaussian matrix, Bai-Yin; the probe divides by
  ``(sqrt(m)+sqrt(k))/sqrt(max(m,k))`` so a fixed fan does not bend the line at small widths).  ``p_in``/``p_out`` are 1
  where that fan grows with the width.  The *spectral condition* of Yang, Simon & Bernstein
  (arXiv 2310.17813, Cond. 1) asks both to scale as ``sqrt(fan_out/fan_in)``, i.e. ``n^{(p_out-p_in)/2}``.
* feature-kernel movement ``||K_t-K_0||_F/||K_0||_F`` of the last hidden layer (``K = x x^T / n``):
  ``ΔK = (x.Δx + Δx.x + Δx.Δx)/n``.  With ``Δx ∝ n^{-r}`` per coordinate, the cross term ``x.Δx`` is a sum
  of n terms whose signs come from the backward pass, which is independent of the forward features at
  init (Yang's gradient independence, arXiv 1902.04760), so it grows like sqrt(n) not n: relative size
  ``n^{-r-1/2}``; the second-order term gives ``n^{-2r}``.  Hence ``n^{max(-r_L-1/2, -2 r_L)}`` (features
  Θ(1) at init; when they are ``n^{q_L}`` -- an unstable init -- ``|K_0| ∝ n^{2 q_L}`` and the same two terms
  give ``n^{max(-r_L-q_L-1/2, -2(r_L+q_L))}``, the movement RELATIVE to the kernel's size): muP
  ``n^0``; NTK parametrization under SGD (``r = 1/2``) ``n^{-1}`` -- the O(1/n) change of the NTK found by
  Dyer & Gur-Ari (arXiv 1909.11304), *faster* than the ``n^{-1/2}`` often quoted (that is the relative
  change of the weights and activations).  LR-weighted empirical NTK ``sum_p lr_p J_p J_p^T`` (the kernel
  of SGD's function-space dynamics, so measured for SGD only): the same form with
  ``rho = min(r_l, eff_out - (a+b)_out)`` (the readout's relative weight change enters the backward factor),
  plus a ``n^{-r}`` term from ReLU's kinks: a fraction ``∝ |Δh| = n^{-r}`` of units flip ``phi'``, which
  changes ``delta.delta`` coherently (this is why ReLU NTKs move as ``n^{-1/2}`` under NTK parametrization
  while smooth activations give ``n^{-1}``).
* NNGP at init: the empirical last-layer kernel of a ReLU MLP with stable init fluctuates around the
  arc-cosine kernel with error ``∝ n^{-1/2}`` (CLT; Neal 1996, Lee et al. arXiv 1711.00165, Matthews et al.
  arXiv 1804.11271).

Assumptions, stated rather than hidden: the inputs of every layer are Θ(1) at init (stable init) for the
update formulas; a ReLU/GELU keeps exponents; O(1) steps on a fixed batch (t does not grow with n).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..errors import UserError
from ..systems.everett2024 import ALIGNMENTS, gradient_exponents
from ..theory.exponents import Q, fmt

EVERETT = "Everett et al., arXiv 2407.05872, Sec. 3"
TP4 = "Yang & Hu, arXiv 2011.14522, Sec. 3 / Prop. 5.3"
SPECTRAL = "Yang, Simon & Bernstein, arXiv 2310.17813, Cond. 1"
DYER = "Dyer & Gur-Ari, arXiv 1909.11304 (NTK moves O(1/n)); Yang, arXiv 1902.04760 (gradient independence)"
NNGP = "Lee et al., arXiv 1711.00165; Matthews et al., arXiv 1804.11271"

#: Measurable quantities, in display order, with a one-line meaning.
QUANTITIES = {
    "act_init": "RMS coordinate of the layer output at init",
    "act_delta": "RMS coordinate of h_t - h_0 after t steps (n^{-r_l})",
    "dW_rms": "RMS entry of the effective weight update W_t - W_0",
    "dW_spec": "spectral norm of the effective weight update",
    "W_spec": "spectral norm of the effective weight at init",
    "kernel_move": "relative movement of the last hidden layer's feature kernel",
    "ntk_move": "relative movement of the LR-weighted empirical NTK on the probe set",
    "nngp_err": "relative error of the last-layer kernel vs the analytic arc-cosine NNGP kernel at init",
}


@dataclass(frozen=True)
class LayerSpec:
    """One weight layer as the theory sees it: its table role and which of its fans grow with the width."""

    name: str
    role: str  # "embedding" | "hidden" | "readout"
    p_in: int = 1
    p_out: int = 1


@dataclass
class Prediction:
    layer: str
    quantity: str
    exponent: sympy.Rational
    formula: str
    source: str
    dimension: str = "width"
    spectral_condition: sympy.Rational | None = None  # the exponent 2310.17813 asks for, if it applies
    informational: str | None = None  # why this row is reported but not counted in the verdict

    def to_dict(self):
        d = {"layer": self.layer, "quantity": self.quantity, "dimension": self.dimension,
             "exponent": fmt(self.exponent), "formula": self.formula, "source": self.source}
        if self.spectral_condition is not None:
            d["spectral_condition"] = fmt(self.spectral_condition)
        if self.informational:
            d["informational"] = self.informational
        return d


@dataclass
class Predictions:
    """All predictions for one (table, model) with the intermediate exponents (r_l, eff_l) used."""

    parametrization: str
    optimizer: str
    alignment: str
    items: list[Prediction]
    r: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def get(self, layer, quantity) -> Prediction | None:
        for p in self.items:
            if (p.layer, p.quantity) == (layer, quantity):
                return p
        return None

    def to_dict(self):
        return {"parametrization": self.parametrization, "optimizer": self.optimizer, "alignment": self.alignment,
                "r": {k: fmt(v) for k, v in self.r.items()}, "notes": self.notes,
                "predictions": [p.to_dict() for p in self.items]}


def mlp_layers(hidden_layers: int) -> list[LayerSpec]:
    """Layers of the reference MLP (models.MLP): ``embed`` (fixed fan-in), ``hidden.{i}``, ``head`` (fixed fan-out).

    ``hidden_layers = 0`` is TP4's L = 1 network (one hidden activation layer: embed then head), as tp4-mfp."""
    if hidden_layers < 0:
        raise UserError(f"the MLP needs hidden_layers >= 0 (--depth), got {hidden_layers}")
    specs = [LayerSpec("embed", "embedding", 0, 1)]
    specs += [LayerSpec(f"hidden.{i}", "hidden", 1, 1) for i in range(hidden_layers)]
    specs.append(LayerSpec("head", "readout", 1, 0))
    return specs


def role_abc(table, role: str):
    """(a, b, c) of ``role`` read off the table's width powers (multiplier = -a, init_std = -b, lr = -c)."""
    return (-Q(table.power(role, "multiplier")), -Q(table.power(role, "init_std")), -Q(table.power(role, "lr")))


def _alignment(name):
    if name in (None, "", "custom"):
        return "full", ALIGNMENTS["full"]
    if name not in ALIGNMENTS:
        raise UserError(f"no alignment preset {name!r}; choose one of {', '.join(ALIGNMENTS)}")
    return name, ALIGNMENTS[name]


def chain_predictions(a, b, c, optimizer: str, alignment: str | None, layers: list[LayerSpec],
                      parametrization: str = "custom") -> Predictions:
    """Predictions for a feed-forward chain of layers with per-layer (a, b, c) (lists, embedding..readout)."""
    a, b, c = [Q(x) for x in a], [Q(x) for x in b], [Q(x) for x in c]
    if not (len(a) == len(b) == len(c) == len(layers)) or len(layers) < 2:
        raise UserError(f"need one (a, b, c) per layer: {len(layers)} layers, got {len(a)}, {len(b)}, {len(c)}")
    opt = (optimizer or "sgd").lower()
    if opt not in ("sgd", "adam", "adafactor"):
        raise UserError(f"predictions cover sgd, adam and adafactor; got {optimizer!r}")
    al_name, (alpha, omega, u) = _alignment(alignment)
    alpha, omega, u = Q(alpha), Q(omega), Q(u)
    L = len(layers) - 1
    half = sympy.Rational(1, 2)
    g = gradient_exponents(a, b, c, opt) if opt == "sgd" else [0] * len(a)
    if opt == "adam":
        eff = [a[l] + c[l] for l in range(L + 1)]
        eff_f = "a+c (Adam: update entries ∝ LR)"
    elif opt == "sgd":
        eff = [g[l] + a[l] + c[l] for l in range(L)] + [2 * a[L] + c[L]]
        eff_f = "g+a+c (SGD: LR x gradient, g = G + a)"
    else:
        eff = [a[l] + b[l] + c[l] for l in range(L + 1)]
        eff_f = "a+b+c (Adafactor: update ∝ parameter RMS)"
    items, r, q = [], {}, []
    # init coordinate sizes
    for l, spec in enumerate(layers):
        prev = q[-1] if q and spec.role != "embedding" else 0
        ql = -(a[l] + b[l]) + (half * spec.p_in if spec.p_in else 0) + prev
        q.append(ql)
        items.append(Prediction(spec.name, "act_init", ql, "q_l = q_{l-1} + p_in/2 - (a_l+b_l)", TP4))
    # activation updates; ``prev`` is the r of the current layer's input (min over parallel embeddings)
    rl, prev = [], None
    for l, spec in enumerate(layers):
        if spec.role == "embedding":
            val = eff[l]
            formula = "r_1 = eff_1"
            prev = val if prev is None or layers[l - 1].role != "embedding" else min(prev, val)
        elif l < L:
            val = min(eff[l] - alpha, eff[l] + prev - u, (a[l] + b[l]) + prev - omega)
            formula = "r_l = min(eff-alpha, eff+r_{l-1}-u, a+b+r_{l-1}-omega)"
            prev = val
        else:
            val = min(a[l] + b[l] + prev - omega, eff[l] - alpha, eff[l] + prev - u)
            formula = "logits: min(a+b+r_L-omega, eff-alpha, eff+r_L-u)"
        rl.append(val)
        r[f"r_{l + 1}" if l < L else "logit"] = val
        items.append(Prediction(spec.name, "act_delta", -val, formula, EVERETT))
    # weights
    for l, spec in enumerate(layers):
        cond = half * (spec.p_out - spec.p_in)
        items.append(Prediction(spec.name, "dW_rms", -eff[l], f"-eff_l, eff = {eff_f}", EVERETT))
        items.append(Prediction(spec.name, "dW_spec", -eff[l] + half * (spec.p_in + spec.p_out),
                                "-eff_l + (p_in+p_out)/2 (low-rank update)", EVERETT, spectral_condition=cond))
        items.append(Prediction(spec.name, "W_spec", -(a[l] + b[l]) + half * max(spec.p_in, spec.p_out),
                                "-(a+b) + max(p_in,p_out)/2 (Gaussian matrix)", SPECTRAL, spectral_condition=cond))
    rL, qL = rl[L - 1], q[L - 1]
    if qL == 0:
        items.append(Prediction("features", "kernel_move", max(-rL - half, -2 * rL),
                                "max(-r_L - 1/2, -2 r_L) (x.dx incoherent at init, dx.dx second order)", TP4))
    else:  # features n^q at init: |K_0| ∝ n^{2q}, x.dx/n ∝ n^{q-r-1/2}, dx.dx/n ∝ n^{-2r} (module docstring)
        items.append(Prediction("features", "kernel_move", max(-rL - qL - half, -2 * (rL + qL)),
                                f"max(-r_L - q_L - 1/2, -2 (r_L + q_L)), q_L = {fmt(qL)} (relative to |K_0| ∝ n^(2 q_L); "
                                "x.dx incoherent, dx.dx second order)", f"{TP4}; {DYER}"))
    rho = min(min(rl[:L]), eff[L] - (a[L] + b[L]))
    rmin = min(rl[:L])
    items.append(Prediction("model", "ntk_move", max(-rho - half, -2 * rho, -rmin),
                            "max(-rho-1/2, -2rho, -r), rho = min(r_l, eff_out-(a+b)_out); -r: ReLU kinks", DYER))
    notes = []
    if any(x != 0 for x in q[:L]):
        notes.append("init is not stable (hidden coordinates scale with width): the update formulas assume "
                     "Θ(1) inputs and are only indicative")
    return Predictions(parametrization, opt, al_name, items, r=r, notes=notes)


def predict(table, layers: list[LayerSpec]) -> Predictions:
    """Predictions for ``layers`` under a derived :class:`ExponentTable` (roles looked up per layer)."""
    roles = set(table.roles)
    for spec in layers:
        if spec.role not in roles:
            hint = ("; it is a one-hidden-layer (L = 1) table: run the MLP with --depth 0"
                    if spec.role == "hidden" and {"embedding", "readout"} <= roles else "")
            raise UserError(f"table {table.parametrization} has no role {spec.role!r} (has {', '.join(sorted(roles))})"
                            + hint)
    abc = [role_abc(table, spec.role) for spec in layers]
    preds = chain_predictions([x[0] for x in abc], [x[1] for x in abc], [x[2] for x in abc],
                              table.optimizer or "sgd", table.alignment, layers, table.parametrization)
    preds.items.append(Prediction("model", "nngp_err", sympy.Rational(-1, 2), "CLT fluctuation of the kernel", NNGP))
    return preds


def predict_named(param: str, optimizer: str | None = None, alignment: str | None = None,
                  hidden_layers: int = 2) -> Predictions:
    """Derive ``param`` with the registry and predict the reference MLP's exponents."""
    from ..systems.registry import derive

    table = derive(param, optimizer=optimizer, alignment=alignment)
    return predict(table, mlp_layers(hidden_layers))


def gpt_layers(depth: int) -> list[LayerSpec]:
    """Weight layers of the reference GPT (models.GPT) in forward order, as a chain for the recursion.

    Approximation (stated in the report): the residual stream and layer norms are not modelled; each block's
    ``qkv -> proj`` and ``up -> down`` follow each other as hidden layers, ``pos`` is a second embedding.
    Under muP-family tables with r_l = 0 every prediction is n^0 either way.
    """
    if depth < 1:
        raise UserError("the GPT needs at least one block (--depth >= 1)")
    specs = [LayerSpec("embed", "embedding", 0, 1), LayerSpec("pos", "embedding", 0, 1)]
    for i in range(depth):
        specs += [LayerSpec(f"blocks.{i}.attn.qkv", "hidden"), LayerSpec(f"blocks.{i}.attn.proj", "hidden"),
                  LayerSpec(f"blocks.{i}.mlp.up", "hidden"), LayerSpec(f"blocks.{i}.mlp.down", "hidden")]
    specs.append(LayerSpec("head", "readout", 1, 0))
    return specs


# ---------------------------------------------------------------------------------------------------------
# depth: residual networks h^{l+1} = h^l + L^-alpha F_l(LN(h^l)), l = 1..L (L = number of blocks)
# ---------------------------------------------------------------------------------------------------------

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
