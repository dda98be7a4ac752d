"""Cold-process latency of `derive --param mup` (both LP back ends: `--solver highs`, the default, and `--solver
cvxpy`) against `python -c "import cvxpy"` (the solver import).

Goal (issue: engine): ratio <= 1.3, i.e. derive costs little beyond importing its LP solver.
Runs each command N times alternately in fresh processes and prints medians and their ratio.
Usage: python benchmarks/derive_latency.py [--runs 9] [--param mup]
"""

import argparse
import statistics
import subprocess
import sys
import time


def wall(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--param", default="mup")
    args = ap.parse_args()
    base_cmd = [sys.executable, "-c", "import cvxpy"]
    cmds = {s: [sys.executable, "-m", "scaling_exponents", "derive", "--param", args.param, "--solver", s]
            for s in ("highs", "cvxpy")}
    wall(base_cmd), [wall(c) for c in cmds.values()]  # warm the file cache
    base, times = [], {s: [] for s in cmds}
    for _ in range(args.runs):
        base.append(wall(base_cmd))
        for s, c in cmds.items():
            times[s].append(wall(c))
    mb = statistics.median(base)
    print(f"import cvxpy                          median {mb * 1000:7.1f} ms  (n={args.runs})")
    for s, ts in times.items():
        md = statistics.median(ts)
        print(f"derive --param {args.param:<7} --solver {s:<6} median {md * 1000:7.1f} ms  ratio to import cvxpy "
              f"{md / mb:.2f}  (goal <= 1.3)")


if __name__ == "__main__":
    main()
