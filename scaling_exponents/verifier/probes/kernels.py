"""Kernels: the LR-weighted empirical NTK of the first logit, the feature kernel, and :func:`nngp_run`, the
init-time kernel of ReLU MLPs against the arc-cosine NNGP (Lee et al., arXiv 1711.00165).
"""

from __future__ import annotations

import math

import torch
from torch.func import functional_call, grad, vmap

from .. import data as _data
from .config import check_device
from .seeds import Capture, SeedBatch, weight_layers


#: Version of what nngp_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


def _kernel(feats):
    """Feature kernel phi phi^T / n per seed; LM features (S, B, T, n) are flattened over tokens."""
    f = feats.float().reshape(feats.shape[0], -1, feats.shape[-1])
    return f @ f.transpose(-1, -2) / f.shape[-1]


def _ntk(sb: SeedBatch, cap: Capture, params, x, cfg) -> torch.Tensor:
    """LR-weighted empirical NTK ``sum_p lr_p J_p J_p^T`` of the first logit on ``ntk_points`` inputs.

    For a Linear layer ``y = m x W^T + m_b b`` the per-sample Jacobian of ``W`` is ``m delta x^T``, so its
    block is ``m^2 (delta delta^T) * (x x^T)`` (elementwise); delta is obtained as the gradient w.r.t. a
    zero perturbation added to the layer output (samples of an MLP are independent, so one backward of
    the summed output gives every sample's delta).
    """
    xp = x[: cfg.ntk_points]
    names = cap.names
    layers = weight_layers(sb.module)

    def g(params, pert):
        cap.pert = pert
        out = functional_call(sb.module, (params, sb.buffers), (xp,))
        ins = {n: cap.store[n][0] for n in names}
        return out[:, 0].float().sum(), ins

    zeros = {n: torch.zeros(xp.shape[0], layers[n].out_features, device=xp.device, dtype=xp.dtype) for n in names}
    try:
        deltas, ins = vmap(grad(g, argnums=1, has_aux=True), in_dims=(0, None))(params, zeros)
    finally:
        cap.pert = None
    total = 0
    for n in names:
        dd = deltas[n].float() @ deltas[n].float().transpose(-1, -2)
        xx = ins[n].float() @ ins[n].float().transpose(-1, -2)
        total = total + sb.lr[f"{n}.weight"] * sb.scale[n] ** 2 * dd * xx
        if f"{n}.bias" in sb.lr:
            total = total + sb.lr[f"{n}.bias"] * sb.bias_scale[n] ** 2 * dd
    return total


def arccos_nngp(x: torch.Tensor, depth: int, sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> torch.Tensor:
    """Analytic NNGP kernel of a ReLU MLP after ``depth`` ReLU layers (Cho & Saul 2009 arc-cosine kernel,
    the recursion of Lee et al., arXiv 1711.00165, Sec. 2.3): K^{l+1} = s_b + s_w/(2 pi) sqrt(k k')
    (sin th + (pi - th) cos th); returns the kernel of the last hidden *post-activation* features times s_w."""
    x = x.double()
    k = sigma_b2 + sigma_w2 * (x @ x.T) / x.shape[1]
    for l in range(depth):
        d = k.diagonal().sqrt()
        cos = (k / (d[:, None] * d[None, :])).clamp(-1, 1)
        th = torch.arccos(cos)
        e = d[:, None] * d[None, :] * (torch.sin(th) + (math.pi - th) * cos) / (2 * math.pi)  # E[relu relu]
        k = sigma_b2 + sigma_w2 * e if l < depth - 1 else sigma_w2 * e
    return k


def nngp_run(width: int, depth: int = 2, seeds=(0, 1, 2, 3, 4), points: int = 16, device: str = "cpu") -> dict:
    """Relative Frobenius error of the empirical last-layer kernel of Gaussian-init ReLU MLPs (He init,
    sigma_w^2 = 2, zero bias; models.MLP) vs :func:`arccos_nngp`, one value per seed.

    The init is the product's: :class:`~scaling_exponents.torch.Parametrization` with ``derive("sp")`` (Everett et
    al. arXiv 2407.05872 Table 1: embedding init n^0, hidden n^-1/2) and ``init=sqrt(2/d_in)`` at ``base_width =
    d_in``, i.e. N(0, 2/fan_in) for the input layer and every hidden layer, biases 0."""
    from ...torch.parametrize import Parametrization
    from ..models import MLP

    dev = check_device(device)
    x, _ = _data.probe_batch(points)
    x = x.to(dev)
    target = arccos_nngp(x.cpu(), depth + 1).to(dev)
    d_in = x.shape[1]
    errs = []
    for s in seeds:
        torch.manual_seed(int(s))
        m = MLP(d_in, width, 1, depth=depth).to(dev)
        Parametrization(m, "sp", "sgd", width=width, base_width=d_in, settings={"init": math.sqrt(2.0 / d_in), "strict": True})
        with torch.no_grad():
            h = m.act(m.embed(x))
            for lin in m.hidden:
                h = m.act(lin(h))
            k = 2.0 * (h.double() @ h.double().T) / width
        errs.append(float((k - target).norm() / target.norm()))
    return {"metrics": {"model|nngp_err": errs}}
