"""``verify --vocabs 64,256,1024,4096 --width 64 -p vocab-roles:muon``: a VOCABULARY sweep of the reference GPT.

What: at a fixed width n, for each vocabulary V the GPT (:mod:`.models.gpt`) is trained ``--steps`` steps on a fixed
batch of uniform random token ids (:mod:`.probes.vocab`) with the per-role LRs of the ``vocab-roles`` table (base
LR at the smallest V, ``lr ∝ V^p`` with p each role's ``lr`` vocab row) and the real optimizer (torch.optim.Muon,
torch.optim.Adam).  The measured quantities (readout update spectral norm and RMS, the logit change the readout's
own update makes, the hidden update RMS, and under Adam the embedding's seen-row change and output change) are
fitted against V (log-log slope, seed-bootstrap 95% CI, :func:`scaling_exponents.evidence.summary.fit_rows`) and
compared with the exponents derived from the table's vocab rows
(:func:`scaling_exponents.evidence.predict_vocab.predict_vocab`): **pass** iff the prediction lies in the CI widened
by ``--tol``.  Entries are labelled ``NAME@vocab``; results.json gets ``dimension: "vocab"`` and the slopes.

The table is derived for V >= n (``vocab-roles``' default order), so every V of the sweep must be >= the width.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import UserError
from ..evidence.summary_record import Summary

DEFAULT_LR = {"muon": 2e-2, "adam": 1e-2}
EXAMPLE = "64,256,1024,4096"


def add_arguments(p) -> None:
    """``--vocabs``: the vocabulary sizes of a vocabulary sweep of the GPT at ``--width``."""
    p.add_argument("--vocabs", help=f"comma-separated vocabulary sizes of a vocabulary sweep of the GPT at --width "
                                    f"(e.g. {EXAMPLE}; -p vocab-roles:muon or vocab-roles:adam); entries NAME@vocab")


def parse_vocabs(text: str) -> list[int]:
    """``"64,256,1024"`` -> sorted distinct sizes; one-line UserError for anything else."""
    try:
        vals = sorted({int(v) for v in str(text).replace(" ", "").split(",") if v})
    except ValueError:
        raise UserError(f"--vocabs takes comma-separated integers, e.g. --vocabs {EXAMPLE}; got {text!r}") from None
    if any(v < 2 for v in vals):
        raise UserError(f"--vocabs needs vocabulary sizes >= 2, e.g. --vocabs {EXAMPLE}; got {text!r}")
    if len(vals) < 2:
        raise UserError(f"--vocabs needs at least two different sizes to fit a slope, e.g. --vocabs {EXAMPLE}; "
                        f"got {text!r}")
    return vals


def vocab_label(label: str) -> str:
    """The summary label of a vocabulary sweep of ``label`` (``NAME@vocab``)."""
    return f"{label}@vocab"


def verify_vocab_target(target, table, *, vocabs, width=64, depth=2, seeds=3, steps=3, lr=None, batch=64,
                        device="cpu", tol=0.15, store=None, progress=False) -> Summary:
    """Vocabulary sweep of one ``vocab-roles`` target; returns its
    :class:`~scaling_exponents.evidence.summary_record.Summary` (``dimension: "vocab"``)."""
    from ..evidence.predict_vocab import predict_vocab, role_lrs
    from ..evidence.store import ResultStore, provenance
    from ..evidence.summary import fit_rows
    from .probes import vocab as probe
    from .probes.vocab import VocabConfig, vocab_run
    from .sweep import run_tasks

    preds = predict_vocab(table)
    opt = table.optimizer
    store = store if store is not None else ResultStore(None)
    lr = lr if lr is not None else DEFAULT_LR[opt]
    base = vocabs[0]
    tasks = []
    for v in vocabs:
        cfg = VocabConfig(param=target.param, optimizer=opt, vocab=v, base_vocab=base, width=width, depth=depth,
                          lr=lr, steps=steps, seeds=tuple(range(seeds)),
                          batch=batch, device=device)
        tasks.append(({"kind": "vocab_coord", **cfg.to_dict(), "device_kind": device.split(":")[0]},
                      (lambda c=cfg: vocab_run(c))))
    results = run_tasks(tasks, store, desc=f"verify {target.label} over vocab", progress=progress,
                        provenance=provenance(table, "vocab", probe.VERSION))
    per_vocab = {v: res["metrics"] for v, res in zip(vocabs, results)}
    rows = fit_rows(preds, per_vocab, vocabs, tol, dimension="vocab")
    notes = list(preds.notes)
    emb = next((r for r in rows if (r["layer"], r["quantity"]) == ("embed", "act_delta")), None)
    seen = next((r for r in rows if (r["layer"], r["quantity"]) == ("embed", "dW_seen")), None)
    if emb and seen and emb["verdict"] == "fail" and seen["verdict"] == "pass":
        notes.append(f"embedding: the literal Condition 1 reading (V^{emb['predicted']}, inputs with Theta(1) entries) "
                     f"fails; the embedding output change follows its seen-row change (measured {emb['slope']:+.2f} vs "
                     f"{seen['slope']:+.2f}, predicted V^{seen['predicted']} from the lr row with Adam's one-hot "
                     "update): one-hot tokens have ||x||_2 = 1, so the table's embedding LR V^-1 makes the embedding's "
                     "feature change vanish as V^-1; a Theta(1) change needs an Adam embedding LR V^0 (TP5 Table 3, "
                     "embedding-lr-vocab)")
    spec = next((r for r in rows if (r["layer"], r["quantity"]) == ("head", "dW_spec")), None)
    rms = next((r for r in rows if (r["layer"], r["quantity"]) == ("head", "dW_rms")), None)
    if opt == "adam" and spec and rms and spec["verdict"] == "fail":
        from ..evidence.report import gmean

        ratio = {v: gmean(spec["values"][str(v)]) / (gmean(rms["values"][str(v)]) * math.sqrt(v * width))
                 for v in vocabs}
        notes.append("readout ||dW||_2 under Adam: the table's lr sqrt(fan_in fan_out) is the spectral norm of the sign "
                     "matrix of a LOW-RANK gradient (arXiv 2512.05620 App. B.2); here the batch has more tokens than "
                     "the width, the gradient is full rank, and ||dW||_2 / (RMS(dW) sqrt(V n)) is "
                     + ", ".join(f"V={v}: {x:.2f}" for v, x in ratio.items()) + ", climbing toward 1 as the rows of tokens absent from "
                     "the targets (gradient p_v sum_t x_t: one common sign pattern) take over; V^(1/2) is the "
                     "asymptote V >> batch tokens, and the measured slope exceeds it while that ratio climbs to 1 (test the "
                     "asymptote with V >> batch x 32 tokens, e.g. --batch 4 --vocabs 1024,4096,16384,65536)")
    nonfinite = sorted({k for r in results for k in r.get("nonfinite", [])})
    label = vocab_label(target.label)
    cmd = (f"python -m scaling_exponents verify --param {target.label} --model gpt --vocabs "
           f"{','.join(map(str, vocabs))} --width {width} --depth {depth} --seeds {seeds} --steps {steps} "
           f"--lr {lr:g} --batch {batch} --tol {tol:g} --device {device}")
    return Summary.of(
        table, rows, param=target.param, label=label, optimizer=opt, alignment=None, model="gpt", dimension="vocab",
        vocabs=list(vocabs), base_vocab=base, width=width, widths=[width], depth=depth, seeds=seeds, steps=steps,
        lr=lr, lrs={str(v): role_lrs(table, lr, v, base) for v in vocabs}, base_width=width, batch=batch,
        device=device, dtype="float32", tol=tol, r={k: str(v) for k, v in preds.r.items()},
        notes=notes + [f"data: uniform random token ids, {batch} x 32 tokens (distinct tokens seen per V: "
                       + ", ".join(f"{v}: {res.get('seen_tokens')}" for v, res in zip(vocabs, results)) + ")"]
        + ([f"non-finite values in {nonfinite}"] if nonfinite else []),
        seconds=sum(r.get("seconds", 0.0) for r in results if r), command=cmd, plot=False,
        sizes_text=f"vocab {vocabs[0]}..{vocabs[-1]} (width {width})",
        coord={str(v): m for v, m in per_vocab.items()})


def vocab_figure(summary: dict, path: Path) -> None:
    """Measured mean over seeds (error bars min..max) vs V per row, the predicted slope dashed through the first point."""
    from ..evidence.report import _plt, plot_row

    plt = _plt()
    rows = summary["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    vocabs = summary["vocabs"]
    for ax, (title, layers) in zip(axes, (("readout (n -> V)", ("head",)), ("embedding, hidden", ("embed", "hidden")))):
        for i, r in enumerate(x for x in rows if x["layer"] in layers):
            plot_row(ax, r, vocabs, f"C{i}", f"{r['layer']} {r['quantity']}")
        ax.set(xscale="log", yscale="log", xlabel="vocabulary V", title=title)
        ax.legend(fontsize=7)
    fig.suptitle(f"{summary['label']}: {summary['title']} (gpt, width {summary['width']}, {summary['seeds']} seeds, "
                 f"{summary['steps']} steps, base lr {summary['lr']:g} at V={summary['base_vocab']}) -- dashed: "
                 "predicted", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run_vocab(args, parse_targets, table_of) -> int:
    """The CLI's vocabulary sweep (``--vocabs``); ``parse_targets``/``table_of`` are :mod:`.verify`'s."""
    from ..evidence.predict_vocab import predict_vocab
    from ..evidence.report import announce, conclude, slug
    from ..evidence.store import ResultStore, prepare_out
    from .probes import check_device

    vocabs = parse_vocabs(args.vocabs)
    if args.widths is not None or args.depths is not None or getattr(args, "experts", None):
        raise UserError("--vocabs runs a vocabulary sweep at the fixed --width; drop --widths/--depths/--experts "
                        "(one sweep per command)")
    if (args.model or "gpt") != "gpt":
        raise UserError(f"a vocabulary sweep runs the GPT (the model with a token vocabulary): use --model gpt, "
                        f"not {args.model}")
    if args.width < 16 or args.width % 16:
        raise UserError(f"--width of a vocabulary sweep must be a multiple of the head dimension 16; got {args.width}")
    if vocabs[0] < args.width:
        raise UserError(f"--vocabs must all be >= --width {args.width} (vocab-roles is derived for V >= n, one power "
                        f"law per role); got {args.vocabs!r}")
    check_device(args.device)
    targets = [(t, table_of(t)) for t in parse_targets(args.param, args.optimizer)]
    for _, table in targets:  # fail early, before any run
        predict_vocab(table)
    out = prepare_out(Path(args.out))
    store = ResultStore(out / "results.jsonl")
    summaries = {}
    for t, table in targets:
        s = verify_vocab_target(t, table, vocabs=vocabs, width=args.width, depth=args.depth, seeds=args.seeds,
                                steps=args.steps, lr=args.lr, batch=args.batch, device=args.device, tol=args.tol,
                                store=store, progress=not args.no_progress)
        summaries[s["label"]] = s
        if not args.no_plots:
            vocab_figure(s, out / f"coord_{slug(s['label'])}.png")
        announce(s)
    return conclude(summaries, out, plots=not args.no_plots)
