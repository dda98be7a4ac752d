"""Calibrate the verifier: false-FAIL rate of the named correct tables, detection rate of planted exponent errors.

    nice -n 10 python benchmarks/calibrate.py                       # the committed run (catalog/verification/)
    python benchmarks/calibrate.py --smoke --out /tmp/cal             # tiny: mup, 2 widths, 2 seeds, 1 step, hidden-LR plants
    python benchmarks/calibrate.py --families mlp-width,moe --quantities lr

Per sweep family of :data:`FAMILIES` (width sweep of the MLP, depth sweep of the ResMLP, per-matrix optimizer width
sweep, MoE along experts) it verifies each named correct table and every planted one-exponent error of
:func:`scaling_exponents.evidence.calibration.plants` (±1/2 on one LR, then init, then multiplier exponent along the
sweep's dimension) through ``verify --table``'s custom-table path (:mod:`scaling_exponents.verifier.verify_table`):
the run applies the planted table, the rows are predicted from the correct one (``Target.expect``).  Runs go to a
resumable store (``<out>/calibration/results.jsonl``: a rerun recomputes nothing); after each quantity it rewrites
``<out>/calibration/calibration.json`` (every plant with its rows: prediction, slope, CI, verdict) and
``<out>/calibration.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.evidence import calibration as C  # noqa: E402

#: Sweep families: the named correct tables ("name" or "name:optimizer"), the model and sweep, the roles the model
#: realises and the dimensions a plant may go along.  Sizes are chosen so that every ±1/2 LR plant is detected at a
#: cost this 2-core machine affords (see catalog/verification/calibration.md for the measured CPU seconds).
FAMILIES = {
    "mlp-width": dict(tables=("mup", "mup-table8", "umup"), kind="width", model="mlp", sizes=(64, 128, 256, 512),
                      seeds=3, steps=3, roles=("embedding", "hidden", "readout"), dims=("width", "fan_in", "fan_out")),
    "resmlp-depth": dict(tables=("completep", "depth-mup"), kind="depth", model="resmlp", sizes=(2, 4, 8, 16),
                         seeds=3, steps=3, width=64, lr=0.01,
                         roles=("embedding", "hidden", "norm", "residual_branch", "final_norm", "readout"),
                         dims=("depth",)),
    "matrix-width": dict(tables=("muon", "spectral:muon"), kind="width", model="mlp", sizes=(64, 128, 256), seeds=3,
                         steps=3, roles=("weight",), dims=("fan_in", "fan_out")),
    "moe-experts": dict(tables=("moe-completep",), kind="experts", model="moe", sizes=(4, 8, 16), seeds=3, steps=3,
                        lr=0.01, roles=("router", "expert_up", "expert_down", "moe_output"), dims=("experts",)),
}
SMOKE = dict(tables=("mup",), kind="width", model="mlp", sizes=(32, 64), seeds=2, steps=1, roles=("hidden",),
             dims=("width",))
TOL = 0.15


def _base(name: str):
    from scaling_exponents.verifier.probes import table_for
    from scaling_exponents.systems.registry import get

    param, _, opt = name.partition(":")
    spec = get(param)
    opt = opt or (spec.optimizers[0] if spec.optimizers and spec.optimizers[0] else None)
    return table_for(param, opt, None)


def _verify(fam: dict, target, table, store) -> dict:
    """One summary of ``target`` in ``fam``'s sweep (width, depth, per-matrix or MoE path)."""
    from scaling_exponents.verifier.moe_verify import verify_moe
    from scaling_exponents.torch.matrix_roles import is_per_matrix
    from scaling_exponents.verifier.verify import verify_depth_target, verify_target
    from scaling_exponents.verifier.verify_matrix import verify_matrix_target

    kw = dict(seeds=fam["seeds"], steps=fam["steps"], tol=TOL, store=store, progress=False)
    if fam["kind"] == "width" and is_per_matrix(table):  # the `matrix` sweep's driver (verifier/sweeps/matrix.py)
        return verify_matrix_target(target, model=fam["model"], widths=fam["sizes"], **kw)
    if fam["kind"] == "width":
        return verify_target(target, model=fam["model"], widths=fam["sizes"], nngp=False, **kw)
    if fam["kind"] == "depth":
        return verify_depth_target(target, model=fam["model"], depths=fam["sizes"], width=fam["width"], lr=fam["lr"],
                                   base_depth=fam["sizes"][0], **kw)
    res = verify_moe(target, table, widths=(), experts=fam["sizes"], depths=(), lr=fam["lr"], **kw)
    return next(iter(res.values()))


#: Row fields left out of calibration.json: the formula and source text (the same for every plant of a base table)
#: and the per-seed values (in results.jsonl, the store); kept: prediction, slope, CI, R², tol, verdict.
DROP = ("formula", "source", "values")


def _slim(rows: list) -> list:
    return [{k: v for k, v in r.items() if k not in DROP} for r in rows]


def _keep(s: dict) -> dict:
    """The summary without its per-size coordinate data, its rows slimmed (:data:`DROP`)."""
    return dict({k: v for k, v in s.items() if k != "coord"}, rows=_slim(s["rows"]))


def _realised(fam: dict, base, role: str, quantity: str, dimension: str) -> str:
    """Why the family's model does not apply a (role, quantity, dimension) row ("" if it does): the Parametrization's
    own list of unapplied rows (:func:`scaling_exponents.torch.explain.unapplied_rows`) for a copy of ``base`` with
    that row at power 1.  The MoE probe applies its table itself: every MoE row counts as applied."""
    import dataclasses

    from scaling_exponents.verifier.probes import RunConfig, make_model, parametrize
    from scaling_exponents.theory.custom_tables import register

    if fam["model"] == "moe":
        return ""
    rest = dataclasses.replace(base, rows=[r for r in base.rows if r.key() != (role, quantity, dimension)],
                               solution=None, system=None)
    probe = C.plant(rest, role, quantity, dimension, 1)
    depth = 2
    cfg = RunConfig(param=register(probe, "realised"), model=fam["model"], optimizer=base.optimizer or "adam",
                    width=32, depth=depth, base_width=32, base_depth=depth)
    why = [w for r, w in parametrize(make_model(cfg), cfg).unapplied if r.key() == (role, quantity, dimension)]
    return why[0] if why else ""


def _annotate(results: dict) -> None:
    """Mark every plant the model does not realise (``unrealised``: the Parametrization's reason)."""
    for fam_name, entry in results["families"].items():
        fam = FAMILIES.get(fam_name, SMOKE)
        for p in entry["plants"] + entry.get("resolution", []):
            if "unrealised" not in p:
                p["unrealised"] = _realised(fam, _base(p["base"]), p["role"], p["quantity"], p["dimension"])


def _write(jpath: Path, results: dict) -> None:
    """calibration.json, every stored row slimmed (results of older runs too), one JSON line (~1-2 MB)."""
    _annotate(results)
    for fam in results["families"].values():
        for c in fam["correct"]:
            c["rows"] = _slim(c["rows"])
        for p in fam["plants"] + fam.get("resolution", []):
            p["rows"], p["self_rows"] = _slim(p["rows"]), _slim(p["self_rows"])
    jpath.write_text(json.dumps(results, default=str) + "\n")


def _smallest(correct: list[dict]) -> str:
    """Estimate from the correct tables' rows: a plant that moves one row's slope by more than tol + that row's CI
    half-width fails it; the most precise row bounds the smallest detectable shift."""
    best = None
    for c in correct:
        for r in c["rows"]:
            half = (r["ci"][1] - r["ci"][0]) / 2
            if best is None or half < best[0]:
                best = (half, f"{r['layer']}|{r['quantity']}", c["label"])
    if best is None:
        return ""
    return (f"about {TOL + best[0]:.2f} in a row's slope (tol {TOL} + CI half-width {best[0]:.3f} of {best[1]} in "
            f"{best[2]}; an LR or init exponent error moves its dW or act_init row 1:1)")


def run_family(name: str, fam: dict, quantities, store, results: dict, deltas=C.DELTAS, bucket="plants",
               tables=None) -> None:
    """Verify ``fam``'s correct tables and its plants of ``quantities`` x ``deltas`` into ``results`` (``bucket``:
    "plants", or "resolution" for the smaller LR errors of ``--resolution``); stored plants are skipped."""
    from scaling_exponents.verifier.verify_table import table_target

    t0 = time.process_time()
    entry = results["families"].setdefault(name, {"plants": [], "correct": []})
    entry.setdefault(bucket, [])
    entry.update(model=fam["model"], seeds=fam["seeds"], steps=fam["steps"], tol=TOL,
                 sizes=f"{fam['kind']} {','.join(map(str, fam['sizes']))}"
                       + (f" (width {fam['width']})" if "width" in fam else ""))
    done = {(p["base"], p["role"], p["quantity"], p["dimension"], p["delta"]) for p in entry[bucket]}
    for base_name in tables or fam["tables"]:
        base = _base(base_name)
        if base_name not in {c["label"] for c in entry["correct"]}:
            s = _verify(fam, table_target(base, base_name.replace(":", "-")), base, store)
            entry["correct"].append(dict(_keep(s), label=base_name, failed_rows=C.failed_rows(s)))
        for p in C.plants(base, quantities=quantities, deltas=deltas, dimensions=fam["dims"], roles=fam["roles"]):
            delta = ("+" if p["delta"] > 0 else "") + str(p["delta"])
            key = (base_name, p["role"], p["quantity"], p["dimension"], delta)
            if key in done:
                continue
            label = f"{base_name.replace(':', '-')}~{p['role']}.{p['quantity']}.{p['dimension']}{delta}"
            s = _verify(fam, table_target(p["table"], label, expect=base), p["table"], store)
            own = _verify(fam, table_target(p["table"], label), p["table"], store)  # same runs, own predictions
            entry[bucket].append({"family": name, "base": base_name, "role": p["role"], "quantity": p["quantity"],
                                    "dimension": p["dimension"], "delta": delta, "detected": C.score(s),
                                    "failed_rows": C.failed_rows(s), "self_status": own["status"],
                                    "self_failed_rows": C.failed_rows(own), "rows": _slim(s["rows"]),
                                    "self_rows": _slim(own["rows"]), "seconds": s["seconds"]})
            print(f"{name} {label}: {'detected' if C.score(s) else 'NOT detected'} {C.failed_rows(s)[:4]}",
                  file=sys.stderr, flush=True)
    entry["seconds"] = sum(c["seconds"] for c in entry["correct"]) + sum(
        p["seconds"] for b in ("plants", "resolution") for p in entry.get(b, []))
    entry["process_seconds"] = entry.get("process_seconds", 0.0) + time.process_time() - t0
    entry["smallest"] = _smallest(entry["correct"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", help=f"comma-separated of {', '.join(FAMILIES)} (default all)")
    ap.add_argument("--quantities", default="lr,init_std,multiplier", help="planted quantities, in this order")
    ap.add_argument("--resolution", action="store_true",
                    help="after the ±1/2 plants: LR plants of ±1/4 on each family's first table (the smallest error)")
    ap.add_argument("--render-only", action="store_true", help="rewrite OUT/calibration.md from calibration.json")
    ap.add_argument("--smoke", action="store_true", help="tiny: mup only, widths 32,64, 2 seeds, 1 step, hidden-LR plants")
    ap.add_argument("--out", default=str(ROOT / "catalog" / "verification"),
                    help="writes OUT/calibration.md and OUT/calibration/{results.jsonl,calibration.json}")
    args = ap.parse_args(argv)
    try:
        fams = {"smoke": SMOKE} if args.smoke else {n: FAMILIES[n] for n in _names(args.families)}
        quantities = ["lr"] if args.smoke else [q.strip() for q in args.quantities.split(",") if q.strip()]
        bad = [q for q in quantities if q not in C.QUANTITIES]
        if bad:
            raise UserError(f"--quantities takes {', '.join(C.QUANTITIES)}; got {', '.join(bad)}")
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from scaling_exponents.evidence.store import ResultStore

    out = Path(args.out)
    (out / "calibration").mkdir(parents=True, exist_ok=True)
    store = ResultStore(out / "calibration" / "results.jsonl")
    jpath = out / "calibration" / "calibration.json"
    results = json.loads(jpath.read_text()) if jpath.exists() else {"families": {}}
    if args.render_only:
        _write(jpath, results)
        (out / "calibration.md").write_text(C.render(results))
        print(f"wrote {out / 'calibration.md'}")
        return 0
    results["command"] = "python benchmarks/calibrate.py" + (" --smoke" if args.smoke else "") + (
        f" --families {args.families}" if args.families else "") + (
        f" --quantities {args.quantities}" if args.quantities != ap.get_default("quantities") else "") + (
        " --resolution" if args.resolution else "")
    for q in quantities:  # LR plants of every family first: the >= 95 % requirement is on them
        for name, fam in fams.items():
            run_family(name, fam, [q], store, results)
            _write(jpath, results)
            (out / "calibration.md").write_text(C.render(results))
    for name, fam in fams.items() if args.resolution else []:
        run_family(name, fam, ["lr"], store, results, deltas=("1/4", "-1/4"), bucket="resolution",
                   tables=fam["tables"][:1])
        _write(jpath, results)
        (out / "calibration.md").write_text(C.render(results))
    print(f"wrote {out / 'calibration.md'} and {jpath}")
    return 0


def _names(text) -> list[str]:
    names = [n.strip() for n in (text or ",".join(FAMILIES)).split(",") if n.strip()]
    bad = [n for n in names if n not in FAMILIES]
    if bad:
        raise UserError(f"--families takes {', '.join(FAMILIES)}; got {', '.join(bad)}")
    return names


if __name__ == "__main__":
    sys.exit(main())
