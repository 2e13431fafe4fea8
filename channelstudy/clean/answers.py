"""Survey answers: Likert items, yes/no, multi-select lists and revenue mixes.

Texts are compared folded: lower case, accents stripped, typographic quotes straightened,
apostrophes and punctuation removed, spaces collapsed (``"Né d’accordo né in disaccordo"`` =
``"ne daccordo ne in disaccordo"``).

Likert (1-5 agreement)
----------------------
===  ===================================================================================
1    per niente / completamente / totalmente / fortemente / molto in disaccordo,
     strongly disagree, completely disagree
2    in disaccordo, disaccordo, poco d'accordo, abbastanza in disaccordo, disagree,
     somewhat disagree
3    né d'accordo né in disaccordo, neutrale, indifferente, neither agree nor disagree,
     neutral, undecided
4    d'accordo, abbastanza d'accordo, in accordo, agree, somewhat agree
5    molto / completamente / totalmente / pienamente / fortemente d'accordo, strongly agree,
     completely agree
===  ===================================================================================

Digits ``1``-``5`` (also ``4.0``) are accepted, as are labels prefixed by their digit
(``"4 - D'accordo"``; digit and label must agree, else ``inconsistent``).  "Non so", "don't
know", "n/a", "preferisco non rispondere" give ``<NA>`` with flag ``no_opinion``; anything else
``<NA>`` with flag ``unknown_answer`` (digits outside 1-5: ``out_of_range``).

Yes / no
--------
True: sì, si, s, yes, y, vero, true, 1, x; False: no, n, falso, false, 0.  Other texts:
``<NA>`` + ``unknown_answer``.

Multi-select
------------
:func:`split_multi` splits on ``;``, ``,``, ``|`` or ``/`` (or the ``sep`` given), strips,
lower-cases, removes duplicates and sorts: the canonical text is the items joined by ``;``.

Revenue mixes (:func:`normalise_mix`)
-------------------------------------
Each row holds k shares, as fractions or as percents.  A row is read as *fractions* when its
sum is within ``tolerance`` of 1 and as *percents* when within ``100 * tolerance`` of 100
(``scale`` forces one reading).  Accepted rows are divided by their sum, so they sum to 1 (to
rounding, 1e-12) with every share in [0, 1].  Missing components in a row with at least one
value count as 0 — so a row whose remaining shares still sum to about 1 is accepted, and one
that does not is rejected.  Rows are rejected (all ``<NA>``) with a flag:

``mix_missing``                 every component missing
``mix_negative``                a negative share
``mix_sum_out_of_tolerance``    sum outside both tolerance bands (e.g. 0.8 or 130)

>>> likert("Né d’accordo né in disaccordo"), likert("Strongly agree"), likert("2")
(3, 5, 2)
>>> yes_no("Sì"), yes_no("false")
(True, False)
>>> split_multi("Cloud; security, cloud | AI")
'ai;cloud;security'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from channelstudy.clean.exceptions import InvalidComponent, UnknownValue

__all__ = [
    "LIKERT_LABELS",
    "clean_likert",
    "clean_multi",
    "clean_yes_no",
    "likert",
    "normalise_mix",
    "split_multi",
    "yes_no",
]


def _fold(value: str) -> str:
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"['’‘`´ʼ]", "", text)
    text = re.sub(r"[^0-9a-z]+", " ", text)
    return text.strip()


LIKERT_LABELS: dict[int, tuple[str, ...]] = {
    1: (
        "per niente d'accordo",
        "per nulla d'accordo",
        "completamente in disaccordo",
        "totalmente in disaccordo",
        "fortemente in disaccordo",
        "molto in disaccordo",
        "del tutto in disaccordo",
        "strongly disagree",
        "completely disagree",
        "totally disagree",
    ),
    2: (
        "in disaccordo",
        "disaccordo",
        "poco d'accordo",
        "abbastanza in disaccordo",
        "parzialmente in disaccordo",
        "disagree",
        "somewhat disagree",
        "tend to disagree",
    ),
    3: (
        "né d'accordo né in disaccordo",
        "ne d'accordo ne in disaccordo",
        "né in accordo né in disaccordo",
        "neutrale",
        "indifferente",
        "incerto",
        "neither agree nor disagree",
        "neither agree or disagree",
        "neutral",
        "undecided",
    ),
    4: (
        "d'accordo",
        "abbastanza d'accordo",
        "in accordo",
        "parzialmente d'accordo",
        "agree",
        "somewhat agree",
        "tend to agree",
    ),
    5: (
        "molto d'accordo",
        "completamente d'accordo",
        "totalmente d'accordo",
        "pienamente d'accordo",
        "fortemente d'accordo",
        "del tutto d'accordo",
        "strongly agree",
        "completely agree",
        "totally agree",
    ),
}
"""Labels of each Likert level (compared folded)."""


def _squash(text: str) -> str:
    """Folded text without spaces: "d accordo" = "d'accordo" = "daccordo"."""
    return text.replace(" ", "")


_LIKERT: dict[str, int] = {
    _squash(_fold(label)): level for level, labels in LIKERT_LABELS.items() for label in labels
}
_NO_OPINION = {
    _squash(_fold(t))
    for t in (
        "non so",
        "non saprei",
        "don't know",
        "dont know",
        "n/a",
        "na",
        "n.a.",
        "non applicabile",
        "not applicable",
        "preferisco non rispondere",
        "prefer not to say",
        "nessuna risposta",
    )
}
_TRUE = {"si", "s", "yes", "y", "vero", "true", "1", "x", "ok"}
_FALSE = {"no", "n", "falso", "false", "0"}
_DIGIT_LABEL = re.compile(r"^([0-9]+)(?:\s+(.*))?$")
_MULTI_SEP = re.compile(r"[;,|/]")


def _likert_one(value: object) -> tuple[int | None, str | None]:
    if not isinstance(value, str) and (value is None or pd.isna(value)):
        return None, None
    if isinstance(value, int | float | np.integer | np.floating):
        value = str(int(value)) if float(value).is_integer() else str(value)
    folded = _fold(str(value))
    if not folded:
        return None, None
    if _squash(folded) in _LIKERT:
        return _LIKERT[_squash(folded)], None
    if _squash(folded) in _NO_OPINION:
        return None, "no_opinion"
    folded = re.sub(r"^([0-9]+) 0$", r"\1", folded)  # "4.0" folds to "4 0"
    match = _DIGIT_LABEL.match(folded)
    if match:
        level = int(match.group(1))
        if not 1 <= level <= 5:
            return None, "out_of_range"
        label = match.group(2)
        if label is None:
            return level, None
        label = _squash(label)
        if _LIKERT.get(label) == level:
            return level, None
        return None, "inconsistent" if label in _LIKERT else "unknown_answer"
    return None, "unknown_answer"


def likert(value: object) -> int | None:
    """Likert level 1-5 of one answer; ``None`` when missing.

    Raises :class:`UnknownValue` for unrecognised answers (``code`` ``no_opinion``,
    ``inconsistent`` or ``unknown_answer``) and :class:`InvalidComponent` for digits outside
    1-5.

    >>> likert("4 - D'accordo"), likert("PER NIENTE D'ACCORDO"), likert(None)
    (4, 1, None)
    """
    level, flag = _likert_one(value)
    if flag == "out_of_range":
        raise InvalidComponent(f"Likert level outside 1-5: {value!r}", code=flag)
    if flag is not None:
        raise UnknownValue(f"not a Likert answer: {value!r}", code=flag)
    return level


def _yes_no_one(value: object) -> tuple[bool | None, str | None]:
    if isinstance(value, bool | np.bool_):
        return bool(value), None
    if not isinstance(value, str) and (value is None or pd.isna(value)):
        return None, None
    if isinstance(value, int | float | np.integer | np.floating) and float(value) in (0.0, 1.0):
        return bool(value), None
    folded = _fold(str(value))
    if not folded:
        return None, None
    if folded in _TRUE:
        return True, None
    if folded in _FALSE:
        return False, None
    if _squash(folded) in _NO_OPINION:
        return None, "no_opinion"
    return None, "unknown_answer"


def yes_no(value: object) -> bool | None:
    """``True`` / ``False`` for a yes/no answer; ``None`` when missing; else :class:`UnknownValue`.

    >>> yes_no("SI"), yes_no("Y"), yes_no("0"), yes_no("vero")
    (True, True, False, True)
    """
    answer, flag = _yes_no_one(value)
    if flag is not None:
        raise UnknownValue(f"not a yes/no answer: {value!r}", code=flag)
    return answer


NONE_SELECTED: frozenset[str] = frozenset({"nessuna", "nessuno", "none", "nothing", "-"})
"""Answers meaning "none of the options": an explicit empty selection (``""``), not a missing answer."""


def split_multi(value: object, sep: str | None = None) -> str | None:
    """Canonical text of a multi-select answer (see the module docstring); ``None`` if empty.

    An answer that is only "Nessuna" / "None" (:data:`NONE_SELECTED`) is an explicit empty
    selection and gives ``""``; a blank cell is a missing answer and gives ``None``.

    >>> split_multi("Security / Cloud;;security"), split_multi("a, b", sep=";"), split_multi("Nessuna")
    ('cloud;security', 'a, b', '')
    """
    if not isinstance(value, str):
        if value is None or pd.isna(value):
            return None
        value = str(value)
    parts = value.split(sep) if sep is not None else _MULTI_SEP.split(value)
    items = sorted({re.sub(r"\s+", " ", p).strip().lower() for p in parts} - {""})
    if items and set(items) <= NONE_SELECTED:
        return ""
    return ";".join(items) or None


def _by_unique(s: pd.Series, fn) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(s.astype("object").where(s.notna(), None), use_na_sentinel=True)
    values = np.full(len(uniques) + 1, None, dtype=object)
    flags = np.full(len(uniques) + 1, None, dtype=object)
    for i, u in enumerate(uniques):
        values[i], flags[i] = fn(u)
    return values[codes], flags[codes]


def clean_likert(s: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`likert`: DataFrame ``[value (Int8), flag]``, same index.

    >>> clean_likert(pd.Series(["Agree", "boh", None])).value.tolist()
    [4, <NA>, <NA>]
    """
    values, flags = _by_unique(s, _likert_one)
    return pd.DataFrame(
        {"value": pd.array(values, dtype="Int8"), "flag": pd.array(flags, dtype="string")}, index=s.index
    )


def clean_yes_no(s: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`yes_no`: DataFrame ``[value (boolean), flag]``, same index."""
    values, flags = _by_unique(s, _yes_no_one)
    return pd.DataFrame(
        {"value": pd.array(values, dtype="boolean"), "flag": pd.array(flags, dtype="string")}, index=s.index
    )


def clean_multi(s: pd.Series, sep: str | None = None) -> pd.Series:
    """Vectorised :func:`split_multi`: canonical ``;``-joined text (string dtype), same index."""
    values, _ = _by_unique(s, lambda v: (split_multi(v, sep), None))
    return pd.Series(pd.array(values, dtype="string"), index=s.index, name=s.name)


def normalise_mix(
    shares: pd.DataFrame,
    tolerance: float = 0.05,
    *,
    scale: Literal["fraction", "percent"] | None = None,
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Rescale a revenue mix so that each accepted row sums to 1 (see the module docstring).

    Parameters
    ----------
    shares
        One column per component, numeric (fractions or percents; already parsed).
    tolerance
        Accepted distance of the raw row sum from 1 (fractions) — ``100 * tolerance`` from 100
        for percents.  Default 0.05.
    scale
        ``"fraction"`` or ``"percent"`` to force one reading for every row; ``None`` reads each
        row by its sum.
    columns
        Component columns (default: all columns of ``shares``).

    Returns
    -------
    DataFrame with the component columns as ``Float64`` fractions (all ``<NA>`` on rejected
    rows) and a ``mix_flag`` string column, same index.

    >>> mix = pd.DataFrame({"a": [50, 0.3, 0.5, None, 0.9], "b": [48, 0.66, 0.1, None, None]})
    >>> normalise_mix(mix).round(4).to_numpy().tolist()  # doctest: +NORMALIZE_WHITESPACE
    [[0.5102, 0.4898, <NA>], [0.3125, 0.6875, <NA>], [<NA>, <NA>, 'mix_sum_out_of_tolerance'],
     [<NA>, <NA>, 'mix_missing'], [<NA>, <NA>, 'mix_sum_out_of_tolerance']]
    """
    cols = list(columns) if columns is not None else list(shares.columns)
    if not 0 <= tolerance < 0.5:
        raise ValueError("tolerance must be in [0, 0.5)")
    if scale not in (None, "fraction", "percent"):
        raise ValueError("scale must be 'fraction', 'percent' or None")
    raw = shares[cols].apply(pd.to_numeric, errors="coerce").astype("Float64")
    values = raw.to_numpy(dtype=float, na_value=np.nan)
    all_missing = np.isnan(values).all(axis=1)
    negative = (values < 0).any(axis=1)
    total = np.nansum(values, axis=1)
    as_fraction = np.abs(total - 1.0) <= tolerance + 1e-12
    as_percent = np.abs(total - 100.0) <= 100.0 * tolerance + 1e-10
    if scale == "fraction":
        as_percent[:] = False
    elif scale == "percent":
        as_fraction[:] = False
    accepted = (as_fraction | as_percent) & ~all_missing & ~negative
    flag = np.select(
        [all_missing, negative, ~accepted],
        ["mix_missing", "mix_negative", "mix_sum_out_of_tolerance"],
        default="",
    )
    out_values = np.full(values.shape, np.nan)
    filled = np.nan_to_num(values[accepted], nan=0.0)
    out_values[accepted] = filled / filled.sum(axis=1, keepdims=True)
    out = pd.DataFrame(out_values, columns=cols, index=shares.index).astype("Float64")
    out["mix_flag"] = pd.array(np.where(flag == "", None, flag), dtype="string")
    return out
