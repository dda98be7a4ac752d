"""Deriving every table of the catalog in one warm process: direct HiGHS back end vs cvxpy (issue 12, item 2).

The engine's exact pipeline (theory/solve.py: LP, exact rational re-check, dual certificate, optimal-face
ranges) runs ~1000 small LPs for the catalog's tables.  Through cvxpy each costs ~20 ms of canonicalisation;
``theory.highs_backend.HighsProblem`` passes the same matrices to one HiGHS model per LP (< 1 ms).  Both back ends
are timed in the same process, alternately, after a warm-up, and the tables compared row by row (they must be
identical: the exact re-check and certificate are the same code).  Goal: all tables < 1 s warm.

    python benchmarks/derive_all_tables.py [--repeats 3]

Measured on the shared 2-core development VM under load ~12-16 (other jobs), ``--repeats 1``: direct HiGHS
10.3 s (150 ms/table) vs cvxpy 53.0 s (768 ms/table), 5.1x, identical tables 69/69.  The issue's idle-box
cvxpy figure is 2.8 s; scaled by the measured ratio that is ~0.55 s (an extrapolation, not a measurement).
What is left is sympy/Fraction arithmetic of the exact re-check and face ranges, not the LP solver.
"""

from __future__ import annotations

import argparse
import statistics
import time


def jobs():
    from scaling_exponents.systems.registry import all_specs

    for spec in all_specs():
        for o in (spec.optimizers or (None,)):
            for a in (spec.alignments or (None,)):
                yield spec.name, (o or None), (a or None)


def derive_all(js):
    from scaling_exponents.systems.registry import derive
    from scaling_exponents.theory.exponents import fmt

    out = []
    for n, o, a in js:
        try:
            t = derive(n, o, a)
            out.append(([(r.role, r.quantity, r.dimension, fmt(r.power)) for r in t.rows], t.notes))
        except Exception as e:  # a combination the paper does not cover: compared as its message
            out.append(repr(e))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from scaling_exponents.theory import solve as S

    js = list(jobs())
    times = {True: [], False: []}
    results = {}
    for use in (True, False):  # warm-up both
        S._USE_HIGHS = use
        results[use] = derive_all(js)
    for _ in range(args.repeats):
        for use in (True, False):
            S._USE_HIGHS = use
            t = time.perf_counter()
            derive_all(js)
            times[use].append(time.perf_counter() - t)
    S._USE_HIGHS = True
    same = sum(a == b for a, b in zip(results[True], results[False]))
    h, c = statistics.median(times[True]), statistics.median(times[False])
    print(f"{len(js)} tables (every parametrization x optimizer x alignment), warm, median of {args.repeats}:")
    print(f"  direct HiGHS: {h:.2f} s ({1e3 * h / len(js):.1f} ms/table)   cvxpy: {c:.2f} s ({1e3 * c / len(js):.1f} "
          f"ms/table)   speed-up {c / h:.1f}x   (goal < 1 s)")
    print(f"  identical tables: {same}/{len(js)}")


if __name__ == "__main__":
    main()
