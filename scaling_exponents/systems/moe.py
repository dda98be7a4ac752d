"""Mixture-of-Experts layers: Malasnicki et al. (arXiv 2508.09752) and Jiang, Bordelon, Pehlevan & Hanin
(arXiv 2601.20205, ICML 2026).

``moe-mup`` -- "muP for Mixture of Experts", arXiv 2508.09752 (read: abstract + ICLR 2026 OpenReview reviews of the
withdrawn submission; the paper's own table was NOT read, so every row here is derived and the oracle rows are status
'derived'; its experiments: Switch Transformer on C4, LR only, widths up to 2048; the expert-count and granularity
ablations were run under simpleP, review 3):
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

``moe-completep`` -- arXiv 2601.20205.  Read (all VERIFIED-2nd; the paper's own tables were not readable here):
the abstract; the en.papernotes.org ICML-2026 digest of Table 1; and boris-hanin/ai-theorist (a repository of
co-author B. Hanin whose notes quote the paper): ``derivations/06-moe.md`` (Table 1, Scaling Rules 1-2, Sec. 3.2),
``derivations/07-moe-dmft.md`` (App. E, its footnote 2, Eq. 5) and, on branch agent/autoscaler-mvp @8eef349,
``src/ai_theorist/autoscaler/jiang_moe.py`` (v3 Table 2 groups, App. D.1 constants).  Two independent transcriptions
agree on every Table 1 exponent.  The model: pre-LN transformer with CompleteP residual branches ``h + L^{-1} f(h)``,
MoE block ``f(h) = (1/n_act) sum_{i in A(h)} g_i(h) E_i(h)``, ``g_i = sigmoid(W_router^(i) . h)``,
``E_i = W_down phi(W_up h)``, expert hidden width ``n_hid = alpha_ffn n``, sparsity ``kappa = n_act/n_exp``
FIXED (Sec. 3.2; so along ``experts`` the top-k grows with E).  Constraints (Sec. 4, Adam ~ SignGD with LLN alignment:
an aligned update summed over fan_in k moves a coordinate by eta k):

* each component gets a Theta(1) change per step, separately: ``lr + fan_in = 0`` for router (fan_in n; Scaling
  Rule 1: eta_router ∝ n^-1), expert up (n), expert down (n_hid = alpha_ffn n); the load-balancing bias
  ``b_i <- b_i - eta_bias (Load_i - kappa)`` (Eq. 2) moves the top-k set by Theta(1): ``lr_bias = 0`` (Scaling Rule 2);
* init: router logits O(1): ``sigma_r + fan_in/2 <= 0`` (gamma >= 1/2) and the main text's choice
  ``sigma_r = n^{-gamma}``, gamma = 1 in every main-text experiment, biases 0 (option ``gamma``; NOT unique: gamma in
  {1/2, 1, inf} behaved alike).  App. E's DMFT instead initialises the router at ZERO and draws random initial biases
  b_k(0) for routing diversity (footnote 2): ``--gamma inf`` (no router init row).  Zero router AND zero biases tie
  every gate -- the same experts serve every token (ai-theorist F21) -- so the two conventions must not be mixed;
  expert up ``sigma + fan_in/2 = 0``; expert down is mean-field in the expert-hidden index: output at init
  ∝ alpha_ffn^{-1/2}, i.e. ``sigma + fan_in/2 = -1/2 [ffn_ratio]`` -- a DMFT selection, not forced by
  Delta z = Theta(1) (dropping it makes the optimal LR drift with alpha_ffn, Fig. 11);
* architecture: MoE output multiplier 1/n_act (mean of n_act Theta(1) contributions) and residual branch
  1/L (CompleteP alpha = 1).

* Adam eps per group: v3 Table 2 as transcribed in jiang_moe.py (``EPS_TABLE2``; VERIFIED-2nd, one source; its LR
  and init columns equal Table 1): router ``D^-1 L^-1``, expert up ``M^-1 L^-1``, expert down ``D M^-2 L^-1``
  (D = n_embd, M = n_hid), none in n_exp.  A per-entry gradient count disagrees (moe_details.py).

Not encoded: the Theta(1) tuned constants per group (App. D.1 as transcribed in jiang_moe.py: router and expert-down
LR x1/16, expert-down init x1/4 -- base values, not exponents), the dense groups of Table 2 (embeddings, norms,
attention), SGD for either paper.  Expert granularity: ``moe-granularity`` (moe_details.py).
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
    """muP for an MoE layer (Malasnicki et al., arXiv 2508.09752, as classified by its OpenReview review 2: router =
    output weight, experts = hidden weights): TP5's conditions per dimension from each weight's fans; ``simplep``
    reparameterizes the experts only."""
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
#: exponent of n_embd (D), expert hidden width n_hid (M = alpha_ffn D), n_act and depth L along each dimension
#: (arXiv 2601.20205 Sec. 3).  kappa = n_act/n_exp is fixed, so n_act = kappa n_exp ∝ n_exp along ``experts`` --
#: once (f = (1/n_act) sum_{i in A(h)} g_i E_i).  ``granularity`` G (moe_details.py) is the direction
#: alpha_ffn ∝ G^-1, n_exp ∝ G: M ∝ G^-1, n_act ∝ G.
SIZES = {
    "width": {"D": 1, "M": 1},
    "ffn_ratio": {"M": 1},
    "experts": {"n_act": 1},
    "granularity": {"M": -1, "n_act": 1},
    "depth": {"L": 1},
}
#: the size each trained group's fan_in is: router and expert_up read n_embd, expert_down reads n_hid
FAN_IN = {"router": "D", "expert_up": "D", "expert_down": "M"}
#: Adam eps per group, arXiv 2601.20205v3 Table 2: exponents of D, M, L (router eps0 D^-1 L^-1, expert up
#: eps0 M^-1 L^-1, expert down eps0 D M^-2 L^-1; no n_exp factor at fixed kappa).  Read only as transcribed
#: (EPS_SOURCE).
EPS_TABLE2 = {"router": {"D": -1, "L": -1}, "expert_up": {"M": -1, "L": -1}, "expert_down": {"D": 1, "M": -2, "L": -1}}
#: where 2601.20205's Table 1 / Sec. 3-4 were read (both secondary; module doc)
READ_J = ("VERIFIED-2nd: en.papernotes.org ICML2026 digest; boris-hanin/ai-theorist derivations/06-moe.md "
          "(Table 1, Scaling Rules 1-2)")
UPD = "arXiv 2601.20205 Sec. 4 (each component Theta(1) change per step; Adam ~ SignGD, LLN alignment)"
ARCH = "arXiv 2601.20205 Sec. 3 (architecture)"
INIT_J = f"arXiv 2601.20205 Table 1 / Sec. 4 (init; {READ_J})"
ZERO_ROUTER = ("arXiv 2601.20205 App. E footnote 2 (router initialised at zero, random initial biases b_k(0)); "
               "VERIFIED-2nd: boris-hanin/ai-theorist derivations/07-moe-dmft.md Sec. 3")
EPS_REPO = ("boris-hanin/ai-theorist@agent/autoscaler-mvp (8eef349) src/ai_theorist/autoscaler/jiang_moe.py "
            "optimizer_parameter_groups")
EPS_SOURCE = f"arXiv 2601.20205v3 Table 2 / Sec. 3.1-3.3; VERIFIED-2nd: {EPS_REPO} (the table itself unread)"


def size_exp(dim: str, *names: str):
    """Sum of the exponents of ``names`` (D, M, n_act, L) along ``dim`` (:data:`SIZES`)."""
    return sum((Q(SIZES[dim].get(n, 0)) for n in names), Q(0))


def eps_exponent(role: str, dim: str):
    """Table 2's Adam-eps exponent of ``role`` along ``dim`` (:data:`EPS_TABLE2`)."""
    return sum((p * size_exp(dim, k) for k, p in EPS_TABLE2[role].items()), Q(0))


def parse_gamma(value):
    """``--gamma``: the router init exponent (sigma_r = n_embd^-gamma, a rational >= 1/2; the main text uses 1), or
    ``inf`` / ``zero`` for App. E's zero router init (then b_k(0) must be random: module doc)."""
    if str(value).strip().lower() in ("inf", "oo", "infinity", "zero"):
        return sympy.oo
    return Q(value)


def expert_group(cs: CellSystem, role: str, dim: str, fi, gamma, down_mean_field, init_source: str = INIT_J) -> None:
    """The lr and init_std rows of one trained MoE group (router, expert_up, expert_down) along ``dim``, whose fan_in
    grows as ``dim^fi`` (arXiv 2601.20205 Table 1 / Sec. 4): Theta(1) change per step (eta x fan_in = Theta(1));
    router logits O(1) at init with the chosen init n_embd^-gamma; expert-hidden pre-activations Theta(1); the
    expert output at init ~ alpha_ffn^-1/2, ``down_mean_field`` being that exponent along ``dim``."""
    t = f"[{role}, {dim}: fan_in^{fi}]"
    cs.eq(cs.cell(role, "lr", dim) + fi, 0, label=f"Theta(1) change: eta x fan_in = Theta(1) {t}", source=UPD)
    if role == "router" and gamma == sympy.oo:
        return  # App. E: router initialised at zero (ZERO_ROUTER) -- no init_std power row
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


def build_jiang(dims=JDIMS, gamma="1", name="MoE CompleteP (Jiang et al.)") -> CellSystem:
    """Table 1 (LR, init) and Table 2 (Adam eps) of arXiv 2601.20205 along ``dims`` (keys of :data:`SIZES`)."""
    gamma = parse_gamma(gamma)
    cs = CellSystem(name, source=UPD)
    for role, fan in FAN_IN.items():
        for dim in dims:
            fi = size_exp(dim, fan)
            alpha = size_exp(dim, "M") - size_exp(dim, "D")  # alpha_ffn = M / D
            expert_group(cs, role, dim, fi, gamma, -HALF * alpha)
            cs.eq(cs.cell(role, "adam_eps", dim), eps_exponent(role, dim),
                  label=f"Adam eps per group (Table 2, VERIFIED-2nd) [{role}, {dim}]", source=EPS_SOURCE)
    for dim in dims:
        cs.eq(cs.cell("expert_bias", "lr", dim), 0, label=f"load-balancing bias (Eq. 2) moves the top-k set by "
              f"Theta(1) per step [{dim}]", source=UPD)
        cs.eq(cs.cell("moe_output", "multiplier", dim, note="1/n_act") + size_exp(dim, "n_act"), 0,
              label=f"MoE output = mean over n_act = kappa n_exp experts (kappa fixed) [{dim}]", source=ARCH)
    if "depth" in dims:
        cs.eq(cs.cell("residual_branch", "multiplier", "depth", note="CompleteP h + f/L") + 1, 0,
              label="residual branch 1/L (CompleteP alpha = 1)", source=ARCH)
    return cs


def build_completep(gamma="1") -> CellSystem:
    """MoE CompleteP (Jiang et al., arXiv 2601.20205) along width, ffn_ratio, experts and depth: :func:`build_jiang`
    with the depth exponent ``gamma``."""
    return build_jiang(JDIMS, gamma)


def router_init_notes(gamma) -> list[str]:
    """The router- and bias-init notes of a table built with ``gamma`` (main text n^-gamma, or App. E zero init)."""
    if parse_gamma(gamma) == sympy.oo:
        return ["router: zero init (App. E footnote 2, VERIFIED-2nd) -- no init_std row",
                "expert_bias: RANDOM initial b_k(0) (App. E; no power row): zero router and zero biases tie every "
                "gate (degenerate routing)"]
    return ["router init exponent gamma is a free choice >= 1/2 (main text: gamma = 1, biases 0; App. E: zero "
            "router init with random biases, --gamma inf)", "expert_bias: zero init (main text; no power row)"]


def gamma_label(gamma):
    """The variant value shown for ``gamma`` (``inf`` for App. E's zero router init)."""
    g = parse_gamma(gamma)
    return "inf" if g == sympy.oo else g


def _completep(optimizer, alignment, gamma="1"):
    cs = build_completep(gamma)
    return cs.table("moe-completep", optimizer, Source(*JIANG, "Table 1, Table 2 (eps), Sec. 3-4"),
                    title="MoE CompleteP (Jiang, Bordelon, Pehlevan & Hanin 2026)",
                    convention="quantity ∝ n_embd^p alpha_ffn^q n_exp^r L^s; kappa = n_act/n_exp fixed",
                    variant={"gamma": gamma_label(gamma)},
                    notes=[f"Table 1 read via two secondary transcriptions ({READ_J}); each row solved from the "
                           "per-component Theta(1) update rule, the init conditions and the architecture",
                           f"adam_eps rows: v3 Table 2, VERIFIED-2nd from one transcription ({EPS_REPO}); a per-entry "
                           "gradient estimate disagrees (moe_details.grad_entry_exponent)",
                           *router_init_notes(gamma),
                           "expert_down's alpha_ffn^-1 init is a mean-field (DMFT) selection, not implied by "
                           "Delta z = Theta(1)", "expert_bias moves by the load-balancing rule of Eq. 2, not by "
                           "Adam (no eps row)"])


SPECS = [
    ParamSpec("moe-mup", "muP for Mixture of Experts (Malasnicki et al. 2025)",
              Source(*MAL, "Sec. 3 (TP5 applied to MoE)"), _mup, optimizers=("adam",), family="moe", sweeps=("moe",),
              options=(Option("variant", "'mup' (router reparametrized) or 'simplep' (experts only)", "mup",
                              lambda v: str(v).lower()),),
              summary="router output-like (width) / input-like (experts); experts hidden; E-independent LRs"),
    ParamSpec("moe-completep", "MoE with CompleteP (Jiang et al. 2026)", Source(*JIANG, "Tables 1-2"), _completep,
              optimizers=("adam",), family="moe", sweeps=("moe",), aliases=("moe-jiang",),
              options=(Option("gamma", "router init exponent sigma = n_embd^-gamma (>= 1/2; main text 1; 'inf' = App. "
                              "E zero router init)", "1", parse_gamma),),
              summary="per-group Adam LR/init/eps in width, alpha_ffn, n_exp (kappa fixed), depth"),
]
