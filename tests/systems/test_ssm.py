"""SSMs, where muP fails (Vankadara et al., NeurIPS 2024, OpenReview aQv5AbN1wF): ssm-mup-naive (muP as applied to a
Mamba-1 block) and ssm-mup (the muP-SSM B init of the LTI core).

Expected values: the oracle rows (papers/oracles/vankadara2024feature.csv: B init sqrt(N_x/N_u) read in
Melina-Jingting/foundational_ssm s5_muP.py, VERIFIED-2nd; alxndrTL/mamba.py's muP read in its code); the shape-rule
rows are TP5 Table 3's transcription (papers/oracles/tp5_yang2022tensor.csv) looked up by each Mamba matrix's class;
the failure records carry no exponent because the paper's Table 1 was not readable (UNVERIFIED).

Kind: paper table (vankadara2024feature.csv, secondary; tp5_yang2022tensor.csv); external library (alxndrTL/mamba.py's muP, read).
"""

import json

import pytest

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.literature import oracles
from scaling_exponents.systems import ssm
from scaling_exponents.systems.registry import derive
from scaling_exponents.theory.exponents import Q

ROWS = oracles.load("vankadara2024feature")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.param}-{r.role}-{r.quantity}-{r.dimension}")
def test_rows_equal_oracle(row):
    t = derive(row.param, row.optimizer or None, **row.variant_dict)
    assert t.solution.unique and t.solution.certified
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


def _tp5(optimizer, role, quantity):
    (r,) = [r for r in oracles.select("tp5_yang2022tensor", param="mup-table3", role=role, quantity=quantity)
            if r.optimizer in (optimizer, "")]
    return r.exact


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_shape_rule_is_tp5_table3_per_matrix(optimizer):
    t = derive("ssm-mup-naive", optimizer)
    assert {r.role for r in t.rows} == set(ssm.MAMBA_PARAMS)
    for name, (_, cls, _) in ssm.MAMBA_PARAMS.items():
        for q in ("init_std", "lr"):
            assert t.power(name, q) == _tp5(optimizer, cls, q), (name, cls, q)
    # the B/C rows of x_proj have a fixed fan_out (2 d_state): TP5 output weights, init n^-1
    assert t.power("x_proj_bc", "init_std") == -1 and t.power("x_proj_dt", "init_std") == Q("-1/2")
    assert t.power("conv1d", "lr") == (0 if optimizer == "adam" else 1)


def test_mambapy_differs_from_the_shape_rule_where_recorded():
    shape, code = derive("ssm-mup-naive", "adam"), derive("ssm-mup-naive", "adam", classify="mambapy")
    differ = {(r.role, r.quantity) for r in shape.rows if code.power(r.role, r.quantity) != r.power}
    assert differ == {("x_proj_bc", "init_std"), ("dt_proj", "init_std")}
    assert code.power("x_proj_bc", "init_std") - shape.power("x_proj_bc", "init_std") == Q("1/2")
    assert code.power("dt_proj", "init_std") - shape.power("dt_proj", "init_std") == Q("-1/2")


def test_correction_is_sqrt_state_on_b_init():
    t = derive("ssm-mup")
    assert t.power("B", "init_std", "state") == Q("1/2") and t.power("B", "init_std", "channels") == Q("-1/2")
    # muP's hidden init 1/sqrt(fan_in) = N_u^-1/2, N_x^0: the correction is the factor sqrt(N_x)
    assert t.power("B", "init_std", "channels") == _tp5("adam", "hidden", "init_std")
    assert t.combined_factor("B", "init_std", {"state": (4, 1), "channels": (4, 1)}) == pytest.approx(1)
    assert {(r.role, r.quantity) for r in t.rows} == {("B", "init_std")}  # C init and every LR: UNVERIFIED
    assert any("disagree" in n for n in t.notes) and any("UNVERIFIED" in n for n in t.notes)


def test_failure_is_documented_without_an_invented_exponent():
    assert len(ssm.FAILURES) == 3
    for f in ssm.FAILURES:
        assert f["exponent"] is None and "UNVERIFIED" in f["status"] and f["source"]
    assert "fail" in ssm.UNREAD and "UNVERIFIED" in ssm.UNREAD
    notes = derive("ssm-mup-naive").notes
    assert sum(n.startswith("FAILURE") for n in notes) == 3


def test_bad_choices_name_the_fix():
    with pytest.raises(UserError, match="--classify is one of shape, mambapy"):
        derive("ssm-mup-naive", classify="mup")
    with pytest.raises(UserError, match="use --optimizer adam"):
        derive("ssm-mup-naive", "sgd", classify="mambapy")
    assert main(["derive", "-p", "ssm-mup-naive", "-o", "sgd", "--classify", "mambapy"]) == 2


def test_cli_derive(capsys):
    assert main(["derive", "-p", "ssm-mup-naive"]) == 0
    out = capsys.readouterr().out
    assert "fails: Vankadara et al. 2024" in out and "FAILURE" in out
    assert "x_proj_bc  n^-1      n^-1" in out and "in_proj    n^(-1/2)  n^-1" in out
    assert main(["derive", "-p", "ssm-mup", "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(r["role"], r["dimension"], r["power"]) for r in data["rows"]} == {("B", "state", "1/2"),
                                                                                 ("B", "channels", "-1/2")}
