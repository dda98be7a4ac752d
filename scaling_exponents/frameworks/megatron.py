"""NVIDIA Megatron-LM's muP (``--use-mup``, PR #3058; canonical ``--scaling-recipe mup``, PR #4381).

What it trains, restated as exponents from its code (``megatron/core/optimizer`` ``get_mup_config_overrides``
and ``TransformerConfig.__post_init__``, ``tests/unit_tests/test_mup.py``), ``m = hidden_size /
scaling_base_hidden_size``:

* hidden (matrix-like) weights: init std ``sigma/sqrt(m)``; Adam LR and eps ``/m``; SGD LR unchanged;
* embedding (``is_embedding_parameter``, and a tied output layer, ``shared_embedding``) and every vector
  (biases, norms): LR and eps unchanged under Adam; LR ``x m`` under SGD;
* an **untied** output layer is matrix-like and not an embedding, so under Adam its LR and eps are ``/m``;
  its init std is ``sigma/sqrt(2 L m)``; the logits are multiplied by ``mup_output_mult`` (default ``1/m``);
* attention ``softmax_scale = 1/kv_channels**mup_attn_scale_power`` (default power 1);
* ``--decoupled-lr`` gives embedding and output parameters an absolute LR that muP does not override.

**The untied output LR** (:func:`untied_output_derivation`).  In Everett et al.'s abc convention (arXiv
2407.05872 §2-3; TP5 Table 8 restated by the abc symmetry, arXiv 2203.03466 Lemma J.1) Megatron's output layer
is ``a = 1`` (logits x 1/m), ``b = 1/2``, and it picks ``c = 1``.  Everett's constraints for Adam with full
alignment give the logit-update exponent ``min(a+b+r_L-omega, a+c-alpha, a+c+r_L-u) = min(1, c, c)``: ``c = 1``
is *stable* (exponent 1 >= 0) but the logits then move as ``m^-1`` -- the output layer stops learning as
width grows -- while the LP (largest stable LR for every layer, the maximal-update choice) gives ``c = 0``:
a constant readout LR, as TP5 Table 8 and microsoft/mup's ``MuAdam`` use.  Megatron's rule is TP5 Table 3's
output LR (``1/fan_in``, which goes with *no* output multiplier) combined with Table 8's multiplier, so it
divides by the width twice.  A tied output layer is an embedding in Megatron and keeps its LR: there Megatron
agrees with the tables.  To reproduce the table with an untied head, set ``--decoupled-lr`` to ``--lr``
(embedding and output LR absolute and constant); the output eps stays ``/m`` (listed as not expressible).
:func:`as_megatron` gives Megatron's rule as a table, to train both with this toolkit and compare.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import fmt
from ..theory.table import ExponentTable, Row
from . import Emission, compare

H = sympy.Rational(1, 2)
ROLES = ("embedding", "hidden", "readout", "bias", "hidden_bias", "norm", "final_norm", "attention")
SOURCE = "NVIDIA/Megatron-LM PR #3058 (get_mup_config_overrides, TransformerConfig muP fields)"


def implied(optimizer: str, tied: bool, decoupled_lr: bool, attention_power) -> dict:
    """Megatron's exponents along width (attention along head_dim) for ``--use-mup``."""
    adam = optimizer in ("adam", "adamw")
    if not adam and optimizer != "sgd":
        raise UserError(f"Megatron's muP overrides cover Adam-family and SGD optimizers, not {optimizer!r}")
    w = "width"
    vec_lr = 0 if adam else 1
    out = {}
    for role in ("bias", "hidden_bias", "norm", "final_norm"):
        out.update({(role, "lr", w): vec_lr, (role, "multiplier", w): 0, (role, "adam_eps", w): 0 if adam else None})
    out.update({("embedding", "multiplier", w): 0, ("embedding", "init_std", w): 0,
                ("embedding", "lr", w): 0 if (adam or decoupled_lr) else 1, ("embedding", "adam_eps", w): 0 if adam else None,
                ("hidden", "multiplier", w): 0, ("hidden", "init_std", w): -H, ("hidden", "lr", w): -1 if adam else 0,
                ("hidden", "adam_eps", w): -1 if adam else None, ("readout", "multiplier", w): -1})
    if tied:  # the output layer is the embedding tensor (shared_embedding): embedding rules
        out.update({("readout", "init_std", w): 0, ("readout", "lr", w): out[("embedding", "lr", w)],
                    ("readout", "adam_eps", w): 0 if adam else None})
    else:
        lr = 0 if decoupled_lr else (-1 if adam else 0)
        out.update({("readout", "init_std", w): -H, ("readout", "lr", w): lr, ("readout", "adam_eps", w): -1 if adam else None})
    for role in ROLES:
        out.setdefault((role, "weight_decay", w), 0)
    out[("attention", "logit_scale", "head_dim")] = attention_power
    return out


WHY = {("readout", "lr", "width"): "Megatron divides an untied output layer's LR by the width ratio; see "
                                   "docs/frameworks.md: stable but the logits move as m^-1",
       ("readout", "init_std", "width"): "output layer init sigma/sqrt(2 L m) is fixed in Megatron's muP",
       ("readout", "adam_eps", "width"): "output layer is matrix-like: eps / m",
       ("hidden", "adam_eps", "width"): "Megatron always scales hidden Adam eps by 1/m"}


def emit(table: ExponentTable, sizes: dict, lr: float | None = None) -> Emission:
    """The Megatron-LM flags (``--scaling-recipe mup`` and its base hidden size) that train ``table`` at ``sizes``,
    compared row by row with what Megatron's muP code does (module docstring), listing each row it cannot express."""
    n, n0 = sizes["width"]
    m = n / n0
    opt = table.optimizer or "adam"
    att = table.power("attention", "logit_scale", "head_dim")
    q = -att if any(r.key() == ("attention", "logit_scale", "head_dim") for r in table.rows) else H
    base_lr = "LR" if lr is None else f"{lr:g}"
    lines = [f"--hidden-size {n}", "--scaling-recipe mup   # legacy alias: --use-mup",
             f"--scaling-base-hidden-size {n0}   # legacy: --mup-base-hidden-size {n0}; width_mult = {m:g}",
             f"--mup-attn-scale-power {fmt(q)}   # softmax_scale = 1/kv_channels^{fmt(q)}",
             f"--lr {base_lr}   # tuned at the base width"]
    why = WHY if opt in ("adam", "adamw") else {}
    tied_rep, tied_miss = compare(table, implied(opt, True, False, att), ROLES, why)
    un_rep, un_miss = compare(table, implied(opt, False, False, att), ROLES, why)
    dec_rep, dec_miss = compare(table, implied(opt, False, True, att), ROLES, why)
    notes = [f"tied embeddings (Megatron's default): {len(tied_miss)} row(s) differ; untied "
             f"(--untie-embeddings-and-output-weights): {len(un_miss)}; untied with --decoupled-lr {base_lr}: "
             f"{len(dec_miss)}"]
    rep, miss = tied_rep, tied_miss
    if len(dec_miss) < len(un_miss):
        lines.append(f"# with --untie-embeddings-and-output-weights add: --decoupled-lr {base_lr}   # keeps the "
                     "output (and embedding) LR constant, as the table does")
    tied_keys = {k for k, *_ in tied_miss}
    for label, rows in (("untied", un_miss), (f"untied with --decoupled-lr {base_lr}", dec_miss)):
        for k, want, got, why in rows:
            if k not in tied_keys:
                notes.append(f"{label}: {k[0]} {k[1]} differs: table {want}, Megatron {got} along {k[2]}"
                             + (f" ({why})" if why else ""))
    notes.append("mup_embedding_mult / mup_output_mult are constant tunables (alpha_in, alpha_out), left at 1")
    notes.append(f"source: {SOURCE}; UNVERIFIED: how --scaling-base-head-dim rebases softmax_scale at the base shape")
    if any(r.dimension == "depth" and r.power != 0 for r in table.rows):
        notes.append("depth rows: Megatron's depth_mup recipe (PR #4381) scales eps and weight decay its own way; "
                     "not emitted")
    return Emission("megatron", f"Megatron-LM flags for {table.heading()} at width {n} / base {n0}", lines,
                    rep, miss, notes)


def as_megatron(table: ExponentTable) -> ExponentTable:
    """``table`` with Megatron's untied-output rule: the readout LR divided by the width ratio once more
    (Adam).  For comparison runs: ``Parametrization(model, as_megatron(derive("mup-table8", "adam")))``."""
    if (table.optimizer or "adam") not in ("adam", "adamw"):
        raise UserError("Megatron's extra 1/width on the output LR is an Adam rule; the table is for "
                        f"{table.optimizer!r}")
    rows = [r for r in table.rows if r.key() != ("readout", "lr", "width")]
    rows.append(Row("readout", "lr", "width", table.power("readout", "lr", "width") - 1,
                    note=f"Megatron untied output layer: LR / width_mult ({SOURCE})"))
    return ExponentTable(f"{table.parametrization}+megatron-output-lr", table.optimizer, table.alignment, table.source,
                         rows, title=f"{table.title or table.parametrization} with Megatron's untied-output LR",
                         variant=dict(table.variant), notes=list(table.notes) + [
                             "readout LR x 1/width as Megatron-LM does for an untied output layer (comparison only: "
                             "stable but not maximal, see scaling_exponents.frameworks.megatron)"],
                         convention=table.convention)


def untied_output_derivation() -> dict:
    """Everett et al.'s constraints for Adam (arXiv 2407.05872 Sec. 3, full alignment) for Megatron's untied
    output layer (a, b) = (1, 1/2): the LP's readout LR exponent, and the logit-update exponent of c = 0 (the
    tables) and c = 1 (Megatron), both checked against every constraint."""
    from ..systems.everett2024 import build_system, derive_custom

    optimizer = "adam"

    a, b = [0, 0, 1], [0, H, H]
    lp = derive_custom(a, b, optimizer, "full", roles=["embedding", "hidden", "readout"])
    c_lp = [-lp.power(role, "lr") for role in ("embedding", "hidden", "readout")]
    system = build_system(a, b, optimizer, "full")
    out = {"a": a, "b": b, "lp_c": c_lp}
    for name, c3 in (("table", c_lp[2]), ("megatron", c_lp[2] + 1)):
        c = {"c_1": c_lp[0], "c_2": c_lp[1], "c_3": c3}
        values = system.complete({**c, "r_1": a[0] + c_lp[0]})  # Adam: r_1 = a_1 + c_1
        out[name] = {"c_readout": c3, "logit_exponent": values["logit"], "violations": system.violations(values)}
    return out
