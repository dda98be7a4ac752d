"""Calibration of the verifier: planted one-exponent errors, their detection, and the Markdown report (torch-free).

What: :func:`plant` shifts one exponent of a table by ``delta`` (adding the row when the table has none),
:func:`plants` enumerates every such error of the LR, init and multiplier exponents along a sweep's dimension,
:func:`score` says whether a verify summary detected it, and :func:`render` writes
``catalog/verification/calibration.md`` from the results of ``benchmarks/calibrate.py``.  Why: a verifier is an
instrument; its false-FAIL rate on correct tables and its detection rate of known errors (issue 22 item 2) say how
far a PASS or a FAIL can be trusted.

How a plant is judged: the run applies the *planted* table (the implementation under test carries the error) and
the rows are predicted from the *correct* table (``Target.expect``, :mod:`scaling_exponents.verifier.verify_table`)
-- the situation of a user whose code is meant to implement the named table.  Every summary's rows are kept, and the
same runs judged against the planted table's own predictions are stored too (``self`` verdict: whether the
verifier's predictions hold for the wrong table as well).
"""

from __future__ import annotations

import dataclasses

import sympy

from ..theory.exponents import fmt
from ..theory.table import ExponentTable, Row

#: Roles that are modules, not parameters: the Parametrization scales their output only
#: (``scaling_exponents.torch.explain.MODULE_QUANTITIES``; ``moe_output`` is the MoE layer's output multiplier).
MULTIPLIER_ONLY = ("residual_branch", "moe_output")
QUANTITIES = ("lr", "init_std", "multiplier")
DELTAS = (sympy.Rational(1, 2), sympy.Rational(-1, 2))


def plant(table: ExponentTable, role: str, quantity: str, dimension: str, delta) -> ExponentTable:
    """``table`` with the power of (role, quantity, dimension) shifted by ``delta`` (exact); a row the table lacks is
    added with power ``delta``.  The title and notes say what was planted."""
    delta = sympy.Rational(delta)
    rows, found = [], False
    for r in table.rows:
        if r.key() == (role, quantity, dimension):
            rows.append(Row(r.role, r.quantity, r.dimension, r.power + delta, "planted"))
            found = True
        else:
            rows.append(r)
    if not found:
        rows.append(Row(role, quantity, dimension, delta, "planted"))
    what = f"{role} {quantity} {dimension} {'+' if delta > 0 else ''}{fmt(delta)}"
    return dataclasses.replace(table, rows=rows, title=f"{table.title or table.parametrization} [planted {what}]",
                               notes=list(table.notes) + [f"planted error: {what}"], solution=None, system=None)


def _dims_of(table, role: str, dimensions) -> list[str]:
    """The dimensions of ``dimensions`` the table scales ``role`` along (any quantity); the first one if none."""
    have = [d for d in dimensions if any(r.role == role and r.dimension == d for r in table.rows)]
    return have or [dimensions[0]]


def plants(table: ExponentTable, quantities=QUANTITIES, deltas=DELTAS, dimensions=("width",), roles=None) -> list[dict]:
    """Every one-exponent error of ``quantities`` x ``deltas`` for each role along the sweep's ``dimensions``.

    ``roles``: the roles the sweep's model realises (default: the table's roles).  A role is planted along the
    dimensions of ``dimensions`` its rows use (u-muP's hidden ``fan_in``, Muon's ``fan_in`` and ``fan_out``), else the
    first one; module roles (:data:`MULTIPLIER_ONLY`) only in their multiplier.  Each item: ``role``, ``quantity``,
    ``dimension``, ``delta`` (Rational), ``table`` (the planted table); ordered by quantity (LR first) then role."""
    roles = list(roles) if roles is not None else list(table.roles)
    out = []
    for q in quantities:
        for role in roles:
            if role in MULTIPLIER_ONLY and q != "multiplier":
                continue
            for dim in _dims_of(table, role, list(dimensions)):
                for d in deltas:
                    out.append({"role": role, "quantity": q, "dimension": dim, "delta": sympy.Rational(d),
                                "table": plant(table, role, q, dim, d)})
    return out


#: Row classes that do not count as a detection: the calibrated verdict (:mod:`.verdicts`) reads the row's local
#: slopes as converging to the prediction, so the catalog would not call it a FAIL of the table either.
NOT_DETECTED = ("finite size", "fail: finite size")


def _counts(r: dict) -> bool:
    return r.get("verdict") == "fail" and r.get("class", "fail") not in NOT_DETECTED


def score(summary: dict) -> bool:
    """Detected iff some row of the verify summary fails under the calibrated verdict: ``verdict`` fail (prediction
    outside the CI + tol) and its ``class`` not finite size (:data:`NOT_DETECTED`) -- the rule the catalog reads."""
    return any(_counts(r) for r in summary.get("rows", []))


def failed_rows(summary: dict) -> list[str]:
    """``layer|quantity`` of every row that counts as failed (for the report)."""
    return [f"{r['layer']}|{r['quantity']}" for r in summary.get("rows", []) if _counts(r)]


def modelled(entry: dict) -> bool:
    """Whether the predictions model a plant: its ``self_rows`` (the planted table's own predictions) differ from its
    ``rows`` (the correct table's) in some predicted exponent.  A plant that is not modelled can still be detected
    (the measurement moves away from the correct table's prediction), but the verifier cannot say what it expected."""
    base = {(r["layer"], r["quantity"]): r["predicted_value"] for r in entry.get("rows", [])}
    return any(base.get((r["layer"], r["quantity"])) != r["predicted_value"] for r in entry.get("self_rows", []))


def _why(p: dict) -> str:
    if not modelled(p):
        return ("no measured row moved beyond its CI + tol, and the predictions do not model this exponent (the "
                "planted table predicts the same exponent on every row)")
    moved = [f"{r['layer']}|{r['quantity']} {r['predicted']}" for r, b in zip(p["self_rows"], p["rows"])
             if r["predicted_value"] != b["predicted_value"]]
    return "modelled (planted predicts " + ", ".join(moved[:3]) + ") but within the CIs + tol"


def _cell(names) -> str:
    """Row names for a Markdown table cell (``layer|quantity``: the bar escaped)."""
    return ", ".join(names).replace("|", "\\|")


def _rate(items) -> str:
    items = [p for p in items if not p.get("unrealised")]
    n = len(items)
    k = sum(1 for p in items if p["detected"])
    return f"{k}/{n} ({100 * k / n:.0f} %)" if n else "-"


def headline(results: dict) -> str:
    """One line for the catalog: the detection rate of planted ±1/2 errors per quantity over every family, and the
    correct tables' calibrated verdicts (from ``calibration.json``)."""
    fams = results.get("families", {})
    plants = [p for f in fams.values() for p in f["plants"] if p.get("delta") in ("+1/2", "-1/2")]
    rates = ", ".join(f"{q.replace('_std', '')} {_rate([p for p in plants if p['quantity'] == q]).split(' (')[0]}"
                      for q in QUANTITIES)
    wrong = [f"{c['label']} ({name})" for name, f in fams.items() for c in f["correct"] if c["failed_rows"]]
    return (f"planted ±1/2 exponent errors detected: {rates} over {len(fams)} sweep families; false FAILs of the "
            f"named correct tables: {', '.join(wrong) if wrong else 'none'}")


def _verdict(correct: dict) -> str:
    """A correct table's calibrated verdict: pass, pass with finite-size rows (named), or fail."""
    if correct["failed_rows"]:
        return "fail"
    fs = [r for r in correct.get("rows", []) if r.get("verdict") == "fail"]
    return f"pass ({len(fs)} row(s) finite size)" if fs else "pass"


def render(results: dict) -> str:
    """Markdown report of ``calibration.json`` (``{"families": {name: {...}}, "command": ...}``)."""
    out = ["<!-- generated by benchmarks/calibrate.py; do not edit: rerun it -->", "",
           "# Calibration of the verifier: false FAILs and planted errors", "",
           "Per sweep family, the named correct tables are verified (a FAIL there is a *false FAIL* of the instrument, "
           "or a known limit of its predictions) and every one-exponent error of ±1/2 on one LR, init or multiplier "
           "exponent along the sweep's dimension is planted: the run applies the planted table through "
           "`verify --table`'s path, the rows are predicted from the correct table, and the plant is *detected* iff "
           "some row fails under the calibrated verdict (outside its CI + tol and not converging to the prediction "
           "as finite size: `scaling_exponents.evidence.calibration.score`).  `self` = the same runs judged against "
           "the planted table's own predictions (a FAIL there is the theory missing what the wrong table does).  "
           "*modelled* = the planted table's own predictions differ from the correct table's on some measured row "
           "(`calibration.modelled`): the rate among those says how often the verifier detects an error it can also "
           "describe.  CPU s = process CPU time of the benchmark for that family (2 shared cores).",
           "", f"Reproduce: `{results.get('command', 'python benchmarks/calibrate.py')}`", ""]
    out += ["| family | sweep | correct tables (verdict, failed rows) | LR detected | init detected | "
            "multiplier detected | CPU s |", "|---|---|---|---|---|---|---|"]
    for name, fam in results["families"].items():
        corr = "; ".join(f"{c['label']}: {_verdict(c)}" + (f" ({_cell(c['failed_rows'])})" if c["failed_rows"]
                                                             else "") for c in fam["correct"])
        by_q = {q: [p for p in fam["plants"] if p["quantity"] == q] for q in QUANTITIES}
        cells = [f"{_rate(by_q[q])}; modelled {_rate([p for p in by_q[q] if modelled(p)])}" if by_q[q] else "-"
                 for q in QUANTITIES]
        out.append(f"| {name} | {fam['sizes']} | {corr} | {' | '.join(cells)} | "
                   f"{fam.get('process_seconds', fam['seconds']):.0f} |")
    for name, fam in results["families"].items():
        out += ["", f"## {name}", "", f"Sweep: {fam['sizes']}; model {fam['model']}; seeds {fam['seeds']}, steps "
                f"{fam['steps']}, tol {fam['tol']}; CPU {fam.get('process_seconds', 0):.0f} s (benchmark process), "
                f"{fam['seconds']:.0f} s summed wall time of its runs on the shared machine.", ""]
        for c in fam["correct"]:
            out.append(f"- correct `{c['label']}`: **{_verdict(c)}**, {c['passed']}/{len(c['rows'])} rows pass"
                       + (f"; failed: {', '.join(c['failed_rows'])}" if c["failed_rows"] else ""))
            out += [f"  - {r['layer']}|{r['quantity']}: {r.get('class')} -- {r.get('why', '')}" for r in c["rows"]
                    if r.get("verdict") == "fail"]
            out += [f"  - the verifier's note: {n}" for n in (c.get("notes") or []) if c["failed_rows"]]
        missed = [p for p in fam["plants"] if not p["detected"] and not p.get("unrealised")]
        unreal = [p for p in fam["plants"] if p.get("unrealised")]
        smallest = fam.get("smallest")
        out += ["", f"Planted: {len(fam['plants'])}, detected {_rate(fam['plants'])} of those the model realises."]
        if unreal:
            out.append("Not realised by the model (excluded from the rates): " + "; ".join(
                f"`{p['base']}` {p['role']} {p['quantity']} {p['dimension']} {p['delta']} ({p['unrealised']})"
                for p in unreal) + ".")
        own_ok = [p for p in fam["plants"] if not p.get("unrealised") and p.get("self_status") == "pass"]
        realised = [p for p in fam["plants"] if not p.get("unrealised")]
        if realised:
            from collections import Counter

            top = Counter(r for p in realised for r in p.get("self_failed_rows", [])).most_common(3)
            out.append(f"Judged against their *own* predictions, {len(own_ok)}/{len(realised)} planted tables pass"
                       + (" (rows failed most often: " + ", ".join(f"{r} {k}x" for r, k in top) + ")" if top else "")
                       + ": the verifier's predictions for a table off the muP family are less reliable than for the "
                       "named ones.")
        if smallest:
            out.append(f"Smallest detectable error (estimate from the correct tables' CIs): {smallest}.")
        res = fam.get("resolution") or []
        if res:
            out.append(f"Resolution check, LR plants of ±1/4 on `{res[0]['base']}`: detected {_rate(res)}"
                       + ("; missed: " + ", ".join(f"{p['role']} {p['delta']}" for p in res if not p["detected"])
                          if not all(p["detected"] for p in res) else "") + ".")
        if missed:
            out += ["", "Undetected plants (what the sweep cannot see):", ""]
            out += [f"- `{p['base']}` {p['role']} {p['quantity']} {p['dimension']} {p['delta']}: {_why(p)}"
                    for p in missed]
        out += ["", "| base | role | quantity | dimension | delta | detected | failed rows | self |",
                "|---|---|---|---|---|---|---|---|"]
        out += [f"| {p['base']} | {p['role']} | {p['quantity']} | {p['dimension']} | {p['delta']} | "
                f"{'yes' if p['detected'] else '**no**'} | {_cell(p['failed_rows']) or '-'} | {p['self_status']} |"
                for p in fam["plants"]]
    return "\n".join(out) + "\n"
