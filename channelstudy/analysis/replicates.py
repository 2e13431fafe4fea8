"""Replicate weights: variance that accounts for calibration (bootstrap or jackknife over firms).

The linearised SE of a weighted mean (:func:`channelstudy.analysis.weights.weighted_means`) treats
the weights as fixed; calibrated weights are estimated from the sample, and re-estimating them on
every resample carries that uncertainty into the SE (calibration on a margin correlated with the
outcome *reduces* it, as a regression estimator does).  :func:`replicate_weights` resamples firms
(all responses of a firm together) and re-runs the weighting on each resample:

* ``"bootstrap"`` -- Rao-Wu rescaling bootstrap: ``n - 1`` firms drawn with replacement, base weight
  of a firm = times drawn x n / (n - 1); variance = mean squared deviation of the replicate
  estimates from the full-sample estimate;
* ``"jackknife"`` -- delete-a-group jackknife (JK1): firms split at random into ``n_replicates``
  groups, replicate ``g`` drops group ``g`` (others x G / (G - 1)); variance =
  (G - 1) / G x sum of squared deviations.

The weighting is any function ``weigh(sample, base_weights) -> weights`` (e.g. a call of
:func:`channelstudy.analysis.calibration.calibrate` or :func:`~channelstudy.analysis.raking.rake`).

Examples
--------
>>> sample = pd.DataFrame({"firm_id": [f"F{i}" for i in range(40)], "k": ["a", "b"] * 20,
...                        "y": np.arange(40.0)})
>>> def weigh(s, base):
...     return base / base.groupby(s["k"]).transform("sum") * 50  # 50 firms per k
>>> reps = replicate_weights(sample, weigh, method="jackknife", n_replicates=10)
>>> reps.shape
(40, 10)
>>> se = replicate_se(sample["y"], weigh(sample, pd.Series(1.0, index=sample.index)), reps,
...                   method="jackknife")
>>> round(se, 2)
1.69
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from channelstudy.errors import RakingError

METHODS: tuple[str, ...] = ("bootstrap", "jackknife")

Weigh = Callable[[pd.DataFrame, pd.Series], pd.Series]
"""``weigh(sample, base_weights) -> weights`` on the sample's index (NA allowed)."""


def replicate_weights(sample: pd.DataFrame, weigh: Weigh, *, method: str = "bootstrap", n_replicates: int = 100,
                      cluster: str = "firm_id", random_state: int = 0) -> pd.DataFrame:
    """Weights re-estimated on resamples of firms, one column per replicate.

    Rows a replicate drops get weight 0; a replicate whose weighting fails (a calibration cell
    left empty) is all NaN and is ignored by :func:`replicate_se`.

    Parameters
    ----------
    sample : DataFrame
        Respondents, with ``cluster`` and what ``weigh`` needs.
    weigh : callable
        ``weigh(subsample, base_weights)`` returning weights on the subsample's index.
    method : {"bootstrap", "jackknife"}
    n_replicates : int
        Bootstrap replicates, or jackknife groups.
    cluster : str
        Column of the resampled unit (a firm answering several waves is one unit).
    random_state : int

    Returns
    -------
    DataFrame
        Shape (len(sample), n_replicates), on the sample's index, columns ``r0``, ``r1``, ...
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if int(n_replicates) != n_replicates or n_replicates < 2:
        raise ValueError(f"n_replicates must be an integer >= 2, got {n_replicates}")
    rng = np.random.default_rng(random_state)
    firms, codes = np.unique(sample[cluster].astype(str).to_numpy(), return_inverse=True)
    n = len(firms)
    if method == "jackknife":
        groups = rng.permutation(np.arange(n) % n_replicates)
    out = np.full((len(sample), n_replicates), np.nan)
    for r in range(n_replicates):
        if method == "bootstrap":
            factor = np.bincount(rng.integers(0, n, n - 1), minlength=n) * n / (n - 1)
        else:
            factor = np.where(groups == r, 0.0, n_replicates / (n_replicates - 1))
        base = factor[codes]
        kept = base > 0
        try:
            w = weigh(sample.loc[kept], pd.Series(base[kept], index=sample.index[kept]))
        except RakingError:
            continue
        column = np.zeros(len(sample))
        column[kept] = np.asarray(w, dtype=float)
        out[:, r] = column
    return pd.DataFrame(out, index=sample.index, columns=[f"r{r}" for r in range(n_replicates)])


def _ratio_mean(x: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(x) & ~np.isnan(w)
    return float(np.sum(w[ok] * x[ok]) / np.sum(w[ok]))


def replicate_estimates(values: pd.Series, replicates: pd.DataFrame,
                        statistic: Callable[[np.ndarray, np.ndarray], float] = _ratio_mean) -> np.ndarray:
    """The statistic (default the weighted mean) under each replicate's weights (NaN if it failed)."""
    x = values.to_numpy(dtype=float, na_value=np.nan)
    return np.array([statistic(x, replicates[c].to_numpy()) if replicates[c].notna().all() else np.nan
                     for c in replicates.columns])


def replicate_se(values: pd.Series, weights: pd.Series, replicates: pd.DataFrame, *, method: str = "bootstrap",
                 statistic: Callable[[np.ndarray, np.ndarray], float] = _ratio_mean) -> float:
    """Replicate SE of a weighted statistic (default the weighted mean of ``values``).

    Parameters
    ----------
    values : Series
    weights : Series
        Full-sample weights (the estimate the replicates deviate from).
    replicates : DataFrame
        From :func:`replicate_weights` with the same ``method``.
    method : {"bootstrap", "jackknife"}
    statistic : callable
        ``statistic(values, weights) -> float``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    full = statistic(values.to_numpy(dtype=float, na_value=np.nan), weights.to_numpy(dtype=float, na_value=np.nan))
    est = replicate_estimates(values, replicates, statistic)
    est = est[~np.isnan(est)]
    if len(est) < 2:
        return float("nan")
    dev = np.sum((est - full) ** 2)
    if method == "bootstrap":
        return float(np.sqrt(dev / len(est)))
    g = replicates.shape[1]
    return float(np.sqrt((g - 1) / g * dev))
