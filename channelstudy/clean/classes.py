"""Class decoders: publishers' class codes and range texts to canonical text, before cleaning.

A decoder turns the text of one mapped field into canonical text before cleaning; it is named
in a source's ``options: {decoders: {field: decoder}}``.  Each returns, per row, the decoded
text (null when unknown) and a flag (``unknown`` for a code it does not know, a date error
code, ``repaired``), counted in ``build_report.json``.  See :data:`DECODERS`.

Class ranges are written compactly: employees as integers (``0-4``, ``250+``), euro amounts
with ``k`` (thousand) and ``M`` (million): ``0-100k``, ``1M-2.5M``, ``50M+``; the share-capital
class 1 is exactly one euro, written ``1``.  **Employees from a class** (the choice, documented
in the codebook): when a source maps ``employees_class`` and not ``employees``, the build uses
the class *midpoint* for ``employees`` (``0-4`` -> 2, ``5-9`` -> 7, ``10-19`` -> 14.5,
``20-49`` -> 34.5, ``50-249`` -> 149.5) and the lower bound of the open top class
(``250+`` -> 250), and keeps the range in ``firms.employees_class``.  Every class lies inside
one EU size class (micro < 10, small < 50, medium < 250), so the size class derived from the
midpoint is the class's own; sums over firms are estimates.

>>> import pandas as pd
>>> DECODERS["startup_employee_class"](pd.Series(["A", "F", "Z"]))["value"].tolist()
['0-4', '250+', nan]
>>> class_midpoints(pd.Series(["0-4", "250+", None])).tolist()
[2.0, 250.0, <NA>]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from channelstudy.clean.numbers import parse_dates

__all__ = [
    "CAPITAL_CLASSES",
    "DECODERS",
    "EMPLOYEE_CLASSES",
    "PRODUCTION_CLASSES",
    "ClassRange",
    "Decoder",
    "class_midpoints",
    "decode_classes",
]


class ClassRange(NamedTuple):
    """One class of a coded range variable."""

    code: str
    """Code used by the publisher (``A``, ``B``, ... or ``1``, ``2``, ...)."""
    label: str
    """Canonical range label written to the clean tables (``0-4``, ``100k-500k``, ``250+``)."""
    aliases: tuple[str, ...] = ()
    """Other spellings of the class (the legend's text, e.g. ``"0-100.000 euro"``)."""


EMPLOYEE_CLASSES: tuple[ClassRange, ...] = (
    ClassRange("A", "0-4"),
    ClassRange("B", "5-9"),
    ClassRange("C", "10-19"),
    ClassRange("D", "20-49"),
    ClassRange("E", "50-249"),
    ClassRange("F", "250+", ("Almeno 250", ">=250", "250 e oltre")),
)
"""Registro Imprese employee classes (*classe di addetti*), legend of the startup register."""

PRODUCTION_CLASSES: tuple[ClassRange, ...] = (
    ClassRange("A", "0-100k", ("0-100.000 euro",)),
    ClassRange("B", "100k-500k", ("100.001 - 500.000 euro",)),
    ClassRange("C", "500k-1M", ("500.001 - 1.000.000 euro",)),
    ClassRange("D", "1M-2M", ("1.000.001 - 2.000.000 euro",)),
    ClassRange("E", "2M-5M", ("2.000.001 - 5.000.000 euro",)),
    ClassRange("F", "5M-10M", ("5.000.001 - 10.000.000 euro",)),
    ClassRange("G", "10M-50M", ("10.000.001 - 50.000.000 euro",)),
    ClassRange("H", "50M+", ("Più di 50.000.000 euro",)),
)
"""Registro Imprese classes of the value of production (*classe di produzione*), euro."""

CAPITAL_CLASSES: tuple[ClassRange, ...] = (
    ClassRange("1", "1", ("1 euro",)),
    ClassRange("2", "1-5k", ("Da 1 fino a 5mila euro",)),
    ClassRange("3", "5k-10k", ("Da 5 a 10mila euro",)),
    ClassRange("4", "10k-50k", ("Da 10 a 50mila euro",)),
    ClassRange("5", "50k-100k", ("Da 50 a 100mila euro",)),
    ClassRange("6", "100k-250k", ("Da 100 a 250mila euro",)),
    ClassRange("7", "250k-500k", ("Da 250 a 500mila euro",)),
    ClassRange("8", "500k-1M", ("Da 500 a 1mln euro",)),
    ClassRange("9", "1M-2.5M", ("Da 1 a 2,5mln euro",)),
    ClassRange("10", "2.5M-5M", ("Da 2,5 a 5mln euro",)),
    ClassRange("11", "5M+", ("Più di 5 mln euro",)),
)
"""Registro Imprese share-capital classes (*classe di capitale*), euro."""

_SPACES = re.compile(r"\s+")
_CLOSED_RANGE = re.compile(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$")
_OPEN_RANGE = re.compile(r"^(\d+(?:\.\d+)?)\+$")


def _class_key(text: str) -> str:
    """Matching key of a class spelling: case-folded, without spaces."""
    return _SPACES.sub("", text).casefold()


def _missing(s: pd.Series) -> pd.Series:
    """True where the text is null or blank."""
    return s.isna() | s.astype("str").str.strip().eq("")


def decode_classes(s: pd.Series, classes: tuple[ClassRange, ...]) -> pd.DataFrame:
    """Decode class codes or spellings to canonical range labels.

    Parameters
    ----------
    s
        Text: a class code (``A``; case-insensitive), a label (``0-4``) or an alias (the
        legend's text, ``"Da 5 a 10mila euro"``); spaces are ignored.
    classes
        The classes (:data:`EMPLOYEE_CLASSES`, :data:`PRODUCTION_CLASSES`,
        :data:`CAPITAL_CLASSES`).

    Returns
    -------
    DataFrame
        ``value`` (str, the label; null when blank or unknown) and ``flag`` (str: ``unknown``
        for a non-blank text that is no class, else null), same index as ``s``.

    Examples
    --------
    >>> decode_classes(pd.Series(["B", "5-9", "", "Z"]), EMPLOYEE_CLASSES)["value"].tolist()
    ['5-9', '5-9', nan, nan]
    """
    lookup: dict[str, str] = {}
    for c in classes:
        for spelling in (c.code, c.label, *c.aliases):
            lookup[_class_key(spelling)] = c.label
    text = s.astype("str")
    blank = _missing(s)
    keys = text.where(~blank, "").map(_class_key, na_action="ignore")
    value = keys.map(lookup).astype("str")
    flag = pd.Series(np.where(~blank & value.isna(), "unknown", None), index=s.index, dtype="str")
    return pd.DataFrame({"value": value.where(~blank), "flag": flag})


def class_midpoints(labels: pd.Series) -> pd.Series:
    """The midpoint of closed range labels (``10-19`` -> 14.5), the lower bound of open ones (``250+``).

    Labels in another form (``100k-500k``, free text) give null: only plain-number ranges are
    turned into numbers.

    >>> class_midpoints(pd.Series(["0-4", "250+", "x", None])).tolist()
    [2.0, 250.0, <NA>, <NA>]
    """
    text = labels.astype("str").str.strip()
    closed = text.str.extract(_CLOSED_RANGE).astype("Float64")
    opened = text.str.extract(_OPEN_RANGE)[0].astype("Float64")
    return ((closed[0] + closed[1]) / 2).fillna(opened).astype("Float64")


def decode_date_year(s: pd.Series) -> pd.DataFrame:
    """The year of a date (``28/07/2011`` -> ``2011``; any format :func:`parse_dates` reads).

    Flags are those of :func:`channelstudy.clean.numbers.parse_dates` (``invalid_date``,
    ``invalid_format``).

    >>> decode_date_year(pd.Series(["28/07/2011", "2019-01-31", "x"]))["value"].tolist()
    ['2011', '2019', nan]
    """
    parsed = parse_dates(s.astype("str").where(~_missing(s)))
    year = parsed["value"].dt.year.astype("Int64").astype("str")
    return pd.DataFrame({"value": year.where(parsed["value"].notna()).astype("str"),
                         "flag": parsed["flag"].astype("str")}, index=s.index)


def decode_nan_province(s: pd.Series) -> pd.DataFrame:
    """Undo pandas' NA parsing of Napoli: the province ``NAN`` (any case) becomes ``NA``, flagged ``repaired``.

    Other values pass unchanged.  No Italian province, current or historical, has the sigla NAN.

    >>> decode_nan_province(pd.Series(["NAN", "MI", "nan"]))["value"].tolist()
    ['NA', 'MI', 'NA']
    """
    text = s.astype("str")
    nan = text.str.strip().str.upper().eq("NAN").fillna(False).astype(bool)
    flag = pd.Series(np.where(nan, "repaired", None), index=s.index, dtype="str")
    return pd.DataFrame({"value": text.mask(nan, "NA"), "flag": flag})


@dataclass(frozen=True)
class Decoder:
    """A named text-to-text decoder usable in ``options: {decoders: {field: name}}``.

    Attributes
    ----------
    name
        The name used in manifests.
    meaning
        One line for the codebook.
    function
        ``Series -> DataFrame[value, flag]`` (see :func:`decode_classes`).
    labels
        The canonical output values, in order, when there is a fixed set (class labels).
    """

    name: str
    meaning: str
    function: Callable[[pd.Series], pd.DataFrame]
    labels: tuple[str, ...] = ()

    def __call__(self, s: pd.Series) -> pd.DataFrame:
        """Decode ``s``: ``value`` and ``flag`` columns (pandas ``str``), same index."""
        out = self.function(s)
        return pd.DataFrame({"value": out["value"].astype("str"), "flag": out["flag"].astype("str")},
                            index=s.index)


def _class_decoder(name: str, meaning: str, classes: tuple[ClassRange, ...]) -> Decoder:
    return Decoder(name, meaning, lambda s: decode_classes(s, classes), tuple(c.label for c in classes))


DECODERS: dict[str, Decoder] = {
    d.name: d
    for d in (
        _class_decoder("startup_employee_class", "Registro Imprese employee class A-F (or its range text) "
                       "to a range of persons employed: 0-4, 5-9, 10-19, 20-49, 50-249, 250+.", EMPLOYEE_CLASSES),
        _class_decoder("startup_production_class", "Registro Imprese value-of-production class A-H (or its "
                       "range text) to a euro range: 0-100k ... 10M-50M, 50M+.", PRODUCTION_CLASSES),
        _class_decoder("startup_capital_class", "Registro Imprese share-capital class 1-11 (or its range text) "
                       "to a euro range: 1 (one euro), 1-5k ... 2.5M-5M, 5M+.", CAPITAL_CLASSES),
        Decoder("date_year", "A date (dd/mm/yyyy, ISO, ...) to its year.", decode_date_year),
        Decoder("province_nan_napoli", "Province `NAN` (Napoli read as a missing value by pandas and "
                "upper-cased) back to `NA`; other values unchanged.", decode_nan_province),
    )
}
"""Decoders by name."""
