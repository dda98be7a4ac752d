"""Plain-text tables that fit a terminal: aligned columns, blocks when too wide, wrapped text.

Kind: independent computation -- the expected lines are written out by hand for small tables.
"""

from scaling_exponents.theory.grid import grid, wrap


def test_a_narrow_table_is_aligned_on_one_block():
    assert grid(["role", "lr"], [["hidden", "n^-1"], ["embedding", "1"]]) == [
        "role       lr", "---------  ----", "hidden     n^-1", "embedding  1"]


def test_a_wide_table_splits_into_blocks_repeating_the_first_column():
    lines = grid(["r", "aaaa", "bbbb", "cccc"], [["x", "1", "2", "3"]], width=18)
    assert lines == ["r  aaaa  bbbb", "-  ----  ----", "x  1     2", "", "r  cccc", "-  ----", "x  3"]
    assert all(len(line) <= 18 for line in lines)


def test_width_none_never_splits_and_a_huge_cell_is_clipped():
    assert len(grid(["a", "b"], [["1", "x" * 500]], width=None)) == 3
    lines = grid(["a", "b"], [["1", "x" * 500]], width=40)
    assert lines[2].endswith("...") and len(lines[2]) <= 40


def test_wrap_indents_continuation_lines():
    assert wrap("short") == ["short"]
    assert wrap("one two three four", width=9) == ["one two", "  three", "  four"]
    assert wrap("x" * 300, width=None) == ["x" * 300]
