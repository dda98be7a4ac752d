"""Sparse muP, SμPar (Dey, Bergsma & Hestness, NeurIPS 2024, arXiv 2405.15743): muP in the effective width.

Abstract (read): SμPar "ensures activations, gradients, and weight updates all scale independently of sparsity
level" and, "by reparameterizing the HPs, ... enables the same HP values to be optimal as we vary both sparsity level
and model width" (random unstructured static sparsity with density rho = 1 - sparsity).  The rule (VERIFIED-2nd:
Graphcore Research's paper-of-the-month review of the paper, library file 8302541116, summarising its Table 1): "use
muP with your sparse model as though it had its 'effective width' m_d * m_rho for the sparse layers" -- a masked
hidden matrix ``W ⊙ M`` sums over rho * fan_in non-zero inputs.

So the table is DERIVED from TP5's muP (Table 3 form, Adam; :mod:`.tp5`) by the change of variables
``n -> rho n`` in the sparse (hidden) layers: along ``density`` the hidden init std and Adam LR take the hidden
layer's width exponents (init std (rho n)^-1/2, LR (rho n)^-1), while the dense embedding and readout do not depend on
rho.  Only Adam is encoded: for SGD the substitution would also have to say how fan_out enters (muP's SGD hidden LR is
fan_out/fan_in), which the review does not state (UNVERIFIED, left out).  The paper's own Table 1 was not read.
"""

from __future__ import annotations

from ..theory.table import Source
from .base import ParamSpec
from .spectral import CellSystem

KEY, ARXIV = "dey2024sparse", "2405.15743"
RULE = "arXiv 2405.15743 Table 1 via the effective width m_d * m_rho (VERIFIED-2nd: library file 8302541116)"
SPARSE_ROLES = ("hidden",)
ROLES = ("embedding", "hidden", "readout")
QUANTITIES = ("init_std", "lr")


def build() -> CellSystem:
    """SμPar (Dey, Bergsma & Hestness, arXiv 2405.15743): muP in the effective width rho n -- the derived
    ``mup-table3`` (Adam) width exponents, and along density the width exponent for the sparse layers, 0 for dense
    ones."""
    from .registry import derive

    base = derive("mup-table3", "adam")
    cs = CellSystem("SμPar: muP in the effective width rho n", source=RULE)
    for role in ROLES:
        for q in QUANTITIES:
            w = base.power(role, q, "width")
            cs.eq(cs.cell(role, q, "width"), w, label=f"{role} {q}: muP width exponent (TP5 Table 3, derived)",
                  source="mup-table3 (adam)")
            d = cs.cell(role, q, "density", note="sparse layer" if role in SPARSE_ROLES else "dense layer")
            if role in SPARSE_ROLES:
                cs.eq(d, w, label=f"{role} {q}: muP in the effective width rho n, so density takes the width exponent",
                      source=RULE)
            else:
                cs.eq(d, 0, label=f"{role} {q}: dense layer, independent of rho", source=RULE)
    return cs


def _supar(optimizer, alignment):
    cs = build()
    return cs.table("supar", optimizer, Source(KEY, ARXIV, "abstract; Table 1 (VERIFIED-2nd)"),
                    title="SμPar: sparse muP (Dey, Bergsma & Hestness 2024)",
                    convention="n = width, rho = density (1 - sparsity) of the hidden matrices; TP5 Table 3 form "
                               "(no multipliers), Adam",
                    notes=["abstract VERIFIED; the effective-width rule VERIFIED-2nd (Graphcore Research review of "
                           "the paper, library file 8302541116); the paper's Table 1 itself was not read",
                           "derived from mup-table3 by n -> rho n in the sparse hidden layers; embedding and readout "
                           "are dense",
                           "no --density size flag: read the density rows as (rho / rho0)^power by hand"])


SPECS = [
    ParamSpec("supar", "SμPar: muP for static sparsity (Dey, Bergsma & Hestness 2024)",
              Source(KEY, ARXIV, "abstract; Table 1 (VERIFIED-2nd)"), _supar, optimizers=("adam",), family="width",
              aliases=("smupar", "sparse-mup"),
              summary="muP in the effective width rho*n: hidden init (rho n)^-1/2, Adam LR (rho n)^-1"),
]
