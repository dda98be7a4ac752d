"""Safe application of a :class:`~.parametrize.Parametrization`: nothing half-applied without a word.

After a table is applied, :func:`problems` lists every parameter that is

* **unmanaged** -- no role matched it (role ``default``): it keeps PyTorch's init and the base LR, which is
  wrong at any width but the base one for a hidden matrix;
* **doubly matched** -- two patterns gave it the same role (harmless today, but the patterns overlap and a
  later edit of one silently changes it);
* **frozen** -- ``requires_grad=False``: it is not re-initialised and gets no optimizer group (a pretrained
  or deliberately fixed tensor), which the user should know.

``Parametrization(..., strict=True)`` turns any of them into a :class:`~scaling_exponents.errors.UserError`;
otherwise one :class:`ParametrizationWarning` names them all.  An explicit ``layers={pattern: "default"}``
marks parameters as deliberately unmanaged (no warning).

Readout zero init (``readout_zero_init=True``): the readout weight and its bias start at 0, as microsoft/mup's
``MuReadout(readout_zero_init=True)`` (used by nanoGPT-mup and Megatron's muP), the reference behaviour the
parity test checks.  TP5 (arXiv 2203.03466) recommends zero-initialising the readout; the section number is
UNVERIFIED here.
"""

from __future__ import annotations

import warnings

import torch

from ..errors import UserError


class ParametrizationWarning(UserWarning):
    """A parameter the parametrization does not manage, matches twice, or leaves frozen."""


def frozen_names(net) -> set[str]:
    """Names of the parameters with ``requires_grad=False``: they get no LR factor and are reported, not silently
    scaled."""
    return {n for n, p in net.named_parameters() if not p.requires_grad}


def problems(self) -> list[str]:
    """One line per kind of problem (unmanaged, doubly matched, frozen), naming the parameters."""
    out = []
    explicit = set(getattr(self, "_explicit_default", ()))
    unmanaged = [n for n, i in self.records.items() if i.role == "default" and n not in explicit]
    if unmanaged:
        out.append(f"{len(unmanaged)} parameter(s) have no role and keep PyTorch defaults: {_names(unmanaged)}; "
                   "give them a role with layers={pattern: role} (or role 'default' to mark them unmanaged)")
    if self.doubles:
        out.append(f"{len(self.doubles)} parameter(s) matched by two patterns: " + "; ".join(
            f"{n} by {a} and {b}" for n, a, b in self.doubles[:5]) + "; make the patterns disjoint")
    rows = _half_applied(self, getattr(self, "unapplied", None) or [])
    if rows:
        from ..theory.exponents import fmt

        out.append(f"{len(rows)} table row(s) NOT applied to this model: " + "; ".join(
            f"{r.role} {r.quantity} {r.dimension}^{fmt(r.power)} ({why})" for r, why in rows[:6])
            + (f"; ... ({len(rows) - 6} more)" if len(rows) > 6 else "") + " -- see explain()")
    if self.frozen:
        out.append(f"{len(self.frozen)} frozen parameter(s) (requires_grad=False) were not re-initialised and get "
                   f"no optimizer group (forward multipliers still apply): {_names(sorted(self.frozen))}")
    return out


def check_scalars(lr, wd, mode, eps, init, modes) -> None:
    """Base values a Parametrization takes: finite numbers (a NaN or inf LR would silently train nothing)."""
    import math

    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    if not number(lr) or lr < 0:
        raise UserError(f"lr must be a finite number >= 0, got {lr!r}")
    if not number(wd) or wd < 0:
        raise UserError(f"weight_decay must be a finite number >= 0, got {wd!r}")
    if mode not in modes:
        raise UserError(f"weight_decay_mode must be one of {', '.join(modes)}, got {mode!r}")
    if mode == "independent" and wd and not lr:
        raise UserError("weight_decay_mode='independent' divides by the group LR; give lr > 0")
    if eps is not None and (not number(eps) or eps < 0):
        raise UserError(f"eps must be a finite number >= 0 or None, got {eps!r}")
    if not (init is None or init == "rescale" or (number(init) and init >= 0)):
        raise UserError(f"init must be 'rescale', a base std (finite float >= 0) or None, got {init!r}")


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


def check_meta(net, init) -> None:
    """A model on the ``meta`` device has no values to rescale: refuse ``init='rescale'`` with the fix."""
    if init == "rescale" and any(p.is_meta for p in net.parameters()):
        raise UserError("the model is on the meta device: init='rescale' has no weights to rescale; pass init=None "
                        "(factors and groups only) and initialise after model.to_empty(), or init=<base std>")


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


def zero_readout(self, net) -> list[str]:
    """Zero the readout weight(s) and the readout layer's bias; returns the names zeroed."""
    modules = dict(net.named_modules())
    readout_modules = {i.module_name for i in self.records.values() if i.role == "readout"}
    if not readout_modules:
        raise UserError("readout_zero_init=True but no parameter has role 'readout'; give layers={pattern: 'readout'}")
    done = []
    with torch.no_grad():
        for name, info in self.records.items():
            if info.module_name not in readout_modules or info.role not in ("readout", "bias"):
                continue
            if info.aliases:
                raise UserError(f"readout_zero_init=True would also zero {info.aliases[0][0]!r}, tied to {name!r}; "
                                "untie the readout or drop readout_zero_init")
            getattr(modules.get(info.module_name, net), info.attr).zero_()
            info.init_std = 0.0
            info.init_scale = 0.0
            done.append(name)
    return done
