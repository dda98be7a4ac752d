"""``ParamInfo``: the side-table entry a :class:`~.parametrize.Parametrization` keeps for each parameter
(its role, why, fans, and every factor applied), keyed by parameter name."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    model_role: str = ""                # the role the model gave (before a per-matrix table mapped it to ``weight``)
    dims: dict | None = None            # per-matrix dimensions of per-matrix tables: {"blocks": (size, base), ...}
    aliases: list = field(default_factory=list)  # tied uses: (name, role, multiplier)
    note: str = ""
