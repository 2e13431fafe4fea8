"""Replicate-weight variance of the weighted estimators (the ``variance`` option).

``linearised`` (default) is the sandwich SE clustered by firm, which takes the weights as fixed;
``bootstrap`` and ``jackknife`` re-estimate the coefficient under replicate weights over firms
(:func:`channelstudy.analysis.replicates.replicate_weights`: Rao-Wu bootstrap or delete-a-group
jackknife, a firm's waves resampled together), the weighting redone on each replicate: re-raked by
``data.weigh(sample, base)`` when the study data carries it, else the survey weight times the
replicate's resampling factor (exact for design weights, as in the truth study).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from channelstudy.analysis.replicates import replicate_weights

__all__ = ["REPLICATES", "SEED", "VARIANCES", "check_variance", "replicate_se_of", "replicates_for",
           "rescaled_weights", "survey_replicates", "variance_label"]

SEED = 20240611
VARIANCES: tuple[str, ...] = ("linearised", "bootstrap", "jackknife")
"""SE of a weighted estimator: linearised (sandwich, clustered by firm; weights taken as fixed) or from
replicate weights (Rao-Wu bootstrap or delete-a-group jackknife over firms, the weighting redone on each
replicate, :mod:`channelstudy.analysis.replicates`)."""
REPLICATES = 50
"""Replicates (bootstrap) or groups (jackknife) of a replicate-weight SE."""


def check_variance(variance: str, n_replicates: int) -> None:
    if variance not in VARIANCES:
        raise ValueError(f"variance must be one of {VARIANCES}, got {variance!r}")
    if int(n_replicates) != n_replicates or n_replicates < 2:
        raise ValueError(f"n_replicates must be an integer >= 2, got {n_replicates}")


def variance_label(variance: str, n_replicates: int) -> str:
    """How the SE is computed, in words.

    >>> variance_label("linearised", 50), variance_label("jackknife", 20)
    ('SE clustered by firm', 'SE from 20 jackknife replicate weights over firms')
    """
    if variance == "linearised":
        return "SE clustered by firm"
    return f"SE from {n_replicates} {variance} replicate weights over firms"


def replicates_for(data: Any, estimator: Any) -> pd.DataFrame | None:
    if estimator.variance == "linearised":
        return None
    return survey_replicates(data, method=estimator.variance, n_replicates=estimator.n_replicates,
                             weighted=estimator.weighted)


def rescaled_weights(sample: pd.DataFrame, base: pd.Series) -> pd.Series:
    """The default weighting of a replicate: the survey weight times the replicate's resampling factor.

    Right when the weights are design weights (the truth study's inverse response probabilities);
    calibrated weights are re-raked on each replicate by the ``weigh`` the study data provides.
    """
    return sample["weight"].astype(float) * base


def survey_replicates(data: Any, *, method: str, n_replicates: int = REPLICATES, seed: int = SEED,
                      weighted: bool = True) -> pd.DataFrame:
    """Replicate weights of the whole survey (firms resampled with all their waves), one column each.

    The weighting is ``data.weigh(sample, base)`` when the study data carries one (re-raking each
    replicate), else :func:`rescaled_weights`; ``weighted=False`` resamples with unit weights.

    >>> from types import SimpleNamespace
    >>> survey = pd.DataFrame({"firm_id": list("aabbc"), "weight": [2.0, 2.0, 1.0, 1.0, 4.0]})
    >>> survey_replicates(SimpleNamespace(survey=survey), method="jackknife", n_replicates=3).shape
    (5, 3)
    """
    survey = data.survey
    if not weighted:
        survey = survey.assign(weight=1.0)
    weigh = getattr(data, "weigh", None) if weighted else None
    return replicate_weights(survey, weigh or rescaled_weights, method=method, n_replicates=n_replicates,
                             cluster="firm_id", random_state=seed)


def replicate_se_of(full: float, estimates: np.ndarray, *, method: str, n_replicates: int) -> float:
    """SE from replicate estimates (failed replicates NaN, ignored): bootstrap (mean squared deviation
    from the full-sample estimate) or jackknife ((G - 1) / G x sum of squared deviations).

    >>> replicate_se_of(1.0, np.array([0.0, 2.0, np.nan]), method="bootstrap", n_replicates=3)
    1.0
    """
    est = estimates[np.isfinite(estimates)]
    if len(est) < 2:
        return float("nan")
    dev = float(np.sum((est - full) ** 2))
    if method == "bootstrap":
        return float(np.sqrt(dev / len(est)))
    return float(np.sqrt((n_replicates - 1) / n_replicates * dev))
