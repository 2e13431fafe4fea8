"""Weighting schemes side by side: no weights, raking to real margins, inverse-propensity weights.

:func:`scheme_weights` computes, for one set of respondents,

* ``none`` -- every respondent stands for the same number of population units;
* ``raked`` -- raking calibration (:func:`channelstudy.analysis.calibration.calibrate`) to the
  enterprise counts and persons employed by ATECO class (:mod:`channelstudy.analysis.margins`:
  ISTAT's on real data, the same counts on a simulated world's true population);
* ``ipw`` -- inverse response propensities from a logit of response on frame covariates
  (:func:`channelstudy.analysis.ipw.ipw_weights`), scaled to the frame size;

each with the same trimming cap.  :func:`share_table` sets the weighted shares of a categorical
variable beside the population's (when known), :func:`balance_report` the balance diagnostics
(:mod:`channelstudy.analysis.balance`) on covariates used by neither scheme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from channelstudy.analysis.balance import balance_table
from channelstudy.analysis.calibration import calibrate
from channelstudy.analysis.ipw import ipw_weights
from channelstudy.analysis.weights import weighted_share

SCHEMES: tuple[str, ...] = ("none", "raked", "ipw")
"""Weighting schemes compared, in report order."""


def scheme_weights(respondents: pd.DataFrame, frame: pd.DataFrame, responded: np.ndarray,
                   margins: Mapping[str, pd.Series], *, ipw_covariates: Sequence[str],
                   trim_ratio: float | None = 5.0) -> dict[str, pd.Series]:
    """Weights of the respondents under each of :data:`SCHEMES`.

    Parameters
    ----------
    respondents : DataFrame
        One row per respondent, with ``ateco_class`` and the columns of the quantitative margins.
    frame : DataFrame
        The frame (one row per unit, respondents included), with ``ipw_covariates``.
    responded : ndarray of bool
        Which frame rows are the respondents, in the order of ``respondents``.
    margins : mapping
        Calibration targets (:func:`channelstudy.analysis.margins.margins_from_table`).
    ipw_covariates : sequence of str
        Frame columns of the response model.
    trim_ratio : float or None
        Cap on weights as a multiple of the mean weight, for both schemes.

    Returns
    -------
    dict of str to Series
        Scheme -> weights on the respondents' index (``none``: the population total over n).
    """
    total = float(next(m for n, m in margins.items() if "|" not in n).sum())
    raked = calibrate(respondents, dict(margins), trim_ratio=trim_ratio).weights
    ipw = ipw_weights(frame, responded, ipw_covariates, trim_ratio=trim_ratio, total=total)
    return {
        "none": pd.Series(total / len(respondents), index=respondents.index, name="weight"),
        "raked": raked,
        "ipw": pd.Series(ipw.to_numpy(), index=respondents.index, name="weight"),
    }


def share_table(respondents: pd.DataFrame, weights: Mapping[str, pd.Series], column: str,
                population: pd.DataFrame | None = None) -> pd.DataFrame:
    """Weighted shares of ``column``'s levels under each scheme, with the population share if given.

    Returns
    -------
    DataFrame
        Columns ``variable``, ``level``, ``scheme``, ``share``, and ``truth`` and ``error``
        (share - truth) when ``population`` is given.
    """
    rows = []
    truth = None
    if population is not None:
        truth = population[column].astype(str).value_counts(normalize=True)
    values = respondents[column].astype(str)
    for scheme, w in weights.items():
        for level, share in weighted_share(values, w).items():
            row = {"variable": column, "level": str(level), "scheme": scheme, "share": float(share)}
            if truth is not None:
                row["truth"] = float(truth.get(level, 0.0))
                row["error"] = row["share"] - row["truth"]
            rows.append(row)
    return pd.DataFrame(rows)


def balance_report(respondents: pd.DataFrame, population: pd.DataFrame, weights: Mapping[str, pd.Series],
                   covariates: Sequence[str]) -> pd.DataFrame:
    """:func:`channelstudy.analysis.balance.balance_table` of every scheme, on ``covariates``."""
    return balance_table(respondents, population, covariates, {k: v.to_numpy() for k, v in weights.items()})
