"""Arithmetic-Mean muP (Zhang, Wu, Zhang & Lin, arXiv 2510.04327): one learning rate for CNNs and ResNets across depth.

Abstract (read; the body was NOT read): AM-muP "constrains not each individual layer but the network-wide average
one-step pre-activation second moment to a constant scale", combined with "a residual-aware He fan-in
initialization -- scaling residual-branch weights by the number of blocks (Var[W] = c/(K fan-in))".  Stated results:

    1-D and 2-D convolutional networks:               eta*(L) ∝ L^(-3/2)                       (Thm, CNN)
    standard residual networks (conv + MLP blocks):   eta*(L) = Theta(L^(-3/2)), L the minimal depth   (Thm, ResNet)

The table is the abstract's STATED rule (not derived here: the average-moment constraint system and its proof were
not readable).  Rows: one global LR along depth (-3/2); residual-branch init std along depth (Var ∝ 1/K, so std
K^-1/2, with K the number of blocks taken as the depth L) and along width (He fan-in, std fan_in^-1/2 with fan_in ∝
width).  The width exponent of the LR is not stated ("width-robust depth laws"): no width LR row.  Compare depth-muP
(TP6, arXiv 2310.02244): block multiplier L^-1/2 and a depth-independent LR for SGD -- a different parametrization
(AM-muP puts the L^-1/2 into the init and has no block multiplier), so the LR exponents are not comparable one to one.

On a model (:mod:`scaling_exponents.torch.tables`): the ``global`` LR row applies to every parameter and the
``residual_branch`` ``init_std`` rows to the weights inside the branches (``hidden``: both matrices of a ResMLP
block -- the abstract's literal "residual-branch weights"; scaling only a branch's last layer is UNVERIFIED).
The optimizer is not stated in the abstract (UNVERIFIED); the one-step second-moment criterion reads like (S)GD.
Measured (``transfer --verdict am-mup``, ResMLP, not a CNN): catalog/verification/am_mup_transfer (Adam) and
am_mup_transfer_sgd (SGD) -- the base-LR optimum still drifts upward with depth (the -3/2 law over-corrects).
"""

from __future__ import annotations

from ..theory.exponents import Q
from ..theory.table import Source
from .base import ParamSpec
from .spectral import CellSystem

KEY, ARXIV = "zhang2025arithmetic", "2510.04327"
ABSTRACT = "arXiv 2510.04327 abstract"
MP_KEY, MP_ARXIV = "zhang2026hyperparameter", "2602.07494"
MP_ABSTRACT = "arXiv 2602.07494 abstract"


def build() -> CellSystem:
    """AM-muP's constraints (arXiv 2510.04327 abstract): one LR for every layer falling as depth^-3/2 and the
    residual-aware He init Var[W] = c/(K fan_in), as a :class:`CellSystem` to solve."""
    cs = CellSystem("AM-muP: network-wide average update, depth law", source=ABSTRACT)
    cs.eq(cs.cell("global", "lr", "depth", note="one LR for every layer"), Q("-3/2"),
          label="eta*(L) ∝ L^-3/2 (CNNs; Theta(L^-3/2) for ResNets with conv + MLP blocks)", source=ABSTRACT)
    var_k = cs.aux("var[residual_branch]@depth", description="exponent of Var[W] of residual-branch weights in K")
    cs.eq(var_k, -1, label="residual-aware He init: Var[W] = c/(K fan-in), K = number of blocks", source=ABSTRACT)
    cs.eq(cs.cell("residual_branch", "init_std", "depth", note="K blocks ~ depth"), var_k * Q("1/2"),
          label="std = sqrt(Var)", source="definition")
    var_n = cs.aux("var[residual_branch]@width", description="exponent of Var[W] in the fan-in (∝ width)")
    cs.eq(var_n, -1, label="He fan-in: Var[W] ∝ 1/fan-in", source=ABSTRACT)
    cs.eq(cs.cell("residual_branch", "init_std", "width", note="fan_in ∝ width"), var_n * Q("1/2"),
          label="std = sqrt(Var)", source="definition")
    return cs


def _am_mup(optimizer, alignment):
    cs = build()
    return cs.table("am-mup", optimizer, Source(KEY, ARXIV, "abstract"),
                    title="Arithmetic-Mean muP: depth law for CNNs and ResNets (Zhang et al. 2025)",
                    convention="L = depth (number of layers; for ResNets the minimal depth, K blocks); global = one "
                               "LR shared by every layer",
                    notes=["VERIFIED (abstract): eta* ∝ L^-3/2 and Var[W] = c/(K fan-in) are stated there; the paper "
                           "body (theorems, which layers the init covers, the optimizer) was not read",
                           "a stated rule, not derived: the network-wide average-moment constraint is not encoded",
                           "no width LR row: the abstract states the depth law only ('width-robust')",
                           "optimizer not stated in the abstract (UNVERIFIED); measured on the ResMLP (not a CNN) with "
                           "Adam and SGD: the optimal base LR drifts upward with depth (transfer --verdict am-mup: "
                           "catalog/verification/am_mup_transfer, am_mup_transfer_sgd)"])


def build_multipath() -> CellSystem:
    """Multi-path networks (arXiv 2602.07494 abstract): the optimal LR falls with effective depth as depth^-3/2."""
    cs = CellSystem("multi-path networks: LR vs effective depth", source=MP_ABSTRACT)
    cs.eq(cs.cell("global", "lr", "depth", note="depth = effective depth (shortest input-output path)"), Q("-3/2"),
          label="the optimal LR decays with effective depth following a universal -3/2 power law "
                "(stabilizing init, maximal-update criterion)", source=MP_ABSTRACT)
    return cs


def _multipath(optimizer, alignment):
    cs = build_multipath()
    return cs.table("multipath-depth", optimizer, Source(MP_KEY, MP_ARXIV, "abstract"),
                    title="LR transfer across effective depth in multi-path networks (Wu et al. 2026)",
                    convention="L = effective depth: the minimal path length from input to output, counting layers "
                               "and residual additions (CNNs, ResNets, Transformers); global = one shared LR",
                    notes=["VERIFIED (abstract): eta* ∝ L_eff^-3/2 'under stabilizing initializations and a "
                           "maximal-update criterion'; the initialization itself was not read (UNVERIFIED: no init rows)",
                           "the same -3/2 law as am-mup (arXiv 2510.04327, same group) extended to Transformers",
                           "not comparable one to one with completep / depth-mup, which scale a block multiplier "
                           "instead of the initialization"])


SPECS = [
    ParamSpec("am-mup", "Arithmetic-Mean muP for CNNs and ResNets (Zhang et al. 2025)", Source(KEY, ARXIV, "abstract"),
              _am_mup, family="depth", aliases=("arithmetic-mean-mup",),
              summary="one LR ∝ L^-3/2; residual-branch init Var ∝ 1/(K fan-in) (stated in the abstract)"),
    ParamSpec("multipath-depth", "LR across effective depth in multi-path networks (Wu et al. 2026)",
              Source(MP_KEY, MP_ARXIV, "abstract"), _multipath, family="depth", aliases=("effective-depth",),
              summary="one LR ∝ L_eff^-3/2, L_eff the shortest input-output path (CNN, ResNet, Transformer)"),
]
