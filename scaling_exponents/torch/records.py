"""``ParamInfo``: one parameter's entry of a :class:`~.plan.Plan` (its role, why, fans, and every factor the table
gives it), keyed by parameter name.

Records are frozen (like microsoft/mup's ``infshape`` on a tensor, the width information does not change after it is
derived): a step that changes a record -- :func:`~.apply.apply` filling in the std it initialised a weight to, a
measured-alignment table setting a weight's LR factor -- makes a new record with :func:`dataclasses.replace` and a new
plan with :meth:`~.plan.Plan.replace_records`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParamInfo:
    """What the table does to one parameter (its plan record, keyed by name); ``rule`` says why it has its role."""

    name: str
    role: str
    rule: str
    module_name: str
    attr: str
    shape: tuple
    width: tuple | None = None          # (size, base size) of the fan that scales with width
    fan_in_ratio: float = 1.0           # fan_in / base fan_in of the owning layer (torch-default init)
    init_scale: float | None = None     # factor the weights were multiplied by (None: untouched; set by apply)
    init_std: float | None = None       # measured std after initialisation (set by apply)
    multiplier: float = 1.0
    lr_scale: float = 1.0
    wd_scale: float = 1.0
    eps_scale: float = 1.0
    lr_wd_scale: float = 1.0            # per-step decay factor lr x weight_decay (table's lr_wd_product rows)
    fans: dict | None = None            # {"fan_in": (size, base), "fan_out": (size, base)} for fan rows (u-muP)
    model_role: str = ""                # the role the model gave (before a per-matrix table mapped it to ``weight``)
    dims: dict | None = None            # per-matrix dimensions of per-matrix tables: {"blocks": (size, base), ...}
    aliases: tuple = ()                 # tied uses: (name, role, multiplier, module_name, attr)
    note: str = ""

    @property
    def why(self) -> str:
        """Why the parameter has its role (the rule that matched it, and any table fallback): ``rule``."""
        return self.rule
