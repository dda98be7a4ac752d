"""muP^2: SAM with layerwise perturbation scaling (Haas, Xu, Cevher & Vankadara, arXiv 2411.00075, NeurIPS 2024).

bcd-parametrization of an MLP (Sec. 3, App. D; the arrangement of the definition is UNVERIFIED against the
paper's text, see papers/systems/haas2024effective.md): the base optimizer has init std n^{-b_l} and LR
n^{-c_l} (bc = muP in TP5 Table 3 form, no multipliers; derived here by ``mup-table3``), and SAM perturbs

    eps_t = rho n^{-d} v_t / ||v_t||,   v_t = (n^{-d_1} grad_{W^1} L, ..., n^{-d_{L+1}} grad_{W^{L+1}} L),

so the net per-layer multiplier on the raw gradient is n^{-(d + d_l)} (table quantity ``perturbation``;
``perturbation_layer_scale`` = n^{-d_l}; role ``global`` = n^{-d}).

Bookkeeping per layer l with (fan_in, fan_out) exponents (f_in, f_out) in n: the backward coordinates are
Theta(n^{beta_l}) with beta_l = -c_grad for input-like and hidden layers, c_grad := min(b_{L+1}, c_{L+1})
(caption of Table D.2), and beta = 0 for the readout; the gradient is rank one, dh x^T, so

    ||grad_{W^l}||_F ~ n^{g_l},        g_l = beta_l + (f_in + f_out)/2,
    perturbation effect eps^l x' ~ n^{e_l},  e_l = beta_l + f_in - (d + d_l).

Constraints (linear in d, d_l):

* (D.1) normalisation: n^{-d_l} ||grad_l|| = O(1) with equality for at least one layer, encoded as
  ``min_l (d_l - g_l) == 0`` (the solver resolves the min by enumeration);
* stability: e_l <= 0 for every layer (Sec. 4; Table F.1 caption: d < -1/2 blows up);
* (F.1) effective perturbation of layer l: e_l == 0.

Named variants (Table D.2 caption: "Naive", "Global", "Effective"):

* ``sam-mup2`` (effective): every layer effective -> the unique solution d = -1/2,
  d_l = (-1/2, 1/2, 3/2) for muP (c_grad = 1): per-layer multipliers n, 1, n^{-1}.
* ``sam-global``: one common d_l, the largest stable perturbation (minimise d) -> d = 1/2, i.e.
  rho_eff = Theta(n^{-1/2}) (Fig. 1 caption); only the readout is effectively perturbed.
* ``sam-naive``: d = 0 and a common d_l: the readout's perturbation effect grows like n^{1/2} (unstable;
  the stability constraints are reported, not imposed).

Base optimizer SGD or Adam: muP-Adam in bc form also has b_{L+1} = c_{L+1} = 1, so c_grad and the
perturbation exponents are the same (derived; the paper's ViT experiments use AdamW).  ``--base sp`` uses
TP5 Table 3's SP (c_grad = 0).  Not encoded: ASAM and SAM-ON (Table 1, right; not read), Definition 4.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.solve import solve
from ..theory.system import LinExpr
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import ROLE_FANS, CellSystem

HALF = sympy.Rational(1, 2)
KEY, ARXIV = "haas2024effective", "2411.00075"
SYS = "arXiv 2411.00075 Sec. 3 / App. D (bcd-parametrization)"
D1 = "arXiv 2411.00075 App. D, (D.1) gradient-norm normalisation"
F1 = "arXiv 2411.00075 App. F, (F.1) effective perturbation"
STAB = "arXiv 2411.00075 Sec. 4 / Table F.1 caption (perturbation stability)"
CGRAD = "arXiv 2411.00075 Table D.2 caption: c_grad := min(b_{L+1}, c_{L+1})"
VARIANTS = ("effective", "global", "naive")
BASES = {"mup": "mup-table3", "sp": "sp-table3"}
ROLES = ("embedding", "hidden", "readout")


def base_bc(optimizer: str, base: str = "mup") -> dict:
    """(b_l, c_l) per role of the base parametrization, from the derived TP5 Table 3 table."""
    from .registry import derive

    if base not in BASES:
        raise UserError(f"--base is one of {', '.join(BASES)}; got {base!r}")
    t = derive(BASES[base], optimizer)
    return {r: (-t.power(r, "init_std"), -t.power(r, "lr")) for r in ROLES}


def build_system(variant: str, optimizer: str = "sgd", base: str = "mup", d=None, stable=None,
                 bc: dict | None = None, tight: str | None = None) -> CellSystem:
    """The bcd system of ``variant``.

    ``d`` pins the global exponent; ``stable`` forces (True) or omits (False) the stability constraints
    (default: imposed except for the naive variant); ``tight`` names the layer that attains the (D.1)
    equality (one case of the disjunction), ``None`` leaves the disjunction to the solver's enumeration of
    ``min_l (d_l - g_l) == 0``.
    """
    if variant not in VARIANTS:
        raise UserError(f"SAM variants are {', '.join(VARIANTS)}; got {variant!r}")
    bc = bc or base_bc(optimizer, base)
    cs = CellSystem(f"muP^2 bcd system ({variant}, {optimizer}, base {base}"
                    + (f", (D.1) tight at {tight}" if tight else "") + ")", source=SYS)
    b_out, c_out = bc["readout"]
    # c_grad is data of the base parametrization (a min of two given numbers), pinned exactly
    cg = cs.aux("c_grad", min(Q(b_out), Q(c_out)),
                label=f"c_grad = min(b_(L+1), c_(L+1)) = min({b_out}, {c_out})", source=CGRAD)
    for role in ROLES:
        b, c = bc[role]
        cs.eq(cs.cell(role, "init_std", "width", note="base parametrization"), -b, label=f"base init [{role}]",
              source="TP5 Table 3 via mup-table3/sp-table3")
        cs.eq(cs.cell(role, "lr", "width", note="base parametrization"), -c, label=f"base LR [{role}]",
              source="TP5 Table 3 via mup-table3/sp-table3")
    d_var = cs.aux("d", d, label=f"global perturbation exponent fixed at {d}", source=SYS)
    cs.eq(cs.cell("global", "perturbation", "width", note="rho n^-d"), -d_var, label="row: n^-d", source=SYS)
    slacks, effects = [], {}
    for role in ROLES:
        fi, fo = ROLE_FANS[role]
        beta = LinExpr() if role == "readout" else -cg
        dl = cs.aux(f"d_l[{role}]", None, description=f"layerwise perturbation exponent of {role}")
        g = cs.aux(f"grad_norm[{role}]", None)
        cs.eq(g, beta + HALF * (fi + fo), label=f"||grad W||_F = ||dh|| ||x|| [{role}]", source=SYS)
        e = cs.aux(f"effect[{role}]", None)
        cs.eq(e, beta + fi - d_var - dl, label=f"perturbation effect eps x' = n^-(d+d_l) dh (x.x') [{role}]", source=SYS)
        effects[role] = e
        slacks.append(dl - g)
        if tight == role:
            cs.eq(dl, g, label=f"(D.1) attained by {role}", source=D1)
        cs.eq(cs.cell(role, "perturbation_layer_scale", "width", note="n^-d_l inside v"), -dl,
              label=f"row: n^-d_l [{role}]", source=SYS)
        cs.eq(cs.cell(role, "perturbation", "width", note="net n^-(d+d_l) on the raw gradient"), -d_var - dl,
              label=f"row: n^-(d+d_l) [{role}]", source=SYS)
        if variant == "effective":
            cs.eq(e, 0, label=f"(F.1) {role} effectively perturbed", source=F1)
    m = cs.system.min_of("norm_slack", slacks, label="min_l (d_l - g_l)", source=D1)
    cs.eq(m, 0, label="(D.1): n^-d_l ||grad_l|| = O(1) for all l, Theta(1) for at least one", source=D1)
    if stable if stable is not None else variant != "naive":
        for role in ROLES:
            cs.le(effects[role], 0, label=f"stability: {role} perturbation effect O(1)", source=STAB)
    if variant in ("global", "naive"):
        cs.eq(cs.system.var("d_l[embedding]"), cs.system.var("d_l[hidden]"), label="common d_l (global scaling)", source=SYS)
        cs.eq(cs.system.var("d_l[hidden]"), cs.system.var("d_l[readout]"), label="common d_l (global scaling)", source=SYS)
    if variant == "naive" and d is None:
        cs.eq(d_var, 0, label="naive: no perturbation scaling, d = 0", source="arXiv 2411.00075 Fig. 1 caption")
    if variant == "global" and d is None:
        cs.system.minimize(d_var)  # the largest stable perturbation along the original gradient
    cs.effects = effects
    return cs


def solve_cases(variant: str, optimizer: str = "sgd", base: str = "mup", **kw):
    """Solve the (D.1) disjunction case by case: one system per layer attaining the equality.

    The LP relaxation of ``min_l (d_l - g_l) == 0`` drops "at least one equality"; for the global variant that
    relaxation is unbounded (d_l -> oo, d -> -oo), so the solver cannot enumerate from it.  Here each case is
    an exact LP; the optimum over the feasible cases is returned with every optimal case, so a non-unique
    answer (two cases, different values) is visible.  Returns (best CellSystem, list of (tight, CellSystem)).
    """
    from ..theory.solve import _feasible, _items  # one LP per case; skips the IIS of infeasible cases

    bc = base_bc(optimizer, base)
    feasible = []
    for tight in ROLES:
        cs = build_system(variant, optimizer, base, bc=bc, tight=tight, **kw)
        if not _feasible(cs.system, _items(cs.system)):
            continue
        # every row is affine in (d, d_l) with the base exponents pinned: their uniqueness is the table's
        sol = solve(cs.system, report=["d"] + [f"d_l[{r}]" for r in ROLES])
        if sol.status == "optimal":
            cs.solution = sol
            feasible.append((tight, cs))
    if not feasible:
        cs = build_system(variant, optimizer, base, bc=bc, **kw)
        cs.solve()  # raises with the conflicting constraints
    best = min(o.solution.objective for _, o in feasible)
    optimal = [(t, o) for t, o in feasible if o.solution.objective == best]
    return optimal[0][1], optimal


def _sam(variant, name):
    def build(optimizer, alignment, base="mup"):
        cs, optimal = solve_cases(variant, optimizer, base)
        values = {tuple(sorted((k, o.solution.values[k]) for k in o.cells)) for _, o in optimal}
        eff = {r: cs.value(e) for r, e in cs.effects.items()}
        effective = [r for r, v in eff.items() if v == 0]
        unstable = [r for r, v in eff.items() if v > 0]
        derived = {"c_grad": cs.value("c_grad"), "d": cs.value("d"),
                   "d_l": {r: cs.value(f"d_l[{r}]") for r in ROLES},
                   "perturbation effect exponent": eff,
                   "(D.1) attained by": ", ".join(t for t, _ in optimal),
                   "effectively perturbed": ", ".join(effective) or "none",
                   "regime": ("UNSTABLE: perturbation effect grows in " + ", ".join(unstable)) if unstable else "stable"}
        notes = ["bcd system re-derived from the Table D.2/F.1 captions (table bodies unread); every row solved, "
                 "not looked up", "init_std/lr rows: the base parametrization (TP5 Table 3, derived)"]
        if len(values) > 1:
            notes.append("NON-UNIQUE: different layers attaining (D.1) give different optima; the table shows one")
        t = cs.table(name, optimizer, Source(KEY, ARXIV, "Sec. 3-4, App. D-F (bcd system)"),
                     title=f"SAM {variant} perturbation scaling (Haas et al. 2024)",
                     convention="SAM eps = rho n^-d v/||v||, v_l = n^-d_l grad_l; rows: quantity ∝ n^power",
                     notes=notes, variant={"perturbation": variant, "base": base}, derived=derived)
        t.unique = cs.solution.unique and len(values) == 1
        return t
    return build


_BASE = Option("base", "base bc-parametrization: 'mup' (TP5 Table 3) or 'sp'", "mup", str)
SPECS = [
    ParamSpec("sam-mup2", "muP^2: SAM with effective layerwise perturbations (Haas et al. 2024)",
              Source(KEY, ARXIV, "Sec. 3-4, App. D-F"), _sam("effective", "sam-mup2"), optimizers=("sgd", "adam"),
              options=(_BASE,), aliases=("mup2", "sam-effective"), family="sam", sweeps=("sam",),
              summary="unique perturbation scaling with every layer effectively perturbed (d = -1/2)"),
    ParamSpec("sam-global", "SAM with global perturbation scaling (Haas et al. 2024)",
              Source(KEY, ARXIV, "Sec. 3-4, App. D-F"), _sam("global", "sam-global"), optimizers=("sgd", "adam"),
              options=(_BASE,), family="sam", sweeps=("sam",), summary="largest stable common perturbation: rho ~ n^-1/2, readout only"),
    ParamSpec("sam-naive", "SAM without perturbation scaling (Haas et al. 2024)",
              Source(KEY, ARXIV, "Sec. 3-4, App. D-F"), _sam("naive", "sam-naive"), optimizers=("sgd", "adam"),
              options=(_BASE,), family="sam", sweeps=("sam",), summary="d = 0: unstable in muP (readout effect ~ n^1/2)"),
]
