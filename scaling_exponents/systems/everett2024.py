"""Everett et al., "Scaling Exponents Across Parameterizations and Optimizers", arXiv 2407.05872 (ICML 2024).

Per-layer abc-parametrization (Sec. 2): layer l has multiplier n^{-a_l}, init W_l ~ N(0, n^{-2 b_l}) and
learning rate eta_l ∝ n^{-c_l}; l = 1 is the embedding, 2..L hidden, L+1 the readout.  Alignment
exponents (alpha_l, omega_l, u_l) say how strongly the update, the initial weights and their product align
with the incoming activations (Sec. 3): "full" alignment is (1, 1/2, 1), "no" alignment (1/2, 1/2, 1/2).

Constraints (the paper's constraint table; m-wojnar/maxP cites it as Table 2):

* stability at initialisation: a_1 + b_1 = 0, a_l + b_l = 1/2 (hidden), a_{L+1} + b_{L+1} >= 1/2;
* stable activations: r_l >= 0 with r_1 and the hidden r_l the min of the per-optimizer terms below;
* stable logits: the min of the readout terms >= 0;
* Adafactor (parameter-scaled updates) also needs c_l >= 0.

=========  ============================  ==========================================================
optimizer  embedding r_1                  hidden r_l = min(...)
=========  ============================  ==========================================================
SGD        g_1 + a_1 + c_1                g_l+a_l+c_l-alpha_l, g_l+a_l+c_l+r_{l-1}-u_l, 1/2+r_{l-1}-omega_l
Adam       a_1 + c_1                      a_l+c_l-alpha_l,     a_l+c_l+r_{l-1}-u_l,     1/2+r_{l-1}-omega_l
Adafactor  c_1                            1/2+c_l-alpha_l,     1/2+c_l+r_{l-1}-u_l,     1/2+r_{l-1}-omega_l
=========  ============================  ==========================================================

readout: SGD  min(a+b+r_L-omega, 2a+c-alpha, 2a+c+r_L-u); Adam min(a+b+r_L-omega, a+c-alpha, a+c+r_L-u);
Adafactor min(a+b+r_L-omega, a+b+c-alpha, a+b+c+r_L-u) (subscripts L+1).

SGD's gradient exponent is ``g_l = G + a_l`` with ``G = min(a_{L+1}+b_{L+1}, 2a_{L+1}+c_{L+1})``.  The paper
prints ``max``; that reading makes the LP unbounded for SP/NTK with full alignment and contradicts the
physics (the larger backward term dominates) and TP4's r, so this module encodes ``min`` (see
papers/oracles/README.md).  The learning-rate exponents are what the LP gives when it maximises every
learning rate at once, ``minimise sum_l c_l`` (the objective of maxP/paramR; whether the paper states
this LP is not confirmed), and the answer is checked for uniqueness on the optimal face.

The named parametrizations fix (a_l, b_l) per role (Sec. 2, Table 1); their c_l come out of the LP.
The Adam epsilon rows give eps_l ∝ n^{-g_l}, the gradient scale of layer l under Adam
(``G = min(a_{L+1}+b_{L+1}, a_{L+1}+c_{L+1})``, ``g_l = G + a_l``, readout ``g_{L+1} = a_{L+1}``), below
which epsilon would swamp the update (Sec. 4 on epsilon; derived here from the solved exponents).
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
CONSTRAINTS = "arXiv 2407.05872 Sec. 3, constraint table"
SOURCE = Source("everett2024scaling", "2407.05872", "Table 1; constraints of Sec. 3")

#: (a, b) per role, Everett et al. Sec. 2 / Table 1.
NAMED_AB = {
    "sp": {"embedding": (0, 0), "hidden": (0, HALF), "readout": (0, HALF)},
    "ntk": {"embedding": (0, 0), "hidden": (HALF, 0), "readout": (HALF, 0)},
    "mup": {"embedding": (-HALF, HALF), "hidden": (0, HALF), "readout": (HALF, HALF)},
    "mfp": {"embedding": (0, 0), "hidden": (HALF, 0), "readout": (1, 0)},
}
TITLES = {"sp": "Standard parametrization", "ntk": "NTK parametrization", "mup": "muP (maximal update)",
          "mfp": "Mean-field parametrization"}

#: (alpha, omega, u) per alignment preset (Sec. 3).
ALIGNMENTS = {"full": (1, HALF, 1), "no": (HALF, HALF, HALF)}
OPTIMIZERS = ("adam", "sgd", "adafactor")


def roles_for(hidden_layers: int) -> list[str]:
    """The roles of Everett et al.'s chain of L+1 layers (arXiv 2407.05872 Sec. 2): one embedding, ``hidden_layers``
    hidden layers, one readout."""
    return ["embedding"] + ["hidden"] * hidden_layers + ["readout"]


def build_system(a, b, optimizer: str, alignment, readout_omega=None) -> ConstraintSystem:
    """Everett et al.'s system for given per-layer a, b (lists of L+1 exponents) and alignment.

    ``alignment`` is a preset name or a list of (alpha, omega, u) per layer.  ``readout_omega`` overrides
    omega_{L+1} (TP4's stability corresponds to omega_{L+1} = 1, see papers/oracles/README.md).
    """
    if optimizer not in OPTIMIZERS:
        raise UserError(f"Everett et al. cover optimizers {', '.join(OPTIMIZERS)}; got {optimizer!r}")
    n = len(a)
    if len(b) != n or n < 2:
        raise UserError(f"need a and b with the same number (>= 2) of layers; got {len(a)} and {len(b)}")
    if isinstance(alignment, str):
        if alignment not in ALIGNMENTS:
            raise UserError(f"unknown alignment {alignment!r}; choose one of {', '.join(ALIGNMENTS)}")
        al = [ALIGNMENTS[alignment]] * n
    else:
        al = [tuple(Q(x) for x in t) for t in alignment]
        if len(al) != n:
            raise UserError(f"need one (alpha, omega, u) per layer: {n}, got {len(al)}")
    if readout_omega is not None:
        al[-1] = (al[-1][0], Q(readout_omega), al[-1][2])
    a, b = [Q(x) for x in a], [Q(x) for x in b]
    L = n - 1
    s = ConstraintSystem(f"Everett et al. ({optimizer})", source=CONSTRAINTS)
    c = [s.var(f"c_{l + 1}", description=f"LR exponent of layer {l + 1}") for l in range(n)]
    s.eq(LinExpr.of(a[0] + b[0]), 0, label="stable init: a_1 + b_1 = 0", source=CONSTRAINTS)
    for l in range(1, L):
        s.eq(LinExpr.of(a[l] + b[l]), HALF, label=f"stable init: a_{l + 1} + b_{l + 1} = 1/2", source=CONSTRAINTS)
    s.ge(LinExpr.of(a[L] + b[L]), HALF, label=f"stable init: a_{L + 1} + b_{L + 1} >= 1/2", source=CONSTRAINTS)

    if optimizer == "sgd":
        G = s.min_of("G", [LinExpr.of(a[L] + b[L]), 2 * a[L] + c[L]],
                     label="backward signal G = min(a_{L+1}+b_{L+1}, 2a_{L+1}+c_{L+1}) (paper prints max)",
                     source=CONSTRAINTS)
        eff = [G + a[l] + a[l] + c[l] for l in range(L)]  # g_l + a_l + c_l
        out_step = 2 * a[L] + c[L]
    elif optimizer == "adam":
        eff = [a[l] + c[l] for l in range(L)]
        out_step = a[L] + c[L]
    else:  # adafactor: update ∝ parameter RMS n^{-b}
        eff = [a[l] + b[l] + c[l] for l in range(L)]
        out_step = a[L] + b[L] + c[L]
        for l in range(n):
            s.ge(c[l], 0, label=f"Adafactor: c_{l + 1} >= 0", source=CONSTRAINTS)

    r = [s.var("r_1")]
    s.eq(r[0], eff[0], label="r_1 (embedding update)", source=CONSTRAINTS)
    s.ge(r[0], 0, label="stable activations: r_1 >= 0", source=CONSTRAINTS)
    for l in range(1, L):
        alpha, omega, u = al[l]
        rl = s.min_of(f"r_{l + 1}", [eff[l] - alpha, eff[l] + r[-1] - u, HALF + r[-1] - omega],
                      label=f"r_{l + 1} = min(update x input, update x input change, init weights x input change)",
                      source=CONSTRAINTS)
        s.ge(rl, 0, label=f"stable activations: r_{l + 1} >= 0", source=CONSTRAINTS)
        r.append(rl)
    alpha, omega, u = al[L]
    logit = s.min_of("logit", [a[L] + b[L] + r[-1] - omega, out_step - alpha, out_step + r[-1] - u],
                     label="logit update exponent", source=CONSTRAINTS)
    s.ge(logit, 0, label="stable logits", source=CONSTRAINTS)
    total = LinExpr()
    for x in c:
        total = total + x
    s.minimize(total)
    return s


def gradient_exponents(a, b, c, optimizer: str) -> list:
    """g_l: the gradient of layer l scales as n^{-g_l} (used for the Adam epsilon rows)."""
    a, b, c = [Q(x) for x in a], [Q(x) for x in b], [Q(x) for x in c]
    L = len(a) - 1
    step = 2 * a[L] + c[L] if optimizer == "sgd" else a[L] + c[L]
    G = min(a[L] + b[L], step)
    return [G + a[l] for l in range(L)] + [a[L]]


def derive_custom(a, b, optimizer, alignment, roles=None, readout_omega=None, name="custom", title=""):
    """Solve the LP for arbitrary (a, b) and alignment; returns an ExponentTable (per-layer rows)."""
    sys_ = build_system(a, b, optimizer, alignment, readout_omega)
    names = [f"c_{l + 1}" for l in range(len(a))]
    sol = solve(sys_, report=names).raise_for_status()
    roles = roles or [f"layer_{l + 1}" for l in range(len(a))]
    c = [sol.values[n] for n in names]
    rows, notes, seen = [], [], {}
    for role, al, bl, cl in zip(roles, a, b, c):
        if role in seen:
            if seen[role] != (Q(al), Q(bl), cl):
                raise UserError(f"role {role!r} gets different exponents in different layers; name layers apart")
            continue
        seen[role] = (Q(al), Q(bl), cl)
        rows += [Row(role, "multiplier", "width", -Q(al)), Row(role, "init_std", "width", -Q(bl)),
                 Row(role, "lr", "width", -cl)]
    if optimizer == "adam":
        g = gradient_exponents(a, b, c, optimizer)
        done = set()
        for role, gl in zip(roles, g):
            if role not in done:
                done.add(role)
                rows.append(Row(role, "adam_eps", "width", -gl, note="eps_l ∝ gradient scale n^{-g_l}"))
    if sol.free:
        notes.append("NON-UNIQUE optimum: " + ", ".join(f"{k} in [{fmt(lo)}, {fmt(hi)}]" for k, (lo, hi) in sol.free.items())
                     + "; the table shows one optimal vertex")
    r = {k: sol.values[k] for k in sys_.variables if k.startswith("r_")}
    derived = {"c": {f"c_{l + 1}": v for l, v in enumerate(c)}, "r": r, "objective (sum c)": sol.objective,
               "regime": "feature-learning" if r.get(f"r_{len(a) - 1}", 1) == 0 else "kernel-like (r_L > 0)"}
    return ExponentTable(name, optimizer, alignment if isinstance(alignment, str) else "custom", SOURCE, rows,
                         title=title, derived=derived, notes=notes, solution=sol, system=sys_,
                         convention="Everett et al. abc: W = n^-a w, w ~ N(0, n^-2b), per-layer LR eta_l n^-c_l")


def _named(name):
    def build(optimizer, alignment, layers=2):
        if layers < 1:
            raise UserError("--layers counts hidden layers and must be >= 1 (the table has a hidden role)")
        roles = roles_for(layers)
        ab = NAMED_AB[name]
        a = [ab[r][0] for r in roles]
        b = [ab[r][1] for r in roles]
        t = derive_custom(a, b, optimizer, alignment, roles, name=name, title=TITLES[name])
        t.variant = {"hidden_layers": layers}
        t.notes.insert(0, f"(a, b) fixed by the paper's definition of {name}; every c_l derived by the LP "
                          f"(max stable learning rate, minimise sum c_l) with {layers} hidden layer(s)")
        return t
    return build


_LAYERS = Option("layers", "hidden layers in the LP (the table is the same for any >= 1)", 2, int)
SPECS = [
    ParamSpec(name, TITLES[name] + " (Everett et al. 2024)", SOURCE, _named(name), optimizers=OPTIMIZERS,
              alignments=("full", "no"), options=(_LAYERS,), family="width",
              aliases=(f"everett-{name}",) + (("ntp",) if name == "ntk" else ()),
              summary=f"{name}: per-layer LR exponents derived from Everett et al.'s alignment constraints")
    for name in ("mup", "sp", "ntk", "mfp")
]
