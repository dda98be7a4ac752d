"""``apply(plan, model)``: realise a :class:`~.plan.Plan` on the model's weights and modules -- re-initialisation
(:mod:`.initialise`), readout zero init, forward multipliers (:mod:`.multiplier`) and the attention logit scale.

It is the only step that changes the model (the plan and the param groups of :func:`.groups.param_groups` do not).
What it did comes back as :class:`Applied`: a new plan whose records carry the init factor and the measured std of
every re-initialised weight, the output multipliers of module roles, the attention scales and notes.

* **Multipliers** (the ``a`` of abc-parametrizations, TP5 arXiv 2203.03466; Everett et al. arXiv 2407.05872):
  ``multiplier`` rows of parameter roles scale the parameter inside its module's forward, and the module roles
  ``residual_branch`` / ``adapter`` (:data:`.roles.OUTPUT_ROLES`; CompleteP arXiv 2505.01618, rsLoRA arXiv
  2312.03732) scale the module's output.
* **Attention**: the ``("attention", "logit_scale", "head_dim")`` row sets each attention module's logit scale to
  its base value at the base head dimension times ``(d / d0)^power`` (TP5 arXiv 2203.03466 Def. 4.1: ``q.k/d``
  instead of ``q.k/sqrt(d)``, the registry's ``mup-table3`` attention row).
* **Readout zero init** (``readout_zero_init=True``): the readout weight and its bias start at 0, as microsoft/mup's
  ``MuReadout(readout_zero_init=True)`` (used by nanoGPT-mup and Megatron's muP).  TP5 (arXiv 2203.03466)
  recommends zero-initialising the readout; the section number is UNVERIFIED here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch

from ..errors import UserError
from ..theory import factors as _factors
from ..theory.exponents import fmt
from . import initialise as _init
from . import multiplier as _mult
from . import roles as _roles
from .presets import hf as _hf
from .records import ParamInfo


@dataclass(frozen=True)
class Applied:
    """What :func:`apply` did: ``plan`` with the init results in its records, ``{module: output multiplier}``,
    ``{attention module: (logit scale, why)}``, the readout parameters zeroed, and notes."""

    plan: object
    output_multipliers: dict = field(default_factory=dict)
    logit_scales: dict = field(default_factory=dict)
    zeroed: tuple = ()
    notes: tuple = ()


def apply(plan, model, *, init="rescale", multipliers: bool = True, readout_zero_init: bool = False,
          constant_init: bool = False) -> Applied:
    """Initialise (``init``: ``"rescale"``, a base std, or ``None`` to leave the weights), zero the readout,
    install multipliers and set attention scales on ``model`` per ``plan`` (module doc)."""
    net = _roles.unwrap(model)
    notes: list[str] = []
    if init is not None:
        if init == "rescale" and any(p.is_meta for p in net.parameters()):
            raise UserError("the model is on the meta device: init='rescale' has no weights to rescale; pass init=None "
                            "(settings={'init': None}: factors and groups only) and initialise after "
                            "model.to_empty(), or init=<base std>")
        changes, more = _init.initialise(plan, net, init, constant_init)
        plan, notes = plan.replace_records(changes), notes + more
    zeroed: tuple = ()
    if readout_zero_init:
        changes = _zero_readout(plan, net)
        plan, zeroed = plan.replace_records(changes), tuple(changes)
    out_mult: dict = {}
    if multipliers:
        out_mult = _install_multipliers(plan, net, notes)
    scales = _set_attention(plan, net)
    return Applied(plan, out_mult, scales, zeroed, tuple(notes))


def _zero_readout(plan, net) -> dict:
    """Zero the readout weight(s) and the readout layer's bias; ``{name: record with init 0}``."""
    modules = dict(net.named_modules())
    readout_modules = {i.module_name for i in plan.records.values() if i.role == "readout"}
    if not readout_modules:
        raise UserError("readout_zero_init=True but no parameter has role 'readout'; give layers={pattern: 'readout'}")
    done = {}
    with torch.no_grad():
        for name, info in plan.records.items():
            if info.module_name not in readout_modules or info.role not in ("readout", "bias"):
                continue
            if info.aliases:
                raise UserError(f"readout_zero_init=True would also zero {info.aliases[0][0]!r}, tied to {name!r}; "
                                "untie the readout or drop readout_zero_init")
            getattr(modules.get(info.module_name, net), info.attr).zero_()
            done[name] = dataclasses.replace(info, init_std=0.0, init_scale=0.0)
    return done


def _install_multipliers(plan, net, notes: list) -> dict:
    """Parameter multipliers and module-output multipliers (module doc); ``{module: output multiplier}``."""
    modules = dict(net.named_modules())
    per_module: dict[str, dict[str, float]] = {}
    active: dict[str, set] = {}
    for info in plan.records.values():
        uses = [(info.role, info.multiplier, info.module_name, info.attr)] + [
            (role, m, mname, attr) for _, role, m, mname, attr in info.aliases]
        for role, m, mname, attr in uses:
            per_module.setdefault(mname, {})[attr] = m
            if plan.has_rows(role, "multiplier"):
                active.setdefault(mname, set()).add(attr)
    out_mult = {}
    for ma in plan.module_roles:
        if ma.role in _roles.OUTPUT_ROLES and plan.has_rows(ma.role, "multiplier"):  # residual branch, adapter, MoE
            probe = ParamInfo(ma.module_name, ma.role, ma.rule, ma.module_name, "", ())
            # several output roles on one module (a residual branch that is also an MoE layer): factors multiply
            out_mult[ma.module_name] = out_mult.get(ma.module_name, 1.0) * plan.factor(ma.role, "multiplier", probe)
    for mname in sorted(set(active) | set(out_mult)):
        module = modules[mname]
        attrs = active.get(mname, set())
        ms = per_module.get(mname, {})
        if _mult.hook_supported(module, attrs):
            _mult.set_multipliers(module, output=out_mult.get(mname, 1.0), weight=ms.get("weight", 1.0),
                                  bias=ms.get("bias", 1.0))
        else:
            for attr in attrs:
                _mult.set_param_multiplier(module, attr, ms[attr])
            if mname in out_mult:
                _mult.set_multipliers(module, output=out_mult[mname])
            notes.append(f"{mname} ({type(module).__name__}): multipliers via torch.nn.utils.parametrize "
                         "(exact for any module; such modules pickle only through state_dict)")
    return out_mult


def _set_attention(plan, net) -> dict:
    """Set each ``attention`` module's logit scale (module doc); ``{module: (scale, why)}``."""
    modules = dict(net.named_modules())
    power = plan.table.power("attention", "logit_scale", "head_dim")
    has_row = any(r.key() == ("attention", "logit_scale", "head_dim") for r in plan.table.rows)
    scales = {}
    for ma in plan.module_roles:
        if ma.role != "attention":
            continue
        h = _hf.attention_handle(modules[ma.module_name])  # a `logit_scale` buffer or HF's float `scaling`
        if h is None:
            raise UserError(f"module {ma.module_name!r} has role 'attention' but no `logit_scale` buffer and "
                            "`head_dim` attribute (see scaling_exponents.verifier.models.gpt.Attention), nor "
                            "a Hugging Face float `scaling` attribute")
        if not has_row:
            scales[ma.module_name] = (h.current(), "model's own (table has no attention row)")
            continue
        d0 = plan.shapes.head_dim(ma.module_name, h.head_dim)
        value = h.rule(d0) * _factors.factor(power, h.head_dim, d0)
        h.set(value)
        scales[ma.module_name] = (value, f"base {h.rule(d0):.6g} at head_dim {d0:g} x (d/d0)^{fmt(power)}")
    return scales
