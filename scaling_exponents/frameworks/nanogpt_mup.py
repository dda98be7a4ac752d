"""EleutherAI/nanoGPT-mup ``GPTConfig`` keys (branch ``completep``, model.py @3904404; the master branch
is the muP part, "The Practitioner's Guide to muP", Dey, Anthony & Hestness 2024).

What ``mup_enabled=True`` trains, with ``m_N = mup_width_multiplier`` and ``m_L = depth_multiplier``
(restated from model.py; the same numbers ``tests/torch/test_depth_tables.py`` checks CompleteP against):

* hidden matrices (``c_attn``, ``c_fc``, ``c_proj``): init std ``init_std/sqrt(m_N)``; LR ``m_L^(alpha-1)/m_N``
  (unless ``mup_disable_hidden_lr_scaling``); AdamW weight decay ``x m_N``; eps ``/(m_N m_L^alpha)``;
* embeddings ``wte``/``wpe`` (the lm_head is tied to ``wte``): init std ``init_std``, LR 1, eps ``/m_N``;
  input x ``mup_input_alpha``; the lm_head input x ``mup_output_alpha / m_N`` (readout multiplier ``1/m_N``);
* in-block norms and hidden biases: LR ``m_L^(alpha-1)``, no decay, eps ``/(m_N m_L^alpha)``; final norm LR 1,
  eps ``/m_N``;
* attention logits ``1/d_head`` (``1/sqrt(d_head)`` with ``mup_disable_attention_scaling``);
* CompleteP (``depth_alpha_enabled``): both residual branches x ``m_L^-alpha`` (``depth_alpha_exp``).

The readout is tied to the embedding, so the readout's LR and init are the embedding's; no key scales the
readout LR or init on its own.  Norms and biases get no weight decay (a power law cannot say "zero").
"""

from __future__ import annotations

import sympy

from ..theory.exponents import fmt
from ..theory.table import ExponentTable
from . import Emission, compare

H = sympy.Rational(1, 2)
ROLES = ("embedding", "hidden", "readout", "bias", "hidden_bias", "norm", "final_norm", "attention",
         "residual_branch")
SOURCE = "EleutherAI/nanoGPT-mup branch completep, model.py @3904404 (GPTConfig, configure_optimizers)"


def implied(alpha, attention_power, hidden_lr: bool = True) -> dict:
    """nanoGPT-mup's exponents (width; depth with ``alpha``; head_dim for the attention)."""
    w, d = "width", "depth"
    alpha = sympy.Rational(alpha)
    out = {("embedding", "multiplier", w): 0, ("embedding", "init_std", w): 0, ("embedding", "lr", w): 0,
           ("embedding", "adam_eps", w): -1, ("embedding", "weight_decay", w): 0,
           ("readout", "multiplier", w): -1, ("readout", "init_std", w): 0, ("readout", "lr", w): 0,
           ("readout", "adam_eps", w): -1, ("readout", "weight_decay", w): 0,
           ("hidden", "multiplier", w): 0, ("hidden", "init_std", w): -H, ("hidden", "lr", w): -1 if hidden_lr else 0,
           ("hidden", "adam_eps", w): -1, ("hidden", "weight_decay", w): 1,
           ("attention", "logit_scale", "head_dim"): attention_power,
           }
    if alpha != 0:  # depth_alpha_enabled: m_L^-alpha branches, m_L^(alpha-1) LR, m_L^-alpha eps in the blocks
        out[("residual_branch", "multiplier", d)] = -alpha
        for role in ("hidden", "norm", "hidden_bias", "bias"):
            out[(role, "lr", d)] = alpha - 1
            out[(role, "adam_eps", d)] = -alpha
    for role in ("norm", "hidden_bias", "bias", "final_norm"):
        out.setdefault((role, "adam_eps", w), -1)
        out.setdefault((role, "lr", w), 0)
        out.setdefault((role, "weight_decay", w), None)  # no decay at all: not a power law
    return out


def emit(table: ExponentTable, sizes: dict, lr: float | None = None) -> Emission:
    """The EleutherAI/nanoGPT-mup ``GPTConfig`` keys that train ``table`` at ``sizes`` (width multiplier, attention
    scaling, depth alpha), with the rows its code reproduces and those it cannot express."""
    n, n0 = sizes["width"]
    att = table.power("attention", "logit_scale", "head_dim")
    alpha = -table.power("residual_branch", "multiplier", "depth")
    lines = ["mup_enabled = True", f"mup_width_multiplier = {n / n0:g}   # n_embd {n} / base {n0}",
             "mup_input_alpha = 1.0", "mup_output_alpha = 1.0"]
    if att == -H:
        lines.append("mup_disable_attention_scaling = True   # 1/sqrt(d_head), as the table")
    hidden_lr = table.power("hidden", "lr", "width") != 0
    if not hidden_lr:
        lines.append("mup_disable_hidden_lr_scaling = True")
    if alpha != 0:
        if "depth" not in sizes:
            lines.append("# the table has depth rows: give --depth and --base-depth for depth_multiplier")
        else:
            L, L0 = sizes["depth"]
            lines += ["depth_alpha_enabled = True", f"depth_multiplier = {L / L0:g}   # n_layer {L} / base {L0}",
                      f"depth_alpha_exp = {float(alpha):g}   # alpha = {fmt(alpha)}"]
    if lr is not None:
        lines.append(f"learning_rate = {lr:g}   # tuned at the base shape")
    rep, miss = compare(table, implied(alpha, att if att in (-1, -H) else -1, hidden_lr), ROLES)
    notes = [f"source: {SOURCE}",
             "the lm_head is tied to wte: readout LR/init are the embedding's",
             "norms and biases get weight decay 0 (set no_weight_decay=('norm', 'final_norm', 'hidden_bias') "
             "in Parametrization to match)"]
    if att not in (-1, -H, 0) or not any(r.key() == ("attention", "logit_scale", "head_dim") for r in table.rows):
        notes.append("attention: only 1/d_head (default) or 1/sqrt(d_head) are available")
    return Emission("nanogpt-mup", f"nanoGPT-mup GPTConfig for {table.heading()} at width {n} / base {n0}",
                    lines, rep, miss, notes)
