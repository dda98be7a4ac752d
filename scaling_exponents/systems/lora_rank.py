"""LoRA rank r as a scaling dimension: the LoRA multiplier (rsLoRA) and the learning rate across rank and width (muA).

**muA** (Chen, Villar & Hayou, arXiv 2602.06204, "Maximal-Update Adaptation"; abstract read, the body NOT read --
VERIFIED-2nd, see below).  LoRA ``W = W* + alpha B A`` with the multiplier ``alpha = r^-gamma`` (PEFT's
``lora_alpha / r`` is gamma = 1, rsLoRA's ``lora_alpha / sqrt(r)`` gamma = 1/2, a constant gamma = 0), ONE learning
rate eta for A and B (the standard configuration), Adam analysed as SignSGD, in the joint limit n, r -> infinity with
r <= n.  The feature update of one step (the paper's Eq. (1), as transcribed) is
``dZ_B = alpha B dZ_A + alpha dB Z_A + alpha dB dZ_A``; with sign updates ``dA Z = Theta(eta n)`` per coordinate and
``dB x = Theta(eta r x)``, so (VERIFIED-2nd)

    Init[A] (A ~ N(0, 1/n), B = 0):      dZ_B = max(alpha eta r,  alpha eta^2 r n)     (Z_A grows to eta n)
    Init[B] (B ~ N(0, 1/r), A = 0):      dZ_B = max(alpha eta n,  alpha eta^2 n r)

and eta is the largest learning rate with ``dZ_B = O(1)``.  With ``eta = n^c_n r^c_r`` and ``r = n^rho``, each term's
exponent is linear in rho, so "O(1) for every 1 <= r <= n" is the two ends rho = 0 (fixed rank) and rho = 1 (r = n);
the largest eta at every r is the one maximising the exponent at both ends, ``2 c_n + c_r`` (an LP, solved here).
It gives the paper's Corollary 4.4, ``eta = Theta(n^-1/2 r^-(1-gamma)/2)`` for Init[A], and for Init[B] with
gamma = 0 ``eta = Theta(n^-1)``, rank-invariant (the configuration that transfers to full finetuning).  Init[B] with
gamma != 0 is derived from the same terms but is NOT stated in the sources read (UNVERIFIED).

Sources read for muA: arXiv 2602.06204 abstract (primary: two regimes, LR invariant across rank or scaling inversely
with rank; a configuration transferring to full finetuning); the Corollary 4.4 formula and table (gamma, alpha, eta,
Z_A) in a public repository's research notes (library file 60010686663); the terms dZ_B above and the Init[B] result
in another repository's appendix "muA-style scaling" (library file 62867629935, App. B.3); a third note (library file
71040300890) states "fixed multiplier requires LR proportional r^-1/2; multiplier 1/r makes LR rank-independent;
multiplier 1/sqrt(r) implies r^-1/4".  The three agree.

**rsLoRA** (Kalajdzievski, arXiv 2312.03732; abstract read: "LoRA adapters should be divided by a factor of the
square root of the rank").  Theorem 3.2 (VERIFIED-2nd, quoted in library files 60010686663 and 52788628489): adapters
are rank-stabilized (forward activations and backward gradients Theta(1) in r, at a learning rate that does not
depend on r) iff ``gamma_r in Theta(1/sqrt(r))``; the key step is ``E[A_0^T A_0] = r sigma_A I``, so both passes
scale as ``Theta(gamma_r^2 r)``.  **Recorded disagreement:** at the rsLoRA multiplier (gamma = 1/2) muA's largest
stable LR still falls as r^-1/4 (Init[A]); rsLoRA keeps the LR fixed in r.  The criteria differ: rsLoRA's is
rank-stability at fixed width and LR, muA's the largest LR keeping dZ_B = O(1) as n, r grow.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q, fmt
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import CellSystem

MUA = ("chen2026learning", "2602.06204")
RSLORA = ("kalajdzievski2023rank", "2312.03732")
COR44 = "arXiv 2602.06204 Corollary 4.4 (VERIFIED-2nd: library files 60010686663, 71040300890)"
TERMS = "arXiv 2602.06204 Eq. (1) feature update, SignSGD (VERIFIED-2nd: library file 62867629935 App. B.3)"
THM32 = "arXiv 2312.03732 Theorem 3.2 (VERIFIED-2nd: library files 60010686663, 52788628489)"
INITS = {"a": "Init[A]: A ~ N(0, 1/n), B = 0 (PEFT default)", "b": "Init[B]: B ~ N(0, 1/r), A = 0"}
#: named multipliers alpha = r^-gamma
GAMMAS = {"standard": 1, "rslora": sympy.Rational(1, 2), "constant": 0}


def _gamma(value) -> sympy.Rational:
    key = str(value).strip().lower()
    try:
        g = Q(GAMMAS[key]) if key in GAMMAS else Q(value)
    except UserError:
        g = None
    if g is None:
        raise UserError(f"--gamma is 'standard', 'rslora', 'constant' or a number in [0, 1]; got {value!r}")
    if not 0 <= g <= 1:
        raise UserError(f"--gamma (LoRA multiplier alpha = r^-gamma) must lie in [0, 1] (1 = PEFT's lora_alpha/r, "
                        f"1/2 = rsLoRA, 0 = constant); got {value!r}")
    return g


def build_mua(init: str = "a", gamma="standard") -> CellSystem:
    """The largest shared LR with dZ_B = O(1) for every rank 1 <= r <= n (muA, arXiv 2602.06204)."""
    if init not in INITS:
        raise UserError(f"--lora-init is 'a' ({INITS['a']}) or 'b' ({INITS['b']}); got {init!r}")
    g = _gamma(gamma)
    cs = CellSystem(f"muA: largest LoRA LR ({INITS[init].split(':')[0]}, alpha = r^-({fmt(g)}))", source=COR44)
    mult = cs.cell("adapter", "multiplier", "rank", note="alpha on B A")
    cs.eq(mult, -g, label=f"alpha = r^-gamma, gamma = {fmt(g)}", source="rule input (--gamma)")
    cs.eq(cs.cell("adapter", "multiplier", "width"), 0, label="alpha does not depend on n", source="definition")
    cn, cr = cs.cell("lora_a", "lr", "width"), cs.cell("lora_a", "lr", "rank")
    for dim, c in (("width", cn), ("rank", cr)):
        cs.eq(cs.cell("lora_b", "lr", dim), c, label=f"one LR for A and B [{dim}]", source="arXiv 2602.06204 abstract "
              "('standard configurations'); one eta in Corollary 4.4")
    # each term: (width exponent, rank exponent) of alpha * eta^k * n^i * r^j
    if init == "a":
        terms = [((cn, cr + 1 - g), "alpha eta r: dB Z_A with Z_A = Theta(1) at init"),
                 ((2 * cn + 1, 2 * cr + 1 - g), "alpha eta^2 r n: dB Z_A once Z_A = Theta(eta n)")]
        za = (cn + 1, cr)
    else:
        terms = [((cn + 1, cr - g), "alpha eta n: B_0 dZ_A with B_0 ~ r^-1/2"),
                 ((2 * cn + 1, 2 * cr + 1 - g), "alpha eta^2 n r: dB Z_A with Z_A = Theta(eta n)")]
        za = (cn + 1, cr)
    for (w, r), what in terms:
        cs.le(w, 0, label=f"{what} = O(1) at fixed rank (r = n^0)", source=TERMS)
        cs.le(w + r, 0, label=f"{what} = O(1) at r = n", source=TERMS)
    zw, zr = cs.cell("lora_a", "feature", "width", note="Z_A = A Z (coordinates)"), cs.cell("lora_a", "feature", "rank")
    cs.eq(zw, za[0], label="Z_A = Theta(eta n) [width]", source=TERMS)
    cs.eq(zr, za[1], label="Z_A = Theta(eta n) [rank]", source=TERMS)
    cs.system.maximize(2 * cn + cr)  # log eta at r = 1 plus at r = n: the largest eta for every r in [1, n]
    return cs


def _mua(optimizer, alignment, lora_init="a", gamma="standard"):
    init = lora_init
    cs = build_mua(init, gamma)
    g = _gamma(gamma)
    notes = ["VERIFIED-2nd: Corollary 4.4 and the feature-update terms were read in public repositories' notes "
             "(library files 60010686663, 62867629935, 71040300890), not in the paper; abstract VERIFIED",
             f"{INITS[init]}; alpha = r^-({fmt(g)}); one LR for A and B; Adam analysed as SignSGD; regime r <= n, "
             "n, r -> infinity",
             "rank row: eta ∝ n^c_n r^c_r jointly (not r alone at fixed small n)",
             "rsLoRA (kalajdzievski2023rank) keeps the LR fixed in r at alpha ∝ r^-1/2; here Init[A] gives "
             "r^-1/4 there (recorded disagreement: different criteria)",
             "LoRA+ (hayou2024lora) requires Z_A = O(1) and separate LRs; with one LR Init[A] lets Z_A grow as "
             "the feature row shows"]
    if init == "b" and g != 0:
        notes.insert(0, "UNVERIFIED: Init[B] with gamma != 0 is derived from the transcribed terms; the sources read "
                        "state Init[B] only for a constant multiplier (gamma = 0)")
    return cs.table("lora-mua", optimizer, Source(*MUA, "Corollary 4.4 (VERIFIED-2nd); abstract"),
                    title="muA: the LoRA learning rate across width and rank (Chen, Villar & Hayou 2026)",
                    convention="n = width, r = LoRA rank; W = W* + alpha B A, alpha = r^-gamma; one LR for A, B",
                    variant={"lora_init": init, "gamma": g}, notes=notes)


def build_rslora() -> CellSystem:
    """rsLoRA (Kalajdzievski, arXiv 2312.03732 Thm 3.2): the adapter multiplier gamma_r that keeps the forward and
    backward passes Theta(1) in the rank r, i.e. ``r^-1/2``, with the A and B learning rates fixed in r."""
    cs = CellSystem("rsLoRA: rank-stabilized multiplier", source=THM32)
    mult = cs.cell("adapter", "multiplier", "rank", note="gamma_r on B A")
    for role in ("lora_a", "lora_b"):
        cs.eq(cs.cell(role, "lr", "rank"), 0, label=f"{role}: learning rate fixed in r", source=THM32)
    fwd = cs.aux("gamma[forward]", description="exponent of the adapter output (and of the backward gradients)")
    cs.eq(fwd, 2 * mult + 1, label="both passes scale as Theta(gamma_r^2 r) (E[A_0^T A_0] = r sigma_A I)", source=THM32)
    cs.eq(fwd, 0, label="rank-stabilized: Theta(1) in r", source=THM32)
    return cs


def _rslora(optimizer, alignment):
    cs = build_rslora()
    return cs.table("rslora", optimizer, Source(*RSLORA, "abstract; Theorem 3.2 (VERIFIED-2nd)"),
                    title="rsLoRA: the rank-stabilizing LoRA multiplier (Kalajdzievski 2023)",
                    convention="r = LoRA rank; W = W* + gamma_r B A (PEFT: use_rslora=True, gamma_r = lora_alpha/sqrt(r))",
                    notes=["abstract VERIFIED (divide the adapter by sqrt(rank)); Theorem 3.2 and its key step "
                           "VERIFIED-2nd (library files 60010686663, 52788628489)",
                           "PEFT's default lora_alpha/r (gamma = 1) is not rank-stabilized: learning collapses as r grows",
                           "muA (lora-mua --gamma rslora) gives the largest stable LR ∝ r^-1/4 (Init[A]) at this "
                           "multiplier (recorded disagreement: different criteria)",
                           "measured (catalog/verification/lora, verify --model lora --ranks 64,128,256,512 --width "
                           "1024): under Adam the adapter output grows as r^+0.32 (one example: r^+0.49, lora_batch1): "
                           "Adam's sign update gives Theta(gamma_r r), and alpha/r (lora-mua) is the flat one; under "
                           "SGD one example's output is flat (r^+0.11) but a batch of 64 cancels the Theta(r) mean "
                           "(r^-0.36), and the backward pass falls as r^-1/2 while r << n (fluctuation of A^T A h)"])


SPECS = [
    ParamSpec("lora-mua", "muA: LoRA learning rate across width and rank (Chen, Villar & Hayou 2026)",
              Source(*MUA, "Corollary 4.4 (VERIFIED-2nd)"), _mua, optimizers=("adam",), family="finetuning",
              aliases=("mua", "lora-rank"),
              options=(Option("lora_init", "'a' (Init[A]: A random, B = 0; default) or 'b' (Init[B]: B random, A = 0)",
                              "a", str),
                       Option("gamma", "multiplier alpha = r^-gamma: 'standard' (1, lora_alpha/r; default), "
                              "'rslora' (1/2), 'constant' (0), or a number in [0, 1]", "standard", str)),
              summary="eta ∝ n^-1/2 r^-(1-gamma)/2 (Init[A]); n^-1, rank-invariant (Init[B], alpha constant)"),
    ParamSpec("rslora", "rsLoRA: rank-stabilized LoRA multiplier (Kalajdzievski 2023)",
              Source(*RSLORA, "abstract; Theorem 3.2"), _rslora, optimizers=("adam", "sgd"), family="finetuning",
              aliases=("rank-stabilized-lora",),
              summary="LoRA multiplier ∝ r^-1/2 (lora_alpha/sqrt(r)) at a rank-independent LR"),
]
