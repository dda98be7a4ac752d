"""``verify -p adamw-timescale`` / ``-p wd-layerwise``: the weight-decay rules measured on AdamW runs of the MLP.

Runs :func:`.probes.decay.decay_run` across widths (at M = 16 iterations per epoch) and, for tables with rows along
``iters_per_epoch`` (adamw-timescale), across M = 8..64 at the base width; fits log-log slopes with seed-bootstrap
CIs and compares them with :func:`scaling_exponents.evidence.predict_decay.predict_decay`.

Role mapping on the reference MLP: adamw-timescale's ``any`` covers every layer (its ``--lr-rule mup`` variant has
embedding/hidden/readout rows: auto-detected); wd-layerwise's ``matrix`` is the hidden (width x width) layers, its
``vector`` the input and output layers, with lambda = 0 (the abstract's vector-like rule; which layers count as
vector-like is UNVERIFIED there).  Base LR 1e-2 and coupled lambda 1/(40 lr) at the base size: a 40-step timescale.
Runs last 5 predicted timescales of the slowest layer at the largest width (steady state for ``top_sv``/``W_rms``), the
M sweep 2.5 (``tau`` is fitted where the init overlap is above e^-2).

Measured on CPU (catalog/verification/weight_decay, 5 seeds): the init-forgetting time converges to 1/(eta lambda)
from above as the width grows (hidden layers 77 -> 40 steps from width 128 to 1024 at 1/(eta lambda) = 40; the
readout 350 -> 170): Adam's updates correlate with the initial weights (most for the readout, whose logits the loss
keeps scaling), so adamw-timescale's width rows fail at these widths while its M rows (tau_iter ∝ M, tau_epoch
constant) pass; wd-layerwise's rows pass, its top_sv CI is wide (steady-state sigma_max fluctuates between seeds).

wd-compute-optimal is not measured: its claim (optimal independent decay ∝ 1/D at 20 tokens per parameter, arXiv
2512.05620 Sec. 3.4 / Fig. 5) is about the optimum of compute-optimal LLM runs, which needs a decay sweep of
full-length runs per width -- a GPU experiment; ``verify`` says so in one line.
"""

from __future__ import annotations

import math

from ..errors import UserError
from ..evidence.summary_record import Summary
from ..theory.factors import scale_factor

DECAY_WIDTHS = (128, 256, 512, 1024)
DECAY_MS = (8, 16, 32, 64)
BASE_M = 16
TAU0 = 40.0
ROLE_MAPS = {"wd-layerwise": ({"embed": "vector", "hidden.*": "matrix", "head": "vector"}, ("vector",))}
NOT_MEASURABLE = {"wd-compute-optimal": "its claim (optimal independent decay ∝ 1/D at 20 tokens per parameter, "
                                        "arXiv 2512.05620 Sec. 3.4 / Fig. 5) is the optimum of compute-optimal LLM runs: "
                                        "it needs a decay sweep of full-length runs per width on a GPU, not a CPU probe"}


def _roles(table, depth):
    names = ["embed"] + [f"hidden.{i}" for i in range(depth)] + ["head"]
    if table.parametrization in ROLE_MAPS:
        patterns, no_decay = ROLE_MAPS[table.parametrization]
    elif "any" in table.roles:
        patterns, no_decay = {"embed": "any", "hidden.*": "any", "head": "any"}, ()
    else:
        return None, {n: ("embedding" if n == "embed" else "readout" if n == "head" else "hidden") for n in names}, ()
    per_layer = {n: patterns["hidden.*" if n.startswith("hidden") else n] for n in names}
    return patterns, per_layer, no_decay


def _tau_pred(table, roles, no_decay, lr, wd, width, base_width, m):
    """Predicted timescale (steps) of the slowest decayed layer: 1/(eta lambda) x the table's factors."""
    taus = []
    for role in set(roles.values()) - set(no_decay):
        f = scale_factor(table, role, "lr_wd_product", {"width": (width, base_width), "iters_per_epoch": (m, BASE_M)})
        taus.append(1.0 / (lr * wd * f))
    return max(taus)


def verify_decay_target(target, *, model="mlp", widths=None, depth=2, seeds=5, lr=None, weight_decay=None,
                        base_width=None, batch=16, device="cpu", dtype="float32", tol=0.15, store=None,
                        progress=False) -> Summary:
    """Weight-decay sweep of one parametrization (adamw-timescale, wd-layerwise) on AdamW runs of the MLP: measured
    slopes across widths (and iterations per epoch) against :func:`.predict_decay.predict_decay`; returns the
    summary."""
    from ..evidence.predict_decay import DECAY_QUANTITIES, predict_decay
    from ..evidence.store import ResultStore, provenance
    from ..evidence.summary import fit_rows
    from .probes import table_for
    from .probes import decay as probe
    from .probes.decay import decay_run
    from .sweep import run_tasks

    if target.param in NOT_MEASURABLE:
        raise UserError(f"{target.param} is not measurable by verify: {NOT_MEASURABLE[target.param]}")
    if model != "mlp":
        raise UserError(f"the weight-decay probe runs the reference MLP (--model mlp); got --model {model}")
    opt = target.optimizer or "adamw"
    table = table_for(target.param, opt, None)
    patterns, roles, no_decay = _roles(table, depth)
    preds = predict_decay(table, roles, no_decay)
    widths = sorted(widths or DECAY_WIDTHS)
    base_width = base_width or widths[0]
    lr = lr if lr is not None else 1e-2
    wd = weight_decay if weight_decay is not None else 1.0 / (TAU0 * lr)
    if not (lr > 0 and wd > 0):
        raise UserError(f"--lr and --weight-decay must be > 0 for the decay probe; got {lr}, {wd}")
    store = store if store is not None else ResultStore(None)
    steps_w = math.ceil(5 * max(_tau_pred(table, roles, no_decay, lr, wd, w, base_width, BASE_M) for w in widths))
    common = dict(param=target.param, optimizer=opt, options={}, base_width=base_width, base_m=BASE_M,
                  roles=patterns, no_decay=no_decay, lr=lr, weight_decay=wd, seeds=tuple(range(seeds)), batch=batch,
                  depth=depth, device=device, dtype=dtype)

    def task(width, m, steps):
        kw = dict(common, width=width, m=m, steps=steps)
        conf = {"kind": "decay", **{k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}}
        return conf, (lambda kw=kw: decay_run(**kw))

    tasks = [task(w, BASE_M, steps_w) for w in widths]
    m_sweep = any(p.dimension == "iters_per_epoch" for p in preds.items)
    if m_sweep:
        tasks += [task(base_width, m, math.ceil(2.5 * _tau_pred(table, roles, no_decay, lr, wd, base_width, base_width,
                                                                   m))) for m in DECAY_MS]
    results = run_tasks(tasks, store, desc=f"verify {target.label} (weight decay)", progress=progress,
                        provenance=provenance(table, "decay", probe.VERSION))
    per_w = {w: r["metrics"] for w, r in zip(widths, results)}
    rows = fit_rows(preds, per_w, widths, tol, quantities=("tau_iter", "top_sv", "W_rms"))
    if m_sweep:
        per_m = {m: {k.replace("|tau_iter", "|tau_iter_vs_M").replace("|tau_epoch", "|tau_epoch_vs_M"): v
                     for k, v in r["metrics"].items()} for m, r in zip(DECAY_MS, results[len(widths):])}
        rows += fit_rows(preds, per_m, list(DECAY_MS), tol, quantities=("tau_iter_vs_M", "tau_epoch_vs_M"),
                         dimension="iters_per_epoch")
    for r in rows:  # measured vs the EMA timescale 1/(eta lambda) of that layer, at the ends of the width sweep
        if r["quantity"] == "tau_iter":
            role = roles[r["layer"]]
            ends = [(w, sum(r["values"][str(w)]) / seeds, _tau_pred(table, {0: role}, (), lr, wd, w, base_width, BASE_M))
                    for w in (widths[0], widths[-1])]
            preds.notes.append(f"{r['layer']}: forgets its init in " + " -> ".join(f"{v:.0f}" for _, v, _ in ends)
                               + " steps at width " + " -> ".join(str(w) for w, _, _ in ends) + "; 1/(eta lambda) = "
                               + " -> ".join(f"{t:.0f}" for _, _, t in ends))
    decayed = {p.layer for p in preds.items}  # an undecayed layer (lambda = 0) never forgets its init: tau = inf
    nonfinite = sorted({k for r in results for k in r.get("nonfinite", []) if k.split("|")[0] in decayed})
    return Summary.of(
        table, rows, param=target.param, label=target.label, optimizer=opt, alignment=None, model=model,
        widths=widths, depth=depth, seeds=seeds, steps=steps_w, lr=lr, weight_decay=wd, base_width=base_width,
        batch=batch, device=device, dtype=dtype, tol=tol,
        r={"roles": ", ".join(f"{k}={v}" for k, v in roles.items()), "no decay": ", ".join(no_decay) or "-",
           "iters_per_epoch (width sweep)": BASE_M, **({"M sweep": ",".join(map(str, DECAY_MS))} if m_sweep else {})},
        notes=preds.notes + ([f"non-finite values in {nonfinite}"] if nonfinite else []),
        seconds=sum(r.get("seconds", 0.0) for r in results if r), coord={},
        panels=[[q, d] for q, d in DECAY_QUANTITIES.items()])
