"""Mixture-of-Experts layers: Malasnicki et al. (arXiv 2508.09752) and Jiang, Bordelon, Pehlevan & Hanin
(arXiv 2601.20205, ICML 2026).

``moe-mup`` -- "muP for Mixture of Experts", arXiv 2508.09752 (read: abstract + ICLR 2026 OpenReview reviews;
the paper's own table was NOT read, so every row here is derived and the oracle rows are status 'derived'):
Tensor Programs V applied to an MoE layer.  A weight's role follows from which of its dimensions scale
(review 2: expert up/down = hidden weights, router d_model -> E = output weight; the same rule as
allenai/OLMo-core ``nn/mup.py``): along ``width`` (d_model, with d_expert ∝ d_model, E and top-k fixed) the
router has (fan_in, fan_out) = (n, 1), the experts (n, n); along ``experts`` (E grows, d_model fixed) the router
has (1, E) -- input-like -- and the experts do not change.  The muP conditions per dimension are written as the
spectral condition (arXiv 2310.17813; identical to TP5 Table 3 for Adam, checked in the tests):
``Adam lr = fan_in^{-1}``, ``sigma + max(fan_in, fan_out)/2 = (fan_out - fan_in)/2``.
The ``simpleP`` variant (reviews: "only experts reparameterized") keeps the router in SP (global LR,
sigma = fan_in^{-1/2}).  A shared expert (dense FFN next to the routed ones) is not in the paper; its rows
are the same classification rule applied to a d_model -> d_shared ∝ d_model -> d_model FFN (extrapolation).

``moe-completep`` -- arXiv 2601.20205 (read: abstract + en.papernotes.org digest of Table 1; secondary):
pre-LN transformer with CompleteP residual branches ``h + L^{-1} f(h)``, MoE block
``f(h) = (1/n_act) sum_{i in A(h)} g_i(h) E_i(h)``, ``g_i = sigmoid(W_router^(i) . h)``,
``E_i = W_down phi(W_up h)``, expert hidden width ``n_hid = alpha_ffn n``, sparsity ``kappa = n_act/n_exp``
FIXED (so along ``experts`` the top-k grows with E).  Constraints (Sec. 4, Adam ~ SignGD with LLN alignment:
an aligned update summed over fan_in k moves a coordinate by eta k):

* each component gets a Theta(1) change per step, separately: ``lr + fan_in = 0`` for router (fan_in n),
  expert up (n), expert down (n_hid = alpha_ffn n); the load-balancing bias moves the top-k set by Theta(1):
  ``lr_bias = 0``;
* init: router logits O(1): ``sigma_r + fan_in/2 <= 0`` (gamma >= 1/2) and the paper's choice
  ``sigma_r = n^{-gamma}``, gamma = 1 in the experiments (option ``gamma``; NOT unique: any gamma >= 1/2 is
  allowed, gamma in {1/2, 1, inf} behaved alike); expert up ``sigma + fan_in/2 = 0``; expert down is
  mean-field in the expert-hidden index: output at init ∝ alpha_ffn^{-1/2}, i.e. ``sigma + fan_in/2 =
  -1/2 [ffn_ratio]`` -- a DMFT selection, not forced by Delta z = Theta(1) (dropping it makes the optimal LR
  drift with alpha_ffn, Fig. 11);
* architecture: MoE output multiplier 1/n_act (mean of n_act Theta(1) contributions) and residual branch
  1/L (CompleteP alpha = 1).

Not encoded: Jiang et al.'s Table 2 (dense groups, Adam epsilon per group; seen only in a third-party module),
the Theta(1) tuned constants per group, SGD for either paper.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import CellSystem

HALF = sympy.Rational(1, 2)
MAL = ("malasnicki2025mu", "2508.09752")
JIANG = ("jiang2026hyperparameter", "2601.20205")
CLASSIFY = "arXiv 2508.09752 via ICLR 2026 OpenReview review 2 (router = output weight, experts = hidden)"
TP5 = "muP conditions per dimension (TP5 Table 3 Adam = spectral condition arXiv 2310.17813)"
SIMPLEP = "arXiv 2508.09752 via OpenReview reviews (simpleP: only experts reparameterized)"

#: (fan_in, fan_out) exponents of each MoE role along each scaling dimension (2508.09752 protocol).
MUP_FANS = {
    "router": {"width": (1, 0), "experts": (0, 1)},
    "expert_up": {"width": (1, 1), "experts": (0, 0)},
    "expert_down": {"width": (1, 1), "experts": (0, 0)},
    "shared_expert": {"width": (1, 1), "experts": (0, 0)},
}
VARIANTS_MUP = ("mup", "simplep")


def build_mup(variant: str = "mup") -> CellSystem:
    if variant not in VARIANTS_MUP:
        raise UserError(f"--variant is one of {', '.join(VARIANTS_MUP)}; got {variant!r}")
    cs = CellSystem(f"MoE muP ({variant})", source=CLASSIFY)
    for role, per_dim in MUP_FANS.items():
        for dim, (fi, fo) in per_dim.items():
            fi, fo = Q(fi), Q(fo)
            t = f"[{role}, {dim}: fan_in^{fi}, fan_out^{fo}]"
            lr = cs.cell(role, "lr", dim)
            sig = cs.cell(role, "init_std", dim)
            if role == "router" and variant == "simplep":
                cs.eq(lr, 0, label=f"simpleP: router keeps the global (SP) LR {t}", source=SIMPLEP)
                cs.eq(sig + HALF * fi, 0, label=f"simpleP: router keeps SP init 1/sqrt(fan_in) {t}", source=SIMPLEP)
                continue
            # ||N(0,1)^(fan_out x fan_in)||_* ~ max(sqrt fan_in, sqrt fan_out): a max of two given numbers along one
            # dimension (evaluated here; many max_of definitions pinned by equalities would make the solver
            # enumerate 2^k attaining-term choices -- spectral.py shows the max_of form)
            g = max(HALF * fi, HALF * fo)
            cs.eq(sig + g, HALF * fo - HALF * fi,
                  label=f"init: ||W||_* = sigma max(sqrt fan_in, sqrt fan_out) ~ sqrt(fan_out/fan_in) {t}", source=TP5)
            cs.eq(lr + fi, 0, label=f"Adam: ||dW||_* = eta sqrt(fan_in fan_out) ~ sqrt(fan_out/fan_in) {t}", source=TP5)
    return cs


def _mup(optimizer, alignment, variant="mup"):
    cs = build_mup(variant)
    notes = ["role classes from the reviews' reading of the paper (its table unread): router = output-like along "
             "width, input-like along experts (OLMo-core rule); experts = hidden",
             "shared_expert: not in the paper; the same rule applied to a dense d_model -> d_model FFN",
             "router zero init is also allowed (UNVERIFIED which the paper uses)"]
    if variant == "simplep":
        notes.append("simpleP: the router is left in SP (global LR, 1/sqrt(fan_in) init)")
    return cs.table("moe-mup", optimizer, Source(*MAL, "Sec. 3 (TP5 applied to MoE); table unread"),
                    title="muP for Mixture of Experts (Malasnicki et al. 2025)",
                    convention="quantity ∝ width^p experts^q; width = d_model with d_expert ∝ d_model, top-k fixed",
                    notes=notes, variant={"variant": variant})


# ------------------------------------------------------------------------------------------------
#: No ``topk`` dimension: the paper holds kappa = n_act/n_exp fixed, so n_act is not an independent scaling dimension --
#: it moves only together with n_exp (the ``experts`` rows).  A separate ``topk`` row for the 1/n_act output mean
#: counted the same growth twice (``E^-1 k^-1`` where the paper's 1/n_act = 1/(kappa n_exp) is ``E^-1``).
JDIMS = ("width", "ffn_ratio", "experts", "depth")
#: fan-in exponents of each trained group along each dimension (2601.20205 Sec. 3 architecture).
JFANIN = {
    "router": {"width": 1},
    "expert_up": {"width": 1},
    "expert_down": {"width": 1, "ffn_ratio": 1},  # n_hid = alpha_ffn n
    "expert_bias": {},
}
#: exponent of n_act along each dimension: kappa = n_act/n_exp fixed, so n_act = kappa n_exp ∝ n_exp along
#: `experts` -- once (arXiv 2601.20205 Sec. 3, f = (1/n_act) sum_{i in A(h)} g_i E_i, equation number UNVERIFIED).
N_ACT = {"experts": 1}
UPD = "arXiv 2601.20205 Sec. 4 (each component Theta(1) change per step; Adam ~ SignGD, LLN alignment)"
ARCH = "arXiv 2601.20205 Sec. 3 (architecture)"
INIT_J = "arXiv 2601.20205 Table 1 / Sec. 4 (init)"


def expert_group(cs: CellSystem, role: str, dim: str, fi, gamma, down_mean_field, init_source: str = INIT_J) -> None:
    """The lr and init_std rows of one trained MoE group (router, expert_up, expert_down) along ``dim``, whose fan_in
    grows as ``dim^fi`` (arXiv 2601.20205 Table 1 / Sec. 4): Theta(1) change per step (eta x fan_in = Theta(1));
    router logits O(1) at init with the chosen init n_embd^-gamma; expert-hidden pre-activations Theta(1); the
    expert output at init ~ alpha_ffn^-1/2, ``down_mean_field`` being that exponent along ``dim``."""
    t = f"[{role}, {dim}: fan_in^{fi}]"
    cs.eq(cs.cell(role, "lr", dim) + fi, 0, label=f"Theta(1) change: eta x fan_in = Theta(1) {t}", source=UPD)
    sig = cs.cell(role, "init_std", dim)
    if role == "router":
        cs.le(sig + HALF * fi, 0, label=f"router logits O(1) at init (gamma >= 1/2) {t}", source=init_source)
        cs.eq(sig, -gamma * fi, label=f"router init n_embd^-gamma, gamma = {gamma} (choice) {t}",
              source="arXiv 2601.20205 Table 1 (experiments: gamma = 1)")
    elif role == "expert_up":
        cs.eq(sig + HALF * fi, 0, label=f"expert hidden pre-activations Theta(1) {t}", source=init_source)
    else:
        cs.eq(sig + HALF * fi, down_mean_field, label=f"expert output at init ~ alpha_ffn^-1/2 (mean-field in the "
                                                      f"expert-hidden index; DMFT selection) {t}", source=init_source)


def build_completep(gamma="1") -> CellSystem:
    gamma = Q(gamma)
    cs = CellSystem("MoE CompleteP (Jiang et al.)", source=UPD)
    for role, fans in JFANIN.items():
        for dim in JDIMS:
            fi = Q(fans.get(dim, 0))
            if role == "expert_bias":
                cs.eq(cs.cell(role, "lr", dim), 0, label=f"load-balancing bias moves the top-k set by Theta(1) per "
                      f"step [{role}, {dim}: fan_in^{fi}]", source=UPD)
                continue
            expert_group(cs, role, dim, fi, gamma, -HALF if dim == "ffn_ratio" else 0)
    for dim in JDIMS:
        m = cs.cell("moe_output", "multiplier", dim, note="1/n_act")
        cs.eq(m + N_ACT.get(dim, 0), 0, label=f"MoE output = mean over n_act = kappa n_exp experts (kappa fixed) [{dim}]",
              source=ARCH)
    r = cs.cell("residual_branch", "multiplier", "depth", note="CompleteP h + f/L")
    cs.eq(r + 1, 0, label="residual branch 1/L (CompleteP alpha = 1)", source=ARCH)
    return cs


def _completep(optimizer, alignment, gamma="1"):
    cs = build_completep(gamma)
    return cs.table("moe-completep", optimizer, Source(*JIANG, "Table 1, Sec. 3-4"),
                    title="MoE CompleteP (Jiang, Bordelon, Pehlevan & Hanin 2026)",
                    convention="quantity ∝ n_embd^p alpha_ffn^q n_exp^r L^s; kappa = n_act/n_exp fixed",
                    variant={"gamma": Q(gamma)},
                    notes=["Table 1 read via a secondary digest; each row solved from the per-component Theta(1) "
                           "update rule, the init conditions and the architecture",
                           "router init exponent gamma is a free choice >= 1/2 (paper: gamma = 1)",
                           "expert_down's alpha_ffn^-1 init is a mean-field (DMFT) selection, not implied by "
                           "Delta z = Theta(1)", "expert_bias: zero init (no power row)"])


SPECS = [
    ParamSpec("moe-mup", "muP for Mixture of Experts (Malasnicki et al. 2025)",
              Source(*MAL, "Sec. 3 (TP5 applied to MoE)"), _mup, optimizers=("adam",), family="moe",
              options=(Option("variant", "'mup' (router reparametrized) or 'simplep' (experts only)", "mup",
                              lambda v: str(v).lower()),),
              summary="router output-like (width) / input-like (experts); experts hidden; E-independent LRs"),
    ParamSpec("moe-completep", "MoE with CompleteP (Jiang et al. 2026)", Source(*JIANG, "Table 1"), _completep,
              optimizers=("adam",), family="moe", aliases=("moe-jiang",),
              options=(Option("gamma", "router init exponent sigma = n_embd^-gamma (>= 1/2; paper uses 1)", "1", Q),),
              summary="per-group Adam LR/init in width, alpha_ffn, n_exp (kappa fixed), depth"),
]
