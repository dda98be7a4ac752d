"""Tensor Programs V (Yang et al., arXiv 2203.03466): muP per weight type for SGD and Adam.

TP5 states muP in three equivalent forms: Table 3 (no multipliers), Table 8 (the form microsoft/mup
implements: readout multiplier 1/fan_in, init variance 1) and Table 9 (the TP4 style).  They are one point
of the abc-symmetry orbit (TP5 Lemma J.1, :mod:`scaling_exponents.theory.symmetry`), and that point is
Everett et al.'s muP under full alignment (arXiv 2407.05872), whose learning rates the LP derives.

So this module derives, it does not look up: it solves Everett's system for muP's (a, b) with full
alignment (= Table 9), then moves each layer along its symmetry orbit by the rule that defines each form:

* Table 9: the Everett/TP4 form itself.
* Table 3: every multiplier is 1 (t_l = -a_l), "gets rid of parameter multipliers" (Table 3 caption).
* Table 8: input and hidden multipliers 1 (t_l = -a_l); output init variance 1 (t = b_{L+1}), which
  moves the output width dependence into its multiplier 1/fan_in (App. B.1, Table 8).

Biases and LayerNorm gains follow the "input weights & all biases" column (Table 3 caption, App. B), so
each form has a ``bias`` row equal to its ``embedding`` row.  Attention logits use ``q^T k / d`` instead of
``q^T k / sqrt(d)`` (Def. 4.1): an ``attention`` / ``logit_scale`` row along ``head_dim``.
"""

from __future__ import annotations

import sympy

from ..theory.exponents import Q
from ..theory.symmetry import shift
from ..theory.table import ExponentTable, Row, Source
from .base import ParamSpec

HALF = sympy.Rational(1, 2)
KEY, ARXIV = "yang2022tensor", "2203.03466"
ROLES = ("embedding", "hidden", "readout")


def _theta(form: str, role: str, a, b):
    if form == "table9":
        return 0
    if form == "table3" or role != "readout":
        return -a
    return b  # table8 readout: init variance 1


def _form(form: str, where: str, title: str):
    def build(optimizer, alignment):
        from .everett2024 import derive_custom, NAMED_AB, roles_for

        roles = roles_for(1)
        a = [NAMED_AB["mup"][r][0] for r in roles]
        b = [NAMED_AB["mup"][r][1] for r in roles]
        base = derive_custom(a, b, optimizer, "full", roles)
        rows = []
        for role in ROLES:
            a0, b0 = NAMED_AB["mup"][role]
            c0 = -base.power(role, "lr")
            a1, b1, c1 = shift(a0, b0, c0, _theta(form, role, Q(a0), Q(b0)), optimizer)
            for r in (role, "bias") if role == "embedding" else (role,):
                rows += [Row(r, "multiplier", "width", -a1), Row(r, "init_std", "width", -b1),
                         Row(r, "lr", "width", -c1)]
        rows.append(Row("attention", "logit_scale", "head_dim", -1, note="q.k/d instead of q.k/sqrt(d) (Def. 4.1)"))
        return ExponentTable(f"mup-{form}", optimizer, None, Source(KEY, ARXIV, where), rows, title=title,
                             solution=base.solution, system=base.system,
                             convention=f"TP5 {where}; same dynamics as Everett et al.'s muP (full alignment) by the "
                                        "abc symmetry (TP5 Lemma J.1)",
                             notes=["derived: Everett et al.'s LP for muP with full alignment, then the abc symmetry "
                                    f"with the {form} normalisation; width n = fan_in (hidden, readout), fan_out (input)"])
    return build


def _sp_regime(optimizer) -> dict:
    """The engine's classification of SP with a width-constant LR (c = 0 on every layer), so a measured blow-up
    reads "fails as predicted": SGD by TP4's closed form (Thm 3.3, :func:`scaling_exponents.theory.classify.classify`);
    Adam by Everett et al.'s LP (arXiv 2407.05872 Sec. 3): its largest stable LR per layer for SP's (a, b) under
    full alignment -- a layer whose constant LR exceeds it violates the stability constraints."""
    from ..theory.classify import TP4_THM_STABLE, classify
    from .everett2024 import NAMED_AB, derive_custom, roles_for

    roles = roles_for(1)
    a = [NAMED_AB["sp"][r][0] for r in roles]
    b = [NAMED_AB["sp"][r][1] for r in roles]
    if optimizer == "sgd":
        cl = classify(a, b, 0)
        return {"regime": cl.regime, "regime_source": TP4_THM_STABLE, "violated": cl.failed}
    lp = derive_custom(a, b, optimizer, "full", roles)
    over = [f"{r} LR n^0 > largest stable n^{lp.power(r, 'lr')}" for r in ROLES if lp.power(r, "lr") < 0]
    return {"regime": "unstable" if over else "stable",
            "regime_source": "arXiv 2407.05872 Sec. 3 (the LP's largest stable LRs under full alignment, see --param sp)",
            "violated": over}


def _sp(optimizer, alignment):
    rows = []
    for role, b in (("embedding", 0), ("bias", 0), ("hidden", HALF), ("readout", HALF)):
        rows += [Row(role, "multiplier", "width", 0), Row(role, "init_std", "width", -b), Row(role, "lr", "width", 0)]
    rows.append(Row("attention", "logit_scale", "head_dim", -HALF, note="q.k/sqrt(d)"))
    return ExponentTable("sp-table3", optimizer, None, Source(KEY, ARXIV, "Table 3 (SP, in parentheses)"), rows,
                         title="Standard parametrization (TP5 Table 3)",
                         convention="TP5 Table 3 SP column: init var 1/fan_in, LR constant in width",
                         derived=_sp_regime(optimizer),
                         notes=["rows not derived: SP as practised, the baseline TP5 compares against; its regime is "
                                "derived: TP4 Thm 3.3 classifies it unstable under SGD (see tp4-sp-default); Everett "
                                "et al.'s LP gives its largest stable LRs under Adam (see --param sp)"])


SPECS = [
    ParamSpec("mup-table3", "muP, TP5 Table 3 form (no multipliers)", Source(KEY, ARXIV, "Table 3"),
              _form("table3", "Table 3", "muP (TP5 Table 3)"), optimizers=("adam", "sgd"), aliases=("tp5-mup",),
              family="width", summary="muP per weight type without multipliers; derived via the abc symmetry"),
    ParamSpec("mup-table8", "muP, TP5 Table 8 form (microsoft/mup convention)", Source(KEY, ARXIV, "Table 8"),
              _form("table8", "Table 8", "muP (TP5 Table 8, microsoft/mup)"), optimizers=("adam", "sgd"),
              aliases=("microsoft-mup",), family="width",
              summary="readout multiplier 1/fan_in, init var 1; what microsoft/mup implements"),
    ParamSpec("mup-table9", "muP, TP5 Table 9 form (TP4 style)", Source(KEY, ARXIV, "Table 9"),
              _form("table9", "Table 9", "muP (TP5 Table 9)"), optimizers=("adam", "sgd"), family="width",
              summary="TP4-style muP with multipliers sqrt(fan_out), 1/sqrt(fan_in)"),
    ParamSpec("sp-table3", "SP as in TP5 Table 3", Source(KEY, ARXIV, "Table 3"), _sp,
              optimizers=("adam", "sgd"), aliases=("tp5-sp",), family="width",
              summary="standard parametrization with width-independent LR (baseline)"),
]
