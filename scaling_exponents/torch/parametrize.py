"""``Parametrization``: apply a derived exponent table to a PyTorch model.

Given an :class:`~scaling_exponents.theory.table.ExponentTable` (rows ``quantity ∝ dimension^power``),
``Parametrization(model, ...)``

1. resolves each parameter's role (glob patterns or auto-detection, :mod:`.roles`);
2. re-initialises weights so their std is the base model's std times the table's ``init_std`` factor;
3. installs forward multipliers (``multiplier`` rows, ``residual_branch`` output multipliers) and the
   attention logit scale (``("attention", "logit_scale", "head_dim")``), :mod:`.multiplier`;
4. exposes ``param_groups`` with per-group ``lr``, ``weight_decay`` and ``eps`` and the factors behind
   them (``lr_scale``, ``wd_scale``, ``eps_scale``), so any torch optimizer and LR scheduler compose.

**Convention (relative to a base shape).**  Every factor is ``prod_dim (size / base_size) ** power``, as in
microsoft/mup (TP5 App. H, arXiv 2203.03466) and nanoGPT-mup: at the base shape every factor is 1 and the
model is exactly the base model (PyTorch's default init, or the user's).  The width of a parameter is the
fan that grows with width for its role (TP5 App. J.2.1, Everett et al. arXiv 2407.05872 §2): ``fan_out``
for ``embedding`` (and for vectors: biases, norm gains), ``fan_in`` for ``hidden``, ``readout`` and other
matrices -- so ``d_ffn = 4 d_model`` stays consistent.  Base sizes come from a global ``width/base_width``
ratio or, per parameter, from a smaller ``base_model`` (like mup's ``set_base_shapes``).  Depth rows use
``depth/base_depth`` (CompleteP arXiv 2505.01618; depth-muP arXiv 2310.02244).  Rows along ``fan_in`` /
``fan_out`` (u-muP, arXiv 2407.17465, whose tables are absolute) use each parameter's own fan over its base
fan, so a factor here is u-muP's absolute factor at this shape divided by the one at the base shape.

**Weight decay.**  ``weight_decay_mode`` says how the optimizer uses ``group["weight_decay"]``:
``"decoupled"`` (torch ``AdamW``: ``p -= lr * wd * p``; group wd = wd * wd_scale, so the per-step decay
also follows the group's LR factor), ``"coupled"`` (L2 added to the gradient, torch ``Adam``/``SGD``;
group wd = wd * wd_scale) and ``"independent"`` (Wortsman et al., arXiv 2309.14322: per-step decay
``wd * wd_scale * schedule(t)``, independent of the LR's value and width factor; with ``AdamW`` this is
group wd = wd * wd_scale / group_lr).  microsoft/mup's ``MuAdamW`` (its default, non-decoupled) equals
``"independent"`` with ``weight_decay = lr * wd_mup``.  The registry's ``weight_decay`` rows are the coupled torch
value and its ``lr_wd_product`` rows the per-step (independent) decay ``eta lambda``: ``"independent"`` mode
uses the ``lr_wd_product`` factor where the table has such rows for a role (the ``weight_decay`` factor where
it has none, for hand-made tables), and the other modes check that ``lr_wd_product = lr x weight_decay``.
``no_weight_decay=("norm", ...)`` sets the decay of whole roles to 0 (nanoGPT-mup does not decay norms and
biases; a power law cannot say "zero").

Every table row with a non-zero power is either applied or listed by :meth:`Parametrization.explain` under
"table rows NOT applied", with the reason (no parameter has that role, ``init=None``, ...).
"""

from __future__ import annotations

import difflib
import functools
import math
from dataclasses import dataclass, field

import sympy
import torch
from torch import nn

from ..errors import UserError
from ..theory.exponents import fmt
from ..theory.table import ExponentTable
from . import multiplier as _mult
from . import roles as _roles

INIT_MODES = ("rescale", "float std", None)
WD_MODES = ("decoupled", "coupled", "independent")
_RESCALE_TYPES = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd)  # PyTorch default init std ∝ fan_in^-1/2
_EMBED_TYPES = (nn.Embedding, nn.EmbeddingBag)                        # PyTorch default N(0, 1)


@dataclass
class ParamInfo:
    """What :class:`Parametrization` did to one parameter (its side-table entry, keyed by name)."""

    name: str
    role: str
    rule: str
    module_name: str
    attr: str
    shape: tuple
    width: tuple | None = None          # (size, base size) of the fan that scales with width
    fan_in_ratio: float = 1.0           # fan_in / base fan_in of the owning layer (torch-default init)
    init_scale: float | None = None     # factor the weights were multiplied by (None: untouched)
    init_std: float | None = None       # measured std after initialisation
    multiplier: float = 1.0
    lr_scale: float = 1.0
    wd_scale: float = 1.0
    eps_scale: float = 1.0
    lr_wd_scale: float = 1.0            # per-step decay factor lr x weight_decay (table's lr_wd_product rows)
    fans: dict | None = None            # {"fan_in": (size, base), "fan_out": (size, base)} for fan rows (u-muP)
    aliases: list = field(default_factory=list)  # tied uses: (name, role, multiplier)
    note: str = ""


def _fans(module: nn.Module, attr: str, p: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a parameter: Linear/Conv weights (out, in, *k), Embedding (num, dim),
    vectors have fan_out = length and the fan_in of their layer's weight (TP5: bias fan_in is 1 for the
    *width* question, but PyTorch's default bias init uses the layer's fan_in)."""
    if isinstance(module, _EMBED_TYPES) and attr == "weight":
        return p.shape[0], p.shape[1]
    if p.dim() >= 2:
        receptive = math.prod(p.shape[2:]) if p.dim() > 2 else 1
        return p.shape[1] * receptive, p.shape[0] * receptive
    w = getattr(module, "weight", None)
    if isinstance(w, torch.Tensor) and w.dim() >= 2 and attr != "weight":
        return _fans(module, "weight", w)[0], p.numel()
    return 1, p.numel()


def _dim_fans(module: nn.Module, attr: str, p: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` as *dimensions* of a table row (u-muP, unit_scaling.optim._get_fan_in): matrices as
    :func:`_fans` (an embedding's fan_out is its hidden size), vectors their length for both."""
    if p.dim() < 2:
        return p.numel(), p.numel()
    return _fans(module, attr, p)


def _width_fan(role: str, module, attr, p) -> int:
    fan_in, fan_out = _fans(module, attr, p)
    if role == "embedding" or p.dim() < 2:
        return fan_out
    return fan_in


class Parametrization:
    """Apply a muP-family parametrization (a derived exponent table) to ``model``; see the module doc.

    Args:
        model: the model (DDP/``torch.compile`` wrappers are unwrapped for matching).
        param: a parametrization name for :func:`scaling_exponents.derive` (``"mup"``, ``"mup-table8"``,
            ``"sp"``, ...) or an already-derived :class:`ExponentTable`.
        optimizer, alignment, options: passed to ``derive`` (``alignment=None``: the paper's default;
            ``"adam"`` and ``"adamw"`` stand in for each other when a table covers only one, e.g. CompleteP).
        layers: ``{glob pattern: role or (roles...)}`` on module or parameter names; ``None`` auto-detects
            (:func:`.roles.auto`).  Parameters not matched keep PyTorch's defaults (role ``default``).
        width, base_width: global width ratio (``width`` defaults to ``model.width``).
        base_model: a smaller instance; per-parameter base fans are read from it (mup's base shapes).
        depth, base_depth: for rows with dimension ``depth`` (``depth`` defaults to ``model.depth``).
        base_head_dim: base head dimension for the attention logit-scale row (default: from base_model, or
            for models.GPT from how it was built: head_dim/ratio when n_head is fixed, head_dim when fixed).
        sizes: ``{dimension: (size, base)}`` for any other dimension a table uses (e.g. ``experts``).
        lr, weight_decay, eps: base values; groups get ``lr * lr_scale`` etc.  ``eps=None`` leaves the
            optimizer's eps unless the table has ``adam_eps`` rows (then base eps 1e-8).
        weight_decay_mode: ``"decoupled"`` (AdamW), ``"coupled"`` (L2) or ``"independent"``.
        init: ``"rescale"`` (multiply the current weights, assumed PyTorch-default initialised, by
            ``sqrt(fan_in/base_fan_in)`` for Linear/Conv times the ``init_std`` factor -- mup's
            ``rescale_params=True``), a float ``sigma`` (resample weights ``N(0, (sigma*factor)^2)``, zero
            biases; a user-given base std such as 0.02), or ``None`` (leave weights; use when re-applying
            to a model whose checkpoint you will load).
        multipliers: install forward multipliers (default ``True``).
        no_weight_decay: roles whose groups get ``weight_decay`` 0 (e.g. ``("norm", "final_norm",
            "hidden_bias")`` as nanoGPT-mup); default none.
    """

    def __init__(self, model: nn.Module, param="mup", optimizer: str | None = "adam", alignment: str | None = None,
                 *, layers: dict | None = None, width=None, base_width=None, base_model: nn.Module | None = None,
                 depth=None, base_depth=None, base_head_dim=None, sizes: dict | None = None,
                 lr: float = 1e-3, weight_decay: float = 0.0, weight_decay_mode: str = "decoupled",
                 eps: float | None = None, init="rescale", multipliers: bool = True, options: dict | None = None,
                 no_weight_decay=()):
        self.table = _table(param, optimizer, alignment, options or {})
        self.model = model
        net = _roles.unwrap(model)
        self._check_scalars(lr, weight_decay, weight_decay_mode, eps, init)
        self.lr, self.weight_decay, self.weight_decay_mode, self.eps = float(lr), float(weight_decay), weight_decay_mode, eps
        self.init_mode = init
        self.multipliers = bool(multipliers)
        if isinstance(no_weight_decay, str):
            no_weight_decay = (no_weight_decay,)
        self.no_weight_decay = tuple(no_weight_decay or ())
        self.layers = layers
        self.notes: list[str] = []
        self._inconsistent: set[str] = set()

        if layers is None:
            assigned, mod_assigned, self.unmatched = _roles.auto(net)
        else:
            if not isinstance(layers, dict) or not layers:
                raise UserError(f"layers must be a non-empty dict {{glob pattern: role}} or None (auto-detect), got {layers!r}")
            assigned, mod_assigned, self.unmatched = _roles.match(net, layers)
            if not assigned and not mod_assigned:
                raise UserError(
                    f"no module or parameter matched the layer patterns {list(layers)}; module names are: "
                    f"{_roles.module_names(net)}")
        if not assigned:
            raise UserError(f"no weight layer found in {type(net).__name__} to parametrize; give layers= "
                            f"patterns. Module names: {_roles.module_names(net)}")
        self._validate_roles(assigned, mod_assigned)
        known = set(_roles.PARAM_ROLES) | set(self.table.roles)
        for r in self.no_weight_decay:
            if r not in known:
                raise UserError(f"no_weight_decay names unknown role {r!r}; roles: {', '.join(sorted(known))}")

        self._base = _Base(self, net, width, base_width, base_model, depth, base_depth, base_head_dim, sizes or {})
        self.records: dict[str, ParamInfo] = self._build_records(net, assigned)
        self.module_roles = mod_assigned
        if init is not None:
            self._initialise(net)
        self.output_multipliers: dict[str, float] = {}
        self.logit_scales: dict[str, tuple[float, str]] = {}
        if multipliers:
            self._install_multipliers(net)
        self._set_attention(net)
        self.unapplied = self._unapplied_rows()

    # -- setup -----------------------------------------------------------------------------------------
    @staticmethod
    def _check_scalars(lr, wd, mode, eps, init):
        if not isinstance(lr, (int, float)) or lr < 0:
            raise UserError(f"lr must be a number >= 0, got {lr!r}")
        if not isinstance(wd, (int, float)) or wd < 0:
            raise UserError(f"weight_decay must be a number >= 0, got {wd!r}")
        if mode not in WD_MODES:
            raise UserError(f"weight_decay_mode must be one of {', '.join(WD_MODES)}, got {mode!r}")
        if mode == "independent" and wd and not lr:
            raise UserError("weight_decay_mode='independent' divides by the group LR; give lr > 0")
        if eps is not None and (not isinstance(eps, (int, float)) or eps < 0):
            raise UserError(f"eps must be a number >= 0 or None, got {eps!r}")
        if not (init is None or init == "rescale" or (isinstance(init, (int, float)) and not isinstance(init, bool) and init >= 0)):
            raise UserError(f"init must be 'rescale', a base std (float >= 0) or None, got {init!r}")

    def _validate_roles(self, assigned, mod_assigned):
        known = (set(_roles.PARAM_ROLES) | set(self.table.roles) | {"default"}) - set(_roles.MODULE_ROLES)
        for a in assigned:
            if a.role not in known:
                close = difflib.get_close_matches(a.role, sorted(known | set(_roles.MODULE_ROLES)), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise UserError(f"unknown role {a.role!r} for {a.name!r} ({a.rule}).{hint} Roles: "
                                f"{', '.join(sorted(known))}; module roles: {', '.join(_roles.MODULE_ROLES)}.")

    def _role_of(self, a: _roles.Assignment) -> str:
        # refined roles of depth tables (CompleteP Table 1): a hidden layer's bias is ``hidden_bias`` and the norm
        # before the readout ``final_norm`` when the table has them; otherwise they fall back to bias / norm
        roles = self.table.roles
        if a.role == "bias" and a.layer_role == "hidden" and "hidden_bias" in roles:
            return "hidden_bias"
        if a.role == "hidden_bias" and "hidden_bias" not in roles:
            return "bias"
        if a.role == "final_norm" and "final_norm" not in roles:
            return "norm"
        return a.role

    def _has_role_rows(self, role, quantity) -> bool:
        """Whether the table states ``quantity`` for ``role`` at all (zero powers included)."""
        return any((r.role, r.quantity) == (role, quantity) for r in self.table.rows)

    def _build_records(self, net, assigned) -> dict[str, ParamInfo]:
        canonical = {id(p): n for n, p in net.named_parameters()}
        modules = dict(net.named_modules())
        records: dict[str, ParamInfo] = {}
        aliases = []
        for a in assigned:
            module = modules[a.module_name] if a.module_name in modules else net
            p = getattr(module, a.attr)
            name = canonical.get(id(p), a.name)
            if name != a.name:
                aliases.append((name, a))
                continue
            role = self._role_of(a)
            rule = a.rule
            if role != a.role:
                rule += ("; a hidden layer's bias: hidden_bias" if role == "hidden_bias"
                         else f"; table has no {a.role} rows: {role}")
            info = ParamInfo(a.name, role, rule, a.module_name, a.attr, tuple(p.shape))
            if role != "default":
                info.width = self._base.width(a, module, p, role)
                info.fans = self._base.fans(a, module, p)
                info.fan_in_ratio = self._base.fan_in_ratio(a, module, p)
                info.multiplier = self.factor(role, "multiplier", info)
                info.lr_scale = self.factor(role, "lr", info)
                info.wd_scale = self.factor(role, "weight_decay", info)
                info.eps_scale = self.factor(role, "adam_eps", info)
                self._decay_factors(info)
                if role not in self.table.roles:
                    info.note = f"table has no rows for role {role!r}: defaults kept"
            records[a.name] = info
        for name, a in aliases:  # tied parameters: a second use (e.g. head.weight is embed.weight)
            if name not in records:
                raise UserError(f"parameter {a.name!r} is tied to {name!r}, which no role covers; give both a role")
            main = records[name]
            role = self._role_of(a)
            probe = ParamInfo(a.name, role, a.rule, a.module_name, a.attr, main.shape)
            tied_p = getattr(modules[a.module_name], a.attr)
            probe.width = self._base.width(a, modules[a.module_name], tied_p, role)
            probe.fans = self._base.fans(a, modules[a.module_name], tied_p)
            for q, attr in (("init_std", None), ("lr", "lr_scale"), ("weight_decay", "wd_scale"), ("adam_eps", "eps_scale"),
                            ("lr_wd_product", None)):
                mine = self.factor(role, q, probe)
                theirs = self.factor(main.role, q, main)
                if not math.isclose(mine, theirs, rel_tol=1e-12):
                    raise UserError(
                        f"{a.name!r} is tied to {name!r} but its role {role!r} wants {q} x{mine:.6g} while "
                        f"{main.role!r} wants x{theirs:.6g}; this table cannot tie them (TP5 Table 8 can).")
            main.aliases.append((a.name, role, self.factor(role, "multiplier", probe), a.module_name, a.attr))
        for n, p in net.named_parameters():
            if n not in records:
                mname, _, attr = n.rpartition(".")
                records[n] = ParamInfo(n, "default", "no pattern or rule matched: PyTorch defaults", mname, attr,
                                       tuple(p.shape))
        order = {n: i for i, n in enumerate(canonical.values())}
        return dict(sorted(records.items(), key=lambda kv: order.get(kv[0], 1 << 30)))

    def _decay_factors(self, info: ParamInfo) -> None:
        """``lr_wd_scale`` (per-step decay factor) from the table's ``lr_wd_product`` rows, or lr x weight_decay;
        a role with ``lr_wd_product`` rows but no ``weight_decay`` rows gets ``wd_scale = lr_wd / lr``."""
        role = info.role
        if not self._has_role_rows(role, "lr_wd_product"):
            info.lr_wd_scale = info.lr_scale * info.wd_scale
            return
        info.lr_wd_scale = self.factor(role, "lr_wd_product", info)
        if not self._has_role_rows(role, "weight_decay"):
            info.wd_scale = info.lr_wd_scale / info.lr_scale
        elif not math.isclose(info.lr_wd_scale, info.lr_scale * info.wd_scale, rel_tol=1e-9):
            self._inconsistent.add(role)

    def terms(self, role: str, quantity: str, info: ParamInfo) -> list[tuple[float, sympy.Rational]]:
        """``[(size/base, power), ...]`` over the table rows ``(role, quantity, dim)`` of one parameter."""
        out = []
        for r in self.table.rows:
            if (r.role, r.quantity) == (role, quantity) and r.power != 0:
                size, base = self._base.size(r.dimension, info)
                out.append((size / base, r.power))
        return out

    def factor(self, role: str, quantity: str, info: ParamInfo) -> float:
        """``prod over rows (role, quantity, dim)`` of ``(size/base)**power`` for one parameter."""
        return _evaluate(self.terms(role, quantity, info))

    def _initialise(self, net):
        modules = dict(net.named_modules())
        with torch.no_grad():
            for info in self.records.values():
                if info.role == "default" or info.role in _roles.NORM_ROLES:
                    continue
                module = modules.get(info.module_name, net)
                p = getattr(module, info.attr)
                f = self.factor(info.role, "init_std", info)
                if self.init_mode == "rescale":
                    if getattr(module, "_se_rescaled", False):
                        raise UserError(f"{info.module_name!r} was already rescaled by a Parametrization; pass init=None "
                                        "to re-apply one (e.g. before loading a checkpoint)")
                    torch_default = isinstance(module, _RESCALE_TYPES)
                    extra = [(info.fan_in_ratio, sympy.Rational(1, 2))] if torch_default else []
                    info.init_scale = _evaluate(self.terms(info.role, "init_std", info) + extra)
                    p.mul_(info.init_scale)
                else:
                    sigma = float(self.init_mode)
                    if info.attr == "bias" or info.role in ("bias", "hidden_bias"):
                        p.zero_()
                    else:
                        p.normal_(0.0, sigma * f)
                    info.init_scale = f
                info.init_std = float(p.float().std()) if p.numel() > 1 else float(p.abs())
            if self.init_mode == "rescale":
                for info in self.records.values():
                    if info.role != "default" and info.role not in _roles.NORM_ROLES:
                        modules.get(info.module_name, net)._se_rescaled = True

    def _install_multipliers(self, net):
        modules = dict(net.named_modules())
        per_module: dict[str, dict[str, float]] = {}
        active: dict[str, set] = {}
        for info in self.records.values():
            uses = [(info.role, info.multiplier, info.module_name, info.attr)] + [
                (role, m, mname, attr) for _, role, m, mname, attr in info.aliases]
            for role, m, mname, attr in uses:
                per_module.setdefault(mname, {})[attr] = m
                if self._has_rows(role, "multiplier"):
                    active.setdefault(mname, set()).add(attr)
        out_mult = {}
        for ma in self.module_roles:
            if ma.role == "residual_branch" and self._has_rows("residual_branch", "multiplier"):
                probe = ParamInfo(ma.module_name, "residual_branch", ma.rule, ma.module_name, "", ())
                out_mult[ma.module_name] = self.factor("residual_branch", "multiplier", probe)
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
                self.notes.append(f"{mname} ({type(module).__name__}): multipliers via torch.nn.utils.parametrize "
                                  "(exact for any module; such modules pickle only through state_dict)")
        self.output_multipliers = out_mult

    def _set_attention(self, net):
        modules = dict(net.named_modules())
        power = self.table.power("attention", "logit_scale", "head_dim")
        has_row = any(r.key() == ("attention", "logit_scale", "head_dim") for r in self.table.rows)
        for ma in self.module_roles:
            if ma.role != "attention":
                continue
            module = modules[ma.module_name]
            if not (hasattr(module, "logit_scale") and hasattr(module, "head_dim")):
                raise UserError(f"module {ma.module_name!r} has role 'attention' but no `logit_scale` buffer and "
                                "`head_dim` attribute (see scaling_exponents.verifier.models.gpt.Attention)")
            if not has_row:
                self.logit_scales[ma.module_name] = (float(module.logit_scale), "model's own (table has no attention row)")
                continue
            d = module.head_dim
            d0 = self._base.head_dim(ma.module_name, d)
            rule = getattr(module, "logit_scale_for", lambda dd: 1.0 / math.sqrt(dd))
            value = rule(d0) * (d / d0) ** float(power)
            module.logit_scale.fill_(value)
            self.logit_scales[ma.module_name] = (value, f"base {rule(d0):.6g} at head_dim {d0:g} x (d/d0)^{fmt(power)}")

    #: quantities applied to parameter roles, and to each module role
    PARAM_QUANTITIES = ("multiplier", "init_std", "lr", "weight_decay", "adam_eps", "lr_wd_product")
    MODULE_QUANTITIES = {"residual_branch": ("multiplier",), "attention": ("logit_scale",)}

    def _unapplied_rows(self) -> list[tuple]:
        """``[(row, reason)]`` for every table row with a non-zero power that this model does not realise."""
        param_roles = {i.role for i in self.records.values()} | {
            r for i in self.records.values() for _, r, *_ in i.aliases}
        module_roles = {ma.role for ma in self.module_roles}
        out = []
        for r in self.table.rows:
            if r.power == 0:
                continue
            reason = None
            if r.role in self.MODULE_QUANTITIES:
                if r.quantity not in self.MODULE_QUANTITIES[r.role]:
                    reason = (f"quantity {r.quantity!r} is not applied to module role {r.role!r} (only "
                              f"{', '.join(self.MODULE_QUANTITIES[r.role])})")
                elif r.role not in module_roles:
                    reason = f"no module has role {r.role!r} (give layers={{pattern: {r.role!r}}})"
                elif r.role == "residual_branch" and not self.multipliers:
                    reason = "multipliers=False"
            elif r.quantity not in self.PARAM_QUANTITIES:
                reason = (f"quantity {r.quantity!r} is not applied to parameters (applied: "
                          f"{', '.join(self.PARAM_QUANTITIES)})")
            elif r.role not in param_roles:
                reason = f"no parameter has role {r.role!r}"
            elif r.quantity == "multiplier" and not self.multipliers:
                reason = "multipliers=False"
            elif r.quantity == "init_std" and self.init_mode is None:
                reason = "init=None: weights left as they are"
            elif r.quantity == "init_std" and r.role in _roles.NORM_ROLES:
                reason = "norm gains and biases are not re-initialised (gain 1, bias 0)"
            elif r.quantity == "lr_wd_product" and r.role in self._inconsistent:
                reason = "inconsistent with the lr x weight_decay rows; the weight_decay rows were used"
            elif r.quantity in ("weight_decay", "lr_wd_product") and r.role in self.no_weight_decay:
                reason = "role is in no_weight_decay (decay 0)"
            if reason:
                out.append((r, reason))
        return out

    def _has_rows(self, role, quantity) -> bool:
        return any((r.role, r.quantity) == (role, quantity) and r.power != 0 for r in self.table.rows)

    # -- optimizer side ---------------------------------------------------------------------------------
    @property
    def param_groups(self) -> list[dict]:
        """Fresh optimizer param groups for the model this was applied to."""
        return self.param_groups_for(self.model)

    def param_groups_for(self, model: nn.Module) -> list[dict]:
        """Param groups for ``model`` matched by parameter name: a deepcopy, an unpickled or DDP-wrapped copy.

        One group per distinct (role, lr_scale, wd_scale, eps_scale); each holds ``lr = lr * lr_scale``,
        ``weight_decay`` per ``weight_decay_mode``, ``eps`` when set, and the keys ``role``, ``lr_scale``,
        ``wd_scale``, ``eps_scale``, ``param_names`` (torch optimizers keep extra keys; schedulers scale
        ``lr`` multiplicatively, so the ratios between groups survive LambdaLR/cosine/WSD schedules).
        """
        params = dict(_roles.unwrap(model).named_parameters())
        missing = [n for n in self.records if n not in params]
        if missing:
            raise UserError(f"model has no parameters named {missing[:5]}; param_groups_for needs the same "
                            "architecture as the model the Parametrization was applied to")
        use_eps = self.eps is not None or self._has_rows_any("adam_eps")
        groups: dict[tuple, dict] = {}
        for name, info in self.records.items():
            key = (info.role, info.lr_scale, info.wd_scale, info.eps_scale)
            if key not in groups:
                lr = self.lr * info.lr_scale
                wd = self.weight_decay * info.wd_scale
                if self.weight_decay_mode == "independent" and wd:
                    # per-step decay: the table's lr_wd_product factor where it has one (registry tables)
                    per_step = info.lr_wd_scale if self._has_role_rows(info.role, "lr_wd_product") else info.wd_scale
                    wd = self.weight_decay * per_step / lr
                if info.role in self.no_weight_decay:
                    wd = 0.0
                g = {"params": [], "param_names": [], "lr": lr, "weight_decay": wd, "role": info.role,
                     "lr_scale": info.lr_scale, "wd_scale": info.wd_scale, "eps_scale": info.eps_scale}
                if use_eps:
                    g["eps"] = (self.eps if self.eps is not None else 1e-8) * info.eps_scale
                groups[key] = g
            groups[key]["params"].append(params[name])
            groups[key]["param_names"].append(name)
        return list(groups.values())

    def _has_rows_any(self, quantity) -> bool:
        return any(r.quantity == quantity and r.power != 0 for r in self.table.rows)

    def lr_of(self, name: str) -> float:
        """The base learning rate of parameter ``name`` (before any scheduler)."""
        return self.lr * self.records[name].lr_scale

    # -- reporting ------------------------------------------------------------------------------------
    def explain(self) -> str:
        """Every parameter: role, why, init std, multiplier, LR (and wd/eps); unmatched patterns; defaults."""
        t = self.table
        nwd = f"; 0 for roles {', '.join(self.no_weight_decay)}" if self.no_weight_decay else ""
        out = [f"Parametrization: {t.heading()}", f"source: {t.source.cite()}",
               "factors are relative to the base shape: prod over dimensions of (size/base)^power "
               "(all 1 at the base shape)", self._base.describe(),
               f"base lr {self.lr:g}, weight_decay {self.weight_decay:g} ({self.weight_decay_mode}{nwd}), "
               f"eps {self.eps if self.eps is not None else ('1e-08' if self._has_rows_any('adam_eps') else 'optimizer default')}, "
               f"init {self.init_mode!r}", ""]
        header = ["parameter", "shape", "role", "width", "init std", "init x", "mult", "lr", "lr x", "wd x", "lr*wd x",
                  "eps x", "why"]
        rows = []
        for info in self.records.values():
            w = "-" if info.width is None else f"{info.width[0]:g}/{info.width[1]:g}"
            std = "-" if info.init_std is None else f"{info.init_std:.4g}"
            ix = "-" if info.init_scale is None else f"{info.init_scale:.4g}"
            mult = f"{info.multiplier:.4g}" + "".join(f"; {n}: {m:.4g}" for n, _, m, _, _ in info.aliases)
            why = info.rule + (f"; tied: {', '.join(f'{n} as {r}' for n, r, *_ in info.aliases)}" if info.aliases else "")
            no_wd = info.role in self.no_weight_decay
            rows.append([info.name, "x".join(map(str, info.shape)), info.role, w, std, ix, mult,
                         f"{self.lr * info.lr_scale:.4g}", f"{info.lr_scale:.4g}",
                         "0" if no_wd else f"{info.wd_scale:.4g}", "0" if no_wd else f"{info.lr_wd_scale:.4g}",
                         f"{info.eps_scale:.4g}", why])
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
        line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
        out += [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
        if self.output_multipliers or self.module_roles:
            out += ["", "module roles:"]
            for ma in self.module_roles:
                if ma.role == "residual_branch":
                    m = self.output_multipliers.get(ma.module_name, 1.0)
                    why = "" if self._has_rows("residual_branch", "multiplier") else "; table has no residual_branch rows"
                    probe = ParamInfo(ma.module_name, "residual_branch", ma.rule, ma.module_name, "", ())
                    terms = " x ".join(f"({r.dimension} {self._base.size(r.dimension, probe)[0]:g}/{self._base.size(r.dimension, probe)[1]:g})"
                                       f"^{fmt(r.power)}" for r in self.table.rows
                                       if (r.role, r.quantity) == ("residual_branch", "multiplier") and r.power != 0)
                    formula = f" = {terms}" if terms and ma.module_name in self.output_multipliers else ""
                    out.append(f"  {ma.module_name}: residual_branch, output x{m:.4g}{formula} ({ma.rule}{why})")
                else:
                    v, why = self.logit_scales.get(ma.module_name, (float("nan"), ""))
                    out.append(f"  {ma.module_name}: attention, logit scale {v:.6g} = {why} ({ma.rule})")
        defaults = [i.name for i in self.records.values() if i.role == "default"]
        empty = sorted({i.role for i in self.records.values() if i.note})
        out.append("")
        out.append("left at PyTorch defaults (no role): " + (", ".join(defaults) if defaults else "none"))
        if empty:
            out.append("roles the table has no rows for (factors 1): " + ", ".join(empty))
        out.append("unmatched patterns: " + (", ".join(map(repr, self.unmatched)) if self.unmatched else "none"))
        if self.unapplied:
            out.append("table rows NOT applied to this model:")
            out += [f"  {r.role} {r.quantity} {r.dimension}^{fmt(r.power)}: {why}" for r, why in self.unapplied]
        else:
            out.append("table rows NOT applied to this model: none")
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out)

    def __repr__(self):
        return self.explain()


def _evaluate(terms) -> float:
    """``prod ratio**power`` with equal ratios merged first, so exponents that cancel give exactly 1."""
    merged: dict[float, sympy.Rational] = {}
    for ratio, power in terms:
        merged[ratio] = merged.get(ratio, sympy.Integer(0)) + power
    f = 1.0
    for ratio, power in merged.items():
        if power != 0:
            f *= ratio ** float(power)
    return f


def _table(param, optimizer, alignment, options) -> ExponentTable:
    if isinstance(param, ExponentTable):
        return param
    if not isinstance(param, str):
        raise UserError(f"param must be a parametrization name (e.g. 'mup', 'mup-table8') or an ExponentTable, got {param!r}")
    return _derive_cached(param, optimizer, alignment, tuple(sorted(options.items())))


@functools.lru_cache(maxsize=64)
def _derive_cached(param, optimizer, alignment, options) -> ExponentTable:
    """``derive`` solves an LP (about a second); a model setup re-uses the table of the same request."""
    from ..systems.registry import derive, get

    spec = get(param)
    if not spec.alignments or spec.alignments == ("",):
        alignment = None  # e.g. TP5 tables: no alignment choice
    if not spec.optimizers or spec.optimizers == ("",):
        optimizer = None
    elif optimizer in ("adam", "adamw") and optimizer not in spec.optimizers:
        # the same LR/eps rules; a table for one serves the other (CompleteP is stated for AdamW only)
        other = {"adam": "adamw", "adamw": "adam"}[optimizer]
        optimizer = other if other in spec.optimizers else optimizer
    return derive(param, optimizer, alignment, **dict(options))


class _Base:
    """Sizes and base sizes per dimension, from a width ratio, a base model, depth and explicit sizes."""

    def __init__(self, owner, net, width, base_width, base_model, depth, base_depth, base_head_dim, sizes):
        table = owner.table
        self.net = net
        self.base_net = _roles.unwrap(base_model) if base_model is not None else None
        self.base_modules = dict(self.base_net.named_modules()) if self.base_net is not None else {}
        self.ratio = None
        dims = {r.dimension for r in table.rows if r.power != 0}
        width_dims = dims & {"width", "fan_in", "fan_out"}
        if self.base_net is None:
            if base_width is not None:
                width = width if width is not None else getattr(net, "width", None)
                if width is None:
                    raise UserError(f"base_width={base_width} needs width= (the model has no `width` attribute)")
                if width <= 0 or base_width <= 0:
                    raise UserError(f"width and base_width must be positive, got {width} and {base_width}")
                self.ratio = width / base_width
                self.width_desc = f"width {width:g} / base {base_width:g} = {self.ratio:g}"
            elif width is not None:
                raise UserError(f"width={width} needs base_width= (or base_model=) to say what the base shape is")
            elif width_dims:
                raise UserError(f"{table.parametrization} scales with {'/'.join(sorted(width_dims))}: give base_width= (and width=, default "
                                "model.width) or base_model= (a smaller instance of the same model)")
            else:
                self.ratio = 1.0
                self.width_desc = "width: table has no width rows"
        else:
            self.width_desc = f"width: per-parameter base fans read from base model {type(self.base_net).__name__}"
        self.depth = depth if depth is not None else getattr(net, "depth", None)
        if base_depth is None and self.base_net is not None:
            base_depth = getattr(self.base_net, "depth", None)
        self.base_depth = base_depth
        if "depth" in dims and (self.depth is None or self.base_depth is None):
            raise UserError(f"{table.parametrization} scales with depth: give depth= (default model.depth) and "
                            "base_depth= (or a base_model with a `depth` attribute)")
        self.base_head_dim = base_head_dim
        self.sizes = dict(sizes)
        for d in dims - {"width", "depth", "head_dim", "fan_in", "fan_out"}:
            if d not in self.sizes:
                raise UserError(f"{table.parametrization} has rows along {d!r}: give sizes={{{d!r}: (size, base)}}")

    def _base_param(self, a, shape):
        module = self.base_modules.get(a.module_name)
        p = getattr(module, a.attr, None) if module is not None else None
        if not isinstance(p, torch.Tensor):
            raise UserError(f"base_model has no parameter {a.name!r}; it must be a smaller instance of the same model")
        if p.dim() != len(shape):
            raise UserError(f"base_model's {a.name!r} has shape {tuple(p.shape)}, the model's {shape}")
        return self.base_modules[a.module_name], p

    def width(self, a, module, p, role):
        fan = _width_fan(role, module, a.attr, p)
        if self.base_net is not None:
            bm, bp = self._base_param(a, tuple(p.shape))
            return (fan, _width_fan(role, bm, a.attr, bp))
        if p.dim() < 2 and a.layer_role == "readout":
            return (fan, fan)  # the readout's bias has the output (finite) dimension
        return (fan, fan / self.ratio)

    def fans(self, a, module, p):
        """``{"fan_in": (size, base), "fan_out": (size, base)}`` of one parameter (u-muP's fan rows).

        With a global ratio, every fan grows with width except the input layer's fan_in (data / vocabulary)
        and the readout's fan_out (and its bias)."""
        fi, fo = _dim_fans(module, a.attr, p)
        if self.base_net is not None:
            bm, bp = self._base_param(a, tuple(p.shape))
            bfi, bfo = _dim_fans(bm, a.attr, bp)
        elif p.dim() < 2:
            bfi = bfo = fi if a.layer_role == "readout" else fi / self.ratio
        else:
            bfi = fi if a.layer_role == "embedding" else fi / self.ratio
            bfo = fo if a.layer_role == "readout" else fo / self.ratio
        return {"fan_in": (fi, bfi), "fan_out": (fo, bfo)}

    def fan_in_ratio(self, a, module, p):
        """fan_in / base fan_in of the layer (for PyTorch's default init std ∝ fan_in^-1/2)."""
        fan_in = _fans(module, a.attr, p)[0]
        if self.base_net is not None:
            bm, bp = self._base_param(a, tuple(p.shape))
            return fan_in / _fans(bm, a.attr, bp)[0]
        # global ratio: the input layer's fan_in (data dimension) does not grow with width
        return 1.0 if a.layer_role == "embedding" else self.ratio

    def size(self, dim, info):
        if dim == "width":
            return info.width
        if dim == "depth":
            return (self.depth, self.base_depth)
        if dim in ("fan_in", "fan_out"):
            if info.fans is None:
                raise UserError(f"the table has {info.role!r} rows along {dim!r}, which only parameters have")
            return info.fans[dim]
        if dim in self.sizes:
            return self.sizes[dim]
        raise UserError(f"no size for dimension {dim!r} of role {info.role!r}; give sizes={{{dim!r}: (size, base)}}")

    def head_dim(self, module_name, d):
        if self.base_head_dim is not None:
            return self.base_head_dim
        bm = self.base_modules.get(module_name)
        if bm is not None and hasattr(bm, "head_dim"):
            return bm.head_dim
        grows = getattr(self.net, "head_dim_scales_with_width", None)  # models.GPT says how it was built
        if grows is False:
            return d
        if grows and self.ratio is not None:
            return d / self.ratio
        raise UserError("the table scales attention logits with head_dim: give base_head_dim= (the base model's "
                        "head dimension) or base_model=")

    def describe(self):
        parts = [self.width_desc]
        if self.depth is not None and self.base_depth is not None:
            parts.append(f"depth {self.depth} / base {self.base_depth}")
        parts += [f"{d} {s} / base {b}" for d, (s, b) in self.sizes.items()]
        return "sizes: " + "; ".join(parts)
