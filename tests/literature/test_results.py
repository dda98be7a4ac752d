"""What the catalog collects per parametrization: combo labels, the default combo, and the failure-recording deriver.

Kind: independent computation -- the labels are written out by hand; the deriver's recorded failure is the
registry's own one-line refusal of an unknown optimizer (the catalog must not be taken down by one spec).
"""

from scaling_exponents.literature.catalog.results import Combo, SpecResult, _Deriver
from scaling_exponents.systems.registry import get


def test_combo_labels():
    assert Combo("adam", "full").label == "adam, full alignment" and Combo("adam", "full").short == "adam/full"
    assert Combo("sgd", None).label == "sgd" and Combo(None, None).short == "default"


def test_spec_result_names_and_default():
    spec = get("mup")
    failed, ok = Combo("adam", "full", error="boom"), Combo("adam", "no", table=object())
    r = SpecResult(spec, [failed, ok])
    assert (r.name, r.key) == ("mup", "everett2024scaling")
    assert r.default is ok
    assert SpecResult(spec, [failed]).default is None


def test_the_deriver_caches_tables_and_records_failures():
    d = _Deriver()
    spec = get("mup")
    table, err = d(spec, "adam", "full")
    assert err is None and table.power("hidden", "lr") == -1
    assert d(spec, "adam", "full")[0] is table  # cached
    table, err = d(spec, "lion", "full")
    assert table is None and err.startswith("UserError:") and "lion" in err
