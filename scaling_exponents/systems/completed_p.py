"""Complete^(d)P: Mlodozeniec, Ablin, Béthune, Busbridge, Klein, Ramapuram & Cuturi, "Completed Hyperparameter
Transfer across Modules, Width, Depth, Batch and Duration", arXiv 2512.22382 (ICLR 2026 poster).

What it is (abstract): "the Complete^(d) Parameterisation that unifies scaling in width and depth -- using an
adaptation of CompleteP -- as well as in batch-size and training duration", per module (embeddings, hidden
weights, biases and norms, QK-norms, unembedding).  The paper's Table 1 was NOT read directly; its content is
VERIFIED-2nd from an implementation that transcribes it rule by rule, "From Table 1" (xiaol827/ELO
``src/parameterization.py`` @205b5ac, ``CompletedPParameterization``: m_N width, m_L depth, m_B batch and m_D
dataset-token multipliers), consistent with two other secondary sources: marin-community/marin
``experiments/scaling_law_sweeps/completed_adamh.py`` (Adam LR ∝ sqrt(r/r0), eps ∝ sqrt(r0/r), r = B/D) and a
MarinDNA blog note "the Complete(d) paper proposes a 0.5 token-horizon exponent".

Derivation here:

* width and depth: CompleteP in TP6 Table 2 (= TP5 Table 3) form, taken from :mod:`.depth` (``derive_depth``
  with the CompleteP selection, or a given ``alpha`` in [1/2, 1]): hidden LR m_N^-1 m_L^(alpha-1), in-block eps
  m_N^-1 m_L^-alpha, residual multipliers m_L^-alpha, readout init var m_N^-2 and LR m_N^-1, output multiplier 1.
  The transcription agrees with every one of these cells.  Where Complete^(d)P's Table 1 (as transcribed)
  differs from that CompleteP form, the paper's entry is used and the difference is a note: the unembedding
  LayerNorm's eps has no width factor (CompleteP/nanoGPT-mup: m_N^-1), the unembedding weights are decayed with
  m_N like hidden ones, and QK-norm gains get their own rule: LR m_L^(alpha-1), eps m_L^-alpha with NO width
  factor (the QK-norm epsilon rule; hidden norms' eps carries m_N^-1).
* batch B and duration D: the SDE scaling rule (Malladi et al., arXiv 2205.10287, Adam square-root rule) applied
  with kappa = m_B / m_D, the inverse of the step multiplier (K = D/B): one SDE step lasts dt ∝ kappa, so
  LR ∝ kappa^(1/2) (dt = eta^2), 1 - beta_1 and 1 - beta_2 ∝ kappa (EMA horizon fixed in SDE time),
  eps ∝ kappa^(-1/2), and the per-step coupled decay eta*lambda ∝ kappa (lambda ∝ kappa^(1/2)).  Along tokens at
  fixed B that is LR ∝ D^(-1/2) (vs Bjorck et al.'s fitted D^-0.32, :mod:`.token_horizon`), along batch at fixed
  D LR ∝ B^(1/2).  Every module gets the same batch/duration factors (transcription: "× sqrt(m_B/m_D)").
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import ExponentTable, Row, Source
from .base import Option, ParamSpec
from .depth import derive_depth
from .spectral import CellSystem

KEY, ARXIV = "mlodozeniec2025completed", "2512.22382"
T1 = "arXiv 2512.22382 Table 1 (VERIFIED-2nd: xiaol827/ELO src/parameterization.py @205b5ac, 'From Table 1')"
SDE = "Malladi et al. arXiv 2205.10287 SDE square-root rule (Adam), applied by arXiv 2512.22382 with kappa = m_B/m_D"
HALF = sympy.Rational(1, 2)
#: steps K = D / B: exponent along each horizon dimension
STEPS = {"batch": -1, "tokens": 1}
#: roles whose per-role rows the batch/duration rule multiplies (every module of Table 1)
ROLES = ("embedding", "hidden", "hidden_bias", "norm", "qk_norm", "final_norm", "readout")


def build_sde() -> CellSystem:
    """Batch and duration: steps K = D/B (definition), kappa = 1/m_K (Complete^(d)P), SDE rule per quantity."""
    cs = CellSystem("Complete^(d)P batch/duration (SDE rule, kappa = m_B/m_D)", source=f"{T1}; {SDE}")
    for dim, k in STEPS.items():
        t = f"[{dim}]"
        steps = cs.cell("global", "steps", dim, note="K = D/B training iterations (Table 1: ∝ m_D/m_B)")
        cs.eq(steps, k, label=f"K = D/B {t}", source="definition")
        kappa = cs.aux(f"kappa@{dim}", None, description="exponent of kappa = m_B/m_D")
        cs.eq(kappa, -steps, label=f"kappa = m_B/m_D = 1/m_K {t}", source=T1)
        dt = cs.aux(f"dt@{dim}", None, description="SDE time of one step")
        cs.eq(dt, kappa, label=f"one step lasts dt ∝ kappa in SDE time {t}", source=SDE)
        for beta in ("one_minus_beta1", "one_minus_beta2"):
            b = cs.cell("global", beta, dim, note="Adam EMA weight 1 - beta (Table 1: × m_B/m_D)")
            cs.eq(b, dt, label=f"{beta}: EMA horizon fixed in SDE time {t}", source=f"{SDE}; {T1}")
        for role in ROLES:
            lr = cs.cell(role, "lr", dim, note="× sqrt(m_B/m_D)")
            cs.eq(2 * lr, dt, label=f"{role}: dt = eta^2 (square-root rule) {t}", source=f"{SDE}; {T1}")
            eps = cs.cell(role, "adam_eps", dim, note="× sqrt(m_D/m_B)")
            cs.eq(2 * eps, -dt, label=f"{role}: eps ∝ kappa^(-1/2), the scale of sqrt(v) in the SDE rule {t}",
                  source=f"{SDE}; {T1}")
            wd = cs.cell(role, "weight_decay", dim, note="coupled torch lambda, × sqrt(m_B/m_D)")
            prod = cs.cell(role, "lr_wd_product", dim, note="eta*lambda per step ∝ B/D: tau = B/(eta lambda D) fixed")
            cs.eq(prod, lr + wd, label=f"{role}: per-step decay = eta*lambda (torch AdamW, coupled) {t}",
                  source="torch.optim.AdamW")
            cs.eq(prod, dt, label=f"{role}: per-step decay eta*lambda ∝ dt {t}", source=f"{T1}; {SDE}")
    return cs


def _width_depth_rows(alpha):
    base = derive_depth("adamw", "complete", alpha, "tp6", "completep", "CompleteP (TP6 form)",
                        Source("dey2025dont", "2505.01618", "Table 1"))
    a = base.derived["alpha"]
    rows, notes = [], []
    for r in base.rows:
        key = (r.role, r.quantity, r.dimension)
        if key == ("final_norm", "adam_eps", "width"):
            rows.append(Row(r.role, r.quantity, r.dimension, 0,
                            note="Table 1: unembedding LN eps × sqrt(m_D/m_B) only"))
            notes.append(f"final_norm adam_eps width: Complete^(d)P Table 1 (transcribed) 1, CompleteP's nanoGPT-mup "
                         f"form n^{r.power} (differs)")
            continue
        rows.append(r)
    wd_width = {"hidden": 1, "readout": 1}
    lr_width = {r.role: r.power for r in base.rows if r.quantity == "lr" and r.dimension == "width"}
    lr_depth = {r.role: r.power for r in base.rows if r.quantity == "lr" and r.dimension == "depth"}
    have = {(r.role, r.quantity, r.dimension) for r in rows}
    for role in ROLES:
        for dim, p in (("width", wd_width.get(role, 0)), ("depth", 0)):
            if (role, "weight_decay", dim) not in have:
                rows.append(Row(role, "weight_decay", dim, p, note="Table 1: λ × m_N for hidden and unembedding "
                                                                    "weights, × 1 otherwise"))
        for dim, p in (("width", lr_width.get(role, 0) + wd_width.get(role, 0)), ("depth", lr_depth.get(role, 0))):
            if (role, "lr_wd_product", dim) not in have:
                rows.append(Row(role, "lr_wd_product", dim, p))
    notes.append("readout weight_decay width n (Table 1: unembedding weights × m_N); CompleteP's Table 1 decays only "
                 "hidden matrices")
    qk = [Row("qk_norm", "multiplier", "width", 0), Row("qk_norm", "multiplier", "depth", 0),
          Row("qk_norm", "init_std", "width", 0), Row("qk_norm", "init_std", "depth", 0),
          Row("qk_norm", "lr", "width", 0), Row("qk_norm", "lr", "depth", lr_depth["norm"], note="as hidden norms"),
          Row("qk_norm", "adam_eps", "width", 0, note="QK-norm rule: no width factor (hidden norms: m_N^-1)"),
          Row("qk_norm", "adam_eps", "depth", -a, note="m_L^-alpha")]
    return base, rows + qk, notes, a


def _completed_p(optimizer, alignment, alpha=None):
    if alpha is not None and not (HALF <= Q(alpha) <= 1):
        raise UserError(f"--alpha for completed-p is in [1/2, 1] (Table 1: residual m_L^-alpha); got {alpha}")
    base, rows, notes, a = _width_depth_rows(alpha)
    sde = build_sde()
    sol = sde.solve()
    rows += [Row(role, q, dim, sol.values[name], note) for name, (role, q, dim, note) in sde.cells.items()]
    notes = [f"width/depth: CompleteP (alpha = {a}) in TP6 Table 2 form from the depth LP (certified, unique); batch/"
             "tokens: the SDE rule with kappa = m_B/m_D (LP certified, unique)"] + notes + [
        "Table 1 of arXiv 2512.22382 read only through a transcription (VERIFIED-2nd: xiaol827/ELO "
        "src/parameterization.py @205b5ac); its equation/section numbers are UNVERIFIED",
        "secondary sources disagree on the ratio: marin completed_adamh.py uses r = B/D (= this table), marin "
        "completed_cadamc.py uses B*K_ref/(B_ref*K) (an extra factor B/B_ref)",
        "token horizon: LR ∝ D^-1/2 at fixed B here, vs Bjorck et al.'s fitted D^-0.32 (token-horizon)"]
    return ExponentTable("completed-p", optimizer, None, Source(KEY, ARXIV, "Table 1 (VERIFIED-2nd)"), rows,
                         title="Complete^(d)P: width, depth, batch and duration (Mlodozeniec et al. 2025)",
                         variant={"alpha": a}, derived={"alpha": a, "gamma": base.derived["gamma"],
                                                        "kappa": "m_B/m_D = 1/(step multiplier)"},
                         notes=notes, solution=sol, system=sde.system,
                         convention="quantity = base x n^p x L^q x B^r x D^s: n = m_N width, L = m_L blocks, "
                                    "B = batch at fixed tokens, D = tokens at fixed batch (steps K = D/B); "
                                    "weight_decay = torch AdamW lambda (coupled); TP6 Table 2 width form")


SPECS = [
    ParamSpec("completed-p", "Complete^(d)P: CompleteP + SDE batch/duration rule, per module (Mlodozeniec et al. 2025)",
              Source(KEY, ARXIV, "Table 1 (VERIFIED-2nd)"), _completed_p, optimizers=("adamw",), family="duration",
              aliases=("complete-d-p", "completedp", "mlodozeniec2025"),
              options=(Option("alpha", "residual exponent in [1/2, 1] (default: CompleteP's alpha = 1)", None, Q),),
              summary="CompleteP width/depth; LR ∝ (B/D)^1/2, eps ∝ (D/B)^1/2, 1-beta ∝ B/D; "
                      "QK-norm eps no width"),
]
