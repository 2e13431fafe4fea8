"""Cells of any reader to text, following the text conventions of :mod:`channelstudy.sources.readers`.

Numbers without float noise, dates in ISO 8601, booleans ``true``/``false``, lists ``;``-joined;
spreadsheet columns (:func:`cells_text`) and flattened JSON records (:func:`flatten_records`,
:func:`json_column_text`) converted in bulk.
"""

from __future__ import annotations

import datetime as dt
import decimal as decimal_module
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

TEXT_DTYPE = "str"
"""dtype of every text column returned (pandas' default string dtype)."""

_EXCEL_DIGITS = 15

# cp1252 characters of bytes 0x80-0x9F, mapped back to those bytes (see repair_calamine_utf16).
_CP1252_HIGH = {
    ord(bytes([b]).decode("cp1252")): b for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


# --- cells to text -------------------------------------------------------------------------


def float_text(value: float, decimal: str = ".") -> str:
    """Text of a float as a spreadsheet shows it: no float noise, no exponent.

    Parameters
    ----------
    value
        The number; NaN gives ``""``.
    decimal
        Decimal mark to write, ``"."`` or ``","``.

    Examples
    --------
    >>> float_text(12.5), float_text(1e6), float_text(0.1 + 0.2), float_text(1.5e-7, ",")
    ('12.5', '1000000', '0.3', '0,00000015')
    """
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value.is_integer():
        return str(int(value))
    text = format(value, f".{_EXCEL_DIGITS}g")
    if "e" in text:
        text = format(decimal_module.Decimal(text), "f")
    return text.replace(".", decimal) if decimal != "." else text


def _datetime_text(value: dt.datetime) -> str:
    if value.tzinfo is None and value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ", timespec="seconds" if value.microsecond == 0 else "microseconds")


def cell_text(value: Any, decimal: str = ".") -> str:
    """Text of one cell value of any reader, following the module's text conventions."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return float_text(float(value), decimal)
    if isinstance(value, decimal_module.Decimal):
        return "" if value.is_nan() else format(value, "f").replace(".", decimal)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
        if value is pd.NaT:
            return ""
    if isinstance(value, dt.datetime):
        return _datetime_text(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple | np.ndarray):
        return ";".join(cell_text(v, decimal) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def series_text(values: pd.Series, decimal: str = ".") -> pd.Series:
    """A column of any dtype as text (``str`` dtype, ``""`` for missing), see :func:`cell_text`."""
    if isinstance(values.dtype, pd.StringDtype):
        text = values.fillna("")
    elif pd.api.types.is_integer_dtype(values.dtype) and not isinstance(
        values.dtype, pd.api.extensions.ExtensionDtype
    ):
        text = values.astype(str)
    else:
        text = pd.Series([cell_text(v, decimal) for v in values], index=values.index, dtype=object)
    return text.astype(TEXT_DTYPE)


def repair_calamine_utf16(text: str) -> str:
    """Undo python-calamine's byte-per-character decoding of UTF-16 ``.xls`` strings.

    Such a string holds every UTF-16LE byte as one character (bytes 0x80-0x9F as their cp1252
    characters), so ASCII text shows a NUL after each letter.  Text that has no NUL, or that
    cannot be such a string, is returned unchanged; legitimate text never contains NUL.

    Examples
    --------
    >>> repair_calamine_utf16("1\\x00°\\x00 \\x00r\\x00e\\x00q\\x00.\\x00")
    '1° req.'
    """
    if "\x00" not in text or len(text) % 2:
        return text
    try:
        return text.translate(_CP1252_HIGH).encode("latin-1").decode("utf-16-le")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def cells_text(values: Sequence[Any], decimal: str = ".", fix: Callable[[str], str] | None = None) -> list[str]:
    """:func:`cell_text` of each value (``fix`` applied to text cells), each distinct float written once.

    Examples
    --------
    >>> cells_text(["NA", 12.5, 12.5, 3, True, None, -0.0], ",")
    ['NA', '12,5', '12,5', '3', 'true', '', '0']
    """
    floats: dict[float, str] = {}  # equal floats have one text (0.0 and -0.0 both give "0")
    out = []
    for value in values:
        kind = type(value)
        if kind is str:
            out.append(value if fix is None else fix(value))
        elif kind is float:
            text = floats.get(value)
            if text is None:
                text = floats[value] = float_text(value, decimal)
            out.append(text)
        else:
            out.append(cell_text(value, decimal))
    return out


def _flatten_into(value: dict[str, Any], prefix: str, flat: dict[str, Any]) -> None:
    for key, item in value.items():
        name = f"{prefix}.{key}"
        if isinstance(item, dict):
            _flatten_into(item, name, flat)
        else:
            flat[name] = item


def flatten_records(records: Sequence[dict[str, Any]]) -> tuple[dict[str, list[Any]], int]:
    """Columns of JSON records flattened as ``pd.json_normalize(records, sep=".")`` names them.

    One pass over the records (no intermediate frame): nested keys are dotted, a record's
    top-level values come before its nested ones, columns are in first-seen order, and a key a
    record lacks (or an empty object) gives ``None`` in that row.

    Returns
    -------
    columns, n_rows
        ``{column: values}`` (one list of raw JSON values per column, each ``n_rows`` long).

    Examples
    --------
    >>> flatten_records([{"a": {"b": 1}, "c": "x"}, {"d": [1, 2]}])
    ({'c': ['x', None], 'a.b': [1, None], 'd': [None, [1, 2]]}, 2)
    """
    n = len(records)
    columns: dict[str, list[Any]] = {}
    for row, record in enumerate(records):
        nested: dict[str, Any] = {}
        flat = {}
        for key, value in record.items():
            if isinstance(value, dict):
                _flatten_into(value, str(key), nested)
            else:
                flat[str(key)] = value
        flat.update(nested)
        for key, value in flat.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = [None] * n
            column[row] = value
    return columns, n


def _int64(value: int) -> bool:
    return -(2**63) <= value < 2**63


def json_column_text(values: Sequence[Any], decimal: str = ".") -> np.ndarray:
    """Text of one flattened JSON column, as :func:`series_text` gives for the ``json_normalize`` frame's column.

    A column of whole numbers with a missing cell or a fraction is a float column in a frame, so
    its numbers are written as floats are (:func:`float_text`); every other cell as :func:`cell_text`.

    Examples
    --------
    >>> json_column_text(["NA", None, 5, 1.5, True, ["a", 2]]).tolist()
    ['NA', '', '5', '1.5', 'true', 'a;2']
    >>> json_column_text([10**16 + 1, None]).tolist()  # a float column in a frame
    ['10000000000000000', '']
    """
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        return np.array(["" if v is None else v for v in values], dtype=object)
    if kinds <= {str, type(None), list}:
        return np.array([_list_text(v, decimal) if type(v) is list else "" if v is None else v for v in values],
                        dtype=object)
    numbers = kinds - {type(None)}
    if numbers <= {int, float} and int in numbers and len(kinds) > 1 and all(
        _int64(v) for v in values if type(v) is int
    ):
        values = [float(v) if type(v) is int else v for v in values]
    return np.array([cell_text(v, decimal) for v in values], dtype=object)


def _list_text(value: list, decimal: str) -> str:
    try:
        return ";".join(value)  # text items (most lists): what cell_text gives
    except TypeError:
        return cell_text(value, decimal)
