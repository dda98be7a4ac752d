"""MoE details: router initialisation, Adam epsilon and expert granularity (issue 16 item 5).

``moe-granularity`` -- Jiang, Bordelon, Pehlevan & Hanin, arXiv 2601.20205 (ICML 2026), in the variables
(width, **expert granularity G**, depth): G splits each expert into G smaller ones (n_hid / G, n_exp x G, top-k x G,
kappa = n_act/n_exp unchanged, active and total parameters unchanged), i.e. the DIRECTION ``alpha_ffn ∝ G^-1,
n_exp ∝ G`` of the paper's variables.  G replaces ffn_ratio and experts here (a change can never be counted twice);
``moe-completep`` (systems/moe.py) keeps them.  Both tables are :func:`~.moe.build_jiang` along different dimensions,
so every G row is the paper's alpha_ffn and n_exp rules composed (-ffn_ratio + experts exponent) -- a change of
variables, not a new rule.  ``derive -p moe-granularity --granularity 4 --base-granularity 1`` gives the factors.

What was read (nothing of the paper beyond the abstract was readable here; every source below is secondary):

* Table 1 (LR / init) and v3 Table 2 (Adam eps) per group: systems/moe.py module doc (VERIFIED-2nd).
* Granularity: the paper's scaling axes are alpha_ffn and n_exp separately; it USES its rules along G in Fig. 5 /
  App. D.3 ("Finding 3.1": n_act swept against expert size inversely at fixed parameter count and kappa, more smaller
  experts monotonically better at 1B and 5B tokens, with zero-shot HPs, no retuning) -- VERIFIED-2nd: en.papernotes.org
  ICML-2026 digests (English, Chinese) and boris-hanin/ai-theorist derivations/09-moe-mean-ode.md.  No LR sweep
  along G is reported, so transfer along G is an application, not a measured claim of the paper.  (The Chinese
  digest lists alpha_ffn among Fig. 5's fixed quantities, which contradicts a varying expert size unless it means
  the total FFN width; the figure itself is unread.)
* **Disagreement** on Adam eps: v3 Table 2 (as transcribed) has no n_exp factor and expert_down ``D M^-2``; this
  project's per-entry gradient count (:func:`grad_entry_exponent`) puts the MoE mean's 1/n_act (n_exp^-1 at fixed
  kappa) in every expert group and no alpha_ffn factor in ``dL/dW_down = (1/L)(1/n_act) g_i delta_k phi_j``.  Along
  G they differ most: Table 2 gives expert_down eps ∝ G^2, expert_up ∝ G; the gradient entries go as G^-1 and G^0.
  Encoded as read; the gap is recorded, not resolved (it matters only where |g| is near eps).

arXiv 2508.09752 (Malasnicki et al.) states NO granularity rule: its abstract (v1) says it "investigate[s] how
scaling the number of experts and granularity affects the optimal learning rate"; the ICLR 2026 reviews (withdrawn
submission) say changing granularity breaks LR transfer and that this ablation ran under simpleP (router in SP) --
no exponent is given, so nothing is encoded for it (``NO_RULE``).  Its router initialisation is UNVERIFIED: its
table was not readable.  The broken transfer is consistent with Jiang et al. Fig. 11 (a fan-in expert-down init
makes the optimal LR drift with alpha_ffn) -- an interpretation, not a statement of either paper.
"""

from __future__ import annotations

from ..theory.table import Source
from .base import Option, ParamSpec
from .moe import EPS_REPO, JIANG, READ_J, build_jiang, gamma_label, parse_gamma, router_init_notes, size_exp

#: the G view: granularity replaces ffn_ratio and experts (the direction alpha_ffn ∝ G^-1, n_exp ∝ G), so no
#: change can be counted twice; moe-completep keeps ffn_ratio and experts.
DIMS = ("width", "granularity", "depth")
GRAN = ("granularity G = the direction alpha_ffn ∝ G^-1, n_exp ∝ G at fixed kappa (change of variables of "
        "arXiv 2601.20205's alpha_ffn and n_exp rules; the paper applies them along G in Fig. 5 / App. D.3, "
        "VERIFIED-2nd: en.papernotes.org digests)")


def grad_entry_exponent(role, dim):
    """This project's per-entry gradient estimate (NOT a paper's value; module doc): ``dL/dW`` of an expert group
    carries 1/L (branch), 1/n_act (MoE mean), for expert_down the residual-stream gradient O(1/D) times Theta(1)
    hidden activations, for expert_up the ``(W_down^T delta)_j`` = O(1/M) at init (CLT) and after aligned updates
    (LLN) alike.  Returned only where it is sure: along ``experts``, ``granularity`` (the 1/n_act) and ``ffn_ratio``
    for expert_up/expert_down, along ``experts`` for the router; ``None`` elsewhere (the router's ``delta . E_i`` is
    coherent or not depending on training)."""
    if dim in ("experts", "granularity", "ffn_ratio") and role in ("expert_up", "expert_down"):
        alpha = size_exp(dim, "M") - size_exp(dim, "D")
        return -size_exp(dim, "n_act") - (alpha if role == "expert_up" else 0)
    if dim == "experts" and role == "router":
        return -size_exp(dim, "n_act")
    return None


def build_granularity(gamma="1"):
    """MoE CompleteP (Jiang et al., arXiv 2601.20205) along expert granularity G instead of ffn_ratio and experts
    (see the module docstring): :func:`~.moe.build_jiang` over :data:`DIMS`."""
    return build_jiang(DIMS, gamma, name="MoE CompleteP along granularity (Jiang et al.)")


def _granularity(optimizer, alignment, gamma="1"):
    cs = build_granularity(gamma)
    return cs.table("moe-granularity", optimizer,
                    Source(*JIANG, "Tables 1-2 along G; Fig. 5 / App. D.3 (VERIFIED-2nd)"),
                    title="MoE CompleteP along expert granularity G (Jiang et al. 2026)",
                    convention="quantity ∝ n_embd^p G^g L^s; G splits each expert into G: alpha_ffn ∝ G^-1, "
                               "n_exp ∝ G, n_act ∝ G (kappa fixed); alpha_ffn and n_exp otherwise at the base",
                    variant={"gamma": gamma_label(gamma)},
                    notes=[f"{GRAN}; Table 1 {READ_J}; no LR sweep along G is reported by the paper",
                           f"adam_eps rows: v3 Table 2 along G, VERIFIED-2nd ({EPS_REPO}); a per-entry gradient "
                           "estimate disagrees most along G (Table 2: expert_down eps ∝ G^2; gradients ∝ G^-1): "
                           "grad_entry_exponent",
                           *router_init_notes(gamma),
                           "arXiv 2508.09752: no granularity rule (transfer breaks under simpleP, no exponent); router "
                           "init UNVERIFIED", "for alpha_ffn or n_exp moved on their own use moe-completep"])


#: Rules the two papers do not state (recorded, not encoded), each with the reason.
NO_RULE = {
    ("malasnicki2025mu", "granularity"): (
        "arXiv 2508.09752 reports that changing expert granularity breaks LR transfer (abstract v1: 'how scaling "
        "the number of experts and granularity affects the optimal learning rate'; ICLR 2026 reviews: ablation run "
        "under simpleP); no exponent or correction is stated -- no derivable rule"),
    ("malasnicki2025mu", "router_init"): (
        "the paper's table (router init 1/d_model as a TP5 output weight, or zero init) could not be read -- "
        "UNVERIFIED; moe-mup carries the TP5 output-weight reading"),
    ("malasnicki2025mu", "adam_eps"): "no Adam-epsilon rule found in the readable text (abstract, reviews)",
    ("jiang2026hyperparameter", "granularity"): (
        "not a scaling axis of the paper (it scales alpha_ffn and n_exp); its rules are applied along G in Fig. 5 / "
        "App. D.3 without retuning, but no LR sweep along G is reported: encoded as the change of variables "
        "alpha_ffn ∝ G^-1, n_exp ∝ G"),
}

SPECS = [
    ParamSpec("moe-granularity", "MoE CompleteP along expert granularity G (Jiang et al. 2026)",
              Source(*JIANG, "Tables 1-2 along G; Fig. 5 (VERIFIED-2nd)"), _granularity,
              optimizers=("adam",), family="moe", sweeps=("moe",), aliases=("moe-details",),
              options=(Option("gamma", "router init exponent sigma = n_embd^-gamma (>= 1/2; main text 1; 'inf' = App. "
                              "E zero router init)", "1", parse_gamma),),
              summary="Jiang MoE LR/init/eps in width, granularity G (alpha_ffn ∝ 1/G, n_exp ∝ G), depth"),
]
