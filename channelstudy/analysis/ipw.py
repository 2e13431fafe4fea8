"""Inverse-propensity weights: a logistic model of response on frame covariates.

An alternative to calibration (:mod:`channelstudy.analysis.calibration`) when the frame, not an
official table, carries the auxiliary information: every frame unit has the covariates, the
respondents are flagged, a logistic regression of response on the covariates gives each
respondent a propensity ``p_i`` and a weight ``1 / p_i``, scaled to the frame's size.  Categorical
covariates are one-hot coded (first level dropped), numeric ones enter linearly; the penalty is
tiny (``C=1e6``), so the fit is the plain maximum-likelihood logit when it exists.  The weights
are only as good as the model: response that depends on something outside the covariates (the
non-ignorable case) is not corrected by them, nor by raking.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> frame = pd.DataFrame({"big": rng.random(2000) < 0.3})
>>> responded = rng.random(2000) < np.where(frame["big"], 0.6, 0.2)
>>> w = ipw_weights(frame, responded, ["big"], trim_ratio=None)
>>> round(float(w.sum()))
2000
>>> round(float(w[frame.loc[responded, "big"].to_numpy()].sum() / w.sum()), 2)
0.3
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression


def covariate_matrix(data: pd.DataFrame, covariates: Sequence[str], *, reference: pd.DataFrame | None = None
                     ) -> pd.DataFrame:
    """Numeric design of ``covariates``: numeric columns as float, others one-hot (all levels).

    Levels are those of ``reference`` (default ``data``), so a sample and its population share
    columns.  Missing values of a categorical covariate are a level of their own (``"<NA>"``).
    """
    reference = data if reference is None else reference
    parts = []
    for col in covariates:
        if pd.api.types.is_numeric_dtype(reference[col]) and not pd.api.types.is_bool_dtype(reference[col]):
            parts.append(data[col].astype(float).rename(col))
            continue
        levels = sorted(reference[col].astype(str).fillna("<NA>").unique())
        values = data[col].astype(str).fillna("<NA>")
        parts.append(pd.DataFrame({f"{col}={lv}": (values == lv).astype(float) for lv in levels}, index=data.index))
    return pd.concat(parts, axis=1)


def response_propensity(frame: pd.DataFrame, responded: Sequence[bool] | np.ndarray, covariates: Sequence[str],
                        *, C: float = 1e6) -> np.ndarray:
    """Fitted probability of response of every frame row (logistic regression on ``covariates``)."""
    y = np.asarray(responded, dtype=bool)
    if y.shape != (len(frame),):
        raise ValueError(f"responded has shape {y.shape}, the frame {len(frame)} rows")
    if y.all() or not y.any():
        raise ValueError("responded must have both respondents and non-respondents")
    x = covariate_matrix(frame, covariates)
    first_levels = [next(c for c in x.columns if c.startswith(f"{col}=")) for col in covariates
                    if f"{col}" not in x.columns]
    x = x.drop(columns=first_levels)
    x = x.loc[:, x.std() > 0]
    mean, scale = x.mean(), x.std()
    model = LogisticRegression(C=C, tol=1e-10, max_iter=5000).fit(((x - mean) / scale).to_numpy(), y)
    return model.predict_proba(((x - mean) / scale).to_numpy())[:, 1]


def ipw_weights(frame: pd.DataFrame, responded: Sequence[bool] | np.ndarray, covariates: Sequence[str], *,
                trim_ratio: float | None = 5.0, total: float | None = None) -> pd.Series:
    """Weights ``1 / p`` of the respondents, summing to ``total`` (default the frame size).

    Parameters
    ----------
    frame : DataFrame
        Every frame unit, with the covariates.
    responded : array-like of bool
        Which frame rows responded.
    covariates : sequence of str
        Frame columns of the response model.
    trim_ratio : float or None
        Cap on weights as a multiple of the mean weight; excess weight is spread over the others
        proportionally (repeated until none exceeds the cap).
    total : float, optional
        Sum of the weights; default ``len(frame)``.

    Returns
    -------
    Series
        On the index of the respondent rows of ``frame``, named ``weight``.
    """
    y = np.asarray(responded, dtype=bool)
    p = response_propensity(frame, y, covariates)[y]
    w = 1.0 / p
    w = w * (len(frame) if total is None else total) / w.sum()
    if trim_ratio is not None:
        w = trim_weights(w, trim_ratio)
    return pd.Series(w, index=frame.index[y], name="weight")


def trim_weights(w: np.ndarray, trim_ratio: float, *, max_iter: int = 100) -> np.ndarray:
    """Cap weights at ``trim_ratio`` times their mean, spreading the excess over the others.

    Examples
    --------
    >>> trim_weights(np.array([1.0, 1.0, 1.0, 9.0]), 2.0).tolist()
    [2.0, 2.0, 2.0, 6.0]
    """
    w = np.asarray(w, dtype=float).copy()
    total = w.sum()
    cap = trim_ratio * total / len(w)
    for _ in range(max_iter):
        over = w > cap * (1 + 1e-12)
        if not over.any():
            break
        w[over] = cap
        free = w < cap * (1 - 1e-12)
        if not free.any():
            break
        w[free] *= (total - w[~free].sum()) / w[free].sum()
    return w
