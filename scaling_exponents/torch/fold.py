"""Fold a :class:`~.parametrize.Parametrization` into a plain model: multipliers baked into the weights,
per-group learning rates (and Adam eps, weight decay) adjusted so that training the plain model follows the
same trajectory -- the abc symmetry of TP5 (Yang et al., arXiv 2203.03466, Lemma J.1; Everett et al.,
arXiv 2407.05872 §2.2), applied once per parameter.

For a parameter with forward multiplier ``m`` (``W_eff = m w``), the folded weight is ``W = m w`` and its
gradient is ``dL/dW = (1/m) dL/dw``.  Matching ``dW = m dw`` step by step gives:

=============================  ======================  ==============================  ====================
optimizer                      folded ``lr``           folded ``eps``                  folded weight decay
=============================  ======================  ==============================  ====================
SGD (any momentum)             ``lr m^2``              --                              ``wd / m^2``
Adam / AdamW                   ``lr m``                ``eps / m``                     see below
=============================  ======================  ==============================  ====================

* **SGD** is exact: the update is linear in the gradient (momentum too).
* **Adam** is invariant to the gradient's scale *except* through ``eps``: ``m g / (sqrt(v) + eps)`` with
  ``g -> g/m`` equals the original step only when ``eps -> eps/m``.  Keeping the optimizer's eps instead
  changes the trajectory wherever ``eps`` is not negligible against ``sqrt(v)`` (tested).  Moment state
  moves too: ``exp_avg / m``, ``exp_avg_sq / m^2`` (:meth:`Folded.adam_state_from`).
* **Weight decay**: coupled (L2 in the gradient) ``wd / m^2`` for both; decoupled (AdamW, and
  ``"independent"`` groups) keeps ``lr x wd`` per step: ``wd x lr / lr_folded``.

What cannot be folded raises a :class:`UserError`: an output multiplier on a module with no parameters of
its own (residual branches of depth tables: keep the :class:`Parametrization` there), and one tensor tied
into two places with different multipliers (TP5 Table 8 ties an embedding to a readout with multiplier
``1/width``: untie it, e.g. ``tie_word_embeddings=False``).  The attention logit scale is not a weight: it
stays on the module (``logit_scale`` buffer, or Hugging Face's ``scaling`` attribute) and is saved with the
groups by :meth:`Folded.save`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils import parametrize as _parametrize

from ..errors import UserError
from . import multiplier as _mult
from . import roles as _roles

FORMAT = "scaling_exponents.fold/1"
ADAM, SGD = ("adam", "adamw"), ("sgd",)


@dataclass
class Folded:
    """A plain model and the per-group hyperparameters that make it train like the parametrized one.

    ``groups`` are optimizer param groups without tensors (``param_names`` instead): ``lr``,
    ``weight_decay``, ``eps`` (Adam), ``role`` and the folded ``multiplier``.  ``attributes`` are
    per-module values a ``state_dict`` does not hold (attention scales)."""

    model: nn.Module
    groups: list[dict]
    optimizer: str
    attributes: dict = field(default_factory=dict)

    def param_groups(self, model: nn.Module | None = None) -> list[dict]:
        """Optimizer param groups for ``model`` (default: the folded model), matched by parameter name."""
        params = dict(_roles.unwrap(model if model is not None else self.model).named_parameters())
        missing = [n for g in self.groups for n in g["param_names"] if n not in params]
        if missing:
            raise UserError(f"model has no parameters named {missing[:5]}; load the folded groups into the "
                            "same architecture")
        return [{**g, "params": [params[n] for n in g["param_names"]]} for g in self.groups]

    def state_dict(self) -> dict:
        """A checkpoint of the folded model: its weights, the optimizer groups (names and scaled hyperparameters),
        the optimizer name and the attributes set on modules, so :meth:`load` rebuilds it without the toolkit's
        wrappers."""
        return {"format": FORMAT, "model": self.model.state_dict(), "groups": copy.deepcopy(self.groups),
                "optimizer": self.optimizer, "attributes": copy.deepcopy(self.attributes)}

    def save(self, path) -> None:
        """``torch.save`` of the weights, the per-group LRs/eps/wd and the attention scales."""
        torch.save(self.state_dict(), path)

    @classmethod
    def load(cls, source, model: nn.Module) -> Folded:
        """Load a :meth:`save` d file (or its dict) into ``model``, a fresh plain instance of the architecture."""
        state = torch.load(source, weights_only=True) if not isinstance(source, dict) else source
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise UserError(f"{source!r} is not a folded checkpoint (format {FORMAT!r}); save it with Folded.save")
        net = _roles.unwrap(model)
        net.load_state_dict(state["model"])
        _set_attributes(net, state["attributes"])
        return cls(model, state["groups"], state["optimizer"], state["attributes"])

    def adam_state_from(self, optimizer_state: dict) -> dict:
        """Move an Adam/AdamW ``state_dict`` of the parametrized model (built from its ``param_groups``,
        which carry ``param_names``) to the folded groups: ``exp_avg / m``, ``exp_avg_sq / m^2``.  Load the
        result into an optimizer built from :meth:`param_groups`."""
        if self.optimizer not in ADAM:
            raise UserError(f"adam_state_from needs an Adam fold, this one is for {self.optimizer!r}")
        try:
            src = [n for g in optimizer_state["param_groups"] for n in g["param_names"]]
        except KeyError:
            raise UserError("the optimizer state has no 'param_names' in its groups; build the optimizer from "
                            "Parametrization.param_groups") from None
        names = [n for g in self.groups for n in g["param_names"]]
        index = {n: i for i, n in enumerate(names)}
        mults = {n: g["multiplier"] for g in self.groups for n in g["param_names"]}
        src_group = {n: g for g in optimizer_state["param_groups"] for n in g["param_names"]}
        out = {"state": {}, "param_groups": []}
        for g in self.groups:  # the source group's other settings (betas, ...) with the folded lr/eps/wd
            hyper = {k: v for k, v in src_group[g["param_names"][0]].items() if k not in ("params", "param_names")}
            out["param_groups"].append({**hyper, **g, "params": [index[n] for n in g["param_names"]]})
        for i, name in enumerate(src):
            st = optimizer_state["state"].get(i)
            if st is not None:
                m = mults[name]
                new = {k: v.clone() if torch.is_tensor(v) else v for k, v in st.items()}  # `step` is updated in place
                out["state"][index[name]] = {**new, "exp_avg": st["exp_avg"] / m, "exp_avg_sq": st["exp_avg_sq"] / m ** 2}
        return out


def _set_attributes(net: nn.Module, attributes: dict) -> None:
    modules = dict(net.named_modules())
    for mname, values in attributes.items():
        module = modules.get(mname)
        if module is None:
            raise UserError(f"the folded checkpoint sets {sorted(values)} on module {mname!r}, which this model lacks")
        for attr, value in values.items():
            if attr in module._buffers:
                module._buffers[attr].fill_(value)
            else:
                setattr(module, attr, float(value))


def _strip(module: nn.Module) -> tuple[float, float] | None:
    """Remove this toolkit's hook/buffers from ``module``; return ``(weight factor, bias factor)`` or None."""
    factors = _mult.get_multipliers(module)
    hid = getattr(module, _mult._HOOK_FLAG, None)
    if hid is not None:
        module._forward_hooks.pop(hid, None)
        delattr(module, _mult._HOOK_FLAG)
    for name in (_mult.SCALE, _mult.BIAS_DELTA):
        module._buffers.pop(name, None)
        module._non_persistent_buffers_set.discard(name)
    for attr in ("_se_bias_correction", "_se_rescaled"):
        if attr in module.__dict__:
            delattr(module, attr)
    if factors is None:
        return None
    scale, delta = factors
    return scale, scale + delta


def fold(param, optimizer: str | None = None, eps: float = 1e-8) -> Folded:
    """Bake ``param``'s multipliers into a copy of its model and return it with folded per-group LRs.

    Args:
        param: a :class:`~.parametrize.Parametrization` (its model is copied, not changed).
        optimizer: ``"sgd"``, ``"adam"`` or ``"adamw"``; default the table's optimizer.
        eps: Adam's eps for groups that carry none (the optimizer default, 1e-8 for torch's Adam).
    """
    opt = (optimizer or param.table.optimizer or "").lower()
    if opt not in ADAM + SGD:
        raise UserError(f"fold supports optimizer 'sgd', 'adam' or 'adamw', got {opt or None!r}: other "
                        "optimizers' steps do not scale as a power of the multiplier; pass optimizer=")
    net = copy.deepcopy(_roles.unwrap(param.model))
    mult: dict[int, float] = {}
    where: dict[int, str] = {}
    canonical = {id(p): n for n, p in net.named_parameters()}

    def record(p, m, name):
        old = mult.get(id(p))
        if old is not None and abs(old - m) > 1e-12 * max(abs(old), abs(m)):
            raise UserError(f"{canonical[id(p)]!r} is used as {where[id(p)]!r} with multiplier {old:g} and as "
                            f"{name!r} with {m:g}: one tensor cannot hold both; untie it (e.g. "
                            "tie_word_embeddings=False) or keep the Parametrization")
        mult[id(p)], where[id(p)] = m, name

    with torch.no_grad():
        for mname, module in net.named_modules():
            if _parametrize.is_parametrized(module):
                for attr in list(module.parametrizations):
                    ms = [float(s.multiplier) for s in module.parametrizations[attr] if isinstance(s, _mult.Scale)]
                    _parametrize.remove_parametrizations(module, attr, leave_parametrized=True)
                    p = getattr(module, attr)
                    canonical.setdefault(id(p), f"{mname}.{attr}" if mname else attr)
                    record(p, float(torch.tensor(ms).prod()) if ms else 1.0, f"{mname}.{attr}")
            factors = _strip(module)
            own = dict(module.named_parameters(recurse=False))
            if factors is None:
                for attr, p in own.items():
                    record(p, 1.0, f"{mname}.{attr}")
                continue
            w_factor, b_factor = factors
            if not own and (w_factor != 1.0 or b_factor != 1.0):
                raise UserError(f"module {mname!r} has an output multiplier x{w_factor:g} but no parameters of its "
                                "own to fold it into (a residual branch of a depth table); keep the Parametrization")
            for attr, p in own.items():
                m = b_factor if attr == "bias" else w_factor
                record(p, m, f"{mname}.{attr}")
        for p in net.parameters():  # bake after all uses are checked (a tied tensor is multiplied once)
            m = mult.get(id(p), 1.0)
            if m != 1.0:
                p.mul_(m)
    by_name = {n: mult.get(id(p), 1.0) for n, p in net.named_parameters()}
    groups = _fold_groups(param, by_name, opt, eps)
    attributes = _attention_attributes(param, net)
    return Folded(net, groups, opt, attributes)


def _fold_groups(param, by_name: dict, opt: str, eps: float) -> list[dict]:
    sgd = opt in SGD
    coupled = param.settings.weight_decay_mode == "coupled" or (sgd and param.settings.weight_decay_mode == "decoupled")
    out: dict[tuple, dict] = {}
    for gi, g in enumerate(param.param_groups_for(param.model)):
        for name in g["param_names"]:
            if name not in by_name:
                raise UserError(f"parameter {name!r} disappeared while folding")
            m = by_name[name]
            key = (gi, m)
            if key not in out:
                k = 2 if sgd else 1
                lr = g["lr"] * m ** k
                wd = g["weight_decay"] / m ** 2 if coupled else (g["weight_decay"] * g["lr"] / lr if lr else 0.0)
                new = {"param_names": [], "lr": lr, "weight_decay": wd, "role": g["role"], "multiplier": m,
                       "lr_scale": g["lr_scale"] * m ** k}
                if not sgd:
                    new["eps"] = g.get("eps", eps) / m
                out[key] = new
            out[key]["param_names"].append(name)
    return list(out.values())


def _attention_attributes(param, net) -> dict:
    modules = dict(net.named_modules())
    attrs = {}
    for mname, (value, _) in param.logit_scales.items():
        module = modules[mname]
        if "logit_scale" in module._buffers:
            attrs[mname] = {"logit_scale": float(module.logit_scale)}
        elif isinstance(getattr(module, "scaling", None), float):
            attrs[mname] = {"scaling": float(module.scaling)}
    return attrs
