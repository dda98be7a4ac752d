"""Wall time of the SAME coordinate check through microsoft/mup's ``get_coord_data`` and through ours.

Sweep (both sides): MLP with 3 weight layers (input, one hidden, readout; ReLU, no bias), widths 64..1024 on
CPU (64..4096 on CUDA), 5 seeds, 3 Adam steps at LR 1e-2, batch 64 of the digits data, fixed batch.
mup side: ``MuReadout`` + ``set_base_shapes`` (base width 64), ``get_coord_data(..., optimizer='adam',
nsteps=3, nseeds=5)`` -- one model per (width, seed), trained sequentially, pandas records of its default
statistic: the mean |output| (``l1``) of every module at each of its 3 recorded forward passes.
our side: ``probes.coord_run`` with ``Parametrization(param='mup-table8')`` (microsoft/mup's convention), all
seeds' weights stacked and trained together (batched matmuls, hand-written backward and Adam), timed twice:

* ``stats="l1"`` -- the same statistic as mup (mean |output| of every weight layer and every ReLU call).  It
  is conservative: ours records 4 forward passes (after 0..3 updates) where mup records 3 (after 0..2; its
  3rd update is never observed), with the same 3 backward passes and Adam updates.
* ``stats="full"`` -- what the verifier uses: RMS act_init/act_delta per step, RMS and spectral norms of
  W and dW (randomized subspace iteration), feature-kernel movement.

Each side is timed ``--repeats`` times (median reported), after a warm-up of both.  Figures on the 2-thread
AMD EPYC CPU of the development box (torch 2.13 CPU, ``--repeats 3``, two runs): mup 0.25-0.26 s; ours
0.17 s with mup's statistics (1.5x) and 0.26 s with our full statistics (0.94-1.0x) -- short of the issue's
>= 3x CPU goal.  Estimated from microbenchmarks on that box, width 1024 alone needs ~0.1 s of unavoidable work
that mup does as well (5 seeds x 64x1024x1024 matmuls in 4 forward and 3 backward passes at ~125 GFLOP/s,
3 Adam updates of 5M weights, the RNG of 5 x 1M init weights), so on two cores the remaining margin is mup's
per-module Python/pandas overhead.  Not measured on an H100 (goal there: >= 20x).

    python benchmarks/coordcheck_vs_mup.py [--device cuda] [--widths 64,...] [--repeats 3]

Needs ``pip install mup`` (install it with ``--no-deps`` plus pandas/pyyaml: its metadata pulls torchvision,
which replaces the pinned CPU torch).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from torch import nn


def mup_side(widths, seeds, steps, lr, x, y, device):
    from mup import MuReadout, set_base_shapes
    from mup.coord_check import get_coord_data

    def make(w):
        return nn.Sequential(nn.Linear(64, w, bias=False), nn.ReLU(), nn.Linear(w, w, bias=False), nn.ReLU(),
                             MuReadout(w, 10, bias=False))

    base, delta = make(64), make(128)

    def lazy(w):
        def f():
            m = make(w)
            set_base_shapes(m, base, delta=delta)
            return m.to(device)
        return f

    loader = [(x, y)]
    t = time.perf_counter()
    df = get_coord_data({w: lazy(w) for w in widths}, loader, optimizer="adam", lr=lr, mup=True, nsteps=steps,
                        nseeds=seeds, cuda=device.type == "cuda", show_progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t, len(df)


def our_side(widths, seeds, steps, lr, device, dtype, stats="full"):
    from scaling_exponents.verifier.probes import RunConfig, coord_run, table_for

    table_for("mup-table8", "adam", None)  # derive once (an LP), outside the timed loop, as mup needs no derive
    t = time.perf_counter()
    n = 0
    for w in widths:
        r = coord_run(RunConfig(param="mup-table8", optimizer="adam", width=w, depth=1, base_width=64, lr=lr,
                                steps=steps, seeds=tuple(range(seeds)), batch=64, device=str(device), dtype=dtype,
                                ntk_points=0, stats=stats))
        n += len(r["metrics"])
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t, n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--widths", help="default: 64..1024 on CPU, 64..4096 on CUDA (powers of 2)")
    p.add_argument("--dtype", default="float32", help="float32 | tf32 (CUDA)")
    p.add_argument("--repeats", type=int, default=1)
    a = p.parse_args(argv)
    try:
        import mup  # noqa: F401
    except ImportError:
        print("skipped: microsoft/mup is not installed (pip install --no-deps mup; pip install pandas pyyaml)")
        return 0
    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("skipped: --device cuda but no GPU")
        return 0
    top = 4096 if device.type == "cuda" else 1024
    widths = [int(v) for v in a.widths.split(",")] if a.widths else [2 ** k for k in range(6, top.bit_length())]
    from scaling_exponents.verifier.data import probe_batch

    x, y = probe_batch(64)
    x, y = x.to(device), y.to(device)
    seeds, steps, lr = 5, 3, 1e-2
    # warm up both (imports, kernels, LP)
    mup_side(widths[:1], 1, 1, lr, x, y, device)
    our_side(widths[:1], 2, 1, lr, device, a.dtype)
    our_side(widths[:1], 2, 1, lr, device, a.dtype, "l1")
    med = lambda f: statistics.median(f()[0] for _ in range(max(1, a.repeats)))
    tm = med(lambda: mup_side(widths, seeds, steps, lr, x, y, device))
    tl = med(lambda: our_side(widths, seeds, steps, lr, device, a.dtype, "l1"))
    tf = med(lambda: our_side(widths, seeds, steps, lr, device, a.dtype, "full"))
    print(f"device {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else f'{torch.get_num_threads()} threads'}), "
          f"widths {widths[0]}..{widths[-1]}, {seeds} seeds, {steps} Adam steps, batch 64, median of {max(1, a.repeats)}")
    print(f"microsoft/mup get_coord_data                    : {tm:.3f} s")
    print(f"scaling_exponents coord_run, same stats as mup  : {tl:.3f} s  speed-up {tm / tl:.2f}x")
    print(f"scaling_exponents coord_run, full statistics    : {tf:.3f} s  speed-up {tm / tf:.2f}x")
    print("(spectral norms, kernel movement, per-step RMS act_delta; goal: >= 3x on CPU, >= 20x on an H100)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
