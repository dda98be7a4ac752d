"""u-muP per-operation scales and the residual tau rule (Blake et al., arXiv 2407.17465; graphcore-research/unit-scaling).

The ``umup`` table (:mod:`.umup`) holds the abc quantities (multiplier, init, LR).  u-muP is also UNIT SCALING: every
op carries a forward scale and separate backward scales chosen so that activations and gradients have unit variance
(u-muP Sec. 2-3, building on Unit Scaling, Blake et al. 2023).  For ``y = x W^T`` (W fan_out x fan_in, batch b) with
unit-variance x, W and output gradient:

    Var(y) = fan_in            -> forward scale        s_fwd^2 fan_in  = 1                       (U1)
    Var(dL/dx) = fan_out       -> grad-input scale     s_gin^2 fan_out = 1   (unconstrained)     (U2)
    Var(dL/dW) = b             -> grad-weight scale    s_gw^2  b       = 1                       (U3)

``unit_scaling.functional.linear`` (v0.3.5) implements exactly these (``scale_power = (0.5, 0.5, 0.5)``) and, with its
default ``constraint="to_output_scale"`` (``uu.Linear``), ties the grad-input scale to the forward scale so that the
op stays a valid gradient (``apply_constraint``: both become s_fwd) -- option ``constraint``.  The readout
(``linear_readout``, ``scale_power = (1, 0.5, 0.5)``, default constraint None) departs from unit scaling in the
forward pass: its scale is muP's output multiplier 1/fan_in (taken from the DERIVED ``umup`` table, not retyped).

Residual tau (u-muP App. G; ``unit_scaling.core.functional.transformer_residual_scaling_rule``): branch ``k`` of the
2L branches of an L-layer transformer (k attention/MLP branches before it) has

    tau_k = alpha / sqrt(L + k alpha^2)       (residual_mult = residual_attn_ratio = 1: alpha = 1),

and ``residual_add`` weights the branch by ``tau/sqrt(1 + tau^2)``, the skip by ``1/sqrt(1 + tau^2)``.  For a branch at
a fixed relative depth k = f 2L the exponent in L is ``-max(1, 1)/2 = -1/2`` (the max is a ``max_of`` the solver
resolves), the branch weight ~ tau (tau -> 0) and the skip weight -> 1: the Depth-muP branch multiplier L^(-1/2), equal
to the ``umup`` table's residual_branch row (checked in the tests against both the table and the library).
"""

from __future__ import annotations

import sympy

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import Source
from .base import Option, ParamSpec
from .spectral import CellSystem

HALF = sympy.Rational(1, 2)
KEY, ARXIV = "blake2024umup", "2407.17465"
UNIT = "unit scaling (arXiv 2407.17465 Sec. 2-3): unit-variance outputs and gradients; unit_scaling.functional.linear"
CONSTRAINT = "unit_scaling.constraints.apply_constraint('to_output_scale'): grad-input scale = output scale"
TAU = ("arXiv 2407.17465 App. G; unit_scaling.core.functional.transformer_residual_scaling_rule: "
       "tau_k = alpha / sqrt(L + k alpha^2)")
ADD = "unit_scaling.functional.residual_add: branch x tau/sqrt(1+tau^2), skip x 1/sqrt(1+tau^2)"
CONSTRAINTS = ("to_output_scale", "none")
DIMS = ("fan_in", "fan_out", "batch")


def _readout_multiplier():
    from .registry import derive

    return derive("umup", "adam").power("readout", "multiplier", "fan_in")


def build_ops(constraint: str = CONSTRAINTS[0]) -> CellSystem:
    """u-muP's per-op forward and backward scales (Blake et al., arXiv 2407.17465 Sec. 2-3; unit_scaling's
    ``Linear``) under the hidden-layer ``constraint``, and the residual tau rule, from the unit-variance
    conditions (U1)-(U3) of the module docstring."""
    if constraint not in CONSTRAINTS:
        raise UserError(f"--constraint is one of {', '.join(CONSTRAINTS)} (unit_scaling's Linear default "
                        f"'to_output_scale'); got {constraint!r}")
    cs = CellSystem(f"u-muP op scales (hidden constraint {constraint})", source=UNIT)
    readout_fwd = _readout_multiplier()
    for role in ("hidden", "readout"):
        for dim in DIMS:
            fi, fo, b = (Q(int(dim == d)) for d in DIMS)
            t = f"[{role}, {dim}]"
            fwd = cs.cell(role, "forward_scale", dim)
            gin = cs.cell(role, "grad_input_scale", dim)
            gw = cs.cell(role, "grad_weight_scale", dim)
            if role == "hidden":
                cs.eq(2 * fwd + fi, 0, label=f"(U1) Var(y) = fan_in: unit output {t}", source=UNIT)
            else:
                cs.eq(fwd, readout_fwd * fi, label=f"readout forward = muP output multiplier 1/fan_in {t}",
                      source="umup table (derived), unit_scaling.functional.linear_readout scale_power[0] = 1")
            if role == "hidden" and constraint == "to_output_scale":
                cs.eq(gin, fwd, label=f"constraint to_output_scale: grad-input scale = output scale {t}",
                      source=CONSTRAINT)
            else:
                cs.eq(2 * gin + fo, 0, label=f"(U2) Var(dL/dx) = fan_out: unit grad-input {t}", source=UNIT)
            cs.eq(2 * gw + b, 0, label=f"(U3) Var(dL/dW) = batch: unit grad-weight {t}", source=UNIT)
    # residual tau along depth, for a branch at a fixed relative depth (k ∝ L)
    k = cs.aux("k[residual_branch]@depth", 1, label="branch index k = f * 2L (fixed relative depth)", source=TAU)
    den = cs.system.max_of("tau_denominator[residual_branch]@depth", [Q(1), k],
                           label="L + k alpha^2 ~ max(L, k)", source=TAU)
    tau = cs.cell("residual_branch", "tau", "depth", note="alpha / sqrt(L + k alpha^2)")
    cs.eq(tau, -HALF * den, label="tau = alpha (L + k alpha^2)^(-1/2)", source=TAU)
    cs.le(tau, 0, label="tau -> 0 as L grows (so sqrt(1 + tau^2) -> 1)", source=TAU)
    branch = cs.cell("residual_branch", "multiplier", "depth", note="tau/sqrt(1+tau^2)")
    cs.eq(branch, tau, label="branch weight tau/sqrt(1 + tau^2) ~ tau", source=ADD)
    skip = cs.cell("residual_skip", "multiplier", "depth", note="1/sqrt(1+tau^2)")
    cs.eq(skip, 0, label="skip weight 1/sqrt(1 + tau^2) -> 1", source=ADD)
    return cs


def _ops(optimizer, alignment, constraint=CONSTRAINTS[0]):
    cs = build_ops(constraint)
    return cs.table("umup-ops", optimizer, Source(KEY, ARXIV, "Sec. 2-3, App. G; unit-scaling 0.3.5 functional.py"),
                    title="u-muP per-op scales and residual tau (Blake et al. 2024)",
                    convention="absolute: factors are fan_in/fan_out/batch/depth powers; hidden = uu.Linear, "
                               "readout = uu.LinearReadout (constraint None); batch = tokens per matmul",
                    variant={"constraint": constraint},
                    notes=["forward/backward scales are separate (scale_fwd / scale_bwd): not abc quantities; the abc "
                           "table is 'umup'",
                           "residual tau: residual_mult = residual_attn_ratio = 1 (library defaults); other values "
                           "change the constant alpha, not the L^(-1/2) exponent",
                           "u-muP's slide footnote puts the readout's 1/sqrt(fan-in) in the backward pass; the "
                           "library's readout grad-input is fan_out^(-1/2) (this table follows the library)"])


SPECS = [
    ParamSpec("umup-ops", "u-muP per-op scales and residual tau (Blake et al. 2024)",
              Source(KEY, ARXIV, "Sec. 2-3, App. G; unit-scaling 0.3.5"), _ops, family="unit",
              options=(Option("constraint", "hidden Linear constraint: 'to_output_scale' (library default) or 'none'",
                              CONSTRAINTS[0], lambda v: str(v).lower()),),
              aliases=("unit-scaling-ops",),
              summary="fwd fan_in^-1/2, grad-in fan_out^-1/2 (or = fwd), grad-W batch^-1/2; tau ∝ L^-1/2"),
]
