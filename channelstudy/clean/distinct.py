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

__all__ = ["by_distinct"]


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
