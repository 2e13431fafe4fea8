"""Read the raw file of a manifest source into a table of text.

:func:`read_source` is the one entry point of the build: whatever the format, it returns the
mapped canonical fields as **text**, untouched but for the conversions below, so that cleaning
(a later step) sees every source the same way and can report what it changed.

Text conventions (all formats)
------------------------------
- Every canonical column has the pandas ``str`` dtype; an empty or missing cell is the empty
  string ``""``, never ``<NA>``/``NaN``.  Nothing is read as missing because of what it says:
  ``"NA"`` (Napoli), ``"null"``, ``"-"`` stay as written.
- Text cells are kept as written (no stripping), so ``"00123456789"`` keeps its zeros.
- Numbers stored as numbers (spreadsheet, SPSS, JSON and parquet cells) are written without
  float noise: integral values without a decimal part (``1000000``), other values with at
  most 15 significant digits as a spreadsheet shows them (``12.5``, ``0.1 + 0.2`` -> ``0.3``),
  never in exponent notation, and with the source's ``decimal`` mark (``12,5`` when the
  manifest says ``decimal: ","``), so one parsing rule fits every cell of a source.
- Dates and times: ISO 8601 (``2023-05-01``; ``2023-05-01 14:30:00`` when there is a time).
- Booleans: ``true``/``false``.  Lists (JSON): items joined with ``;``.  SPSS value labels are
  applied, so a Likert answer comes back as its label text (``"Molto d'accordo"``).

Rows
----
``row_number`` is the 1-based position of the record among the file's data records (the
header excluded; for spreadsheets, sheet row = ``row_number`` + the header's row).  Records
whose mapped cells are all empty are dropped (blank lines, trailing formatted rows); the
others keep their ``row_number``, so it always points back into the file.

Headers
-------
:func:`read_header` returns the header texts as the file has them; matching against the
manifest goes through :func:`channelstudy.sources.manifest.normalise_header` (whitespace collapsed),
so ``"1° req. (6)"`` in a manifest matches the header cell ``"1° req.\\n(6)"``.

Statistics sources (``kind: statistics``, a Eurostat bulk TSV) are not read into canonical
fields: :func:`read_statistics` returns their tidy observations (see :mod:`channelstudy.sources.eurostat`).

Known quirk handled here: python-calamine (0.9) decodes the strings of some BIFF8 ``.xls``
files stored as UTF-16 one byte per character, giving ``"d\\x00e\\x00n\\x00..."`` (calamine
issues #229, #326, #468).  Such strings are repaired (see :func:`repair_calamine_utf16`).
"""

from __future__ import annotations

import codecs
import csv
import gc
import gzip
import io
import json
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from channelstudy.errors import ManifestError
from channelstudy.fields import field_names
from channelstudy.sources import quarantine as qr
from channelstudy.sources.cells import (  # noqa: F401 (cell_text, float_text, series_text: part of this API)
    TEXT_DTYPE,
    cell_text,
    cells_text,
    flatten_records,
    float_text,
    json_column_text,
    repair_calamine_utf16,
    series_text,
)
from channelstudy.sources.headers import pick_sheet
from channelstudy.sources.sniff import decimal_hints, encoding_hint, locate_or_hint
from channelstudy.sources.specs import Manifest, SourceSpec

_UTF_CODECS = frozenset(
    {"utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
)



# --- errors --------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _decode_error(spec: SourceSpec, encoding: str, exc: UnicodeDecodeError) -> ManifestError:
    """A one-line error locating the first undecodable byte of the file (line and byte offset)."""
    with _open_binary(spec.path) as handle:
        data = handle.read()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as first:
        line = data.count(b"\n", 0, first.start) + 1
        where = f"byte 0x{data[first.start]:02x} at line {line} (offset {first.start})"
    else:  # pragma: no cover - the error came from elsewhere than the whole-file decode
        where = f"{exc.reason}"
    if spec.format != "csv":
        return spec.error(f"{spec.path.name} is not valid UTF-8 ({spec.format} files must be): {where}")
    hint = encoding_hint(data, encoding)
    key = "format" if "set format" in hint else "encoding"
    return spec.error(f"{spec.path.name} is not valid {spec.encoding}: {where}{hint}", key=key)


@contextmanager
def _reading(spec: SourceSpec) -> Iterator[None]:
    """Turn library errors into one-line :class:`ManifestError`s naming the source."""
    from pyreadstat import PyreadstatError, ReadstatError
    from python_calamine import CalamineError

    try:
        yield
    except ManifestError:
        raise
    except UnicodeDecodeError as exc:
        raise _decode_error(spec, _python_encoding(spec.encoding), exc) from exc
    except (OSError, ValueError, EOFError, csv.Error, CalamineError, ReadstatError, PyreadstatError) as exc:
        raise spec.error(f"cannot read {spec.path.name} as {spec.format}: {_one_line(exc)}") from exc
    except Exception as exc:  # pyarrow's errors are not all ValueError/OSError
        if type(exc).__module__.startswith("pyarrow"):
            raise spec.error(f"cannot read {spec.path.name} as {spec.format}: {_one_line(exc)}") from exc
        raise


# --- csv -----------------------------------------------------------------------------------


def _python_encoding(encoding: str) -> str:
    """The codec to decode with: UTF-8 always through ``utf-8-sig`` so a byte order mark is dropped."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _csv_header(spec: SourceSpec) -> list[str]:
    with _open_binary(spec.path) as raw:
        text = io.TextIOWrapper(raw, encoding=_python_encoding(spec.encoding), newline="")
        header = next(csv.reader(text, delimiter=spec.delimiter, quotechar='"'), None)
    if header is None:
        raise spec.error(f"{spec.path.name} is empty (no header row)", key="path")
    return header


def _check_not_utf8(spec: SourceSpec) -> None:
    """Refuse a UTF-8 file declared in a single-byte encoding: it would read as mojibake ("CittÃ ")."""
    if codecs.lookup(spec.encoding).name in _UTF_CODECS:
        return
    with _open_binary(spec.path) as handle:
        data = handle.read()
    if data.isascii():
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    raise spec.error(
        f"{spec.path.name} is UTF-8 text with accented characters but is declared {spec.encoding}; "
        f"set encoding: utf-8",
        key="encoding",
    )


def _csv_text(spec: SourceSpec) -> str:
    with _open_binary(spec.path) as handle:
        return handle.read().decode(_python_encoding(spec.encoding))


def _csv_columns(spec: SourceSpec, headers: Sequence[str], positions: Sequence[int]) -> pd.DataFrame:
    _check_not_utf8(spec)
    text = _csv_text(spec)
    if not qr.csv_well_formed(text, spec.delimiter, len(headers)):  # quarantine malformed records
        return qr.quarantined_csv_table(text, spec.delimiter, len(headers), positions)
    with warnings.catch_warnings():
        # pandas only warns when the first data row is longer than the header, and drops data.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            table = pd.read_csv(
                spec.path,
                sep=spec.delimiter,
                quotechar='"',
                encoding=_python_encoding(spec.encoding),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
        except pd.errors.ParserWarning as exc:
            raise spec.error(
                f"cannot read {spec.path.name} as csv with delimiter {spec.delimiter!r}: {_one_line(exc)}"
            ) from exc
    if table.shape[1] != len(headers):
        raise spec.error(f"{spec.path.name}: {len(headers)} header cells but {table.shape[1]} columns read")
    picked = table.iloc[:, list(positions)]
    picked.columns = list(positions)
    return picked.fillna("")


# --- spreadsheets --------------------------------------------------------------------------


_SHEET_ROWS: dict[tuple, list[list[Any]]] = {}


def forget_parsed() -> None:
    """Drop the parses :func:`check_headers` kept for :func:`read_source` (sheets, JSON) but no read used."""
    _SHEET_ROWS.clear()
    _JSON_TABLES.clear()


def _sheet_rows(spec: SourceSpec, *, keep: bool = False) -> list[list[Any]]:
    """All rows of the source's sheet, from the first non-empty row, as calamine returns them.

    The header check parses the sheet and keeps its rows (``keep``) for the read, which takes
    them (one parse per file state); :func:`forget_parsed` drops rows no read took.
    """
    key = (_file_state(spec), spec.sheet)
    if key in _SHEET_ROWS:
        return _SHEET_ROWS[key] if keep else _SHEET_ROWS.pop(key)
    rows = _parse_sheet(spec)
    if keep:
        _SHEET_ROWS[key] = rows
    return rows


def _parse_sheet(spec: SourceSpec) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(spec.path) as book:
        name = pick_sheet(spec, book.sheet_names)
        rows = book.get_sheet_by_name(name).to_python()
    if not rows:
        raise spec.error(f"sheet {name!r} of {spec.path.name} is empty (no header row)", key="sheet")
    return rows


def _sheet_cell(spec: SourceSpec) -> Callable[[Any], Any]:
    return repair_calamine_utf16 if spec.format == "xls" else _identity


def _identity(value: Any) -> Any:
    return value


def _sheet_header(spec: SourceSpec) -> list[str]:
    fix = _sheet_cell(spec)
    return [cell_text(fix(v) if isinstance(v, str) else v) for v in _sheet_rows(spec, keep=True)[0]]


def _sheet_columns(spec: SourceSpec, headers: Sequence[str], positions: Sequence[int]) -> pd.DataFrame:
    rows = _sheet_rows(spec)[1:]
    fix = _sheet_cell(spec)
    decimal = spec.decimal

    width = min(map(len, rows), default=0)
    columns = {}
    for p in positions:
        cells = [r[p] for r in rows] if p < width else [r[p] if p < len(r) else "" for r in rows]
        columns[p] = cells_text(cells, decimal, None if fix is _identity else fix)
    return _text_frame(columns, len(rows))


def _text_frame(columns: Mapping[int, Sequence[str]], n: int) -> pd.DataFrame:
    """Columns of Python strings as ``str`` (Arrow) columns, converted once: the cell checks and the
    canonical frame then share the Arrow arrays instead of converting the objects each."""
    import pyarrow as pa

    return pd.DataFrame({p: pd.array(pa.array(cells, type=pa.large_string()), dtype=TEXT_DTYPE)
                         for p, cells in columns.items()}, index=pd.RangeIndex(n))


# --- json ----------------------------------------------------------------------------------


def _is_json_lines(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(".jsonl")


def _json_error(spec: SourceSpec, exc: json.JSONDecodeError, line_offset: int = 0) -> ManifestError:
    return spec.error(
        f"{spec.path.name} is not valid JSON: {exc.msg} at line {exc.lineno + line_offset}, "
        f"column {exc.colno}"
    )


def _json_document(spec: SourceSpec) -> Any:
    with _open_binary(spec.path) as handle:
        text = handle.read().decode("utf-8-sig")
    if not _is_json_lines(spec.path):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _json_error(spec, exc) from exc
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise _json_error(spec, exc, line_offset=number - 1) from exc
    return records


def _json_records(spec: SourceSpec) -> list[dict[str, Any]]:
    """The list of record objects: the document itself, or the list at ``record_path``."""
    document = _json_document(spec)
    if spec.record_path is not None:
        walked = []
        for key in spec.record_path.split("."):
            walked.append(key)
            if not isinstance(document, dict) or key not in document:
                have = ", ".join(repr(k) for k in document) if isinstance(document, dict) else "not an object"
                raise spec.error(
                    f"{'.'.join(walked)!r} not found in {spec.path.name} (keys there: {have})",
                    key="record_path",
                )
            document = document[key]
    if isinstance(document, dict):
        keys = ", ".join(repr(k) for k in document)
        raise spec.error(
            f"{spec.path.name} holds an object, not a list of records; set record_path: to the "
            f"key of the list (keys: {keys})",
            key="record_path",
        )
    if not isinstance(document, list):
        raise spec.error(
            f"records of {spec.path.name} must be a list of objects, got {type(document).__name__}",
            key="record_path",
        )
    for number, record in enumerate(document, start=1):
        if not isinstance(record, dict):
            raise spec.error(
                f"record {number} of {spec.path.name} is a {type(record).__name__}, not an object"
            )
    return document


_JSON_TABLES: dict[tuple, tuple[dict[str, list[Any]], int]] = {}
_HEADERS: dict[tuple, list[str]] = {}


def _file_state(spec: SourceSpec) -> tuple:
    stat = spec.path.stat()
    return str(spec.path), stat.st_mtime_ns, stat.st_size, spec.record_path


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restored on exit, also after an error).

    Parsing a roster allocates millions of dicts and lists, none of them in a cycle; each
    collection their allocation triggers walks every container alive, which cost twice as
    much as the parse itself (150,000-firm world: 2.2 CPU s instead of 0.7).

    >>> with _collector_paused():
    ...     gc.isenabled()
    False
    >>> try:
    ...     with _collector_paused():
    ...         raise ValueError("bad record")
    ... except ValueError:
    ...     pass
    >>> gc.isenabled()
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _json_table(spec: SourceSpec) -> tuple[dict[str, list[Any]], int]:
    """Records flattened (:func:`flatten_records`), not yet text; parsed once per file state."""
    key = _file_state(spec)
    if key not in _JSON_TABLES:  # header check and read share one parse (the last file only: memory)
        _JSON_TABLES.clear()
        with _collector_paused():
            _JSON_TABLES[key] = flatten_records(_json_records(spec))
    return _JSON_TABLES[key]


def _json_header(spec: SourceSpec) -> list[str]:
    return list(_json_table(spec)[0])


def _json_columns(spec: SourceSpec, headers: Sequence[str], positions: Sequence[int]) -> pd.DataFrame:
    columns, n = _json_table(spec)
    values = list(columns.values())
    return _text_frame({p: json_column_text(values[p], spec.decimal) for p in positions}, n)


# --- sav and parquet -----------------------------------------------------------------------


def _sav_header(spec: SourceSpec) -> list[str]:
    import pyreadstat

    _, meta = pyreadstat.read_sav(str(spec.path), metadataonly=True)
    return list(meta.column_names)


def _sav_columns(spec: SourceSpec, headers: Sequence[str], positions: Sequence[int]) -> pd.DataFrame:
    import pyreadstat

    names = [headers[p] for p in positions] or headers[:1]
    table, _ = pyreadstat.read_sav(
        str(spec.path), usecols=list(names), apply_value_formats=True, formats_as_category=False
    )
    return pd.DataFrame(
        {p: series_text(table[headers[p]], spec.decimal) for p in positions}, index=pd.RangeIndex(len(table))
    )


def _parquet_header(spec: SourceSpec) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(spec.path).names)


def _parquet_columns(spec: SourceSpec, headers: Sequence[str], positions: Sequence[int]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    arrow = pq.read_table(spec.path, columns=[headers[p] for p in positions])
    table = arrow.to_pandas()
    return pd.DataFrame(
        {p: series_text(table.iloc[:, i], spec.decimal) for i, p in enumerate(positions)},
        index=pd.RangeIndex(arrow.num_rows),
    )


# --- eurostat bulk tsv (statistics sources) ------------------------------------------------


def _eurostat_header(spec: SourceSpec) -> list[str]:
    """Header cells of a Eurostat bulk TSV, checked: the packed key dimensions, then the periods."""
    from channelstudy.sources.eurostat import split_packed_header

    with _open_binary(spec.path) as raw:
        line = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="").readline()
    cells = line.rstrip("\r\n").split("\t")
    if not line or len(cells) < 2:
        raise spec.error(f"{spec.path.name} is not a Eurostat bulk TSV (no tab-separated header line)", key="path")
    return [*split_packed_header(cells[0]), *(c.strip() for c in cells[1:])]


def _no_columns(spec: SourceSpec, headers: Sequence[str], positions: Sequence[int]) -> pd.DataFrame:
    raise spec.error(f"a {spec.format} file is read with read_statistics, not read_source", key="format")


def read_statistics(spec: SourceSpec) -> pd.DataFrame:
    """Read a ``statistics`` source (a Eurostat bulk TSV) into a tidy table, every cell kept.

    Parameters
    ----------
    spec
        A validated source of kind ``statistics`` (format ``eurostat_tsv``).

    Returns
    -------
    DataFrame
        :func:`channelstudy.sources.eurostat.read_eurostat_tsv` with ``drop_missing=False`` (one row per
        series and period, ``:`` cells included), preceded by ``row_number`` (int64, the 1-based
        data row of the series in the file) and ``series_key`` (the series' codes comma-joined,
        e.g. ``A,GE10,C10-S951_X_K,E_CC,PC_ENT,IT``).  ``attrs["rows_in_file"]`` is the number of
        data rows (series).

    Raises
    ------
    ManifestError
        Missing file, or a file that is not a Eurostat bulk TSV (one line naming the source).
    """
    from channelstudy.sources.eurostat import read_eurostat_tsv

    _check_file(spec)
    with _reading(spec):
        tidy = read_eurostat_tsv(spec.path, drop_missing=False)
    n_series, n_periods = int(tidy.attrs["n_series"]), int(tidy.attrs["n_periods"])
    dimensions = [c for c in tidy.columns if c not in ("time", "value", "flag")]
    series = np.repeat(np.arange(1, n_series + 1, dtype="int64"), n_periods)
    key = tidy[dimensions[0]].astype("str")
    for name in dimensions[1:]:
        key = key + "," + tidy[name].astype("str")
    out = pd.concat([pd.DataFrame({"row_number": series, "series_key": key.astype(TEXT_DTYPE)}), tidy], axis=1)
    out.attrs = {"rows_in_file": n_series}
    return out


# --- entry points --------------------------------------------------------------------------

_HEADER_READERS: dict[str, Callable[[SourceSpec], list[str]]] = {
    "csv": _csv_header,
    "xlsx": _sheet_header,
    "xls": _sheet_header,
    "json": _json_header,
    "sav": _sav_header,
    "parquet": _parquet_header,
    "eurostat_tsv": _eurostat_header,
}

_COLUMN_READERS: dict[str, Callable[[SourceSpec, Sequence[str], Sequence[int]], pd.DataFrame]] = {
    "csv": _csv_columns,
    "xlsx": _sheet_columns,
    "xls": _sheet_columns,
    "json": _json_columns,
    "sav": _sav_columns,
    "parquet": _parquet_columns,
    "eurostat_tsv": _no_columns,
}


def _check_file(spec: SourceSpec) -> None:
    if not spec.path.is_file():
        raise spec.error(f"file not found: {spec.path}", key="path")


def read_header(spec: SourceSpec) -> list[str]:
    """The header texts of a source's file, in file order, as written (not normalised).

    CSV: the first record; xlsx/xls: the first non-empty row of the sheet; JSON: the keys of
    the flattened records (first-seen order, nested keys dotted); sav: variable names;
    parquet: column names.  Cheap for csv (reads one record), sav and parquet (metadata); the
    spreadsheet and JSON readers parse the whole file.  Eurostat bulk TSV: the key dimensions
    unpacked from the first cell, then the periods (first line only).

    Raises
    ------
    ManifestError
        If the file is missing, empty or unreadable (e.g. not decodable with its encoding, a
        missing sheet, a ``record_path`` that leads nowhere), with a one-line message.
    """
    _check_file(spec)
    key = (_file_state(spec), spec.format, spec.sheet, spec.encoding, spec.delimiter)
    if key not in _HEADERS:  # check_headers and read_source share one read of each file state
        with _reading(spec):
            _HEADERS[key] = list(_HEADER_READERS[spec.format](spec))
    return list(_HEADERS[key])


def read_source(spec: SourceSpec) -> pd.DataFrame:
    """Read a source's file into its mapped canonical fields, all as text.

    Parameters
    ----------
    spec
        A validated source (from :func:`channelstudy.sources.manifest.load_manifest`).

    Returns
    -------
    DataFrame
        Columns ``source`` (``spec.name``), ``row_number`` (int64, 1-based data record
        number in the file), ``record_id`` (the mapped column, else ``str(row_number)``), then
        the other mapped and constant fields in codebook order (:func:`channelstudy.fields.
        field_names`).  Unmapped source columns are dropped.  Every column but
        ``row_number`` has dtype ``str`` with ``""`` for empty cells; numbers are not parsed
        (``spec.scales`` says what to multiply them by once cleaned).  Records whose mapped
        cells are all empty are left out; ``attrs["rows_in_file"]`` counts every data record
        of the file, those included (trailing ones too).

    Raises
    ------
    ManifestError
        One line naming the source: missing file, undecodable text (with the line of the first
        bad byte), a UTF-8 file declared in a single-byte encoding, a CSV row with more fields
        than the header, an absent or ambiguous mapped header, an unreadable file.
    """
    headers = read_header(spec)
    located = _locate(spec, headers)
    positions = sorted(set(located.values()))
    with _reading(spec):
        table = _COLUMN_READERS[spec.format](spec, headers, positions)
    if spec.format == "json":  # the parse shared with the header check is not kept through the build
        _JSON_TABLES.clear()
    quarantined = qr.quarantine(table, located)
    frame = _canonical_frame(spec, located, table, quarantined)
    hints = [h for h in (qr.quarantine_hint(spec.name, len(table), quarantined), *decimal_hints(spec, frame)) if h]
    if hints:
        frame.attrs["hints"] = hints
    return frame


def _locate(spec: SourceSpec, headers: Sequence[str]) -> dict[str, int]:
    """Mapped header positions; a CSV whose headers fit another delimiter gets an error naming it."""
    return locate_or_hint(spec, headers, _csv_header)


def _one_chunk(text: pd.Series) -> pd.Series:
    """A text column held as one Arrow array: the layout a column built from Python strings has.

    The pandas CSV reader gives columns in several chunks; chunks change how Parquet pages are
    cut (not the values), so outputs are kept byte-identical by joining them here.
    """
    import pyarrow as pa

    array = pa.array(text)
    if isinstance(array, pa.ChunkedArray) and array.num_chunks > 1:
        return pd.Series(pd.array(array.combine_chunks(), dtype=TEXT_DTYPE), index=text.index, name=text.name)
    return text


def _not_empty(column: pd.Series) -> np.ndarray:
    """Cells that are not ``""`` (a missing cell counts as not empty, as ``NaN != ""``)."""
    if isinstance(column.dtype, pd.StringDtype):
        return column.ne("").to_numpy(dtype=bool, na_value=True)
    return column.to_numpy(dtype=object) != ""


def _canonical_frame(spec: SourceSpec, located: dict[str, int], table: pd.DataFrame,
                     quarantined: Sequence[qr.Quarantined] = ()) -> pd.DataFrame:
    """Name, order and type the picked columns; add source, row_number, record_id, constants.

    Quarantined rows are left out and listed in ``attrs["quarantined"]`` (when there are any).
    """
    keep = np.zeros(len(table), dtype=bool) if located else np.ones(len(table), dtype=bool)
    for position in set(located.values()):
        keep |= _not_empty(table[position])
    keep[[q.row_number - 1 for q in quarantined]] = False
    row_number = np.flatnonzero(keep).astype("int64") + 1
    index = pd.RangeIndex(len(row_number))

    def text(position: int) -> pd.Series:  # the kept cells of a column, as text (no copy when they are already)
        return _one_chunk(table[position][keep].astype(TEXT_DTYPE)).set_axis(index)

    constants = spec.constant_values
    out: dict[str, Any] = {
        "source": pd.Series(spec.name, index=index, dtype=TEXT_DTYPE),
        "row_number": pd.Series(row_number, index=index),
        "record_id": text(located["record_id"]) if "record_id" in located
        else pd.Series(row_number.astype(str), index=index, dtype=TEXT_DTYPE),
    }
    for name in field_names(spec.kind):
        if name in located and name != "record_id":
            out[name] = text(located[name])
        elif name in constants:
            out[name] = pd.Series(constants[name], index=index, dtype=TEXT_DTYPE)
    frame = pd.DataFrame(out)
    frame.attrs = {"rows_in_file": len(table)}
    if quarantined:
        frame.attrs["quarantined"] = qr.QuarantinedRows(quarantined)
    return frame


def check_headers(manifest: Manifest) -> None:
    """Check that every mapped header is in its file, reading only header rows.

    Also checks what reading the header needs: the sheet exists, the JSON ``record_path``
    leads to a list of records, the CSV header decodes with the declared encoding.

    Raises
    ------
    ManifestError
        On the first absent or ambiguous header, or unreadable header row.
    """
    _SHEET_ROWS.clear()  # kept rows: one manifest's sheets at most
    for spec in manifest.sources:
        check_header(spec)


def check_header(spec: SourceSpec) -> None:
    """Check one source's mapped headers (see :func:`check_headers`); raises :class:`ManifestError`."""
    _locate(spec, read_header(spec))
