"""Survey weights of the study: every wave raked to the same population margins; weighted estimates.

* :func:`weight_waves` -- raking (:func:`channelstudy.analysis.raking.rake`) of every survey wave
  to the same margins, with a per-wave report;
* :func:`weighted_share`, :func:`weighted_mean` and :func:`weighted_means` -- the weighted
  estimates the notebooks use (the last with a linearised SE clustered by firm).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from channelstudy.analysis.raking import (
    DEFAULT_DIMENSIONS,
    RakingConfig,
    RakingResult,
    dimension_columns,
    population_margins,
    rake,
)
from channelstudy.analysis.replicates import replicate_se
from channelstudy.clean.size import size_class
from channelstudy.errors import UncoveredCellError

REPORT_COLUMNS: tuple[str, ...] = (
    "n",
    "n_excluded",
    "population_total",
    "converged",
    "iterations",
    "max_margin_error",
    "trimmed",
    "max_weight_ratio",
    "cap_met",
    "deff_kish",
    "n_effective",
    "weight_min",
    "weight_median",
    "weight_max",
    "collapsed_cells",
    "thin_cells",
    "uncovered_cells",
    "population_uncovered",
)
"""Columns of the report of :func:`weight_waves` (one row per wave)."""


def _with_size_class(table: pd.DataFrame, columns: set[str]) -> pd.DataFrame:
    """Add ``size_class`` from ``employees`` (and ``revenue_eur``) when it is needed and absent."""
    if "size_class" not in columns or "size_class" in table.columns or "employees" not in table.columns:
        return table
    revenue = table["revenue_eur"] if "revenue_eur" in table.columns else None
    return table.assign(size_class=size_class(table["employees"], revenue))


def weight_waves(
    survey: pd.DataFrame,
    frame: pd.DataFrame,
    *,
    wave_col: str = "wave",
    dimensions: Sequence[str | tuple[str, ...]] = DEFAULT_DIMENSIONS,
    config: RakingConfig | None = None,
    drop_uncovered: bool = True,
) -> tuple[pd.Series, pd.DataFrame]:
    """Rake every survey wave separately to the same population margins of a frame.

    When ``size_class`` is a dimension but a column of that name is missing from the survey or
    the frame, it is computed there by :func:`size_class` from ``employees`` and ``revenue_eur``.
    Survey rows with a missing wave get NA weights.

    A population cell with no respondent in a wave that collapsing cannot fill (e.g. no distributor
    of any size answered) makes raking impossible.  With ``drop_uncovered`` (the default) that wave
    is raked to the population *without* the cell's units -- left out of every margin, so the
    margins still agree -- and the report names the cell (``uncovered_cells``) and counts its units
    (``population_uncovered``): the wave's weights then stand for the rest of the population, and
    the other waves keep theirs.  Without it, :class:`~channelstudy.errors.UncoveredCellError` is
    raised.

    Parameters
    ----------
    survey : DataFrame
        Respondents of all waves (one row per firm and wave), with ``wave_col`` and the dimensions.
    frame : DataFrame
        Population frame (one row per firm, e.g. the resolved directory without platform vendors).
    wave_col : str
        Column naming the wave.
    dimensions : sequence of str or tuple of str
        Raking margins, as for :func:`population_margins`.
    config : RakingConfig, optional

    Returns
    -------
    weights : Series
        On the survey's index, named ``weight``; each wave's weights sum to the population total.
    report : DataFrame
        One row per wave (index ``wave_col``), columns :data:`REPORT_COLUMNS`.

    Examples
    --------
    >>> frame = pd.DataFrame({"kind": ["a"] * 60 + ["b"] * 40})
    >>> survey = pd.DataFrame({"wave": [1, 1, 1, 2, 2], "kind": ["a", "b", "b", "a", "b"]})
    >>> weights, report = weight_waves(survey, frame, dimensions=["kind"], config=RakingConfig(min_cell=1))
    >>> weights.tolist()
    [60.0, 20.0, 20.0, 60.0, 40.0]
    >>> report["deff_kish"].round(3).tolist()
    [1.32, 1.04]

    No ``b`` answered in wave 2, so it stands for the 60 ``a`` only:

    >>> survey = pd.DataFrame({"wave": [1, 1, 2, 2], "kind": ["a", "b", "a", "a"]})
    >>> weights, report = weight_waves(survey, frame, dimensions=["kind"], config=RakingConfig(min_cell=1))
    >>> weights.tolist(), report["population_uncovered"].tolist()
    ([60.0, 40.0, 30.0, 30.0], [0.0, 40.0])
    >>> report.loc[2, "uncovered_cells"]
    'kind: b (40 units)'
    """
    columns = {c for d in dimensions for c in dimension_columns(d)}
    if wave_col not in survey.columns:
        raise KeyError(f"survey lacks the wave column {wave_col!r}")
    frame = _with_size_class(frame, columns)
    margins = population_margins(frame, dimensions)
    frame = frame.dropna(subset=sorted(columns))  # what the margins count (population_margins warned)
    survey = _with_size_class(survey, columns)
    weights = np.full(len(survey), np.nan)
    rows = {}
    waves = survey[wave_col].to_numpy()
    for wave in pd.unique(survey[wave_col].dropna()):
        positions = np.flatnonzero(waves == wave)
        result, uncovered = _rake_covered(survey.iloc[positions], frame, margins, dimensions, config, drop_uncovered)
        weights[positions] = result.weights.to_numpy()
        rows[wave] = result.summary() | {
            "uncovered_cells": "; ".join(f"{e.margin}: {e.label} ({e.population:g} units)" for e in uncovered),
            "population_uncovered": float(sum(e.population for e in uncovered)),
        }
    report = pd.DataFrame.from_dict(rows, orient="index", columns=list(REPORT_COLUMNS)).rename_axis(wave_col)
    return pd.Series(weights, index=survey.index, name="weight"), report.sort_index()


def _rake_covered(
    sample: pd.DataFrame,
    frame: pd.DataFrame,
    margins: dict[str, pd.Series],
    dimensions: Sequence[str | tuple[str, ...]],
    config: RakingConfig | None,
    drop_uncovered: bool,
) -> tuple[RakingResult, list[UncoveredCellError]]:
    """:func:`rake` of one wave; with ``drop_uncovered``, each cell it cannot cover is taken out of the
    frame (and so of every margin) and the wave raked again.  Returns the result and the cells dropped."""
    uncovered: list[UncoveredCellError] = []
    while True:
        try:
            return rake(sample, margins, config=config), uncovered
        except UncoveredCellError as exc:
            if not drop_uncovered:
                raise
            uncovered.append(exc)
            inside = pd.MultiIndex.from_frame(frame[list(exc.columns)].astype(object)).isin(list(exc.cells))
            frame = frame[~inside]
            margins = population_margins(frame, dimensions)


# --------------------------------------------------------------------------------------------
# Weighted estimates
# --------------------------------------------------------------------------------------------


def _pairs(values: pd.Series, weights: pd.Series | Iterable[float]) -> tuple[pd.Series, np.ndarray]:
    """Values and weights with pairs missing either dropped; weights must be non-negative."""
    if isinstance(weights, pd.Series):
        if not weights.index.equals(values.index):
            raise ValueError("weights must be on the index of the values")
        w = weights.to_numpy(dtype="float64", na_value=np.nan)
    else:
        w = np.asarray(weights, dtype="float64")
    if w.shape != (len(values),):
        raise ValueError(f"weights has shape {w.shape}, the values {len(values)} rows")
    if (w < 0).any() or np.isinf(w).any():
        raise ValueError("weights must be non-negative and finite")
    keep = values.notna().to_numpy() & ~np.isnan(w)
    if not w[keep].sum() > 0:
        raise ValueError("no positive weight on a non-missing value")
    return values[keep], w[keep]


def weighted_share(values: pd.Series, weights: pd.Series | Iterable[float]) -> pd.Series:
    """Weighted share of each value (category) among the non-missing values; the shares sum to 1.

    Pairs with a missing value or weight are dropped.  A categorical keeps all its categories
    (zero shares included), in category order; other values are sorted.

    Parameters
    ----------
    values : Series
        Categorical, boolean or any hashable values.
    weights : Series or array-like
        Non-negative weights, on the index of ``values`` when a Series.

    Returns
    -------
    Series
        Share by value, named ``share``.

    Examples
    --------
    >>> weighted_share(pd.Series([True, False, True, None]), [1.0, 2.0, 1.0, 5.0]).to_dict()
    {False: 0.5, True: 0.5}
    """
    values = values if isinstance(values, pd.Series) else pd.Series(values)
    kept, w = _pairs(values, weights)
    totals = pd.Series(w).groupby(kept.reset_index(drop=True), observed=False, sort=True).sum()
    return (totals / w.sum()).rename("share").rename_axis(values.name)


def weighted_mean(x: pd.Series | Iterable[float], w: pd.Series | Iterable[float]) -> float:
    """Weighted mean ``sum(w * x) / sum(w)`` over pairs where neither is missing.

    Examples
    --------
    >>> weighted_mean(pd.Series([1.0, 3.0, None]), [3.0, 1.0, 10.0])
    1.5
    """
    values = x if isinstance(x, pd.Series) else pd.Series(x)
    kept, weights = _pairs(pd.to_numeric(values), w)
    return float(np.sum(kept.to_numpy(dtype="float64") * weights) / weights.sum())


Z95 = 1.959963984540054
"""Standard normal quantile for a 95 % interval."""


def weighted_means(
    data: pd.DataFrame, value: str, by: str | list[str], *, weight: str = "weight", cluster: str = "firm_id",
    replicates: pd.DataFrame | None = None, replicate_method: str = "bootstrap",
) -> pd.DataFrame:
    """Weighted mean of ``value`` per group with a 95 % CI (linearised or replicate SE, by firm).

    Linearised (default): SE = sqrt(k / (k - 1) * sum_g (sum_{i in g} w_i (x_i - m))^2) / sum(w)
    over the k firms of a group: the sandwich variance of a ratio estimator, robust to a firm
    answering in several waves, treating the weights as fixed.  With ``replicates`` (from
    :func:`channelstudy.analysis.replicates.replicate_weights`, on ``data``'s index, weights
    re-estimated on each replicate) the SE is the replicate SE, which carries the calibration.

    Examples
    --------
    >>> d = pd.DataFrame({"g": ["a"] * 4, "x": [1.0, 2.0, 3.0, 4.0], "weight": 1.0, "firm_id": list("pqrs")})
    >>> weighted_means(d, "x", "g")[["mean", "ci_low"]].round(3).to_dict("records")
    [{'mean': 2.5, 'ci_low': 1.235}]
    """
    d = data.dropna(subset=[value, weight])
    rows = []
    for key, g in d.groupby(by, observed=True, sort=True):
        x, w = g[value].astype(float).to_numpy(), g[weight].astype(float).to_numpy()
        m = float(np.sum(w * x) / w.sum())
        scores = pd.Series(w * (x - m)).groupby(g[cluster].to_numpy()).sum().to_numpy()
        k = len(scores)
        se = float(np.sqrt(k / (k - 1) * np.sum(scores**2)) / w.sum()) if k > 1 else np.nan
        if replicates is not None:
            se = replicate_se(g[value].astype(float), g[weight].astype(float), replicates.loc[g.index],
                              method=replicate_method)
        keys = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip([by] if isinstance(by, str) else by, keys, strict=True)),
                "mean": m,
                "ci_low": m - Z95 * se,
                "ci_high": m + Z95 * se,
                "responses": len(g),
                "firms": k,
            }
        )
    names = [by] if isinstance(by, str) else list(by)
    return pd.DataFrame(rows, columns=[*names, "mean", "ci_low", "ci_high", "responses", "firms"])
