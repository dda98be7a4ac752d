"""Muon as implemented: the per-matrix LR adjustment of the code people run, against the spectral condition.

Every Muon implementation orthogonalises the (momentum) gradient, ``O = UV^T`` (unit spectral norm), and then
multiplies the user's learning rate by a SHAPE-DEPENDENT adjustment ``a(A, B)`` before ``W -= lr * a * O``.
For ``nn.Linear`` weights ``A = shape[0] = fan_out`` and ``B = shape[1] = fan_in``.  The conventions:

=======================  ============================  =====================================================
name                     a(A, B)                       where it is written
=======================  ============================  =====================================================
muon-keller              sqrt(max(1, A/B))             KellerJordan/Muon ``muon_update``:
                                                       ``update *= max(1, grad.size(-2)/grad.size(-1))**0.5``
muon-moonlight           0.2 sqrt(max(A, B))           Liu et al. (Moonlight), arXiv 2502.16982 Sec. 2.2:
                                                       match AdamW's update RMS (0.2-0.4)
torch-muon-original      sqrt(max(1, A/B))             torch.optim.Muon ``_adjust_lr`` (adjust_lr_fn=None or
                                                       "original"), torch 2.13
torch-muon-match-rms     0.2 sqrt(max(A, B))           torch.optim.Muon ``_adjust_lr("match_rms_adamw")``
scion-spectral           sqrt(A/B)                     LIONS-EPFL/scion ``Spectral.lmo`` (default normalized=True,
                                                       max=False); Pethick et al., arXiv 2502.07529
=======================  ============================  =====================================================

**The spectral condition** (Yang, Simon & Bernstein, arXiv 2310.17813 Condition 1; for Muon arXiv 2512.05620
Table 1 / App. B.4): ``||Delta W||_* = Theta(sqrt(fan_out/fan_in))``.  With ``||O||_* = 1`` the EFFECTIVE learning
rate ``lr * a`` must scale as ``sqrt(fan_out/fan_in)``.  So each table derives the exponent of the user's base
LR that the code leaves to the user: ``lr = effective_lr - lr_adjustment`` (exponents).  Rows:

* ``lr_adjustment``: the exponent of ``a(A, B)`` (the max is resolved per regime, option ``regime``, or by the
  solver along one dimension in ``mode=per_role``);
* ``effective_lr``: the spectral condition's ``sqrt(fan_out/fan_in)``;
* ``lr``: what the USER must still scale the base LR by (0 = the code alone realises the spectral condition);
* ``update_rms``: the RMS entry of ``a * O`` per unit base LR, ``a / sqrt(max(A, B))`` (``||O||_F^2 = min(A,B)``).

**Differences stated (derived, asserted in tests/systems/test_muon_conventions.py):**

1. Keller / torch "original": base LR exponent 0 when fan_out >= fan_in (the code IS the spectral rule there);
   when fan_out < fan_in (e.g. an MLP down-projection) ``a = 1`` and the base LR must still fall as
   ``sqrt(fan_out/fan_in)``: the code under-corrects wide-to-narrow matrices.
2. Moonlight / torch "match_rms_adamw": ``a`` grows like ``sqrt(max fan)`` for every matrix, so the update RMS is
   the constant 0.2 (AdamW-like).  For a square hidden matrix the effective LR grows like ``sqrt(n)`` and the
   base LR must fall like ``n^(-1/2)`` for feature-learning transfer; with a fixed base LR the rule does not
   transfer across width, as Qiu et al. (arXiv 2512.05620 App. G) report for Kimi's 0.2*sqrt(max) factor.
3. Scion's ``Spectral`` LMO scales by exactly sqrt(fan_out/fan_in): base LR exponent 0 in both regimes (the
   spectral condition with no max); its decay is ``p *= 1 - lr`` (constrained mode), again unadjusted.
4. The constant: Moonlight/torch match_rms carry 0.2, Keller/torch original 1 (same exponents as their pair).
5. Weight decay: all four decay with the UNADJUSTED lr (``p *= 1 - lr*wd``; torch ``_single_tensor_muon``,
   Keller ``p.mul_(1 - lr*weight_decay)``, Moonlight Eq. (3)), so the per-step decay does not inherit ``a``.
6. Shape convention: ``A, B = shape[:2]`` is (fan_out, fan_in) only for ``nn.Linear``; an ``nn.Embedding`` weight
   is (num_embeddings, dim) = (fan_in, fan_out), so the same code applies the transposed rule there.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import REGIMES, ROLE_FANS, CellSystem, refuse_regime_per_role

HALF = sympy.Rational(1, 2)
COND1 = "arXiv 2310.17813 Condition 1 (||dW||_* ~ sqrt(fan_out/fan_in)); Muon: arXiv 2512.05620 Table 1"
UNIT = "orthogonalised update O = UV^T has ||O||_* = 1, ||O||_F^2 = min(A, B)"

#: name -> (kind, bib key, arXiv id, where, code reference)
CONVENTIONS = {
    "muon-keller": ("ratio", "jordan2024muon", None, "muon.py muon_update",
                    "KellerJordan/Muon muon_update: update *= max(1, grad.size(-2)/grad.size(-1))**0.5"),
    "muon-moonlight": ("rms", "liu2025muon", "2502.16982", "Sec. 2.2, Eq. (3)",
                       "arXiv 2502.16982 Sec. 2.2: 0.2*sqrt(max(A, B)) matches AdamW's update RMS"),
    "torch-muon-original": ("ratio", "pytorch_muon", None, "torch/optim/_muon.py _adjust_lr",
                            "torch.optim.Muon _adjust_lr(adjust_lr_fn=None|'original'): sqrt(max(1, A/B))"),
    "torch-muon-match-rms": ("rms", "pytorch_muon", None, "torch/optim/_muon.py _adjust_lr",
                             "torch.optim.Muon _adjust_lr('match_rms_adamw'): 0.2*sqrt(max(A, B))"),
    "scion-spectral": ("spectral", "pethick2025training", "2502.07529", "scion.py Spectral.lmo",
                       "LIONS-EPFL/scion Spectral.lmo: g *= (d_out / d_in)**0.5 (normalized=True, max=False)"),
}
FORMULA = {"ratio": "sqrt(max(1, A/B))", "rms": "0.2 sqrt(max(A, B))", "spectral": "sqrt(A/B)"}
CONSTANT = {"ratio": 1, "rms": sympy.Rational(1, 5), "spectral": 1}


def build(name: str, mode: str = "fan", regime: str = REGIMES[0]) -> CellSystem:
    """The spectral condition + the code's adjustment ``a(A, B)`` for one convention."""
    if name not in CONVENTIONS:
        raise UserError(f"Muon conventions are {', '.join(CONVENTIONS)}; got {name!r}")
    if mode not in ("fan", "per_role"):
        raise UserError(f"--mode is 'fan' (rows in fan_in/fan_out) or 'per_role' (width); got {mode!r}")
    if regime not in REGIMES:
        raise UserError(f"--regime is one of {', '.join(REGIMES)}; got {regime!r}")
    kind, _, _, _, code = CONVENTIONS[name]
    cs = CellSystem(f"Muon as implemented ({name}, {mode})", source=code)
    roles = ["weight"] if mode == "fan" else list(ROLE_FANS)
    for role in roles:
        dims = ("fan_in", "fan_out") if mode == "fan" else ("width",)
        for dim in dims:
            if mode == "fan":
                fi, fo = Q(int(dim == "fan_in")), Q(int(dim == "fan_out"))
            else:
                fi, fo = (Q(x) for x in ROLE_FANS[role])
            t = f"[{role}, {dim}]"
            adj = cs.cell(role, "lr_adjustment", dim, note=f"code: {FORMULA[kind]}")
            if mode == "fan":  # the regime names the larger of A = fan_out and B = fan_in
                big = cs.aux(f"max(A,B)[{role}]@{dim}", fo if regime == REGIMES[0] else fi,
                             label=f"max(A, B) in regime {regime} {t}", source=code)
            else:
                big = cs.system.max_of(f"max(A,B)[{role}]@{dim}", [fo, fi], label=f"max(fan_out, fan_in) {t}",
                                       source=code)
            if kind == "ratio":
                if mode == "fan":
                    ratio = fo - fi if regime == REGIMES[0] else Q(0)
                    cs.eq(adj, HALF * ratio, label=f"sqrt(max(1, A/B)) in regime {regime} {t}", source=code)
                else:
                    r = cs.system.max_of(f"max(1,A/B)[{role}]@{dim}", [0, fo - fi], label=f"max(1, A/B) {t}",
                                         source=code)
                    cs.eq(adj, HALF * r, label=f"a = sqrt(max(1, A/B)) {t}", source=code)
            elif kind == "spectral":
                cs.eq(adj, HALF * (fo - fi), label=f"a = sqrt(A/B) {t}", source=code)
            else:
                cs.eq(adj, HALF * big, label=f"a = 0.2 sqrt(max(A, B)) {t}", source=code)
            eff = cs.cell(role, "effective_lr", dim, note="lr * a: spectral condition")
            cs.eq(eff, HALF * (fo - fi), label=f"||lr a O||_* = lr a ~ sqrt(fan_out/fan_in) {t}", source=COND1)
            lr = cs.cell(role, "lr", dim, note="base LR the user must still scale (0 = code does it)")
            cs.eq(lr + adj, eff, label=f"effective LR = base LR x adjustment {t}", source=code)
            rms = cs.cell(role, "update_rms", dim, note="RMS of a*O per unit base LR")
            cs.eq(rms, adj - HALF * big, label=f"RMS(a O) = a sqrt(min(A,B)/(A B)) = a/sqrt(max(A,B)) {t}",
                  source=UNIT)
    return cs


def _table_builder(name):
    kind, key, arxiv, where, code = CONVENTIONS[name]

    def build_table(optimizer, alignment, mode="fan", regime=REGIMES[0]):
        refuse_regime_per_role(mode, regime)
        cs = build(name, mode, regime)
        notes = [f"adjustment from the code: {code}",
                 f"constant factor {CONSTANT[kind]} (exponent tables drop it; concrete factors are ratios to a base)",
                 "weight decay uses the UNADJUSTED lr: p *= 1 - lr*wd (not shown as a row)"]
        if kind == "ratio":
            notes.append("realises the spectral condition by itself only when fan_out >= fan_in")
        elif kind == "spectral":
            notes.append("realises the spectral condition in every regime (base LR width-independent); "
                         "constrained mode decays p *= 1 - lr")
        else:
            notes.append("constant update RMS (0.2, AdamW-like); base LR must fall as n^(-1/2) for square matrices "
                         "(arXiv 2512.05620 App. G: Kimi's 0.2*sqrt(max) rule does not transfer at fixed base LR)")
        if name.startswith("torch"):
            notes.append("A, B = param.shape[:2] = (fan_out, fan_in) for nn.Linear; nn.Embedding is transposed")
        variant = {"mode": mode} if mode == "per_role" else {"mode": mode, "regime": regime}
        return cs.table(name, optimizer, Source(key, arxiv, where), title=f"Muon as implemented: {name}",
                        convention="A = fan_out, B = fan_in (nn.Linear); lr = base LR the user sets; "
                                   "effective_lr = lr * adjustment", notes=notes, variant=variant)
    return build_table


MODE = Option("mode", "'fan' (a generic matrix, rows in fan_in/fan_out) or 'per_role' (embedding/hidden/readout "
                      "in width)", "fan", str)
REGIME = Option("regime", "which of fan_out (A), fan_in (B) is larger: picks the branch of the max", REGIMES[0], str)

_TITLES = {
    "muon-keller": ("Muon, Keller Jordan's reference code", ("muon-jordan", "keller-muon")),
    "muon-moonlight": ("Muon, Moonlight / Kimi (0.2 sqrt(max(A, B)))", ("moonlight-muon", "kimi-muon")),
    "torch-muon-original": ("torch.optim.Muon, adjust_lr_fn='original' (default)", ("torch-muon",)),
    "torch-muon-match-rms": ("torch.optim.Muon, adjust_lr_fn='match_rms_adamw'", ("torch-muon-match-rms-adamw",)),
    "scion-spectral": ("Scion / spectral LMO (sqrt(fan_out/fan_in))", ("scion",)),
}
_SUMMARY = {
    "ratio": "code scales lr by sqrt(max(1, fan_out/fan_in)): spectral when fan_out >= fan_in",
    "rms": "code scales lr by 0.2 sqrt(max fan): update RMS constant; base lr must fall n^-1/2 (hidden)",
    "spectral": "code scales lr by sqrt(fan_out/fan_in): the spectral condition exactly, base lr constant",
}

SPECS = [
    ParamSpec(name, f"{title}", Source(CONVENTIONS[name][1], CONVENTIONS[name][2], CONVENTIONS[name][3]),
              _table_builder(name), optimizers=("muon",), options=(MODE, REGIME), aliases=aliases,
              family="optimizers", summary=_SUMMARY[CONVENTIONS[name][0]])
    for name, (title, aliases) in _TITLES.items()
]
