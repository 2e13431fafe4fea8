"""EU SME size class of a firm from persons employed and turnover (Recommendation 2003/361/EC).

>>> size_class([9, 10, 49, 50, 249, 250, None]).tolist()
['micro', 'small', 'small', 'medium', 'medium', 'large', nan]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from channelstudy.vocabulary import SIZE_CLASSES

SIZE_CLASS_DTYPE = pd.CategoricalDtype(list(SIZE_CLASSES), ordered=True)
"""Ordered categorical dtype of :func:`size_class`: micro < small < medium < large."""

HEADCOUNT_CEILINGS: tuple[int, int, int] = (10, 50, 250)
"""Persons employed: micro < 10, small < 50, medium < 250 (Recommendation 2003/361/EC)."""

TURNOVER_CEILINGS_EUR: tuple[float, float, float] = (2e6, 10e6, 50e6)
"""Annual turnover in euros: micro <= 2 M, small <= 10 M, medium <= 50 M (2003/361/EC)."""


def _as_float(values: Iterable[float] | pd.Series, name: str) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    numeric = pd.to_numeric(series, errors="raise").astype("float64")
    if (numeric < 0).any():
        raise ValueError(f"{name} must not be negative")
    return numeric


def size_class(
    employees: Iterable[float] | pd.Series, revenue_eur: Iterable[float] | pd.Series | None = None
) -> pd.Series:
    """EU SME size class of each firm from persons employed and turnover.

    Recommendation 2003/361/EC: *micro* is fewer than 10 persons and turnover (or balance-sheet
    total) at most 2 M€; *small* fewer than 50 and at most 10 M€; *medium* fewer than 250 and at
    most 50 M€; otherwise *large*.  The balance-sheet total is not available, so:

    * with both headcount and turnover known, the class is the **larger** of the headcount class
      and the turnover class (a firm of 5 persons and 3 M€ turnover is small);
    * with turnover missing, the headcount class alone;
    * with headcount missing, NA (turnover alone does not decide the class).

    Because the alternative balance-sheet ceiling cannot rescue a firm over the turnover ceiling,
    a few firms may be classed one step larger than the Recommendation would class them.

    Parameters
    ----------
    employees : Series or array-like of float
        Persons employed (headcount or annual work units); NA allowed, negative values not.
    revenue_eur : Series or array-like of float, optional
        Annual turnover in euros, aligned by position with ``employees``; NA allowed.

    Returns
    -------
    Series
        Ordered categorical (:data:`SIZE_CLASS_DTYPE`) named ``size_class``, on the index of
        ``employees`` when it is a Series.

    Examples
    --------
    >>> size_class([9, 10, 49, 50, 249, 250, None]).tolist()
    ['micro', 'small', 'small', 'medium', 'medium', 'large', nan]
    >>> size_class([5, 5, 5], [2e6, 2_000_001, None]).tolist()
    ['micro', 'small', 'micro']
    """
    heads = _as_float(employees, "employees")
    head_code = np.searchsorted(np.asarray(HEADCOUNT_CEILINGS, dtype=float), heads.to_numpy(), side="right")
    code = head_code
    if revenue_eur is not None:
        turnover = _as_float(revenue_eur, "revenue_eur").to_numpy()
        if len(turnover) != len(heads):
            raise ValueError(f"revenue_eur has {len(turnover)} values, employees {len(heads)}")
        turn_code = np.searchsorted(np.asarray(TURNOVER_CEILINGS_EUR), turnover, side="left")
        code = np.where(np.isnan(turnover), head_code, np.maximum(head_code, turn_code))
    code = np.where(heads.isna().to_numpy(), -1, code)
    return pd.Series(
        pd.Categorical.from_codes(code, dtype=SIZE_CLASS_DTYPE), index=heads.index, name="size_class"
    )
