"""Where muP fails: structured state-space models (Vankadara, Xu, Haas & Cevher, NeurIPS 2024, OpenReview aQv5AbN1wF).

**What was read.**  Only the abstract (NeurIPS proceedings page, mirrored in repo ``deep-diver/neurips2024``),
the co-author's page (``MoHawastaken/mohawastaken.github.io`` ``content/publication/featurelearning-ssms``; it
lists no code: ``url_code: ''``) and an AI-written digest of the figures/tables (``deep-diver/neurips2024``
``content/posters/aQv5AbN1wF/index.md``).  The paper body, its Table 1 (p. 4: how ||x||, ||y||, ||Delta x||,
||Delta y|| scale with N_x and N_u under SP, "muP (heuristic)" and muP-SSM) and its appendices were NOT readable.
No arXiv copy was found (one reading list cites "arXiv:2406.03529"; that id could not be confirmed).

**The failure (primary: abstract; co-author's page).**  "established scaling rules, such as the Maximal Update
Parameterization, fail to support feature learning as these models cannot be represented in the form of Tensor
Programs"; "spectral scaling conditions ... do not hold the same implications for SSMs"; the co-author's page adds
that this is "due to Mamba's structured HiPPO matrix and its selection mechanism" and that the correct scaling is
derived "using random matrix theory".  Digest of Fig. 1 (VERIFIED-2nd, AI-generated caption): in a 3-layer Mamba,
SP and muP (heuristic) show "either instability or vanishing updates" of the latent states x and outputs y (ZOH and
Euler discretisation), muP-SSM does not.  The width exponents of those failures are UNVERIFIED (Table 1 unread):
:data:`FAILURES`.

``ssm-mup-naive`` -- muP as applied to a Mamba-1 block (Gu & Dao, arXiv 2312.00752 Sec. 3.4; shapes as in
``alxndrTL/mamba.py`` ``mambapy/mamba.py``): width n = d_model, d_inner = E n, dt_rank = ceil(n/16) (grows with n),
d_state N and d_conv fixed.  ``--classify shape`` (default, DERIVED): each matrix gets TP5 Table 3's row for its
shape class (fixed fan_in -> input weights & biases; both fans grow -> hidden; fixed fan_out -> output weights),
the values coming from :mod:`.tp5`'s constraint system via ``derive("mup-table3")``.  ``--classify mambapy``
(code, AdamW): what ``alxndrTL/mamba.py`` (PR #50, ``mambapy/lm.py`` @2cc168c) does, which differs from the shape
rule in two places (recorded, not resolved): it treats the B/C rows of ``x_proj`` (fan_out 2N fixed) as hidden
(init n^-1/2, not n^-1), and it divides ``dt_proj``'s dt_rank^-1/2 init by sqrt(width) again (n^-1, not n^-1/2).

``ssm-mup`` -- the corrected scaling, only where a secondary source states it, for the paper's LTI diagonal SSM
(S4/S5 core: latent x in C^{N_x}, input u in R^{N_u}, x_t = exp(Delta Lambda) x_{t-1} + Bbar u_t, y = C x).  The
paper's own table is unread; two implementations that cite it agree on one rule (VERIFIED-2nd):

    B init std  ∝  N_x^{1/2} N_u^{-1/2}      (muP / spectral: N_u^{-1/2}; the correction is the factor sqrt(N_x))

* ``Melina-Jingting/foundational_ssm`` ``src/foundational_ssm/models/archive/s5_muP.py``:
  ``stddev_B = jnp.sqrt(local_P / self.H)`` with "Nx = local_P (state size) and Nu = self.H";
* ``Melina-Jingting/mup-equinox`` ``src/mup_equinox/scalers.py`` ``param_type='muP_SSM'`` ("For S4 based on
  Appendix C.3 in Vankadara & Xu et al. 2024"): B initialised x sqrt(width) on top of lecun (1/sqrt(N_u)), N_x and
  N_u scaled together.  Same author; not independent.

They DISAGREE on everything else, so nothing else is encoded (UNVERIFIED, :data:`UNREAD`): C init (N_x^-1/2 N_u^-1/2
vs unchanged lecun N_x^-1/2), and the learning rates -- foundational_ssm (applied to Adam): eta_A ∝ N_u,
eta_B ∝ sqrt(N_x/N_u), eta_C ∝ 1/(N_x sqrt(N_u)); mup-equinox (SGD, N_x = N_u = n): A and B gradients
x sqrt(n), C as a muP hidden weight (n^0).  The corrected exponents for Mamba's selective x_proj
(B_t = W_B u_t, C_t = W_C u_t) are not stated by either: UNVERIFIED.
"""

from __future__ import annotations

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import CellSystem

KEY = "vankadara2024feature"
WHERE = "NeurIPS 2024, OpenReview aQv5AbN1wF"
ABSTRACT = "vankadara2024feature abstract (OpenReview aQv5AbN1wF)"
TP5_T3 = "arXiv 2203.03466 Table 3 (derived by mup-table3)"
MAMBAPY = "alxndrTL/mamba.py mambapy/lm.py @2cc168c (PR #50), code"
FSSM = "Melina-Jingting/foundational_ssm src/foundational_ssm/models/archive/s5_muP.py @b73b5b8 (VERIFIED-2nd)"
MUPEQX = "Melina-Jingting/mup-equinox src/mup_equinox/scalers.py @7b392a6 muP_SSM, cites App. C.3 (VERIFIED-2nd)"
CLASSIFY = ("shape", "mambapy")

#: Mamba-1 block parameters: (fan_in, fan_out) as exponents of the width n (d_inner = E n, dt_rank ∝ n; d_state N
#: and d_conv fixed), the TP5 Table 3 class that shape gets, and the shape (arXiv 2312.00752 Sec. 3.4; mamba.py).
MAMBA_PARAMS = {
    "in_proj": ((1, 1), "hidden", "d_model -> 2 d_inner"),
    "conv1d": ((0, 1), "embedding", "depthwise: d_conv taps per channel, d_inner channels"),
    "x_proj_dt": ((1, 1), "hidden", "d_inner -> dt_rank (rows of x_proj)"),
    "x_proj_bc": ((1, 0), "readout", "d_inner -> 2 d_state (rows of x_proj producing B_t, C_t)"),
    "dt_proj": ((1, 1), "hidden", "dt_rank -> d_inner"),
    "dt_bias": ((0, 1), "embedding", "d_inner (bias of dt_proj; inverse-softplus init)"),
    "A_log": ((0, 1), "embedding", "d_inner x d_state (S4D-real init log(1..N), not random)"),
    "D": ((0, 1), "embedding", "d_inner (skip; init 1)"),
    "out_proj": ((1, 1), "hidden", "d_inner -> d_model"),
}

#: alxndrTL/mamba.py's muP (AdamW; mup_width_mult = d_model / 128): init-std and LR exponents in n, and why.
MAMBAPY_RULES = {
    "in_proj": (Q("-1/2"), -1, "base_std / sqrt(width_mult); lr / width_mult"),
    "conv1d": (0, 0, "zero init; base lr"),
    "x_proj_dt": (Q("-1/2"), -1, "whole x_proj treated as hidden"),
    "x_proj_bc": (Q("-1/2"), -1, "whole x_proj treated as hidden (shape rule: output weight, init n^-1)"),
    "dt_proj": (-1, -1, "dt_rank^-1/2 * dt_scale / sqrt(width_mult), dt_rank ∝ n: n^-1 (shape rule: n^-1/2)"),
    "dt_bias": (0, 0, "Mamba default (inverse softplus of dt); base lr"),
    "A_log": (0, 0, "Mamba default S4D-real; base lr (2-D: in the weight-decay group)"),
    "D": (0, 0, "Mamba default (ones); base lr"),
    "out_proj": (Q("-1/2"), -1, "base_std / sqrt(2 n_layers) / sqrt(width_mult); lr / width_mult"),
}

#: The failure of muP for SSMs as far as it could be read: quantity, behaviour, width exponent (None = not read).
FAILURES = (
    {"table": "ssm-mup-naive", "quantity": "feature learning (latent state x, output y)",
     "behaviour": "muP does not give feature learning: SSMs are not Tensor Programs", "exponent": None,
     "source": ABSTRACT, "status": "primary (abstract); exponent UNVERIFIED (Table 1, p. 4, unread)"},
    {"table": "ssm-mup-naive", "quantity": "spectral condition", "behaviour": "does not imply feature learning "
     "for SSMs (structured HiPPO transition matrix, selection mechanism)", "exponent": None,
     "source": ABSTRACT + "; co-author's page", "status": "primary; exponent UNVERIFIED"},
    {"table": "ssm-mup-naive", "quantity": "||Delta x||, ||Delta y|| of 3 SSM layers",
     "behaviour": "SP and muP (heuristic): instability or vanishing updates (ZOH and Euler)", "exponent": None,
     "source": "Fig. 1 caption via deep-diver/neurips2024 posters/aQv5AbN1wF (AI digest)",
     "status": "VERIFIED-2nd (caption); exponent UNVERIFIED"},
)

#: What of the paper is not encoded, and why (was the NOT_ENCODED reason of ``vankadara2024feature``).
UNREAD = ("muP and the spectral condition fail to give feature learning for Mamba-type SSMs (abstract); the "
          "corrected muP-SSM exponents beyond the B init of the LTI core are UNVERIFIED: the paper's Table 1 and "
          "appendices were not readable and the two secondary implementations disagree on C's init and on every "
          "learning rate; the selective (Mamba x_proj) corrections are not stated by either")


def build_naive(optimizer: str = "adam", classify: str = CLASSIFY[0]) -> CellSystem:
    """muP as applied to a Mamba-1 block (what Vankadara et al., NeurIPS 2024, OpenReview aQv5AbN1wF, say fails): by
    TP5 Table 3's shape rule (``classify='shape'``) or as alxndrTL/mamba.py's code applies it (``'mambapy'``, Adam
    only)."""
    if classify not in CLASSIFY:
        raise UserError(f"--classify is one of {', '.join(CLASSIFY)} (TP5 shape rule or alxndrTL/mamba.py's code); "
                        f"got {classify!r}")
    if classify == "mambapy" and optimizer != "adam":
        raise UserError(f"--classify mambapy is alxndrTL/mamba.py's AdamW muP; use --optimizer adam (got {optimizer})")
    cs = CellSystem(f"muP as applied to a Mamba-1 block ({classify})", source=TP5_T3 if classify == "shape"
                    else MAMBAPY)
    if classify == "shape":
        from .registry import derive

        tp5 = derive("mup-table3", optimizer)
    for name, ((fi, fo), cls, shape) in MAMBA_PARAMS.items():
        init = cs.cell(name, "init_std", "width", note=shape)
        lr = cs.cell(name, "lr", "width")
        if classify == "shape":
            why = f"{shape}: fan_in ∝ n^{fi}, fan_out ∝ n^{fo} -> TP5 '{cls}' row"
            cs.eq(init, tp5.power(cls, "init_std"), label=f"{name} init = TP5 {cls} init ({why})", source=TP5_T3)
            cs.eq(lr, tp5.power(cls, "lr"), label=f"{name} LR = TP5 {cls} {optimizer} LR", source=TP5_T3)
        else:
            s, e, why = MAMBAPY_RULES[name]
            cs.eq(init, s, label=f"{name} init: {why}", source=MAMBAPY)
            cs.eq(lr, e, label=f"{name} LR: {why}", source=MAMBAPY)
    return cs


def _naive(optimizer, alignment, classify=CLASSIFY[0]):
    cs = build_naive(optimizer, classify)
    fails = [f"FAILURE ({f['status']}): {f['quantity']}: {f['behaviour']} [{f['source']}]" for f in FAILURES]
    how = ("each matrix by its shape, TP5 Table 3 values derived by mup-table3" if classify == "shape" else
           "alxndrTL/mamba.py PR #50 code; differs from the shape rule on x_proj_bc init (n^-1/2 vs n^-1) and "
           "dt_proj init (n^-1 vs n^-1/2)")
    return cs.table("ssm-mup-naive", optimizer, Source(KEY, None, WHERE + "; abstract"),
                    title="muP as applied to Mamba (fails: Vankadara et al. 2024)",
                    convention="n = d_model; d_inner = E n, dt_rank = ceil(n/16); d_state and d_conv fixed; "
                               "Mamba-1 block (arXiv 2312.00752 Sec. 3.4)",
                    variant={"classify": classify},
                    notes=[f"muP as applied: {how}"] + fails +
                          ["this is the table the paper shows to FAIL; the corrected muP-SSM table is ssm-mup "
                           "(B init only; the rest UNVERIFIED)"])


def build_corrected() -> CellSystem:
    """The muP-SSM correction that the secondary sources agree on (foundational_ssm's s5_muP.py, VERIFIED-2nd): the B
    init std ∝ sqrt(N_x / N_u); the paper's own Table 1 is UNVERIFIED (not readable)."""
    cs = CellSystem("muP-SSM, LTI diagonal SSM core: B init (what the secondary sources agree on)", source=FSSM)
    bx = cs.cell("B", "init_std", "state", note="B: N_u -> N_x (input to latent state)")
    bu = cs.cell("B", "init_std", "channels")
    cs.eq(bx, Q("1/2"), label="B init std ∝ sqrt(N_x / N_u): stddev_B = sqrt(local_P / H), Nx = local_P", source=FSSM)
    cs.eq(bu, Q("-1/2"), label="B init std ∝ sqrt(N_x / N_u): Nu = H", source=FSSM)
    return cs


def _corrected(optimizer, alignment):
    cs = build_corrected()
    return cs.table("ssm-mup", optimizer, Source(KEY, None, WHERE + "; App. C.3 via secondary code"),
                    title="muP-SSM (Vankadara et al. 2024): B init of the LTI core only",
                    convention="state = N_x (latent dimension), channels = N_u (input/output width); "
                               "x_t = exp(Delta Lambda) x_{t-1} + Bbar u_t, y_t = C x_t",
                    derived={"B init std under muP / spectral (for comparison)": "N_u^-1/2 N_x^0"},
                    notes=["VERIFIED-2nd: " + FSSM + "; agreed by " + MUPEQX + " (same author; N_x = N_u scaled "
                           "together there: B x sqrt(width) on lecun 1/sqrt(N_u))",
                           "the correction over muP is the factor sqrt(N_x) on B's init",
                           "UNVERIFIED, not encoded: " + UNREAD,
                           "C init disagrees: N_x^-1/2 N_u^-1/2 (foundational_ssm) vs lecun N_x^-1/2 (mup-equinox)",
                           "LRs disagree: foundational_ssm (Adam) eta_A ∝ N_u, eta_B ∝ sqrt(N_x/N_u), "
                           "eta_C ∝ 1/(N_x sqrt(N_u)); mup-equinox (SGD, N_x = N_u = n) A, B x n^1/2, C n^0"])


SPECS = [
    ParamSpec("ssm-mup-naive", "muP as applied to Mamba (fails; Vankadara et al. 2024)", Source(KEY, None, WHERE),
              _naive, optimizers=("adam", "sgd"), family="architectures", aliases=("mamba-mup",),
              options=(Option("classify", "'shape' (TP5 rule per matrix shape) or 'mambapy' (alxndrTL/mamba.py)",
                              CLASSIFY[0], str),),
              summary="TP5 muP per Mamba matrix: the table Vankadara et al. show does NOT give feature learning"),
    ParamSpec("ssm-mup", "muP-SSM (Vankadara et al. 2024): B init of the LTI core", Source(KEY, None, WHERE),
              _corrected, family="architectures", aliases=("mup-ssm",),
              summary="B init std ∝ sqrt(N_x/N_u) (sqrt(N_x) over muP); C init and all LRs UNVERIFIED"),
]
