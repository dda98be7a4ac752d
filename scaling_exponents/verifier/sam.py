"""SAM with per-layer perturbation radii (muP^2: Haas, Xu, Cevher & Vankadara, arXiv 2411.00075, Sec. 3 / App. D).

The bcd-parametrization perturbs the weights by

    eps_t = rho n^{-d} v_t / ||v_t||,    v_t = (n^{-d_1} grad_{W^1} L, ..., n^{-d_{L+1}} grad_{W^{L+1}} L),

i.e. the per-layer scales n^{-d_l} act *inside* the normalisation.  pytorch_optimizer's ``SAM`` (kept library,
``pytorch_optimizer==4.1.0``; Foret et al., arXiv 2010.01412) already takes a per-group radius ``rho`` and divides
by the global gradient norm, ``e_w = rho_group g / ||g||``; it lacks only the n^{-d_l} inside ``||.||``.  So
:class:`LayerwiseSAM` multiplies each group's gradient by its ``layer_scale`` = n^{-d_l} right before the library's
``first_step``: the library's norm is then ``||v||`` and its ``e_w = rho n^{-d} n^{-d_l} g_l / ||v||`` -- exactly the
paper's eps.  Restoring the weights and the base optimizer's step are the library's (``second_step``, ``step``).

The radii come from the derived table (:mod:`scaling_exponents.systems.sam`): role ``global`` row
``perturbation`` = n^{-d}; each layer role's ``perturbation_layer_scale`` = n^{-d_l}.
"""

from __future__ import annotations

import torch

from ..errors import UserError

#: Models whose every weight layer has a role with SAM radii (embedding, hidden, readout): the plain MLP only;
#: the residual MLP and the GPT add layer norms, which the bcd tables do not cover.
SAM_MODELS = ("mlp",)


def layer_radii(pz, rho: float, model: str = "your model") -> list[dict]:
    """Param groups of ``pz`` (a :class:`~scaling_exponents.torch.Parametrization` of a SAM table) with the SAM keys
    ``rho`` (= rho x n^{-d}, the table's ``global perturbation`` row) and ``layer_scale`` (= n^{-d_l}).

    A parameter whose role has no ``perturbation_layer_scale`` row is a one-line :class:`UserError` naming the
    table, the role and the models that have only covered roles."""
    table = pz.table
    covered = sorted({r.role for r in table.rows if r.quantity == "perturbation_layer_scale"})
    if not covered:
        raise UserError(f"table {table.parametrization} has no per-layer SAM radii (perturbation_layer_scale rows); "
                        "use sam-mup2, sam-global or sam-naive")
    if not (rho > 0):
        raise UserError(f"--rho (the SAM radius at the base width) must be > 0, got {rho}")
    groups = pz.param_groups
    for g in groups:
        if g["role"] not in covered:
            raise UserError(f"table {table.parametrization} has no SAM radius for role {g['role']!r} "
                            f"(parameter {g['param_names'][0]!r} of {model}); it covers {', '.join(covered)}; "
                            f"models with only these roles: --model {', '.join(SAM_MODELS)}")
        infos = [pz.records[n] for n in g["param_names"]]
        scales = {pz.factor(g["role"], "perturbation_layer_scale", i) for i in infos}
        glob = {pz.factor("global", "perturbation", i) for i in infos}
        if len(scales) > 1 or len(glob) > 1:  # pragma: no cover - one width per role in the reference models
            raise UserError(f"parameters of role {g['role']!r} get different SAM radii; give them separate roles")
        g["layer_scale"], g["rho"] = scales.pop(), rho * glob.pop()
    return groups


def make_sam(pz, rho: float, optimizer: str = "sgd", model: str = "your model"):
    """A :class:`LayerwiseSAM` over the parametrization's groups with base ``torch.optim.SGD`` or ``Adam``."""
    if optimizer not in ("sgd", "adam"):
        raise UserError(f"SAM's base optimizer is sgd or adam (the tables' optimizers); got {optimizer!r}")
    if _SAM is None:  # pragma: no cover - depends on the environment
        raise UserError("SAM needs pytorch_optimizer: pip install 'scaling-exponents[sam]' (pytorch_optimizer==4.1.0)")
    base = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    return LayerwiseSAM(layer_radii(pz, rho, model), base)


try:
    from pytorch_optimizer import SAM as _SAM
except ImportError:  # pragma: no cover - depends on the environment
    _SAM = None


if _SAM is not None:
    class LayerwiseSAM(_SAM):
        """pytorch_optimizer's SAM with muP^2's per-layer scales inside the normalisation (arXiv 2411.00075
        Sec. 3): each group's gradient is multiplied by its ``layer_scale`` before the library's ascent step."""

        @torch.no_grad()
        def first_step(self, zero_grad: bool = False):
            for group in self.param_groups:
                s = group.get("layer_scale", 1.0)
                for p in group["params"]:
                    if p.grad is not None and s != 1.0:
                        p.grad.mul_(s)
            super().first_step(zero_grad)

        @torch.no_grad()
        def perturbation(self) -> list[torch.Tensor]:
            """Apply the ascent step to the current gradients, return eps per parameter (group order) and restore
            the weights (a measurement: no base step, gradients cleared)."""
            params = [p for g in self.param_groups for p in g["params"]]
            self.first_step(zero_grad=True)
            eps = []
            for p in params:
                old = self.state[p].pop("old_p", None)
                eps.append(torch.zeros_like(p) if old is None else p - old)
                if old is not None:
                    p.copy_(old)
            return eps
