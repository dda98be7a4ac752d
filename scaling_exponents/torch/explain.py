"""What a :class:`~.parametrize.Parametrization` did (its plan, what apply did, its settings), as text: every
parameter's role, fans and factors, and every table row it did NOT apply with the reason (so nothing is silently
half-applied)."""

from __future__ import annotations

from ..theory.exponents import fmt
from ..theory.grid import WIDTH, grid, wrap
from . import matrix_roles as _mroles
from . import roles as _roles
from . import safety as _safety
from .records import ParamInfo

PARAM_QUANTITIES = ("multiplier", "init_std", "lr", "weight_decay", "adam_eps", "lr_wd_product", "damping")
#: Rows of the Muon-convention tables that the optimizer's code realises, not the parameter groups.
CODE_QUANTITIES = {
    "lr_adjustment": "the optimizer's own LR adjustment a(A, B): torch.optim.Muon adjust_lr_fn "
                     "(scaling_exponents.verifier.optimizers.MUON_CODE), not a group factor",
    "effective_lr": "group lr x the optimizer's adjustment (lr_adjustment row); the group carries the lr row",
}
MODULE_QUANTITIES = {"residual_branch": ("multiplier",), "adapter": ("multiplier",), "moe_output": ("multiplier",),
                     "attention": ("logit_scale",)}


def unapplied_rows(self) -> list[tuple]:
    """``[(row, reason)]`` for every table row with a non-zero power that this model does not realise."""
    param_roles = {i.role for i in self.records.values()} | {
        r for i in self.records.values() for _, r, *_ in i.aliases}
    module_roles = {ma.role for ma in self.plan.module_roles}
    out = []
    for r in self.table.rows:
        if r.power == 0:
            continue
        reason = None
        if r.role in MODULE_QUANTITIES:
            if r.quantity not in MODULE_QUANTITIES[r.role]:
                reason = (f"quantity {r.quantity!r} is not applied to module role {r.role!r} (only "
                          f"{', '.join(MODULE_QUANTITIES[r.role])})")
            elif r.role not in module_roles:
                reason = f"{_safety.NO_MODULE} {r.role!r} (give layers={{pattern: {r.role!r}}})"
            elif r.role in _roles.OUTPUT_ROLES and not self.settings.multipliers:
                reason = "multipliers=False"
        elif r.quantity in CODE_QUANTITIES:
            reason = CODE_QUANTITIES[r.quantity] + (_embedding_transposed(self) if r.quantity == "lr_adjustment" else "")
        elif r.quantity not in PARAM_QUANTITIES:
            reason = (f"quantity {r.quantity!r} is not applied to parameters (applied: "
                      f"{', '.join(PARAM_QUANTITIES)})")
        elif r.role not in param_roles:
            reason = f"{_safety.NO_PARAMETER} {r.role!r}"
        elif r.quantity == "multiplier" and not self.settings.multipliers:
            reason = "multipliers=False"
        elif r.quantity == "init_std" and self.settings.init is None:
            reason = "init=None: weights left as they are"
        elif r.quantity == "init_std" and r.role in _roles.NORM_ROLES:
            reason = "norm gains and biases are not re-initialised (gain 1, bias 0)"
        elif r.quantity == "lr_wd_product" and r.role in self.plan.inconsistent:
            reason = "inconsistent with the lr x weight_decay rows; the weight_decay rows were used"
        elif r.quantity in ("weight_decay", "lr_wd_product") and r.role in self.settings.no_weight_decay:
            reason = "role is in no_weight_decay (decay 0)"
        if reason:
            out.append((r, reason))
    return out


def _embedding_transposed(self) -> str:
    """Both forms of an LR adjustment on the model's ``nn.Embedding`` tables (issue 23): the table states it in the
    matrix's fans (fan_in = V, fan_out = n: sqrt(max(1, fan_out/fan_in)) = sqrt(max(1, n/V)) for torch's "original"),
    while torch.optim.Muon computes it from the stored weight (V x n): sqrt(max(1, V/n)), the transpose."""
    import torch

    modules = dict(_roles.unwrap(self.model).named_modules())
    names = [i.name for i in self.records.values()
             if isinstance(modules.get(i.module_name), torch.nn.Embedding) and i.attr == "weight"]
    if not names:
        return ""
    return (f"; on this model's nn.Embedding ({', '.join(names[:3])}: weight V x n) the code computes it from the "
            "stored shape, sqrt(max(1, V/n)) under adjust_lr_fn='original' -- the transpose of the table's "
            "sqrt(max(1, n/V)) for a fan_in-V matrix; multiply that group's lr by the ratio to follow the table")


def explain(self, width: int | None = WIDTH) -> str:
    """Every parameter: role, why, init std, multiplier, LR (and wd/eps); unmatched patterns; defaults."""
    t, s = self.table, self.settings
    nwd = f"; 0 for roles {', '.join(s.no_weight_decay)}" if s.no_weight_decay else ""
    out = [f"Parametrization: {t.heading()}", f"source: {t.source.cite()}",
           "factors are relative to the base shape: prod over dimensions of (size/base)^power "
           "(all 1 at the base shape)", self.plan.shapes.describe(),
           f"base lr {self.lr:g}, weight_decay {s.weight_decay:g} ({s.weight_decay_mode}{nwd}), "
           f"eps {s.eps if s.eps is not None else ('1e-08' if self.plan.has_quantity('adam_eps') or self.plan.has_quantity('damping') else 'optimizer default')}, "
           f"init {s.init!r}", ""]
    header = ["parameter", "shape", "role", "width", "init std", "init x", "mult", "lr", "lr x", "wd x", "lr*wd x",
              "eps x", "why"]
    rows = []
    for info in self.records.values():
        w = "-" if info.width is None else f"{info.width[0]:g}/{info.width[1]:g}"
        if info.dims:  # a matrix under a per-matrix table: its own fans (and blocks) are its dimensions
            w = _mroles.describe(info)
        std = "-" if info.init_std is None else f"{info.init_std:.4g}"
        ix = "-" if info.init_scale is None else f"{info.init_scale:.4g}"
        mult = f"{info.multiplier:.4g}" + "".join(f"; {n}: {m:.4g}" for n, _, m, _, _ in info.aliases)
        why = info.rule + (f"; tied: {', '.join(f'{n} as {r}' for n, r, *_ in info.aliases)}" if info.aliases else "")
        no_wd = info.role in s.no_weight_decay
        rows.append([info.name, "x".join(map(str, info.shape)), info.role, w, std, ix, mult,
                     f"{self.lr * info.lr_scale:.4g}", f"{info.lr_scale:.4g}",
                     "0" if no_wd else f"{info.wd_scale:.4g}", "0" if no_wd else f"{info.lr_wd_scale:.4g}",
                     f"{info.eps_scale:.4g}", why])
    out += grid(header, rows, width)
    if self.output_multipliers or self.plan.module_roles:
        out += ["", "module roles:"]
        for ma in self.plan.module_roles:
            if ma.role in _roles.OUTPUT_ROLES:
                why = "" if self.plan.has_rows(ma.role, "multiplier") else f"; table has no {ma.role} rows"
                probe = ParamInfo(ma.module_name, ma.role, ma.rule, ma.module_name, "", ())
                # this role's own factor (a module with several output roles gets their product)
                m = self.factor(ma.role, "multiplier", probe) if ma.module_name in self.output_multipliers else 1.0
                terms = " x ".join(f"({r.dimension} {self.plan.shapes.size(r.dimension, probe)[0]:g}/{self.plan.shapes.size(r.dimension, probe)[1]:g})"
                                   f"^{fmt(r.power)}" for r in self.table.rows
                                   if (r.role, r.quantity) == (ma.role, "multiplier") and r.power != 0)
                formula = f" = {terms}" if terms and ma.module_name in self.output_multipliers else ""
                out.append(f"  {ma.module_name}: {ma.role}, output x{m:.4g}{formula} ({ma.rule}{why})")
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
    out += [f"warning: {p}" for p in _safety.problems(self)]
    if getattr(self, "zeroed", None):
        out.append("readout_zero_init: zeroed " + ", ".join(self.zeroed))
    return "\n".join([ln for raw in out for ln in (wrap(raw, width) if raw and not raw.startswith(("  ", "--")) and
                                                    len(raw) > (width or 1 << 30) and "  " not in raw.strip() else [raw])])
