"""Density probe (:func:`density_run`): the reference MLP with a fixed random static mask of density rho on every
hidden matrix, one width, one model and one ``torch.optim.Adam`` per seed, measuring the quantities of
:mod:`scaling_exponents.evidence.predict_density`.

**Mask.**  :class:`MaskedMLP` keeps, for each hidden ``nn.Linear``, a 0/1 buffer ``mask`` drawn i.i.d.
Bernoulli(rho) (``mask_seed`` + layer index, the same mask for every model seed; rho = 1 is dense).  The mask is
applied to the weight in the forward pass (``F.linear(h, W * mask)``), so autograd applies it to the gradient too
(``dL/dW = mask * dL/d(W * mask)``), and the masked entries of ``W`` are zeroed at init: Adam's moments of those
entries stay 0, its update there is 0, and they stay exactly 0 after any number of steps (unstructured static
sparsity as in arXiv 2405.15743).  Embedding and readout are dense.

**HPs: the product.**  Each seed's model gets the table through :class:`~scaling_exponents.torch.Parametrization`
(roles ``embed``/``hidden.*``/``head`` -> embedding/hidden/readout, width fixed: ``base_width = width``, the density
as a dimension: ``sizes={"density": (rho, 1)}``, ``init="rescale"``) and trains with ``torch.optim.Adam`` on its
``param_groups``.  So the base is PyTorch's default init (U(±1/sqrt(fan_in)), fan_in = n) and the base LR, both at
rho = 1, and at density rho each role's init is multiplied by ``rho^s`` and its LR by ``rho^c`` (s/c = the table's
density powers; :func:`scaling_exponents.evidence.predict_density.role_factors` states the same numbers).  The
masked forward calls ``F.linear`` itself, so a table with multiplier rows (forward hooks) is refused.  Data: the verifier's
probe batch (:func:`scaling_exponents.verifier.data.probe_batch`, 64 digits features, 10 classes), cross-entropy.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch.nn import functional as F

from ...errors import UserError
from ..models.mlp import MLP
from .config import check_device, table_for

#: roles of the masked MLP's layers (``layers=`` of the Parametrization)
#: Version of what density_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


ROLES = {"embed": "embedding", "hidden.*": "hidden", "head": "readout"}


@dataclass
class DensityConfig:
    """One density point (all seeds); ``to_dict()`` is the result store's key."""

    param: str
    density: float
    optimizer: str = "adam"
    width: int = 256
    depth: int = 2
    lr: float = 1e-2
    steps: int = 3
    seeds: tuple = (0, 1, 2)
    batch: int = 64
    mask_seed: int = 1234
    device: str = "cpu"

    def to_dict(self):
        """The config as the result store's key (seeds as a list)."""
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        return d


class MaskedMLP(MLP):
    """:class:`~scaling_exponents.verifier.models.mlp.MLP` (no biases) whose hidden matrices are ``W * mask``.

    ``hidden.{i}.mask``: a fixed Bernoulli(``density``) 0/1 buffer (generator seeded ``mask_seed + i``); the masked
    entries of ``hidden.{i}.weight`` are set to 0 here, and the forward's ``W * mask`` masks their gradient, so under
    Adam (zero moments, zero update) they stay exactly 0."""

    def __init__(self, d_in: int, width: int, d_out: int, depth: int, density: float, mask_seed: int = 1234):
        if not 0 < density <= 1:
            raise UserError(f"density must be in (0, 1], got {density}")
        super().__init__(d_in, width, d_out, depth=depth, bias=False)
        self.density = float(density)
        for i, layer in enumerate(self.hidden):
            g = torch.Generator().manual_seed(int(mask_seed) + i)
            mask = (torch.rand(layer.weight.shape, generator=g) < density).to(layer.weight.dtype)
            layer.register_buffer("mask", mask)
            with torch.no_grad():
                layer.weight.mul_(mask)

    def forward(self, x):
        """The MLP with each hidden matrix multiplied by its fixed sparsity mask (``W ⊙ M``)."""
        h = self.act(self.embed(x))
        for layer in self.hidden:
            h = self.act(F.linear(h, layer.weight * layer.mask))
        return self.head(h)


def _rms(t: torch.Tensor) -> float:
    return float(t.float().pow(2).mean().sqrt())


def density_run(cfg: DensityConfig) -> dict:
    """Train each seed ``cfg.steps`` Adam steps on the fixed batch; ``{"metrics": {"layer|quantity": [per seed]}}``.

    Per weight layer: ``act_init`` (RMS output at init), ``act_delta`` (RMS of the output change at the last step),
    ``own_delta`` (RMS of ``ΔW x_0``, x_0 = the layer's input at init; not for ``embed``); per hidden layer
    ``dW_rms`` (RMS of ``W_t - W_0`` over the mask's active entries) and ``mask_leak`` (max |W_t| on masked
    entries; 0 exactly).  Layer outputs are pre-activations (``F.linear``), as the coordinate check's hooks see.
    """
    from ..data import probe_batch

    device = check_device(cfg.device)
    table = table_for(cfg.param, cfg.optimizer, None)
    x, y = (t.to(device) for t in probe_batch(cfg.batch))
    per_seed = []
    for s in cfg.seeds:
        torch.manual_seed(int(s))
        model = MaskedMLP(x.shape[1], cfg.width, 10, cfg.depth, cfg.density, cfg.mask_seed).to(device)
        named = [("embed", "embedding", model.embed)] + \
                [(f"hidden.{i}", "hidden", l) for i, l in enumerate(model.hidden)] + [("head", "readout", model.head)]
        opt = torch.optim.Adam(parametrize(model, table, cfg).param_groups)
        w0 = {n: l.weight.detach().clone() for n, _, l in named}
        ins0, outs0 = _io(model, named, x)
        for _ in range(cfg.steps):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        _, outs = _io(model, named, x)
        m = {"loss": float(loss.detach())}
        with torch.no_grad():
            for n, role, layer in named:
                mask = getattr(layer, "mask", None)
                dw = layer.weight.detach() - w0[n]
                m[f"{n}|act_init"] = _rms(outs0[n])
                m[f"{n}|act_delta"] = _rms(outs[n] - outs0[n])
                if n != "embed":
                    m[f"{n}|own_delta"] = _rms(F.linear(ins0[n], dw))
                if mask is not None:
                    on = mask.bool()
                    m[f"{n}|dW_rms"] = _rms(dw[on])
                    m[f"{n}|mask_leak"] = float(layer.weight.detach()[~on].abs().max()) if (~on).any() else 0.0
        per_seed.append(m)
    metrics = {k: [p[k] for p in per_seed] for k in per_seed[0]}
    bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": metrics, "nonfinite": bad}


def parametrize(model: MaskedMLP, table, cfg: DensityConfig):
    """The table applied to the masked MLP by :class:`~scaling_exponents.torch.Parametrization` (module doc)."""
    from ...torch.parametrize import Parametrization

    pz = Parametrization(model, table, cfg.optimizer, layers=ROLES, width=cfg.width, base_width=cfg.width,
                         sizes={"density": (float(cfg.density), 1)}, lr=cfg.lr, settings={"strict": True})
    hooked = [n for n, r in pz.records.items() if r.multiplier != 1.0] + list(pz.output_multipliers)
    if hooked:
        raise UserError(f"table {table.parametrization} has forward multipliers ({', '.join(hooked)}); the masked "
                        "MLP's forward (F.linear of W * mask) does not run module hooks: use a table without them")
    return pz


def _io(model, named, x):
    """Inputs and pre-activation outputs of every weight layer on ``x`` (no grad)."""
    ins, outs = {}, {}
    with torch.no_grad():
        h = x
        for n, _, layer in named:
            w = layer.weight * layer.mask if hasattr(layer, "mask") else layer.weight
            ins[n], outs[n] = h, F.linear(h, w)
            h = model.act(outs[n])
    return ins, outs
