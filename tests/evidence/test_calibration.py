"""``evidence/calibration.py``: planted one-exponent errors, their enumeration, the detection score, the report.

Kind: independent computation -- the planted tables are compared row by row with the registry's derived table
(exactly one power differs, by exactly the sympy Rational delta), the plant counts are counted by hand from the
derived rows (mup, Everett et al. arXiv 2407.05872 Table 1: roles embedding/hidden/readout, all along width ->
3 roles x 3 quantities x 2 signs = 18), the score is checked on synthetic summaries whose verdicts are known, and
the depth predictions of a planted outer LR (Adam: update ∝ LR, TP6 arXiv 2310.02244 Sec. 1.1 fn. 5) move one row.
"""

import sympy

from scaling_exponents.evidence.calibration import DELTAS, failed_rows, plant, plants, modelled, render, score
from scaling_exponents.systems.registry import derive

HALF = sympy.Rational(1, 2)


def _powers(table):
    return {r.key(): r.power for r in table.rows}


def test_plant_shifts_exactly_one_exponent_by_exactly_half():
    mup = derive("mup", optimizer="adam")
    for delta in (HALF, -HALF):
        p = plant(mup, "hidden", "lr", "width", delta)
        before, after = _powers(mup), _powers(p)
        changed = {k for k in before if before[k] != after[k]}
        assert changed == {("hidden", "lr", "width")} and set(after) == set(before)
        assert after[("hidden", "lr", "width")] - before[("hidden", "lr", "width")] == delta
        assert isinstance(after[("hidden", "lr", "width")], sympy.Rational)
    assert _powers(plant(mup, "hidden", "lr", "width", HALF))[("hidden", "lr", "width")] == sympy.Rational(-1, 2)
    assert "planted error: hidden lr width +1/2" in plant(mup, "hidden", "lr", "width", HALF).notes
    assert _powers(mup)[("hidden", "lr", "width")] == -1  # the base table is not mutated


def test_plant_adds_an_absent_row_with_power_delta():
    depth_mup = derive("depth-mup")
    assert ("readout", "multiplier", "experts") not in _powers(depth_mup)
    p = plant(depth_mup, "readout", "multiplier", "experts", -HALF)
    assert _powers(p)[("readout", "multiplier", "experts")] == -HALF
    assert len(p.rows) == len(depth_mup.rows) + 1


def test_plants_of_mup_enumerate_every_role_quantity_sign_along_width():
    mup = derive("mup", optimizer="adam")
    items = plants(mup)
    assert len(items) == 18
    assert {(p["role"], p["quantity"], p["dimension"], p["delta"]) for p in items} == {
        (r, q, "width", d) for r in ("embedding", "hidden", "readout") for q in ("lr", "init_std", "multiplier")
        for d in DELTAS}
    assert [p["quantity"] for p in items[:6]] == ["lr"] * 6  # LR first
    assert len(plants(mup, quantities=("lr",))) == 6


def test_plants_follow_the_tables_own_fan_dimensions_and_module_roles():
    umup = derive("umup")
    dims = {p["role"]: p["dimension"] for p in plants(umup, quantities=("lr",), dimensions=("width", "fan_in", "fan_out"),
                                                      roles=("embedding", "hidden", "readout"))}
    assert dims == {"embedding": "fan_out", "hidden": "fan_in", "readout": "fan_in"}  # u-muP Table 2's fans
    muon = plants(derive("muon"), quantities=("lr",), dimensions=("fan_in", "fan_out"), roles=("weight",))
    assert sorted((p["dimension"], p["delta"]) for p in muon) == sorted((d, s) for d in ("fan_in", "fan_out")
                                                                        for s in DELTAS)
    cp = plants(derive("completep"), dimensions=("depth",), roles=("hidden", "residual_branch"))
    assert [(p["role"], p["quantity"]) for p in cp if p["role"] == "residual_branch"] == \
        [("residual_branch", "multiplier")] * 2  # a module role has no LR or init of its own


def _summary(verdicts):
    return {"status": "fail" if "fail" in verdicts else "pass", "rows": [
        {"layer": f"l{i}", "quantity": "dW_rms", "verdict": v} for i, v in enumerate(verdicts)]}


def test_score_is_detected_iff_some_row_fails():
    assert score(_summary(["pass", "fail", "pass"])) is True
    assert score(_summary(["pass", "pass"])) is False
    assert score(_summary([])) is False
    assert failed_rows(_summary(["fail", "pass", "fail"])) == ["l0|dW_rms", "l2|dW_rms"]


def _rows(pred):
    return [{"layer": "hidden.0", "quantity": "dW_rms", "predicted_value": pred, "predicted": str(pred)}]


def test_modelled_iff_the_planted_table_predicts_another_exponent_somewhere():
    assert modelled({"rows": _rows(-1), "self_rows": _rows(-0.5)}) is True
    assert modelled({"rows": _rows(-1), "self_rows": _rows(-1)}) is False


def test_render_states_rates_and_names_undetected_plants():
    plant_row = dict(base="mup", role="hidden", quantity="lr", dimension="width", failed_rows=["hidden.0|dW_rms"],
                     self_status="pass", rows=_rows(-1), self_rows=_rows(-0.5))
    fam = {"model": "mlp", "seeds": 3, "steps": 3, "tol": 0.15, "sizes": "width 64,128", "seconds": 30.0,
           "process_seconds": 12.0,
           "correct": [{"label": "mup", "status": "pass", "passed": 2, "rows": [{}, {}], "failed_rows": []}],
           "plants": [dict(plant_row, delta="+1/2", detected=True),
                      dict(plant_row, delta="-1/2", detected=False, failed_rows=[]),
                      dict(plant_row, quantity="init_std", delta="+1/2", detected=False, self_rows=_rows(-1),
                           self_status="fail", self_failed_rows=["hidden.0|dW_rms"]),
                      dict(plant_row, role="norm", quantity="init_std", delta="-1/2", detected=False,
                           unrealised="norm gains are not re-initialised")]}
    md = render({"families": {"mlp-width": fam}, "command": "python benchmarks/calibrate.py"})
    assert ("| mlp-width | width 64,128 | mup: pass | 1/2 (50 %); modelled 1/2 (50 %) | 0/1 (0 %); modelled - | - | 12 |"
            in md)
    assert "- `mup` hidden lr width -1/2: modelled (planted predicts hidden.0|dW_rms -0.5) but within the CIs" in md
    assert "- `mup` hidden init_std width +1/2: no measured row moved beyond its CI + tol, and the predictions do " \
        "not model" in md
    assert "| mup | hidden | lr | width | +1/2 | yes | hidden.0\\|dW_rms | pass |" in md
    assert "Not realised by the model (excluded from the rates): `mup` norm init_std width -1/2 (norm gains" in md
    assert "Judged against their *own* predictions, 2/3 planted tables pass (rows failed most often: " \
        "hidden.0|dW_rms 1x)" in md


def test_depth_predictions_see_an_outer_lr_plant_only_in_its_update_row():
    from scaling_exponents.evidence.predict_depth import predict_depth

    cp = derive("completep")
    base = {(p.layer, p.quantity): p.exponent for p in predict_depth(cp).items}
    for role, layer in (("embedding", "embed"), ("norm", "norm"), ("final_norm", "final_norm"), ("readout", "head")):
        planted = {(p.layer, p.quantity): p.exponent for p in predict_depth(plant(cp, role, "lr", "depth", -HALF)).items}
        moved = {k for k in base if base[k] != planted[k]}
        assert moved == {(layer, "update_rms")} and planted[(layer, "update_rms")] == -HALF  # Adam: update ∝ LR


def test_a_finite_size_row_is_not_a_detection():
    from scaling_exponents.evidence.calibration import failed_rows, score

    rows = [{"layer": "hidden.0", "quantity": "act_delta", "verdict": "fail", "class": "finite size"},
            {"layer": "head", "quantity": "act_delta", "verdict": "pass", "class": "pass"}]
    assert not score({"rows": rows}) and failed_rows({"rows": rows}) == []
    rows[0]["class"] = "fail: unexplained"
    assert score({"rows": rows}) and failed_rows({"rows": rows}) == ["hidden.0|act_delta"]


def test_headline_counts_half_plants_per_quantity_and_names_false_fails():
    from scaling_exponents.evidence.calibration import headline

    fam = {"plants": [{"quantity": "lr", "delta": "+1/2", "detected": True},
                      {"quantity": "lr", "delta": "-1/2", "detected": False},
                      {"quantity": "lr", "delta": "+1/4", "detected": False},  # resolution plants are not counted
                      {"quantity": "init_std", "delta": "+1/2", "detected": True, "unrealised": "norm gains"}],
           "correct": [{"label": "mup", "failed_rows": []}, {"label": "umup", "failed_rows": ["head|act_delta"]}]}
    text = headline({"families": {"mlp-width": fam}})
    assert "lr 1/2" in text and "init -" in text and "multiplier -" in text
    assert text.endswith("false FAILs of the named correct tables: umup (mlp-width)")
