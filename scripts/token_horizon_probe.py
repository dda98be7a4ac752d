"""CPU probe of Bjorck et al.'s token-horizon law (arXiv 2409.19913): does the optimal LR of a fixed tiny model fall
as a power of the training horizon, LR*(D) ∝ D^-beta?

A byte-level GPT (the verifier's ``gpt`` model, SP with one global Adam LR: ``sp-table3``) is trained at a fixed
batch for several step counts (tokens D ∝ steps) over a grid of LRs, with the paper's schedule shape (linear warmup
over the first 5% of steps, cosine decay to 10% of the peak).  The loss of each run is the held-out byte loss
(last 10% of the corpus) at the end; the optimum per horizon is the vertex of a quadratic in log2(LR)
(:func:`scaling_exponents.verifier.transfer.optimum`), and beta is minus the slope of log2 LR* vs log2 D with a
seed-bootstrap 95% CI (:func:`scaling_exponents.verifier.transfer.drift`).

    PYTHONPATH=$PWD python scripts/token_horizon_probe.py --out /tmp/token_horizon_probe.json   # defaults below

Result (2026-12-02, 2 shared CPU cores, 971 s; defaults ``--steps 64,256,1024 --lrs 2^-9..2^-3``): LR* = 0.0124, 0.0078,
0.0082 at 33k, 131k, 524k tokens; beta = 0.146, 95% CI [0.031, 0.184] -- the optimum falls with the horizon, less
steeply than the paper's 0.32, and not monotonically between the two longest horizons.

This is a probe, not the paper's setting (50M-2.7B models, 0.5M-token batches, billions of tokens): a tiny model's
beta need not equal 0.32; the claim it can check is the sign and rough size of the drift.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np


def run(steps: int, lr: float, args) -> list[float]:
    import torch
    from torch.func import functional_call, grad_and_value, vmap

    from scaling_exponents.verifier import data as D
    from scaling_exponents.verifier.probes import RunConfig, adam_step, build_seeds
    from scaling_exponents.verifier.probes.seeds import _loss

    torch.set_num_threads(1)
    cfg = RunConfig(param="sp-table3", model="gpt", optimizer="adam", width=args.width, depth=args.depth,
                    base_width=args.width, lr=lr, seeds=tuple(range(args.seeds)), batch=args.batch, block=args.block)
    sb = build_seeds(cfg, torch.device("cpu"), torch.float32, 256, 256)

    def f(params, xb, yb):
        return _loss(functional_call(sb.module, (params, sb.buffers), (xb,)), yb)

    step = vmap(grad_and_value(f), in_dims=(0, None, None))
    loss_only = vmap(f, in_dims=(0, None, None))
    base = dict(sb.lr)
    warm = max(1, int(0.05 * steps))
    it = D.byte_batches(args.block, args.batch, seed=0)
    params, state = sb.params, {}
    for t in range(1, steps + 1):
        frac = t / warm if t <= warm else 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (t - warm) / max(1, steps - warm)))
        for n in base:
            sb.lr[n] = base[n] * frac
        xb, yb = next(it)
        grads, _ = step(params, xb, yb)
        params = adam_step(params, grads, state, t, sb, "adam")
    test = D.byte_batches(args.block, 64, seed=123, split="test")
    with torch.no_grad():
        vals = torch.stack([loss_only(params, *next(test)) for _ in range(8)]).mean(0)
    return [float(v) if math.isfinite(float(v)) else float("inf") for v in vals]


def main(argv=None) -> int:
    from scaling_exponents.verifier.transfer import drift

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", default="64,256,1024", help="horizons in optimizer steps (tokens = steps*batch*block)")
    p.add_argument("--lrs", default=",".join(str(2.0 ** k) for k in range(-9, -2)))
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--block", type=int, default=32)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default="token_horizon_probe.json")
    args = p.parse_args(argv)
    horizons = [int(s) for s in args.steps.split(",")]
    lrs = sorted(float(v) for v in args.lrs.split(","))
    losses, t0 = {}, time.time()
    for h in horizons:
        losses[h] = []
        for lr in lrs:
            losses[h].append(run(h, lr, args))
            print(f"steps {h} lr {lr:.3g}: test loss {np.mean(losses[h][-1]):.4f} ({time.time() - t0:.0f}s)",
                  file=sys.stderr)
    tokens = [h * args.batch * args.block for h in horizons]
    d = drift(horizons, lrs, losses)
    out = {"what": "optimal-LR drift over training horizon (scripts/token_horizon_probe.py)",
           "config": vars(args), "tokens": tokens, "lrs": lrs,
           "loss": {str(h): [[float(x) for x in v] for v in losses[h]] for h in horizons},
           "lr_opt": {str(t): 2 ** o for t, o in zip(tokens, d["log2_lr_opt"]) if o is not None},
           "beta": -d["slope"], "beta_ci95": [-d["ci"][1], -d["ci"][0]], "paper_beta": 0.32,
           "seconds": round(time.time() - t0, 1)}
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"beta = {out['beta']:.3f}, 95% CI [{out['beta_ci95'][0]:.3f}, {out['beta_ci95'][1]:.3f}] "
          f"(paper: 0.32 at >= 760M); LR*: {out['lr_opt']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
