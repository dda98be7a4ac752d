"""``Parametrization``: apply a derived exponent table to a PyTorch model.

Given an :class:`~scaling_exponents.theory.table.ExponentTable` (rows ``quantity ∝ dimension^power``),
``Parametrization(model, ...)``

1. resolves each parameter's role (glob patterns or auto-detection, :mod:`.roles`);
2. re-initialises weights so their std is the base model's std times the table's ``init_std`` factor;
3. installs forward multipliers (``multiplier`` rows; output multipliers of the module roles ``residual_branch``
   and ``adapter``, a LoRA adapter's ``gamma``, :data:`.roles.OUTPUT_ROLES`) and the
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
import math

import sympy
import torch
from torch import nn

from ..errors import UserError
from ..theory import factors as _factors
from ..theory.exponents import fmt
from . import explain as _explain
from . import groups as _groups
from . import initialise as _init
from . import mha as _mha
from . import multiplier as _mult
from . import matrix_roles as _mroles
from . import online as _online
from . import presets as _presets
from .presets import hf as _hf
from . import roles as _roles
from . import safety as _safety
from .records import ParamInfo
from .shapes import BaseShapes
from .tables import resolve_table as _table

INIT_MODES = ("rescale", "float std", None)
WD_MODES = ("decoupled", "coupled", "independent")


class Parametrization:
    """Apply a muP-family parametrization (a derived exponent table) to ``model``; see the module doc.

    Args:
        model: the model (DDP/``torch.compile`` wrappers are unwrapped for matching).
        param: a parametrization name for :func:`scaling_exponents.derive` (``"mup"``, ``"mup-table8"``,
            ``"sp"``, ...) or an already-derived :class:`ExponentTable`.
        optimizer, alignment, options: passed to ``derive`` (``alignment=None``: the paper's default;
            ``"adam"`` and ``"adamw"`` stand in for each other when a table covers only one, e.g. CompleteP).
        layers: ``{glob pattern: role or (roles...)}`` on module or parameter names; ``None`` uses the
            model family's preset (:mod:`.presets`: GPT-2, Llama, Mistral, Qwen2) or else auto-detects
            (:func:`.roles.auto`).  Parameters not matched keep PyTorch's defaults (role ``default``).
        width, base_width: global width ratio (``width`` defaults to ``model.width``).
        base_model: a smaller instance; per-parameter base fans are read from it (mup's base shapes).
        base_config: for a Hugging Face model, the base model's config (a base instance is built from it
            on the meta device; ``base_depth`` defaults to its ``num_hidden_layers``), :mod:`.presets.hf`.
        depth, base_depth: for rows with dimension ``depth`` (``depth`` defaults to ``model.depth``).
        base_head_dim: base head dimension for the attention logit-scale row (default: from base_model, or
            for models.GPT from how it was built: head_dim/ratio when n_head is fixed, head_dim when fixed).
        sizes: ``{dimension: (size, base)}`` for any other dimension a table uses (e.g. ``experts``).
        block_size: preconditioner block size of per-matrix Shampoo/SOAP tables (rows along ``blocks``,
            ``block_in``, ``block_out``; :mod:`.matrix_roles`); ``None``: one block per matrix.
        lr, weight_decay, eps: base values; groups get ``lr * lr_scale`` etc.  ``eps=None`` leaves the
            optimizer's eps unless the table has ``adam_eps`` rows (then base eps 1e-8).
        weight_decay_mode: ``"decoupled"`` (AdamW), ``"coupled"`` (L2) or ``"independent"``.
        init: ``"rescale"`` (multiply the current weights, assumed PyTorch-default initialised, by
            ``sqrt(fan_in/base_fan_in)`` for Linear/Conv times the ``init_std`` factor -- mup's
            ``rescale_params=True``; a role with no ``init_std`` row is left as is, :mod:`.initialise`), a float ``sigma`` (resample weights ``N(0, (sigma*factor)^2)``, zero
            biases; a user-given base std such as 0.02), or ``None`` (leave weights; use when re-applying
            to a model whose checkpoint you will load).
        multipliers: install forward multipliers (default ``True``).
        no_weight_decay: roles whose groups get ``weight_decay`` 0 (e.g. ``("norm", "final_norm",
            "hidden_bias")`` as nanoGPT-mup); default none.
        table: a measured-alignment table from ``align`` (path to its JSON, dict or
            :class:`~scaling_exponents.systems.everett2024_aligned.AlignedTable`): per-weight LR exponents replace the
            table's ``lr`` rows for those weights (:func:`.online.apply_table`).
        readout_zero_init: start the readout weight (and its bias) at 0, as microsoft/mup's
            ``MuReadout(readout_zero_init=True)`` (:mod:`.safety`).
        strict: raise :class:`UserError` instead of warning when a parameter is unmanaged (no role), matched
            by two patterns, or frozen (``requires_grad=False``: not re-initialised, no optimizer group).
    """

    def __init__(self, model: nn.Module, param="mup", optimizer: str | None = "adam", alignment: str | None = None,
                 *, layers: dict | None = None, width=None, base_width=None, base_model: nn.Module | None = None,
                 depth=None, base_depth=None, base_head_dim=None, sizes: dict | None = None,
                 lr: float = 1e-3, weight_decay: float = 0.0, weight_decay_mode: str = "decoupled",
                 eps: float | None = None, init="rescale", multipliers: bool = True, options: dict | None = None,
                 no_weight_decay=(), readout_zero_init: bool = False, strict: bool = False, table=None,
                 block_size: int | None = None, base_config=None):
        self.table = _table(param, optimizer, alignment, options or {})
        self.model = model
        net = _roles.unwrap(model)
        self.preset, base_model, width, depth, base_depth = _presets.resolve(
            self.table, net, layers, base_config, base_model, width, base_width, depth, base_depth)
        _safety.check_scalars(lr, weight_decay, weight_decay_mode, eps, init, WD_MODES)
        self.lr, self.weight_decay, self.weight_decay_mode, self.eps = float(lr), float(weight_decay), weight_decay_mode, eps
        self.init_mode = init
        self.multipliers = bool(multipliers)
        if isinstance(no_weight_decay, str):
            no_weight_decay = (no_weight_decay,)
        self.no_weight_decay = tuple(no_weight_decay or ())
        self.layers = layers
        self.block_size = block_size
        self.notes: list[str] = []
        self._inconsistent: set[str] = set()

        self.doubles: list[tuple[str, str, str]] = []
        self.frozen = _safety.frozen_names(net)
        self.readout_zero_init = bool(readout_zero_init)
        assigned, mod_assigned, self.unmatched = _roles.resolve(net, self.preset, layers, self.doubles, self.notes)
        self._validate_roles(assigned, mod_assigned)
        known = set(_roles.PARAM_ROLES) | set(self.table.roles)
        for r in self.no_weight_decay:
            if r not in known:
                raise UserError(f"no_weight_decay names unknown role {r!r}; roles: {', '.join(sorted(known))}")

        self._base = BaseShapes(self, net, width, base_width, base_model, depth, base_depth, base_head_dim, sizes or {})
        self.records: dict[str, ParamInfo] = self._build_records(net, assigned)
        self.module_roles = mod_assigned
        self._per_layer: set = set()  # weights with their own optimizer group (measured alignment)
        self._online = None
        self.aligned = None if table is None else _online.apply_table(self, table)
        self._explicit_default = {a.name for a in assigned if a.role == "default"}
        _safety.check_width(self, width, base_width)
        if init is not None:
            _safety.check_meta(net, init)
            self._initialise(net)
        if self.readout_zero_init:
            self.zeroed = _safety.zero_readout(self, net)
        self.output_multipliers: dict[str, float] = {}
        self.logit_scales: dict[str, tuple[float, str]] = {}
        if multipliers:
            self._install_multipliers(net)
        self._set_attention(net)
        self.unapplied = self._unapplied_rows()
        _safety.report(self, strict)

    # -- setup -----------------------------------------------------------------------------------------
    def _validate_roles(self, assigned, mod_assigned):
        known = (set(_roles.PARAM_ROLES) | set(self.table.roles) | set(_mroles.ROLES) | {"default"}) - set(_roles.MODULE_ROLES)
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
            role = _mroles.table_role(self.table, self._role_of(a), p.dim())
            rule = a.rule
            if role == _mroles.WEIGHT and a.role != _mroles.WEIGHT:
                rule += f"; per-matrix table: {a.role} matrix takes the weight rows with its own fans"
            elif role != a.role:
                rule += ("; a hidden layer's bias: hidden_bias" if role == "hidden_bias"
                         else f"; table has no {a.role} rows: {role}")
            info = ParamInfo(a.name, role, rule, a.module_name, a.attr, tuple(p.shape), model_role=a.role)
            if role != "default":
                info.width = self._base.width(a, module, p, role)
                info.fans = self._base.fans(a, module, p)
                if role == _mroles.WEIGHT and p.dim() >= 2:
                    info.dims = _mroles.block_sizes(info.fans, self.block_size)
                info.fan_in_ratio = self._base.fan_in_ratio(a, module, p)
                info.multiplier = self.factor(role, "multiplier", info)
                info.lr_scale = self.factor(role, "lr", info)
                info.wd_scale = self.factor(role, "weight_decay", info)
                # per-matrix tables state the optimizer's damping/epsilon as ``damping`` (arXiv 2512.05620 Table 2)
                info.eps_scale = self.factor(role, "damping" if self._has_role_rows(role, "damping") else "adam_eps", info)
                self._decay_factors(info)
                if role not in self.table.roles:
                    info.note = f"table has no rows for role {role!r}: defaults kept"
            records[a.name] = info
        for name, a in aliases:  # tied parameters: a second use (e.g. head.weight is embed.weight)
            if name not in records:
                raise UserError(f"parameter {a.name!r} is tied to {name!r}, which no role covers; give both a role")
            main = records[name]
            tied_p = getattr(modules[a.module_name], a.attr)
            role = _mroles.table_role(self.table, self._role_of(a), tied_p.dim())
            probe = ParamInfo(a.name, role, a.rule, a.module_name, a.attr, main.shape)
            probe.width = self._base.width(a, modules[a.module_name], tied_p, role)
            probe.fans = self._base.fans(a, modules[a.module_name], tied_p)
            if role == _mroles.WEIGHT:
                probe.dims = _mroles.block_sizes(probe.fans, self.block_size)
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
        return _factors.terms(self.table, role, quantity, lambda dim: self._base.size(dim, info))

    def factor(self, role: str, quantity: str, info: ParamInfo) -> float:
        """``prod over rows (role, quantity, dim)`` of ``(size/base)**power`` for one parameter
        (:func:`scaling_exponents.theory.factors.evaluate`, the one evaluator)."""
        return _factors.evaluate(self.terms(role, quantity, info))

    def _initialise(self, net):
        _init.initialise(self, net)

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
            if ma.role in _roles.OUTPUT_ROLES and self._has_rows(ma.role, "multiplier"):  # residual branch, adapter, MoE
                probe = ParamInfo(ma.module_name, ma.role, ma.rule, ma.module_name, "", ())
                # several output roles on one module (a residual branch that is also an MoE layer): factors multiply
                out_mult[ma.module_name] = out_mult.get(ma.module_name, 1.0) * self.factor(ma.role, "multiplier", probe)
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
            h = _hf.attention_handle(modules[ma.module_name])  # a `logit_scale` buffer or HF's float `scaling`
            if h is None:
                raise UserError(f"module {ma.module_name!r} has role 'attention' but no `logit_scale` buffer and "
                                "`head_dim` attribute (see scaling_exponents.verifier.models.gpt.Attention), nor "
                                "a Hugging Face float `scaling` attribute")
            if not has_row:
                self.logit_scales[ma.module_name] = (h.current(), "model's own (table has no attention row)")
                continue
            d0 = self._base.head_dim(ma.module_name, h.head_dim)
            value = h.rule(d0) * _factors.factor(power, h.head_dim, d0)
            h.set(value)
            self.logit_scales[ma.module_name] = (value, f"base {h.rule(d0):.6g} at head_dim {d0:g} x (d/d0)^{fmt(power)}")

    #: quantities applied to parameter roles, and to each module role (see :mod:`.explain`)
    PARAM_QUANTITIES = _explain.PARAM_QUANTITIES
    MODULE_QUANTITIES = _explain.MODULE_QUANTITIES

    def _unapplied_rows(self) -> list[tuple]:
        return _explain.unapplied_rows(self)

    def _has_rows(self, role, quantity) -> bool:
        return any((r.role, r.quantity) == (role, quantity) and r.power != 0 for r in self.table.rows)

    # -- optimizer side ---------------------------------------------------------------------------------
    @property
    def param_groups(self) -> list[dict]:
        """Fresh optimizer param groups for the model this was applied to."""
        return self.param_groups_for(self.model)

    def param_groups_for(self, model: nn.Module) -> list[dict]:
        """Param groups for ``model`` matched by parameter name: a deepcopy, an unpickled or DDP-wrapped copy;
        see :func:`.groups.param_groups_for`."""
        return _groups.param_groups_for(self, model)

    def _has_rows_any(self, quantity) -> bool:
        return any(r.quantity == quantity and r.power != 0 for r in self.table.rows)

    def fold(self, optimizer: str | None = None, eps: float = 1e-8):
        """A plain model with the multipliers baked in, and the LRs that train it the same way (:mod:`.fold`)."""
        from .fold import fold

        return fold(self, optimizer, eps)

    def lr_of(self, name: str) -> float:
        """The base learning rate of parameter ``name`` (before any scheduler)."""
        return self.lr * self.records[name].lr_scale

    # -- measured alignment (seed 003 Phase 2; :mod:`.online`) --------------------------------------------
    def online(self, probe, **kwargs):
        """Start online per-layer LRs from measured alignment (:class:`.online.OnlineAlignment`); call before
        building the optimizer from ``param_groups``, then ``attach(optimizer, *schedulers)``."""
        self._online = _online.OnlineAlignment(self, probe, **kwargs)
        return self._online

    def step(self) -> bool:
        """One training step of the online alignment solver: measure, re-solve and set LRs when due."""
        if self._online is None:
            raise UserError("param.step() needs param.online(probe, ...) first (measured-alignment LRs)")
        return self._online.step()

    # -- reporting ------------------------------------------------------------------------------------
    def explain(self, width: int | None = 100) -> str:
        """Every parameter: role, why, init std, multiplier, LR (and wd/eps); unmatched patterns; defaults; safety
        warnings.  Fits in ``width`` columns (``None``: one line per parameter)."""
        return _explain.explain(self, width)

    def __repr__(self):
        return self.explain()
