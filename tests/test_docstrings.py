"""Every test file's module docstring says where its expected values come from (docs/testing.md), in the
four words the project uses -- paper table, external library, independent computation, regression -- or says
it is a smoke test with no expected values.

Kind: independent computation (each file's docstring is parsed here with ``ast``); the four words are the
project's own convention (docs/testing.md, "Where expected values come from").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
KINDS = re.compile(r"(?i)paper table|external librar|independent computation|regression|smoke test")
FILES = sorted(TESTS.rglob("test_*.py"))


def test_the_suite_is_found():
    assert len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TESTS)))
def test_docstring_names_where_expected_values_come_from(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert doc, f"{path.name}: no module docstring; say what it tests and where its expected values come from"
    assert KINDS.search(doc), (f"{path.name}: the docstring must name where the expected values come from: "
                               "paper table, external library, independent computation, regression (or smoke test)")


def test_the_check_rejects_a_docstring_without_a_kind():
    assert not KINDS.search("Checks the thing works.")
    assert KINDS.search("Expected values: TP5 paper table 8.")
