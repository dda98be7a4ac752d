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

The records (:class:`LayerSpec`, :class:`Prediction`, :class:`Predictions`) live in :mod:`.prediction`; the depth
exponents of residual networks in :mod:`.predict_depth`.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..systems.everett2024 import ALIGNMENTS, gradient_exponents
from ..theory.exponents import Q, fmt
from .prediction import LayerSpec, Prediction, Predictions
# verifier/verify.py imports depth_exponents from here; the depth predictions live in predict_depth
# (owned by a concurrent change; lead removes this re-export once verify.py imports .predict_depth)
from .predict_depth import DEPTH_QUANTITIES, depth_exponents, predict_depth  # noqa: F401

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
