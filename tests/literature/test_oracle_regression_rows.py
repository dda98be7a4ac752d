"""Oracle rows that record the project's own output (note starting "REGRESSION") are shown as regression checks, never
as agreement with a paper (issue 17: "label those tests and catalog entries as regression checks, visibly").

Expected values: the row counts come from papers/oracles/everett2024scaling.csv (Adam-eps rows marked REGRESSION
because the paper's wording is UNVERIFIED) and papers/oracles/haas2024effective.csv (SAM rows computed by the project).
"""

from __future__ import annotations

from scaling_exponents.literature import catalog, oracles
from scaling_exponents.literature.catalog.oracle_check import is_regression
from scaling_exponents.systems.registry import get


def test_regression_rows_are_recognised_by_their_note():
    rows = oracles.load("everett2024scaling")
    marked = [r for r in rows if is_regression(r)]
    assert marked and all(r.quantity == "adam_eps" for r in marked)
    assert not any(is_regression(r) for r in rows if r.quantity != "adam_eps")


def test_status_separates_published_rows_from_regression_rows():
    (mup,), (sam,) = catalog.collect([get("mup")]), catalog.collect([get("sam-mup2")])
    assert mup.status.startswith(catalog.STATUS_ORACLE) and "regression rows (own output) equal" in mup.status
    # sam-mup2's oracle rows are all the project's own output: it must not be called oracle-checked
    assert sam.status.startswith(catalog.STATUS_DERIVED + " (") and "no published row to compare with" in sam.status
    assert all(v.why.startswith("regression row") for v in sam.verdicts if v.verdict == "equal")
