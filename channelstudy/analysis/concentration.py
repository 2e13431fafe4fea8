"""Concentration measures (H1): HHI, CRk, Gini and the Lorenz curve, overall or per group.

:func:`hhi` (Herfindahl-Hirschman index), :func:`concentration_ratio` (CR\\ *k*), :func:`gini`
and :func:`lorenz_curve` measure the concentration of a non-negative quantity (revenue,
employees) over units (firms); :func:`concentration_table` computes them per group (partner
type, ATECO class) in one vectorised pass.  The size-distribution tail is in
:mod:`channelstudy.analysis.tails`.

All measures reject empty input, negative and infinite values with a :class:`ValueError`; missing
values (NaN) are dropped when ``dropna=True`` (the default) and rejected otherwise.

Cross-country comparisons on real published statistics live in :mod:`channelstudy.analysis.external`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

MICRO_MAX_EMPLOYEES: int = 9
"""Largest size of a *micro* enterprise (0-9 persons employed), as in the EU SME definition and the
SBS size class ``0-9`` used by :mod:`channelstudy.analysis.external`."""


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


def as_float_array(values: ArrayLike) -> np.ndarray:
    """``values`` as a flat float array, missing values (None, NaN, pd.NA) as NaN."""
    array = np.asarray(values)
    if array.dtype.kind in "biuf":
        return array.astype(float, copy=False).ravel()
    return pd.array(array.ravel(), dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def clean_values(values: ArrayLike, *, dropna: bool, what: str = "values") -> np.ndarray:
    """``values`` as a 1-d float array, NaN dropped (or rejected), checked non-empty and >= 0."""
    array = as_float_array(values)
    missing = np.isnan(array)
    if missing.any():
        if not dropna:
            raise ValueError(
                f"{what} contain {int(missing.sum())} missing value(s); pass dropna=True to ignore them"
            )
        array = array[~missing]
    if array.size == 0:
        raise ValueError(f"{what} are empty (after dropping missing values)")
    if np.isinf(array).any():
        raise ValueError(f"{what} contain infinite values")
    if (array < 0).any():
        raise ValueError(
            f"{what} contain {int((array < 0).sum())} negative value(s); shares need values >= 0"
        )
    return array


def positive_total(array: np.ndarray, what: str = "values") -> float:
    total = float(array.sum())
    if total <= 0:
        raise ValueError(f"{what} sum to zero: shares are undefined")
    return total


# --------------------------------------------------------------------------------------------
# Concentration measures
# --------------------------------------------------------------------------------------------


def hhi(values: ArrayLike, *, dropna: bool = True) -> float:
    """Herfindahl-Hirschman index of concentration, on the 0-1 scale.

    The sum of squared shares ``s_i = x_i / sum(x)``. It ranges from ``1/n`` (``n`` equal units)
    to 1 (one unit holds everything). Multiply by 10,000 for the antitrust scale (shares in
    percent, squared: 1,500 and 2,500 are the usual "moderately" / "highly concentrated"
    thresholds of the US merger guidelines).

    Parameters
    ----------
    values
        Non-negative sizes of the units (revenue, employees, ...); not all zero.
    dropna
        Drop missing values (NaN/NA) before computing; if False, missing values raise.

    Returns
    -------
    float
        The index, in ``[1/n, 1]``.

    Raises
    ------
    ValueError
        On empty input, negative or infinite values, or an all-zero total.

    Examples
    --------
    >>> hhi([1, 1, 1, 1])
    0.25
    >>> round(hhi([70, 20, 10]) * 10_000)
    5400
    """
    array = clean_values(values, dropna=dropna)
    shares = array / positive_total(array)
    return float(np.sum(shares**2))


def concentration_ratio(values: ArrayLike, k: int = 4, *, dropna: bool = True) -> float:
    """Concentration ratio CR\\ *k*: the combined share of the ``k`` largest units.

    Parameters
    ----------
    values
        Non-negative sizes of the units; not all zero.
    k
        Number of largest units (a positive integer). When there are ``k`` units or fewer the
        ratio is 1.
    dropna
        Drop missing values before computing; if False, missing values raise.

    Returns
    -------
    float
        The share in ``[k/n, 1]`` (``[0, 1]`` in general).

    Raises
    ------
    ValueError
        On ``k < 1``, empty input, negative or infinite values, or an all-zero total.

    Examples
    --------
    >>> concentration_ratio([5, 5, 5, 5], k=4)
    1.0
    >>> concentration_ratio([50, 30, 10, 5, 5], k=2)
    0.8
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    array = clean_values(values, dropna=dropna)
    total = positive_total(array)
    largest = np.sort(array)[::-1][:k]
    return float(largest.sum() / total)


def gini(values: ArrayLike, *, unbiased: bool = False, dropna: bool = True) -> float:
    """Gini coefficient of the distribution of ``values`` over units.

    Computed on the ascending-sorted values as
    ``G = sum_i (2 i - n - 1) x_(i) / (n * sum(x))`` (``i = 1..n``), which equals the mean absolute
    difference over twice the mean. It is 0 when all units are equal and ``(n - 1)/n`` when one
    unit holds everything. With ``unbiased=True`` it is multiplied by ``n / (n - 1)`` (the
    small-sample correction; the maximum becomes 1).

    Parameters
    ----------
    values
        Non-negative sizes of the units; not all zero.
    unbiased
        Apply the ``n / (n - 1)`` correction (needs at least two units).
    dropna
        Drop missing values before computing; if False, missing values raise.

    Returns
    -------
    float
        In ``[0, (n - 1)/n]``, or ``[0, 1]`` with ``unbiased=True``.

    Raises
    ------
    ValueError
        On empty input, negative or infinite values, an all-zero total, or ``unbiased=True``
        with a single unit.

    Examples
    --------
    >>> gini([3, 3, 3])
    0.0
    >>> gini([0, 0, 0, 10])
    0.75
    >>> gini([0, 0, 0, 10], unbiased=True)
    1.0
    """
    array = np.sort(clean_values(values, dropna=dropna))
    total = positive_total(array)
    n = array.size
    if unbiased and n < 2:
        raise ValueError("the unbiased Gini needs at least two units")
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    g = float(np.dot(weights, array) / (n * total))
    return g * n / (n - 1) if unbiased else g


def lorenz_curve(values: ArrayLike, *, dropna: bool = True) -> pd.DataFrame:
    """Lorenz curve: cumulative share of value against cumulative share of units.

    Units are sorted from smallest to largest; the curve starts at (0, 0) and ends at (1, 1),
    is non-decreasing and convex, and lies on or below the diagonal.

    Parameters
    ----------
    values
        Non-negative sizes of the units; not all zero.
    dropna
        Drop missing values before computing; if False, missing values raise.

    Returns
    -------
    pandas.DataFrame
        ``n + 1`` rows with float columns ``cum_share_units`` and ``cum_share_value``.

    Raises
    ------
    ValueError
        On empty input, negative or infinite values, or an all-zero total.

    Examples
    --------
    >>> lorenz_curve([1, 3]).to_dict("list")
    {'cum_share_units': [0.0, 0.5, 1.0], 'cum_share_value': [0.0, 0.25, 1.0]}
    """
    array = np.sort(clean_values(values, dropna=dropna))
    total = positive_total(array)
    n = array.size
    cum_value = np.concatenate([[0.0], np.cumsum(array) / total])
    cum_value[-1] = 1.0  # exact end point despite floating-point accumulation
    return pd.DataFrame({"cum_share_units": np.arange(n + 1) / n, "cum_share_value": cum_value})


def concentration_table(
    df: pd.DataFrame,
    value: str,
    by: str | Sequence[str],
    *,
    employees: str | None = None,
    micro_max: int = MICRO_MAX_EMPLOYEES,
) -> pd.DataFrame:
    """Concentration measures of ``value`` per group, in one vectorised pass.

    Rows with a missing ``value`` (or a missing group key) are dropped; each group's measures are
    those of :func:`hhi`, :func:`concentration_ratio` (k = 4 and 10) and :func:`gini` (biased) on the
    group's values. A group whose values sum to zero gets NaN measures.

    Parameters
    ----------
    df
        One row per unit (firm).
    value
        Column with the non-negative size to measure (revenue, employees).
    by
        Grouping column(s), e.g. ``"partner_type"`` or ``["partner_type", "ateco_2025"]``.
    employees
        Optional column of persons employed per unit. When given, two more columns are added:
        ``micro_firm_share`` (share of units with at most ``micro_max`` employees, among the
        group's units that have a ``value`` and a known head count - all columns describe the same
        units) and ``micro_value_share`` (share of the group's ``value`` held by micro units; units
        with an unknown head count count as not micro - for turnover, the analogue of the SBS
        turnover share of the 0-9 class).
    micro_max
        Largest head count of a micro firm (default 9).

    Returns
    -------
    pandas.DataFrame
        One row per group (groups as columns, sorted), with columns ``n`` (units with a value),
        ``total``, ``hhi``, ``cr4``, ``cr10``, ``gini`` and, with ``employees``, the two micro shares.

    Raises
    ------
    KeyError
        If a named column is missing.
    ValueError
        If ``value`` has negative or infinite entries, or no row has a value.

    Examples
    --------
    >>> firms = pd.DataFrame({"type": ["a", "a", "b", "b", "b"],
    ...                       "revenue": [1.0, 1.0, 8.0, 1.0, 1.0],
    ...                       "employees": [3, 40, 12, 2, 1]})
    >>> concentration_table(firms, "revenue", "type", employees="employees").round(3)
      type  n  total   hhi  cr4  cr10   gini  micro_firm_share  micro_value_share
    0    a  2    2.0  0.50  1.0   1.0  0.000             0.500                0.5
    1    b  3   10.0  0.66  1.0   1.0  0.467             0.667                0.2
    """
    keys = [by] if isinstance(by, str) else list(by)
    needed = [*keys, value, *([employees] if employees else [])]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise KeyError(f"concentration_table: missing column(s) {missing}")
    columns = {"_x": as_float_array(pd.to_numeric(df[value], errors="raise"))}
    if employees:
        head = as_float_array(pd.to_numeric(df[employees], errors="raise"))
        is_micro = head <= micro_max  # False where the head count is missing
        columns |= {
            "_micro": np.where(np.isnan(head), np.nan, is_micro.astype(float)),
            "_micro_x": np.where(is_micro, columns["_x"], 0.0),
        }
    frame = df[keys].reset_index(drop=True).assign(**columns).dropna(subset=[*keys, "_x"])
    if frame.empty:
        raise ValueError(f"concentration_table: no row has a value in {value!r}")
    check_finite_nonnegative(frame["_x"].to_numpy(), value)
    ranked = _with_group_ranks(frame, keys)
    grouped = ranked.groupby(keys, sort=True, observed=True)
    table = grouped.agg(
        n=("_x", "size"),
        total=("_x", "sum"),
        _sum_sq=("_x2", "sum"),
        _top4=("_top4", "sum"),
        _top10=("_top10", "sum"),
        _gini_num=("_gini_w", "sum"),
        **(
            {"micro_firm_share": ("_micro", "mean"), "_micro_total": ("_micro_x", "sum")} if employees else {}
        ),
    )
    positive = table["total"].where(table["total"] > 0)
    table = table.assign(
        hhi=table["_sum_sq"] / positive**2,
        cr4=table["_top4"] / positive,
        cr10=table["_top10"] / positive,
        gini=table["_gini_num"] / (table["n"] * positive),
    )
    if employees:
        table = table.assign(micro_value_share=table["_micro_total"] / positive)
    columns = ["n", "total", "hhi", "cr4", "cr10", "gini"]
    if employees:
        columns += ["micro_firm_share", "micro_value_share"]
    return table[columns].astype({"n": "int64"}).reset_index()


def check_finite_nonnegative(array: np.ndarray, what: str) -> None:
    if np.isinf(array).any():
        raise ValueError(f"{what} contains infinite values")
    if (array < 0).any():
        raise ValueError(f"{what} contains {int((array < 0).sum())} negative value(s)")


def _with_group_ranks(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Add the per-row terms whose group sums give HHI, CR4, CR10 and the Gini numerator."""
    ordered = frame.sort_values([*keys, "_x"], kind="mergesort")
    grouped = ordered.groupby(keys, sort=False, observed=True)["_x"]
    rank_up = grouped.cumcount().to_numpy() + 1  # 1 = smallest in its group
    n_group = grouped.transform("size").to_numpy()
    rank_down = n_group - rank_up + 1  # 1 = largest in its group
    x = ordered["_x"].to_numpy()
    return ordered.assign(
        _x2=x**2,
        _top4=np.where(rank_down <= 4, x, 0.0),
        _top10=np.where(rank_down <= 10, x, 0.0),
        _gini_w=(2.0 * rank_up - n_group - 1) * x,
    )
