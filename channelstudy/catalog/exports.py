"""Files for people (CSV, XLSX): cells a spreadsheet would run as formulas are neutralised.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets when the file is opened (*CSV injection*, OWASP):
``=HYPERLINK("http://evil.example", "click")`` in a company name becomes a live link, and worse
formulas can fetch data.  Every CSV the toolkit writes (:meth:`channelstudy.catalog.Table.write`)
and every file of :func:`write_for_people` therefore prefixes such cells with an apostrophe
``'``, which spreadsheets show as text; the value stays readable and the change is visible.

Only text cells are touched: numbers stored as numbers are never changed, and a text cell that
is a plain number (``-5``, ``+3.5``, ``-1,5``) is left alone.  Raw rows holding a formula never
reach the processed tables anyway (they are quarantined as ``formula_cell`` by the build,
:mod:`channelstudy.sources.quarantine`); this is the second line of defence for text the toolkit
itself writes or derives.

>>> neutralise('=HYPERLINK("http://x")'), neutralise("-5"), neutralise("@home"), neutralise("ACME")
('\\'=HYPERLINK("http://x")', '-5', "'@home", 'ACME')
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""

_TRIGGER = re.compile(r"^[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """``value`` prefixed with ``'`` when it is text a spreadsheet would run as a formula, else unchanged."""
    if isinstance(value, str) and _TRIGGER.match(value) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype) or frame[c].dtype == object]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell :func:`neutralise`-d; the same object when nothing needs it.

    Examples
    --------
    >>> neutralise_frame(pd.DataFrame({"name": ["=1+1", "ACME"], "n": [-1, 2]}))["name"].tolist()
    ["'=1+1", 'ACME']
    """
    changed = {}
    for column in _text_columns(frame):
        values = frame[column]
        if values.astype("str").str.match(_TRIGGER.pattern).any():
            neutralised = values.map(neutralise)
            if not neutralised.equals(values):
                changed[column] = neutralised
    return frame.assign(**changed) if changed else frame


def write_for_people(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table for people to open in a spreadsheet: ``.csv`` (UTF-8 with BOM) or ``.xlsx``, neutralised.

    The file is written atomically (:func:`channelstudy.catalog.atomic_path`).

    Parameters
    ----------
    frame
        The table.
    path
        Target; the suffix chooses the format.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from channelstudy.catalog import atomic_path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"write_for_people writes .csv or .xlsx, not {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = neutralise_frame(frame)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            safe.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            safe.to_excel(tmp, index=False, engine="openpyxl")
    return path
