"""Regenerate every committed evidence folder under ``catalog/verification/`` and print the wall time of each command.

    python benchmarks/regenerate_verification.py                         # CPU, the committed settings
    python benchmarks/regenerate_verification.py --device cuda --dtype tf32 --out /tmp/verification
    python benchmarks/regenerate_verification.py --only matrix_optimizers --dry-run

Each entry of :data:`COMMANDS` is ``(folder, argv)``: one ``python -m scaling_exponents ...`` command (as printed under
its heading in that folder's report) whose ``--out`` is ``<out>/<folder>``.  ``--device``/``--dtype`` are appended to
every ``verify`` command (``transfer`` takes both too), so the same list runs on one GPU (the issue's target: all of
it in under 10 minutes on one GPU; on a 2-core CPU it takes far longer -- the figures printed are the measurement).
Results stores are resumable: a rerun into the same folder recomputes nothing; use a fresh ``--out`` to time it.
Extend the list when a new evidence folder is committed (other helpers: append your verify commands here).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the MLP width ladder of the top folder: to 2048 (issue 22 item 7; seeds batched, 3 steps: ~30 s more on 2 cores)
W6 = "--widths 64,128,256,512,1024,2048 --seeds 5 --steps 3 --tol 0.15"
D5 = "--model resmlp --depths 2,4,8,16,32 --width 64 --base-depth 2 --seeds 5 --steps 3 --lr 0.01 --batch 64 --tol 0.15"

#: (folder under catalog/verification, command after ``python -m scaling_exponents``), in the order they were made.
COMMANDS: list[tuple[str, str]] = [
    # one command per folder: verify writes the folder's results.json from its own entries (default LRs: adam 1e-2,
    # sgd 0.5, as in the committed report)
    (".", f"verify --param mup,sp,ntk,tp4-ntk:sgd,tp4-mup:sgd,sp-table3:adam --model mlp {W6}"),
    ("depth", f"verify --param completep,depth-mup {D5}"),
    # TP5's tables and TP4's SP/NTK variants, and u-muP (+ its ResMLP depth sweep and unit_scaling's own model)
    ("width_tp5", f"verify --param mup-table8,mup-table3,mup-table9,mfp,tp4-sp:sgd,tp4-sp-default:sgd --model mlp {W6}"),
    ("umup", f"verify --param umup {W6}"),
    ("depth_transfer", "transfer --param completep,depth-mup,sp-table3:adam --model resmlp --depths 2,4,8,16 --width 64 "
                       "--lrs 0.000244140625,0.00048828125,0.0009765625,0.001953125,0.00390625,0.0078125,0.015625,"
                       "0.03125,0.0625 --steps 100 --seeds 5 --batch 64"),
    ("gpt_transfer", "transfer --param mup-table8:adam,sp-table3:adam --model gpt --widths 32,64,128,256 "
                     "--lrs 0.000976,0.00195,0.0039,0.0078,0.0156,0.03125,0.0625 --steps 80 --seeds 2 --batch 16"),
    # per-matrix optimizer tables (issue 11 items 1-2): real torch.optim.Muon / pytorch-optimizer SOAP, defaults
    ("matrix_optimizers", "verify --param muon,soap,adam-qiu,spectral:muon,spectral:adam"),
    # SOAP with its damping of the order of the rotated gradient (Table 2), apart from the eps = 1e-8 default run
    ("matrix_optimizers_soap_damped", "verify --param soap --eps 1e-3"),
    # the modern GPT (seed 002: RoPE, QK-norm, ReLU², untied head, bf16 autocast) under muP-Adam and Muon
    ("matrix_optimizers_gpt", "verify --param mup --model gpt --arch modern --widths 64,128,256,512"),  # 512: 13 min
    ("matrix_optimizers_gpt", "verify --param muon --model gpt --arch modern --widths 64,128,256"),
]
#: Not yet committed (too slow for the 2-core CPU session that made the evidence; run them on a GPU and append):
#: ("matrix_optimizers_shampoo", "verify --param shampoo,grafting")  -- pytorch-optimizer Shampoo / ScalableShampoo
#: Folders whose generating command is not recorded in the committed report (left out rather than guessed).
UNRECORDED = {"transfer": "transfer.md of the width-transfer folder has no 'Regenerate' line"}


def build(folder: str, cmd: str, out: Path, device: str, dtype: str | None) -> list[str]:
    argv = [sys.executable, "-m", "scaling_exponents", *shlex.split(cmd), "--out", str(out / folder), "--device", device]
    if dtype:
        argv += ["--dtype", dtype]
    if argv[3] == "verify":
        argv.append("--no-progress")
    return argv


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "catalog" / "verification"), help="root of the evidence folders")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (passed to every command)")
    p.add_argument("--dtype", help="float32 | tf32 | bfloat16 (verify commands only)")
    p.add_argument("--only", help="comma-separated folders to run (default: all)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    a = p.parse_args(argv)
    only = set(a.only.split(",")) if a.only else None
    unknown = (only or set()) - {f for f, _ in COMMANDS}
    if unknown:
        print(f"error: --only names unknown folders {sorted(unknown)}; folders: "
              f"{', '.join(sorted({f for f, _ in COMMANDS}))}", file=sys.stderr)
        return 2
    out, total, status = Path(a.out), 0.0, 0
    for folder, cmd in COMMANDS:
        if only and folder not in only:
            continue
        argv_ = build(folder, cmd, out, a.device, a.dtype)
        print("$ python " + " ".join(shlex.quote(x) for x in argv_[1:]), flush=True)
        if a.dry_run:
            continue
        t0 = time.perf_counter()
        rc = subprocess.run(argv_, cwd=ROOT, stdout=subprocess.DEVNULL).returncode
        dt = time.perf_counter() - t0
        total += dt
        status = status or (rc if rc not in (0, 1) else 0)  # 1 = some row failed (a verdict, not an error)
        print(f"  {folder}: exit {rc}, wall {dt:.1f} s", flush=True)
    for folder, why in UNRECORDED.items():
        print(f"  not regenerated: {folder} ({why})")
    listed = {f for f, _ in COMMANDS} | set(UNRECORDED)
    for d in sorted(p.name for p in out.iterdir() if p.is_dir()) if out.is_dir() else []:
        if d not in listed:  # another helper's folder: its per-entry commands are under each heading of its report.md
            print(f"  not regenerated: {d} (no entry in COMMANDS yet; copy its command from {d}/report.md)")
    print(f"total wall time: {total:.1f} s on {a.device}")
    return status


if __name__ == "__main__":
    sys.exit(main())
