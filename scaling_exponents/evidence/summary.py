"""Evidence from measured runs, without torch: predicted exponents per (layer, quantity) from a table, one
fitted row per prediction with its verdict, and the small ``results.json`` summary the catalog reads.

Rows: log-log slope with seed-bootstrap CI (:mod:`.fit`) vs the exponent predicted from the derived table
(:mod:`.predict`); **pass** iff the prediction lies in the 95% CI widened by ``tol``.
"""

from __future__ import annotations

import json
from pathlib import Path

from .calibrate import classify_entry, verdict_of

#: Quantities reported with their prediction but not counted in the verdict, and why.
INFORMATIONAL = {"ntk_move": "measured slopes of the LR-weighted ReLU eNTK movement lie between the n^-1 "
                             "(smooth) and n^-1/2 (ReLU-kink) terms at widths <= 1024; not yet a reliable check"}

def predictions_for(table, model: str, depth: int, optimizer: str):
    """The width predictions for a reference ``model`` (``mlp`` or ``gpt``) of ``depth`` under ``table``, with a note
    when the table's optimizer differs from the run's; tables stated per fan are first restated per layer."""
    from . import predict as P

    from .fans import has_fan_rows, width_view

    if model == "mlp":
        layers = P.mlp_layers(depth)
    else:
        layers = P.gpt_layers(depth)
    if has_fan_rows(table):  # u-muP: rows per fan, restated as width exponents of these layers
        table = width_view(table, layers)
    preds = P.predict(table, layers)
    if preds.optimizer != optimizer:
        preds.notes.append(f"table optimizer {preds.optimizer} vs run optimizer {optimizer}")
    return preds


def fit_rows(preds, per_width: dict, widths: list[int], tol: float, quantities=None, dimension: str = "width") -> list[dict]:
    """One row per predicted (layer, quantity) that was measured at every size (width, or depth for depth sweeps).

    A prediction measured at some sizes but not all gets no row and a note in ``preds.notes`` naming it: the sizes
    came from different runs (e.g. results stored before the probe recorded that quantity), so the fit is refused
    rather than the row dropped silently."""
    from .fit import fit_slope, verdict
    from ..theory.exponents import fmt

    rows, partial = [], []
    for p in preds.items:
        key = f"{p.layer}|{p.quantity}"
        if quantities and p.quantity not in quantities:
            continue
        measured = sum(1 for w in widths if per_width.get(w) and key in per_width[w])
        if measured < len(widths):
            if measured:
                partial.append(f"{key} measured at {measured} of {len(widths)} sizes")
            continue
        vals = [per_width[w][key] for w in widths]
        fit = fit_slope(widths, vals)
        pred = float(p.exponent)
        row = {"layer": p.layer, "quantity": p.quantity, "dimension": dimension, "predicted": fmt(p.exponent),
               "predicted_value": pred, **fit.to_dict(), "tol": tol, "verdict": verdict(pred, fit, tol),
               "formula": p.formula, "source": p.source,
               "values": {str(w): v for w, v in zip(widths, vals)}}
        if p.spectral_condition is not None:
            row["spectral_condition"] = fmt(p.spectral_condition)
            row["meets_spectral_condition"] = p.exponent == p.spectral_condition
        if p.quantity in INFORMATIONAL:
            row["verdict"] = "info"
            row["why_info"] = INFORMATIONAL[p.quantity]
        if getattr(p, "informational", None):
            row["verdict"] = "info"
            row["why_info"] = p.informational
        if p.quantity in ("act_delta", "act_init", "own_delta") and pred > 0:
            row["theory"] = "blows up"
        rows.append(row)
    note = partial and ("; ".join(partial) + ": not fitted; rerun with a fresh --out")
    if note and note not in preds.notes:
        preds.notes.append(note)
    entry = {"param": preds.parametrization, "optimizer": preds.optimizer, "dimension": dimension, "rows": rows}
    for row, v in zip(rows, classify_entry(entry).values()):  # model unknown here: summary_json refines it
        row["class"], row["why"] = v.label, v.reason
    return rows


def summary_json(summaries: dict) -> dict:
    """The small ``results.json``: {label: {status, device, passed, failed, ...}} (read by the catalog), from
    ``{label: entry}`` with each entry a :class:`.summary_record.Summary` (a run) or its dict (``summaries.json``).

    Every entry carries its calibrated ``verdict`` (pass | finite size | fails as predicted | fail) and ``classes``
    ({layer|quantity: class} of the rows that did not pass; :mod:`.calibrate`); each row of ``summaries`` gets its
    ``class`` and ``why`` (refined with the entry's model, which :func:`fit_rows` does not know).

    Depth entries (labels ``NAME@depth``) add ``dimension: "depth"``, ``depths``, ``width``, ``base_depth`` and the
    measured ``slopes`` ({layer|quantity: [slope, ci_lo, ci_hi, predicted]})."""
    out = {}
    for k, s in summaries.items():
        classes = classify_entry(s)
        for r in s["rows"]:  # the calibrated class with the entry's model (diagnoses match on it)
            v = classes[f"{r['layer']}|{r['quantity']}"]
            r["class"], r["why"] = v.label, v.reason
        e = {"status": s["status"], "device": s["device"].split(":")[0], "param": s["param"],
             "optimizer": s["optimizer"], "model": s["model"], "widths": s["widths"], "seeds": s["seeds"],
             "steps": s["steps"], "tol": s["tol"], "passed": s["passed"], "failed": s["failed"],
             "failed_rows": [f"{r['layer']}|{r['quantity']}" for r in s["rows"] if r["verdict"] == "fail"],
             "verdict": verdict_of(classes),
             "classes": {key: v.label for key, v in classes.items() if v.verdict not in ("pass", "info")}}
        for key in ("expected", "claims"):  # SAM / weight-decay probes: what the paper predicts, per layer
            if s.get(key) is not None:
                e[key] = s[key]
        if s.get("dimension") not in (None, "width", "depth"):  # e.g. MoE sweeps along experts
            e["dimension"] = s["dimension"]
        slopes = {f"{r['layer']}|{r['quantity']}": [round(r["slope"], 4), round(r["ci"][0], 4), round(r["ci"][1], 4),
                                                   r["predicted"], r["verdict"]] for r in s["rows"]}
        if s.get("dimension") == "depth":
            e.update(dimension="depth", depths=s["depths"], width=s["width"], base_depth=s["base_depth"], lr=s["lr"],
                     alpha=s["r"].get("alpha"), gamma=s["r"].get("gamma"), slopes=slopes)
        if s.get("dimension") == "vocab":  # vocabulary sweeps (:mod:`scaling_exponents.verifier.verify_vocab`)
            e.update(vocabs=s["vocabs"], width=s["width"], base_vocab=s["base_vocab"], lr=s["lr"], slopes=slopes)
        if s.get("dimension") == "density":  # density sweeps (:mod:`scaling_exponents.verifier.verify_density`)
            e.update(densities=s["densities"], width=s["width"], lr=s["lr"], contrast=s["contrast"], slopes=slopes)
        if s.get("model") == "lora":  # LoRA width/rank sweeps (:mod:`scaling_exponents.verifier.verify_lora`)
            e.update(dimension=s["dimension"], sizes=s["sizes"], width=s["width"], rank=s["rank"], lr=s["lr"],
                     slopes=slopes)
        out[k] = e
    return out


def short_table(summaries: dict) -> str:
    """The terminal summary of a verify run: per parametrization, one line per row with the predicted exponent, the
    slope, its 95 % CI and the verdict (and its class)."""
    lines = []
    for label, s in summaries.items():
        lines.append(f"== {label} ({s['title']}; {s['source']}): {s['status']}")
        lines.append(f"{'layer':<20} {'quantity':<12} {'pred':>6} {'slope':>7} {'95% CI':>17}  verdict (class)"
                     + ("  (exponents of depth)" if s.get("dimension") == "depth" else ""))
        for r in s["rows"]:
            ci = f"[{r['ci'][0]:+.2f}, {r['ci'][1]:+.2f}]"
            klass = r.get("class", r["verdict"])
            tag = f" ({klass})" if klass not in (r["verdict"], "pass", "info") else ""
            lines.append(f"{r['layer']:<20} {r['quantity']:<12} {r['predicted']:>6} {r['slope']:+7.2f} {ci:>17}  "
                         f"{r['verdict']}{tag}")
    return "\n".join(lines)


def load_summaries(path) -> dict:
    """The summaries dict a verify run wrote (``summary.json``), read back for re-rendering reports."""
    return json.loads(Path(path).read_text())
