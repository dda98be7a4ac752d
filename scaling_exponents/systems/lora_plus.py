"""LoRA+ (Hayou, Ghosh & Yu, ICML 2024, arXiv 2402.12354): the learning rates of the LoRA factors A and B in width.

A LoRA layer is ``W = W* + (alpha/r) B A`` with ``A in R^{r x n}`` (role ``lora_a``) and ``B in R^{n x r}``
(role ``lora_b``); the rank r is fixed and the width n grows (Sec. 4).  Read in the full text (a transcription of
the ICML 2024 PDF stored in a public repository; Secs. 3-4 and App. A.2-A.5).  Every quantity is ``Theta(n^gamma)``
and ``gamma[.]`` adds over products and takes the max over sums (App. A.2).  The LoRA features are
``Z_A = A Z`` and ``Z_B = B Z_A``; one step changes ``Z_B`` by ``delta1 + delta2 + delta3`` with
``delta1 = B dZ_A`` (A's update), ``delta2 = dB Z_A`` (B's update), ``delta3 = dB dZ_A``.

Definition 5 (efficient learning): stable (Def. 3: ``Z, Z_A, Z_B = O(1)``) and ``delta1, delta2 = Theta(1)`` for
every step t > 1.  The exponent equations:

* **Adam** (Theorem 1, proof in App. A.5; processed gradients have Theta(1) entries and ``g_A Z = Theta(n)``,
  Assumption 1)::

      gamma[eta_A] + gamma[B] + 1 = 0          (delta1 = Theta(1))
      gamma[eta_B] + gamma[A Z] = 0            (delta2 = Theta(1))
      gamma[B] + gamma[A Z] = 0                (Z_B = Theta(1))
      gamma[B_t] = max(gamma[B_{t-1}], gamma[eta_B]),  gamma[A_t Z] = max(gamma[A_{t-1} Z], gamma[eta_A] + 1)

* **SGD** (Proposition 2 on the toy model f(x) = (W* + b a^T) x, Eq. (2), r = 1; App. A.4)::

      gamma[eta_a] + 2 gamma[b] + 1 = 0,  gamma[eta_b] + 2 gamma[a^T x] = 0,
      gamma[eta_a] + gamma[eta_b] + gamma[b] + gamma[a^T x] + 1 = 0,  gamma[b] + gamma[a^T x] = 0   (f = Theta(1))
      gamma[b_t] = max(gamma[b_{t-1}], gamma[eta_b] + gamma[a^T x]),
      gamma[a_t^T x] = max(gamma[a_{t-1}^T x], gamma[eta_a] + gamma[b_{t-1}] + 1)

with the initialisations of Sec. 3.1 / Sec. 4: **Init[1]** ``sigma_B = 0, sigma_A^2 = Theta(1/n)`` (Hu et al.'s
default, ``--lora-init a``) or **Init[2]** ``sigma_B^2 = Theta(1), sigma_A = 0`` (``--lora-init b``).  The recursions are
unrolled from the first step as the proofs do (with Init[1] ``B_1 = -eta_B g_B`` so ``gamma[B] = gamma[eta_B]``).
Solved, they give ``eta_A = Theta(n^-1)``, ``eta_B = Theta(1)``: the ratio ``eta_B / eta_A = Theta(n)`` (the
theorem's headline).  ``--tie-lr yes`` adds ``eta_A = eta_B`` (standard LoRA) and the system is infeasible, which
is Proposition 1 / the first half of Theorem 1.  For Adam with Init[2] the equations leave a one-parameter family
(``gamma[eta_A] = -1 - s``, ``gamma[eta_B] = s``, s >= 0); App. A.5 states "the same result holds with Init[2]",
encoded as the labelled selection ``gamma[eta_B] = 0``.
"""

from __future__ import annotations

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import CellSystem

KEY, ARXIV = "hayou2024lora", "2402.12354"
THM1 = "arXiv 2402.12354 Theorem 1, proof App. A.5 (Adam)"
PROP2 = "arXiv 2402.12354 Proposition 2, proof App. A.4 (SGD, toy model Eq. (2))"
DEF = "arXiv 2402.12354 Def. 3 (stability) and Def. 5 (efficient learning)"
INITS = {"a": "Init[1]: A ~ N(0, Theta(1/n)), B = 0 (Hu et al.'s default)",
         "b": "Init[2]: B ~ N(0, Theta(1)), A = 0"}
OPTIMIZERS = ("adam", "sgd")


def _yes(value) -> bool:
    v = str(value).strip().lower()
    if v in ("yes", "true", "1"):
        return True
    if v in ("no", "false", "0", "none", ""):
        return False
    raise UserError(f"--tie-lr is yes or no (standard LoRA's eta_A = eta_B, or LoRA+'s separate LRs); got {value!r}")


def build(optimizer: str = "adam", init: str = "a", tie_lr=False, select: bool = True) -> CellSystem:
    """Theorem 1 (Adam) or Proposition 2 (SGD) of arXiv 2402.12354 as an exponent system in the width n
    (``select=False`` drops the Init[2] Adam selection, leaving the one-parameter family)."""
    if optimizer not in OPTIMIZERS:
        raise UserError(f"LoRA+ covers {', '.join(OPTIMIZERS)}; got optimizer {optimizer!r}")
    if init not in INITS:
        raise UserError(f"--lora-init is 'a' ({INITS['a']}) or 'b' ({INITS['b']}); got {init!r}")
    src = THM1 if optimizer == "adam" else PROP2
    cs = CellSystem(f"LoRA+ efficient learning ({optimizer}, {INITS[init].split(':')[0]})", source=src)
    ca = cs.cell("lora_a", "lr", "width")
    cb = cs.cell("lora_b", "lr", "width")
    ratio = cs.cell("lora_b", "lr_ratio_to_lora_a", "width", note="eta_B / eta_A")
    cs.eq(ratio, cb - ca, label="ratio = eta_B / eta_A", source="definition")
    if init == "a":
        ia = cs.cell("lora_a", "init_std", "width", note="B starts at 0")
        cs.eq(ia, Q("-1/2"), label="Init[1]: sigma_A^2 = Theta(n^-1) (a^T x does not explode, CLT)",
              source="arXiv 2402.12354 Sec. 3.1 and Sec. 4 (Notation)")
    else:
        ib = cs.cell("lora_b", "init_std", "width", note="A starts at 0")
        cs.eq(ib, 0, label="Init[2]: sigma_B^2 = Theta(1)", source="arXiv 2402.12354 Sec. 3.1 and Sec. 4 (Notation)")
    if optimizer == "adam":
        _adam(cs, ca, cb, init, select)
    else:
        _sgd(cs, ca, cb, init)
    if _yes(tie_lr):
        cs.eq(ca, cb, label="standard LoRA: eta_A = eta_B", source="--tie-lr (Hu et al. 2021 practice)")
    return cs


def _adam(cs, ca, cb, init, select=True):
    gb = cs.aux("gamma[B]", description="entry size of B after the first steps")
    gza = cs.aux("gamma[A Z]", description="coordinate size of the LoRA feature Z_A = A Z")
    cs.eq(ca + gb + 1, 0, label="delta1 = -eta_A B g_A Z = Theta(1), with g_A Z = Theta(n) (Assumption 1)", source=THM1)
    cs.eq(cb + gza, 0, label="delta2 = -eta_B g_B A Z = Theta(1)", source=THM1)
    cs.eq(gb + gza, 0, label="Z_B = B A Z = Theta(1)", source=THM1)
    cs.le(gza, 0, label="stability: Z_A = O(1)", source=DEF)
    if init == "a":
        cs.eq(gb, cb, label="Init[1]: B_0 = 0, so gamma[B_t] = max(gamma[B_{t-1}], gamma[eta_B]) = gamma[eta_B]", source=THM1)
        rec = cs.system.max_of("rec[A Z]", [0, ca + 1], label="gamma[A_t Z] = max(gamma[A_0 Z] = 0 (CLT), "
                               "gamma[eta_A] + 1)", source=THM1)
        cs.eq(gza, rec, label="Z_A follows its recursion", source=THM1)
    else:
        rec = cs.system.max_of("rec[B]", [0, cb], label="gamma[B_t] = max(gamma[B_0] = 0, gamma[eta_B])", source=THM1)
        cs.eq(gb, rec, label="B follows its recursion", source=THM1)
        cs.eq(gza, ca + 1, label="Init[2]: A_0 = 0, so gamma[A_t Z] = gamma[eta_A] + 1", source=THM1)
        if select:
            cs.eq(cb, 0, label="selection: eta_B = Theta(1) ('the same result holds with Init[2]'; the equations leave "
                  "gamma[eta_A] = -1 - s, gamma[eta_B] = s >= 0)", source=THM1)


def _sgd(cs, ca, cb, init):
    gb = cs.aux("gamma[b]", description="size of the LoRA weight b (r = 1, output dimension 1)")
    gax = cs.aux("gamma[a^T x]", description="size of the LoRA feature a^T x")
    cs.eq(ca + 2 * gb + 1, 0, label="delta1 = -eta_a b^2 U ||x||^2 = Theta(1)", source=PROP2)
    cs.eq(cb + 2 * gax, 0, label="delta2 = -eta_b (a^T x)^2 U = Theta(1)", source=PROP2)
    cs.eq(ca + cb + gb + gax + 1, 0, label="delta3 = eta_a eta_b U^2 b (a^T x) ||x||^2 = Theta(1)", source=PROP2)
    cs.eq(gb + gax, 0, label="f = b a^T x = Theta(1)", source=PROP2)
    if init == "a":
        cs.eq(gb, cb, label="Init[1]: b_1 = -eta_b (a_0^T x) U, a_0^T x = Theta(1): gamma[b_t] = gamma[eta_b]", source=PROP2)
        rec = cs.system.max_of("rec[a^T x]", [0, ca + cb + 1], label="gamma[a_t^T x] = max(0, gamma[eta_a] + "
                               "gamma[b_{t-1}] + 1)", source=PROP2)
        cs.eq(gax, rec, label="a^T x follows its recursion", source=PROP2)
    else:
        cs.eq(gax, ca + 1, label="Init[2]: a_0 = 0, a_1^T x = -eta_a b_0^2 U ||x||^2: gamma = gamma[eta_a] + 1",
              source=PROP2)
        rec = cs.system.max_of("rec[b]", [0, cb + ca + 1], label="gamma[b_t] = max(gamma[b_0] = 0, gamma[eta_b] + "
                               "gamma[eta_a] + 1)", source=PROP2)
        cs.eq(gb, rec, label="b follows its recursion", source=PROP2)


def _lora_plus(optimizer, alignment, lora_init="a", tie_lr="no"):
    init = lora_init
    cs = build(optimizer, init, tie_lr)
    where = "Theorem 1, App. A.5" if optimizer == "adam" else "Proposition 2, App. A.4"
    notes = ["VERIFIED: read in the paper's full text (Secs. 3-4, App. A) as transcribed from the ICML 2024 PDF",
             f"{INITS[init]}; rank r fixed as n grows (Sec. 4); the table holds for every LoRA layer",
             "eta_B / eta_A = Theta(n): the constant is task-dependent; the paper suggests a fixed ratio "
             "lambda ~ 2^4 (Init[2], RoBERTa) and 2^2-2^3 (Init[1]) (Sec. 5.3) and tunes eta_A only",
             "chen2026learning (lora-mua) keeps ONE LR for A and B and lets Z_A grow (~n^(1/2)); LoRA+ requires "
             "Z_A = O(1) (Def. 3): their width exponents differ by definition of stability"]
    if optimizer == "sgd":
        notes.insert(1, "SGD rows are Proposition 2's toy model (Eq. (2): scalar output, r = 1); Theorem 1 (Adam) "
                        "is the general-network statement")
    return cs.table("lora-plus", optimizer, Source(KEY, ARXIV, where),
                    title="LoRA+: separate learning rates for the LoRA factors (Hayou, Ghosh & Yu 2024)",
                    convention="n = width (embedding dimension); W = W* + (alpha/r) B A, A: r x n (lora_a), "
                               "B: n x r (lora_b); rank r fixed",
                    variant={"lora_init": init, "tie_lr": "yes" if _yes(tie_lr) else "no"}, notes=notes)


SPECS = [
    ParamSpec("lora-plus", "LoRA+: per-factor LoRA learning rates (Hayou, Ghosh & Yu 2024)",
              Source(KEY, ARXIV, "Theorem 1; Proposition 2"), _lora_plus, optimizers=OPTIMIZERS,
              family="finetuning", aliases=("loraplus", "lora+"),
              options=(Option("lora_init", "'a' (Init[1]: A random, B = 0; default) or 'b' (Init[2]: B random, A = 0)",
                              "a", str),
                       Option("tie_lr", "'yes': standard LoRA's eta_A = eta_B (infeasible: Theorem 1)", "no", str)),
              summary="eta_A ∝ 1/n, eta_B ∝ 1 (ratio eta_B/eta_A ∝ n): derived from Theorem 1's efficiency equations"),
]
