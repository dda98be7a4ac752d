"""Optimizer param groups of a :class:`~.parametrize.Parametrization`: one per distinct (role, lr, wd, eps)
factor, with the factors kept as extra keys so schedulers and state dicts preserve the ratios."""

from __future__ import annotations

from ..errors import UserError
from . import roles as _roles

def param_groups_for(self, model) -> list[dict]:
    """Param groups for ``model`` matched by parameter name: a deepcopy, an unpickled or DDP-wrapped copy.

    One group per distinct (role, lr_scale, wd_scale, eps_scale); each holds ``lr = lr * lr_scale``,
    ``weight_decay`` per ``weight_decay_mode``, ``eps`` when set, and the keys ``role``, ``lr_scale``,
    ``wd_scale``, ``eps_scale``, ``base_lr``, ``param_names`` (torch optimizers keep extra keys; schedulers scale
    ``lr`` multiplicatively, so the ratios between groups survive LambdaLR/cosine/WSD schedules).
    """
    from . import lr_guard

    lr_guard.install()  # warns when an optimizer's own lr= would be silently overridden by these groups
    params = dict(_roles.unwrap(model).named_parameters())
    missing = [n for n in self.records if n not in params]
    if missing:
        raise UserError(f"model has no parameters named {missing[:5]}; param_groups_for needs the same "
                        "architecture as the model the Parametrization was applied to")
    use_eps = self.eps is not None or self._has_rows_any("adam_eps") or self._has_rows_any("damping")
    groups: dict[tuple, dict] = {}
    frozen = getattr(self, "frozen", set())
    for name, info in self.records.items():
        if name in frozen:  # requires_grad=False: no group (the safety summary names it)
            continue
        key = (info.role, info.lr_scale, info.wd_scale, info.eps_scale,
               name if name in getattr(self, "_per_layer", ()) else None)  # measured alignment: own group
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
                 "lr_scale": info.lr_scale, "wd_scale": info.wd_scale, "eps_scale": info.eps_scale,
                 "base_lr": self.lr}  # read by :mod:`.lr_guard`: an optimizer's own lr= would be ignored
            if use_eps:
                g["eps"] = (self.eps if self.eps is not None else 1e-8) * info.eps_scale
            groups[key] = g
        groups[key]["params"].append(params[name])
        groups[key]["param_names"].append(name)
    return list(groups.values())
