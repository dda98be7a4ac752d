"""Achieved FLOP/s of the seed-batched coordinate check on the largest transformer sweep (CUDA only).

Runs ``probes.coord_run`` on the reference GPT (4 blocks, head_dim 64, block 256, batch 32, 4 seeds, 3 Adam
steps) at widths 512..4096 with TF32 or bf16 and divides the model FLOPs (6 * params * tokens per
forward+backward, plus attention 12 * depth * T^2 * width per sequence; Kaplan et al. arXiv 2001.08361)
by the wall time.  Prints ``skipped`` and exits 0 without CUDA.

    python benchmarks/gpu_throughput.py [--dtype tf32|bfloat16] [--widths 512,1024,2048,4096]
"""

from __future__ import annotations

import argparse
import sys
import time

import torch


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dtype", default="tf32")
    p.add_argument("--widths", default="512,1024,2048,4096")
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--block", type=int, default=256)
    p.add_argument("--batch", type=int, default=32)
    a = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("skipped: no CUDA device (this benchmark measures GPU throughput)")
        return 0
    from scaling_exponents.verifier.probes import RunConfig, coord_run, table_for

    table_for("mup", "adam", "full")
    print(f"{torch.cuda.get_device_name()}, dtype {a.dtype}")
    for w in [int(v) for v in a.widths.split(",")]:
        cfg = RunConfig(param="mup", model="gpt", optimizer="adam", alignment="full", width=w, depth=a.depth,
                        base_width=256, lr=1e-2, steps=3, seeds=tuple(range(a.seeds)), batch=a.batch, block=a.block,
                        head_dim=64, dtype=a.dtype, device="cuda", ntk_points=0)
        coord_run(cfg)  # warm-up
        torch.cuda.synchronize()
        t = time.perf_counter()
        coord_run(cfg)
        torch.cuda.synchronize()
        dt = time.perf_counter() - t
        n_params = 12 * a.depth * w * w + 2 * 256 * w
        tokens = a.batch * a.block
        flops = (cfg.steps + 1) * a.seeds * (6 * n_params * tokens + 12 * a.depth * a.block ** 2 * w * a.batch)
        print(f"width {w:5d}: {dt:7.3f} s, {flops / dt / 1e12:7.2f} TFLOP/s (model FLOPs, excl. probes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
