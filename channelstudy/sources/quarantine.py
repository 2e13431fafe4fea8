"""Row-level quarantine: a malformed row is set aside with a reason, the rest of the source is used.

A source file that cannot be read at all (missing, undecodable, not the declared format) stops the
build with one line (:mod:`channelstudy.sources.readers`).  A file that reads but has some bad
*rows* does not: each bad row is *quarantined* (left out of the source's table and written to
``rejects.parquet`` with a reason code and a detail naming the line and the field), and the build
goes on.  The accounting identity still holds per source: rows read = rows used + rows rejected.

What is quarantined (reason codes of :data:`channelstudy.vocabulary.REJECT_REASONS`):

``unterminated_quote`` (CSV)
    A quote opened in a line is never closed before the record's fields run out of place: the
    record would swallow the following lines.  Only the line that opens the quote is set aside;
    reading starts again on the next line, so the rows after it are kept.
``too_many_fields``, ``too_few_fields`` (CSV)
    A record with more or fewer fields than the header (a blank line is a blank row, not this).
``cell_too_long`` (every format)
    A mapped cell longer than :data:`MAX_CELL_CHARS` characters (no company name, code or answer
    is that long; a 1 MB cell is a broken export, not data).
``control_character`` (every format)
    A mapped cell holding a control character (:data:`CONTROL_CHARACTERS`: C0 controls but tab,
    line feed and carriage return, and DEL): binary garbage or a broken encoding.
``formula_cell`` (every format)
    A mapped cell that is a spreadsheet formula (:data:`FORMULA`, e.g. ``=HYPERLINK("http://x")``
    or ``@SUM(A1)``): never a name or a value, and dangerous once exported back to a spreadsheet.

Only mapped cells are checked for size, control characters and formulas (unmapped columns are
not read into the build), and not the personal fields (:data:`~channelstudy.vocabulary.PERSONAL_FIELDS`:
read for accounting, dropped by the build; a broken e-mail must not cost the response).  A row has one reason: the first found, in the order above.

The CSV structure check costs one pass of Python's C-level :mod:`csv` reader over the text; the
table itself is still read by pandas unless a record is malformed, so well-formed files give the
same table as before.
"""

from __future__ import annotations

import collections
import csv
import io
import itertools
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelstudy.vocabulary import PERSONAL_FIELDS

MAX_CELL_CHARS = 10_000
"""Longest mapped cell accepted, in characters; longer cells quarantine their row (``cell_too_long``)."""

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Characters that never occur in a clean cell: C0 controls except tab, LF and CR; DEL."""

FORMULA = re.compile(r"^\s*(?:=|[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*\()")
"""A spreadsheet formula: text starting with ``=``, or ``+``, ``-``, ``@`` followed by a function
call (``+HYPERLINK(``, ``@SUM(``).  ``-5``, ``+39 02 1234567`` and ``@home`` are not formulas."""

QUARANTINE_REASONS: tuple[str, ...] = (
    "unterminated_quote",
    "too_many_fields",
    "too_few_fields",
    "cell_too_long",
    "control_character",
    "formula_cell",
)
"""Reason codes this module gives, in the order they are checked."""


@dataclass(frozen=True)
class Quarantined:
    """One row set aside: its 1-based data record number, reason code and a one-line detail.

    Examples
    --------
    >>> Quarantined(3, "too_few_fields", "line 4: 2 fields, the header has 3").reason
    'too_few_fields'
    """

    row_number: int
    reason: str
    detail: str

    def __post_init__(self) -> None:
        if self.reason not in QUARANTINE_REASONS:
            raise ValueError(f"unknown quarantine reason {self.reason!r}; known: {', '.join(QUARANTINE_REASONS)}")
        if self.row_number < 1:
            raise ValueError(f"row_number must be >= 1, got {self.row_number}")


class QuarantinedRows(tuple):
    """An immutable tuple of :class:`Quarantined`, kept in ``DataFrame.attrs`` by the readers.

    pandas deep-copies ``attrs`` on every operation; this tuple is immutable, so its deep copy is
    itself (a source with many bad rows does not slow every later step down).

    >>> rows = QuarantinedRows([Quarantined(1, "too_few_fields", "line 2")])
    >>> import copy; copy.deepcopy(rows) is rows
    True
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> QuarantinedRows:
        return self


# --- csv structure -----------------------------------------------------------------------------


@contextmanager
def _unlimited_fields() -> Iterator[None]:
    """Lift :mod:`csv`'s field size limit (131072) for the block: a huge cell is quarantined, not fatal."""
    old = csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def csv_well_formed(text: str, delimiter: str, width: int) -> bool:
    """Whether every record of a CSV text (header included) has ``width`` fields or none (a blank line).

    Quick: one pass of the C-level :mod:`csv` reader counting fields.  ``False`` means
    :func:`split_csv` must sort the good records from the bad.

    Examples
    --------
    >>> csv_well_formed('a,b\\n1,2\\n\\n3,"x\\ny"\\n', ",", 2), csv_well_formed("a,b\\n1,2,3\\n", ",", 2)
    (True, False)
    """
    with _unlimited_fields():
        counts = collections.Counter(map(len, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))
    return set(counts) <= {0, width}


def _records(lines: Sequence[str], start: int, delimiter: str) -> Iterator[tuple[int, int, list[str]]]:
    """``(first line index, lines spanned, cells)`` of each record read from ``lines[start:]``."""
    reader = csv.reader(itertools.islice(lines, start, None), delimiter=delimiter, quotechar='"')
    consumed = 0
    for cells in reader:
        yield start + consumed, reader.line_num - consumed, cells
        consumed = reader.line_num


def _odd_quotes(lines: Sequence[str], first: int, n: int) -> bool:
    return sum(line.count('"') for line in lines[first:first + n]) % 2 == 1


def split_csv(text: str, delimiter: str, width: int) -> tuple[list[list[str]], list[Quarantined]]:
    """The data records of a CSV text, malformed ones replaced by blanks and listed as quarantined.

    Parameters
    ----------
    text
        The whole decoded file, header included.
    delimiter
        Field delimiter.
    width
        Number of header cells.

    Returns
    -------
    rows : list of list of str
        One entry per data record in file order (``row_number`` = position + 1); a quarantined
        record is ``width`` empty strings, a blank line too.
    quarantined : list of Quarantined
        The malformed records, each with the physical line where it starts.

    Notes
    -----
    A record that spans several physical lines is legitimate when a quoted field holds line
    breaks; it is an *unterminated quote* when its field count is wrong or its quotes are
    unbalanced.  Then only its first line is quarantined and reading resumes at the next line.

    Examples
    --------
    >>> rows, bad = split_csv('a,b,c\\n1,"x,2\\n3,4,5\\n6,7\\n', ",", 3)
    >>> rows
    [['', '', ''], ['3', '4', '5'], ['', '', '']]
    >>> [(q.row_number, q.reason, q.detail) for q in bad]  # doctest: +NORMALIZE_WHITESPACE
    [(1, 'unterminated_quote', 'line 2: a quote opened in this line is never closed'),
     (3, 'too_few_fields', 'line 4: 2 fields, the header has 3')]
    """
    with _unlimited_fields():
        return _split_lines(list(io.StringIO(text, newline="")), delimiter, width)


def _split_lines(lines: list[str], delimiter: str, width: int) -> tuple[list[list[str]], list[Quarantined]]:
    header = next(_records(lines, 0, delimiter), None)
    position = header[1] if header else len(lines)
    rows: list[list[str]] = []
    bad: list[Quarantined] = []
    blank = [""] * width
    while position < len(lines):
        for first, spanned, cells in _records(lines, position, delimiter):
            if not cells:
                rows.append(list(blank))
                continue
            if len(cells) == width and not (spanned > 1 and _odd_quotes(lines, first, spanned)):
                rows.append(cells)
                continue
            row_number = len(rows) + 1
            rows.append(list(blank))
            if _odd_quotes(lines, first, 1) and (spanned > 1 or len(cells) < width):
                bad.append(Quarantined(row_number, "unterminated_quote",
                                       f"line {first + 1}: a quote opened in this line is never closed"))
                if spanned > 1:
                    position = first + 1
                    break
                continue
            reason = "too_many_fields" if len(cells) > width else "too_few_fields"
            bad.append(Quarantined(row_number, reason, f"line {first + 1}: {len(cells)} fields, the header has {width}"))
        else:
            break
    return rows, bad


# --- cells of every format -------------------------------------------------------------------


def _first_field_at(located: Mapping[str, int]) -> dict[int, str]:
    fields: dict[int, str] = {}
    for field, position in located.items():
        if field not in PERSONAL_FIELDS:  # read for accounting only, never written: no reason to reject a row
            fields.setdefault(position, field)
    return fields


_CELL_TESTS = {
    "cell_too_long": lambda value: len(value) > MAX_CELL_CHARS,
    "control_character": lambda value: CONTROL_CHARACTERS.search(value) is not None,
    "formula_cell": lambda value: FORMULA.match(value) is not None,
}

PYTHON_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
                    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
"""The characters ``\\s`` matches in a Python ``str`` pattern (those for which ``str.isspace``)."""

_RE2_CONTROL = CONTROL_CHARACTERS.pattern  # an explicit class: the same characters for RE2 (Arrow)
_RE2_FORMULA_START = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in PYTHON_WHITESPACE) + r"]*[=+\-@]"
"""Cells that may be formulas: :data:`FORMULA` needs whitespace then ``=`` or ``+``, ``-``, ``@`` first."""


def _cell_detail(reason: str, field: str, value: str) -> str:
    if reason == "cell_too_long":
        return f"field {field!r}: a cell of {len(value)} characters (limit {MAX_CELL_CHARS})"
    if reason == "control_character":
        hit = CONTROL_CHARACTERS.search(value)
        assert hit is not None
        return f"field {field!r}: control character {hit.group()!r} at position {hit.start() + 1}"
    return f"field {field!r}: a spreadsheet formula ({value[:40]!r})"


def _arrow_text(column: pd.Series):
    """The column as an Arrow text array, or ``None`` when some cell is not text."""
    import pyarrow as pa

    if isinstance(column.dtype, pd.StringDtype):
        if column.hasnans:
            return None
        array = pa.array(column)
    else:
        values = column.to_numpy(dtype=object)
        if len(values) and pd.api.types.infer_dtype(values, skipna=False) != "string":  # every cell str (C loop)
            return None
        array = pa.array(values, type=pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _candidates(array) -> dict[str, np.ndarray]:
    """Rows that may fail each test (a superset, at C speed: Arrow's lengths and RE2 searches)."""
    import pyarrow.compute as pc

    def rows(mask) -> np.ndarray:
        return np.flatnonzero(mask.to_numpy(zero_copy_only=False))

    return {
        "cell_too_long": rows(pc.greater(pc.utf8_length(array), MAX_CELL_CHARS)),
        "control_character": rows(pc.match_substring_regex(array, _RE2_CONTROL)),
        "formula_cell": rows(pc.match_substring_regex(array, _RE2_FORMULA_START)),
    }


def check_cells(table: pd.DataFrame, located: Mapping[str, int]) -> list[Quarantined]:
    """Rows of a reader's table whose mapped cells are too long, hold control characters or formulas.

    Parameters
    ----------
    table
        Columns keyed by header position, one row per data record (row ``i`` is record ``i + 1``),
        cells as text.
    located
        ``{field: position}`` of the mapped columns.

    Returns
    -------
    list of Quarantined
        One per bad row (the first problem found), in row order.

    Examples
    --------
    >>> table = pd.DataFrame({0: ["ACME srl", '=HYPERLINK("http://x")', "Beta\\x00", "x" * 10_001]})
    >>> [(q.row_number, q.reason) for q in check_cells(table, {"name": 0})]
    [(2, 'formula_cell'), (3, 'control_character'), (4, 'cell_too_long')]
    """
    found: dict[int, Quarantined] = {}
    for position, field in _first_field_at(located).items():
        column = table[position]
        array = _arrow_text(column)
        if array is None:  # a cell that is not text (readers give text; be safe): every cell tested
            values = [v if isinstance(v, str) else "" if pd.isna(v) else str(v) for v in column.to_numpy(dtype=object)]
            candidates = dict.fromkeys(_CELL_TESTS, range(len(values)))
        else:
            values = array
            candidates = _candidates(array)
        for reason, test in _CELL_TESTS.items():
            for i in candidates[reason]:
                if i + 1 in found:
                    continue
                value = values[i] if array is None else array[int(i)].as_py()
                if test(value):
                    found[i + 1] = Quarantined(int(i) + 1, reason, _cell_detail(reason, field, value))
    return [found[k] for k in sorted(found)]


def quarantined_csv_table(text: str, delimiter: str, width: int, positions: Sequence[int]) -> pd.DataFrame:
    """The picked columns of a malformed CSV text, as the CSV reader returns them, bad rows blank.

    ``attrs["quarantined"]`` lists the bad records (:func:`split_csv`).
    """
    rows, bad = split_csv(text, delimiter, width)
    table = pd.DataFrame({p: [r[p] for r in rows] for p in positions}, index=pd.RangeIndex(len(rows)), dtype=object)
    table.attrs["quarantined"] = bad
    return table


def quarantine(table: pd.DataFrame, located: Mapping[str, int]) -> list[Quarantined]:
    """Every bad row of a reader's table: its structural rejects (CSV), then :func:`check_cells`, one per row."""
    found: dict[int, Quarantined] = {}
    for q in [*table.attrs.get("quarantined", ()), *check_cells(table, located)]:
        found.setdefault(q.row_number, q)
    return [found[k] for k in sorted(found)]


MOSTLY_MALFORMED = 0.5
"""Share of quarantined rows above which the build warns that a setting, not the rows, is wrong."""


def quarantine_hint(source: str, n_rows: int, quarantined: Sequence[Quarantined]) -> str | None:
    """A warning when most rows of a source are quarantined: the delimiter or quoting is likely wrong.

    Examples
    --------
    >>> bad = [Quarantined(i, "too_few_fields", "") for i in (1, 2, 3)]
    >>> quarantine_hint("a", 4, bad)
    "source 'a': 3 of 4 rows quarantined (too_few_fields 3): check the delimiter, quotechar and encoding"
    >>> quarantine_hint("a", 10, bad) is None
    True
    """
    if not n_rows or len(quarantined) <= MOSTLY_MALFORMED * n_rows:
        return None
    counts = collections.Counter(q.reason for q in quarantined)
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
    return (f"source {source!r}: {len(quarantined)} of {n_rows} rows quarantined ({reasons}): "
            f"check the delimiter, quotechar and encoding")

