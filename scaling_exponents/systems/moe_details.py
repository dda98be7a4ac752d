"""MoE details: router initialisation, Adam epsilon and expert granularity (issue 16 item 5).

``moe-granularity`` -- Jiang, Bordelon, Pehlevan & Hanin, arXiv 2601.20205 (ICML 2026), re-expressed with
**expert granularity G** as a scaling dimension, plus the Adam-epsilon rule per MoE group.

What was read (so what each constraint rests on):

* arXiv 2601.20205: abstract (arxiv.org/html v1-v3 openings) and the en.papernotes.org ICML-2026 digest of
  Table 1 (secondary) -- the LR / init rules below are the ones ``systems/moe.py`` (``moe-completep``) already
  encodes, with the same labels.  The Adam-epsilon rules are NOT in anything of the paper that could be read here:
  they come from a third-party code transcription that cites "arXiv:2601.20205v3, Sections 3.1-3.3 and Table 2"
  (group ``eps``: router ``eps0 (D/D0)^-1 (L/L0)^-1``, expert up ``eps0 (M/M0)^-1 (L/L0)^-1``, expert down
  ``eps0 (D/D0) (M/M0)^-2 (L/L0)^-1`` with D = n_embd, M = n_hid = alpha_ffn n_embd; no n_exp factor at fixed
  kappa).  They are encoded as stated there and marked **UNVERIFIED** (see ``EPS_SOURCE``).  A per-entry
  gradient estimate (residual-stream gradient O(1/n), 1/n_act output mean) does not reproduce them (it gives
  no alpha_ffn^-2 for expert_down and an n_act^-1 in every expert group), so they are not derivable here either.
* Granularity G ("fine-grained experts": each expert split into G smaller ones, top-k and the expert count
  multiplied by G, active and total parameters unchanged) is, in Jiang et al.'s variables, the DIRECTION
  ``alpha_ffn ∝ G^-1, n_exp ∝ G`` at fixed kappa = n_act/n_exp (so n_act ∝ G).  The paper scales alpha_ffn and
  n_exp separately (abstract: "number of experts, and expert (hidden) size"); the G rows are those rules applied
  along that direction -- a change of variables, not a new rule.  Use ``granularity`` INSTEAD of
  ``ffn_ratio``/``experts``, not together (that would count the same change twice).

arXiv 2508.09752 (Malasnicki et al.) states NO granularity rule: its abstract (v1) says it "investigate[s] how
scaling the number of experts and granularity affects the optimal learning rate", and the reviews / summaries say
changing granularity breaks LR transfer under its muP (which keeps d_expert ∝ d_model) -- no exponent is given,
so nothing is encoded for it (``NO_RULE``).  Its router initialisation (TP5 output weight 1/d_model, or zero
init) is UNVERIFIED: the paper's table was not readable.  That observation is consistent with Jiang et al.
Fig. 11 (dropping the alpha_ffn^-1 factor of the expert-down init makes the optimal LR drift with alpha_ffn) --
an interpretation, not a statement of either paper.
"""

from __future__ import annotations

from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .moe import ARCH, HALF, JIANG, UPD, expert_group
from .spectral import CellSystem

INIT_J = "arXiv 2601.20205 Table 1 / Sec. 4 (init; via en.papernotes.org digest)"
GRAN = ("granularity G = the direction alpha_ffn ∝ G^-1, n_exp ∝ G at fixed kappa (change of variables of "
        "arXiv 2601.20205's alpha_ffn and n_exp rules)")
EPS_SOURCE = ("arXiv 2601.20205v3 Table 2 / Sec. 3.1-3.3 as transcribed in third-party code (repository not "
              "identified); UNVERIFIED against the paper")

DIMS = ("width", "ffn_ratio", "experts", "granularity", "depth")
#: exponent, along each dimension, of n_embd (D), alpha_ffn, n_exp, n_act = kappa n_exp and L.
SIZES = {
    "width": {"D": 1},
    "ffn_ratio": {"alpha": 1},
    "experts": {"n_exp": 1, "n_act": 1},
    "granularity": {"alpha": -1, "n_exp": 1, "n_act": 1},
    "depth": {"L": 1},
}


def _exp(dim, *names):
    return sum((Q(SIZES[dim].get(n, 0)) for n in names), Q(0))


def _fan_in(role, dim):
    """fan_in of each trained group: router, expert_up read n_embd; expert_down reads n_hid = alpha_ffn n_embd."""
    return _exp(dim, "D", "alpha") if role == "expert_down" else _exp(dim, "D")


def _eps(role, dim):
    """Adam eps exponent per group (``EPS_SOURCE``): D^-1 L^-1 (router), M^-1 L^-1 (up), D M^-2 L^-1 (down)."""
    d, m, depth = _exp(dim, "D"), _exp(dim, "D", "alpha"), _exp(dim, "L")
    return {"router": -d - depth, "expert_up": -m - depth, "expert_down": d - 2 * m - depth}[role]


def build_granularity(gamma="1") -> CellSystem:
    gamma = Q(gamma)
    cs = CellSystem("MoE CompleteP with granularity (Jiang et al.)", source=UPD)
    for role in ("router", "expert_up", "expert_down"):
        for dim in DIMS:
            fi = _fan_in(role, dim)
            expert_group(cs, role, dim, fi, gamma, -HALF * _exp(dim, "alpha"), init_source=INIT_J)
            t = f"[{role}, {dim}: fan_in^{fi}]"
            cs.eq(cs.cell(role, "adam_eps", dim), _eps(role, dim),
                  label=f"Adam eps per group (UNVERIFIED transcription) {t}", source=EPS_SOURCE)
    for dim in DIMS:
        cs.eq(cs.cell("expert_bias", "lr", dim), 0,
              label=f"load-balancing bias moves the top-k set by Theta(1) per step [{dim}]", source=UPD)
    for dim in DIMS:
        src = ARCH if dim != "granularity" else f"{ARCH}; {GRAN}"
        cs.eq(cs.cell("moe_output", "multiplier", dim, note="1/n_act") + _exp(dim, "n_act"), 0,
              label=f"MoE output = mean over n_act = kappa n_exp experts (kappa fixed) [{dim}]", source=src)
    cs.eq(cs.cell("residual_branch", "multiplier", "depth", note="CompleteP h + f/L") + 1, 0,
          label="residual branch 1/L (CompleteP alpha = 1)", source=ARCH)
    return cs


def _granularity(optimizer, alignment, gamma="1"):
    cs = build_granularity(gamma)
    return cs.table("moe-granularity", optimizer, Source(*JIANG, "Table 1 (digest), Table 2 eps (UNVERIFIED)"),
                    title="MoE CompleteP with expert granularity and Adam eps (Jiang et al. 2026)",
                    convention="quantity ∝ n_embd^p alpha_ffn^q n_exp^r G^g L^s; kappa = n_act/n_exp fixed; "
                               "G = (alpha_ffn ∝ G^-1, n_exp ∝ G): use it instead of ffn_ratio/experts",
                    variant={"gamma": Q(gamma)},
                    notes=["granularity rows are arXiv 2601.20205's alpha_ffn and n_exp rules along the direction "
                           "alpha_ffn ∝ G^-1, n_exp ∝ G (kappa fixed); the paper does not scale G itself",
                           "adam_eps rows: UNVERIFIED -- from a third-party transcription of the paper's Table 2; "
                           "not readable in the paper here and not reproduced by a gradient-scale estimate",
                           "router init exponent gamma is a free choice >= 1/2 (paper: gamma = 1)",
                           "arXiv 2508.09752: no granularity rule (transfer breaks, no exponent); router init "
                           "UNVERIFIED", "expert_bias: zero init, updated outside Adam (no eps row)"])


#: Rules the two papers do not state (recorded, not encoded), each with the reason.
NO_RULE = {
    ("malasnicki2025mu", "granularity"): (
        "arXiv 2508.09752 reports that changing expert granularity breaks LR transfer under its muP (abstract v1: "
        "'how scaling the number of experts and granularity affects the optimal learning rate'); no exponent or "
        "correction is stated -- no derivable rule"),
    ("malasnicki2025mu", "router_init"): (
        "the paper's table (router init 1/d_model as a TP5 output weight, or zero init) could not be read -- "
        "UNVERIFIED; moe-mup carries the TP5 output-weight reading"),
    ("malasnicki2025mu", "adam_eps"): "no Adam-epsilon rule found in the readable text (abstract, reviews)",
    ("jiang2026hyperparameter", "granularity"): (
        "not a dimension of the paper; encoded only as the change of variables alpha_ffn ∝ G^-1, n_exp ∝ G"),
}

SPECS = [
    ParamSpec("moe-granularity", "MoE CompleteP with granularity and Adam eps (Jiang et al. 2026)",
              Source(*JIANG, "Table 1 (digest); Table 2 eps (UNVERIFIED)"), _granularity,
              optimizers=("adam",), family="moe", aliases=("moe-details",),
              options=(Option("gamma", "router init exponent sigma = n_embd^-gamma (>= 1/2; paper uses 1)", "1", Q),),
              summary="Jiang MoE rules along granularity G (alpha_ffn ∝ 1/G, n_exp ∝ G); per-group Adam eps"),
]
