"""Matrix-preconditioned optimizers: Muon, Shampoo, SOAP, AdaMuon, Adam, grafting (Qiu et al., arXiv 2512.05620)
and K-FAC / Shampoo (Ishikawa & Karakida, arXiv 2312.12226).

Both papers use the same one-step muP argument (arXiv 2512.05620 Sec. 3.1 and App. B.1; arXiv 2312.12226
Sec. 4, Prop. 4.1): after the first step with batch size one, every layer's feature change is Theta(1),

    eta Q(G) x' = Theta(1)   (entrywise),   G = delta x^T,                                   (FC)

with x entries Theta(1) (so ||x||^2 ~ fan_in), the alignment x^T x' ~ fan_in, and delta entries
Theta(1/fan_out) -- Theta(1/(L fan_out)) inside a residual block with the CompleteP branch multiplier 1/L
(arXiv 2512.05620 Sec. 3.3; non-residual parameters have L = 1).  Every damping / epsilon must be of the order
of the quantity it is added to (Sec. 3.1 / App. B): the eigenvalue of the preconditioner for Shampoo and
K-FAC, |G_ij| for Adam, ||G||_F for Muon, the entries of the orthogonalised update for AdaMuon.

Exponents of Q(G) x' per unit learning rate (derived from each optimizer's update rule, App. B.2-B.7):

==========  =================================================================================
SGD         delta (x^T x')
Adam        sign(delta) (sign(x)^T x')                        -> fan_in
Muon        (delta/||delta||) (x^T x'/||x||)                  -> sqrt(fan_in/fan_out)
Shampoo     lambda^{-(eL+eR)} delta (x^T x'), lambda = ||x_j||^2 ||delta_i||^2 per block (b_in, b_out);
            blocks: sum over n_in = fan_in/b_in input blocks; b_in b_out = fan_in fan_out / n_blk
SOAP        Adam in the eigenbasis: the rotation concentrates a rank-one block into one coordinate, so the
            normalised update has entries b_out^{-eL/2} b_in^{-eR/2}   -> fan_in b_out^{-eL/2} b_in^{-eR/2}
AdaMuon     Adam on top of UV^T                               -> fan_in
Adam#Shampoo  Shampoo direction with Adam's Frobenius norm    -> fan_in
K-FAC       (B + rho_B)^{-1} delta (x^T x') / (A + rho_A), A ~ ||x||^2, B ~ ||delta||^2  -> 1
==========  =================================================================================

**Disagreement (recorded, not resolved silently).**  For Shampoo, Table 1/2 of arXiv 2512.05620 (as extracted
to text) print the learning rate as ``(d_out/d_in)^{1-(eL+eR)} L^{2(eL+eR)-1} n_blk^{eL+eR}``; the paper's own
Sec. 3.1 derivation ``(n_in n_out)^{-(eL+eR)}`` and its delta ~ 1/(L d_out) rule give
``L^{1-2(eL+eR)} n_blk^{-(eL+eR)}``.  This module encodes the DERIVATION (it is what (FC) gives); the table
values stay in the oracle and the tests assert the disagreement explicitly (papers/oracles/README_beyond_width.md
item 10).  The two agree for the fan exponents and, for depth, at eL + eR = 1/2.

The Muon per-role learning rates follow Table 1 (embedding n^{+1/2}, readout n^{-1/2}); Sec. 3.2's prose
gives the opposite signs (item 11), also asserted as a disagreement in the tests.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import ROLE_FANS, CellSystem

HALF = sympy.Rational(1, 2)
QIU = ("qiu2025hyperparameter", "2512.05620")
IK = ("ishikawa2023parameterization", "2312.12226")
FC = "arXiv 2512.05620 Sec. 3.1 / App. B.1: eta Q(G) x' = Theta(1)"
FC_IK = "arXiv 2312.12226 Sec. 4 (one-step muP condition, Prop. 4.1)"
DAMP = "arXiv 2512.05620 Sec. 3.1 / App. B (damping ~ the quantity it is added to)"
RESID = "arXiv 2512.05620 Sec. 3.3 (residual branch 1/L: delta ~ 1/(L d_out))"
INIT = "arXiv 2512.05620 Sec. 3.1 / App. B.1 (optimizer-independent init)"

OPTIMIZERS = ("sgd", "adam", "muon", "shampoo", "soap", "adamuon", "adam#shampoo", "kfac")


def _dims(mode, optimizer, residual, blocked=True):
    if mode == "per_role":
        return ["width"]
    dims = ["fan_in", "fan_out"]
    if residual:
        dims.append("depth")
    if optimizer in ("shampoo", "adam#shampoo") and blocked:
        dims.append("blocks")
    if optimizer == "soap":
        dims += ["block_in", "block_out"]
    return dims


def _basis(dim, role):
    """Exponents (fan_in, fan_out, depth, n_blk, b_in, b_out) of one scaling dimension."""
    z = dict(fi=0, fo=0, L=0, nblk=0, bin=0, bout=0)
    if dim == "width":
        z["fi"], z["fo"] = ROLE_FANS[role]
    elif dim == "fan_in":
        z["fi"] = 1
    elif dim == "fan_out":
        z["fo"] = 1
    elif dim == "depth":
        z["L"] = 1
    elif dim == "blocks":
        z["nblk"] = 1
    elif dim == "block_in":
        z["bin"] = 1
    elif dim == "block_out":
        z["bout"] = 1
    return {k: Q(v) for k, v in z.items()}


def build(optimizer: str, mode: str = "fan", e_l="1/4", e_r="1/4", residual: bool = True,
          source=FC, blocked: bool = True) -> CellSystem:
    """The (FC) system of one optimizer; ``mode`` 'fan' (a generic matrix) or 'per_role' (width only)."""
    if optimizer not in OPTIMIZERS:
        raise UserError(f"matrix-optimizer systems cover {', '.join(OPTIMIZERS)}; got {optimizer!r}")
    if mode not in ("fan", "per_role"):
        raise UserError(f"--mode is 'fan' or 'per_role'; got {mode!r}")
    eL, eR = Q(e_l), Q(e_r)
    if optimizer == "soap" and (eL not in (0, 1) or eR not in (0, 1)):
        raise UserError("SOAP's e_l, e_r are indicators (0 or 1): which sides are rotated (arXiv 2512.05620 Table 1)")
    s_ = eL + eR
    cs = CellSystem(f"one-step muP, {optimizer} ({mode})", source=source)
    roles = ["weight"] if mode == "fan" else list(ROLE_FANS)
    for role in roles:
        res = residual and mode == "fan"
        for dim in _dims(mode, optimizer, res, blocked):
            z = _basis(dim, role)
            t = f"[{role}, {dim}]"
            x2 = cs.aux(f"||x||^2[{role}]@{dim}", z["fi"], label=f"x entries Theta(1): ||x||^2 ~ fan_in {t}", source=FC)
            xx = cs.aux(f"x.x'[{role}]@{dim}", z["fi"], label=f"alignment x^T x' ~ fan_in {t}", source=FC)
            dl = cs.aux(f"delta[{role}]@{dim}", -z["fo"] - z["L"],
                        label=f"delta entries ~ 1/(L fan_out) {t}", source=RESID if res else FC)
            d2 = cs.aux(f"||delta||^2[{role}]@{dim}", None)
            cs.eq(d2, 2 * dl + z["fo"], label=f"||delta||^2 = fan_out delta^2 {t}", source=FC)
            lr = cs.cell(role, "lr", dim)
            quantity_eps = None
            if optimizer == "sgd":
                upd = dl + xx
            elif optimizer == "adam":
                upd = xx
                quantity_eps = ("adam_eps", dl, "|G_ij| (App. B.2)")
            elif optimizer == "muon":
                upd = (dl - HALF * d2) + (xx - HALF * x2)
                quantity_eps = ("damping", HALF * d2 + HALF * x2, "||G||_F (App. B.4)")
            elif optimizer in ("shampoo", "adam#shampoo"):
                bsum = cs.aux(f"b_in+b_out[{role}]@{dim}", z["fi"] + z["fo"] - z["nblk"],
                              label=f"block sizes: b_in b_out = fan_in fan_out / n_blk {t}", source=FC)
                lam = cs.aux(f"lambda[{role}]@{dim}", None)
                cs.eq(lam, bsum + 2 * dl, label=f"preconditioner eigenvalue ||x_j||^2 ||delta_i||^2 {t}",
                      source="arXiv 2512.05620 Sec. 3.1 / App. B.3")
                if optimizer == "shampoo":
                    upd = -s_ * lam + dl + xx
                    quantity_eps = ("damping", lam, "eps_{L,R} ~ lambda (App. B.3, Table 2)")
                else:  # grafting: Shampoo direction (rank one, unit Frobenius) scaled to ||sign(G)||_F
                    upd = HALF * (z["fi"] + z["fo"]) + (dl - HALF * d2) + (xx - HALF * x2)
            elif optimizer == "soap":
                upd = xx - HALF * eL * z["bout"] - HALF * eR * z["bin"]
                quantity_eps = ("damping", dl + HALF * eL * z["bout"] + HALF * eR * z["bin"],
                                "Adam eps ~ rotated |G_ij| (App. B.5, Table 2)")
            elif optimizer == "adamuon":
                upd = xx
                quantity_eps = ("damping", (dl - HALF * d2) + (-HALF * x2), "entries of UV^T (App. B.6)")
            else:  # kfac
                upd = (dl - d2) + (xx - x2)
                ra = cs.cell(role, "damping_A", dim)
                rb = cs.cell(role, "damping_B", dim)
                cs.eq(ra, x2, label=f"rho_A ~ eig(A) = ||x||^2 {t}", source=FC_IK)
                cs.eq(rb, d2, label=f"rho_B ~ eig(B) = ||delta||^2 {t}", source=FC_IK)
            cs.eq(lr + upd, 0, label=f"feature change eta Q(G) x' = Theta(1) ({optimizer}) {t}", source=source)
            if quantity_eps:
                q, expr, what = quantity_eps
                cs.eq(cs.cell(role, q, dim, note=what), expr, label=f"{q} ~ {what} {t}", source=DAMP)
            # init (optimizer independent): sigma = d_in^{-1/2}, last layer Theta(1/d)
            sig = cs.cell(role, "init_std", dim)
            if role == "readout":
                cs.eq(sig, -z["fi"], label=f"last layer sigma = Theta(1/d) {t}", source=INIT)
            else:
                cs.eq(sig + HALF * z["fi"], 0, label=f"sigma = d_in^(-1/2) (pre-activations Theta(1)) {t}", source=INIT)
    return cs


def _parse_e(v):
    return Q(v)


def _bool(v):
    if isinstance(v, bool):
        return v
    t = str(v).strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true/false")


def _qiu(param, fixed_opt=None, where="Table 1 (LR), Table 2 (damping)"):
    def build_table(optimizer, alignment, mode="fan", e_l=None, e_r=None, residual=True):
        opt = fixed_opt or optimizer
        if mode == "per_role" and not residual:  # residual only adds the depth rows of a fan-mode matrix
            raise UserError("--residual false applies to --mode fan (a matrix inside a residual block); --mode "
                            "per_role has no depth rows: drop --residual, or use --mode fan")
        defaults = {"shampoo": ("1/4", "1/4"), "soap": (1, 1)}.get(opt, (0, 0))
        eL = Q(e_l if e_l is not None else defaults[0])
        eR = Q(e_r if e_r is not None else defaults[1])
        cs = build(opt, mode, eL, eR, residual)
        variant = {"mode": mode}
        if opt in ("shampoo", "soap"):
            variant.update(e_l=eL, e_r=eR)
        notes = ["derived from the one-step feature-change condition (FC) and the optimizer's update rule; "
                 "'weight' = a matrix inside a residual block (depth via the 1/L branch multiplier)"
                 if mode == "fan" and residual else "derived from (FC) per role (embedding/hidden/readout, width)"]
        if opt == "shampoo":
            notes.append("LR depth/blocks exponents follow the paper's Sec. 3.1 derivation L^(1-2(eL+eR)) "
                         "n_blk^-(eL+eR); its Table 1 as extracted prints L^(2(eL+eR)-1) n_blk^(eL+eR) "
                         "(disagreement, see module docstring)")
        if opt == "muon" and mode == "per_role":
            notes.append("embedding n^(+1/2), readout n^(-1/2) as Table 1; Sec. 3.2 prose has the opposite signs")
        return cs.table(param, optimizer, Source(*QIU, where), title=f"{param} (Qiu et al. 2025)",
                        convention="quantity ∝ product of dims^power; weight = generic matrix (fan_in -> fan_out)",
                        notes=notes, variant=variant)
    return build_table


def _shampoo_ik(optimizer, alignment, mode="fan", e="1/4"):
    e = Q(e)
    cs = build("shampoo", mode, e, e, residual=False, source=FC_IK, blocked=False)
    return cs.table("shampoo-ik", optimizer, Source(*IK, "Prop. 4.1 / Table 1"),
                    title="Shampoo muP (Ishikawa & Karakida 2024)",
                    convention="(GG^T + eps)^-e G (G^TG + eps)^-e; quantity ∝ dims^power",
                    variant={"mode": mode, "e": e},
                    notes=["derived from the one-step muP condition; the paper's Table 1 cells were not read "
                           "(arXiv 2512.05620 Sec. 3.1 states its Shampoo rules reproduce this paper's)"])


def _kfac(optimizer, alignment, mode="fan"):
    cs = build("kfac", mode, residual=False, source=FC_IK)
    return cs.table("kfac", optimizer, Source(*IK, "Prop. 4.1 / Table 1"), title="K-FAC muP (Ishikawa & Karakida 2024)",
                    convention="dW = -eta (B + rho_B I)^-1 G (A + rho_A I)^-1; quantity ∝ dims^power",
                    variant={"mode": mode},
                    notes=["derived from the one-step muP condition with damping ~ the factor's top eigenvalue "
                           "(A ~ fan_in, B ~ 1/fan_out); Table 1 and the paper's damping equations were not read; "
                           "its a/b convention (variance vs std) is unverified"])


_MODE = Option("mode", "'fan' (generic matrix in fan_in/fan_out[/depth/blocks]) or 'per_role' (width)", "fan", str)
_EL = Option("e_l", "left preconditioner exponent (Shampoo: 1/4 standard, 1/2 'Shampoo^2'; SOAP: 0/1)", None, _parse_e)
_ER = Option("e_r", "right preconditioner exponent", None, _parse_e)
_RES = Option("residual", "matrix inside a residual block with 1/L branch multiplier (adds the depth rows)", True, _bool)

SPECS = [
    ParamSpec("muon", "Muon (Qiu et al. 2025)", Source(*QIU, "Table 1, Table 2"), _qiu("muon", "muon"),
              optimizers=("muon",), options=(_MODE, _RES), family="optimizers",
              summary="LR ~ sqrt(fan_out/fan_in), eps ~ sqrt(fan_in/fan_out)/L"),
    ParamSpec("shampoo", "Shampoo, blocked (Qiu et al. 2025)", Source(*QIU, "Sec. 3.1 derivation; Table 1, 2"),
              _qiu("shampoo", "shampoo"), optimizers=("shampoo",), options=(_MODE, _EL, _ER, _RES), family="optimizers",
              summary="LR (d_out/d_in)^(1-eL-eR) L^(1-2(eL+eR)) n_blk^-(eL+eR); eps d_in/(L^2 d_out n_blk)"),
    ParamSpec("soap", "SOAP (Qiu et al. 2025)", Source(*QIU, "Table 1, Table 2"), _qiu("soap", "soap"),
              optimizers=("soap",), options=(_MODE, _EL, _ER, _RES), family="optimizers",
              summary="Adam in the preconditioner eigenbasis: LR b_out^(eL/2) b_in^(eR/2)/d_in"),
    ParamSpec("adamuon", "AdaMuon (Qiu et al. 2025)", Source(*QIU, "Table 1, Table 2"), _qiu("adamuon", "adamuon"),
              optimizers=("adamuon",), options=(_MODE, _RES), family="optimizers", summary="LR 1/d_in, eps (d_in d_out)^-1/2"),
    ParamSpec("adam-qiu", "Adam as a matrix optimizer (Qiu et al. 2025)", Source(*QIU, "App. B.2"),
              _qiu("adam", "adam", "App. B.2"), optimizers=("adam",), options=(_MODE, _RES), family="optimizers",
              aliases=("adam-spectral",), summary="LR 1/d_in, eps ~ |G_ij| ~ 1/(L d_out)"),
    ParamSpec("sgd-qiu", "SGD in the one-step muP bookkeeping (Qiu et al. 2025)", Source(*QIU, "App. B.1"),
              _qiu("sgd", "sgd", "App. B.1"), optimizers=("sgd",), options=(_MODE, _RES), family="optimizers",
              summary="LR d_out/d_in (x L inside residual blocks)"),
    ParamSpec("grafting", "Grafting Adam#Shampoo (Qiu et al. 2025)", Source(*QIU, "Table 1"),
              _qiu("grafting", "adam#shampoo"), optimizers=("adam#shampoo",), options=(_MODE, _RES), family="optimizers",
              summary="Q1#Q2 takes Q1's LR (here Adam: 1/d_in)"),
    ParamSpec("shampoo-ik", "Shampoo muP (Ishikawa & Karakida 2024)", Source(*IK, "Prop. 4.1 / Table 1"), _shampoo_ik,
              optimizers=("shampoo",), aliases=("shampoo-ishikawa",), family="optimizers",
              options=(_MODE, Option("e", "Shampoo exponent e_L = e_R = e (1/4 original)", "1/4", _parse_e)),
              summary="LR (d_out/d_in)^(1-2e), damping d_in/d_out"),
    ParamSpec("kfac", "K-FAC muP (Ishikawa & Karakida 2024)", Source(*IK, "Prop. 4.1 / Table 1"), _kfac,
              optimizers=("kfac",), aliases=("k-fac",), options=(_MODE,), family="optimizers",
              summary="width-independent LR; damping rho_A ~ fan_in, rho_B ~ 1/fan_out"),
]
