"""The verifier's evidence at GPU scale in one command (issue 24): every stage on one device, its wall time printed,
the device named in every report, results written as they go.

    python benchmarks/gpu_evidence.py --device cuda                  # on a lent GPU: writes catalog/verification/gpu/
    python benchmarks/gpu_evidence.py --smoke --out /tmp/gpu_smoke   # CPU, tiny sizes, the same code paths (tests)
    python benchmarks/gpu_evidence.py --device cuda --only width_mlp,alignment --budget 300

Stages (:data:`STAGES`; each one command, run as a subprocess with the time left in ``--budget`` as its timeout):

* ``coordcheck`` -- :mod:`coordcheck_vs_mup`: microsoft/mup's ``get_coord_data`` vs this toolkit's seed-batched
  coord check, same statistics, widths 512-4096 on the GPU (both timings and the speed-up).
* ``width_mlp`` -- ``verify`` width sweeps of the MLP: mup, umup and sp-table3:adam (the contrast, which fails as
  predicted), widths 256-4096.
* ``width_muon`` -- ``verify -p muon`` (torch.optim.Muon, one model per seed), widths 256-2048.
* ``width_gpt`` -- ``verify --model gpt`` for mup and muon, widths 128-1024 (above the vocabulary 256, where the
  embedding/readout spectral norms leave the finite-vocabulary regime).
* ``depth`` -- ``verify --depths`` for completep and depth-mup on the pre-LN ResMLP, depths 2-64 at width 256.
* ``alignment`` -- ``benchmarks/alignment_transfer.py``: the four-arm LR transfer (full / no / measured-once /
  online alignment) on the byte-level GPT, widths 128-1024, 3 seeds.

Sizes are chosen to fit one 80 GB card in float32 (seeds are batched by the verifier; nothing here needs bf16 or
TF32, so every report's numbers are float32).  The whole list is sized for about 8 minutes of an H100 (UNVERIFIED
until a GPU is lent: the first run's README.md records the real wall times); a stage cut by ``--budget`` keeps its
finished runs (every store resumes) and is marked ``incomplete`` -- rerun the same command to finish it.

Writes ``OUT/README.md`` (device, per-stage command, wall seconds, status) and ``OUT/device.json``, and prepends the
device line to each stage's ``report.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LRS = ",".join(f"{2.0 ** k:g}" for k in range(-10, -4))

#: name -> (full-size arguments, smoke arguments); ``{py}`` is the interpreter, ``{out}`` the stage folder,
#: ``{device}`` the device.  The verify/transfer commands are the same CLI a user runs.
STAGES: dict[str, tuple[str, str]] = {
    "coordcheck": ("{py} benchmarks/coordcheck_vs_mup.py --device {device} --widths 512,1024,2048,4096",
                   "{py} benchmarks/coordcheck_vs_mup.py --device {device} --widths 32,64"),
    "width_mlp": ("{py} -m scaling_exponents verify -p mup,umup,sp-table3:adam --widths 256,512,1024,2048,4096 "
                  "--seeds 8 --steps 3 --depths 2,4,8,16 --width 256 --device {device} --out {out} --no-progress",
                  "{py} -m scaling_exponents verify -p mup,sp-table3:adam --widths 32,64 --seeds 2 --steps 1 "
                  "--no-nngp --device {device} --out {out} --no-progress"),
    "width_muon": ("{py} -m scaling_exponents verify -p muon --widths 256,512,1024,2048 --seeds 4 --steps 3 "
                   "--device {device} --out {out} --no-progress",
                   "{py} -m scaling_exponents verify -p muon --widths 32,64 --seeds 2 --steps 1 --device {device} "
                   "--out {out} --no-progress"),
    "width_gpt": ("{py} -m scaling_exponents verify -p mup,muon --model gpt --widths 128,256,512,1024 --seeds 4 "
                  "--steps 3 --device {device} --out {out} --no-progress",
                  "{py} -m scaling_exponents verify -p mup --model gpt --widths 16,32 --depth 1 --seeds 2 --steps 1 "
                  "--device {device} --out {out} --no-progress"),
    "depth": ("{py} -m scaling_exponents verify -p completep,depth-mup --model resmlp --depths 2,4,8,16,32,64 "
              "--width 256 --base-depth 2 --seeds 8 --steps 3 --device {device} --out {out} --no-progress",
              "{py} -m scaling_exponents verify -p completep --model resmlp --depths 2,4 --width 16 --seeds 2 "
              "--steps 1 --device {device} --out {out} --no-progress"),
    "alignment": ("{py} benchmarks/alignment_transfer.py --device {device} --out {out} --widths 128,256,512,1024 "
                  f"--lrs {LRS} --steps 300 --seeds 3 --batch 32 --measure-steps 200 --threads 4",
                  "{py} benchmarks/alignment_transfer.py --device {device} --out {out} --widths 16,32 "
                  "--lrs 0.001,0.004 --steps 2 --seeds 1 --batch 4 --block 8 --every 1 --warmup 1 "
                  "--measure-steps 2"),
}


def command(stage: str, out: Path, device: str, smoke: bool) -> list[str]:
    """The argv of one stage (its full-size or smoke form) writing into ``out/stage``."""
    text = STAGES[stage][1 if smoke else 0]
    return shlex.split(text.format(py=shlex.quote(sys.executable), out=shlex.quote(str(out / stage)), device=device))


def run_stage(stage: str, out: Path, device: str, smoke: bool, timeout: float) -> dict:
    """Run one stage as a subprocess (cwd: the repository root); its stdout/stderr go to ``out/stage/log.txt``."""
    folder = out / stage
    folder.mkdir(parents=True, exist_ok=True)
    argv = command(stage, out, device, smoke)
    t0 = time.perf_counter()
    status, rc = "ok", None
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    with open(folder / "log.txt", "w") as log:  # the stages import this tree's package, as the script itself does
        try:
            rc = subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                timeout=max(timeout, 1)).returncode
        except subprocess.TimeoutExpired:
            status = "incomplete (budget): rerun to resume"
    seconds = time.perf_counter() - t0
    if rc is not None:
        # verify exits 1 when a row fails: a result, not a crash (its report exists); 2 is bad input; a script's 1
        # is a traceback
        failed_rows = rc == 1 and " verify " in f" {' '.join(argv)} " and (folder / "report.md").is_file()
        status = "ok" if rc == 0 else "ok (some rows fail: see report)" if failed_rows else f"error (exit {rc}): see log.txt"
    if stage == "coordcheck" and rc == 0:
        (folder / "report.md").write_text("# Coord check vs microsoft/mup\n\n```\n" + (folder / "log.txt").read_text()
                                          + "```\n")
    return {"stage": stage, "command": shlex.join(argv).replace(str(ROOT) + "/", ""), "seconds": round(seconds, 1),
            "status": status, "exit": rc}


def name_device(folder: Path, device_line: str) -> None:
    """Put the device line at the top of the stage's report (every report names the card its numbers came from)."""
    report = folder / "report.md"
    if report.is_file():
        text = report.read_text()
        if not text.startswith("Device: "):
            report.write_text(f"Device: {device_line}\n\n{text}")


def write_readme(out: Path, device_line: str, rows: list[dict], smoke: bool, total: float) -> None:
    lines = ["# Verifier evidence on one device" + (" (smoke run: tiny sizes, not evidence)" if smoke else ""), "",
             f"Device: {device_line}", "", f"Total wall time: {total:.1f} s "
             "(`benchmarks/gpu_evidence.py`; each stage resumes from its store when rerun)", "",
             "| stage | wall s | status | command |", "|---|---|---|---|"]
    lines += [f"| [{r['stage']}]({r['stage']}/report.md) | {r['seconds']} | {r['status']} | `{r['command']}` |"
              for r in rows]
    (out / "README.md").write_text("\n".join(lines) + "\n")
    (out / "device.json").write_text(json.dumps({"device": device_line, "smoke": smoke, "total_seconds": round(total, 1),
                                                 "stages": rows}, indent=1) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog="stages: " + ", ".join(STAGES))
    p.add_argument("--device", help="cpu | cuda | cuda:N (default: cuda when available; --smoke: cpu)")
    p.add_argument("--out", help="output folder (default catalog/verification/gpu; --smoke needs an explicit --out)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes on the CPU: the same code paths, for the tests")
    p.add_argument("--budget", type=float, default=480.0, help="wall-clock budget in seconds for all stages (default "
                                                                "480 = 8 minutes); a stage past it is cut and resumes")
    p.add_argument("--only", help="comma-separated stages to run (default: all)")
    a = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from scaling_exponents.errors import UserError
    from scaling_exponents.verifier.probes.config import describe_device

    try:
        import torch

        device = a.device or ("cpu" if a.smoke or not torch.cuda.is_available() else "cuda")
        device_line = describe_device(device)
        stages = [s.strip() for s in (a.only or ",".join(STAGES)).split(",") if s.strip()]
        bad = [s for s in stages if s not in STAGES]
        if bad:
            raise UserError(f"--only: unknown stage(s) {', '.join(bad)}; the stages are {', '.join(STAGES)}")
        if a.smoke and not a.out:
            raise UserError("--smoke writes tiny, non-evidence results: give --out DIR (not the catalog)")
        if a.budget <= 0:
            raise UserError(f"--budget must be > 0 seconds, got {a.budget}")
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = Path(a.out) if a.out else ROOT / "catalog" / "verification" / "gpu"
    out.mkdir(parents=True, exist_ok=True)
    print(f"device: {device_line}; stages: {', '.join(stages)}; budget {a.budget:.0f} s -> {out}", flush=True)
    t0, rows = time.perf_counter(), []
    for stage in stages:
        left = a.budget - (time.perf_counter() - t0)
        if left <= 0:
            rows.append({"stage": stage, "command": shlex.join(command(stage, out, device, a.smoke)), "seconds": 0.0,
                         "status": "not run (budget spent): rerun to resume", "exit": None})
        else:
            rows.append(run_stage(stage, out, device, a.smoke, left))
            name_device(out / stage, device_line)
        print(f"{stage:<12} {rows[-1]['seconds']:>7.1f} s  {rows[-1]['status']}", flush=True)
    total = time.perf_counter() - t0
    write_readme(out, device_line, rows, a.smoke, total)
    print(f"total {total:.1f} s; wrote {out / 'README.md'}")
    return 0 if all(r["status"].startswith("ok") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
