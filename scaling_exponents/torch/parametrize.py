"""``Parametrization``: apply a derived exponent table to a PyTorch model -- the front door over plan, apply, groups.

Given an :class:`~scaling_exponents.theory.table.ExponentTable` (rows ``quantity ∝ dimension^power``),
``Parametrization(model, ...)``

1. resolves each parameter's role (glob patterns, a model family's preset or auto-detection, :mod:`.roles`);
2. makes the :class:`~.plan.Plan`: one frozen record per parameter with its fans and factors (:mod:`.plan`);
3. applies it (:func:`.apply.apply`): re-initialises weights so their std is the base model's std times the
   table's ``init_std`` factor, installs forward multipliers (``multiplier`` rows; output multipliers of the module
   roles ``residual_branch`` and ``adapter``) and the attention logit scale;
4. exposes ``param_groups`` (:func:`.groups.param_groups`, a pure function of the plan) with per-group ``lr``,
   ``weight_decay`` and ``eps`` and the factors behind them, so any torch optimizer and LR scheduler compose.

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

**Signature.**  ``Parametrization(model, param, optimizer, alignment, *, layers, base_model, lr, settings,
**sizes)``: sizes are keywords (``width=256, base_width=64, depth=8, base_depth=2``, ``sizes={"experts": (8, 2)}``;
:mod:`.settings`), everything else is one :class:`~.settings.Settings` (or dict): ``settings={"weight_decay": 0.1,
"init": 0.02, "strict": True}``.  Weight-decay modes: :mod:`.groups`.

Every table row with a non-zero power is either applied or listed by :meth:`Parametrization.explain` under
"table rows NOT applied", with the reason (no parameter has that role, ``init=None``, ...).
"""

from __future__ import annotations

from torch import nn

from ..errors import UserError
from . import explain as _explain
from . import groups as _groups
from . import online as _online
from . import presets as _presets
from . import roles as _roles
from . import safety as _safety
from .apply import apply as _apply
from .plan import Plan
from .records import ParamInfo
from .settings import Settings, check_scalars, sizes_from
from .shapes import BaseShapes
from .tables import resolve_table as _table


__all__ = ["Parametrization", "ParamInfo", "Settings"]


class Parametrization:
    """Apply a muP-family parametrization (a derived exponent table) to ``model``; see the module doc.

    Args:
        model: the model (DDP/``torch.compile`` wrappers are unwrapped for matching).
        param: a parametrization name for :func:`scaling_exponents.derive` (``"mup"``, ``"mup-table8"``,
            ``"sp"``, ...) or an already-derived :class:`ExponentTable`.
        optimizer, alignment: passed to ``derive`` (``alignment=None``: the paper's default; ``"adam"`` and
            ``"adamw"`` stand in for each other when a table covers only one, e.g. CompleteP).  A table with no
            optimizer choice (one table for every optimizer: ``am-mup``, ``ssm-mup``, ``multipath-depth``,
            ``umup-ops``) refuses any optimizer but ``None`` and the default ``"adam"`` (a ``UserError``: ``"sgd"``
            would otherwise be silently dropped); ``"adam"`` is accepted because the default cannot be told from an
            explicit ``"adam"``.
        layers: ``{glob pattern: role or (roles...)}`` on module or parameter names; ``None`` uses the
            model family's preset (:mod:`.presets`: GPT-2, Llama, Mistral, Qwen2) or else auto-detects
            (:func:`.roles.auto`).  Parameters not matched keep PyTorch's defaults (role ``default``).
        base_model: a smaller instance; per-parameter base fans are read from it (mup's base shapes).  For a
            Hugging Face model it may be the base model's *config* (a base instance is built from it on the meta
            device; ``base_depth`` defaults to its ``num_hidden_layers``), :mod:`.presets.hf`.
        lr: base learning rate; groups get ``lr * lr_scale``.
        settings: a :class:`~.settings.Settings` or a dict of its fields:
            ``weight_decay`` (base value, groups get ``weight_decay * wd_scale``), ``weight_decay_mode``
            (``"decoupled"`` AdamW, ``"coupled"`` L2 or ``"independent"``, :mod:`.groups`), ``eps`` (``None``
            leaves the optimizer's eps unless the table has ``adam_eps`` rows, then base eps 1e-8),
            ``init`` (``"rescale"``: multiply the current weights, assumed PyTorch-default initialised, by
            ``sqrt(fan_in/base_fan_in)`` for Linear/Conv times the ``init_std`` factor -- mup's
            ``rescale_params=True``; a role with no ``init_std`` row is left as is, :mod:`.initialise`; a float
            ``sigma`` resamples weights ``N(0, (sigma*factor)^2)`` with zero biases; ``None`` leaves the weights,
            e.g. before loading a checkpoint), ``multipliers`` (install forward multipliers, default ``True``),
            ``options`` (derive's paper options), ``no_weight_decay`` (roles whose groups get decay 0, e.g.
            ``("norm", "final_norm", "hidden_bias")`` as nanoGPT-mup), ``readout_zero_init`` (start the readout
            at 0 as microsoft/mup's ``MuReadout(readout_zero_init=True)``), ``strict`` (raise :class:`UserError`
            instead of warning when a parameter is unmanaged, matched by two patterns, or frozen), ``table``
            (a measured-alignment table from ``align``: per-weight LR exponents replace the table's ``lr`` rows,
            :func:`.online.apply_table`), ``block_size`` (preconditioner block of per-matrix Shampoo/SOAP
            tables, :mod:`.matrix_roles`; ``None``: one block per matrix).
        **sizes: ``width=``, ``base_width=`` (the global width ratio; ``width`` defaults to ``model.width``),
            ``depth=``, ``base_depth=`` (rows along ``depth``; ``depth`` defaults to ``model.depth``),
            ``base_head_dim=`` (the attention row; default from base_model, or for models.GPT from how it was
            built), ``DIM=(size, base)`` for the other dimensions of the vocabulary and ``sizes={DIM: (size,
            base)}`` for any dimension (:func:`.settings.sizes_from`).
    """

    def __init__(self, model: nn.Module, param="mup", optimizer: str | None = "adam", alignment: str | None = None,
                 *, layers: dict | None = None, base_model=None, lr: float = 1e-3, settings=None, **sizes):
        size = sizes_from(sizes)
        s = self.settings = Settings.of(settings)
        check_scalars(lr, s.weight_decay, s.weight_decay_mode, s.eps)
        self.table = _table(param, optimizer, alignment, s.options or {})
        self.model, self.layers, self.lr = model, layers, float(lr)
        net = _roles.unwrap(model)
        base_config = None
        if base_model is not None and not isinstance(base_model, nn.Module):
            base_model, base_config = None, base_model  # a Hugging Face config: a base model on the meta device
        self.preset, base_model, width, depth, base_depth = _presets.resolve(
            self.table, net, layers, base_config, base_model, size.width, size.base_width, size.depth, size.base_depth)
        self.roles = _roles.resolve_roles(net, self.preset, layers)
        shapes = BaseShapes(self.table, net, width, size.base_width, base_model, depth, base_depth,
                            size.base_head_dim, size.other)
        plan = Plan.from_table(self.table, net, self.roles, shapes, s.block_size)
        _groups.check_no_weight_decay(plan, s.no_weight_decay)
        self.notes: list[str] = list(self.roles.notes)
        self._online = None
        self.aligned = None
        if s.table is not None:
            plan, self.aligned, note = _online.apply_table(plan, model, s.table)
            self.notes.append(note)
        _safety.check_width(plan, width, size.base_width)
        self.applied = _apply(plan, model, init=s.init, multipliers=s.multipliers,
                              readout_zero_init=s.readout_zero_init,
                              constant_init=bool(getattr(self.preset, "constant_init", False)))
        self.plan: Plan = self.applied.plan
        self.notes += self.applied.notes
        self.unapplied = _explain.unapplied_rows(self)
        _safety.report(self, s.strict)

    # -- what was planned and applied (read-only views) ------------------------------------------------
    @property
    def records(self):
        """``{parameter name: ParamInfo}`` of the current plan (read-only)."""
        return self.plan.records

    @property
    def output_multipliers(self) -> dict:
        """``{module: output multiplier}`` of the module roles ``residual_branch`` / ``adapter``."""
        return self.applied.output_multipliers

    @property
    def logit_scales(self) -> dict:
        """``{attention module: (logit scale, why)}``."""
        return self.applied.logit_scales

    @property
    def zeroed(self) -> list:
        """Parameters zeroed by ``readout_zero_init``."""
        return list(self.applied.zeroed)

    @property
    def unmatched(self) -> list:
        """``layers`` patterns that matched nothing."""
        return list(self.roles.unmatched)

    @property
    def frozen(self) -> frozenset:
        """Parameters with ``requires_grad=False`` (not re-initialised, no optimizer group)."""
        return self.plan.frozen

    def factor(self, role: str, quantity: str, info: ParamInfo) -> float:
        """The table's factor of ``quantity`` for ``role`` at one parameter's sizes (:meth:`.plan.Plan.factor`)."""
        return self.plan.factor(role, quantity, info)

    # -- optimizer side ---------------------------------------------------------------------------------
    @property
    def param_groups(self) -> list[dict]:
        """Fresh optimizer param groups for the model this was applied to."""
        return self.param_groups_for(self.model)

    def param_groups_for(self, model: nn.Module) -> list[dict]:
        """Param groups for ``model`` matched by parameter name (a deepcopy, an unpickled or DDP-wrapped copy) with
        this parametrization's lr and settings (:func:`.groups.param_groups`); installs the :mod:`.lr_guard`."""
        from . import lr_guard

        lr_guard.install()  # warns when an optimizer's own lr= would be silently overridden by these groups
        s = self.settings
        return _groups.param_groups(self.plan, model, lr=self.lr, weight_decay=s.weight_decay,
                                    mode=s.weight_decay_mode, eps=s.eps, no_weight_decay=s.no_weight_decay)

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
