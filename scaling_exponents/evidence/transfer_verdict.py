"""Catalog verdicts from an LR-transfer sweep (``transfer --verdict NAME,...``): the claim "the table's rule
transfers the optimal LR" as one exponent row.

A table that states how the learning rate scales with a size (e.g. AM-muP, arXiv 2510.04327 abstract: one LR
``eta*(L) ∝ L^-3/2``) claims that, once its own LR factor is applied, the optimal *base* LR no longer moves with
that size.  The transfer sweep measures exactly that: the drift, the slope of log2(base LR*) against log2(size),
with a seed-bootstrap 95% CI (:func:`scaling_exponents.verifier.transfer.drift`).  The prediction is 0; the
verdict uses the rule of every other sweep (:func:`.fit.verdict`): **pass** iff ``lo - tol <= 0 <= hi + tol``.
(A measured drift ``s`` means the optimal raw LR scales as ``size^(p + s)``, ``p`` the table's LR power.)

Entries follow :func:`.summary.summary_json` (read by :mod:`scaling_exponents.literature.catalog.evidence`), with
one row ``global|lr_opt_drift``; the sweep's other tables are written as ``contrast`` entries (not verdicts).
"""

from __future__ import annotations

import math

from .fit import Slope, verdict

#: The one row of a transfer verdict: the drift of log2(base LR*) per doubling of the swept size.
ROW = "global|lr_opt_drift"


def verdict_entries(summary: dict, claims: list[str], tol: float) -> dict:
    """``{label: results.json entry}`` for every table of a transfer ``summary`` (transfer.json); labels whose
    parametrization (``NAME`` or ``NAME:OPT``) is in ``claims`` are verdicts, the others contrasts."""
    from ..systems.registry import normalize

    wanted = {normalize(c.split(":")[0]) for c in claims}
    out = {}
    for label, s in summary["params"].items():
        d = s["drift"]
        slope, (lo, hi) = d["slope"], d["ci"]
        sizes = s.get("depths") or sorted(int(w) for w in s["optima"])
        fit = Slope(slope, lo, hi, len(sizes), summary["seeds"], math.nan)
        ok = all(map(math.isfinite, (lo, hi))) and verdict(0.0, fit, tol) == "pass"
        outcome = "pass" if ok else "fail"
        e = {"status": outcome, "device": summary["device"].split(":")[0], "param": s["param"],
             "optimizer": s["optimizer"], "model": summary["model"], "widths": [s["width"]] if "width" in s else sizes,
             "seeds": summary["seeds"], "steps": summary["steps"], "tol": tol, "passed": int(ok), "failed": int(not ok),
             "failed_rows": [] if ok else [ROW], "dimension": s["dimension"],
             "slopes": {ROW: [round(slope, 4), round(lo, 4), round(hi, 4), "0", outcome]},
             "lr_opt": {k: v["lr_opt"] for k, v in s["optima"].items()},
             "claims": "optimal base LR transfers under the table's own LR rule (drift 0)"}
        if s["dimension"] == "depth":
            e.update(depths=sizes, width=s["width"], base_depth=s["base_depth"])
        if normalize(s["param"]) not in wanted:
            e["contrast"] = True
        out[label] = e
    unknown = wanted - {normalize(s["param"]) for s in summary["params"].values()}
    if unknown:
        from ..errors import UserError

        raise UserError(f"--verdict names {', '.join(sorted(unknown))}, not swept here; give names from --param")
    return out
