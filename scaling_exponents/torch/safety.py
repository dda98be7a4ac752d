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
    if self.frozen:
        out.append(f"{len(self.frozen)} frozen parameter(s) (requires_grad=False) were not re-initialised and get "
                   f"no optimizer group (forward multipliers still apply): {_names(sorted(self.frozen))}")
    return out


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
