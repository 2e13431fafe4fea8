"""check_cells tests only the candidate cells of a column, yet finds what testing every cell finds."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.sources.quarantine import CONTROL_CHARACTERS, FORMULA, MAX_CELL_CHARS, check_cells

_PIECES = st.sampled_from(["", " ", "\n", "\t", "\r", "=", "+", "-", "@", "SUM", "(", "x", "A1", ")", "\x00", "\x7f",
                           "a.b", "Rossi", "'", '"', "NA", "5", " \n "])
_CELL = st.lists(_PIECES, max_size=6).map("".join)
_TESTS = (("cell_too_long", lambda v: len(v) > MAX_CELL_CHARS),
          ("control_character", lambda v: CONTROL_CHARACTERS.search(v) is not None),
          ("formula_cell", lambda v: FORMULA.match(v) is not None))


def _every_cell(table: pd.DataFrame, located: dict[str, int]) -> list[tuple[int, str]]:
    """Each cell tested, fields in order, reasons in order: the first problem of each row."""
    found: dict[int, str] = {}
    for position in dict.fromkeys(located.values()):
        for reason, test in _TESTS:
            for i, value in enumerate(table[position]):
                if i + 1 not in found and test(value):
                    found[i + 1] = reason
    return sorted(found.items())


@settings(max_examples=300, deadline=None)
@given(columns=st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=12), long=st.booleans(),
       dtype=st.sampled_from([object, "str"]))
def test_candidate_cells_find_every_bad_row(columns, long, dtype):
    """Object columns (spreadsheets, JSON) and text columns (CSV) alike."""
    table = pd.DataFrame(columns, columns=[0, 1, 2], dtype=object)
    if long:
        table.iloc[len(table) // 2, 1] = "y" * (MAX_CELL_CHARS + 1)
    table = table.astype(dtype)
    located = {"name": 0, "vat": 1, "comune": 2}
    assert [(q.row_number, q.reason) for q in check_cells(table, located)] == _every_cell(table, located)


def test_a_formula_after_a_line_break_in_the_cell_before():
    table = pd.DataFrame({0: ["+\n", "SUM(x)", " \n =A1", "ok\x01", "-5"]})
    assert [(q.row_number, q.reason) for q in check_cells(table, {"name": 0})] == [
        (3, "formula_cell"), (4, "control_character")]


def test_the_whitespace_class_is_pythons():
    import re
    import sys

    from channelstudy.sources.quarantine import PYTHON_WHITESPACE

    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.match(r"\s", c)) == PYTHON_WHITESPACE


def test_formulas_after_any_whitespace_and_text_columns_with_missing_cells():
    cells = ["\u3000=A1", "\xa0\u2028+SUM(x)", "x\x00", "", "-5", "@home"]
    for dtype in (object, "str"):
        for missing in ("", None):  # a missing cell: every cell is tested one by one
            table = pd.DataFrame({0: [*cells[:3], missing, *cells[4:]]}, dtype=dtype)
            assert [(q.row_number, q.reason) for q in check_cells(table, {"name": 0})] == [
                (1, "formula_cell"), (2, "formula_cell"), (3, "control_character")]
