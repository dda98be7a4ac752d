"""The width coordinate check of ``verify`` (the ``width`` sweep, :mod:`.sweeps.width`): predicted width exponents vs
measured log-log slopes on the built-in MLP or GPT.

:func:`verify_target` derives the table, predicts every (layer, quantity) exponent (:mod:`scaling_exponents.evidence.
predict`), runs the seed-batched coordinate check at each width (:mod:`.probes`, results in the resumable store) and
fits slopes with seed-bootstrap CIs; a row passes iff the prediction lies in the CI widened by ``tol``.  Split from
:mod:`.verify` (which re-exports it) so that the command holds no sweep.
"""

from __future__ import annotations

from ..evidence.summary import fit_rows, predictions_for
from ..evidence.summary_record import Summary
from .target import DEFAULT_LR, DEFAULT_TOL, Target
from .verify_matrix import _table


def verify_target(target: Target, *, model="mlp", widths=(64, 128, 256), depth=2, seeds=5, steps=3, lr=None,
                  base_width=None, batch=64, device="cpu", dtype="float32", alignment=None, tol=DEFAULT_TOL,
                  store=None, progress=False, after_run=None, nngp=True, base_depth=None, arch="classic",
                  executor=None, retry=0, on_result=None) -> Summary:
    """Verify one parametrization; returns its :class:`~scaling_exponents.evidence.summary_record.Summary` (rows
    with verdicts, per-step coord data).

    A table with depth rows (u-muP, CompleteP, ...) is applied at ``depth`` with ``base_depth`` (default ``depth``:
    depth factors 1, only the width rows act).  Per-matrix optimizer tables (muon, soap, ...) are measured by
    :func:`.verify_matrix.verify_matrix_target` instead (the ``matrix`` sweep: the real optimizer, one model per seed).
    ``executor``/``retry``/``on_result``: see :func:`.sweep.run_tasks`."""
    from .probes import RunConfig, coord_run, nngp_run
    from .probes import coord as coord_probe, kernels as nngp_probe
    from ..evidence.store import ResultStore, provenance
    from .sweep import run_tasks

    store = store if store is not None else ResultStore(None)
    table, opt, al = _table(target, alignment)
    preds = predictions_for(target.expect or table, model, depth, opt or "sgd")
    if model == "gpt":  # embed/head have the fixed vocabulary as one fan: the slope the swept widths can show
        from ..evidence.hints import finite_vocab

        finite_vocab(preds, widths)
    lr = lr if lr is not None else DEFAULT_LR.get(opt or "sgd", 1e-2)
    base_width = base_width or min(widths)
    scales_with_depth = any(r.dimension == "depth" and r.power != 0 for r in table.rows)
    base_depth = (base_depth or depth) if scales_with_depth else None
    tasks = []
    for w in widths:
        cfg = RunConfig(param=target.param, model=model, optimizer=opt or "sgd", alignment=al, width=w,
                        depth=depth, base_width=base_width, base_depth=base_depth, lr=lr, steps=steps,
                        seeds=tuple(range(seeds)), batch=batch, dtype=dtype, device=device, arch=arch)
        tasks.append(({"kind": "coord", **cfg.to_dict(), "device_kind": device.split(":")[0]},
                      (lambda c=cfg: coord_run(c))))
    if nngp and model == "mlp":
        for w in widths:
            conf = {"kind": "nngp", "width": w, "depth": depth, "seeds": list(range(seeds)), "points": 16,
                    "provenance": provenance(None, "nngp", nngp_probe.VERSION)}  # applies no table
            tasks.append((conf, (lambda w=w: nngp_run(w, depth, tuple(range(seeds)), 16, device))))
    results = run_tasks(tasks, store, desc=f"verify {target.label}", progress=progress, after_run=after_run,
                        executor=executor, retry=retry, on_result=on_result,
                        provenance=provenance(table, "coord", coord_probe.VERSION))
    per_width = {w: {} for w in widths}
    coord = {}
    for (conf, _), res in zip(tasks, results):
        per_width[conf["width"]].update(res["metrics"])
        if conf["kind"] == "coord":
            coord[conf["width"]] = res
    rows = fit_rows(preds, per_width, list(widths), tol)
    head = next((r for r in rows if r["layer"] == "head" and r["quantity"] == "act_delta"), None)
    if head and head["verdict"] == "fail" and head["predicted_value"] == 0 and head["slope"] > 0:
        preds.notes.append("logit change grows with width although Everett et al.'s alignment (omega_{L+1} = 1/2) "
                           "predicts n^0: the readout's init weights align with the feature update (omega_{L+1} = 1, "
                           "TP4's stability condition a+b+r >= 1) whenever (a+b)_out = 1/2, which predicts n^{1/2}")
    emb = next((p for p in preds.items if (p.layer, p.quantity) == ("embed", "act_delta")), None)
    if emb is not None and emb.exponent < 0 and any(r["verdict"] == "fail" for r in rows):
        preds.notes.append(f"the embedding's update vanishes (n^{emb.exponent}; u-muP's embedding LR rule, not a muP "
                           "symmetry), so the first hidden layer's change and the feature kernel's movement are a "
                           "Theta(1) term plus a vanishing one: at these widths their slopes lie between the predicted "
                           "0 and the vanishing term's exponent")
    nonfinite = sorted({k for r in coord.values() for k in r.get("nonfinite", [])})
    return Summary.of(
        table, rows, param=target.param, label=target.label, optimizer=opt, alignment=al, model=model,
        widths=list(widths), depth=depth, seeds=seeds, steps=steps, lr=lr, base_width=base_width, batch=batch,
        device=device, dtype=dtype, tol=tol, r={k: str(v) for k, v in preds.r.items()},
        notes=preds.notes + ([f"non-finite values in {nonfinite}"] if nonfinite else []),
        seconds=sum(r.get("seconds", 0.0) for r in results if r),
        coord={str(w): {k: v for k, v in res["metrics"].items() if "act_" in k} for w, res in coord.items()})
