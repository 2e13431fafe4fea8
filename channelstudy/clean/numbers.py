"""Numbers, money, shares and dates written the Italian or the English way.

Numbers (:func:`parse_number`, :func:`parse_numbers`)
------------------------------------------------------
* Missing markers give ``None`` / ``<NA>`` with no flag: empty, ``-``, ``--``, ``n.d.``, ``nd``,
  ``n/d``, ``n.a.``, ``n/a``, ``na``, ``null``, ``none``, ``nan``, ``?``, ``non disponibile``.
* Currency (``€``, ``EUR``, ``euro``) and spaces are ignored; ``-``, ``−``, ``+`` and accounting
  parentheses ``(1.234)`` give the sign; a trailing ``%`` divides by 100.
* Multipliers after the number: ``k`` / ``mila`` / ``migliaia`` / ``thousand`` = 1e3;
  ``m`` / ``mn`` / ``mln`` / ``mio`` / ``milione`` / ``milioni`` / ``million`` = 1e6;
  ``mld`` / ``mrd`` / ``miliardo`` / ``miliardi`` / ``bn`` / ``billion`` = 1e9.
* Separators.  With both ``.`` and ``,`` the last one is the decimal mark and the other groups
  thousands (``1.234.567,89``, ``1,234,567.89``).  A mark repeated is a thousands separator
  (``1.234.567``).  Apostrophes and spaces between groups of three digits group thousands.
  A single ``.`` or ``,``:

  - with the ``decimal`` hint (``","`` or ``"."``, from the source manifest): the hinted mark is
    the decimal mark; the other one groups thousands if exactly three digits follow it, and is
    read as the decimal mark otherwise (``1.5`` has no thousands reading);
  - without a hint: followed by exactly three digits and after a non-zero integer part it
    groups thousands (``1.234`` = 1234, ``12,500`` = 12500) — **ambiguous**, flagged
    ``ambiguous_separator`` by the vectorised functions; otherwise it is the decimal mark
    (``0,35``, ``1.5``, ``0.125``, ``1234,5``).

* Class ranges (``0-4``, ``5-9``, ``250+``, ``oltre 250``) are not numbers: flag ``range``.
  Anything else unreadable, or text whose value overflows a float (``1e999``): flag
  ``invalid_format`` (:class:`InvalidFormat` from the scalar API).

Shares (:func:`parse_share`, :func:`parse_shares`)
---------------------------------------------------
Rule per value: a ``%`` sign means percent; otherwise values in [0, 1] are fractions and values
in (1, 100] are percents (``35`` → 0.35, ``0,35`` → 0.35, ``1`` → 1.0).  Negative values or
values above 100 are ``out_of_range``.  A column mixing plain values in (0, 1) with plain values
above 1 is suspicious (is ``0.5`` half or half a percent?): :func:`parse_shares` keeps the
per-value reading and flags those small values ``ambiguous_scale``.

Dates (:func:`parse_date`, :func:`parse_dates`)
------------------------------------------------
``2023-12-31`` (ISO, a time part is dropped), ``31/12/2023``, ``31-12-2023``, ``31.12.2023``
(day first by default; ``12/31/2023`` needs ``dayfirst=False``), two-digit years (``31/12/23``;
00-69 → 2000s, 70-99 → 1900s), ``31 dicembre 2023``, ``31 dic. 2023``, ``1° gennaio 2023``,
``31 December 2023``, ``December 31, 2023``, ``20231231``, and Excel serial day numbers from
20000 to 80000 (1954-2119; origin 1899-12-30).  A date that does not exist (``31/02/2023``)
is ``invalid_date``; anything else unreadable ``invalid_format``.

>>> parse_number("1.234.567,89"), parse_number("1,234,567.89"), parse_number("EUR 1,2 mln")
(1234567.89, 1234567.89, 1200000.0)
>>> parse_number("1.234"), parse_number("1.234", decimal=".")
(1234.0, 1.234)
>>> parse_share("35%"), parse_share("35"), parse_share("0,35")
(0.35, 0.35, 0.35)
>>> parse_date("31 dicembre 2023")
Timestamp('2023-12-31 00:00:00')
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from channelstudy.clean.exceptions import InvalidComponent, InvalidFormat, ValidationError

__all__ = [
    "MISSING_TOKENS",
    "parse_date",
    "parse_dates",
    "parse_number",
    "parse_numbers",
    "parse_share",
    "parse_shares",
]

Decimal = Literal[",", "."] | None

MISSING_TOKENS: frozenset[str] = frozenset(
    {
        "",
        "-",
        "--",
        "---",
        "—",
        "–",
        "n.d.",
        "n.d",
        "nd",
        "n/d",
        "n.a.",
        "n.a",
        "n/a",
        "na",
        "null",
        "none",
        "nan",
        "?",
        "non disponibile",
        "non noto",
        "not available",
    }
)
"""Lower-cased texts read as missing (no flag)."""

_MULTIPLIERS: dict[str, float] = {
    **dict.fromkeys(("k", "mila", "migliaia", "thousand", "thousands", "th"), 1e3),
    **dict.fromkeys(("m", "mn", "mln", "mio", "milione", "milioni", "million", "millions", "mil"), 1e6),
    **dict.fromkeys(("mld", "mrd", "miliardo", "miliardi", "bn", "b", "billion", "billions"), 1e9),
}
_CURRENCY = re.compile(r"€|\beur(?:o|os)?\b\.?", re.IGNORECASE)
_RANGE = re.compile(
    r"^(?:\d[\d.,]*\s*[-–]\s*\d[\d.,]*|\d[\d.,]*\s*\+|(?:oltre|over|>|<|più di|meno di)\s*\d[\d.,]*)$"
)
_NUMBER = re.compile(
    r"^(?P<sign>[-+])?\s*(?P<core>\d[\d.,' ]*|[.,]\d+)(?:e(?P<exp>[-+]?\d+))?\s*(?P<mult>[a-z]+\.?)?\s*(?P<pct>%)?$"
)
_GROUPED = re.compile(r"^\d{1,3}(?:[' ]\d{3})+$")


class _Number(NamedTuple):
    value: float | None
    note: str | None  # "ambiguous_separator" when the no-hint rule guessed thousands
    percent: bool


def _normalise_text(value: object) -> str | None:
    """Text of a raw cell, or ``None`` when the cell is missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return None if math.isnan(float(value)) else repr(float(value))
    text = unicodedata.normalize("NFKC", str(value)).replace("\u2212", "-").strip().lower()
    text = re.sub(r"\s+", " ", text)
    return None if text in MISSING_TOKENS else text


def _resolve_core(core: str, decimal: Decimal) -> tuple[str, str | None]:
    """Digits and separators → plain decimal text for ``float`` (module docstring: separator rules)."""
    core = core.strip()
    if "'" in core or " " in core:
        head, _, tail = core.partition(",") if "," in core else core.partition(".")
        if not _GROUPED.match(head) or (tail and not tail.isdigit()):
            raise InvalidFormat(f"bad digit grouping in {core!r}")
        return head.replace("'", "").replace(" ", "") + ("." + tail if tail else ""), None
    has_dot, has_comma = "." in core, "," in core
    if has_dot and has_comma:
        dec = "." if core.rfind(".") > core.rfind(",") else ","
        thousands = "," if dec == "." else "."
        head, _, tail = core.rpartition(dec)
        if (
            dec in head
            or not tail.isdigit()
            or not re.fullmatch(r"\d{1,3}(?:" + re.escape(thousands) + r"\d{3})*", head)
        ):
            raise InvalidFormat(f"bad separators in {core!r}")
        return head.replace(thousands, "") + "." + tail, None
    if not (has_dot or has_comma):
        return core, None
    sep = "." if has_dot else ","
    parts = core.split(sep)
    if len(parts) > 2:
        if not re.fullmatch(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3})+", core):
            raise InvalidFormat(f"bad thousands grouping in {core!r}")
        return core.replace(sep, ""), None
    head, tail = parts
    if not tail.isdigit() or (head and not head.isdigit()):
        raise InvalidFormat(f"bad number {core!r}")
    thousands_possible = (
        len(tail) == 3 and head not in ("", "0") and len(head) <= 3 and not head.startswith("0")
    )
    if decimal is not None:
        if sep == decimal or not thousands_possible:
            return (head or "0") + "." + tail, None
        return head + tail, None
    if thousands_possible:
        return head + tail, "ambiguous_separator"
    return (head or "0") + "." + tail, None


def _parse_number(value: object, decimal: Decimal) -> _Number:
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal must be ',', '.' or None, not {decimal!r}")
    text = _normalise_text(value)
    if text is None:
        return _Number(None, None, False)
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return _Number(float(value), None, False)
    text = _CURRENCY.sub(" ", text).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if _RANGE.match(text):
        raise InvalidFormat(f"class range, not a number: {value!r}", code="range")
    match = _NUMBER.match(text)
    if not match:
        raise InvalidFormat(f"not a number: {value!r}")
    digits, note = _resolve_core(match.group("core"), decimal)
    # the exponent is applied in the text: one rounding (10.0 ** e would add one, or overflow)
    number = float(digits + ("e" + match.group("exp") if match.group("exp") else ""))
    mult = match.group("mult")
    if mult:
        mult = mult.rstrip(".")
        if mult not in _MULTIPLIERS:
            raise InvalidFormat(f"unknown unit {mult!r} in {value!r}")
        number *= _MULTIPLIERS[mult]
    if not math.isfinite(number):
        raise InvalidFormat(f"number out of range: {value!r}")
    percent = match.group("pct") is not None
    if percent:
        number /= 100.0
    if negative or match.group("sign") == "-":
        number = -number
    return _Number(number, note, percent)


def parse_number(value: object, decimal: Decimal = None) -> float | None:
    """Read one number (see the module docstring); ``None`` for missing markers.

    Raises :class:`InvalidFormat` (``code`` ``range`` for class ranges such as ``0-4``).

    >>> parse_number("€ 1,2 milioni"), parse_number("2,5 mld"), parse_number("1.2m")
    (1200000.0, 2500000000.0, 1200000.0)
    >>> parse_number("n.d.") is None
    True
    """
    return _parse_number(value, decimal).value


def _share_from(number: _Number) -> float | None:
    value = number.value
    if value is None:
        return None
    if not number.percent and 1.0 < value <= 100.0:
        value /= 100.0
    if not 0.0 <= value <= 1.0:
        raise InvalidComponent(f"share out of range: {value!r}", code="out_of_range")
    return value


def parse_share(value: object, decimal: Decimal = None) -> float | None:
    """Read a share as a fraction in [0, 1] (see the module docstring for the percent rule).

    Raises :class:`InvalidFormat` or :class:`InvalidComponent` (out of range).

    >>> parse_share("35 %"), parse_share("0.35"), parse_share("100"), parse_share("1")
    (0.35, 0.35, 1.0, 1.0)
    """
    return _share_from(_parse_number(value, decimal))


def _frame(values: np.ndarray, flags: np.ndarray, index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {"value": pd.array(values, dtype="Float64"), "flag": pd.array(flags, dtype="string")}, index=index
    )


_PLAIN_INT = r"^\s*-?[0-9]{1,15}\s*$"  # ASCII, exact in a float; the rest: scalar parser
_FAST_HINTED = {  # hinted decimal mark -> (unambiguous pattern, thousands mark)
    ",": (r"^-?(?:[1-9][0-9]{0,2}(?:\.[0-9]{3}){1,4}|[0-9]{1,15})(?:,[0-9]+)?$", "."),
    ".": (r"^-?(?:[1-9][0-9]{0,2}(?:,[0-9]{3}){1,4}|[0-9]{1,15})(?:\.[0-9]+)?$", ","),
}


def _map_unique(s: pd.Series, parse) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``parse(value) -> (value, flag, tag)`` once per distinct value; return per-row arrays."""
    codes, uniques = pd.factorize(s.astype("object").where(s.notna(), None), use_na_sentinel=True)
    n = len(uniques)
    values = np.full(n + 1, np.nan)
    flags = np.full(n + 1, None, dtype=object)
    tags = np.zeros(n + 1, dtype=np.int8)
    for i, u in enumerate(uniques):
        values[i], flags[i], tags[i] = parse(u)
    return values[codes], flags[codes], tags[codes]


def parse_numbers(s: pd.Series, decimal: Decimal = None) -> pd.DataFrame:
    """Vectorised :func:`parse_number`: DataFrame ``[value (Float64), flag]``, same index.

    Flags: ``ambiguous_separator`` (value kept), ``range``, ``invalid_format`` (value null).
    Numeric input passes through; text is parsed once per distinct value, plain integers
    in bulk.

    >>> parse_numbers(pd.Series(["1.234,5", "0-4", "n.d.", "12"]), decimal=",").value.tolist()
    [1234.5, <NA>, <NA>, 12.0]
    """
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return _frame(
            s.astype("Float64").to_numpy(dtype=float, na_value=np.nan), np.full(len(s), None), s.index
        )
    text = s.astype("string")
    values = np.full(len(s), np.nan)
    flags = np.full(len(s), None, dtype=object)
    if decimal in _FAST_HINTED:  # bulk path for the common, unambiguous spellings under a hint
        pattern, thousands = _FAST_HINTED[decimal]
        plain = text.str.match(pattern).fillna(False).to_numpy(dtype=bool)
        if plain.any():
            digits = text[plain].str.replace(thousands, "", regex=False).str.replace(",", ".", regex=False)
            values[plain] = pd.to_numeric(digits).to_numpy(dtype=float)
    else:
        plain = text.str.match(_PLAIN_INT).fillna(False).to_numpy(dtype=bool)
        if plain.any():
            values[plain] = pd.to_numeric(text[plain].str.strip()).to_numpy(dtype=float)

    def parse(u: str) -> tuple[float, str | None, int]:
        try:
            number = _parse_number(u, decimal)
        except ValidationError as err:
            return np.nan, err.code, 0
        return (np.nan if number.value is None else number.value), number.note, 0

    if (~plain).any():
        values[~plain], flags[~plain], _ = _map_unique(text[~plain], parse)
    return _frame(values, flags, s.index)


_SMALL, _BIG = 1, 2  # plain (no %) values in (0, 1) and in (1, 100]


def parse_shares(s: pd.Series, decimal: Decimal = None) -> pd.DataFrame:
    """Vectorised :func:`parse_share`: DataFrame ``[value (Float64), flag]``, same index.

    Flags: ``ambiguous_scale`` (value kept; see the module docstring), ``ambiguous_separator``
    (value kept), ``out_of_range``, ``range``, ``invalid_format`` (value null).

    >>> parse_shares(pd.Series(["35%", "35", "0,35", "250"])).value.tolist()
    [0.35, 0.35, 0.35, <NA>]
    >>> parse_shares(pd.Series(["40", "0.5"])).flag.tolist()
    [<NA>, 'ambiguous_scale']
    """

    def parse(u: object) -> tuple[float, str | None, int]:
        try:
            number = _parse_number(u, decimal)
            share = _share_from(number)
        except ValidationError as err:
            return np.nan, err.code, 0
        if share is None or number.value is None:
            return np.nan, None, 0
        tag = 0
        if not number.percent:
            tag = _BIG if number.value > 1.0 else _SMALL if 0.0 < number.value < 1.0 else 0
        return share, number.note, tag

    values, flags, tags = _map_unique(s, parse)
    if (tags == _BIG).any() and (tags == _SMALL).any():
        small = tags == _SMALL
        flags[small] = np.where(pd.isna(flags[small]), "ambiguous_scale", flags[small])
    return _frame(values, flags, s.index)


# ---------------------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("gennaio", "gen", "january", "jan"),
        ("febbraio", "feb", "february"),
        ("marzo", "mar", "march"),
        ("aprile", "apr", "april"),
        ("maggio", "mag", "may"),
        ("giugno", "giu", "june", "jun"),
        ("luglio", "lug", "july", "jul"),
        ("agosto", "ago", "august", "aug"),
        ("settembre", "set", "sett", "september", "sep", "sept"),
        ("ottobre", "ott", "october", "oct"),
        ("novembre", "nov", "november"),
        ("dicembre", "dic", "december", "dec"),
    ],
    start=1,
):
    _MONTHS.update(dict.fromkeys(_names, _number))

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ].*)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[ t].*)?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:°|º|st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_EXCEL_ORIGIN = pd.Timestamp("1899-12-30")


def _make_date(year: int, month: int, day: int) -> pd.Timestamp:
    try:
        return pd.Timestamp(year=year, month=month, day=day)
    except ValueError as err:
        raise InvalidComponent(
            f"no such date: {year:04d}-{month:02d}-{day:02d}", code="invalid_date"
        ) from err


def parse_date(value: object, dayfirst: bool = True) -> pd.Timestamp | None:
    """Read one date (see the module docstring); ``None`` for missing markers.

    Raises :class:`InvalidFormat` or :class:`InvalidComponent` (``code`` ``invalid_date``).

    >>> parse_date("31/12/2023"), parse_date("12/31/2023", dayfirst=False)
    (Timestamp('2023-12-31 00:00:00'), Timestamp('2023-12-31 00:00:00'))
    >>> parse_date("2023-12-31T10:00:00+0000")
    Timestamp('2023-12-31 00:00:00')
    """
    if isinstance(value, pd.Timestamp):
        return (value.tz_localize(None) if value.tz is not None else value).normalize()
    text = _normalise_text(value)
    if text is None:
        return None
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        text = str(int(value)) if float(value).is_integer() else text
    if m := _ISO.match(text):
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NUMERIC_DATE.match(text):
        first, second, year = int(m.group(1)), int(m.group(3)), m.group(4)
        y = int(year) if len(year) == 4 else (2000 + int(year) if int(year) < 70 else 1900 + int(year))
        day, month = (first, second) if dayfirst else (second, first)
        return _make_date(y, month, day)
    if m := _DAY_MONTH_YEAR.match(text):
        month = _MONTHS.get(m.group(2))
        if month is None:
            raise InvalidFormat(f"unknown month in {value!r}")
        return _make_date(int(m.group(3)), month, int(m.group(1)))
    if m := _MONTH_DAY_YEAR.match(text):
        month = _MONTHS.get(m.group(1))
        if month is None:
            raise InvalidFormat(f"unknown month in {value!r}")
        return _make_date(int(m.group(3)), month, int(m.group(2)))
    if re.fullmatch(r"\d{8}", text):
        return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if re.fullmatch(r"\d{5}(?:\.0+)?", text) and 20000 <= float(text) <= 80000:
        return _EXCEL_ORIGIN + pd.Timedelta(days=int(float(text)))
    raise InvalidFormat(f"not a date: {value!r}")


_PLAIN_ISO = re.compile(r"(1[7-9]|2[0-1])[0-9]{2}-[0-9]{2}-[0-9]{2}")


def _plain_iso_dates(uniques: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Fill ``values`` for the distinct cells written ``YYYY-MM-DD`` (years 1700-2199) that are dates.

    Those are most dates of an export; :func:`parse_date` reads them as ``pd.Timestamp(y, m, d)``,
    as one vectorised :func:`pandas.to_datetime` does.  Returns which cells were read (the rest,
    impossible dates such as ``2023-02-30`` included, go through :func:`parse_date`).
    """
    plain = np.fromiter((type(u) is str and _PLAIN_ISO.fullmatch(u) is not None for u in uniques), dtype=bool,
                        count=len(uniques))
    if not plain.any():
        return plain
    dates = pd.to_datetime(pd.Series(uniques[plain], dtype=object), format="%Y-%m-%d", errors="coerce")
    dates = dates.to_numpy(dtype="datetime64[ns]")
    read = np.flatnonzero(plain)[~np.isnat(dates)]
    values[read] = dates[~np.isnat(dates)]
    done = np.zeros(len(uniques), dtype=bool)
    done[read] = True
    return done


def parse_dates(s: pd.Series, dayfirst: bool = True) -> pd.DataFrame:
    """Vectorised :func:`parse_date`: DataFrame ``[value (datetime64), flag]``, same index.

    Flags: ``invalid_date``, ``invalid_format``; parsed once per distinct value.

    >>> parse_dates(pd.Series(["31/12/2023", "2023-02-30", ""])).flag.tolist()
    [<NA>, 'invalid_date', <NA>]
    """
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return pd.DataFrame(
            {"value": values.dt.normalize(), "flag": pd.array([None] * len(s), dtype="string")}, index=s.index
        )
    codes, uniques = pd.factorize(s.astype("object").where(s.notna(), None), use_na_sentinel=True)
    values = np.full(len(uniques) + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    flags = np.full(len(uniques) + 1, None, dtype=object)
    done = _plain_iso_dates(uniques, values)
    for i, u in enumerate(uniques):
        if done[i]:
            continue
        try:
            date = parse_date(u, dayfirst=dayfirst)
        except ValidationError as err:
            flags[i] = err.code
            continue
        if date is not None:
            values[i] = date.to_datetime64()
    return pd.DataFrame(
        {"value": pd.Series(values[codes], index=s.index), "flag": pd.array(flags[codes], dtype="string")},
        index=s.index,
    )
