"""``align``: measure per-layer alignment on the reference MLP/GPT and solve Everett et al.'s LP for per-layer c.

One width (m-wojnar/maxP's measure-once) or, with ``--widths``, the slope of the log-alignment ratio across
widths with a bootstrap CI over seeds.  The JSON (``--format json`` or ``--out DIR``) is accepted by
``Parametrization(model, ..., settings={"table": PATH})`` and ``derive --alignment PATH``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError

def _ints(text: str, flag: str) -> list[int]:
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{flag} takes comma-separated integers, e.g. {flag} 64,128,256; got {text!r}") from None
    if not vals or min(vals) < 1:
        raise UserError(f"{flag} takes positive integers, got {text!r}")
    return vals


def _check_before_work(args) -> None:
    """What a run would reject only after training: a --param Everett et al.'s LP has no (a, b) for (the re-solve
    needs them), an LR that cannot move the weights, no seeds for a slope."""
    from ..systems.everett2024 import NAMED_AB
    from ..systems.registry import get

    name = get(args.param).name  # unknown names: UserError with suggestions
    if name not in NAMED_AB:
        raise UserError(f"--param {args.param}: measured alignment re-solves Everett et al.'s LP (arXiv 2407.05872), "
                        f"which names (a, b) for {', '.join(NAMED_AB)} only; pick one of them")
    if args.lr is not None and not args.lr > 0:  # lr 0 trains nothing, NaN everything: no alignment to measure
        raise UserError(f"--lr must be a positive number (alignment needs the weights to move), got {args.lr}")
    if args.widths and args.seeds < 1:
        raise UserError(f"--seeds must be >= 1 (seeds per width of the slope), got {args.seeds}")


def run(args) -> int:
    """Measure alignment (alpha, omega, u) on the reference model once or across widths, solve Everett et al.'s LP
    (arXiv 2407.05872, Sec. 3) for per-layer c and print or save the table; bad flags are a :class:`UserError`."""
    from .alignment_sweep import MODELS, measure_once, sweep

    if args.model not in MODELS:
        raise UserError(f"--model must be one of {', '.join(MODELS)}, got {args.model!r}")
    if args.optimizer not in ("adam", "sgd"):
        raise UserError(f"--optimizer must be adam or sgd, got {args.optimizer!r}")
    if args.mode not in ("rms", "spectral"):
        raise UserError(f"--mode must be rms or spectral, got {args.mode!r}")
    if args.mode == "spectral":  # refused before any training run, not after it
        from ..systems.everett2024_aligned import SPECTRAL_REFUSED

        raise UserError("--mode spectral: " + SPECTRAL_REFUSED)
    _check_before_work(args)
    if args.threads is not None:
        import torch

        if args.threads < 1:
            raise UserError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    from .alignment_sweep import _device

    _device(args.device)  # checked before any run
    lr = args.lr if args.lr is not None else (1e-3 if args.optimizer == "adam" else 0.1)
    kw = dict(optimizer=args.optimizer, mode=args.mode, param=args.param, lr=lr, depth=args.depth,
              batch=args.batch, probe_batch=args.probe_batch, device=args.device)
    if args.widths:
        widths = _ints(args.widths, "--widths")
        table, fits = sweep(args.model, widths, args.steps, seeds=tuple(range(args.seed, args.seed + args.seeds)), **kw)
        table.meta["fits"] = {n: {k: (None if f is None else f.to_dict()) for k, f in d.items()} for n, d in fits.items()}
        tag = f"w{min(widths)}-{max(widths)}"
    else:
        table = measure_once(args.model, args.width, args.steps, seed=args.seed, strict=False, **kw)
        tag = f"w{args.width}"
    if args.out:
        path = table.save(Path(args.out) / f"align_{args.model}_{tag}.json")
    if args.format == "json":
        print(json.dumps(table.to_dict(), indent=1))
    else:
        print(table.render())
        if args.out:
            print(f"\nwrote {path}  (use: Parametrization(model, '{table.param}', '{table.optimizer}', ..., "
                  f"table='{path}') or derive --alignment {path})")
    return 0
