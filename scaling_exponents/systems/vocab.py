"""Vocabulary size and the embedding learning rate: the muP regime, the Large-Vocab regime, and SP + embedding boost.

Hayou & Liu, arXiv 2506.15025.  READ: the abstract and the opening of Sec. 1 (arxiv.org/html/2506.15025v1, as
stored); VERIFIED-2nd: emergentmind.com/articles/2506.15025 (an overview; its formulas were stripped in the copy
read).  NOT READ: the theorems, the experiments' tables.  What those say: muP assumes the input dimension (the
vocabulary V) fixed while the width n grows; in LLMs V >> n.  The analysis is of a linear model with an embedding
and a projection layer trained by SignSGD (an Adam proxy; VERIFIED-2nd emergentmind).  As V grows the dynamics
interpolate between the muP regime and a Large-Vocab (LV) regime in which

    eta_embedding / eta_hidden = Theta(sqrt(n))     (LV)      instead of      Theta(n)     (muP).          (R)

Kalra & Barkeshli, arXiv 2605.21486 (abstract read, several stored copies; no vocabulary statement): "the
overwhelming benefit of muP relative to SP when training with AdamW arises simply from maximizing the learning
rate of the embedding layer ... increasing it by a factor of width to match muP" -- the muP ratio Theta(n),
encoded as SP (every LR the same global value) with the embedding LR multiplied by n.

**Vocabulary as a dimension.**  Option ``--regime mup`` (V fixed as n grows; TP5's setting) has explicit ``vocab``
rows, all power 0, from TP5 Table 3 (arXiv 2203.03466) read per fan: input weights' Adam LR is ``1`` (V = their
fan_in does not appear), hidden weights' ``1/fan_in`` (n), output weights' ``1/fan_in`` (n; V = their fan_out does
not appear).  The embedding's is also DERIVED for one-hot tokens (sign updates move a seen token's row by eta in
each of its n coordinates, required Theta(sqrt(n)) in l2: eta ∝ n^0 V^0), and agrees with the ratio rule (R).  ``--regime large-vocab`` (V >> n) has none: **UNVERIFIED / missing** -- how the LV ratio and the
crossover depend on V (the V(n) at which the regimes exchange, or any V exponent) is in the theorems, not in the
parts read (the overview's sentence "when the vocabulary scales significantly with n (e.g. ...) or is much larger
(...)" lost its formulas).  So ``derive -p embedding-lr-vocab --vocab ...`` works in the muP regime and is refused
in the LV regime; the crossover table cannot be drawn.

The hidden (matrix) LR is the DERIVED muP-Adam hidden LR (``mup-table3``: n^-1); the ratio (R) is the paper's stated
result, entered as a cited rule; the embedding row follows.  **Disagreements recorded:** (1) in the regime LLMs
train in (V >> n), Hayou & Liu's ratio is sqrt(n) while Kalra & Barkeshli's recommendation is n (their models'
V/n is not stated in the abstract): the tables differ by n^(1/2) in the embedding LR.  (2) TP5 Table 3's
V-independent Adam embedding LR vs the spectral condition read literally with fan_in = V (``vocab-roles -o adam``:
V^-1); the spectral derivation assumes dense inputs (||x||_2 = sqrt(fan_in)), one-hot tokens have ||x||_2 = 1.
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
R_TP5 = ("arXiv 2203.03466 Table 3 per fan (VERIFIED-2nd: papers/oracles/tp5_yang2022tensor.csv): Adam LR of input "
         "weights 1, hidden 1/fan_in, output 1/fan_in -- V (input fan_in, output fan_out) absent")
REGIMES = ("large-vocab", "mup")
ONE_HOT = ("SignSGD as Adam's proxy (as in arXiv 2506.15025): a seen token's embedding row moves by +-eta in each of "
           "its n coordinates; one-hot x has ||x||_2 = 1, so V never enters (unseen rows do not move)")
NO_RULE = "no rule for vocab"  # theory.values.check_sizes names it when --vocab is refused
MISSING = ("UNVERIFIED: the LV regime's V exponent and the crossover V(n) are in arXiv 2506.15025's theorems, "
           "not read; --regime mup has vocab rows")


def _mup_adam_lr():
    from .registry import derive

    t = derive("mup-table3", "adam")
    return {r: t.power(r, "lr") for r in ("embedding", "hidden", "readout")}


def build_vocab(regime: str = REGIMES[0]) -> CellSystem:
    """The embedding LR against width in the ``regime`` of Hayou & Liu (arXiv 2506.15025 abstract): Large-Vocab
    (embedding/hidden LR ratio Theta(sqrt(n))) or muP (Theta(n)), hidden and readout LRs from muP Adam."""
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
    if regime == "mup":  # TP5 Table 3 names each LR by its fans; V is none of the LR fans (stated power 0)
        v = {r: cs.cell(r, "lr", "vocab") for r in ("embedding", "hidden", "readout")}
        for role in ("hidden", "readout"):
            cs.eq(v[role], 0, label=f"{role} Adam LR has no V factor (muP, TP5 Table 3)", source=R_TP5)
        for dim, cell in (("width", emb), ("vocab", v["embedding"])):  # derived for one-hot tokens, = TP5's 1
            un = cs.aux(f"token_update_norm[embedding]@{dim}")
            cs.eq(un, cell + (Q("1/2") if dim == "width" else 0), label=f"one-hot token: ||dW e_i||_2 = eta sqrt(n), "
                  f"sign entries on the n coordinates of the seen token's vector, V absent [{dim}]", source=ONE_HOT)
            cs.eq(un, Q("1/2") if dim == "width" else 0, label=f"required: Theta(sqrt(n)) (Theta(1) entries) [{dim}]",
                  source="muP desideratum: Theta(1) feature updates (arXiv 2011.14522 Def. 5.1)")
        vr = cs.cell("embedding", "lr_ratio_to_hidden", "vocab", note="eta_emb / eta_hidden")
        cs.eq(vr, v["embedding"] - v["hidden"], label="ratio along V", source="definition of the ratio")
    return cs


def _vocab(optimizer, alignment, regime=REGIMES[0]):
    cs = build_vocab(regime)
    return cs.table("embedding-lr-vocab", optimizer, Source(*HAYOU, "abstract, Sec. 1"),
                    title="Embedding LR and vocabulary size (Hayou & Liu 2025)",
                    convention="n = width; Adam; hidden/readout LRs are muP's (derived from mup-table3)",
                    variant={"regime": regime},
                    derived={} if regime == "mup" else {NO_RULE: MISSING},
                    notes=["regime chosen by the vocabulary: 'mup' (V fixed as n grows), 'large-vocab' (V >> n); "
                           "the crossover V(n) and any V exponent of the LV regime are in the paper's theorems, not "
                           "read (UNVERIFIED): the large-vocab table has no vocab rows (derive --vocab is refused)",
                           "muP regime: vocab rows power 0 from TP5 Table 3's per-fan LRs (Adam; V is no LR fan)",
                           "Kalra & Barkeshli (arXiv 2605.21486) recommend the muP ratio n instead "
                           "(see sp-embedding-boost): disagreement by n^(1/2) in the embedding LR"])


def build_boost() -> CellSystem:
    """SP with the embedding LR boosted by a factor of width (Kalra et al., arXiv 2605.21486 abstract): one global LR
    for the other layers, embedding LR = width x global."""
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
