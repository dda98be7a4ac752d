"""Safe application of a :class:`~.parametrize.Parametrization`: nothing half-applied without a word.

After a table is applied, :func:`problems` lists every parameter that is

* **unmanaged** -- no role matched it (role ``default``): it keeps PyTorch's init and the base LR, which is
  wrong at any width but the base one for a hidden matrix;
* **doubly matched** -- two patterns gave it the same role (harmless today, but the patterns overlap and a
  later edit of one silently changes it);
* **frozen** -- ``requires_grad=False``: it is not re-initialised and gets no optimizer group (a pretrained
  or deliberately fixed tensor), which the user should know.

``Parametrization(..., settings={"strict": True})`` turns any of them into a :class:`~scaling_exponents.errors.UserError`;
otherwise one :class:`ParametrizationWarning` names them all.  An explicit ``layers={pattern: "default"}``
marks parameters as deliberately unmanaged (no warning).

Readout zero init lives in :mod:`.apply` (``readout_zero_init``, microsoft/mup's ``MuReadout(readout_zero_init=True)``).
"""

from __future__ import annotations

import warnings

from ..errors import UserError


class ParametrizationWarning(UserWarning):
    """A parameter the parametrization does not manage, matches twice, or leaves frozen."""


def problems(self) -> list[str]:
    """One line per kind of problem (unmanaged, doubly matched, frozen), naming the parameters."""
    out = []
    explicit = self.roles.explicit_default
    unmanaged = [n for n, i in self.records.items() if i.role == "default" and n not in explicit]
    if unmanaged:
        out.append(f"{len(unmanaged)} parameter(s) have no role and keep PyTorch defaults: {_names(unmanaged)}; "
                   "give them a role with layers={pattern: role} (or role 'default' to mark them unmanaged)")
    if self.roles.doubles:
        out.append(f"{len(self.roles.doubles)} parameter(s) matched by two patterns: " + "; ".join(
            f"{n} by {a} and {b}" for n, a, b in self.roles.doubles[:5]) + "; make the patterns disjoint")
    rows = _half_applied(self, getattr(self, "unapplied", None) or [])
    if rows:
        from ..theory.exponents import fmt

        out.append(f"{len(rows)} table row(s) NOT applied to this model: " + "; ".join(
            f"{r.role} {r.quantity} {r.dimension}^{fmt(r.power)} ({why})" for r, why in rows[:6])
            + (f"; ... ({len(rows) - 6} more)" if len(rows) > 6 else "") + " -- see explain()")
    if self.frozen:
        out.append(f"{len(self.frozen)} frozen parameter(s) (requires_grad=False) were not re-initialised and get "
                   f"no optimizer group (forward multipliers still apply): {_names(sorted(self.frozen))}")
    return out + ignored_inputs(self)


def ignored_inputs(self) -> list[str]:
    """Arguments given for rows or roles this table and model do not have, which would change nothing:
    ``block_size`` without rows along the preconditioner blocks (only per-matrix Shampoo/SOAP tables have them),
    ``base_head_dim`` without an attention logit-scale row, and a ``no_weight_decay`` role no parameter of the model
    has (e.g. ``"norm"`` on a model without norms, or ``"hidden"`` under a per-matrix table whose weights are all
    ``weight``: groups are matched by the parameter's role, so such a role zeroes no decay).  A role no table knows
    is refused earlier (:func:`.groups.check_no_weight_decay`)."""
    from .matrix_roles import BLOCK_DIMS

    out, rows = [], [r for r in self.table.rows if r.power != 0]
    no_decay = getattr(getattr(self, "settings", None), "no_weight_decay", ())
    have = sorted({i.role for i in self.records.values()})
    absent = [r for r in no_decay if r not in have]
    if absent:
        out.append(f"no_weight_decay={tuple(no_decay)!r} changes nothing for role(s) {', '.join(absent)}: no "
                   f"parameter of this model has them (its roles: {', '.join(have)}); drop them, or give those "
                   "parameters the role with layers={pattern: role}")
    plan = getattr(self, "plan", None)
    block = getattr(plan, "block_size", None)
    if block is not None and not any(r.dimension in BLOCK_DIMS for r in rows):
        out.append(f"block_size={block!r} changes nothing: {self.table.parametrization} has no rows along "
                   f"{'/'.join(BLOCK_DIMS)} (per-matrix Shampoo/SOAP tables have them); drop it from settings=")
    base = getattr(getattr(plan, "shapes", None), "base_head_dim", None)
    if base is not None and not any(r.key() == ("attention", "logit_scale", "head_dim") for r in rows):
        out.append(f"base_head_dim={base!r} changes nothing: {self.table.parametrization} has no attention "
                   "logit_scale row along head_dim; drop base_head_dim")
    return out


def check_width(self, width, base_width) -> None:
    """``width`` must be the model's width: a dimension of one of its embedding / hidden / readout weights (a width
    the model does not have would scale every factor by the wrong ratio).  The ratio form ``base_width=1`` is
    exempt."""
    if width is None or base_width in (None, 1, 1.0):
        return
    dims = sorted({d for i in self.records.values() if i.role in ("embedding", "hidden", "readout") for d in i.shape})
    if dims and width not in dims:
        raise UserError(f"width={width:g} is not a dimension of this model's embedding/hidden/readout weights "
                        f"(they have {', '.join(map(str, dims[:8]))}); pass the model's width (its d_model)")


#: Quantities a Parametrization sets (explain.PARAM_QUANTITIES and the module roles' quantities); a table's other rows
#: describe consequences (update_rms, effective_lr) or the optimizer's own code (lr_adjustment): explain() lists them
SETTABLE = ("multiplier", "init_std", "lr", "weight_decay", "adam_eps", "lr_wd_product", "damping", "logit_scale")


#: How :func:`.explain.unapplied_rows` starts the reason of a row whose role no parameter / module of the model has
NO_PARAMETER, NO_MODULE = "no parameter has role", "no module has role"


def _half_applied(self, unapplied) -> list[tuple]:
    """The rows the user asked for that this model silently lacks: a settable quantity whose role no parameter or
    module of the model has.  Rows left out by the user's own options (init=None, multipliers=False,
    no_weight_decay) are listed by explain() only, and so are bias rows of a model whose weight layers have no bias
    and attention rows of a model without attention."""
    missing = [(r, why) for r, why in unapplied if r.quantity in SETTABLE and why.startswith((NO_PARAMETER, NO_MODULE))]
    if not missing:
        return []
    has_bias = any(i.role in ("bias", "hidden_bias") for i in self.records.values())
    has_attention = any(r.role == "attention" for r, _ in missing) and _has_attention(self.model)
    return [(r, why) for r, why in missing
            if (has_bias or r.role not in ("bias", "hidden_bias")) and (has_attention or r.role != "attention")]


def _has_attention(model) -> bool:
    """Whether ``model`` looks like it has attention: a module named or typed ``*attn*``/``*attention*``, or one with a
    ``logit_scale`` buffer or a float ``scaling`` (Hugging Face).  A model without any keeps the attention rows in
    explain() only; a model with one gets the warning when no module has the ``attention`` role."""
    for name, m in model.named_modules():
        text = f"{name} {type(m).__name__}".lower()
        if "attn" in text or "attention" in text or hasattr(m, "logit_scale") or isinstance(getattr(m, "scaling", None), float):
            return True
    return False


def _names(names, k: int = 6) -> str:
    return ", ".join(names[:k]) + (f", ... ({len(names) - k} more)" if len(names) > k else "")


def report(self, strict: bool) -> None:
    """Raise (``strict``) or warn once about :func:`problems`."""
    found = problems(self)
    if not found:
        return
    if strict:
        raise UserError("strict=True: " + " | ".join(found))
    warnings.warn("Parametrization: " + " | ".join(found), ParametrizationWarning, stacklevel=3)
