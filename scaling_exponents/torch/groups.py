"""Optimizer param groups of a :class:`~.plan.Plan`: one per distinct (role, lr, wd, eps) factor, with the factors
kept as extra keys so schedulers and state dicts preserve the ratios.

:func:`param_groups` is a pure function, as graphcore unit-scaling's ``scaled_parameters(params, lr_scale_func, lr,
weight_decay, ...)``: it reads the plan and the model's parameters and returns new groups; it changes neither, and
the same inputs give the same groups.  Group ``lr`` is ``lr x lr_scale``: under microsoft/mup with Adam a hidden
matrix gets ``lr x base_width/width`` (TP5 arXiv 2203.03466 Table 3, "hidden weights", Adam LR ``1/fan_in``).

**Weight decay** (``mode``): ``"decoupled"`` (torch ``AdamW``: ``p -= lr * wd * p``; group wd = wd x wd_scale, so
the per-step decay also follows the group's LR factor), ``"coupled"`` (L2 added to the gradient, torch
``Adam``/``SGD``; group wd = wd x wd_scale) and ``"independent"`` (Wortsman et al., arXiv 2309.14322: per-step decay
``wd x wd_scale x schedule(t)``, independent of the LR's value and width factor; with ``AdamW`` this is group wd =
wd x per-step factor / group lr, the per-step factor being the table's ``lr_wd_product`` factor where the table has
such rows for the role).  ``no_weight_decay`` roles get decay 0 (nanoGPT-mup does not decay norms and biases).
"""

from __future__ import annotations

from ..errors import UserError
from . import roles as _roles
from .settings import check_scalars


def check_no_weight_decay(plan, roles) -> tuple:
    """``roles`` (one name or several) as a tuple, each a parameter role or one of the table's roles."""
    roles = (roles,) if isinstance(roles, str) else tuple(roles or ())
    known = set(_roles.PARAM_ROLES) | set(plan.table.roles)
    for r in roles:
        if r not in known:
            raise UserError(f"no_weight_decay names unknown role {r!r}; roles: {', '.join(sorted(known))}")
    return roles


def param_groups(plan, model, *, lr: float = 1e-3, weight_decay: float = 0.0, mode: str = "decoupled",
                 eps: float | None = None, no_weight_decay=()) -> list[dict]:
    """Param groups for ``model`` (the planned model, a deepcopy, an unpickled or DDP-wrapped copy: matched by
    parameter name) from ``plan`` (module doc).

    One group per distinct (role, lr_scale, wd_scale, eps_scale) -- and one per weight of ``plan.own_group``
    (measured alignment); each holds ``lr = lr * lr_scale``, ``weight_decay`` per ``mode``, ``eps`` when given or
    when the table has ``adam_eps``/``damping`` rows (base 1e-8 then), and the keys ``role``, ``lr_scale``,
    ``wd_scale``, ``eps_scale``, ``base_lr``, ``table_optimizer``, ``param_names`` (torch optimizers keep extra keys;
    schedulers scale ``lr`` multiplicatively, so the ratios between groups survive LambdaLR/cosine/WSD schedules).
    Frozen parameters (``requires_grad=False``) get no group.
    """
    check_scalars(lr, weight_decay, mode, eps)
    no_weight_decay = check_no_weight_decay(plan, no_weight_decay)
    params = dict(_roles.unwrap(model).named_parameters())
    missing = [n for n in plan.records if n not in params]
    if missing:
        raise UserError(f"model has no parameters named {missing[:5]}; param groups need the same architecture as "
                        "the model the plan was made for")
    use_eps = eps is not None or plan.has_quantity("adam_eps") or plan.has_quantity("damping")
    groups: dict[tuple, dict] = {}
    for name, info in plan.records.items():
        if name in plan.frozen:  # requires_grad=False: no group (the safety summary names it)
            continue
        key = (info.role, info.lr_scale, info.wd_scale, info.eps_scale, name if name in plan.own_group else None)
        if key not in groups:
            group_lr = lr * info.lr_scale
            wd = weight_decay * info.wd_scale
            if mode == "independent" and wd:
                per_step = info.lr_wd_scale if plan.states(info.role, "lr_wd_product") else info.wd_scale
                wd = weight_decay * per_step / group_lr
            if info.role in no_weight_decay:
                wd = 0.0
            g = {"params": [], "param_names": [], "lr": group_lr, "weight_decay": wd, "role": info.role,
                 "lr_scale": info.lr_scale, "wd_scale": info.wd_scale, "eps_scale": info.eps_scale,
                 "base_lr": lr,  # read by :mod:`.lr_guard`: an optimizer's own lr= would be ignored
                 "table_optimizer": plan.table.optimizer}  # ... and a different optimizer family (lr_guard)
            if use_eps:
                g["eps"] = (eps if eps is not None else 1e-8) * info.eps_scale
            groups[key] = g
        groups[key]["params"].append(params[name])
        groups[key]["param_names"].append(name)
    return list(groups.values())
