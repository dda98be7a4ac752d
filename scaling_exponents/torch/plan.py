"""``Plan``: what an exponent table does to each parameter of one model, computed once and never mutated.

``Plan.from_table(table, model, roles, shapes)`` turns a derived :class:`~scaling_exponents.theory.table.ExponentTable`
(rows ``quantity ∝ dimension^power``), the model's resolved roles (:class:`.roles.Roles`) and its sizes
(:class:`.shapes.BaseShapes`) into one frozen :class:`~.records.ParamInfo` per parameter: role, why, fans and the
factors ``multiplier``, ``lr_scale``, ``wd_scale``, ``eps_scale``, ``lr_wd_scale`` (every factor is
``prod_dim (size / base) ** power``, all 1 at the base shape; TP5 App. H, arXiv 2203.03466).  It touches no weight:
:func:`.apply.apply` realises the init, multipliers and attention scale, :func:`.groups.param_groups` turns the plan
into optimizer groups -- the split of graphcore unit-scaling's ``scaled_parameters`` (one pure function from
parameters to groups) and microsoft/mup's width information kept per tensor.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from ..errors import UserError
from ..theory import factors as _factors
from . import matrix_roles as _mroles
from .records import ParamInfo


@dataclass(frozen=True)
class Plan:
    """Per-parameter records of one table on one model (module doc); ``records`` is a read-only mapping in
    ``named_parameters`` order.

    ``module_roles``: the modules with a module role (residual branch, adapter, attention); ``frozen``: parameters
    with ``requires_grad=False`` (no optimizer group); ``inconsistent``: roles whose ``lr_wd_product`` rows disagree
    with ``lr x weight_decay`` (the ``weight_decay`` rows are used); ``own_group``: weights with their own optimizer
    group (measured alignment, :mod:`.online`)."""

    table: object
    records: Mapping[str, ParamInfo]
    module_roles: tuple
    shapes: object
    frozen: frozenset = frozenset()
    inconsistent: frozenset = frozenset()
    own_group: frozenset = frozenset()
    block_size: int | None = None

    @classmethod
    def from_table(cls, table, model, roles, shapes, block_size: int | None = None) -> "Plan":
        """The plan of ``table`` on ``model`` (already unwrapped) with ``roles`` (:class:`.roles.Roles`) and
        ``shapes`` (:class:`.shapes.BaseShapes`); ``block_size``: preconditioner block of per-matrix tables."""
        _check_roles(table, roles.params)
        plan = cls(table, MappingProxyType({}), tuple(roles.modules), shapes,
                   frozenset(n for n, p in model.named_parameters() if not p.requires_grad), block_size=block_size)
        records, inconsistent = _build(plan, model, roles.params)
        return dataclasses.replace(plan, records=MappingProxyType(records), inconsistent=frozenset(inconsistent))

    def replace_records(self, changes: Mapping[str, ParamInfo] = MappingProxyType({}), **fields) -> "Plan":
        """A new plan with the records in ``changes`` replaced (and any other ``fields``); this one is unchanged."""
        unknown = sorted(set(changes) - set(self.records))
        if unknown:
            raise UserError(f"the plan has no parameters {unknown[:3]}")
        records = {n: changes.get(n, i) for n, i in self.records.items()}
        return dataclasses.replace(self, records=MappingProxyType(records), **fields)

    # -- the table's factors for one parameter ------------------------------------------------------------
    def terms(self, role: str, quantity: str, info: ParamInfo) -> list:
        """``[(size/base, power), ...]`` over the table rows ``(role, quantity, dim)`` of one parameter."""
        return _factors.terms(self.table, role, quantity, lambda dim: self.shapes.size(dim, info))

    def factor(self, role: str, quantity: str, info: ParamInfo) -> float:
        """``prod over rows (role, quantity, dim)`` of ``(size/base)**power`` for one parameter
        (:func:`scaling_exponents.theory.factors.evaluate`, the one evaluator)."""
        return _factors.evaluate(self.terms(role, quantity, info))

    def states(self, role: str, quantity: str) -> bool:
        """Whether the table states ``quantity`` for ``role`` at all (zero powers included)."""
        return any((r.role, r.quantity) == (role, quantity) for r in self.table.rows)

    def has_rows(self, role: str, quantity: str) -> bool:
        """Whether the table has a non-zero ``(role, quantity)`` row."""
        return any((r.role, r.quantity) == (role, quantity) and r.power != 0 for r in self.table.rows)

    def has_quantity(self, quantity: str) -> bool:
        """Whether any role has a non-zero ``quantity`` row (e.g. ``adam_eps``: groups then carry ``eps``)."""
        return any(r.quantity == quantity and r.power != 0 for r in self.table.rows)


def _check_roles(table, assigned) -> None:
    """Every assigned role is a parameter role, a table role or a per-matrix role (a module role named on a
    parameter, or a typo, is a :class:`UserError` with the closest role)."""
    import difflib

    from . import roles as _roles

    known = (set(_roles.PARAM_ROLES) | set(table.roles) | set(_mroles.ROLES) | {"default"}) - set(_roles.MODULE_ROLES)
    for a in assigned:
        if a.role not in known:
            close = difflib.get_close_matches(a.role, sorted(known | set(_roles.MODULE_ROLES)), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UserError(f"unknown role {a.role!r} for {a.name!r} ({a.rule}).{hint} Roles: "
                            f"{', '.join(sorted(known))}; module roles: {', '.join(_roles.MODULE_ROLES)}.")


def role_of(table, a) -> str:
    """The table role of assignment ``a``: refined roles of depth tables (CompleteP arXiv 2505.01618 Table 1) -- a
    hidden layer's bias is ``hidden_bias`` and the norm before the readout ``final_norm`` when the table has them;
    otherwise they fall back to ``bias`` / ``norm``."""
    roles = table.roles
    if a.role == "bias" and a.layer_role == "hidden" and "hidden_bias" in roles:
        return "hidden_bias"
    if a.role == "hidden_bias" and "hidden_bias" not in roles:
        return "bias"
    if a.role == "final_norm" and "final_norm" not in roles:
        return "norm"
    return a.role


def _probe(plan, a, role, module, p, shape) -> ParamInfo:
    """A record of ``a`` with its sizes (width, fans, per-matrix dims) and no factors yet."""
    fans = plan.shapes.fans(a, module, p)
    dims = _mroles.block_sizes(fans, plan.block_size) if role == _mroles.WEIGHT and p.dim() >= 2 else None
    return ParamInfo(a.name, role, a.rule, a.module_name, a.attr, shape, width=plan.shapes.width(a, module, p, role),
                     fans=fans, dims=dims, fan_in_ratio=plan.shapes.fan_in_ratio(a, module, p), model_role=a.role)


def _factors_of(plan, info: ParamInfo, inconsistent: set) -> ParamInfo:
    """``info`` with the table's multiplier / lr / wd / eps factors and the per-step decay factor ``lr_wd_scale``
    (from ``lr_wd_product`` rows, or lr x weight_decay; a role with ``lr_wd_product`` rows but no ``weight_decay``
    rows gets ``wd_scale = lr_wd / lr``)."""
    role = info.role
    lr, wd = plan.factor(role, "lr", info), plan.factor(role, "weight_decay", info)
    # per-matrix tables state the optimizer's damping/epsilon as ``damping`` (arXiv 2512.05620 Table 2)
    eps = plan.factor(role, "damping" if plan.states(role, "damping") else "adam_eps", info)
    if not plan.states(role, "lr_wd_product"):
        lr_wd = lr * wd
    else:
        lr_wd = plan.factor(role, "lr_wd_product", info)
        if not plan.states(role, "weight_decay"):
            wd = lr_wd / lr
        elif not math.isclose(lr_wd, lr * wd, rel_tol=1e-9):
            inconsistent.add(role)
    note = f"table has no rows for role {role!r}: defaults kept" if role not in plan.table.roles else ""
    return dataclasses.replace(info, multiplier=plan.factor(role, "multiplier", info), lr_scale=lr, wd_scale=wd,
                               eps_scale=eps, lr_wd_scale=lr_wd, note=note)


def _build(plan, net, assigned) -> tuple[dict, set]:
    table = plan.table
    canonical = {id(p): n for n, p in net.named_parameters()}
    modules = dict(net.named_modules())
    records: dict[str, ParamInfo] = {}
    inconsistent: set = set()
    aliases = []
    for a in assigned:
        module = modules[a.module_name] if a.module_name in modules else net
        p = getattr(module, a.attr)
        name = canonical.get(id(p), a.name)
        if name != a.name:
            aliases.append((name, a))
            continue
        role = _mroles.table_role(table, role_of(table, a), p.dim())
        rule = a.rule
        if role == _mroles.WEIGHT and a.role != _mroles.WEIGHT:
            rule += f"; per-matrix table: {a.role} matrix takes the weight rows with its own fans"
        elif role != a.role:
            rule += ("; a hidden layer's bias: hidden_bias" if role == "hidden_bias"
                     else f"; table has no {a.role} rows: {role}")
        if role == "default":
            records[a.name] = ParamInfo(a.name, role, rule, a.module_name, a.attr, tuple(p.shape), model_role=a.role)
            continue
        info = dataclasses.replace(_probe(plan, a, role, module, p, tuple(p.shape)), rule=rule)
        records[a.name] = _factors_of(plan, info, inconsistent)
    for name, a in aliases:  # tied parameters: a second use (e.g. head.weight is embed.weight)
        if name not in records:
            raise UserError(f"parameter {a.name!r} is tied to {name!r}, which no role covers; give both a role")
        main = records[name]
        tied_p = getattr(modules[a.module_name], a.attr)
        role = _mroles.table_role(table, role_of(table, a), tied_p.dim())
        probe = _probe(plan, a, role, modules[a.module_name], tied_p, main.shape)
        for q in ("init_std", "lr", "weight_decay", "adam_eps", "lr_wd_product"):
            mine, theirs = plan.factor(role, q, probe), plan.factor(main.role, q, main)
            if not math.isclose(mine, theirs, rel_tol=1e-12):
                raise UserError(
                    f"{a.name!r} is tied to {name!r} but its role {role!r} wants {q} x{mine:.6g} while "
                    f"{main.role!r} wants x{theirs:.6g}; this table cannot tie them (TP5 Table 8 can).")
        use = (a.name, role, plan.factor(role, "multiplier", probe), a.module_name, a.attr)
        records[name] = dataclasses.replace(main, aliases=main.aliases + (use,))
    for n, p in net.named_parameters():
        if n not in records:
            mname, _, attr = n.rpartition(".")
            records[n] = ParamInfo(n, "default", "no pattern or rule matched: PyTorch defaults", mname, attr,
                                   tuple(p.shape))
    order = {n: i for i, n in enumerate(canonical.values())}
    return dict(sorted(records.items(), key=lambda kv: order.get(kv[0], 1 << 30))), inconsistent
