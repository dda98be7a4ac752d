"""Local vs Ray on one machine: a 5-width x 5-seed x 4-LR LR-transfer sweep (20 runs, seeds batched per run), and a
fault test (kill a Ray worker, then the driver, mid-sweep; rerun).

Speed: runs ``python -m scaling_exponents transfer`` (MLP on digits, widths 16..256, 4 LRs, 5 seeds) once with
``--executor local`` (one process, torch on all cores) and once with ``--executor ray`` (a local Ray instance
on all cores, one thread per run), each as a fresh process in the same run of this script; prints both wall
times (process start to exit, Ray start-up included), the speedup, and whether every run's per-seed final
losses and loss curve are identical.

Fault (``--fault``): starts the Ray sweep, SIGKILLs one Ray worker while it runs a task (Ray re-runs that task),
then SIGKILLs the driver once some results are stored; reruns the same command and counts: results stored
before the kill, of those lost (missing afterwards) and recomputed (a key written twice), runs computed by the
rerun, and whether the final results equal the local run's.  Cleans up the killed driver's leftover Ray
processes by their ids.

    python benchmarks/executors.py [--steps 40] [--fault] [--out /tmp/executors_bench]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cmd(out, executor, a):
    return [sys.executable, "-m", "scaling_exponents", "transfer", "--param", "mup", "--widths", a.widths,
            "--lrs", a.lrs, "--seeds", str(a.seeds), "--steps", str(a.steps), "--batch", str(a.batch),
            "--out", str(out), "--no-progress", "--executor", executor]


def _env():
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _rows(out):
    path = Path(out) / "results.jsonl"
    rows = []
    for line in (path.read_text().splitlines() if path.exists() else []):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a torn line from the kill
    return rows


def _results(out):
    return {r["key"]: (r["result"]["final"], r["result"]["curve"]) for r in _rows(out)}


def _timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _children():
    kids = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    return kids


def _descendants(pid):
    kids, out, todo = _children(), set(), [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def fault(a, out, local):
    shutil.rmtree(out, ignore_errors=True)
    total = len(local)
    driver = subprocess.Popen(_cmd(out, "ray", a), env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    ours, killed_worker = set(), None
    try:
        while killed_worker is None and driver.poll() is None:  # a worker in the middle of a run
            ours |= _descendants(driver.pid)
            busy = [p for p in ours if _cmdline(p).startswith("ray::run-")]
            if busy and len(_rows(out)) >= 2:
                killed_worker = busy[0]
                os.kill(killed_worker, signal.SIGKILL)
            time.sleep(0.2)
        while len(_rows(out)) < total // 2 and driver.poll() is None:
            ours |= _descendants(driver.pid)
            time.sleep(0.2)
        ours |= _descendants(driver.pid)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
    finally:
        time.sleep(3)
        for p in sorted(ours):  # Ray processes the killed driver left behind (ours, by id)
            if "ray" in _cmdline(p) or "raylet" in _cmdline(p) or "gcs_server" in _cmdline(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    before = _rows(out)
    keys_before = [r["key"] for r in before]
    t_rerun = _timed(_cmd(out, "ray", a))
    after = _rows(out)
    keys_after = [r["key"] for r in after]
    lost = len(set(keys_before) - set(keys_after))
    recomputed = len(keys_after) - len(set(keys_after))
    same = _results(out) == local
    print(f"fault test: killed Ray worker pid {killed_worker} mid-run, then the driver with {len(before)}/{total} "
          f"results stored; rerun ({t_rerun:.1f} s) computed {len(after) - len(before)} runs; lost {lost}, "
          f"recomputed {recomputed}; final results identical to local: {same}")
    return 0 if lost == 0 and recomputed == 0 and same and len(set(keys_after)) == total else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--widths", default="16,32,64,128,256")
    p.add_argument("--lrs", default="0.001,0.003,0.01,0.03")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--out", default="/tmp/executors_bench")
    p.add_argument("--fault", action="store_true", help="also run the fault test")
    a = p.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    out = Path(a.out)
    for d in ("local", "ray"):
        shutil.rmtree(out / d, ignore_errors=True)
    n = len(a.widths.split(",")) * len(a.lrs.split(","))
    print(f"{n} runs ({a.widths} x LRs {a.lrs}), {a.seeds} seeds each, {a.steps} steps; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    t_local = _timed(_cmd(out / "local", "local", a))
    t_ray = _timed(_cmd(out / "ray", "ray", a))
    local, ray = _results(out / "local"), _results(out / "ray")
    same = local == ray and len(local) == n
    print(f"local {t_local:.1f} s, ray {t_ray:.1f} s (all {os.cpu_count()} cores): speedup {t_local / t_ray:.2f}x; "
          f"results identical: {same}")
    code = 0 if same else 1
    if a.fault:
        code |= fault(a, out / "fault", local)
    return code


if __name__ == "__main__":
    sys.exit(main())
