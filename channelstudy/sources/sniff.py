"""Sniffing hints: when a setting of a source does not fit its file, say which setting to use.

Three settings of a CSV source are easy to get wrong and give confusing symptoms:

- ``delimiter``: a ``;``-separated file read with the default ``,`` has one header cell, so every
  mapped header is "not found".  :func:`delimiter_hint` re-reads the header line with the other
  usual delimiters and, when one of them finds every mapped header, the error says
  ``this file looks ';'-delimited: set delimiter: ';'``.
- ``encoding``: :func:`encoding_hint` recognises a UTF-16 file (byte order mark), a spreadsheet
  saved under a ``.csv`` name (zip or OLE2 signature) and, failing those, suggests cp1252.
- ``decimal``: a decimal mark that does not fit the numbers does not fail (a number like ``12,5``
  still reads), but ``1,234`` or ``1.234`` is then read as a thousand.  :func:`decimal_hints`
  returns a warning per numeric field whose text numbers only ever use the other mark as a
  decimal mark; the build logs it and lists it in ``build_report.json`` (``warnings``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import pandas as pd

from channelstudy.errors import ManifestError
from channelstudy.fields import FIELDS
from channelstudy.sources.headers import locate_columns, normalise_header
from channelstudy.sources.specs import SourceSpec

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
"""Delimiters tried when the declared one finds no mapped header."""

NUMERIC_DTYPES = frozenset({"int", "float", "share"})

# A number whose decimal mark is unambiguous: the mark is followed by 1-2 or 4+ digits, or comes
# after a thousands group of the other mark (1.234,5 / 1,234.5).
_DECIMAL_EVIDENCE = {
    ",": re.compile(r"^\s*[-+]?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+,(?:\d{1,2}|\d{4,}))\s*%?\s*$"),
    ".": re.compile(r"^\s*[-+]?(?:\d{1,3}(?:,\d{3})+\.\d+|\d+\.(?:\d{1,2}|\d{4,}))\s*%?\s*$"),
}

_DECIMAL_LINES = {mark: re.compile(pattern.pattern.replace(r"\s", r"[^\S\n]"), re.MULTILINE)
                  for mark, pattern in _DECIMAL_EVIDENCE.items()}


def delimiter_hint(spec: SourceSpec, read_header: Callable[[SourceSpec], list[str]]) -> str | None:
    """A delimiter that finds every mapped header of a CSV source, when the declared one does not.

    Parameters
    ----------
    spec
        The CSV source whose mapped headers were not found.
    read_header
        Reads a source's header record (called with ``spec`` and another delimiter).

    Returns
    -------
    str or None
        ``"this file looks ';'-delimited (...): set delimiter: ';'"``, or ``None`` when no
        other delimiter does better (the mapping itself is then at fault).
    """
    if spec.format != "csv":
        return None
    wanted = {normalise_header(c.column) for c in spec.columns}
    for candidate in DELIMITERS:
        if candidate == spec.delimiter:
            continue
        cells = read_header(replace(spec, delimiter=candidate))
        if len(cells) > 1 and wanted <= {normalise_header(c) for c in cells}:
            return (f"this file looks {candidate!r}-delimited (its header splits into {len(cells)} columns "
                    f"with {candidate!r} and every mapped header is there): set delimiter: {candidate!r}")
    return None


def locate_or_hint(spec: SourceSpec, headers: Sequence[str],
                   read_header: Callable[[SourceSpec], list[str]]) -> dict[str, int]:
    """:func:`~channelstudy.sources.headers.locate_columns`, whose error names the delimiter to use
    when another delimiter would find every mapped header (:func:`delimiter_hint`)."""
    try:
        return locate_columns(spec, headers)
    except ManifestError as exc:
        hint = delimiter_hint(spec, read_header)
        if hint is None:
            raise
        raise spec.error(hint, key="delimiter") from exc


def encoding_hint(data: bytes, encoding: str) -> str:
    """The likely cause of a decoding failure of ``data`` declared as ``encoding``, as a hint.

    Examples
    --------
    >>> encoding_hint(b"\\xff\\xfea\\x00", "utf-8")
    '; the file starts with a UTF-16 byte order mark: set encoding: utf-16'
    >>> encoding_hint(b"PK\\x03\\x04...", "utf-8")
    '; the file is a zip archive (an .xlsx workbook?), not text: set format: xlsx'
    >>> encoding_hint(b"Citt\\xe0", "utf-8")
    '; the file may be cp1252 (Windows Italian): set encoding: cp1252'
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "; the file starts with a UTF-16 byte order mark: set encoding: utf-16"
    if data.startswith(b"PK\x03\x04"):
        return "; the file is a zip archive (an .xlsx workbook?), not text: set format: xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "; the file is an OLE2 document (an .xls workbook?), not text: set format: xls"
    if "utf" in encoding.lower():
        return "; the file may be cp1252 (Windows Italian): set encoding: cp1252"
    return ""


def decimal_hints(spec: SourceSpec, frame: pd.DataFrame, sample: int = 5000) -> list[str]:
    """Warnings for numeric fields whose text numbers use the other decimal mark than ``spec.decimal``.

    A field is flagged when, among its first ``sample`` non-empty cells, some numbers show the
    other mark as an unambiguous decimal mark (``12,5`` or ``1.234,5`` for ``,``) and none show the
    declared one.

    Parameters
    ----------
    spec
        The source (its ``decimal`` and ``kind``).
    frame
        The reader's canonical text table.

    Returns
    -------
    list of str
        One line per flagged field, naming the setting to use.
    """
    other = "," if spec.decimal == "." else "."
    numeric = [f.name for f in FIELDS[spec.kind] if f.dtype in NUMERIC_DTYPES and f.name in frame.columns]
    hints = []
    for name in numeric:
        cells = [v for v in frame[name].to_numpy(dtype=object)[: 4 * sample] if v][:sample]
        joined = "\n".join(cells)
        if other not in joined:  # quick: no cell even holds the other mark
            continue
        theirs = _DECIMAL_LINES[other].findall(joined)
        if theirs and not _DECIMAL_LINES[spec.decimal].search(joined):
            hints.append(f"source {spec.name!r}, field {name!r}: {len(theirs)} numbers like {theirs[0].strip()!r} "
                         f"use {other!r} as the decimal mark but the source declares decimal: {spec.decimal!r} "
                         f"(numbers like '1{other}234' would read as 1234): set decimal: {other!r}")
    return hints
