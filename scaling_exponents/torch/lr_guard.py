"""A guard against a silently ignored optimizer LR: ``AdamW(param.param_groups, lr=1e-2)``.

Every group a :class:`~.parametrize.Parametrization` makes carries its own ``lr`` (base lr x the table's factor), and
torch uses a group's own ``lr`` over the optimizer's ``lr=`` argument -- so ``lr=1e-2`` there is ignored and the model
trains at the Parametrization's base lr (1e-3 by default) without a word.  :func:`install` registers one global
``torch.optim`` step pre-hook (``torch.optim.optimizer.register_optimizer_step_pre_hook``) that, at an optimizer's first step, compares its
``defaults["lr"]`` with the base lr the groups were built from (``group["base_lr"]``) and warns once, naming both and
the fix.  An optimizer built with no ``lr=`` (torch's own default) or with the same value is left alone.

The same hook warns when the optimizer's family differs from the one the groups' table was derived for
(``group["table_optimizer"]``): ``torch.optim.SGD`` over the groups of an Adam table (or Adam/AdamW over an SGD
table) trains with the other optimizer's LR exponents -- e.g. muP's hidden LR is 1/n under Adam and 1 under SGD (TP5,
arXiv 2203.03466, Table 8).  Only SGD and the Adam family are compared; other tables (Muon, Shampoo, ...) are often
split over two optimizers (matrices / vectors) and are left alone.
"""

from __future__ import annotations

import math
import warnings
import weakref

import torch

_seen: "weakref.WeakSet" = weakref.WeakSet()
_installed: list = []


class IgnoredLRWarning(UserWarning):
    """An optimizer's ``lr=`` argument is overridden by the Parametrization's per-group LRs."""


class OptimizerMismatchWarning(UserWarning):
    """An optimizer trains groups whose table was derived for another optimizer family (SGD vs Adam)."""


#: torch optimizer classes per family whose LR rules a table states (Adam's and AdamW's LR/eps rules are the same).
FAMILIES = {"sgd": ("SGD",), "adam": ("Adam", "AdamW", "NAdam", "RAdam", "Adamax")}
#: A table's optimizer -> its family (tables of other optimizers are not compared).
TABLE_FAMILY = {"sgd": "sgd", "adam": "adam", "adamw": "adam"}


def _check(optimizer, args, kwargs) -> None:
    if optimizer in _seen:
        return
    _seen.add(optimizer)
    _check_lr(optimizer)
    _check_family(optimizer)


def _family(optimizer):
    for family, names in FAMILIES.items():
        if any(isinstance(optimizer, getattr(torch.optim, n, ())) for n in names):
            return family
    return None


def _check_family(optimizer) -> None:
    tables = {g.get("table_optimizer") for g in optimizer.param_groups if "lr_scale" in g}
    mine = _family(optimizer)
    wrong = sorted(t for t in tables if t in TABLE_FAMILY and mine is not None and TABLE_FAMILY[t] != mine)
    if wrong:
        warnings.warn(f"{type(optimizer).__name__} trains Parametrization groups derived for optimizer {wrong[0]!r}: "
                      f"their LR exponents are {wrong[0]}'s (e.g. muP's hidden LR is 1/n under Adam, 1 under SGD, "
                      f"TP5 Table 8); give Parametrization(..., optimizer={mine!r}) for {type(optimizer).__name__}",
                      OptimizerMismatchWarning, stacklevel=4)


def _check_lr(optimizer) -> None:
    given = optimizer.defaults.get("lr")
    bases = {g["base_lr"] for g in optimizer.param_groups if "base_lr" in g and "lr_scale" in g}
    if not bases or not isinstance(given, (int, float)):
        return
    default = _torch_default(type(optimizer))
    if (default is not None and math.isclose(given, default)) or any(math.isclose(given, b) for b in bases):
        return
    base = ", ".join(f"{b:g}" for b in sorted(bases))
    warnings.warn(f"{type(optimizer).__name__}(lr={given:g}) is ignored: each group of Parametrization.param_groups "
                  f"sets its own lr = base lr {base} x the table's factor; give Parametrization(..., lr={given:g}) "
                  "instead", IgnoredLRWarning, stacklevel=4)


def _torch_default(cls):
    """The ``lr`` default of an optimizer class's constructor (None when it has none)."""
    import inspect

    try:
        p = inspect.signature(cls.__init__).parameters.get("lr")
    except (TypeError, ValueError):
        return None
    d = None if p is None else p.default
    return float(d) if isinstance(d, (int, float)) and not isinstance(d, bool) else None


def install() -> None:
    """Register the guard once per process (idempotent)."""
    if not _installed:
        from torch.optim.optimizer import register_optimizer_step_pre_hook

        _installed.append(register_optimizer_step_pre_hook(_check))
