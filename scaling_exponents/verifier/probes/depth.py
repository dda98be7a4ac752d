"""Depth probes: residual stream, branches and in-block updates of a residual network across depths (the
quantities of :func:`scaling_exponents.evidence.predict_depth.predict_depth`), all seeds batched.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from ...errors import UserError
from .config import RunConfig
from .seeds import Capture, _loss, _rms, _setup_seeds, train_fixed_batch


#: Version of what depth_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


def residual_branches(module: nn.Module) -> list[str]:
    """Names of the modules auto-detection marks ``residual_branch`` (the model's ``roles()`` hints), in order."""
    from ...torch.roles import auto

    _, mods, _ = auto(module)
    order = {n: i for i, (n, _) in enumerate(module.named_modules())}
    return sorted({m.module_name for m in mods if m.role == "residual_branch"}, key=order.get)


def _gmean(rows: list[torch.Tensor]) -> list:
    """Geometric mean over a list of per-seed (S,) tensors -> per-seed list (a diverged value stays non-finite)."""
    st = torch.stack([r.float() for r in rows])
    return st.clamp_min(1e-30).log().mean(0).exp().where(torch.isfinite(st).all(0), st.sum(0)).tolist()


def _outer(mods: dict, params: dict) -> dict:
    """``{layer|update_rms: [parameter names]}`` of the input weights, the branches' norms, the final norm and the
    readout (those present): the depth rows of their LRs act on these (:func:`~scaling_exponents.evidence.predict_depth.
    predict_depth`), which the stream and branch quantities see only through subleading terms."""
    norms = [f"{m}.weight" for m, mod in mods.items() if isinstance(mod, nn.LayerNorm) and m != "ln_f"
             and f"{m}.weight" in params]
    groups = {"embed|update_rms": [n for n in ("embed.weight", "wte.weight") if n in params][:1],
              "norm|update_rms": norms, "final_norm|update_rms": [n for n in ("ln_f.weight",) if n in params],
              "head|update_rms": [n for n in ("head.weight",) if n in params]}
    return {k: v for k, v in groups.items() if v}


def depth_run(cfg: RunConfig) -> dict:
    """One depth point of a residual network (``resmlp`` or ``gpt``), all seeds batched; ``cfg.steps`` Adam/SGD steps
    on a fixed batch.  Returns ``{"metrics": {"layer|quantity": [per seed]}, "loss": ...}`` with the keys of
    :data:`~scaling_exponents.evidence.predict_depth.DEPTH_QUANTITIES`:

    * ``stream`` = input of ``ln_f`` (h^L), ``blocks_sum`` = h^L - h^0 (h^0 = input of the first block);
    * ``branch`` = output of each ``residual_branch`` module *after* its multiplier (the Parametrization's hook runs
      before ours), geometric mean over branches; ``own_delta`` re-runs each trained branch on its own init input
      (``F(x_0; W_t) - F(x_0; W_0)``), ``input_delta`` is the rest of its change (``F(x_t; W_t) - F(x_0; W_t)``);
    * ``hidden|dW_rms`` = RMS of ``m (W_t - W_0)`` of every Linear inside a branch, geometric mean;
    * ``embed``/``norm``/``final_norm``/``head|update_rms`` = RMS of the raw parameter change ``P_t - P_0`` of the input
      weights, the branches' norm gains (geometric mean), the final norm's gain and the readout.
    """
    if cfg.model not in ("resmlp", "gpt"):
        raise UserError(f"depth runs need a residual model (resmlp or gpt), got {cfg.model!r}")
    device, dtype, x, y, sb = _setup_seeds(cfg)
    mods = dict(sb.module.named_modules())
    branches = residual_branches(sb.module)
    if not branches or "ln_f" not in mods or "head" not in mods:
        raise UserError(f"{type(sb.module).__name__} needs residual_branch hints, ln_f and head for a depth run")
    first = ".".join(branches[0].split(".")[:2])  # blocks.0 (GPT's Block or ResMLP's branch): its input is h^0
    names = list(dict.fromkeys(branches + [first, "ln_f", "head"]))
    hidden = [m for m, mod in mods.items() if isinstance(mod, nn.Linear) and any(m.startswith(b + ".") for b in branches)]
    cap = Capture(sb.module, names)
    try:
        def f(params, xb, yb):
            cap.store = {}
            out = functional_call(sb.module, (params, sb.buffers), (xb,))
            loss = _loss(out, yb)
            st = cap.store
            aux = {"h0": st[first][0], "hL": st["ln_f"][0], "feat": st["ln_f"][1], "logits": out,
                   "b_in": {b: st[b][0] for b in branches}, "b_out": {b: st[b][1] for b in branches}}
            return loss, (aux, loss)

        step_fn = vmap(grad(f, has_aux=True), in_dims=(0, None, None))
        params = sb.params
        init = {n: params[n].clone() for n in params}
        losses = []
        (a0, _), (aT, _), params = train_fixed_batch(step_fn, params, x, y, sb, cfg,
                                                     on_step=lambda t, aux: losses.append(aux[1].float().tolist()))
        dims = lambda z: tuple(range(1, z.dim()))
        rms = lambda z: _rms(z, dims(z))
        m = {"stream|act_init": rms(a0["hL"]).tolist(),
             "blocks_sum|act_init": rms(a0["hL"].float() - a0["h0"].float()).tolist(),
             "branch|act_init": _gmean([rms(a0["b_out"][b]) for b in branches]),
             "stream|act_delta": rms(aT["hL"].float() - a0["hL"].float()).tolist(),
             "blocks_sum|act_delta": rms((aT["hL"].float() - aT["h0"].float()) - (a0["hL"].float() - a0["h0"].float())).tolist(),
             "branch|act_delta": _gmean([rms(aT["b_out"][b].float() - a0["b_out"][b].float()) for b in branches]),
             "features|act_delta": rms(aT["feat"].float() - a0["feat"].float()).tolist(),
             "head|act_delta": rms(aT["logits"].float() - a0["logits"].float()).tolist()}
        own, inp = [], []
        for b in branches:
            sub = {k[len(b) + 1:]: v for k, v in params.items() if k.startswith(b + ".")}
            sub0 = {k[len(b) + 1:]: v for k, v in init.items() if k.startswith(b + ".")}
            run_b = vmap(lambda p, xin, mod=mods[b]: functional_call(mod, p, (xin,)))
            with torch.no_grad():
                trained_at_init_input = run_b(sub, a0["b_in"][b]).float()
                own.append(rms(trained_at_init_input - run_b(sub0, a0["b_in"][b]).float()))
                inp.append(rms(run_b(sub, aT["b_in"][b]).float() - trained_at_init_input))
        m["branch|own_delta"] = _gmean(own)
        m["branch|input_delta"] = _gmean(inp)
        m["hidden|dW_rms"] = _gmean([_rms((params[f"{h}.weight"].float() - init[f"{h}.weight"].float()) * sb.scale[h], (1, 2))
                                     for h in hidden])
        for key, names_ in _outer(mods, params).items():  # raw updates of the parameters outside the blocks' Linears
            m[key] = _gmean([rms(params[n].float() - init[n].float()) for n in names_])
    finally:
        cap.remove()
    bad = [k for k, v in m.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": m, "loss": [list(r) for r in zip(*losses)], "nonfinite": bad,
            "branches": len(branches)}
