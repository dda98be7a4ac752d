"""``verify -p moe-completep --model moe``: the MoE tables on the reference MoE network, along width, along the
number of experts at fixed sparsity kappa = k/E, and along depth.

For each sweep the table is applied relative to the sweep's smallest point (:mod:`.probes.moe`), every point
trains all seeds for ``steps`` Adam steps on a fixed batch, and the log-log slopes of the components (router
logits, expert pre-activations and outputs, MoE output, residual branch, stream; expert and router weight updates)
are compared with :func:`scaling_exponents.evidence.predict_moe.predict_moe` (seed-bootstrap CIs, the verifier's
``tol``).  Entries are labelled ``NAME@moe-width``, ``NAME@moe-experts`` and ``NAME@moe-depth``; results resume
from the store.
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import UserError
from ..evidence.summary import fit_rows
from ..evidence.summary_record import Summary

MOE_WIDTHS = (64, 128, 256)
MOE_EXPERTS = (4, 8, 16)
MOE_DEPTHS = (2, 4, 8)
MOE_WIDTH = 64
MOE_DEPTH = 2
MOE_EXPERTS_AT = 8
KAPPA = Fraction(1, 4)


def topk_for(experts: int, kappa: Fraction) -> int:
    """The number of active experts ``k = kappa E`` at fixed sparsity kappa; a count that does not give a whole ``k
    >= 1`` is a :class:`UserError` naming counts that do."""
    k = kappa * experts
    if k.denominator != 1 or k < 1:
        raise UserError(f"--experts {experts} with sparsity kappa = {kappa} gives top-k = {k}: choose expert counts "
                        f"that are multiples of {kappa.denominator} (e.g. --experts 4,8,16 at kappa 1/4)")
    return int(k)


def verify_moe(target, table, *, widths=MOE_WIDTHS, experts=MOE_EXPERTS, depths=MOE_DEPTHS, width=MOE_WIDTH,
               depth=MOE_DEPTH, n_experts=MOE_EXPERTS_AT, kappa=KAPPA, ffn_ratio=1, seeds=5, steps=3, lr=1e-2,
               batch=64, device="cpu", dtype="float32", tol=0.15, store=None, progress=False) -> dict[str, Summary]:
    """Up to three entries ``{label: Summary}`` (:class:`~scaling_exponents.evidence.summary_record.Summary`), one per
    swept axis."""
    from ..evidence.predict_moe import check_moe_table, predict_moe
    from ..evidence.store import ResultStore, provenance
    from .probes import moe as probe
    from .probes.moe import MoERunConfig, moe_run
    from .sweep import run_tasks

    check_moe_table(table)
    kappa = Fraction(kappa)
    store = store if store is not None else ResultStore(None)
    k_at = topk_for(n_experts, kappa)
    sweeps = {"width": sorted(widths), "experts": sorted(experts), "depth": sorted(depths)}
    out = {}
    for dim, sizes in sweeps.items():
        if not sizes:
            continue
        if len(sizes) < 2:
            raise UserError(f"an MoE sweep along {dim} needs at least two sizes, got {sizes}")
        cfgs = []
        for v in sizes:
            kw = dict(width=width, experts=n_experts, topk=k_at, depth=depth, base_width=width,
                      base_experts=n_experts, base_topk=k_at, base_depth=depth)
            if dim == "width":
                kw.update(width=v, base_width=sizes[0])
            elif dim == "experts":
                kw.update(experts=v, topk=topk_for(v, kappa), base_experts=sizes[0], base_topk=topk_for(sizes[0], kappa))
            else:
                kw.update(depth=v, base_depth=sizes[0])
            cfgs.append(MoERunConfig(param=target.param, ffn_ratio=ffn_ratio, optimizer=table.optimizer or "adam",
                                     lr=lr, steps=steps, seeds=tuple(range(seeds)), batch=batch, dtype=dtype,
                                     device=device, **kw))
        tasks = [(c.to_dict(), (lambda c=c: moe_run(c, table))) for c in cfgs]
        results = run_tasks(tasks, store, desc=f"verify {target.label} MoE over {dim}", progress=progress,
                            provenance=provenance(table, "moe", probe.VERSION))
        per = {v: r["metrics"] for v, r in zip(sizes, results)}
        preds = predict_moe(getattr(target, "expect", None) or table, dim)
        rows = fit_rows(preds, per, sizes, tol, dimension=dim)
        why = _fail_notes(table, dim, rows)
        fixed = {"width": f"E {n_experts}, k {k_at}, depth {depth}",
                 "experts": f"width {width}, depth {depth}, k = {kappa} E",
                 "depth": f"width {width}, E {n_experts}, k {k_at}"}[dim]
        label = f"{target.label}@moe-{dim}"
        cmd = {"width": f"--widths {','.join(map(str, sizes))}", "experts": f"--experts {','.join(map(str, sizes))}",
               "depth": f"--depths {','.join(map(str, sizes))}"}[dim]
        own = {"depth": dict(depths=list(sizes), width=width, base_depth=sizes[0]),
               "experts": dict(experts=list(sizes), kappa=str(kappa))}.get(dim, {})
        s = Summary.of(
            table, rows, param=target.param, label=label, optimizer=table.optimizer, alignment=None, model="moe",
            dimension=dim if dim != "width" else None, widths=list(sizes) if dim == "width" else [width],
            depth=depth, seeds=seeds, steps=steps, lr=lr, base_width=width, batch=batch, device=device, dtype=dtype,
            tol=tol, r={}, plot=False,
            notes=preds.notes + [f"fixed: {fixed}; ffn_ratio {ffn_ratio}; input layer and readout frozen (no MoE "
                                 "rows); load-balancing bias not trained (rule-based in the paper)"] + why
            + sorted({f"non-finite values in {k}" for r in results for k in r.get("nonfinite", [])}),
            seconds=sum(r.get("seconds", 0.0) for r in results if r),
            coord={str(v): m for v, m in per.items()},
            sizes_text=f"{dim} {sizes[0]}..{sizes[-1]} ({fixed})",
            command=f"python -m scaling_exponents verify --param {target.label} --model moe {cmd} --seeds {seeds} "
                    f"--steps {steps} --lr {lr:g} --tol {tol:g} --device {device}", **own)
        out[label] = s
    return out


def _fail_notes(table, dim: str, rows: list) -> list[str]:
    """Why rows failed: the measured slope against the prediction, and whether the table states a rule there."""
    failed = [r for r in rows if r["verdict"] == "fail"]
    if not failed:
        return []
    notes = []
    silent = [role for role in ("moe_output", "residual_branch")
              if not any(r.role == role and r.dimension == dim for r in table.rows)]
    if silent:
        notes.append(f"table {table.parametrization} states no {'/'.join(silent)} rule along {dim} (e.g. arXiv "
                     "2508.09752 fixes top-k and does not scale depth): the predictions are what the table implies "
                     "there (no 1/k mean, no 1/L branch), not a claim of its paper")
    for r in failed:
        p, m = r["predicted_value"], r["slope"]
        how = ("grows as predicted but slower: the expert/branch updates add up less coherently than the aligned "
               "(LLN) sum assumes" if 0 < m < p else "differs from the aligned-update (LLN) prediction")
        notes.append(f"{r['layer']}|{r['quantity']}: predicted {r['predicted']}, measured {m:+.2f} "
                     f"[{r['ci'][0]:+.2f}, {r['ci'][1]:+.2f}]: {how}")
    return notes
