"""``theory/table_json.py``: load what ``derive --format json`` writes; malformed files are one-line UserErrors.

Kind: regression against the registry -- round trip (``derive -p X -f json`` -> :func:`load_table` -> the same rows, exact
rational powers, optimizer and alignment, for tables of four families), an independent scan of every registered
table (the loader's known quantities/dimensions must cover all of them), and one error message per malformed case
(the message must name the file, the row index and the fix).
"""

import json

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.systems.registry import all_specs, derive
from scaling_exponents.theory.custom_tables import is_custom, key_for, lookup, register
from scaling_exponents.theory.table_json import DIMENSIONS, QUANTITIES, load_table, table_digest


@pytest.mark.parametrize("name,opt", [("mup", "adam"), ("completep", None), ("moe-completep", None),
                                      ("muon", None), ("umup", None), ("tp4-ntk", "sgd")])
def test_round_trip_of_derive_json_gives_identical_rows(name, opt, tmp_path):
    table = derive(name, optimizer=opt)
    path = tmp_path / f"{name}.json"
    path.write_text(table.to_json())
    back = load_table(path)
    assert [(r.role, r.quantity, r.dimension, r.power) for r in back.rows] == \
        [(r.role, r.quantity, r.dimension, r.power) for r in table.rows]
    assert (back.parametrization, back.optimizer, back.alignment) == (table.parametrization, table.optimizer,
                                                                      table.alignment)
    assert back.source.key == table.source.key and back.source.arxiv == table.source.arxiv
    assert table_digest(back) == table_digest(table)


def test_known_quantities_and_dimensions_cover_every_registered_table():
    seen_q, seen_d = set(), set()
    for spec in all_specs():
        for opt in spec.optimizers or ("",):
            t = derive(spec.name, optimizer=opt or None)
            seen_q |= {r.quantity for r in t.rows}
            seen_d |= {r.dimension for r in t.rows}
    assert seen_q <= QUANTITIES, sorted(seen_q - QUANTITIES)
    assert seen_d <= DIMENSIONS, sorted(seen_d - DIMENSIONS)


def _write(tmp_path, data, name="bad.json"):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


ROW = {"role": "hidden", "quantity": "lr", "dimension": "width", "power": "-1"}


@pytest.mark.parametrize("data,needle", [
    ("{not json", "not JSON (line 1"),
    ([ROW], "expected a JSON object"),
    ({"parametrization": "x"}, 'no "rows" list'),
    ({"rows": [ROW, {"role": "hidden", "quantity": "lr", "dimension": "width"}]}, "row 1 has no power"),
    ({"rows": [dict(ROW, power="a half")]}, "row 0 (hidden/lr/width) has power 'a half', not a rational"),
    ({"rows": [dict(ROW, power=0.5)]}, "has power 0.5; write it as a rational string"),
    ({"rows": [dict(ROW, quantity="learning_rate")]}, "row 0 has unknown quantity 'learning_rate'"),
    ({"rows": [dict(ROW, dimension="heads")]}, "row 0 has unknown dimension 'heads'"),
    ({"rows": [ROW, ROW]}, "rows 0 and 1 both state hidden/lr/width"),
    ({"rows": ["hidden lr -1"]}, "row 0 is a str"),
])
def test_malformed_file_is_one_line_naming_file_row_and_fix(tmp_path, data, needle):
    p = _write(tmp_path, data)
    with pytest.raises(UserError) as e:
        load_table(p)
    msg = str(e.value)
    assert needle in msg and str(p) in msg and "\n" not in msg


def test_missing_file_names_the_path_and_how_to_write_one(tmp_path):
    with pytest.raises(UserError, match=r"cannot read it .*derive -p NAME -f json"):
        load_table(tmp_path / "nope.json")


def test_digest_key_separates_tables_and_is_stable():
    mup = derive("mup", optimizer="adam")
    other = load_table(json.loads(mup.to_json()) | {"rows": [dict(r, power="0") if r["quantity"] == "lr" else r
                                                             for r in mup.to_records()]})
    assert table_digest(mup) == table_digest(load_table(json.loads(mup.to_json())))
    assert table_digest(mup) != table_digest(other)
    k = register(mup, "my:rule")
    assert k == key_for(mup, "my:rule") and k.startswith("table:my_rule@") and len(k.split("@")[1]) == 8
    assert is_custom(k) and not is_custom("mup") and lookup(k) is mup
