"""``verify -p supar --densities 1,0.5,0.25,0.125 --width 256``: a DENSITY sweep of the masked reference MLP.

What: at a fixed width n, for each density rho the MLP whose hidden matrices carry a fixed random static 0/1 mask of
density rho (:mod:`.probes.density`: the mask multiplies the weight in the forward and hence its gradient, masked
entries start at 0 and stay exactly 0 under Adam) is trained ``--steps`` Adam steps on the fixed probe batch with
the table's density factors (init ``rho^s``, LR ``rho^c`` per role; base: PyTorch's init and ``--lr`` at rho = 1).
The coordinate check's quantities (act_init, act_delta, own_delta = ``ΔW x_0``, hidden dW_rms) are fitted against
rho (log-log slope, seed-bootstrap 95% CI, :func:`scaling_exponents.evidence.summary.fit_rows`) and compared with the
exponents derived from the table's density rows (:func:`scaling_exponents.evidence.predict_density.predict_density`):
**pass** iff the prediction lies in the CI widened by ``--tol``.  Entries are labelled ``NAME@density``;
results.json gets ``dimension: "density"`` and the slopes.

Contrast (arXiv 2405.15743 Fig. 5): a table WITH density rows (SμPar) is followed by ``mup-table3`` (Adam muP whose
HPs ignore rho, labelled ``mup-table3@density``), whose activations fall with rho.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import UserError
from ..evidence.summary_record import Summary

EXAMPLE = "1,0.5,0.25,0.125"
CONTRAST = "mup-table3"
DEFAULT_WIDTH = 256


def add_arguments(p) -> None:
    """``--densities``: the densities of a density sweep of the masked MLP (SμPar)."""
    p.add_argument("--densities", help=f"comma-separated densities in (0, 1] of a density sweep of the masked MLP at "
                                       f"--width (e.g. {EXAMPLE}; -p supar); entries NAME@density")


def parse_densities(text: str) -> list[float]:
    """``"1,0.5,0.25"`` -> sorted distinct densities; one-line UserError for anything else."""
    try:
        vals = sorted({float(v) for v in str(text).replace(" ", "").split(",") if v})
    except ValueError:
        raise UserError(f"--densities takes comma-separated numbers in (0, 1], e.g. --densities {EXAMPLE}; "
                        f"got {text!r}") from None
    if any(not (math.isfinite(v) and 0 < v <= 1) for v in vals):
        raise UserError(f"--densities must lie in (0, 1] (the fraction of non-zero hidden weights), e.g. "
                        f"--densities {EXAMPLE}; got {text!r}")
    if len(vals) < 2:
        raise UserError(f"--densities needs at least two different densities to fit a slope, e.g. --densities "
                        f"{EXAMPLE}; got {text!r}")
    return vals


def density_label(label: str) -> str:
    """The summary label of a density sweep of ``label`` (``NAME@density``)."""
    return f"{label}@density"


def verify_density_target(target, table, *, densities, width=DEFAULT_WIDTH, depth=2, seeds=3, steps=3, lr=1e-2,
                          batch=64, device="cpu", tol=0.15, store=None, progress=False, contrast=False) -> Summary:
    """Density sweep of one target; returns its :class:`~scaling_exponents.evidence.summary_record.Summary`
    (``dimension: "density"``)."""
    from ..evidence.predict_density import has_density_rows, predict_density, role_factors
    from ..evidence.store import ResultStore, provenance
    from ..evidence.summary import fit_rows
    from .probes import density as probe
    from .probes.density import DensityConfig, density_run
    from .sweep import run_tasks

    preds = predict_density(table, depth)
    store = store if store is not None else ResultStore(None)
    densities = sorted(densities)
    tasks = []
    for rho in densities:
        cfg = DensityConfig(param=target.param, density=rho, optimizer=table.optimizer, width=width,
                            depth=depth, lr=lr, steps=steps, seeds=tuple(range(seeds)), batch=batch, device=device)
        tasks.append(({"kind": "density_coord", **cfg.to_dict(), "device_kind": device.split(":")[0]},
                      (lambda c=cfg: density_run(c))))
    results = run_tasks(tasks, store, desc=f"verify {target.label} over density", progress=progress,
                        provenance=provenance(table, "density", probe.VERSION))
    per = {rho: res["metrics"] for rho, res in zip(densities, results)}
    rows = fit_rows(preds, per, densities, tol, dimension="density")
    leak = max(max(v) for res in results for k, v in res["metrics"].items() if k.endswith("mask_leak"))
    notes = list(preds.notes) + [f"masked entries after {steps} steps: max |W| = {leak:g} (stay exactly 0)"]
    if contrast:
        notes.append("contrast target (arXiv 2405.15743 Fig. 5): muP whose HPs ignore the density; its predictions "
                     "are the same formulas with s = c = 0")
    if any(r["verdict"] == "fail" for r in rows if r["quantity"] in ("own_delta", "dW_rms", "act_delta")):
        notes.append("the own-update rows assume Adam's ±lr per step; after several steps |m/sqrt(v)| depends on how "
                     "consistent the gradient's signs stay, i.e. on how far the network moved, which under HPs that "
                     "ignore rho shrinks with rho (little movement: steps add coherently): a finite-step effect that "
                     "the one-step formulas do not contain (rerun with --steps 1 to isolate it)")
    if not has_density_rows(table):
        notes.append(f"table {table.parametrization} has no density rows: every role's init and LR independent of rho")
    nonfinite = sorted({k for r in results for k in r.get("nonfinite", [])})
    label = density_label(target.label)
    cmd = (f"python -m scaling_exponents verify --param {target.label} --densities "
           f"{','.join(f'{d:g}' for d in densities)} --width {width} --depth {depth} --seeds {seeds} --steps {steps} "
           f"--lr {lr:g} --batch {batch} --tol {tol:g} --device {device}")
    return Summary.of(
        table, rows, param=target.param, label=label, optimizer=table.optimizer, alignment=None, model="mlp",
        dimension="density", densities=densities, width=width, widths=[width], depth=depth, seeds=seeds, steps=steps,
        lr=lr, factors={f"{rho:g}": role_factors(table, rho) for rho in densities}, base_width=width, batch=batch,
        device=device, dtype="float32", tol=tol, r={k: str(v) for k, v in preds.r.items()}, contrast=contrast,
        notes=notes + ([f"non-finite values in {nonfinite}"] if nonfinite else []),
        seconds=sum(r.get("seconds", 0.0) for r in results if r), command=cmd, plot=False,
        sizes_text=f"density {densities[0]:g}..{densities[-1]:g} (width {width}, {depth} masked hidden layers)",
        coord={f"{rho:g}": m for rho, m in per.items()})


def density_figure(summary: dict, path: Path) -> None:
    """Measured geometric mean over seeds (bars min..max) vs rho per row, the predicted slope dashed."""
    from ..evidence.report import _plt, plot_row

    plt = _plt()
    rhos = summary["densities"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    groups = (("act_init", "act_delta"), ("own_delta",), ("dW_rms",))
    for ax, qs in zip(axes, groups):
        for i, r in enumerate(x for x in summary["rows"] if x["quantity"] in qs):
            plot_row(ax, r, rhos, f"C{i}", f"{r['layer']} {r['quantity']}", anchor=-1)
        ax.set(xscale="log", yscale="log", xlabel="density rho", title=", ".join(qs))
        ax.legend(fontsize=7)
    fig.suptitle(f"{summary['label']}: {summary['title']} (masked MLP, width {summary['width']}, {summary['seeds']} "
                 f"seeds, {summary['steps']} Adam steps, base lr {summary['lr']:g} at rho=1) -- dashed: predicted",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run_density(args, parse_targets, table_of) -> int:
    """The CLI's density sweep (``--densities``); ``parse_targets``/``table_of`` are :mod:`.verify`'s."""
    from ..evidence.predict_density import has_density_rows, predict_density
    from ..evidence.report import announce, conclude, slug
    from ..evidence.store import ResultStore, prepare_out
    from .probes import check_device

    densities = parse_densities(args.densities)
    if args.widths is not None or args.depths is not None or getattr(args, "experts", None) or \
            getattr(args, "vocabs", None):
        raise UserError("--densities runs a density sweep at the fixed --width; drop --widths/--depths/--experts/"
                        "--vocabs (one sweep per command)")
    if (args.model or "mlp") != "mlp":
        raise UserError(f"a density sweep runs the masked MLP: drop --model {args.model} (or use --model mlp)")
    width = args.width
    if width < 8:
        raise UserError(f"--width of a density sweep must be >= 8 (rho n active inputs per row); got {width}")
    check_device(args.device)
    targets = [(t, table_of(t)) for t in parse_targets(args.param, args.optimizer)]
    for _, table in targets:  # fail early, before any run
        predict_density(table, args.depth)
    if any(has_density_rows(tb) for _, tb in targets) and all(t.param != CONTRAST for t, _ in targets):
        c = parse_targets(CONTRAST, "adam")[0]
        targets.append((c, table_of(c)))
    out = prepare_out(Path(args.out))
    store = ResultStore(out / "results.jsonl")
    summaries = {}
    for t, table in targets:
        s = verify_density_target(t, table, densities=densities, width=width, depth=args.depth, seeds=args.seeds,
                                  steps=args.steps, lr=args.lr if args.lr is not None else 1e-2, batch=args.batch,
                                  device=args.device, tol=args.tol, store=store, progress=not args.no_progress,
                                  contrast=not has_density_rows(table))
        summaries[s["label"]] = s
        if not args.no_plots:
            density_figure(s, out / f"coord_{slug(s['label'])}.png")
        announce(s)
    return conclude(summaries, out, plots=not args.no_plots)
