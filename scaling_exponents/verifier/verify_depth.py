"""The depth sweep of ``verify --depths``: predicted depth exponents vs measured log-log slopes at a fixed width.

Split from :mod:`.verify` (which re-exports it): :func:`verify_depth_target` runs :func:`.probes.depth_run` at each
depth of a pre-LN residual network (:mod:`.models.resmlp` or the GPT) with the base LR at the smallest depth and
compares each slope with :func:`scaling_exponents.evidence.predict_depth.predict_depth` (CompleteP arXiv 2505.01618,
depth-muP arXiv 2310.02244).
"""

from __future__ import annotations

from ..evidence.summary import fit_rows
from ..evidence.summary_record import Summary
from .target import DEFAULT_LR, DEFAULT_TOL, Target
from .verify_matrix import _table


DEFAULT_DEPTH_WIDTH = 64


def depth_label(label: str) -> str:
    """Label of a depth-sweep entry in reports and ``results.json`` (``completep@depth``), apart from width entries."""
    return f"{label}@depth"


def verify_depth_target(target: Target, *, model="resmlp", depths=(2, 4, 8, 16), width=DEFAULT_DEPTH_WIDTH, seeds=5,
                        steps=3, lr=None, base_depth=None, batch=64, device="cpu", dtype="float32", alignment=None,
                        tol=DEFAULT_TOL, store=None, progress=False, after_run=None, executor=None, retry=0,
                        on_result=None) -> Summary:
    """Depth sweep of one parametrization at a fixed width: predicted depth exponents
    (:func:`.predict_depth.predict_depth`) vs log-log slopes over ``depths`` (seed-bootstrap CIs); returns its
    :class:`~scaling_exponents.evidence.summary_record.Summary` (``dimension: "depth"``).

    The base LR refers to ``base_depth`` (default: the smallest depth) and the width is its own base (all width
    factors 1), so only the table's depth rows act.  A table without depth rows is the unscaled ResNet baseline.
    """
    from ..evidence import predict_depth as P
    from .probes import RunConfig, depth_run
    from .probes import depth as probe
    from ..evidence.store import ResultStore, provenance
    from .sweep import run_tasks

    store = store if store is not None else ResultStore(None)
    table, opt, al = _table(target, alignment)
    preds = P.predict_depth(target.expect or table, model)
    lr = lr if lr is not None else DEFAULT_LR.get(opt or "sgd", 1e-2)
    depths = sorted(depths)
    base_depth = base_depth or depths[0]
    tasks = []
    for d in depths:
        cfg = RunConfig(param=target.param, model=model, optimizer=opt or "sgd", alignment=al, width=width, depth=d,
                        base_width=width, base_depth=base_depth, lr=lr, steps=steps, seeds=tuple(range(seeds)),
                        batch=batch, dtype=dtype, device=device)
        tasks.append(({"kind": "depth_coord", **cfg.to_dict(), "device_kind": device.split(":")[0]},
                      (lambda c=cfg: depth_run(c))))
    results = run_tasks(tasks, store, desc=f"verify {target.label} over depth", progress=progress, after_run=after_run,
                        executor=executor, retry=retry, on_result=on_result,
                        provenance=provenance(table, "depth", probe.VERSION))
    per_depth = {d: res["metrics"] for d, res in zip(depths, results)}
    rows = fit_rows(preds, per_depth, depths, tol, dimension="depth")
    nonfinite = sorted({k for r in results for k in r.get("nonfinite", [])})
    return Summary.of(
        table, rows, param=target.param, label=depth_label(target.label), optimizer=opt, alignment=al, model=model,
        dimension="depth", depths=depths, width=width, base_depth=base_depth, widths=[width], depth=None,
        seeds=seeds, steps=steps, lr=lr, base_width=width, batch=batch, device=device, dtype=dtype, tol=tol,
        r={k: str(v) for k, v in preds.r.items()},
        notes=preds.notes + ([f"non-finite values in {nonfinite}"] if nonfinite else []),
        seconds=sum(r.get("seconds", 0.0) for r in results if r),
        coord={str(d): res["metrics"] for d, res in zip(depths, results)})
