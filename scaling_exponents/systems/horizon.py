"""Training duration and batch size as scaling dimensions: tokens D and batch B (steps T = D / B).

Two tables, both with rows along ``tokens`` (D, at fixed batch) and ``batch`` (B, at fixed tokens, so the number
of steps falls as 1/B).  The two coordinates are independent, so ``derive --tokens D --base-tokens D0 --batch B
--base-batch B0`` multiplies the two factors.

``adamw-timescale-horizon`` -- the AdamW EMA timescale across batch size and duration.  Wang & Aitchison,
arXiv 2405.13698 Sec. 3: the weights are an EMA of updates with timescale ``tau_iter = 1/(eta lambda)`` (coupled
torch lambda) iterations; the rule holds the timescale fixed as a FRACTION of training.  In tokens (Bergsma et al.,
"Power Lines", arXiv 2505.13738 abstract, which states it as the implication of 2405.13698):

    tau = B / (eta lambda D)   constant,                                               (TAU)

and Bergsma et al. verify (abstract) "optimal lambda scales linearly with B, for a fixed N and D".  With the LR
held fixed (``--lr-rule fixed``) the table gives ``lambda ∝ B / D``.  Bergsma et al. further find the optimal tau
is a power law in tokens-per-parameter D/N; its fitted exponent was not read (UNVERIFIED), so tau is held
constant here (their statement of the 2405.13698 rule).

``lmo-bound`` -- hyperparameters that minimise an LMO convergence bound (Shulgin, von Rütte, Zhang, Ajroldi,
Schölkopf, Orvieto, arXiv 2603.15958: "treating bounds ... as a proxy and minimizing them ... yields closed-form
power-law schedules for learning rate, momentum, and batch size as functions of the iteration or token budget").
The paper's own text beyond the abstract was NOT readable here.  The bound encoded is the standard one for
normalised SGD / LMO methods with momentum 1 - alpha (Cutkosky & Mehta, ICML 2020, Thm 1; the same four terms
appear for LMO methods, Pethick et al. 2025), with the noise scale sigma/sqrt(B) of a batch of B:

    G(eta, alpha) = Delta/(eta K) + L eta/alpha + sigma sqrt(alpha/B) + sigma/(alpha K sqrt(B)),   K = D / B.   (LMO)

VERIFIED-2nd for fixed momentum: Su (kexue.fm/archives/11833, 2026) states that arXiv 2603.15958's analysis gives
the form a1/(K eta) + a2 B^-1/2 + a3 eta (gamma1 = gamma3 = 1, gamma2 = 1/2), which is (LMO) with alpha constant
(plus the dominated warm-up term).  The momentum terms (alpha) remain UNVERIFIED against the paper.

Minimising a sum of power laws for large budgets is an LP in the exponents: minimise ``rate = max(term
exponents)``.  Three tuning regimes (``--tune``):

* ``lr-momentum`` (default): eta ∝ D^(-3/4), alpha = 1 - beta ∝ D^(-1/2), bound ∝ D^(-1/4) along tokens
  (Cutkosky & Mehta's schedule); along batch at fixed tokens eta ∝ B, alpha ∝ B and the bound is flat: with
  momentum tuned no batch is optimal (v1 abstract: "optimal performance may be achieved with several scaling
  strategies").
* ``lr`` (momentum fixed): eta ∝ K^(-1/2) = D^(-1/2) B^(1/2), the square-root rule.
* ``lr-batch`` (momentum fixed, batch chosen per token budget): B* ∝ D^(1/2), eta ∝ D^(-1/4), bound ∝
  D^(-1/4) -- the "non-trivial token-optimal batch size" of the workshop abstract, as Su derives it.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import CellSystem

WANG = ("wang2024how", "2405.13698")
SHULGIN = ("shulgin2026deriving", "2603.15958")
TAU = "arXiv 2405.13698 Sec. 3 (tau_iter = 1/(eta lambda)); arXiv 2505.13738 abstract: tau = B/(eta lambda D) constant"
TAU_B = "arXiv 2505.13738 abstract: optimal lambda scales linearly with B for fixed N, D"
LMO = ("proxy bound (LMO): Delta/(eta K) + L eta/alpha + sigma sqrt(alpha/B) + sigma/(alpha K sqrt B) "
       "(Cutkosky & Mehta 2020 Thm 1 form; arXiv 2603.15958's own bound UNVERIFIED)")
STEPS = "K = D / B optimizer steps"

#: (tokens exponent, batch exponent) of each dimension; steps K = D / B
DIMS = {"tokens": (1, 0), "batch": (0, 1)}


def _steps(d, b):
    return Q(d) - Q(b)


def build_timescale_horizon(lr_rule: str = "fixed") -> CellSystem:
    """The AdamW EMA-timescale rule across tokens and batch (Wang & Aitchison, arXiv 2405.13698 Sec. 3; arXiv
    2505.13738): with the LR held fixed, the decay keeping ``tau = B/(eta lambda D)`` constant, coupled and
    independent forms; ``lr_rule`` other than ``fixed`` is a :class:`UserError`."""
    if lr_rule != "fixed":
        raise UserError(f"--lr-rule for the horizon table is 'fixed' (LR held fixed across D and B); got {lr_rule!r}")
    cs = CellSystem("AdamW EMA timescale across tokens and batch", source=TAU)
    for dim, (d, b) in DIMS.items():
        t = f"[any, {dim}]"
        lr = cs.cell("any", "lr", dim)
        wd = cs.cell("any", "weight_decay", dim, note="coupled (torch AdamW) lambda")
        prod = cs.cell("any", "lr_wd_product", dim, note="eta*lambda = independent (decoupled) decay")
        steps = cs.cell("any", "steps", dim, note="K = D/B")
        cs.eq(steps, _steps(d, b), label=f"{STEPS} {t}", source="definition")
        cs.eq(prod, lr + wd, label=f"eta lambda = lambda_ind {t}", source="definition: coupled decay per step")
        cs.eq(lr, 0, label=f"LR held fixed {t}", source="rule input (--lr-rule fixed)")
        tau_it = cs.aux(f"tau_iter[any]@{dim}", None)
        cs.eq(tau_it, -prod, label=f"tau_iter = 1/(eta lambda) {t}", source=TAU)
        tau = cs.cell("any", "timescale_fraction", dim, note="tau = tau_iter / K = B/(eta lambda D)")
        cs.eq(tau, tau_it - steps, label=f"tau = tau_iter / K {t}", source=TAU)
        cs.eq(tau, 0, label=f"optimal tau constant {t}", source=TAU)
    return cs


def _timescale_horizon(optimizer, alignment, lr_rule="fixed"):
    cs = build_timescale_horizon(lr_rule)
    return cs.table("adamw-timescale-horizon", optimizer, Source(*WANG, "Sec. 3; via arXiv 2505.13738 abstract"),
                    title="AdamW timescale across tokens and batch (Wang & Aitchison; Bergsma et al.)",
                    convention="D = training tokens, B = batch (tokens or sequences per step), steps K = D/B; "
                               "weight_decay = coupled torch lambda",
                    variant={"lr_rule": lr_rule},
                    notes=["tau = B/(eta lambda D) held constant; lambda ∝ B at fixed D verified by Bergsma et al. "
                           "(arXiv 2505.13738 abstract)",
                           "Bergsma et al.: optimal tau is a power law in D/N (exponent not read, UNVERIFIED; "
                           "not encoded): at fixed model size this table holds tau constant"])


#: tuning regimes of the bound (``--tune``): which hyperparameters are chosen to minimise it
TUNES = ("lr-momentum", "lr", "lr-batch")
SU = ("kexue.fm/archives/11833 (Su, 2026; VERIFIED-2nd): arXiv 2603.15958's bound has the form "
      "a1/(K eta) + a2 B^-1/2 + a3 eta (gamma1 = gamma3 = 1, gamma2 = 1/2)")


def _terms(lr, alpha, k, b):
    half = sympy.Rational(1, 2)
    return [(-lr - k, "Delta/(eta K): initial gap"),
            (lr - alpha, "L eta/alpha: smoothness / momentum lag"),
            (half * alpha - half * b, "sigma sqrt(alpha/B): momentum-averaged noise"),
            (-alpha - k - half * b, "sigma/(alpha K sqrt B): momentum warm-up bias")]


def build_lmo_bound(tune: str = "lr-momentum") -> CellSystem:
    """Minimise the bound's exponent.  ``lr-momentum``: LR and momentum tuned (the LP minimises the max of the
    four terms).  ``lr``: momentum fixed (alpha exponent 0); the LR minimises its own two terms, then the bound is
    reported.  ``lr-batch``: momentum fixed, LR and the batch B tuned at each token budget D (one dimension,
    ``tokens``; batch is a quantity): B first minimises the bound, then the LR its own terms (2-stage, as Su's
    reading of arXiv 2603.15958 does)."""
    if tune not in TUNES:
        raise UserError(f"--tune for lmo-bound is one of {', '.join(TUNES)}; got {tune!r}")
    cs = CellSystem(f"LMO bound minimisation ({tune})", source=LMO)
    objective = []
    dims = {"tokens": (1, 0)} if tune == "lr-batch" else DIMS
    for dim, (d, b) in dims.items():
        t = f"[any, {dim}]"
        lr = cs.cell("any", "lr", dim)
        steps = cs.cell("any", "steps", dim, note="K = D/B")
        if tune == "lr-batch":
            bexp = cs.cell("any", "batch", dim, note="token-optimal batch B*(D)")
            cs.eq(steps, Q(d) - bexp, label=f"{STEPS} {t}", source="definition")
        else:
            bexp = Q(b)
            cs.eq(steps, _steps(d, b), label=f"{STEPS} {t}", source="definition")
        if tune == "lr-momentum":
            alpha = cs.cell("any", "one_minus_momentum", dim, note="alpha = 1 - beta (EMA weight of the new gradient)")
        else:
            alpha = cs.aux(f"alpha@{dim}", 0, label=f"momentum fixed: alpha = 1 - beta constant {t}",
                           source="tuning regime (--tune)")
        terms = _terms(lr, alpha, steps, bexp)
        rate = cs.system.max_of(f"bound[any]@{dim}", [e for e, _ in terms],
                                label=f"bound exponent = max of term exponents {t}: " + "; ".join(w for _, w in terms),
                                source=LMO if tune == "lr-momentum" else f"{LMO}; {SU}")
        cs.cells.setdefault(f"bound[any]@{dim}", ("any", "bound", dim, "rate exponent of the minimised bound"))
        if tune == "lr-momentum":
            objective.append(rate)
        else:  # the LR minimises its own terms; the (weighted) bound fixes B and makes the bound variable tight
            own = cs.system.max_of(f"lr_terms@{dim}", [terms[0][0], terms[1][0]],
                                   label=f"LR-dependent terms Delta/(eta K), L eta/alpha {t}", source=SU)
            objective += [2 * rate, own]
    # the dimensions are independent coordinates: minimise every dimension's rate (sum = separable LP)
    cs.system.minimize(sum(objective[1:], objective[0]))
    return cs


def _lmo_bound(optimizer, alignment, tune="lr-momentum"):
    cs = build_lmo_bound(tune)
    notes = ["derived by minimising the bound's exponent (LP: min max of term exponents)",
             "UNVERIFIED: arXiv 2603.15958's own bound was not read; the encoded bound is the Cutkosky & Mehta (2020) "
             "normalised-SGD-momentum form (normalised SGD, signSGD, Muon up to norm constants; model size fixed). "
             "VERIFIED-2nd for fixed momentum: Su (kexue.fm/archives/11833) states the paper's bound is "
             "a1/(K eta) + a2 B^-1/2 + a3 eta, which is this bound with alpha constant (plus a dominated term)"]
    if tune == "lr-momentum":
        notes.append("at fixed tokens the minimised bound is flat in B (linear LR and alpha scaling): with momentum "
                     "tuned no batch is optimal (the v1 abstract: 'several scaling strategies'); --tune lr-batch "
                     "gives the workshop abstract's 'non-trivial token-optimal batch size'")
    elif tune == "lr":
        notes.append("momentum fixed: eta ∝ K^-1/2 = D^-1/2 B^1/2 (the square-root batch rule; Complete^(d)P's LR "
                     "rule); at fixed B the noise floor sigma/sqrt(B) makes the bound flat in D")
    else:
        notes.append("token-optimal batch B* ∝ D^1/2, eta ∝ D^-1/4, bound ∝ D^-1/4: Su's derivation from the "
                     "paper's bound (kexue.fm/archives/11833, VERIFIED-2nd)")
    return cs.table("lmo-bound", optimizer, Source(*SHULGIN, "method (abstract); bound VERIFIED-2nd (momentum fixed)"),
                    title="Hyperparameters minimising an LMO convergence bound (Shulgin et al. 2026)",
                    convention="D = training tokens (batch fixed), B = batch (tokens fixed, so K = D/B steps); "
                               "alpha = 1 - momentum; bound = exponent of the minimised bound",
                    variant={"tune": tune}, notes=notes)


SPECS = [
    ParamSpec("adamw-timescale-horizon", "AdamW EMA timescale across tokens and batch (Wang & Aitchison 2024)",
              Source(*WANG, "Sec. 3; arXiv 2505.13738 abstract"), _timescale_horizon, optimizers=("adamw",),
              family="duration",
              options=(Option("lr_rule", "'fixed' (LR held fixed across tokens and batch)", "fixed", str),),
              aliases=("adamw-timescale-tokens",),
              summary="tau = B/(eta lambda D) constant: lambda ∝ B/D at fixed LR"),
    ParamSpec("lmo-bound", "LR and momentum minimising an LMO convergence bound (Shulgin et al. 2026)",
              Source(*SHULGIN, "abstract; bound UNVERIFIED (form VERIFIED-2nd)"), _lmo_bound,
              optimizers=("muon", "signsgd", "nsgd"), family="duration", aliases=("shulgin-lmo",),
              options=(Option("tune", "what minimises the bound: lr-momentum (default), lr (momentum fixed), "
                                      "lr-batch (momentum fixed, token-optimal batch)", "lr-momentum", str),),
              summary="eta ∝ D^-3/4 B, 1-beta ∝ D^-1/2 B; bound ∝ D^-1/4 (flat in B at fixed D)"),
]
