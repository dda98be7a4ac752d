"""``catalog/dimensions.md``: one section per dimension, each parametrization with its rule, its marks and a link.

Kind: regression (the committed page must equal a fresh render) and paper table (the rules on the page are the
cited exponents: Bjorck et al. arXiv 2409.19913 Sec. 4 LR ∝ D^-0.32 = D^-8/25, an empirical fit; Complete^(d)P
arXiv 2512.22382 Table 1 LR × sqrt(m_B/m_D)); the rule wording of hand-made tables is an independent computation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scaling_exponents.literature.catalog import check, files
from scaling_exponents.literature.catalog.dimensions import PAGE, index, page, rule
from scaling_exponents.theory.table import ExponentTable, Row, Source

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "catalog"


@pytest.fixture(scope="module")
def text():
    return page()


def _section(text: str, dim: str) -> str:
    start = text.index(f"\n## {dim}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_committed_page_is_current(text):
    assert (COMMITTED / PAGE).read_text(encoding="utf-8") == text


def test_linked_from_the_catalog_readme_and_links_resolve(text):
    assert "](dimensions.md)" in (COMMITTED / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((params/[^)]+\.md)\)", text)
    assert len(links) > 60
    assert all((COMMITTED / link).is_file() for link in links), [x for x in links if not (COMMITTED / x).is_file()]
    for dim in ("width", "depth", "experts", "granularity", "tokens", "batch", "vocab", "rank"):
        assert f"\n## {dim}\n" in text and f"- [{dim}](#{dim})" in text


def test_tokens_section_states_the_rules_and_marks_the_empirical_fit(text):
    tokens = _section(text, "tokens")
    assert "[`token-horizon`](params/token-horizon.md) (adamw): lr ∝ D^-8/25 **empirical" in tokens
    assert "EMPIRICAL fitted law (no constraint system)" in tokens  # the table's note, quoted
    assert "[`completed-p`](params/completed-p.md) (adamw): lr ∝ D^-1/2;" in tokens
    for name in ("adamw-timescale-horizon", "lmo-bound"):
        assert f"params/{name}.md" in tokens
    assert "params/mup.md" not in tokens and "params/completep.md" not in tokens


def test_vocab_section_lists_the_tables_without_a_rule(text):
    vocab = _section(text, "vocab")
    assert "[`vocab-roles`](params/vocab-roles.md) (muon): lr ∝ V^-1 (embedding)" in vocab
    assert "No rule along vocab:" in vocab and "params/embedding-lr-vocab.md): UNVERIFIED" in vocab


def test_rule_wording_on_hand_made_tables():
    src = Source("k", "0000.00000", "Table 1")
    t = ExponentTable("toy", "adam", None, src, [
        Row("embedding", "lr", "width", 0), Row("hidden", "lr", "width", -1), Row("readout", "lr", "width", -1),
        Row("hidden", "init_std", "width", "-1/2"), Row("readout", "init_std", "width", "-1/2"),
        Row("residual_branch", "multiplier", "depth", "-1/2"), Row("hidden", "lr", "depth", 0)])
    assert rule(t, "width") == "init_std ∝ n^-1/2; lr ∝ n^-1 (hidden, readout)"
    assert rule(t, "depth") == "multiplier ∝ L^-1/2 (residual_branch)"
    flat = ExponentTable("flat", None, None, src, [Row("any", "lr", "tokens", 0)])
    assert rule(flat, "tokens") == "nothing changes with D (power 0 for lr)"
    fans = ExponentTable("fans", "muon", None, src, [
        Row("weight", "lr", "fan_in", "-1/2"), Row("weight", "lr", "fan_out", "1/2"),
        Row("embedding", "init_std", "fan_in", "-1/2"), Row("readout", "init_std", "fan_out", 1)])
    assert rule(fans, "width") == "lr ∝ fan_in^-1/2 fan_out^1/2"  # the embedding fan_in is the vocabulary
    assert rule(fans, "vocab") == "init_std ∝ V^-1/2 (embedding), V (readout)"


def test_the_catalog_owns_the_page(tmp_path, text):
    assert PAGE in files.OWNED_FILES
    (tmp_path / PAGE).write_text(text, encoding="utf-8")
    assert check(tmp_path, {PAGE: text}) == []
    (tmp_path / PAGE).write_text(text.replace("D^-8/25", "D^-1/3"), encoding="utf-8")
    assert check(tmp_path, {PAGE: text}) == [f"{PAGE}: differs"]
    assert check(tmp_path, {}) == [f"{PAGE}: stale (no longer generated)"]
    (tmp_path / PAGE).unlink()
    assert check(tmp_path, {PAGE: text}) == [f"{PAGE}: missing"]


def test_index_is_in_registry_order_and_counts_match_the_page(text):
    idx = index(("tokens", "rank"))
    assert [e.name for e in idx["rank"]["entries"]] == ["lora-mua", "rslora"]
    assert f"- [tokens](#tokens) ({len(idx['tokens']['entries'])})" in text
