"""Clean each distinct value once: ``by_distinct(values, clean)`` spreads a row-wise cleaner's output back.

Register-scale columns repeat (a VAT, a region or a comune on many records): a cleaner whose
output row depends only on its input value gives the same table when run on the distinct
values and spread back by position.  Missing values are cleaned once too (as one missing
value), and ``"NA"`` (Napoli) is a value like any other, never missing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["DistinctCache", "by_distinct"]


def by_distinct(values: pd.Series, clean: Callable[[pd.Series], pd.DataFrame]) -> pd.DataFrame:
    """``clean(values)`` computed on the distinct values only, one output row per row of ``values``.

    Parameters
    ----------
    values
        The column to clean.
    clean
        A row-wise cleaner: its output row ``i`` depends only on ``values.iloc[i]`` (every
        vectorised cleaner of :mod:`channelstudy.clean` is one).  It is called once, on a
        Series of the distinct values followed by one missing value, with a fresh
        ``RangeIndex``.

    Returns
    -------
    DataFrame
        ``clean``'s columns and dtypes, indexed like ``values``.

    Examples
    --------
    >>> s = pd.Series(["NA", None, "NA", "Roma"], index=[10, 11, 12, 13], dtype="str")
    >>> out = by_distinct(s, lambda u: pd.DataFrame({"lower": u.str.lower()}))
    >>> out["lower"].tolist(), out.index.tolist()
    (['na', nan, 'na', 'roma'], [10, 11, 12, 13])
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype=values.dtype)
    missing = pd.Series([None], dtype=values.dtype)  # position len(uniques): code -1
    cleaned = clean(pd.concat([distinct, missing], ignore_index=True))
    rows = np.where(codes < 0, len(uniques), codes)
    return cleaned.take(rows).set_axis(values.index)


class DistinctCache:
    """:func:`by_distinct` across calls: a value cleaned in one call is not cleaned again in the next.

    Parameters
    ----------
    clean
        A row-wise cleaner of one or more aligned columns (one output row per row; row ``i``
        depends only on the values of row ``i``) whose output dtypes do not depend on the input
        (checked: a batch with other dtypes than the first raises ``TypeError``).  Each call
        cleans the rows whose values (all columns together) no earlier call brought.

    Calling the cache gives what ``clean(*columns)`` gives, indexed like the columns, whatever the
    earlier calls were: the build cleans the identities of each source as it arrives, with one
    cache per cleaner, and gets the table of one call on all sources.

    Examples
    --------
    >>> calls = []
    >>> def upper(s):
    ...     calls.append(s.tolist())
    ...     return pd.DataFrame({"upper": s.str.upper()})
    >>> cache = DistinctCache(upper)
    >>> cache(pd.Series(["Roma", "NA", "Roma"], dtype="str"))["upper"].tolist()
    ['ROMA', 'NA', 'ROMA']
    >>> cache(pd.Series(["NA", "Bari", None], index=[7, 8, 9], dtype="str"))["upper"].to_dict()
    {7: 'NA', 8: 'BARI', 9: nan}
    >>> calls
    [['Roma', 'NA'], ['Bari', nan]]
    """

    def __init__(self, clean: Callable[..., pd.DataFrame]) -> None:
        self.clean = clean
        self._position: dict[tuple, int] = {}
        self._batches: list[pd.DataFrame] = []
        self._table: pd.DataFrame | None = None

    def __call__(self, *columns: pd.Series) -> pd.DataFrame:
        codes, keys = _distinct_rows(columns)
        new = [key for key in dict.fromkeys(keys) if key not in self._position]
        if new:
            self._add(new, columns)
        table = self._table if self._table is not None else self.clean(*(c.iloc[:0] for c in columns))
        where = np.fromiter((self._position[key] for key in keys), dtype=np.intp, count=len(keys))
        return table.take(where[codes]).set_axis(columns[0].index)

    def _add(self, new: list[tuple], columns: tuple[pd.Series, ...]) -> None:
        batch = self.clean(*(pd.Series([key[i] for key in new], dtype=c.dtype) for i, c in enumerate(columns)))
        if self._batches and not batch.dtypes.equals(self._batches[0].dtypes):
            raise TypeError(f"{self.clean!r} gave dtypes {dict(batch.dtypes)} after {dict(self._batches[0].dtypes)}")
        for key in new:
            self._position[key] = len(self._position)
        self._batches.append(batch)
        self._table = pd.concat(self._batches, ignore_index=True)


def _distinct_rows(columns: tuple[pd.Series, ...]) -> tuple[np.ndarray, list[tuple]]:
    """Per row, the position of its values in ``keys``; ``keys`` the distinct value tuples (``None``: missing)."""
    coded = [pd.factorize(c, use_na_sentinel=True) for c in columns]
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for codes, uniques in coded:  # missing (-1) becomes len(uniques); mixed radix over the columns
        combined = combined * (len(uniques) + 1) + np.where(codes < 0, len(uniques), codes)
    distinct, row_codes = np.unique(combined, return_inverse=True)
    parts = []
    for _, uniques in reversed(coded):
        digit, distinct = np.divmod(distinct, len(uniques) + 1)[::-1]
        parts.append(np.append(np.asarray(uniques, dtype=object), None)[digit])
    return row_codes.reshape(-1), list(zip(*reversed(parts), strict=True))
