"""Weight-decay scaling rules, with coupled vs independent decay made explicit.

Two ways to write AdamW's decay (every table here has both rows):

* ``weight_decay``   -- the COUPLED (PyTorch ``AdamW(weight_decay=lambda)``) value: ``w <- (1 - eta lambda) w - ...``;
* ``lr_wd_product``  -- the per-step decay ``eta lambda``, i.e. the INDEPENDENT (LR-decoupled) decay
  ``lambda_ind`` of ``w <- (1 - lambda_ind) w - ...``.

The constraint ``lr_wd_product = lr + weight_decay`` (exponents) links them, so a rule stated for one form
determines the other once the learning-rate exponents are known (taken from the DERIVED muP tables:
``mup-table3`` for Adam, :mod:`.matrix_optimizers` for Muon/Shampoo/SOAP).  The rules are regime-specific and
conflict with each other (papers/oracles/README_beyond_width.md item 12); each is its own parametrization:

``adamw-timescale`` -- Wang & Aitchison, arXiv 2405.13698 (ICML 2025; abstract + summary read): AdamW's weights
are an EMA of updates with timescale ``tau_iter = 1/(eta lambda)`` (coupled lambda); in epochs
``tau_epoch = tau_iter / M`` (M iterations per epoch).  Empirical rule (abstract): the optimal ``tau_epoch`` is
constant across model and dataset size.  Dimensions ``iters_per_epoch`` (M) and ``width``.  ``--lr-rule fixed``
holds the LR fixed (role ``any``); ``--lr-rule mup`` uses muP-Adam LRs per role (TP5 Table 3 form, no multipliers:
the coupled lambda exponent depends on that convention, the product eta lambda does not).

``wd-layerwise`` -- Fan, Liu, Zhao, Yuan & Gu, arXiv 2510.15262 (abstract read): in the AdamW steady state the
top singular value of a matrix is ``sqrt(eta/lambda) d^{3/4}`` (empirical law, coupled lambda); keeping the
sublayer gain width-invariant (top singular value constant) with the muP matrix LR ``eta ∝ d^{-1}`` gives
``lambda ∝ d^{1/2}``; vector-like parameters keep ``eta = Theta(1)`` and ``lambda = 0`` (no power row).  Which roles
are "vector-like" is not stated in the abstract.  ``--rule fixed-ratio`` holds eta/lambda fixed instead (what
the paper argues against): the top singular value then grows like d^{3/4}.

``wd-compute-optimal`` -- Qiu et al., arXiv 2512.05620 Sec. 3.4 / Fig. 5: at 20 tokens per parameter the optimal
INDEPENDENT decay is ``lambda_ind ∝ 1/D`` (D = width) for Muon, SOAP, Shampoo and AdamW; the coupled value then
follows from each optimizer's hidden-matrix LR (constant for AdamW under muP, ∝ 1/D for Muon).
"""

from __future__ import annotations

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import CellSystem

WANG = ("wang2024how", "2405.13698")
FAN = ("fan2025robust", "2510.15262")
QIU = ("qiu2025hyperparameter", "2512.05620")
LINK = "definition: per-step decay eta*lambda (coupled AdamW) = independent decay lambda_ind"
TAU = "arXiv 2405.13698 Sec. 3 (tau_iter = 1/(eta lambda), tau_epoch = tau_iter / M)"
TAU_RULE = "arXiv 2405.13698 abstract (optimal tau_epoch constant in model and dataset size)"


def _mup_adam_lr():
    from .registry import derive

    t = derive("mup-table3", "adam")
    return {r: t.power(r, "lr") for r in ("embedding", "hidden", "readout")}


def _link(cs, role, dim):
    lr = cs.cell(role, "lr", dim)
    wd = cs.cell(role, "weight_decay", dim, note="coupled (torch AdamW) lambda")
    prod = cs.cell(role, "lr_wd_product", dim, note="eta*lambda = independent (decoupled) decay")
    cs.eq(prod, lr + wd, label=f"eta lambda = lambda_ind [{role}, {dim}]", source=LINK)
    return lr, wd, prod


def build_timescale(lr_rule: str = "fixed") -> CellSystem:
    """The AdamW EMA timescale rule (Wang & Aitchison, arXiv 2405.13698 Sec. 3): ``tau_epoch = 1/(eta lambda M)``
    constant across width and iterations per epoch M, with the LR fixed or muP's, in coupled and independent
    forms."""
    if lr_rule not in ("fixed", "mup"):
        raise UserError(f"--lr-rule is 'fixed' or 'mup'; got {lr_rule!r}")
    cs = CellSystem(f"AdamW EMA timescale (lr {lr_rule})", source=TAU)
    lrs = {"any": 0} if lr_rule == "fixed" else _mup_adam_lr()
    for role, lr_width in lrs.items():
        for dim, m in (("iters_per_epoch", 1), ("width", 0)):
            lr, wd, prod = _link(cs, role, dim)
            lr_val = lr_width if dim == "width" else 0
            cs.eq(lr, lr_val, label=f"LR {'held fixed' if lr_rule == 'fixed' else 'muP Adam (TP5 Table 3, derived)'} "
                                    f"[{role}, {dim}]", source="mup-table3" if lr_rule == "mup" else "rule input")
            tau_it = cs.aux(f"tau_iter[{role}]@{dim}", None)
            cs.eq(tau_it, -prod, label=f"tau_iter = 1/(eta lambda) [{role}, {dim}]", source=TAU)
            tau_ep = cs.aux(f"tau_epoch[{role}]@{dim}", None)
            cs.eq(tau_ep, tau_it - m, label=f"tau_epoch = tau_iter / M [{role}, {dim}]", source=TAU)
            cs.eq(tau_ep, 0, label=f"optimal tau_epoch constant [{role}, {dim}]", source=TAU_RULE)
    return cs


def _timescale(optimizer, alignment, lr_rule="fixed"):
    cs = build_timescale(lr_rule)
    return cs.table("adamw-timescale", optimizer, Source(*WANG, "Sec. 3; abstract"),
                    title="AdamW timescale rule (Wang & Aitchison)",
                    convention="weight_decay = coupled torch lambda; lr_wd_product = eta*lambda = independent decay",
                    variant={"lr_rule": lr_rule},
                    notes=["tau_epoch = 1/(eta lambda M) held constant (empirical optimum, abstract)",
                           "coupled lambda ∝ 1/(eta M): it grows with width when the LR shrinks (muP)",
                           "single-epoch LLM reading (eta lambda ∝ 1/T_total) not encoded: an interpretation"])


def build_layerwise(rule: str = "fan") -> CellSystem:
    """Layerwise weight decay (Fan et al., arXiv 2510.15262 abstract): the matrix decay that keeps the top singular
    value sqrt(eta/lambda) d^(3/4) fixed under muP's LR (``rule='fan'``), or eta/lambda constant
    (``fixed-ratio``)."""
    if rule not in ("fan", "fixed-ratio"):
        raise UserError(f"--rule is 'fan' (the paper's) or 'fixed-ratio' (eta/lambda constant); got {rule!r}")
    cs = CellSystem(f"layerwise weight decay ({rule})", source="arXiv 2510.15262 abstract")
    src = "arXiv 2510.15262 abstract"
    hidden_lr = _mup_adam_lr()["hidden"]
    lr, wd, prod = _link(cs, "matrix", "width")
    cs.eq(lr, hidden_lr, label="matrix-like LR: muP eta_2 ∝ d^-1 (mup-table3 hidden, derived)", source=src)
    top = cs.cell("matrix", "top_singular_value", "width", note="steady state sqrt(eta/lambda) d^(3/4)")
    cs.eq(top, (lr - wd) * Q("1/2") + Q("3/4"), label="steady-state law: sigma_max ~ sqrt(eta/lambda) d^(3/4)", source=src)
    if rule == "fan":
        cs.eq(top, 0, label="sublayer gain width-invariant: sigma_max constant in d", source=src)
    else:
        cs.eq(lr, wd, label="eta/lambda held fixed across width (the baseline the paper corrects)", source=src)
    vlr = cs.cell("vector", "lr", "width", note="lambda_1 = 0: no decay")
    cs.eq(vlr, 0, label="vector-like: eta_1 = Theta_d(1), lambda_1 = 0", source=src)
    return cs


def _layerwise(optimizer, alignment, rule="fan"):
    cs = build_layerwise(rule)
    return cs.table("wd-layerwise", optimizer, Source(*FAN, "abstract; Table 2 unread"),
                    title="Layerwise weight decay (Fan et al. 2025)",
                    convention="weight_decay = coupled torch lambda (the abstract's eta/lambda); d = width",
                    variant={"rule": rule},
                    notes=["vector-like parameters: lambda = 0 (not a power law, no row); which roles count as "
                           "vector-like is not stated in the abstract",
                           "a secondary transcription (chatpaper) drops the square root in lambda_2 ∝ sqrt(d)"])


CO_OPTS = ("adamw", "muon", "soap", "shampoo")
_QIU_PARAM = {"adamw": "adam-qiu", "muon": "muon", "soap": "soap", "shampoo": "shampoo"}


def build_compute_optimal(optimizer: str) -> CellSystem:
    """Compute-optimal independent weight decay for ``optimizer`` (Qiu et al., arXiv 2512.05620 Sec. 3.4), linked to
    that optimizer's derived hidden-matrix LR (Table 1) so the coupled and independent forms agree."""
    from .registry import derive

    if optimizer not in CO_OPTS:
        raise UserError(f"compute-optimal decay covers {', '.join(CO_OPTS)}; got {optimizer!r}")
    hidden_lr = derive(_QIU_PARAM[optimizer], mode="per_role").power("hidden", "lr")
    cs = CellSystem(f"compute-optimal independent weight decay ({optimizer})", source="arXiv 2512.05620 Sec. 3.4")
    lr, wd, prod = _link(cs, "weight", "width")
    cs.eq(lr, hidden_lr, label=f"hidden-matrix LR of {optimizer} (derived, arXiv 2512.05620 Table 1)",
          source="matrix_optimizers (per_role hidden)")
    cs.eq(prod, -1, label="optimal independent decay lambda_ind = Theta(1/D) at 20 tokens/parameter",
          source="arXiv 2512.05620 Sec. 3.4 / Fig. 5")
    return cs


def _compute_optimal(optimizer, alignment):
    cs = build_compute_optimal(optimizer)
    return cs.table("wd-compute-optimal", optimizer, Source(*QIU, "Sec. 3.4, Fig. 5"),
                    title="Compute-optimal weight decay (Qiu et al. 2025)",
                    convention="weight = hidden matrix, width D (tokens ∝ parameters, 20 TPP)",
                    variant={"regime": "20tpp"},
                    notes=["independent decay Theta(1/D) is the paper's empirical optimum; the coupled (torch) "
                           "value is derived from the optimizer's hidden LR"])


SPECS = [
    ParamSpec("adamw-timescale", "AdamW EMA-timescale weight decay (Wang & Aitchison 2024)",
              Source(*WANG, "Sec. 3; abstract"), _timescale, optimizers=("adamw",), family="weight-decay", sweeps=("weight-decay",),
              options=(Option("lr_rule", "'fixed' (LR held fixed) or 'mup' (muP Adam LRs per role)", "fixed", str),),
              summary="eta*lambda ∝ 1/M (iterations per epoch), width-independent"),
    ParamSpec("wd-layerwise", "Layerwise weight decay (Fan et al. 2025)", Source(*FAN, "abstract"), _layerwise,
              optimizers=("adamw",), family="weight-decay", sweeps=("weight-decay",),
              options=(Option("rule", "'fan' (sigma_max width-invariant) or 'fixed-ratio' (eta/lambda constant)",
                              "fan", str),),
              summary="matrix lambda ∝ sqrt(d) with eta ∝ 1/d; vectors lambda = 0"),
    ParamSpec("wd-compute-optimal", "Compute-optimal independent weight decay (Qiu et al. 2025)",
              Source(*QIU, "Sec. 3.4"), _compute_optimal, optimizers=CO_OPTS, family="weight-decay", sweeps=("weight-decay",),
              summary="lambda_ind ∝ 1/D at 20 TPP; coupled value from each optimizer's LR"),
]
