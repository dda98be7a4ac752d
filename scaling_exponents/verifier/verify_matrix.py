"""``verify`` for per-matrix optimizer tables (muon, soap, ...): width sweep with the real optimizer.

What: the table's ``weight`` rows go on every matrix of the reference model (:mod:`scaling_exponents.torch.matrix_roles`),
the optimizer is the kept-library one (:mod:`.optimizers`: ``torch.optim.Muon``, pytorch-optimizer's SOAP), each seed
trains for ``steps`` steps on a fixed batch (:func:`.probes.optim.optim_run`), and the predicted exponents
(:func:`scaling_exponents.evidence.predict_matrix.predict_matrix`) are compared with log-log slopes and seed-bootstrap
CIs exactly as for the per-role tables (:func:`scaling_exponents.evidence.summary.fit_rows`).
"""

from __future__ import annotations

from ..errors import UserError
from ..evidence.summary_record import Summary

#: Base LR at the base width per optimizer (Muon: Jordan et al.'s 0.02; SOAP: pytorch-optimizer's 3e-3).
DEFAULT_LR = {"muon": 2e-2, "soap": 3e-3, "adam": 1e-2}


#: Default widths of a per-matrix width sweep (one model and optimizer per seed, no vmap: < 3 min on 2 CPU cores).
DEFAULT_WIDTHS = {"mlp": (64, 128, 256, 512), "gpt": (64, 128, 256)}


def default_widths(model: str) -> list[int]:
    """The widths a matrix-optimizer sweep of ``model`` uses when none are given."""
    return list(DEFAULT_WIDTHS.get(model, DEFAULT_WIDTHS["mlp"]))


def _table(target, alignment):
    """``(table, optimizer, alignment)`` of a verify target (:func:`.verify._table` calls this).  A custom table
    (``verify --table``) runs with the target's optimizer and its own alignment."""
    from ..systems.registry import get
    from ..theory.custom_tables import is_custom
    from .probes import table_for

    if is_custom(target.param):
        table = table_for(target.param, None, None)
        return table, target.optimizer or table.optimizer, table.alignment
    spec = get(target.param)
    al = alignment if spec.alignments and spec.alignments != ("",) else None
    opt = target.optimizer if spec.optimizers and spec.optimizers != ("",) else None
    return table_for(target.param, opt, al), opt, al


def verify_matrix_target(target, *, model="mlp", widths=(64, 128, 256), depth=2, seeds=5, steps=3, lr=None,
                         base_width=None, batch=64, device="cpu", dtype="float32", alignment=None, tol=0.15,
                         store=None, progress=False, after_run=None, nngp=True, arch="classic", eps=None) -> Summary:
    """Width sweep of one per-matrix table; returns its :class:`~scaling_exponents.evidence.summary_record.Summary`
    (as :func:`.verify.verify_target`)."""
    from ..evidence.predict import gpt_layers, mlp_layers
    from ..evidence.predict_matrix import predict_matrix
    from ..evidence.store import ResultStore, provenance
    from ..evidence.summary import fit_rows
    from .probes import RunConfig
    from .probes import optim as probe
    from .probes.optim import optim_run
    from .sweep import run_tasks

    if model not in ("mlp", "gpt"):
        raise UserError(f"per-matrix tables are verified on --model mlp or gpt (width sweeps); got {model!r}")
    store = store if store is not None else ResultStore(None)
    table, opt, al = _table(target, alignment)
    if opt == "kfac":
        from .optimizers import KFAC_MISSING

        raise UserError(f"table {target.param}: {KFAC_MISSING}")
    layers = mlp_layers(depth) if model == "mlp" else gpt_layers(depth)
    preds = predict_matrix(getattr(target, "expect", None) or table, layers)
    if model == "gpt":  # embed/head have the fixed vocabulary as one fan: the slope the swept widths can show
        from ..evidence.hints import finite_vocab

        finite_vocab(preds, widths)
    lr = lr if lr is not None else DEFAULT_LR.get(opt, 1e-2)
    base_width = base_width or min(widths)
    tasks = []
    for w in widths:
        cfg = RunConfig(param=target.param, model=model, optimizer=opt, alignment=al, width=w, depth=depth,
                        base_width=base_width, base_depth=depth, lr=lr, steps=steps, seeds=tuple(range(seeds)),
                        batch=batch, dtype=dtype, device=device, arch=arch, eps=eps)
        tasks.append(({"kind": "optim_coord", **cfg.to_dict(), "device_kind": device.split(":")[0]},
                      (lambda c=cfg: optim_run(c))))
    results = run_tasks(tasks, store, desc=f"verify {target.label}", progress=progress, after_run=after_run,
                        provenance=provenance(table, "optim", probe.VERSION))
    per_width = {conf["width"]: res["metrics"] for (conf, _), res in zip(tasks, results)}
    rows = fit_rows(preds, per_width, list(widths), tol)
    nonfinite = sorted({k for r in results for k in r.get("nonfinite", [])})
    from .optimizers import IMPLEMENTATIONS

    notes = preds.notes + [f"optimizer: {IMPLEMENTATIONS.get(opt, opt)} on every matrix, torch.optim.AdamW on vectors; "
                           "one model per seed (not vmap)"]
    if opt == "soap" and (eps is None or eps < 1e-6):
        notes.append("SOAP with a tiny eps: float32 round-off of the rotated gradient (entries that are zero in exact "
                     "arithmetic) is normalised to ±1 by the Adam step in the eigenbasis, so the update is sign-like on "
                     "every coordinate instead of concentrated on the gradient's rank (App. B.5); Table 2 asks "
                     "eps ~ rotated |G_ij| -- rerun with --eps of that order (e.g. 1e-3) to test the damped regime")
    return Summary.of(
        table, rows, param=target.param, label=target.label, optimizer=opt, alignment=al, model=model,
        widths=list(widths), depth=depth, arch=arch, eps=eps, seeds=seeds, steps=steps, lr=lr, base_width=base_width,
        batch=batch, device=device, dtype=dtype, tol=tol, r={k: str(v) for k, v in preds.r.items()},
        notes=notes + ([f"non-finite values in {nonfinite}"] if nonfinite else []),
        seconds=sum(r.get("seconds", 0.0) for r in results if r),
        coord={str(w): {k: v for k, v in met.items() if "act_" in k} for w, met in per_width.items()})
