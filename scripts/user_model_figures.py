"""The numbers and figures of docs/user_model.md: coord checks and LR transfers of examples/my_gpt.py (a from-scratch
GPT on the built-in byte data) under muP, CompleteP and SP with one global Adam LR.

    PYTHONPATH=$PWD python scripts/user_model_figures.py            # writes docs/user_model/*.png, prints the numbers

Runs on CPU with one thread (about 10 minutes on 2 shared cores); the LR sweeps are stored in
/tmp/user_model_figures (resumable).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sys.path.insert(0, str(ROOT / "examples"))
    from my_gpt import gpt

    from scaling_exponents.verifier import coord_check, lr_transfer

    torch.set_num_threads(1)
    out = ROOT / "docs" / "user_model"
    out.mkdir(parents=True, exist_ok=True)
    for table in ("mup", "completep", "sp-table3:adam"):
        cc = coord_check(gpt, table, widths=(32, 64, 128, 256), seeds=3, steps=3, batch=16, depth=2)
        print(f"\n== coord check {cc.label}: {cc.status} ({cc.regime})")
        print(cc.slopes.drop(columns="readout").to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
        fig = cc.figure()
        fig.savefig(out / f"coord_{table.replace(':', '_')}.png", dpi=70)
        plt.close(fig)
    lrs = [2.0 ** k for k in range(-12, -3)]
    for table in ("mup", "sp-table3:adam"):
        res = lr_transfer(gpt, table, widths=(32, 64, 128), lrs=lrs, steps=100, seeds=2, batch=16, depth=2,
                          out=f"/tmp/user_model_figures/{table.replace(':', '_')}")
        d = res.drift
        print(f"\n== LR transfer {res.label}: drift {d['slope']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}] log2 per "
              "doubling; LR* " + ", ".join(f"{w}: {v:.3g}" for w, v in res.optima.items()))
        fig = res.figure()
        fig.savefig(out / f"transfer_{table.replace(':', '_')}.png", dpi=70)
        plt.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
