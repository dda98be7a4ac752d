"""Which parameter plays which role: glob patterns on module/parameter names, or auto-detection.

Roles are the columns of the papers' tables.  TP5 (Yang et al., arXiv 2203.03466, Table 3 and App. B)
splits parameters into *input weights & all biases*, *hidden weights* and *output weights*; layer-norm
gains and biases follow the input column; Everett et al. (arXiv 2407.05872) call these embedding, hidden,
readout.  Depth parametrizations (depth-muP arXiv 2310.02244, CompleteP arXiv 2505.01618) add
``hidden_bias``, ``norm``, ``final_norm`` (the norm before the readout, outside the residual blocks) and the
module-level ``residual_branch`` (the branch output is multiplied).

Two kinds of role:

* **parameter roles** (``embedding``, ``hidden``, ``readout``, ``bias``, ``hidden_bias``, ``norm``, ``final_norm``, and any
  other role a table has, e.g. ``router``) decide a parameter's init, multiplier, LR, weight decay, eps;
* **module roles** (``residual_branch``, ``adapter``, ``moe_output``, ``attention``) act on a module's output
  (:data:`OUTPUT_ROLES`)
  or its attention logits.

``resolve`` returns one :class:`Assignment` per parameter with the rule that produced it, so
:meth:`Parametrization.explain` can say *why* each parameter got its role.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from torch import nn

from ..errors import UserError
from . import mha as _mha

#: Module roles whose table ``multiplier`` scales the module's OUTPUT: residual branches (CompleteP arXiv 2505.01618,
#: depth-muP arXiv 2310.02244), LoRA adapters (the ``gamma`` of ``gamma B A``: rsLoRA arXiv 2312.03732, muA arXiv
#: 2602.06204; give the module holding A and B, whose forward returns ``B A x``, the role ``adapter``) and an MoE
#: layer's combination of its active experts (``moe_output``: the ``1/n_act`` mean of arXiv 2601.20205 Sec. 3 as a
#: factor over the base model's own mean; give it the module whose output is the combined experts).
OUTPUT_ROLES = ("residual_branch", "adapter", "moe_output")
MODULE_ROLES = OUTPUT_ROLES + ("attention",)
PARAM_ROLES = ("embedding", "hidden", "readout", "bias", "hidden_bias", "norm", "final_norm")
#: Roles of normalisation gains and biases (not re-initialised: gain 1, bias 0).
NORM_ROLES = ("norm", "final_norm")
#: Layers counted by auto-detection, in definition order.
WEIGHT_LAYERS = (nn.Linear, nn.Embedding, nn.EmbeddingBag, nn.Bilinear, nn.modules.conv._ConvNd) + _mha.MHA_TYPES
#: Normalisation layers: their gains and biases get role ``norm``.
NORM_LAYERS = (nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase)


@dataclass(frozen=True)
class Assignment:
    """Parameter ``name`` (as in ``named_parameters``) of module ``module_name`` has ``role`` by ``rule``.

    ``layer_role`` is the role of the layer that owns a bias (``hidden`` for a hidden layer's bias), so
    a bias can be told apart and its init can follow its layer's fan-in.
    """

    name: str
    module_name: str
    attr: str
    role: str
    rule: str
    layer_role: str | None = None


@dataclass(frozen=True)
class ModuleAssignment:
    """A module (not a parameter) given a module role -- ``residual_branch``, ``attention``, ``adapter`` -- by the
    rule that matched it, so its multiplier or logit scale can be set and explained."""

    module_name: str
    role: str
    rule: str


def unwrap(model: nn.Module) -> nn.Module:
    """The user's model inside DDP/DataParallel (``.module``) or ``torch.compile`` (``._orig_mod``)."""
    while True:
        if hasattr(model, "_orig_mod") and isinstance(model._orig_mod, nn.Module):
            model = model._orig_mod
        elif isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
            model = model.module
        else:
            return model


def _as_roles(value, pattern) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise UserError(f"layers[{pattern!r}] must be a role name or a tuple of role names, got {value!r}")


def _direct_params(module: nn.Module):
    return [(n, p) for n, p in module.named_parameters(recurse=False)]


def _layer_params(module_name, module, role, rule, out):
    """Assign a layer's parameters: ``weight`` (and any other matrix) gets ``role``, vectors named
    ``bias`` get ``bias`` (TP5: "input weights & all biases"); a norm layer's gain and bias get ``norm``
    (or ``final_norm`` when that is the role asked for)."""
    for attr, p in _direct_params(module):
        full = f"{module_name}.{attr}" if module_name else attr
        if isinstance(module, NORM_LAYERS) or role in NORM_ROLES:
            nrole = role if role in NORM_ROLES else "norm"
            out.append(Assignment(full, module_name, attr, nrole, rule, layer_role=nrole))
        elif attr == "bias" or attr.endswith("_bias") or (_mha.is_mha(module) and attr in _mha.BIASES):
            out.append(Assignment(full, module_name, attr, "bias", rule + " (its bias)", layer_role=role))
        else:
            out.append(Assignment(full, module_name, attr, role, rule, layer_role=role))


def match(model: nn.Module, layers: dict, rule_prefix: str = "pattern", doubles: list | None = None):
    """Apply ``{glob pattern: role(s)}`` to module names and parameter names.

    Returns ``(assignments, module_assignments, unmatched_patterns)``.  A pattern naming a module assigns
    its direct parameters (weight -> role, bias -> ``bias``); a pattern naming a parameter
    (``"ln_f.weight"``) assigns that parameter only.  A parameter matched twice with different roles is an
    error naming both patterns; matched twice with the same role, it is appended to ``doubles`` as
    ``(name, first rule, second rule)`` (the :class:`Parametrization` safety summary warns about it).
    """
    modules = dict(model.named_modules())
    params = dict(model.named_parameters())
    found: dict[str, Assignment] = {}
    mods: dict[tuple[str, str], ModuleAssignment] = {}
    unmatched = []
    for pattern, value in layers.items():
        if not isinstance(pattern, str):
            raise UserError(f"layers keys are glob patterns on module names (str), got {pattern!r}")
        roles = _as_roles(value, pattern)
        hit = False
        rule = f"{rule_prefix} {pattern!r}"
        hit_modules = set()
        for mname, module in modules.items():
            if mname == "" or not fnmatch.fnmatchcase(mname, pattern):
                continue
            hit = True
            hit_modules.add(mname)
            for role in roles:
                if role in MODULE_ROLES:
                    mods.setdefault((mname, role), ModuleAssignment(mname, role, rule))
                else:
                    new: list[Assignment] = []
                    _layer_params(mname, module, role, rule, new)
                    for a in new:
                        _put(found, a, doubles)
        for pname in params:
            mname, _, attr = pname.rpartition(".")
            if mname not in hit_modules and fnmatch.fnmatchcase(pname, pattern):
                hit = True
                for role in roles:
                    if role in MODULE_ROLES:
                        raise UserError(f"role {role!r} acts on a module; pattern {pattern!r} names parameter {pname!r}")
                    _put(found, Assignment(pname, mname, attr, role, rule, layer_role=role), doubles)
        if not hit:
            unmatched.append(pattern)
    return list(found.values()), list(mods.values()), unmatched


def _put(found, a: Assignment, doubles=None):
    old = found.get(a.name)
    if old is not None and old.role == a.role and old.rule != a.rule and doubles is not None:
        doubles.append((a.name, old.rule, a.rule))
    if old is not None and old.role != a.role:
        raise UserError(
            f"parameter {a.name!r} matched twice with different roles: {old.role!r} by {old.rule} and "
            f"{a.role!r} by {a.rule}; make the patterns disjoint."
        )
    found.setdefault(a.name, a)


def auto(model: nn.Module, doubles: list | None = None):
    """Auto-detect roles (opt-in: ``layers=None``).

    1. The model's own hints, if it has a ``roles()`` method returning ``{pattern: role(s)}`` (the
       reference models mark residual branches, attention and positional embeddings this way).
    2. Weight layers (Linear, Embedding, Conv, Bilinear) in definition order that no hint covered: every
       ``nn.Embedding`` (token or learned-position table) and the first layer are ``embedding``, the last
       ``readout``, the others ``hidden``; their biases get ``bias``.
    3. Normalisation layers (LayerNorm, RMSNorm, GroupNorm, BatchNorm): gains and biases get ``norm``,
       except a *final norm* -- defined after the last hidden weight layer and not inside a module that
       holds a hidden layer (GPT's ``ln_f``, nanoGPT's ``transformer.ln_f``) -- which gets ``final_norm``
       (CompleteP Table 1 treats it apart from the in-block norms; ``Parametrization`` maps it back to
       ``norm`` when the table has no ``final_norm`` rows).

    Returns ``(assignments, module_assignments, unmatched_hint_patterns)``.
    """
    found: dict[str, Assignment] = {}
    mods: list[ModuleAssignment] = []
    unmatched: list[str] = []
    hints = getattr(model, "roles", None)
    if callable(hints):
        hint_map = hints()
        if not isinstance(hint_map, dict):
            raise UserError(f"{type(model).__name__}.roles() must return a dict {{pattern: role}}, got {hint_map!r}")
        assigned, mods, unmatched = match(model, hint_map, rule_prefix=f"hint {type(model).__name__}.roles()",
                                          doubles=doubles)
        found.update({a.name: a for a in assigned})
    layers = [(n, m) for n, m in model.named_modules()
              if isinstance(m, WEIGHT_LAYERS) and not any(f"{n}.{a}" in found for a, _ in _direct_params(m))]
    seen_params = set()
    plain = [n for n, m in layers if not _mha.is_mha(m)]
    for mname, module in layers:
        if _mha.is_mha(module):  # q, k, v projections: hidden matrices wherever the attention sits
            role, rule = "hidden", "auto: nn.MultiheadAttention q/k/v projections (torch.mha)"
        elif isinstance(module, (nn.Embedding, nn.EmbeddingBag)) and mname != plain[-1]:
            # a lookup table (token or learned position): its fan_in is a fixed size, its fan_out the width -- an
            # input weight wherever it sits (TP5 arXiv 2203.03466 Table 3, "input weights")
            role, rule = "embedding", ("auto: nn.Embedding lookup table (token or position): an input weight "
                                       "(TP5 Table 3)")
        elif mname == plain[0]:
            role, rule = "embedding", "auto: first weight layer (Linear/Embedding/Conv) in definition order"
        elif mname == plain[-1]:
            role, rule = "readout", "auto: last weight layer in definition order"
        else:
            role, rule = "hidden", "auto: weight layer between the first and the last"
        new: list[Assignment] = []
        _layer_params(mname, module, role, rule, new)
        for a in new:
            found.setdefault(a.name, a)
        seen_params.update(id(p) for p in module.parameters(recurse=False))
    order = {n: i for i, (n, _) in enumerate(model.named_modules())}
    hidden = {a.module_name for a in found.values() if a.role == "hidden"}
    last_hidden = max((order.get(n, -1) for n in hidden), default=None)
    for mname, module in model.named_modules():
        if isinstance(module, NORM_LAYERS):
            new = []
            parent = mname.rpartition(".")[0]
            final = (last_hidden is not None and order[mname] > last_hidden
                     and not (parent and any(h.startswith(parent + ".") for h in hidden)))
            if final:
                role, rule = "final_norm", (f"auto: {type(module).__name__} after the last hidden layer, outside the "
                                            "blocks (final norm)")
            else:
                role, rule = "norm", f"auto: {type(module).__name__} gain/bias (TP5 App. B: like input weights)"
            _layer_params(mname, module, role, rule, new)
            for a in new:
                found.setdefault(a.name, a)
    return list(found.values()), mods, unmatched


def resolve(net: nn.Module, preset, layers, doubles: list, notes: list):
    """Roles from a preset, from ``layers`` patterns, or auto-detected; ``(assignments, module_assignments,
    unmatched_patterns)``.

    ``layers`` may mix patterns with auto-detection: a pattern whose role is ``"auto"`` (``{"*": "auto"}``) asks
    auto-detection for every parameter and module no other pattern assigned; ``layers`` that assign only module
    roles (``{"blocks.*.attn": ("residual_branch", "attention"), "blocks.*.mlp": "residual_branch"}``) do so
    implicitly -- the parameters' roles are auto-detected, and a note says so."""
    if preset is not None:
        assigned, mods, unmatched = match(net, preset.layers, doubles=doubles, rule_prefix=f"preset {preset.name}")
        notes.extend(preset.notes)
    elif layers is None:
        assigned, mods, unmatched = auto(net, doubles)
    else:
        if not isinstance(layers, dict) or not layers:
            raise UserError(f"layers must be a non-empty dict {{glob pattern: role}} or None (auto-detect), got {layers!r}")
        explicit = {k: v for k, v in layers.items() if v != "auto"}
        assigned, mods, unmatched = match(net, explicit, doubles=doubles) if explicit else ([], [], [])
        if len(explicit) < len(layers) or (mods and not assigned):
            if len(explicit) == len(layers):
                notes.append("layers= assigns module roles only: parameter roles were auto-detected (add "
                             "{'*': 'auto'} to say so, or give parameter patterns)")
            have = {a.name for a in assigned}
            have_mods = {(m.module_name, m.role) for m in mods}
            more, more_mods, _ = auto(net, doubles)
            assigned += [a for a in more if a.name not in have]
            mods += [m for m in more_mods if (m.module_name, m.role) not in have_mods]
        if not assigned and not mods:
            raise UserError(f"no module or parameter matched the layer patterns {list(layers)}; module names are: "
                            f"{module_names(net)}")
    if not assigned:
        raise UserError(f"no weight layer found in {type(net).__name__} to parametrize; give layers= "
                        f"patterns. Module names: {module_names(net)}")
    return assigned, mods, unmatched


@dataclass(frozen=True)
class Roles:
    """The resolved roles of one model: parameter and module assignments, patterns that matched nothing, parameters
    matched twice with the same role ``(name, rule, rule)``, notes, and the parameters marked ``default`` on purpose."""

    params: tuple
    modules: tuple
    unmatched: tuple = ()
    doubles: tuple = ()
    notes: tuple = ()
    explicit_default: frozenset = frozenset()


def resolve_roles(net: nn.Module, preset=None, layers=None) -> Roles:
    """:func:`resolve` as one frozen :class:`Roles` value (the ``roles`` a :class:`~.plan.Plan` is built from)."""
    doubles: list = []
    notes: list = []
    assigned, mods, unmatched = resolve(net, preset, layers, doubles, notes)
    return Roles(tuple(assigned), tuple(mods), tuple(unmatched), tuple(doubles), tuple(notes),
                 frozenset(a.name for a in assigned if a.role == "default"))


def module_names(model: nn.Module, limit: int = 40) -> str:
    """The module names of ``model`` with their types, for error messages."""
    names = [f"{n} ({type(m).__name__})" for n, m in model.named_modules() if n]
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
