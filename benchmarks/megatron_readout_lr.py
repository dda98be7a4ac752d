"""Megatron's untied-output LR rule vs TP5 Table 8 on a tiny Hugging Face Llama (CPU, stdlib bytes).

Prints, for each rule, the final loss per (width, base LR) and the drift of the optimal log2 LR per width
doubling with a 95% seed-bootstrap CI (scaling_exponents.verifier.transfer.drift).  Table 8 keeps the untied
readout LR constant; ``as_megatron`` divides it by the width ratio (docs/frameworks.md predicts the readout then
under-trains as width grows).  Both runs use the same seeds, data and grid; the baseline is Table 8.

    PYTHONPATH=. python benchmarks/megatron_readout_lr.py [--steps 24] [--widths 32,64,128,256]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from scaling_exponents.frameworks.megatron import as_megatron
from scaling_exponents.systems.registry import derive
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.presets.hf import import_transformers, tiny_config
from scaling_exponents.verifier.data import byte_batches
from scaling_exponents.verifier.transfer import drift


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="32,64,128,256")
    ap.add_argument("--lrs", default="-10,-9,-8,-7,-6,-5,-4", help="log2 base Adam LRs")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--block", type=int, default=32)
    args = ap.parse_args()
    T = import_transformers()
    torch.set_num_threads(1)
    widths = [int(w) for w in args.widths.split(",")]
    lrs = [2.0 ** int(k) for k in args.lrs.split(",")]
    it = byte_batches(args.block, args.batch, seed=0)
    batches = [next(it)[0] for _ in range(args.steps)]
    table = derive("mup-table8", "adam")
    rules = {"table8": table, "megatron": as_megatron(table)}
    base = tiny_config("llama", widths[0], block=args.block)

    def final(rule, width, lr, seed):
        torch.manual_seed(seed)
        model = T.AutoModelForCausalLM.from_config(tiny_config("llama", width, block=args.block))
        p = Parametrization(model, rules[rule], base_model=base, lr=lr)
        opt, losses = torch.optim.Adam(p.param_groups), []
        for x in batches:
            loss = model(input_ids=x, labels=x).loss
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        v = float(np.mean(losses[-max(1, args.steps // 5):]))
        return v if math.isfinite(v) else float("inf")

    for rule in rules:
        t0 = time.perf_counter()
        losses = {w: [[final(rule, w, lr, s) for s in range(args.seeds)] for lr in lrs] for w in widths}
        d = drift(widths, lrs, losses)
        print(f"{rule}: drift {d['slope']:+.3f} log2 LR per width doubling, 95% CI [{d['ci'][0]:+.3f}, "
              f"{d['ci'][1]:+.3f}], log2 LR* {[round(x, 2) for x in d['log2_lr_opt']]}, "
              f"best loss per width {[round(float(min(np.mean(v) for v in losses[w])), 3) for w in widths]} "
              f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
