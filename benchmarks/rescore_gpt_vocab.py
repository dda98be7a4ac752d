"""Re-score committed GPT width sweeps with the finite-vocabulary ``W_spec`` prediction (issue 22), from their stored
per-seed values -- no rerun (the GPT sweeps cost 300-550 s per table on the 2-core CPU).

The token embedding and the readout of the reference GPT have the fixed vocabulary ``V = 256`` as one fan; the probe
records ``||W||_2 (sqrt(n) + sqrt(V))^-1 sqrt(max(n, V)) ≈ sigma sqrt(max(n, V))`` (Vershynin, arXiv 1011.3027,
Thm. 5.32), so over widths <= V the slope is ``-(a+b)``, not the large-width ``-(a+b) + 1/2``
(:func:`scaling_exponents.evidence.hints.finite_vocab`, which ``verify`` applies to per-matrix tables on the GPT).
Only the ``embed|W_spec`` / ``head|W_spec`` rows change: their prediction, verdict (the stored slope and CI with
:func:`scaling_exponents.evidence.fit.verdict`), formula and source; the counts and the report follow.

    python benchmarks/rescore_gpt_vocab.py catalog/verification/matrix_optimizers_gpt muon
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def rescore(summary: dict) -> list[str]:
    """Update ``summary`` (one table's summaries.json entry) in place; the changed ``layer|quantity`` keys."""
    from scaling_exponents.evidence.fit import Slope, verdict
    from scaling_exponents.evidence.hints import finite_vocab
    from scaling_exponents.evidence.predict import Prediction, Predictions
    from scaling_exponents.evidence.summary_record import status_of, tally
    from scaling_exponents.theory.exponents import Q, fmt

    if summary.get("model") != "gpt":
        return []
    rows = [r for r in summary["rows"] if r["quantity"] == "W_spec" and r["layer"] in ("embed", "head")]
    preds = Predictions(summary["param"], summary.get("optimizer") or "", summary.get("alignment") or "",
                        [Prediction(r["layer"], "W_spec", Q(r["predicted"]), r["formula"], r["source"]) for r in rows])
    finite_vocab(preds, summary["widths"])
    changed = []
    for r, p in zip(rows, preds.items):
        if fmt(p.exponent) == r["predicted"]:
            continue
        fit = Slope(r["slope"], r["ci"][0], r["ci"][1], r["n_widths"], r["n_seeds"], r["r2"])
        r.update(predicted=fmt(p.exponent), predicted_value=float(p.exponent), formula=p.formula, source=p.source,
                 verdict=verdict(float(p.exponent), fit, r["tol"]))
        if "spectral_condition" in r:
            r["meets_spectral_condition"] = r["spectral_condition"] == fmt(p.exponent)
        changed.append(f"{r['layer']}|W_spec")
    count = tally(summary["rows"])  # the verdict rule of every entry (evidence.summary_record)
    summary.update(failed=count.failed, passed=count.passed, status=status_of(summary["rows"]))
    if changed:
        summary["notes"].append("embed/head W_spec re-scored from the stored values with the finite-vocabulary "
                                "prediction (benchmarks/rescore_gpt_vocab.py; Vershynin arXiv 1011.3027 Thm. 5.32)")
    return changed


def main(argv=None) -> None:
    from scaling_exponents.evidence.report import write_verify_report

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("labels", nargs="+", help="summaries.json entries to re-score (per-matrix tables on the GPT)")
    a = ap.parse_args(argv)
    out = Path(a.folder)
    summaries = json.loads((out / "summaries.json").read_text())
    for label in a.labels:
        changed = rescore(summaries[label])
        s = summaries[label]
        print(f"{label}: re-scored {', '.join(changed) or 'nothing'}; now {s['status']} {s['passed']}/{s['passed'] + s['failed']}")
    write_verify_report(summaries, out, plots=False, merge=False)


if __name__ == "__main__":
    main()
