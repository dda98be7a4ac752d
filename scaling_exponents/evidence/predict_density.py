"""Predicted DENSITY exponents of a masked MLP at fixed width, from a table's ``density`` rows (torch-free).

The model (:mod:`scaling_exponents.verifier.probes.density`): the reference MLP ``embed -> hidden.0 .. -> head``
whose hidden (n x n) matrices are multiplied by a fixed random 0/1 mask of density rho (each row keeps about rho n
inputs); embedding and readout are dense.  Adam, a few steps on a fixed batch, width fixed: only the table's
``density`` rows act, as factors ``rho^p`` on the base init std and base LR (base: rho = 1).  Exponents below are
powers of rho (``quantity ∝ rho^e``; rho <= 1, so e > 0 means the quantity FALLS as the matrices get sparser).

Per layer, with ``m`` = 1 for a masked layer (its sums run over rho n active inputs) and 0 for a dense one,
``s``/``c`` = the role's ``init_std``/``lr`` density powers and ``q_in``/``r_in`` = the exponents of the layer's
input at init / of its change:

* ``act_init`` (RMS output at init): ``q = q_in + s + m/2`` -- a sum of rho n independent zero-mean terms (CLT;
  TP4, arXiv 2011.14522 Sec. 3, with the fan-in rho n of the effective width, arXiv 2405.15743).
* ``own_delta`` (RMS of ``ΔW x_0``, the output change the layer's own update makes): ``c + m + q_in`` -- Adam's
  entries are ``±lr`` (sign-like; arXiv 2512.05620 App. B.2) and aligned with the input: the inputs of hidden
  layers are ReLU outputs with a positive mean, so the rho n active terms add coherently (Everett et al.,
  arXiv 2407.05872 Sec. 3, full alignment, with rho n for n).
* ``act_delta`` (RMS of ``h_t - h_0``): ``min(own, s + m/2 + r_in)``, the second term being the input change
  propagated through the init weights (CLT over rho n terms).  At rho = 1 both terms are Θ(1), so where their
  exponents differ the slope measured on rho in [1/8, 1] lies BETWEEN them and only the asymptote (rho -> 0) is the
  min: such rows are reported as *info*, not counted, and so is every later row fed by one.
* ``dW_rms`` (RMS entry of ``W_t - W_0`` over the ACTIVE entries of a hidden matrix): ``c`` (Adam's ``±lr``).

SμPar (``supar``: hidden s = -1/2, c = -1) gives 0 for every act_init / act_delta / own_delta (its claim: activations
and updates independent of sparsity, arXiv 2405.15743 abstract) and dW_rms rho^-1.  A table without density rows
(``mup-table3``: muP whose HPs ignore rho, the paper's contrast, Fig. 5) gives hidden.0 act_init rho^(1/2) and own
rho^1, falling further down the network.
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.factors import scale_factor
from .predict import Prediction, Predictions

DENSITY = "density"
HALF = sympy.Rational(1, 2)
SUPAR = "Dey, Bergsma & Hestness, arXiv 2405.15743 (effective width rho n; abstract, Fig. 5)"
CLT = "TP4, arXiv 2011.14522 Sec. 3 (CLT over the rho n active fan-in)"
ALIGN = "Everett et al., arXiv 2407.05872 Sec. 3 (aligned update); Adam ±lr: arXiv 2512.05620 App. B.2"
ROLES = ("embedding", "hidden", "readout")
COVERED = ("adam",)


def layers(depth: int) -> list[tuple[str, str, int]]:
    """``(layer, role, masked)`` of the masked MLP: ``embed`` and ``head`` dense, ``hidden.{i}`` masked."""
    if depth < 1:
        raise UserError(f"a density sweep needs hidden layers to mask: --depth >= 1, got {depth}")
    return [("embed", "embedding", 0)] + [(f"hidden.{i}", "hidden", 1) for i in range(depth)] + [("head", "readout", 0)]


def powers(table, role: str) -> tuple:
    """``(s, c)``: the role's init_std and lr density powers (0 where the table has no density row)."""
    return Q(table.power(role, "init_std", DENSITY)), Q(table.power(role, "lr", DENSITY))


def has_density_rows(table) -> bool:
    """True when ``table`` has rows along the density dimension (SμPar, arXiv 2405.15743), i.e. a density sweep has
    something to check."""
    return any(r.dimension == DENSITY for r in table.rows)


def predict_density(table, depth: int = 2) -> Predictions:
    """Predictions along rho for the masked MLP under ``table`` (see the module doc)."""
    opt = (table.optimizer or "").lower()
    if opt not in COVERED:
        raise UserError(f"a density sweep covers Adam tables (the sign-like update the predictions assume); table "
                        f"{table.parametrization} is for {table.optimizer!r}")
    if not {"embedding", "hidden", "readout"} <= set(table.roles):
        raise UserError(f"table {table.parametrization} has no embedding/hidden/readout roles for the masked MLP")
    items, notes = [], []
    q_in, r_in, exact_in = Q(0), None, True
    src = SUPAR if has_density_rows(table) else "no density rows: HPs independent of rho"

    def add(layer, quantity, e, formula, source, info=None):
        items.append(Prediction(layer, quantity, Q(e), formula, f"{source}; {src}", dimension=DENSITY,
                                informational=info))

    for layer, role, m in layers(depth):
        s, c = powers(table, role)
        q = q_in + s + HALF * m
        own = c + m + q_in
        add(layer, "act_init", q, f"q_in + s + m/2 = {q_in} + {s} + {HALF * m}", CLT)
        if layer != "embed":
            add(layer, "own_delta", own, f"c + m + q_in = {c} + {m} + {q_in} (ΔW x_0, Adam ±lr, aligned)", ALIGN)
        if r_in is None:  # the embedding: its input is the data, only its own update moves it
            r, exact, formula = own, exact_in, f"c = {c} (own update only)"
        else:
            prop = s + HALF * m + r_in
            r = min(own, prop)
            exact = exact_in and own == prop
            formula = f"min(own {own}, propagated s + m/2 + r_in = {prop})"
        why = None if exact else (f"two Θ(1)-at-rho=1 terms (own update rho^{own}" +
                                  (f", propagated rho^{prop}" if r_in is not None else "") +
                                  ") or an input that mixes them: the slope on rho in [1/8, 1] lies between them; "
                                  f"rho^{r} is the asymptote rho -> 0")
        add(layer, "act_delta", r, formula, f"{CLT}; {ALIGN}", info=why)
        if m:
            add(layer, "dW_rms", c, f"lr row's density power {c} (Adam ±lr per active entry)", ALIGN)
        q_in, r_in, exact_in = q, r, exact
    if any(p.exponent != 0 for p in items if p.quantity in ("act_init", "act_delta", "own_delta")):
        notes.append("activations or updates depend on the density: the table's HPs do not follow the effective "
                     "width rho n (the contrast SμPar fixes)")
    preds = Predictions(table.parametrization, table.optimizer, table.alignment, items)
    preds.r = {role: f"init rho^{powers(table, role)[0]}, lr rho^{powers(table, role)[1]}" for role in ROLES}
    preds.notes = notes
    return preds


def density_sizes(table, rho: float) -> dict:
    """``{dim: (size, base)}`` of a density point: ``density`` at rho over 1, every other dimension of the table
    (width) held at its base -- what the probe's Parametrization gets."""
    return {**{r.dimension: (1, 1) for r in table.rows}, DENSITY: (float(rho), 1)}


def role_factors(table, rho: float) -> dict:
    """``{role: (init factor, lr factor)}`` at density ``rho`` relative to rho = 1: ``rho^s``, ``rho^c``
    (:func:`scaling_exponents.theory.factors.scale_factor`)."""
    sizes = density_sizes(table, rho)
    return {role: (scale_factor(table, role, "init_std", sizes), scale_factor(table, role, "lr", sizes))
            for role in ROLES}
