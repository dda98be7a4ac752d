"""``verify -p umup``: u-muP's own claim on a unit-scaled model, besides the width and depth sweeps of the
reference models (:mod:`.verify`).

u-muP (Blake et al., arXiv 2407.17465) claims that activations, weights and gradients start at unit scale,
independently of width and depth.  :func:`verify_unit` sweeps graphcore's ``unit_scaling.TransformerDecoder``
(the library is the oracle: its modules realise u-muP, including the backward scales) over widths at a fixed
depth and over depths at a fixed width, measures the quantities of :mod:`.probes.unit_scale` at init, and fits
log-log slopes against :func:`scaling_exponents.evidence.predict_unit.predict_unit` (exponents of the derived
table).  Entries are labelled ``NAME@unit-width`` and ``NAME@unit-depth``; results resume from the store.
"""

from __future__ import annotations

from ..evidence.summary import fit_rows
from ..evidence.summary_record import Summary

UNIT_WIDTHS = (64, 128, 256)
UNIT_DEPTHS = (2, 4, 8)
UNIT_WIDTH_DEPTH = 2
UNIT_DEPTH_WIDTH = 64


def verify_unit(target, table, *, widths=UNIT_WIDTHS, depths=UNIT_DEPTHS, width=UNIT_DEPTH_WIDTH,
                depth=UNIT_WIDTH_DEPTH, seeds=3, tol=0.15, store=None, progress=False) -> dict[str, Summary]:
    """Two entries ``{label: Summary}`` (unit-width and unit-depth;
    :class:`~scaling_exponents.evidence.summary_record.Summary`)."""
    from ..evidence.predict_unit import predict_unit
    from ..evidence.store import ResultStore, provenance
    from .probes import unit_scale as probe
    from .probes.unit_scale import unit_scale_run
    from .sweep import run_tasks

    store = store if store is not None else ResultStore(None)
    seeds_t = tuple(range(seeds))
    out = {}
    for dim, sizes in (("width", sorted(widths)), ("depth", sorted(depths))):
        points = [(s, depth) if dim == "width" else (width, s) for s in sizes]
        tasks = [({"kind": "unit_scale", "param": target.param, "width": w, "depth": d, "seeds": list(seeds_t)},
                  (lambda w=w, d=d: unit_scale_run(w, d, seeds_t))) for w, d in points]
        results = run_tasks(tasks, store, desc=f"verify {target.label} unit scale over {dim}", progress=progress,
                            provenance=provenance(None, "unit_scale", probe.VERSION))  # the library's model
        per = {s: r["metrics"] for s, r in zip(sizes, results)}
        preds = predict_unit(table, dim)
        rows = fit_rows(preds, per, sizes, tol, dimension=dim)
        lo = min(min(v) for k, r in per.items() for q, v in r.items() if q.endswith(("act_rms", "grad_rms", "w_rms"))
                 and not q.startswith("head"))
        hi = max(max(v) for k, r in per.items() for q, v in r.items() if q.endswith(("act_rms", "grad_rms", "w_rms"))
                 and not q.startswith("head"))
        notes = preds.notes + [f"unit-scaled model: unit_scaling.TransformerDecoder (head_dim 16, batch 8 x 32 bytes), "
                 f"{'depth ' + str(depth) if dim == 'width' else 'width ' + str(width)}; activation/weight/gradient "
                 f"RMS (logits excluded) lie in [{lo:.3g}, {hi:.3g}] at every size"]
        label = f"{target.label}@unit-{dim}"
        own = dict(dimension="depth", depths=list(sizes), width=width, base_depth=None) if dim == "depth" else {}
        s = Summary.of(
            table, rows, param=target.param, label=label, optimizer=table.optimizer, alignment=None,
            model="unit_scaling.TransformerDecoder", widths=list(sizes) if dim == "width" else [width],
            depth=depth if dim == "width" else None, seeds=seeds, steps=0, lr=None, base_width=None, batch=8,
            device="cpu", dtype="float32", tol=tol, r={},
            notes=notes + sorted({f"non-finite values in {k}" for r in results for k in r.get("nonfinite", [])}),
            seconds=sum(r.get("seconds", 0.0) for r in results if r),
            coord={str(k): v for k, v in per.items()}, plot=False,
            sizes_text=(f"width {sizes[0]}..{sizes[-1]} (depth {depth})" if dim == "width"
                        else f"depth {sizes[0]}..{sizes[-1]} (width {width})"),
            command=f"python -m scaling_exponents verify --param {target.label} --seeds {seeds} --tol {tol:g}", **own)
        out[label] = s
    return out
