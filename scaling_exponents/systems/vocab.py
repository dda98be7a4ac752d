"""Vocabulary size and the embedding learning rate: the muP regime, the Large-Vocab regime, and SP + embedding boost.

Hayou & Liu, arXiv 2506.15025 (abstract and Sec. 1 read; the theorems' statements were not): muP assumes the input
dimension (the vocabulary V) fixed while the width n grows; in LLMs V >> n.  For Adam (analysed as SignSGD) the
training dynamics interpolate, as V grows, between the muP regime and a Large-Vocab (LV) regime in which

    eta_embedding / eta_hidden = Theta(sqrt(n))     (LV)      instead of      Theta(n)     (muP).          (R)

Kalra & Barkeshli, arXiv 2605.21486 (abstract read): "the overwhelming benefit of muP relative to SP when training
with AdamW arises simply from maximizing the learning rate of the embedding layer ... increasing it by a factor of
width to match muP" -- the muP ratio Theta(n), encoded as SP (every LR the same global value) with the embedding LR
multiplied by n.

Vocabulary is the axis that selects the regime: ``--regime mup`` (V fixed as n grows; TP5's setting) or
``--regime large-vocab`` (V >> n).  Where the crossover sits (V as a power of n) is not stated in the abstract
(UNVERIFIED), so no ``vocab`` rows are encoded: within each regime the LRs here do not depend on V.

The hidden (matrix) LR is the DERIVED muP-Adam hidden LR (``mup-table3``: n^-1); the ratio (R) is the paper's stated
result, entered as a cited rule; the embedding row follows.  **Disagreement recorded:** in the regime LLMs actually
train in (V >> n), Hayou & Liu's ratio is sqrt(n) while Kalra & Barkeshli's empirical recommendation is n (their
models' V/n is not stated in the abstract) -- the two tables differ by n^(1/2) in the embedding LR.
"""

from __future__ import annotations

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import CellSystem

HAYOU = ("hayou2025optimal", "2506.15025")
KALRA = ("kalra2026quantifying", "2605.21486")
R_HAYOU = "arXiv 2506.15025 abstract: embedding/hidden LR ratio Theta(sqrt(width)) (LV) vs Theta(width) (muP)"
R_KALRA = "arXiv 2605.21486 abstract: SP with the embedding LR increased by a factor of width"
REGIMES = ("large-vocab", "mup")


def _mup_adam_lr():
    from .registry import derive

    t = derive("mup-table3", "adam")
    return {r: t.power(r, "lr") for r in ("embedding", "hidden", "readout")}


def build_vocab(regime: str = REGIMES[0]) -> CellSystem:
    if regime not in REGIMES:
        raise UserError(f"--regime is one of {', '.join(REGIMES)} (vocabulary >> width, or fixed); got {regime!r}")
    lrs = _mup_adam_lr()
    cs = CellSystem(f"embedding LR vs vocabulary ({regime})", source=R_HAYOU)
    hid = cs.cell("hidden", "lr", "width")
    cs.eq(hid, lrs["hidden"], label="hidden LR = muP Adam (TP5 Table 3, derived)", source="mup-table3")
    out = cs.cell("readout", "lr", "width")
    cs.eq(out, lrs["readout"], label="readout LR = muP Adam (TP5 Table 3, derived)", source="mup-table3")
    ratio = cs.cell("embedding", "lr_ratio_to_hidden", "width", note="eta_emb / eta_hidden")
    cs.eq(ratio, Q(1) if regime == "mup" else Q("1/2"),
          label=f"embedding/hidden LR ratio in the {regime} regime", source=R_HAYOU)
    emb = cs.cell("embedding", "lr", "width")
    cs.eq(emb, hid + ratio, label="eta_emb = ratio * eta_hidden", source="definition of the ratio")
    return cs


def _vocab(optimizer, alignment, regime=REGIMES[0]):
    cs = build_vocab(regime)
    return cs.table("embedding-lr-vocab", optimizer, Source(*HAYOU, "abstract, Sec. 1"),
                    title="Embedding LR and vocabulary size (Hayou & Liu 2025)",
                    convention="n = width; Adam; hidden/readout LRs are muP's (derived from mup-table3)",
                    variant={"regime": regime},
                    notes=["regime chosen by the vocabulary: 'mup' (V fixed as n grows), 'large-vocab' (V >> n); "
                           "the crossover V(n) is not stated in the abstract (UNVERIFIED): no vocab rows",
                           "Kalra & Barkeshli (arXiv 2605.21486) recommend the muP ratio n instead "
                           "(see sp-embedding-boost): disagreement by n^(1/2) in the embedding LR"])


def build_boost() -> CellSystem:
    cs = CellSystem("SP with the embedding LR boosted by width", source=R_KALRA)
    glob = cs.cell("hidden", "lr", "width", note="SP: one global LR (tuned per width)")
    cs.eq(glob, 0, label="SP: the hidden LR is the global base LR (no width factor)", source=R_KALRA)
    out = cs.cell("readout", "lr", "width")
    cs.eq(out, glob, label="SP: readout LR = global LR", source=R_KALRA)
    ratio = cs.cell("embedding", "lr_ratio_to_hidden", "width", note="eta_emb / eta_global")
    cs.eq(ratio, 1, label="embedding LR increased by a factor of width", source=R_KALRA)
    emb = cs.cell("embedding", "lr", "width")
    cs.eq(emb, glob + ratio, label="eta_emb = width * eta_global", source=R_KALRA)
    return cs


def _boost(optimizer, alignment):
    cs = build_boost()
    return cs.table("sp-embedding-boost", optimizer, Source(*KALRA, "abstract"),
                    title="SP + embedding LR x width (Kalra & Barkeshli 2026)",
                    convention="n = width; AdamW; exponents relative to the (per-width tuned) global SP LR",
                    notes=["the abstract's finding: muP's benefit over SP (AdamW) comes from the embedding LR; "
                           "raising it by n matches muP's embedding/hidden ratio",
                           "the hidden LR keeps SP's global value: its own width scaling is the scaling law the "
                           "paper fits (not read; UNVERIFIED)"])


SPECS = [
    ParamSpec("embedding-lr-vocab", "Embedding LR vs vocabulary size (Hayou & Liu 2025)",
              Source(*HAYOU, "abstract, Sec. 1"), _vocab, optimizers=("adam",), family="vocabulary",
              options=(Option("regime", "'large-vocab' (V >> width) or 'mup' (V fixed)", REGIMES[0], str),),
              aliases=("large-vocab", "hayou-liu"),
              summary="embedding/hidden LR ratio sqrt(n) (large vocab) vs n (muP)"),
    ParamSpec("sp-embedding-boost", "SP with embedding LR x width (Kalra & Barkeshli 2026)", Source(*KALRA, "abstract"),
              _boost, optimizers=("adamw",), family="vocabulary", aliases=("kalra-barkeshli",),
              summary="SP everywhere except the embedding LR, raised by n"),
]
