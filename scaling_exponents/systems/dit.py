"""muP for diffusion Transformers (Zheng et al., arXiv 2505.15270): the vanilla-Transformer muP, by theorem.

Zheng et al. (abstract; Sec. 3 summary read, Theorem 3.1): the forward passes of U-ViT, DiT, PixArt-alpha and MMDiT --
including adaLN modulation, cross-attention and long skip connections -- are NE⊗OR⊤ programs, so "muP of mainstream
diffusion Transformers ... aligns with that of the vanilla Transformer, enabling the direct application of existing
muP methodologies".  The table is therefore DERIVED as TP5's muP (Table 3 form, Adam or SGD) from TP5's constraint
system (:mod:`.tp5`), not restated; nothing diffusion-specific enters the exponents.

Role mapping (Theorem 3.1 as summarised; the paper's own per-module table was not read, UNVERIFIED): the patch
embedding and the timestep/text condition embeddings take a fixed-size input -> ``embedding`` (input weights);
attention, MLP and adaLN modulation matrices (width -> multiple of width) -> ``hidden``; the final projection to
patches -> ``readout`` (output weights).  Zheng et al. also report HP transfer across batch size and training steps
(empirical; no exponent, so no tokens/batch rows).
"""

from __future__ import annotations

import dataclasses

from ..theory.table import Source
from .base import ParamSpec

KEY, ARXIV = "zheng2025scaling", "2505.15270"


def _dit(optimizer, alignment):
    from .registry import derive

    base = derive("mup-table3", optimizer)
    notes = ["Theorem 3.1: DiT / U-ViT / PixArt-alpha / MMDiT are NE⊗OR⊤ programs, so their muP is TP5's "
             "(derived here from mup-table3's constraint system)",
             "roles: patch/timestep/text embeddings = embedding; attention, MLP, adaLN matrices = hidden; "
             "final patch projection = readout (per-module mapping UNVERIFIED: the paper's table was not read)"]
    return dataclasses.replace(base, parametrization="dit-mup", source=Source(KEY, ARXIV, "Theorem 3.1; abstract"),
                               title="muP for diffusion Transformers (Zheng et al. 2025)",
                               notes=notes + list(base.notes))


SPECS = [
    ParamSpec("dit-mup", "muP for diffusion Transformers (Zheng et al. 2025)", Source(KEY, ARXIV, "Theorem 3.1"),
              _dit, optimizers=("adam", "sgd"), family="width", aliases=("dit-mup-zheng", "mmdit-mup"),
              summary="DiT/U-ViT/PixArt/MMDiT muP = vanilla Transformer muP (TP5 Table 3), by theorem"),
]
