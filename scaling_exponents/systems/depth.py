"""Depth: the residual-branch family ``h^{l+1} = h^l + L^{-alpha} F_l(LN(h^l))`` (CompleteP, Depth-muP).

Papers: CompleteP, Dey et al., arXiv 2505.01618 (Table 1, "Summary of SP, muP and alpha in {0.5, 1} for a
pre-LN transformer"); Tensor Programs VI / Depth-muP, Yang, Yu, Zhu, Hayou, arXiv 2310.02244 (Claims
7.1-7.6, Sec. 1.1 footnote 5, Def. 6.1, Def. 6.2, Table 2); Bordelon et al., arXiv 2309.16620 (abstract:
residual branch 1/sqrt(depth) with muP).

Two exponents of ``L`` (the number of residual blocks; a transformer block has two branches, both scaled):
``alpha`` (branch multiplier ``L^-alpha``) and ``gamma`` (per-step update of every parameter inside a
residual block ``∝ L^-gamma``).  The constraint system, "n -> inf then L -> inf" (TP6 Sec. 7):

====  =================================================  =======================  ========================
id    desideratum                                        linear form              source
====  =================================================  =======================  ========================
D1    stable at initialisation                           alpha >= 1/2             TP6 Claim 7.1
D2a   stable during training                             alpha + gamma >= 1       TP6 Claim 7.2
D2b   nontrivial / maximal residual update (Θ(1/L))     alpha + gamma <= 1       TP6 Claim 7.2
D2c   faithful during training (in-block updates O(1))   gamma >= 0  (alpha <= 1) TP6 Claim 7.3
D3    complete feature learning (CompleteP)              gamma <= 0               Dey et al. (see below)
D3'   maximal feature diversity (Depth-muP)              alpha <= 1/2             TP6 Claims 7.4, 7.5
====  =================================================  =======================  ========================

D1 + D2 is the segment ``{alpha in [1/2, 1], gamma = 1 - alpha}``.  Each paper's selection rule is one more
linear constraint that cuts it to a point, which the LP then finds (and proves unique):

* CompleteP (D3): a block's update has non-linear terms ∝ (ΔW)^2 L^-alpha = L^{-alpha-2 gamma} and linear
  terms L^{-alpha-gamma}; "complete" (non-lazy) feature learning needs the former not to vanish relative to
  the latter, i.e. gamma <= 0 -> alpha = 1, gamma = 0.  Same dividing line as TP6 Claim 7.6 (layerwise
  linearisation iff alpha in [1/2, 1)).  AMBIGUITY: the paper's section/equation numbers for the desiderata
  could not be read (only Table 1 as the authors' image, EleutherAI/nanoGPT-mup@completep
  assets/parameterization_summary.png, and a secondary NeurIPS note); that note writes the LR as
  Θ(L^{1-alpha}), which contradicts Table 1, the code and TP6 (m_L^{alpha-1}); m_L^{alpha-1} is encoded.
* Depth-muP (D3'): TP6 Claim 7.4 says every alpha in (1/2, 1] is *redundant* (feature-diversity exponent
  kappa = 0); Claim 7.5 selects maximal diversity (kappa = 1/2), so the selection excludes (1/2, 1]:
  alpha <= 1/2 -> alpha = gamma = 1/2.  Bordelon et al. (arXiv 2309.16620, abstract) reach the same point
  from a DMFT limit, not from an LP.

Per-role depth exponents follow from (alpha, gamma) by equalities, each cited where it is encoded:
the branch multiplier is L^-alpha; parameters inside a residual block (hidden matrices, their biases, the
pre-LN gains) get the LR depth factor of TP6's optimizer map (Sec. 1.1 fn. 5: Adam L^-gamma, SGD
L^{alpha-gamma}) and an Adam epsilon that follows their gradient scale L^-alpha (TP6 Def. 6.1 with
delta = alpha, fn. 14; Table 1 "AdamW eps (residual blocks)"); nothing outside a block and no init carries a
depth factor (Table 1; TP6 Def. 6.2).

Width exponents are muP's and are not retyped here: they come from TP5's Table 8 form (the form Table 1
and nanoGPT-mup use) or Table 3 form (= TP6 Table 2), i.e. from Everett et al.'s LP + the abc symmetry
(:mod:`.tp5`).  The Adam-epsilon width exponent is the gradient-entry exponent of Everett et al.'s muP
(:func:`.everett2024.gradient_exponents`) moved along the same symmetry orbit.  Biases and LayerNorm gains
take TP5's "input weights & all biases" row.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q, fmt
from ..theory.solve import solve
from ..theory.system import ConstraintSystem, LinExpr
from ..theory.table import ExponentTable, Row, Source
from .base import Option, ParamSpec

HALF = sympy.Rational(1, 2)
DEY, TP6, BORDELON = "arXiv 2505.01618", "arXiv 2310.02244", "arXiv 2309.16620"
T1 = f"{DEY} Table 1"
SOURCE_DEY = Source("dey2025dont", "2505.01618", "Table 1; desiderata: stable init, maximal update, complete feature learning")
SOURCE_TP6 = Source("yang2023tensor", "2310.02244", "Claims 7.1-7.5, Sec. 1.1 fn. 5, Table 2")

#: Roles inside a residual block (their LR and epsilon carry depth factors) and outside one.
IN_BLOCK = ("hidden", "hidden_bias", "norm")
OUTSIDE = ("embedding", "final_norm", "readout")
#: The TP5 row each role's width exponents come from (biases and LN gains: "input weights & all biases").
WIDTH_ROW = {"embedding": "embedding", "hidden": "hidden", "readout": "readout",
             "hidden_bias": "bias", "norm": "bias", "final_norm": "bias"}
SELECTIONS = ("complete", "diversity")
OPTIMIZERS = ("adamw", "adam", "sgd")
FORMS = {"table1": "mup-table8", "tp6": "mup-table3"}


def lr_depth_power(optimizer: str, alpha, gamma):
    """TP6's optimizer map (arXiv 2310.02244 Sec. 1.1 fn. 5): the depth power of the LR of a parameter inside
    a residual block whose per-step update is ∝ L^-gamma: Adam -gamma (scale-invariant to the gradient),
    SGD alpha - gamma (its gradient already carries the branch multiplier L^-alpha)."""
    return alpha - gamma if optimizer == "sgd" else -gamma


def build_system(optimizer: str = "adamw", selection: str | None = "complete", alpha=None) -> ConstraintSystem:
    """The (alpha, gamma) system with the per-role depth exponents as variables.

    ``selection`` is ``"complete"`` (CompleteP's D3), ``"diversity"`` (TP6's D3') or None (the whole
    segment D1 + D2: a non-unique optimum); ``alpha`` (if given) pins alpha instead of a selection rule, the
    way Table 1's column "alpha in {0.5, 1}" does.
    """
    if optimizer not in OPTIMIZERS:
        raise UserError(f"the depth family covers optimizers {', '.join(OPTIMIZERS)}; got {optimizer!r}")
    s = ConstraintSystem(f"residual depth family ({optimizer})", source=f"{TP6} Sec. 7; {DEY} Table 1")
    a = s.var("alpha", description="residual branch multiplier L^-alpha")
    g = s.var("gamma", description="per-step update of in-block parameters ∝ L^-gamma")
    if alpha is not None:
        s.fix("alpha", alpha)
    s.ge(a, HALF, label="D1 stable at init: alpha >= 1/2", source=f"{TP6} Claim 7.1; {DEY} 'stable initialization'")
    s.ge(a + g, 1, label="D2a stable during training: alpha + gamma >= 1", source=f"{TP6} Claim 7.2")
    s.le(a + g, 1, label="D2b nontrivial, maximal residual update Θ(1/L): alpha + gamma <= 1",
         source=f"{TP6} Claim 7.2; {DEY} 'maximal update'")
    s.ge(g, 0, label="D2c faithful in training (in-block weights move O(1)): gamma >= 0, i.e. alpha <= 1",
         source=f"{TP6} Claim 7.3")
    if alpha is None and selection == "complete":
        s.le(g, 0, label="D3 complete feature learning: non-linear block terms L^(-alpha-2gamma) not smaller than "
                         "linear ones L^(-alpha-gamma): gamma <= 0",
             source=f"{DEY} 'complete feature learning' (section no. UNVERIFIED); cf. {TP6} Claim 7.6")
    elif alpha is None and selection == "diversity":
        s.le(a, HALF, label="D3' maximal feature diversity (kappa = 1/2): every alpha in (1/2, 1] is redundant "
                            "(kappa = 0), so alpha <= 1/2", source=f"{TP6} Claims 7.4, 7.5")
    elif selection is not None and selection not in SELECTIONS:
        raise UserError(f"selection must be one of {', '.join(SELECTIONS)} or None; got {selection!r}")

    branch = s.var("q_mult_residual_branch", description="depth power of the branch multiplier")
    s.eq(branch, -a, label="branch multiplier L^-alpha", source=f"{TP6} Eq. (1), Def. 6.2; {T1} MHA/MLP residual")
    map_src = f"{TP6} Sec. 1.1 fn. 5 (Adam LR ∝ L^-gamma, SGD LR ∝ L^(alpha-gamma)); {T1} m_L^(alpha-1)"
    for role in IN_BLOCK:
        q = s.var(f"q_lr_{role}", description=f"depth power of the {role} learning rate")
        s.eq(q, lr_depth_power(optimizer, a, g), label=f"{role} is inside a residual block: LR follows gamma",
             source=map_src)
    if optimizer != "sgd":
        for role in IN_BLOCK:
            q = s.var(f"q_eps_{role}", description=f"depth power of the {role} Adam epsilon")
            s.eq(q, branch, label=f"{role} Adam eps ∝ its gradient entries, which carry the branch multiplier",
                 source=f"{TP6} Def. 6.1 with delta = alpha (fn. 14); {T1} 'AdamW eps (residual blocks)'")
    if optimizer == "adamw":
        wd = s.var("q_wd_hidden", description="depth power of the hidden torch AdamW weight_decay")
        s.eq(wd, 0, label="hidden weight decay λ_base m_N: no depth factor", source=f"{T1} Hidden WD")
        lrwd = s.var("q_lr_wd_hidden", description="depth power of the per-step decay lr*wd")
        s.eq(lrwd, LinExpr({"q_lr_hidden": 1}) + wd, label="per-step decay = lr * wd (torch AdamW, coupled)",
             source="torch.optim.AdamW")
    return s


def solve_depth(optimizer: str = "adamw", selection: str | None = "complete", alpha=None):
    """Solve the depth system; returns (system, solution).  An alpha outside [1/2, 1] is a UserError naming
    the desiderata it violates."""
    s = build_system(optimizer, selection, alpha)
    sol = solve(s, report=["alpha", "gamma"])
    if sol.status == "infeasible":
        raise UserError(f"alpha = {fmt(Q(alpha)) if alpha is not None else '?'} is outside the stable, nontrivial, "
                        "faithful depth family (alpha in [1/2, 1]); it violates: " + "; ".join(sol.conflict))
    sol.raise_for_status()
    return s, sol


def _width_rows(optimizer: str, form: str):
    """Width exponents per role from TP5 (Table 8 or Table 3 form) and the Adam epsilon width exponent."""
    from .everett2024 import NAMED_AB, gradient_exponents
    from .registry import derive

    t5 = derive(FORMS[form], "sgd" if optimizer == "sgd" else "adam")
    out = {}
    base = ("embedding", "hidden", "readout")
    a_ev = [Q(NAMED_AB["mup"][r][0]) for r in base]
    b_ev = [Q(NAMED_AB["mup"][r][1]) for r in base]
    c_ev = [t5.solution.values[f"c_{i + 1}"] for i in range(3)]
    g_ev = gradient_exponents(a_ev, b_ev, c_ev, "adam")
    grad = {}
    for i, r in enumerate(base):
        # moving along the abc orbit by t (a -> a + t) multiplies the gradient of w by n^-t (W = n^-a w)
        grad[r] = g_ev[i] + (-t5.power(r, "multiplier") - a_ev[i])
    grad["bias"] = grad["embedding"]  # a bias is an input weight with fan_in 1 (TP5 Table 3 caption)
    for role, src in WIDTH_ROW.items():
        out[role] = {q: t5.power(src, q) for q in ("multiplier", "init_std", "lr")}
        out[role]["adam_eps"] = -grad[src]
    return t5, out


def derive_depth(optimizer: str = "adamw", selection: str | None = "complete", alpha=None, form: str = "table1",
                 name: str = "completep", title: str = "", source: Source = SOURCE_DEY) -> ExponentTable:
    """The full per-role table (width and depth) of one member of the family."""
    if form not in FORMS:
        raise UserError(f"--style must be one of {', '.join(FORMS)}; got {form!r}")
    if alpha is not None:
        alpha = Q(alpha)
    elif selection is None:
        raise UserError("a table needs a selection rule or a given alpha (D1 + D2 alone leave alpha in [1/2, 1])")
    system, sol = solve_depth(optimizer, selection, alpha)
    v = sol.values
    t5, width = _width_rows(optimizer, form)
    adam = optimizer != "sgd"
    rows = [Row("residual_branch", "multiplier", "width", 0),
            Row("residual_branch", "multiplier", "depth", v["q_mult_residual_branch"],
                note="h + L^-alpha F(LN(h)), both branches of every block")]
    for role in IN_BLOCK + OUTSIDE:
        w = width[role]
        inside = role in IN_BLOCK
        rows += [Row(role, "multiplier", "width", w["multiplier"]), Row(role, "multiplier", "depth", 0),
                 Row(role, "init_std", "width", w["init_std"]), Row(role, "init_std", "depth", 0),
                 Row(role, "lr", "width", w["lr"]), Row(role, "lr", "depth", v[f"q_lr_{role}"] if inside else 0)]
        if adam:
            rows += [Row(role, "adam_eps", "width", w["adam_eps"]),
                     Row(role, "adam_eps", "depth", v[f"q_eps_{role}"] if inside else 0)]
    if optimizer == "adamw":
        p_wd = -width["hidden"]["lr"]  # Table 1: torch wd λ_base m_N, i.e. lr*wd width-invariant
        rows += [Row("hidden", "weight_decay", "width", p_wd, note="torch AdamW value (coupled)"),
                 Row("hidden", "weight_decay", "depth", v["q_wd_hidden"]),
                 Row("hidden", "lr_wd_product", "width", width["hidden"]["lr"] + p_wd),
                 Row("hidden", "lr_wd_product", "depth", v["q_lr_wd_hidden"])]
    for r in t5.rows:
        if r.role == "attention":
            rows.append(r)
    a_val, g_val = v["alpha"], v["gamma"]
    complete = g_val <= 0
    derived = {"alpha": a_val, "gamma": g_val,
               "selection": {"complete": "D3 complete feature learning (CompleteP) -> alpha = 1",
                             "diversity": "D3' maximal feature diversity (TP6 Claim 7.5) -> alpha = 1/2"}[selection]
               if alpha is None else f"alpha = {fmt(alpha)} given (--alpha)",
               "feature learning": "complete (no layerwise linearisation)" if complete
               else f"lazy in depth: non-linear/linear block terms ∝ L^({fmt(-g_val)}) (TP6 Claim 7.6)"}
    over = "D1, D2 and the selection rule" if alpha is None else f"D1, D2 with alpha = {fmt(alpha)} given"
    notes = [f"alpha, gamma solved by the LP over {over} ({'certified' if sol.certified else 'NOT certified'}, "
             f"{'unique' if sol.unique else 'NON-UNIQUE'}); width exponents: muP from Everett et al.'s LP in "
             f"TP5 {'Table 8' if form == 'table1' else 'Table 3 (= TP6 Table 2)'} form"]
    if optimizer == "adamw":
        notes.append("weight decay: only hidden matrices are rescaled (Table 1); nanoGPT-mup decays the embedding with "
                     "the base λ and does not decay LN gains or biases")
    if adam:
        notes.append("adam_eps outside residual blocks (embedding, final_norm, readout) follows nanoGPT-mup @3904404 "
                     "(per-group eps, its 'Eq. 40'); Table 1 states eps only for residual blocks")
    if optimizer == "sgd":
        notes.append("SGD: TP6's map gives in-block LR L^(alpha-gamma); CompleteP itself is AdamW-only")
    conv = ("every quantity = base value x n^p x L^q, n = width/base_width (m_N), L = depth/base_depth (m_L) "
            "counting transformer blocks" + ("; weight_decay = torch AdamW value (coupled)" if optimizer == "adamw" else ""))
    if form == "tp6":
        conv = "TP6 Table 2 (= TP5 Table 3) width form, no multipliers; " + conv
    variant = {"alpha": a_val}
    if form != "table1":
        variant["form"] = form
    return ExponentTable(name, optimizer, None, source, rows, title=title or name, variant=variant, derived=derived,
                         notes=notes, convention=conv, solution=sol, system=system)


def _completep(optimizer, alignment, alpha=None):
    title = "CompleteP (Dey et al. 2025)" if alpha is None else "CompleteP family (Dey et al. 2025 Table 1)"
    return derive_depth(optimizer, "complete", alpha, "table1", "completep", title, SOURCE_DEY)


def _depth_mup(optimizer, alignment, alpha=None, style="table1"):
    form = style
    title = "Depth-muP (TP6; Bordelon et al.)" if alpha is None else "TP6 depth family"
    where = "Table 2 form" if form == "tp6" else "in the form of Dey et al. Table 1"
    src = Source("yang2023tensor", "2310.02244", f"Claims 7.1-7.5, Sec. 1.1 fn. 5; {where}")
    return derive_depth(optimizer, "diversity", alpha, form, "depth-mup", title, src)


_ALPHA = Option("alpha", "residual branch exponent in [1/2, 1] (member of the family; default: the paper's "
                "selection rule)", None, Q)
_FORM = Option("style", "width form: table1 (Dey et al. Table 1 / TP5 Table 8, default) or tp6 (TP6 Table 2)",
               "table1", str)
SPECS = [
    ParamSpec("completep", "CompleteP: depth alpha = 1 + muP (Dey et al. 2025)", SOURCE_DEY, _completep,
              optimizers=("adamw",), options=(_ALPHA,), family="depth", aliases=("complete-p", "dey2025"),
              summary="alpha = 1 derived from stable init + maximal update + complete feature learning; width muP"),
    ParamSpec("depth-mup", "Depth-muP: depth alpha = 1/2 + muP (TP6; Bordelon et al. 2023)", SOURCE_TP6, _depth_mup,
              optimizers=OPTIMIZERS, options=(_ALPHA, _FORM), family="depth",
              aliases=("tp6", "depth-mu-p", "tp6-depth-mup"),
              summary="alpha = 1/2 derived from TP6's maximal-feature-diversity selection; width muP"),
]
