"""u-muP, Blake et al., "The Unit-Scaled Maximal Update Parametrization", arXiv 2407.17465 (ICLR 2025).

Conventions are ABSOLUTE, as in the paper and the ``unit-scaling`` library (graphcore-research/unit-scaling
0.3.5): factors are powers of a layer's fan-in / fan-out and of the depth (number of layers of a depth
stack), with no base shapes (authors' slide 39, "No base shapes").  Abc convention: a parameter is
``A_W w`` with ``w ~ N(0, B_W^2)`` and Adam LR ``C_W`` (paper's ABC-parametrization); exponents
``A ∝ fan^-a``, ``B ∝ fan^-b``, ``C ∝ fan^-c``.

The constraint system (per weight type r in embedding / hidden / readout / bias):

1. muP (Adam) is the starting point (a0, b0, c0); it is DERIVED here, not retyped: TP5's Table 8 form
   (:mod:`.tp5`, from Everett et al.'s LP), which is the plain muP the paper's symmetry argument starts from
   (A = (1, 1, 1/fan_in), B = (1, 1/sqrt(fan_in), 1), C = (1, 1/fan_in, 1); slides 10 and 38).
2. abc-symmetry (Adam, eps -> 0; TP5 Lemma J.1, u-muP "ABC-symmetry"): ``a = a0 + t_r, b = b0 - t_r,
   c = c0 - t_r`` with a free shift t_r per weight type.
3. Unit scaling: every weight starts with unit scale, ``b = 0`` (u-muP abstract: "activations, weights and
   gradients begin training with a scale of one"; table row "initialization B_W = 1").
4. Embedding LR ``c = 1/2`` in fan-out (the u-muP table's "eta / sqrt(fan-out)"); an empirical rule of the
   paper, NOT a symmetry of muP, so it replaces equation (2)'s ``c`` for the embedding only.
5. Depth: Depth-muP's alpha = 1/2 (table "residual" column: branch multiplier and Adam LR of every weight in
   a residual branch x 1/sqrt(depth)), DERIVED by :mod:`.depth`'s system with TP6's maximal-diversity
   selection.
6. Adam epsilon: gradients are unit-scaled (point 3), so eps ∝ gradient scale is constant (the library has
   no eps logic, torch default).
7. Weight decay: independent (slide 13; library ``scaled_parameters(independent_weight_decay=True)``):
   torch value ``λ / lr_group``, so lr * wd is constant.

Given 1-4 the shifts are unique (t = b0): hidden (A, B, C) = (fan_in^-1/2, 1, fan_in^-1/2), readout
(fan_in^-1, 1, 1), embedding (1, 1, fan_out^-1/2); the LP finds and certifies this.

SGD: the library's ``lr_scale_func_sgd(readout_constraint=None)`` returns the Adam rule ("unit-scaled
gradients give unit-scaled updates"), so the SGD table equals the Adam table without epsilon (option
``readout_constraint="none"``, the default).  ``readout_constraint="to_output_scale"`` (for a model whose
``uu.LinearReadout(constraint="to_output_scale")`` ties the readout's grad-input scale to its 1/fan_in output
scale) is a CODE-ONLY rule, transcribed, not derived -- it follows from none of 1-7 and its sign is questioned
upstream (graphcore-research/unit-scaling issue #73), so its rows are marked UNVERIFIED.  Source:
unit_scaling 0.3.5 ``optim.py`` ``lr_scale_func_sgd`` (inner function): a "weight" (embedding or hidden) LR
x ``_get_fan_in(p)^{+1/2}`` (an embedding's ``_get_fan_in`` is its hidden size = the table's fan_out), a
"bias"/"norm" LR x ``shape[0]`` (= fan_out^{+1}), the readout ("output") LR x 1, all x
``lr_scale_for_depth`` (depth^-1/2 inside a depth stack, as for Adam).  Multipliers and inits are unchanged
(the constraint is a backward scale, not an abc quantity); weight decay stays independent (torch value
lambda / lr_group).

Ambiguities: the paper's table numbers could not be read (source: the authors' slides, which reproduce the
table); the slide footnote says the readout's "1/sqrt(fan-in)" goes in the backward pass, while both codes
scale the readout grad-input by fan_out^-1/2 (not a row here: backward scales are not abc quantities);
Aleph-Alpha/scaling gives a non-embedding input layer LR 1 where the library gives fan_in^-1/2.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.solve import solve
from ..theory.system import ConstraintSystem
from ..theory.symmetry import lr_shift
from ..theory.table import ExponentTable, Row, Source
from .base import Option, ParamSpec

HALF = sympy.Rational(1, 2)
ARXIV = "arXiv 2407.17465"
SLIDES = f"{ARXIV} u-muP vs muP table (authors' slides 21/39; paper table no. UNVERIFIED)"
SOURCE = Source("blake2024umup", "2407.17465", "u-muP vs muP table (authors' slides 21/39); unit-scaling 0.3.5")

#: Which dimension each weight type's width exponent refers to (the library's ``_get_fan_in`` of an embedding
#: is its hidden size = the table's fan-out).
DIM = {"embedding": "fan_out", "hidden": "fan_in", "readout": "fan_in", "bias": "fan_out"}
#: Roles that take the "bias" row (1-D parameters: biases and norm gains).
VECTOR_ROLES = ("bias", "hidden_bias", "norm")
IN_BLOCK = ("hidden", "hidden_bias", "norm")
#: the final norm is a gain like the blocks' norms (the "bias" row over width) but outside the residual stack, so it
#: takes no depth factor: unit-scaling 0.3.5 sets ``mup_scaling_depth`` only on the parameters of a
#: ``DepthSequential`` (``_modules.py``; everything outside the stack -- embedding, readout, ``final_norm``, which has
#: no gain there -- keeps None) and ``optim.lr_scale_for_depth`` scales by depth only where it is set.  Without this row a model's final norm fell back
#: to the ``norm`` rows and took the branches' depth^-1/2 (measured: final_norm update ∝ L^-0.49, issue 22).
FINAL_NORM_DEPTH = "outside the residual stack: no depth factor (unit-scaling: mup_scaling_depth unset)"
#: ``readout_constraint`` values of ``lr_scale_func_sgd`` (unit_scaling 0.3.5 optim.py): None and "to_output_scale".
READOUT_CONSTRAINTS = ("none", "to_output_scale")
#: Where the to_output_scale SGD LR rows come from (transcribed code, module docstring).
SGD_CODE = ("unit_scaling 0.3.5 optim.py lr_scale_func_sgd(readout_constraint='to_output_scale'); code-only rule, "
            "UNVERIFIED (sign questioned in graphcore-research/unit-scaling issue #73)")
#: Its LR power per weight type along the type's own fan (DIM): weight x _get_fan_in^{+1/2}, bias/norm x shape[0].
SGD_TO_OUTPUT_SCALE_LR = {"embedding": HALF, "hidden": HALF, "readout": 0, "bias": 1}


def build_system(mup_abc: dict) -> ConstraintSystem:
    """The unit-scaling system over shifts t_r and the u-muP exponents (a_r, b_r, c_r), given muP's."""
    s = ConstraintSystem("u-muP from muP by the abc symmetry", source=SLIDES)
    k = lr_shift("adam")
    for role, (a0, b0, c0) in mup_abc.items():
        t = s.var(f"t_{role}", description=f"abc shift of the {role} weights, theta = {DIM[role]}^t")
        a, b, c = (s.var(f"{x}_{role}", description=f"u-muP {x} exponent of {role}") for x in "abc")
        sym = f"{ARXIV} ABC-symmetry (slide 38); TP5 Lemma J.1 (Adam)"
        s.eq(a, Q(a0) + t, label=f"abc symmetry: a_{role} = a0 + t", source=sym)
        s.eq(b, Q(b0) - t, label=f"abc symmetry: b_{role} = b0 - t", source=sym)
        if role != "embedding":
            s.eq(c, Q(c0) - k * t, label=f"abc symmetry: c_{role} = c0 - t", source=sym)
        s.eq(b, 0, label=f"unit scaling: {role} initialised with unit scale (B_W = 1)",
             source=f"{ARXIV} abstract; {SLIDES}")
    s.eq(s.var("c_embedding"), HALF, label="embedding LR eta/sqrt(fan_out): empirical rule, not a symmetry of muP",
         source=f"{SLIDES}; slide 14")
    return s


def _readout_constraint(value) -> str:
    """The option's value, spelled as :data:`READOUT_CONSTRAINTS` (``None`` / ``to-output-scale`` accepted)."""
    v = str(value).strip().lower().replace("-", "_")
    if v not in READOUT_CONSTRAINTS:
        raise ValueError(f"use one of {', '.join(READOUT_CONSTRAINTS)} (unit_scaling's lr_scale_func_sgd)")
    return v


def _build(optimizer, alignment, readout_constraint=None):
    from .depth import solve_depth
    from .registry import derive

    if optimizer != "sgd" and readout_constraint is not None:
        raise UserError(f"--readout-constraint is an option of u-muP's SGD table (unit_scaling's lr_scale_func_sgd), "
                        f"not of -o {optimizer}: drop it, or use -o sgd")
    constraint = readout_constraint or READOUT_CONSTRAINTS[0]
    mup = derive("mup-table8", "adam")
    mup_abc = {r: (-mup.power(r, "multiplier"), -mup.power(r, "init_std"), -mup.power(r, "lr")) for r in DIM}
    system = build_system(mup_abc)
    sol = solve(system, report=[f"t_{r}" for r in DIM]).raise_for_status()
    v = sol.values
    _, dsol = solve_depth("adam", "diversity")  # unit-scaled gradients: SGD uses the Adam map too (see docstring)
    d = dsol.values

    rows = [Row("residual_branch", "multiplier", "depth", d["q_mult_residual_branch"],
                note="paper 1/sqrt(depth); library tau_k = alpha_k / sqrt(L + sum_{j<k} alpha_j^2) = Θ(L^-1/2)")]
    # "bias": a bias outside the depth stack (an input layer's or the readout's; the library's mup_type "bias")
    roles = {"embedding": "embedding", "hidden": "hidden", "readout": "readout",
             "bias": "bias", "hidden_bias": "bias", "norm": "bias", "final_norm": "bias"}
    for role, src in roles.items():
        dim = DIM[src]
        a, b, c = v[f"a_{src}"], v[f"b_{src}"], v[f"c_{src}"]
        q_lr = d[f"q_lr_{role}"] if role in IN_BLOCK else 0
        lr, lr_note = -c, ""
        if constraint == "to_output_scale":  # transcribed from the library's code (module docstring), not derived
            lr, lr_note = SGD_TO_OUTPUT_SCALE_LR[src], SGD_CODE
        rows += [Row(role, "multiplier", dim, -a), Row(role, "init_std", dim, -b),
                 Row(role, "lr", dim, lr, note=lr_note),
                 Row(role, "lr", "depth", q_lr, note=FINAL_NORM_DEPTH if role == "final_norm" else ""),
                 Row(role, "weight_decay", dim, -lr, note="torch value lambda / lr_group (independent weight decay)"),
                 Row(role, "weight_decay", "depth", -q_lr),
                 Row(role, "lr_wd_product", dim, 0), Row(role, "lr_wd_product", "depth", 0)]
        if optimizer == "adam":
            rows += [Row(role, "adam_eps", dim, 0, note="unit-scaled gradients; torch default eps"),
                     Row(role, "adam_eps", "depth", 0)]
    rows.append(Row("attention", "logit_scale", "head_dim", -1, note="logits x mult / d_head (unit_scaling "
                                                                      "scaled_dot_product_attention)"))
    notes = ["derived: muP (TP5 Table 8, from Everett et al.'s LP) moved by the Adam abc symmetry to unit init, "
             "embedding LR rule, Depth-muP depth exponents from the depth system (alpha = 1/2)",
             "absolute convention (no base shapes): a factor is fan^p x depth^q times a constant HP",
             "readout backward (grad-input) scale fan_out^-1/2 in both codes; the slide footnote says 1/sqrt(fan-in)"]
    if optimizer == "sgd" and constraint == "none":
        notes.append("SGD: unit-scaling's lr_scale_func_sgd(readout_constraint=None) is the Adam rule "
                     "(--readout-constraint to_output_scale gives the library's other, code-only variant)")
    elif optimizer == "sgd":
        notes.append(f"SGD LR (and so weight-decay) fan rows: UNVERIFIED, transcribed from {SGD_CODE}; they follow "
                     f"from none of u-muP's principles.  The rule assumes uu.LinearReadout(constraint="
                     f"'to_output_scale') (readout grad-input scale = its 1/fan_in output scale), a backward scale "
                     f"that is not a row of this table")
    return ExponentTable("umup", optimizer, None, SOURCE, rows, title="u-muP (Blake et al. 2024)",
                         variant={"readout_constraint": "None" if constraint == "none" else constraint}
                         if optimizer == "sgd" else {},
                         derived={"shift t": {r: v[f"t_{r}"] for r in DIM}, "alpha": d["alpha"]},
                         notes=notes, solution=sol, system=system,
                         convention="u-muP ABC: W = A w, w ~ N(0, B^2), LR C; absolute fan_in / fan_out / depth "
                                    "(L = layers of the depth stack); weight_decay = torch value")


SPECS = [
    ParamSpec("umup", "u-muP: unit-scaled muP (Blake et al. 2024)", SOURCE, _build, optimizers=("adam", "sgd"),
              aliases=("u-mup", "unit-mup", "unit-scaled-mup"), family="unit", sweeps=("width", "depth", "unit"),
              options=(Option("readout_constraint", "SGD only: 'none' (lr_scale_func_sgd(None) = the Adam rule, "
                              "default) or 'to_output_scale' (unit_scaling's code-only SGD rule, UNVERIFIED)",
                              None, _readout_constraint),),
              summary="muP moved to unit init by the abc symmetry + 1/sqrt(fan_out) embedding LR + depth-muP"),
]
