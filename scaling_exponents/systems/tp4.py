"""Tensor Programs IV (Yang & Hu, arXiv 2011.14522): abc-parametrizations of an MLP under SGD.

The constraint system (TP4 Sec. 3): exponents a_l, b_l (l = 1..L+1) and one global SGD exponent c;
``G = min(a_{L+1}+b_{L+1}, 2a_{L+1}+c)`` (the size of the backward signal), per-layer
``r_l = G + c - 1 + 2 a_l + 1[l = 1]`` (Prop. 5.3), ``r = min_l r_l`` (Def. 3.2), and the stability
conditions of Thm 3.3.  Named points (Table 1):

* ``tp4-sp``, ``tp4-ntk``, ``tp4-mfp``: the paper fixes (a, b); the engine derives the largest stable
  learning rate, i.e. minimises c subject to Thm 3.3, which gives Table 1's c = 1, 0, -1.
* ``tp4-mup`` (Def. 5.1, Thm 5.6): a, b are unknown; every W^l (l <= L) is updated maximally (r_l = 0),
  W^{L+1} is updated and initialised maximally (2a_{L+1}+c = 1, a_{L+1}+b_{L+1}+r = 1), with the
  normalisation c = 0 that removes the abc symmetry (TP4 Eq. (5)); the LP finds the unique solution.
* ``tp4-sp-default``: PyTorch's SP with a width-independent SGD LR (c = 0): classified unstable.

:func:`classify_lp` classifies many points with ONE linear program (an elastic phase-1 LP); the tests
check it against the closed form in :mod:`scaling_exponents.theory.classify`.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.classify import (TP4_DICHOTOMY, TP4_NONTRIVIAL, TP4_R_DEF, TP4_R_L, TP4_THM_STABLE,
                               Classification, classify)
from ..theory.exponents import Q
from ..theory.solve import solve
from ..theory.system import ConstraintSystem, LinExpr
from ..theory.table import ExponentTable, Row, Source
from .base import Option, ParamSpec

SOURCE = Source("yang2020feature", "2011.14522", "Table 1")
HALF = sympy.Rational(1, 2)

#: (a, b) per layer as TP4 Table 1 fixes them: (input, hidden..., readout) with L+1 entries.
NAMED_AB = {
    "sp": lambda L: ([0] * (L + 1), [0] + [HALF] * L),
    "ntk": lambda L: ([0] + [HALF] * L, [0] * (L + 1)),
    "mfp": lambda L: ([0, 1], [0, 0]),  # TP4 Table 1: MFP is defined for L = 1 only
}


def build_system(L: int, prefix: str = "", a=None, b=None, c=None, elastic: bool = False) -> ConstraintSystem:
    """TP4's stability system for an L-hidden-layer MLP; ``a``, ``b``, ``c`` (if given) are fixed.

    Variables ``a_1..a_{L+1}``, ``b_1..b_{L+1}``, ``c``, ``G``, ``r_1..r_L``, ``r`` (1-based as in the paper).
    With ``elastic`` every stability condition gets a slack ``s_k >= 0`` (phase-1 LP): the point is stable
    iff the minimal total slack is 0.
    """
    s = ConstraintSystem(f"TP4 stability, L={L}", source="arXiv 2011.14522 Sec. 3")
    p = prefix
    A = [s.var(f"{p}a_{l}", description=f"multiplier exponent of W^{l}") for l in range(1, L + 2)]
    B = [s.var(f"{p}b_{l}", description=f"init std exponent of W^{l}") for l in range(1, L + 2)]
    C = s.var(f"{p}c", description="global SGD learning-rate exponent")
    for vals, vars_ in ((a, A), (b, B)):
        if vals is not None:
            for v, x in zip(vals, vars_):
                s.fix(next(iter(x.terms)), v)
    if c is not None:
        s.fix(f"{p}c", c)
    out_ab, out_2ac = A[L] + B[L], 2 * A[L] + C
    G = s.min_of(f"{p}G", [out_ab, out_2ac], label="backward signal G = min(a_{L+1}+b_{L+1}, 2a_{L+1}+c)",
                 source=TP4_R_DEF)
    r_l = []
    for l in range(L):
        x = s.var(f"{p}r_{l + 1}", description=f"update exponent of layer {l + 1}")
        s.eq(x, G + C - 1 + 2 * A[l] + (1 if l == 0 else 0), label=f"r_{l + 1} = G + c - 1 + 2a_{l + 1}"
             + (" + 1" if l == 0 else ""), source=TP4_R_L)
        r_l.append(x)
    r = s.min_of(f"{p}r", r_l, label="r = min_l r_l", source=TP4_R_DEF)

    conds = [(A[0] + B[0], "==", "a_1 + b_1 = 0")]
    conds += [(A[l] + B[l] - HALF, "==", f"a_{l + 1} + b_{l + 1} = 1/2") for l in range(1, L)]
    conds += [(out_ab - HALF, ">=", f"a_{L + 1} + b_{L + 1} >= 1/2"), (r, ">=", "r >= 0"),
              (out_2ac - 1, ">=", f"2a_{L + 1} + c >= 1"), (out_ab + r - 1, ">=", f"a_{L + 1} + b_{L + 1} + r >= 1")]
    slacks = []
    for k, (expr, sense, label) in enumerate(conds):
        if elastic:
            sk = s.var(f"{p}s_{k}")
            s.ge(sk, 0, label=f"slack {k} >= 0")
            slacks.append(sk)
            if sense == "==":
                s.ge(expr + sk, 0, label=label + " (elastic, lower)", source=TP4_THM_STABLE)
                s.ge(sk - expr, 0, label=label + " (elastic, upper)", source=TP4_THM_STABLE)
            else:
                s.ge(expr + sk, 0, label=label + " (elastic)", source=TP4_THM_STABLE)
        elif sense == "==":
            s.eq(expr, 0, label=label, source=TP4_THM_STABLE)
        else:
            s.ge(expr, 0, label=label, source=TP4_THM_STABLE)
    s.extra = {"A": A, "B": B, "C": C, "r": r, "r_l": r_l, "slacks": slacks}
    return s


def classify_lp(points) -> list[Classification]:
    """Classify many (a, b, c) points with one LP.

    Each point gets its own block of variables: its r (epigraph of the min) and the slacks of Thm 3.3's
    conditions.  Minimising ``sum(slacks) - sum(r)`` decouples over blocks; r_i attains its min (raising r
    only relaxes the conditions) and a point is stable iff its slacks are 0.  Nontriviality and the
    regime are then read off the LP's r (TP4 Sec. 3).
    """
    points = list(points)
    big = ConstraintSystem("TP4 batched classification", source="arXiv 2011.14522 Sec. 3")
    blocks = []
    for i, (a, b, c) in enumerate(points):
        L = len(a) - 1
        sub = build_system(L, prefix=f"p{i}.", a=a, b=b, c=c, elastic=True)
        big.variables += sub.variables
        big.fixed.update(sub.fixed)
        big.constraints += sub.constraints
        big.definitions += sub.definitions
        blocks.append(sub.extra)
    objective = LinExpr()
    for ex in blocks:
        for sk in ex["slacks"]:
            objective = objective + sk
        objective = objective - ex["r"]
    big.minimize(objective)
    sol = solve(big, report=[], certify=False).raise_for_status()
    out = []
    for (a, b, c), ex in zip(points, blocks):
        a, b, c = [Q(x) for x in a], [Q(x) for x in b], Q(c)
        L = len(a) - 1
        val = lambda e: e.evaluate(sol.values)
        r = val(ex["r"])
        stable = all(val(sk) == 0 for sk in ex["slacks"])
        nontrivial = stable and (a[L] + b[L] + r == 1 or 2 * a[L] + c == 1)
        regime = "unstable" if not stable else "trivial" if not nontrivial else "feature-learning" if r == 0 else "kernel"
        out.append(Classification(r, [val(x) for x in ex["r_l"]], stable, nontrivial, regime))
    return out


def _table(name, title, L, a, b, c, sol=None, system=None, notes=()):
    cl = classify(a, b, c)
    rows = []
    roles = ["embedding"] + ["hidden"] * (L - 1) + ["readout"]
    seen = set()
    for role, al, bl in zip(roles, a, b):
        if role in seen:
            continue
        seen.add(role)
        rows += [Row(role, "multiplier", "width", -Q(al)), Row(role, "init_std", "width", -Q(bl)),
                 Row(role, "lr", "width", -Q(c))]
    derived = {
        "r": cl.r,
        "r_l": {f"r_{l + 1}": v for l, v in enumerate(cl.r_l)},
        "2a_out+c": 2 * Q(a[L]) + Q(c),
        "a_out+b_out+r": Q(a[L]) + Q(b[L]) + cl.r,
        "regime": cl.regime,
        "regime_source": f"{TP4_THM_STABLE}; {TP4_NONTRIVIAL}; {TP4_DICHOTOMY}",
    }
    if cl.failed:
        derived["violated"] = cl.failed
    return ExponentTable(name, "sgd", None, SOURCE, rows, title=title, variant={"L": L}, derived=derived,
                         notes=list(notes), solution=sol, system=system,
                         convention="TP4 abc: W = n^-a w, w ~ N(0, n^-2b), one global SGD LR eta n^-c")


def _max_lr(name, title):
    def build(optimizer, alignment, layers=2):
        L = layers
        if name == "mfp" and L != 1:
            raise UserError("TP4 defines MFP for L = 1 only (Table 1); use --layers 1 or --param mfp (Everett et al.)")
        a, b = NAMED_AB[name](L)
        s = build_system(L, a=a, b=b)
        s.minimize(s.extra["C"])
        sol = solve(s, report=["c"]).raise_for_status()
        c = sol.values["c"]
        return _table(f"tp4-{name}", title, L, a, b, c, sol, s,
                      notes=[f"(a, b) fixed as in TP4 Table 1; c = {c} is the smallest stable c (largest stable LR), "
                             "derived by the LP"])
    return build


def _mup(optimizer, alignment, layers=2):
    L = layers
    s = build_system(L, c=0)
    ex = s.extra
    for l, x in enumerate(ex["r_l"]):
        s.eq(x, 0, label=f"W^{l + 1} updated maximally: r_{l + 1} = 0", source="arXiv 2011.14522 Def. 5.2, Prop. 5.3")
    s.eq(2 * ex["A"][L] + ex["C"], 1, label=f"W^{L + 1} updated maximally", source="arXiv 2011.14522 Prop. 5.5")
    s.eq(ex["A"][L] + ex["B"][L] + ex["r"], 1, label=f"W^{L + 1} initialized maximally", source="arXiv 2011.14522 Prop. 5.5")
    names = [f"a_{l}" for l in range(1, L + 2)] + [f"b_{l}" for l in range(1, L + 2)]
    sol = solve(s, report=names).raise_for_status()
    if not sol.unique:
        raise UserError(f"TP4 muP system is not unique: {sol.free}")  # pragma: no cover - guarded by tests
    a = [sol.values[f"a_{l}"] for l in range(1, L + 2)]
    b = [sol.values[f"b_{l}"] for l in range(1, L + 2)]
    return _table("tp4-mup", "muP (TP4 Def. 5.1)", L, a, b, 0, sol, s,
                  notes=["(a, b) derived: the unique stable abc-parametrization with every layer updated maximally and "
                         "the readout initialized maximally, normalised by c = 0 (TP4 Def. 5.1, Thm 5.6)"])


def _sp_default(optimizer, alignment, layers=2):
    L = layers
    a, b = NAMED_AB["sp"](L)
    return _table("tp4-sp-default", "SP with a width-independent LR (PyTorch default)", L, a, b, 0,
                  notes=["not derived: c = 0 is what practice uses; TP4 classifies it unstable (Thm 3.3)"])


_L = Option("layers", "number L of layers before the readout (TP4's L; L-1 hidden n x n matrices)", 2, int)
SPECS = [
    ParamSpec("tp4-mup", "muP (Tensor Programs IV)", Source("yang2020feature", "2011.14522", "Def. 5.1, Table 1"),
              _mup, optimizers=("sgd",), options=(_L,), family="width",
              summary="unique maximal-update abc-parametrization for SGD, derived from TP4's conditions"),
    ParamSpec("tp4-sp", "SP with its largest stable LR (TP4)", SOURCE, _max_lr("sp", "SP, LR 1/n (TP4)"),
              optimizers=("sgd",), options=(_L,), family="width", summary="standard parametrization, c derived: kernel regime"),
    ParamSpec("tp4-ntk", "NTK parametrization (TP4)", SOURCE, _max_lr("ntk", "NTP (TP4)"), optimizers=("sgd",),
              options=(_L,), aliases=("tp4-ntp",), family="width", summary="NTK parametrization, c derived: kernel regime"),
    ParamSpec("tp4-mfp", "mean-field parametrization, L = 1 (TP4)", SOURCE, _max_lr("mfp", "MFP (TP4, L = 1)"),
              optimizers=("sgd",), options=(Option("layers", "TP4's L; MFP is defined for L = 1 only", 1, int),),
              family="width", summary="mean-field, one hidden layer, c derived: feature learning"),
    ParamSpec("tp4-sp-default", "SP with a width-independent SGD LR (TP4)", SOURCE, _sp_default,
              optimizers=("sgd",), options=(_L,), family="width", summary="PyTorch default: unstable per TP4 Thm 3.3"),
]
