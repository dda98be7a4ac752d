"""Build a real optimizer from a table's optimizer name and a :class:`~scaling_exponents.torch.Parametrization`'s groups.

Kept libraries only (the project brief): ``torch.optim.Muon`` (torch >= 2.9) for Muon; **pytorch-optimizer**
(extra ``[optim]``, pinned ``pytorch_optimizer==4.1.0``) for SOAP (Vyas et al., arXiv 2409.11321), Shampoo
(Gupta et al., arXiv 1802.09568; inverse root ``-1/(2 order)`` = ``-1/4`` per side of a matrix, the Qiu et al.
``e_L = e_R = 1/4``), AdaMuon and grafting (``ScalableShampoo``, RMSProp graft = Adam without momentum, the
closest of its ``LayerWiseGrafting`` choices to Qiu et al.'s ``Adam#Shampoo``).  Why pytorch-optimizer rather than
heavyball 3.2.1: it has all four (heavyball has SOAP and Muon but no Shampoo with an explicit ``eps`` nor AdaMuon),
runs eagerly (heavyball compiles its fused steps with ``torch.compile``, minutes on a 2-core CPU), and reads
``lr``/``eps``/``weight_decay`` per param group, which is where the tables' per-matrix factors live.

K-FAC: no kept optimizer implements it.  backpack-for-pytorch 1.7.1 works with torch 2.13 (checked outside the
venv: its ``KFAC`` extension returns the Kronecker factors; the preconditioned step is not part of it) and
asdfghjkl 0.1a5 is an alpha release (imports; not tried).  Neither is installed, so ``kfac`` is a :class:`UserError`
naming the experiment that would measure it (:data:`KFAC_MISSING`).

Split of the parameters: the matrix optimizer gets every parameter the Parametrization mapped to the per-matrix
role ``weight`` (:mod:`scaling_exponents.torch.matrix_roles`) -- or, with ``matrix_roles=("hidden",)``, only the
matrices the model calls hidden (the modded-nanogpt recipe: Muon on hidden matrices, Adam on the rest);
everything else gets ``torch.optim.AdamW`` with its group's LR/eps/wd.
"""

from __future__ import annotations

import torch

from ..errors import UserError

#: Optimizer names of the per-matrix tables (arXiv 2512.05620 Table 1) and what implements each here.
IMPLEMENTATIONS = {
    "muon": "torch.optim.Muon",
    "soap": "pytorch_optimizer.SOAP",
    "shampoo": "pytorch_optimizer.Shampoo",
    "adamuon": "pytorch_optimizer.AdaMuon",
    "adam#shampoo": "pytorch_optimizer.ScalableShampoo (graft_type=RMSPROP)",
    "adam": "torch.optim.Adam", "adamw": "torch.optim.AdamW", "sgd": "torch.optim.SGD",
}
KFAC_MISSING = ("no kept K-FAC optimizer: backpack-for-pytorch 1.7.1 (works with torch 2.13) gives the Kronecker "
                "factors but no preconditioned step, asdfghjkl 0.1a5 is an alpha release (not tried here); measuring kfac needs "
                "`verify -p kfac` with a K-FAC step on backpack's KFAC factors (dW = -eta (B+rho_B)^-1 G (A+rho_A)^-1, "
                "arXiv 2312.12226 Sec. 4) over widths 64..1024")


#: Muon-convention tables (:mod:`scaling_exponents.systems.muon_conventions`): their ``lr`` rows are the BASE LR
#: the user sets and the code multiplies it by its own adjustment ``a(A, B)``, ``A, B = shape[:2]``.  Each runs as
#: ``torch.optim.Muon`` with the ``adjust_lr_fn`` that is that code's ``a`` (torch 2.13 ``torch/optim/_muon.py``
#: ``_adjust_lr``: ``"original"`` = ``sqrt(max(1, A/B))`` = KellerJordan/Muon ``muon_update``;
#: ``"match_rms_adamw"`` = ``0.2 sqrt(max(A, B))`` = Moonlight, arXiv 2502.16982 Sec. 2.2) and a group-LR factor
#: for what torch lacks (Scion's ``Spectral.lmo`` ``sqrt(A/B)``, arXiv 2502.07529: ``"original"`` times
#: ``sqrt(A/B) / sqrt(max(1, A/B)) = sqrt(min(1, A/B))``).  name -> (adjust_lr_fn, group-LR factor of the shape).
MUON_CODE = {
    "muon-keller": ("original", lambda a, b: 1.0),
    "torch-muon-original": ("original", lambda a, b: 1.0),
    "muon-moonlight": ("match_rms_adamw", lambda a, b: 1.0),
    "torch-muon-match-rms": ("match_rms_adamw", lambda a, b: 1.0),
    "scion-spectral": ("original", lambda a, b: min(1.0, a / b) ** 0.5),
}


def muon_group_lr(convention, lr: float, shape) -> tuple[str, float]:
    """``(adjust_lr_fn, group lr)`` for one matrix so that torch.optim.Muon's EFFECTIVE LR is the table's.

    A Muon-convention table (:data:`MUON_CODE`): the group lr is the table's base LR and torch applies the code's
    adjustment.  Any other Muon table (Qiu et al., arXiv 2512.05620 Table 1) states the whole effective LR, so the
    ``"original"`` adjustment ``sqrt(max(1, A/B))`` that torch multiplies in is divided out of the group lr.
    """
    a, b = shape[:2]
    if convention in MUON_CODE:
        fn, extra = MUON_CODE[convention]
        return fn, lr * extra(a, b)
    return "original", lr / max(1.0, a / b) ** 0.5


class OptimizerList:
    """Several optimizers stepped together (matrix optimizer + AdamW for the rest); ``param_groups`` lists all."""

    def __init__(self, optimizers):
        self.optimizers = [o for o in optimizers if o is not None]

    @property
    def param_groups(self):
        """Every group of every wrapped optimizer (so LR schedulers and the Parametrization see one list)."""
        return [g for o in self.optimizers for g in o.param_groups]

    def step(self, closure=None):
        """Step every wrapped optimizer (the closure, if any, is evaluated once) and return its loss."""
        loss = closure() if closure is not None else None
        for o in self.optimizers:
            o.step()
        return loss

    def zero_grad(self, set_to_none: bool = True):
        """Zero the gradients of every wrapped optimizer."""
        for o in self.optimizers:
            o.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        """The state of every wrapped optimizer, in order."""
        return {"optimizers": [o.state_dict() for o in self.optimizers]}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict` into the wrapped optimizers, in order."""
        for o, s in zip(self.optimizers, state["optimizers"]):
            o.load_state_dict(s)


def _po():
    try:
        import pytorch_optimizer
    except ImportError:  # pragma: no cover - declared in the [optim] extra
        raise UserError("SOAP/Shampoo/AdaMuon/grafting need pytorch-optimizer: pip install 'scaling_exponents[optim]'") from None
    return pytorch_optimizer


def _split(pz, groups, matrix_roles):
    """Per-parameter groups for the matrix optimizer, and the remaining groups (AdamW)."""
    mat, rest = [], []
    for g in groups:
        names = g.get("param_names") or [None] * len(g["params"])
        keep = {k: v for k, v in g.items() if k not in ("params", "param_names")}
        other = []
        for p, n in zip(g["params"], names):
            info = pz.records.get(n) if (pz is not None and n is not None) else None
            role = info.role if info is not None else g.get("role")
            model_role = (info.model_role or role) if info is not None else role
            is_mat = role == "weight" and p.dim() == 2 and (matrix_roles is None or model_role in matrix_roles)
            if is_mat:
                mat.append({**keep, "params": [p], "param_names": [n]})
            else:
                other.append((p, n))
        if other:
            rest.append({**keep, "params": [p for p, _ in other], "param_names": [n for _, n in other]})
    return mat, rest


def _adamw(groups, betas=(0.9, 0.999)):
    if not groups:
        return None
    return torch.optim.AdamW([{k: v for k, v in g.items() if k != "eps" or v is not None} for g in groups],
                             betas=betas, weight_decay=0.0)


def build_optimizer(name: str, groups, pz=None, *, matrix_roles=None, momentum: float = 0.95, block_size=None):
    """A torch optimizer for table optimizer ``name`` over ``groups`` (``pz.param_groups``).

    ``matrix_roles=None``: the matrix optimizer takes every ``weight``-role matrix; ``("hidden",)``: only hidden ones.
    Per-group ``lr`` is the table's LR; ``eps`` (when the table has ``damping`` rows) becomes the optimizer's
    damping (Muon's norm floor, SOAP's Adam eps, Shampoo's ``matrix_eps``).
    """
    name = (name or "").lower()
    if name == "kfac":
        raise UserError(f"table kfac: {KFAC_MISSING}")
    if name not in IMPLEMENTATIONS:
        raise UserError(f"no optimizer for {name!r}; known: {', '.join(IMPLEMENTATIONS)}, kfac (not available)")
    groups = list(groups)
    if name in ("adam", "adamw", "sgd"):
        cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[name]
        return cls([{k: v for k, v in g.items() if not (cls is torch.optim.SGD and k == "eps")} for g in groups])
    mat, rest = _split(pz, groups, matrix_roles)
    if not mat:
        from ..torch.matrix_roles import models_with_role

        raise UserError(f"table {name}: no parameter has the per-matrix role 'weight' (models with it: "
                        f"{models_with_role('weight')}, under a per-matrix table such as muon/soap/shampoo)")
    if name == "muon":
        table = getattr(pz, "table", None)
        convention = getattr(table, "parametrization", None)
        for g in mat:
            fn, g["lr"] = muon_group_lr(convention, g["lr"], g["params"][0].shape)
            g["adjust_lr_fn"] = fn
            g.setdefault("eps", 1e-7)
        opt = torch.optim.Muon(mat, momentum=momentum, weight_decay=0.0)
    elif name == "soap":
        opt = _po().SOAP(mat, weight_decay=0.0, precondition_frequency=1,
                         max_precondition_dim=block_size or 10_000)
    elif name == "shampoo":
        for g in mat:
            if "eps" in g:
                g["matrix_eps"] = g.pop("eps")
        opt = _po().Shampoo(mat, momentum=0.0, weight_decay=0.0, preconditioning_compute_steps=1)
    elif name == "adamuon":
        for g in mat:
            g["use_muon"] = True
        opt = _po().AdaMuon(mat, use_adjusted_lr=False, weight_decay=0.0)
    else:  # adam#shampoo
        po = _po()
        from pytorch_optimizer.optimizer.utils.graft import LayerWiseGrafting

        opt = po.ScalableShampoo(mat, graft_type=LayerWiseGrafting.RMSPROP, start_preconditioning_step=1,
                                 preconditioning_compute_steps=1, block_size=block_size or 10_000, weight_decay=0.0)
    return OptimizerList([opt, _adamw(rest)])
