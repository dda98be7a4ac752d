"""Predicted exponents of a LoRA adapter's features and updates along width (fixed rank) or rank (fixed width),
computed from the LoRA tables' rows (torch-free; nothing looked up).

The probe (:mod:`scaling_exponents.verifier.probes.lora`) trains only the adapter ``gamma B A`` of a frozen network
on a fixed batch (Init[1]: ``B_0 = 0``, ``A_0 ~ N(0, sigma_A^2)``); the adapter input Z (a frozen hidden layer's
activation) has Theta(1) coordinates.  Quantities (RMS over the batch and coordinates): ``lora_a|dW_rms``,
``lora_b|dW_rms`` (entries of ``A_T - A_0``, ``B_T``), ``lora_a|feature`` (``Z_A = A_T Z``), ``lora_a|feature_delta``
(``(A_T - A_0) Z``), ``adapter|output_delta`` (``gamma B_T A_T Z``, the adapter output, 0 at init), ``adapter|delta1``
/ ``delta2`` (LoRA+'s ``gamma B_{T-1} dZ_A`` / ``gamma dB Z_A`` of the last step) and ``adapter|grad_in``
(``gamma A_T^T B_T^T dL/dz``, the adapter's share of the gradient into its input).

**Width** (fixed r; ``lora-plus`` Theorem 1 and ``lora-mua``, Adam), with ``a, b`` the ``lr`` width rows of
``lora_a``, ``lora_b``, ``m`` the ``adapter`` multiplier width row (0 where absent: alpha/r is fixed at fixed r):

* ``dW_rms``: ``a``, ``b`` -- Adam's entries are ±lr per step (arXiv 2512.05620 App. B.2).
* ``feature_delta``: ``a + 1`` -- ``dA Z = -eta_A sign(g_A) Z`` sums n aligned terms (``g_A Z = Theta(n)``,
  arXiv 2402.12354 Assumption 1).
* ``feature``: the table's ``lora_a feature`` width row where it has one (lora-mua), else
  ``max(s + 1/2, a + 1)`` with ``s`` the ``lora_a init_std`` row (CLT: ``A_0 Z = Theta(n^(s + 1/2))``).
* ``output_delta``, ``delta2``: ``m + b + feature`` (Init[1]: ``gamma[B_t] = gamma[eta_B]``, r fixed);
  ``delta1``: ``m + b + a + 1`` (arXiv 2402.12354 Theorem 1 / App. A.5).

**Rank** (fixed n), ``m`` the ``adapter`` multiplier rank row, ``p`` the ``lr`` rank row:

* ``rslora``: ``output_delta`` and ``grad_in``: ``2 m + 1 + p`` -- Theorem 3.2's ``Theta(gamma_r^2 r)`` for both
  passes (``E[A_0^T A_0] = r sigma_A I``), the table's own equation; stated for every optimizer the table lists.
* ``lora-mua`` (Adam as SignSGD): ``output_delta``: ``max(m + p + 1, m + 2p + 1)``, the rank exponents of muA's
  terms ``alpha eta r`` and ``alpha eta^2 r n`` (arXiv 2602.06204 Eq. (1)); ``feature_delta``: the ``lora_a feature``
  rank row; ``dW_rms``: ``p``.
"""

from __future__ import annotations

import dataclasses

import sympy

from ..errors import UserError
from ..theory.exponents import Q, fmt
from ..theory.factors import scale_factor
from ..theory.table import Row
from .predict import Prediction, Predictions

THM1 = "Hayou, Ghosh & Yu, arXiv 2402.12354 Theorem 1, App. A.5"
ASSUME1 = "arXiv 2402.12354 Assumption 1 (g_A Z = Theta(n))"
QIU = "Qiu et al., arXiv 2512.05620, App. B.2 (Adam entries ±lr)"
THM32 = "Kalajdzievski, arXiv 2312.03732 Theorem 3.2 (VERIFIED-2nd)"
MUA = "Chen, Villar & Hayou, arXiv 2602.06204 Eq. (1) terms, Cor. 4.4 (VERIFIED-2nd)"
HALF = sympy.Rational(1, 2)
WIDTH_TABLES = ("lora-plus", "lora-mua")
RANK_TABLES = ("rslora", "lora-mua")


def _has(table, role, quantity, dim):
    return any((r.role, r.quantity, r.dimension) == (role, quantity, dim) for r in table.rows)


def _p(table, role, quantity, dim):
    return Q(table.power(role, quantity, dim))


def lr_exponents(table, dim: str) -> tuple:
    """``(a, b)``: the ``lr`` powers of ``lora_a`` and ``lora_b`` along ``dim`` (``width`` or ``rank``)."""
    if not (_has(table, "lora_a", "lr", dim) and _has(table, "lora_b", "lr", dim)):
        raise UserError(f"table {table.parametrization} states no {dim} LR rows for lora_a and lora_b: a LoRA {dim} "
                        f"sweep covers {', '.join(WIDTH_TABLES if dim == 'width' else RANK_TABLES)}")
    return _p(table, "lora_a", "lr", dim), _p(table, "lora_b", "lr", dim)


def multiplier_exponent(table, dim: str):
    """Power of the adapter multiplier along ``dim`` (0 where the table has no such row)."""
    return _p(table, "adapter", "multiplier", dim)


def init_std_exponent(table):
    """Width power of sigma_A: the ``lora_a init_std`` row, else Init[1]/Init[A]'s N(0, 1/n) (both papers' default)."""
    if _has(table, "lora_a", "init_std", "width"):
        return _p(table, "lora_a", "init_std", "width")
    if str(table.variant.get("lora_init", "a")) != "a":
        raise UserError(f"table {table.parametrization}: the LoRA probe runs Init[1]/Init[A] (B = 0, A random); "
                        "use --lora-init a")
    return -HALF


def probe_table(table):
    """``table`` as the LoRA probe applies it: where it states no ``lora_a init_std`` width row, with Init[A]'s
    N(0, 1/n) as that row (:func:`init_std_exponent`; the default of both papers, arXiv 2402.12354 Sec. 3.1 and
    arXiv 2602.06204), so the probe's Parametrization scales sigma_A as the predictions assume."""
    if _has(table, "lora_a", "init_std", "width"):
        return table
    row = Row("lora_a", "init_std", "width", init_std_exponent(table),
              "Init[A] N(0, 1/n), arXiv 2402.12354 Sec. 3.1 (the table states no init row)")
    return dataclasses.replace(table, rows=list(table.rows) + [row])


def _check(table):
    if str(table.variant.get("lora_init", "a")) != "a" or str(table.variant.get("tie_lr", "no")) == "yes":
        raise UserError(f"table {table.parametrization}: the LoRA probe runs Init[1] (B = 0, A random) with the "
                        "table's per-factor LRs; drop --lora-init b / --tie-lr yes")
    if (table.optimizer or "").lower() != "adam" and table.parametrization != "rslora":
        raise UserError(f"table {table.parametrization}:{table.optimizer}: the LoRA width sweep derives Adam's "
                        "sign-like updates; use :adam")


def predict_lora_width(table) -> Predictions:
    """Width exponents at fixed rank (see the module doc)."""
    if table.parametrization not in WIDTH_TABLES:
        raise UserError(f"a LoRA width sweep covers {', '.join(WIDTH_TABLES)}; {table.parametrization} states "
                        + ("rank rows only: use --ranks" if table.parametrization in RANK_TABLES else "no LoRA rows"))
    _check(table)
    a, b = lr_exponents(table, "width")
    m = multiplier_exponent(table, "width")
    s = init_std_exponent(table)
    if _has(table, "lora_a", "feature", "width"):
        za, fz = _p(table, "lora_a", "feature", "width"), "the table's lora_a feature row"
    else:
        za = max(s + HALF, a + 1)
        fz = f"max(init_std + 1/2, lr_A + 1) = max({fmt(s + HALF)}, {fmt(a + 1)})"
    items = []

    def add(layer, q, exp, formula, source):
        items.append(Prediction(layer, q, Q(exp), formula, source, dimension="width"))

    add("lora_a", "dW_rms", a, f"lora_a lr row ({fmt(a)})", QIU)
    add("lora_b", "dW_rms", b, f"lora_b lr row ({fmt(b)})", QIU)
    add("lora_a", "feature_delta", a + 1, f"lr_A + 1 = {fmt(a)} + 1 (n aligned terms)", ASSUME1)
    add("lora_a", "feature", za, fz, THM1)
    add("adapter", "output_delta", m + b + za, f"multiplier + lr_B + Z_A = {fmt(m)} + {fmt(b)} + {fmt(za)} "
        "(B_0 = 0: gamma[B] = gamma[eta_B]; r fixed)", THM1)
    add("adapter", "delta1", m + b + a + 1, f"B dZ_A: multiplier + lr_B + lr_A + 1 = {fmt(m + b + a + 1)}", THM1)
    add("adapter", "delta2", m + b + za, f"dB Z_A: multiplier + lr_B + Z_A = {fmt(m + b + za)}", THM1)
    preds = Predictions(table.parametrization, table.optimizer, table.alignment, items)
    preds.r = {"lr_A": a, "lr_B": b, "multiplier": m, "init_std_A": s}
    return preds


def predict_lora_rank(table, optimizer: str) -> Predictions:
    """Rank exponents at fixed width (see the module doc); ``optimizer`` is the one the probe runs."""
    name = table.parametrization
    if name not in RANK_TABLES:
        raise UserError(f"a LoRA rank sweep covers {', '.join(RANK_TABLES)}; {name} states "
                        + ("width rows only: use --widths" if name in WIDTH_TABLES else "no LoRA rows"))
    _check(table)
    a, b = lr_exponents(table, "rank")
    if a != b:
        raise UserError(f"table {name}: the rank sweep runs one LR for A and B; its rank rows differ ({a}, {b})")
    m = multiplier_exponent(table, "rank")
    items = []

    def add(layer, q, exp, formula, source, info=None):
        items.append(Prediction(layer, q, Q(exp), formula, source, dimension="rank", informational=info))

    if name == "rslora":
        two = 2 * m + 1 + a
        add("adapter", "output_delta", two, f"Theta(gamma_r^2 r) x lr: 2 ({fmt(m)}) + 1 + {fmt(a)}", THM32)
        add("adapter", "grad_in", two, f"Theta(gamma_r^2 r) x lr: 2 ({fmt(m)}) + 1 + {fmt(a)} (backward pass)", THM32)
    else:
        add("adapter", "output_delta", max(m + a + 1, m + 2 * a + 1),
            f"max(alpha eta r, alpha eta^2 r n) along r: max({fmt(m + a + 1)}, {fmt(m + 2 * a + 1)})", MUA)
        add("lora_a", "feature_delta", _p(table, "lora_a", "feature", "rank"), "the table's lora_a feature rank row "
            "(Z_A = Theta(eta n))", MUA)
    if optimizer == "adam":
        add("lora_a", "dW_rms", a, f"lora_a lr rank row ({fmt(a)})", QIU)
        add("lora_b", "dW_rms", b, f"lora_b lr rank row ({fmt(b)})", QIU)
    preds = Predictions(name, table.optimizer, table.alignment, items)
    preds.r = {"lr": a, "multiplier": m}
    return preds


def sweep_sizes(table, size: int, base: int, dim: str) -> dict:
    """``{dim: (size, base)}`` of one sweep point: ``dim`` (width or rank) at ``size`` over ``base``, every other
    dimension of the table held at its base (1/1) -- what the probe's Parametrization gets."""
    return {**{r.dimension: (1, 1) for r in table.rows}, dim: (size, base)}


def factor_lrs(table, lr: float, size: int, base: int, dim: str) -> tuple:
    """``(eta_A, eta_B)`` at ``size``: the base LR (set at ``base``) times the ``lr`` rows' factor
    (:func:`scaling_exponents.theory.factors.scale_factor`)."""
    lr_exponents(table, dim)  # the table must state both
    sizes = sweep_sizes(table, size, base, dim)
    return lr * scale_factor(table, "lora_a", "lr", sizes), lr * scale_factor(table, "lora_b", "lr", sizes)

