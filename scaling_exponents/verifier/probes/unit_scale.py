"""u-muP's own claim, measured: "activations, weights and gradients begin training with a scale of one"
(Blake et al., arXiv 2407.17465, abstract), on a unit-scaled model across widths and depths, with graphcore's
``unit_scaling`` 0.3.5 as the oracle.

The model is the library's own unit-scaled transformer, ``unit_scaling.TransformerDecoder`` (u-muP embedding,
pre-norm layers with the tau residual rule ``transformer_residual_scaling_rule``, ``LinearReadout``), so the
backward scales that make gradients unit (not abc quantities, hence not in the derived table) are the library's.
One forward and backward of ``decoder.loss`` (the library's unit-scaled cross-entropy) per seed at init on a
fixed byte batch; per seed:

* ``embedding|act_rms``, ``stream|act_rms`` (residual stream after the last layer), ``hidden|act_rms`` (geometric
  mean over the outputs of every ``unit_scaling.Linear`` inside the layers), ``head|act_rms`` (logits);
* ``weights|w_rms`` (geometric mean of every weight's RMS); ``embedding|grad_rms``, ``hidden|grad_rms``
  (geometric mean over the layers' weights), ``readout|grad_rms``;
* the library's scales, read from its modules (the oracle the derived table is compared with):
  ``hidden|lib_multiplier`` = RMS(out) / (RMS(in) RMS(W) sqrt(fan_in)) of the layers' Linears (forward scale),
  ``readout|lib_multiplier`` the same for ``LinearReadout``, ``residual_branch|lib_tau`` = the last branch's tau,
  ``<role>|lib_lr`` = ``unit_scaling.optim.lr_scale_func_adam`` of the embedding / a hidden weight / the readout.
"""

from __future__ import annotations

import math

import torch

from ...errors import UserError

#: Version of what unit_scale_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


VOCAB = 256
HEAD_DIM = 16


def _rms(t):
    return float(t.detach().float().pow(2).mean().sqrt())


def _gmean(vals):
    return math.exp(sum(math.log(max(v, 1e-30)) for v in vals) / len(vals))


def library():
    """graphcore's ``unit_scaling`` and its ``lr_scale_func_adam`` (the reference u-muP implementation the check
    compares with); missing, it is a :class:`UserError` naming the extra to install."""
    try:
        import unit_scaling as uu
        from unit_scaling.optim import lr_scale_func_adam
    except ImportError:  # pragma: no cover - installed in the dev environment
        raise UserError("u-muP's unit-scale check needs graphcore's unit-scaling: pip install 'scaling-exponents[umup]'")
    return uu, lr_scale_func_adam


def unit_scale_run(width: int, depth: int, seeds=(0, 1, 2, 3, 4), batch: int = 8, block: int = 32) -> dict:
    """``{"metrics": {"group|quantity": [per seed]}}`` of a unit-scaled TransformerDecoder at init (module doc)."""
    from .. import data as _data

    if width % HEAD_DIM or width < HEAD_DIM or depth < 1:
        raise UserError(f"the unit-scaled transformer needs width a multiple of {HEAD_DIM} and depth >= 1; "
                        f"got width={width}, depth={depth}")
    uu, lr_scale = library()
    x, _ = next(_data.byte_batches(block, batch, seed=0))
    metrics: dict[str, list] = {}
    for s in seeds:
        torch.manual_seed(int(s))
        model = uu.TransformerDecoder(width, VOCAB, depth, width // HEAD_DIM)
        lins = {n: m for n, m in model.layers.named_modules() if type(m) is uu.Linear}
        seen = {}

        def hook(name):
            def f(mod, args, out):
                seen[name] = (_rms(args[0]), _rms(out))
            return f

        handles = [m.register_forward_hook(hook(n)) for n, m in lins.items()]
        handles.append(model.projection.register_forward_hook(hook("projection")))
        handles.append(model.embedding.register_forward_hook(hook("embedding")))
        handles.append(model.final_norm.register_forward_hook(hook("final_norm")))
        try:
            model.loss(x).backward()
        finally:
            for h in handles:
                h.remove()
        weights = {n: p for n, p in model.named_parameters() if p.dim() >= 2}
        hidden_w = [p for n, p in weights.items() if n.startswith("layers.")]
        fwd = lambda name, mod: seen[name][1] / (seen[name][0] * _rms(mod.weight) * math.sqrt(mod.weight.shape[1]))
        vals = {
            "embedding|act_rms": seen["embedding"][1],
            "stream|act_rms": seen["final_norm"][0],
            "hidden|act_rms": _gmean([seen[n][1] for n in lins]),
            "head|act_rms": seen["projection"][1],
            "weights|w_rms": _gmean([_rms(p) for p in weights.values()]),
            "embedding|grad_rms": _rms(model.embedding.weight.grad),
            "hidden|grad_rms": _gmean([_rms(p.grad) for p in hidden_w]),
            "readout|grad_rms": _rms(model.projection.weight.grad),
            "hidden|lib_multiplier": _gmean([fwd(n, m) for n, m in lins.items()]),
            "readout|lib_multiplier": fwd("projection", model.projection),
            "residual_branch|lib_tau": float(model.layers[-1].mlp_tau),
            "embedding|lib_lr": lr_scale(model.embedding.weight),
            "hidden|lib_lr": lr_scale(model.layers[0].mlp.linear_1.weight),
            "readout|lib_lr": lr_scale(model.projection.weight),
        }
        for k, v in vals.items():
            metrics.setdefault(k, []).append(float(v))
    bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": metrics, "nonfinite": bad}
