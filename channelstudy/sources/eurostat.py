r"""Read Eurostat bulk-download TSV files (``estat_<dataset>.tsv.gz``) into a tidy long table.

The bulk format (SDMX-TSV, what ``channelstudy fetch eurostat DATASET`` downloads) is a wide,
tab-separated text file, usually gzip-compressed::

    freq,size_emp,nace_r2,indic_is,unit,geo\TIME_PERIOD<TAB>2014 <TAB>2015 <TAB>...
    A,GE10,C10-S951_X_K,E_CC,PC_ENT,FR<TAB>: <TAB>12.30 <TAB>...<TAB>26.76 b<TAB>...

- The first header cell packs the names of the key dimensions, comma-joined, then a backslash
  and the name of the dimension spread over the columns (``TIME_PERIOD``; older files: ``time``).
  Each data row's first cell packs that series' key codes in the same order.
- The other header cells are time periods, with a trailing space (``"2014 "``).
- Each value cell is text: a number with a decimal point, or ``:`` (not available), then
  optionally flag letters and a confidentiality marker, then usually a trailing space:
  ``"60.47 "``, ``": "``, ``"26.76 b"``, ``": u"``, ``"13.72 d"``, ``": @C"``.
- Lines may end with ``\r\n``.

:func:`read_eurostat_tsv` turns this into one row per (series, period) observation.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from channelstudy.errors import EurostatFormatError

log = logging.getLogger(__name__)

__all__ = ["EurostatFormatError", "read_eurostat_tsv", "split_packed_header"]

GZIP_MAGIC = b"\x1f\x8b"
"""First two bytes of any gzip stream: compression is detected from these, not from the name."""

TIME_DIMENSION_NAMES = frozenset({"time_period", "time"})
"""Accepted names (case-insensitive) of the dimension after the backslash of the first header cell."""

RESERVED_COLUMNS = ("time", "value", "flag")
"""Output columns added by the reader; a key dimension may not carry one of these names."""



CELL_PATTERN = re.compile(
    r"""^\s*
    (?:(?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)|(?P<missing>:))
    \s*(?P<flags>[a-z]*)
    \s*(?:@(?P<conf>[A-Za-z]+))?
    \s*$""",
    re.VERBOSE,
)
"""One value cell: a number or ``:``, then optional flag letters, then an optional ``@X`` marker."""

YEAR_PATTERN = re.compile(r"^\d{4}$")

Source = str | os.PathLike[str] | IO[bytes] | IO[str]


def read_eurostat_tsv(source: Source, *, drop_missing: bool = True) -> pd.DataFrame:
    r"""Read a Eurostat bulk TSV (plain or gzip) into a tidy long table.

    Parameters
    ----------
    source
        Path to a ``.tsv`` or ``.tsv.gz`` file, or an open binary or text file object.
        Compression is detected from the gzip magic bytes, whatever the file name says.
    drop_missing
        Drop observations that carry nothing: ``:`` (not available) without any flag.
        Cells such as ``": u"`` or ``": @C"`` are kept (value NA, flag set), since the flag
        says why the value is missing.  The number dropped is logged at INFO level and stored
        in ``frame.attrs["n_dropped_missing"]``.

    Returns
    -------
    pandas.DataFrame
        One row per (series, period), in file order (series by series, periods left to right),
        with columns:

        - one ``str`` column per key dimension, named and ordered as in the first header cell
          (for ``isoc_cicce_use``: ``freq, size_emp, nace_r2, indic_is, unit, geo``);
        - ``time``: ``int64`` year when every period header is a four-digit year; otherwise
          (quarterly ``2020Q1``, monthly ``2020-01``, semesters, weeks, or a mix) the period
          text as ``str``, trailing spaces removed;
        - ``value``: ``Float64``, ``<NA>`` when the cell is ``:`` (or blank);
        - ``flag``: ``str``, missing when the cell has no flag; otherwise the flag letters as
          written (``"b"``, ``"u"``, ``"d"``, ``"bp"`` ...) followed by the confidentiality
          marker lower-cased without its ``@`` (``"@C"`` -> ``"c"``).  See
          :data:`EUROSTAT_FLAGS`.

        ``frame.attrs`` holds ``n_series`` (data rows in the file), ``n_periods`` and
        ``n_dropped_missing``.

    Raises
    ------
    EurostatFormatError
        When the first header cell is not ``dim1,...,dimN\TIME_PERIOD`` (or ``\time``), a
        series key does not have one code per dimension, a period header is blank or
        repeated, a value cell is neither a number nor ``:`` with optional flags (the message
        names the first such cell and counts all of them), or the file is empty, not UTF-8
        or a corrupt gzip stream.  ``EurostatFormatError`` is a ``ValueError``.

    Examples
    --------
    >>> import io
    >>> text = (
    ...     "freq,unit,geo\\TIME_PERIOD\t2021 \t2023 \n"
    ...     "A,PC_ENT,FR\t29.35 \t26.76 b\n"
    ...     "A,PC_ENT,IT\t: \t: @C\n"
    ... )
    >>> read_eurostat_tsv(io.StringIO(text))
      freq    unit geo  time  value flag
    0    A  PC_ENT  FR  2021  29.35  NaN
    1    A  PC_ENT  FR  2023  26.76    b
    2    A  PC_ENT  IT  2023   <NA>    c
    """
    with _open_binary_or_text(source) as handle:
        wide = _read_wide_table(handle, _describe(source))
    dimensions = split_packed_header(wide.columns[0])
    periods = _period_labels(wide.columns[1:])
    keys = _split_series_keys(wide.iloc[:, 0], dimensions)
    cells = wide.iloc[:, 1:].to_numpy(dtype=object).ravel()  # series-major, periods left to right
    codes, unique_values, unique_flags = _parse_cells(cells, keys, periods)

    n_series, n_periods = len(wide), len(periods)
    keep = np.ones(len(codes), dtype=bool)
    if drop_missing:
        keep = ~(unique_values.isna() & unique_flags.isna().to_numpy())[codes]
    positions = np.flatnonzero(keep)
    series_index, period_index = np.divmod(positions, n_periods)
    tidy = pd.DataFrame({name: keys[name].array.take(series_index) for name in dimensions})
    tidy["time"] = _time_labels(periods).take(period_index)
    tidy["value"] = unique_values.take(codes[positions])
    tidy["flag"] = unique_flags.array.take(codes[positions])
    n_dropped = len(codes) - len(positions)
    tidy.attrs.update(n_series=n_series, n_periods=n_periods, n_dropped_missing=n_dropped)
    log.info(
        "%s: %d series x %d periods -> %d observations (%d not-available cells without flag dropped)",
        _describe(source),
        n_series,
        n_periods,
        len(tidy),
        n_dropped,
    )
    return tidy


# --- input ---------------------------------------------------------------------------------


def _describe(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return str(source)
    return str(getattr(source, "name", "<buffer>"))


@contextmanager
def _open_binary_or_text(source: Source) -> Iterator[IO[bytes] | IO[str]]:
    """Yield a readable stream of the TSV text, gunzipping when the data starts with the gzip magic."""
    if isinstance(source, str | os.PathLike):
        with open(Path(source), "rb") as raw:
            yield _maybe_gunzip(raw)
        return
    if isinstance(source.read(0), str):
        yield source
        return
    binary: IO[bytes] = source  # type: ignore[assignment]
    if not binary.seekable():
        binary = io.BytesIO(binary.read())
    yield _maybe_gunzip(binary)


def _maybe_gunzip(binary: IO[bytes]) -> IO[bytes]:
    start = binary.tell()
    magic = binary.read(len(GZIP_MAGIC))
    binary.seek(start)
    return gzip.GzipFile(fileobj=binary, mode="rb") if magic == GZIP_MAGIC else binary


def _read_wide_table(handle: IO[bytes] | IO[str], name: str) -> pd.DataFrame:
    """The file as a table of text cells (no NA conversion), header as written."""
    try:
        wide = pd.read_csv(
            handle,
            sep="\t",
            header=0,
            dtype=str,
            na_filter=False,
            quoting=csv.QUOTE_NONE,
            encoding="utf-8-sig",
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise EurostatFormatError(f"{name}: empty file, not a Eurostat bulk TSV") from None
    except pd.errors.ParserError as exc:
        raise EurostatFormatError(f"{name}: not a tab-separated table: {exc}") from None
    except UnicodeDecodeError as exc:
        raise EurostatFormatError(f"{name}: not UTF-8 text: {exc}") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise EurostatFormatError(f"{name}: corrupt gzip stream: {exc}") from None
    if wide.shape[1] < 2:
        raise EurostatFormatError(
            f"{name}: expected a packed key column and at least one period column, "
            f"found {wide.shape[1]} column(s): {list(wide.columns)}"
        )
    return wide.fillna("")  # rows shorter than the header: missing cells count as blank


# --- header --------------------------------------------------------------------------------


def split_packed_header(header_cell: str) -> list[str]:
    r"""The key dimension names packed in the first header cell of a Eurostat bulk TSV.

    Parameters
    ----------
    header_cell
        The first cell of the header line, e.g. ``"freq,unit,geo\\TIME_PERIOD"``; surrounding
        spaces are ignored, the part after the backslash must be ``TIME_PERIOD`` or ``time``
        (any case).

    Returns
    -------
    list of str
        The dimension names in file order.

    Raises
    ------
    EurostatFormatError
        When there is no backslash-separated time dimension, a name is empty or repeated, or
        a name clashes with an output column (``time``, ``value``, ``flag``).

    Examples
    --------
    >>> split_packed_header("freq,unit,geo\\TIME_PERIOD")
    ['freq', 'unit', 'geo']
    """
    text = str(header_cell).strip()
    packed, backslash, column_dimension = text.rpartition("\\")
    if not backslash or column_dimension.strip().lower() not in TIME_DIMENSION_NAMES:
        raise EurostatFormatError(
            f"first header cell {text!r} is not a Eurostat packed key header "
            r"like 'freq,unit,geo\TIME_PERIOD' (dimensions, a backslash, then TIME_PERIOD or time)"
        )
    dimensions = [part.strip() for part in packed.split(",")]
    if any(not name for name in dimensions):
        raise EurostatFormatError(f"first header cell {text!r} has an empty dimension name")
    if len(set(dimensions)) != len(dimensions):
        raise EurostatFormatError(f"first header cell {text!r} repeats a dimension name")
    clash = sorted(set(dimensions) & set(RESERVED_COLUMNS))
    if clash:
        raise EurostatFormatError(
            f"first header cell {text!r}: dimension name(s) {clash} clash with output columns"
        )
    return dimensions


def _period_labels(headers: pd.Index) -> list[str]:
    periods = [str(header).strip() for header in headers]
    if any(not period for period in periods):
        raise EurostatFormatError(f"blank period header among {periods}")
    if len(set(periods)) != len(periods):
        raise EurostatFormatError(f"repeated period header among {periods}")
    return periods


def _time_labels(periods: list[str]) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """The period headers as int64 years when all are four-digit years, else as str (``2020Q1`` ...)."""
    if all(YEAR_PATTERN.match(period) for period in periods):
        return np.array([int(period) for period in periods], dtype=np.int64)
    return pd.array(periods, dtype="str")


# --- body ----------------------------------------------------------------------------------


def _split_series_keys(packed: pd.Series, dimensions: list[str]) -> pd.DataFrame:
    """Split ``"A,GE10,...,IT"`` into one column per dimension; every key must have all codes."""
    parts = packed.astype("str").str.split(",", expand=True)
    counts = packed.astype("str").str.count(",") + 1
    wrong = np.flatnonzero(counts.to_numpy() != len(dimensions))
    if len(wrong):
        first = wrong[0]
        raise EurostatFormatError(
            f"data row {first + 1}: series key {packed.iloc[first]!r} has {counts.iloc[first]} code(s), "
            f"the header names {len(dimensions)} ({','.join(dimensions)}); {len(wrong)} such row(s)"
        )
    parts.columns = dimensions
    return parts.apply(lambda column: column.str.strip())


def _parse_cells(
    cells: np.ndarray, keys: pd.DataFrame, periods: list[str]
) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray, pd.Series]:
    """Parse value cells, vectorised: each distinct cell text is parsed once.

    Returns ``codes`` (for each cell, the index of its distinct text), and for each distinct
    text its value (``Float64``, NA for ``:``) and its flag (``str``, missing when none).
    """
    codes, uniques = pd.factorize(cells)
    texts = pd.Series(uniques, dtype="str").str.strip()
    texts = texts.where(texts != "", ":")  # a blank cell means not available
    parts = texts.str.extract(CELL_PATTERN)
    unparsed = (parts["number"].isna() & parts["missing"].isna()).to_numpy()
    if unparsed.any():
        _raise_bad_cell(cells, codes, unparsed, keys, periods)
    unique_values = parts["number"].astype("Float64").array
    unique_flags = (parts["flags"].fillna("") + parts["conf"].fillna("").str.lower()).replace("", np.nan)
    return codes, unique_values, unique_flags.astype("str")


def _raise_bad_cell(
    cells: np.ndarray, codes: np.ndarray, unparsed: np.ndarray, keys: pd.DataFrame, periods: list[str]
) -> None:
    bad_positions = np.flatnonzero(unparsed[codes])
    first = bad_positions[0]
    row, column = divmod(int(first), len(periods))
    key = ",".join(keys.iloc[row])
    raise EurostatFormatError(
        f"data row {row + 1} ({key}), period {periods[column]!r}: cannot parse value {cells[first]!r} "
        f"(expected a number or ':' with optional flag letters and '@C'); {len(bad_positions)} such cell(s)"
    )
