"""The coordinate-check run (:func:`coord_run`): train all seeds of one width for a few steps on a fixed batch
and record the quantities of :mod:`scaling_exponents.evidence.predict` (``act_init``, ``act_delta``, ``dW_rms``,
``dW_spec``, ``W_spec``, ``kernel_move``, ``ntk_move``) with forward hooks on every weight layer; the verifier
fits their log-log slopes across widths.  One kernel launch per layer for all seeds (``vmap`` over
``functional_call``) instead of one model per seed as in microsoft/mup's ``get_coord_data``.
"""

from __future__ import annotations

import math

from torch import nn
from torch.func import functional_call, grad, vmap

from ...errors import UserError
from .config import RunConfig
from .coord_fast import _coord_run_mlp, _fast_unsupported
from .kernels import _kernel, _ntk
from .seeds import _ACT_TYPES, _l1, _l1_key, _loss, _rms, _setup_seeds, _weight_metrics, adam_step, Capture, weight_layers


#: Version of what coord_run (and its fast path, probes.coord_fast; shared metrics in probes.seeds) records, kept
#: in each stored run's provenance (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the
#: metrics it records change, so stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


def coord_run(cfg: RunConfig, impl: str = "auto") -> dict:
    """Train all seeds of one width for ``cfg.steps`` steps on a fixed batch; return measured values.

    Result: ``{"metrics": {"layer|quantity": [value per seed]}, "loss": [[per step] per seed]}`` where
    ``act_delta`` appears per step as ``layer|act_delta|t{t}`` and at the last step as ``layer|act_delta``.
    With ``cfg.stats == "l1"`` the metrics are only ``module|l1|t{t}`` (mean |output| of each weight layer and
    each activation call, ``t = 0..steps``; microsoft/mup's default ``get_coord_data`` record).

    ``impl``: ``"auto"`` uses the hand-written seed-batched MLP path (:func:`_coord_run_mlp`: batched matmuls,
    manual backward, no ``vmap``) where it applies (``model="mlp"`` without biases, float32/64, Adam/SGD,
    ``init="rescale"``) and the generic ``vmap(grad(functional_call))`` path otherwise; ``"reference"`` forces
    the generic path, ``"fast"`` the MLP path (an error where it does not apply).  Both give the same values
    up to float rounding (tests/test_verify_fast.py).
    """
    if cfg.stats not in ("full", "l1"):
        raise UserError(f"stats must be 'full' or 'l1', got {cfg.stats!r}")
    if impl not in ("auto", "fast", "reference"):
        raise ValueError(f"impl must be auto, fast or reference, got {impl!r}")
    if impl != "reference":
        why = _fast_unsupported(cfg)
        if why is None:
            res = _coord_run_mlp(cfg)
            if res is not None:
                return res
            why = "the Parametrization does not rescale plain Linear weights"
        if impl == "fast":
            raise UserError(f"the fast MLP coord_run does not apply: {why}")
    return _coord_run_reference(cfg)


def _coord_run_reference(cfg: RunConfig) -> dict:
    """The generic path: any model, seeds batched with ``vmap(grad(functional_call))`` and forward hooks."""
    device, dtype, x, y, sb = _setup_seeds(cfg)
    layers = weight_layers(sb.module)
    names = list(layers)
    cap = Capture(sb.module, names)
    readout_in = names[-1]
    l1_only = cfg.stats == "l1"
    act_calls: dict = {}
    act_handles = []
    if l1_only:  # every activation module's output too (a module used twice, like MLP.act, per call)
        def act_hook(name):
            def hook(mod, args, out):
                act_calls.setdefault(name, []).append(out)
            return hook
        act_handles = [m.register_forward_hook(act_hook(n)) for n, m in sb.module.named_modules()
                       if isinstance(m, _ACT_TYPES)]
    try:
        def f(params, xb, yb):
            cap.store = {}
            act_calls.clear()
            out = functional_call(sb.module, (params, sb.buffers), (xb,))
            loss = _loss(out, yb)
            acts = {n: cap.store[n][1] for n in names}
            if l1_only:
                acts.update({(n, k, len(v)): o for n, v in act_calls.items() for k, o in enumerate(v)})
                return loss, (acts, loss, loss)
            feats = cap.store[readout_in][0]
            return loss, (acts, feats, loss)

        if l1_only:
            step_fn = vmap(grad(f, has_aux=True), in_dims=(0, None, None))
            params, state, metrics, losses = sb.params, {}, {}, []
            for t in range(cfg.steps + 1):
                grads, (acts, _, loss) = step_fn(params, x, y)
                losses.append(loss.float().tolist())
                for n, a in acts.items():
                    metrics[_l1_key(*n, t) if isinstance(n, tuple) else _l1_key(n, 0, 1, t)] = _l1(a)
                if t < cfg.steps:
                    params = adam_step(params, grads, state, t + 1, sb, cfg.optimizer)
                del grads
            bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
            return {"metrics": metrics, "loss": [list(r) for r in zip(*losses)], "nonfinite": bad}

        step_fn = vmap(grad(f, has_aux=True), in_dims=(0, None, None))
        params = sb.params
        init = {n: params[n].clone() for n in params}
        state, metrics, losses = {}, {}, []
        acts0 = feats0 = None
        want_ntk = cfg.model == "mlp" and cfg.ntk_points and cfg.optimizer == "sgd"  # SGD's kernel
        ntk0 = _ntk(sb, cap, params, x, cfg) if want_ntk else None
        for t in range(cfg.steps + 1):
            grads, (acts, feats, loss) = step_fn(params, x, y)
            losses.append(loss.float().tolist())
            if t == 0:
                acts0, feats0 = acts, feats
                for n in names:
                    metrics[f"{n}|act_init"] = _rms(acts[n], tuple(range(1, acts[n].dim()))).tolist()
            else:
                for n in names:
                    d = _rms(acts[n].float() - acts0[n].float(), tuple(range(1, acts[n].dim()))).tolist()
                    metrics[f"{n}|act_delta|t{t}"] = d
            if t < cfg.steps:
                params = adam_step(params, grads, state, t + 1, sb, cfg.optimizer)
            del grads
        for n in names:
            metrics[f"{n}|act_delta"] = metrics[f"{n}|act_delta|t{cfg.steps}"]
            _weight_metrics(metrics, n, init[f"{n}.weight"], params[f"{n}.weight"], sb.scale[n],
                            isinstance(layers[n], nn.Embedding))
        k0, kT = _kernel(feats0), _kernel(feats)
        metrics["features|kernel_move"] = ((kT - k0).norm(dim=(1, 2)) / k0.norm(dim=(1, 2))).tolist()
        if ntk0 is not None:
            ntkT = _ntk(sb, cap, params, x, cfg)
            metrics["model|ntk_move"] = ((ntkT - ntk0).norm(dim=(1, 2)) / ntk0.norm(dim=(1, 2))).tolist()
    finally:
        cap.remove()
        for h in act_handles:
            h.remove()
    bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": metrics, "loss": [list(r) for r in zip(*losses)], "nonfinite": bad}
