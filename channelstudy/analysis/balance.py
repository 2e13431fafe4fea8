"""Balance diagnostics of survey weights: standardised mean differences and weight distribution.

A weighting scheme is judged on covariates it was **not** calibrated to (on those it is balanced
by construction).  For each covariate column (numeric, or one indicator per level of a
categorical) the standardised mean difference is

    SMD = (weighted sample mean - population mean) / population standard deviation,

the form of ``balance``'s ``asmd`` with the target's standard deviation (Austin 2011 uses the
pooled one; with a population target the population's is the natural scale).  ``|SMD| < 0.1`` is
the usual threshold of acceptable balance.

Examples
--------
>>> pop = pd.DataFrame({"big": [True] * 30 + [False] * 70})
>>> sample = pd.DataFrame({"big": [True, True, False]})
>>> smd(sample, pop, ["big"]).round(3).to_dict()
{'big=False': -0.8, 'big=True': 0.8}
>>> smd(sample, pop, ["big"], weights=[0.15, 0.15, 0.7]).round(3).to_dict()
{'big=False': 0.0, 'big=True': 0.0}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from channelstudy.analysis.ipw import covariate_matrix


def smd(sample: pd.DataFrame, population: pd.DataFrame, covariates: Sequence[str], *,
        weights: Sequence[float] | np.ndarray | pd.Series | None = None) -> pd.Series:
    """Standardised mean difference of each covariate column, weighted sample vs population.

    NaN where it is undefined: no sample row with a weight and every covariate (or zero total
    weight), or a covariate constant in the population.

    >>> smd(pd.DataFrame({"x": [np.nan]}), pd.DataFrame({"x": [1.0, 3.0]}), ["x"]).tolist()
    [nan]
    """
    xs = covariate_matrix(sample, covariates, reference=population)
    xp = covariate_matrix(population, covariates, reference=population)
    w = np.ones(len(sample)) if weights is None else np.asarray(weights, dtype=float)
    ok = ~np.isnan(w) & xs.notna().all(axis=1).to_numpy()
    total = w[ok].sum()
    mean_s = ((xs[ok].to_numpy() * w[ok, None]).sum(axis=0) / total if total > 0
              else np.full(xs.shape[1], np.nan))
    sd = xp.std(ddof=0).to_numpy()
    out = (mean_s - xp.mean().to_numpy()) / np.where(sd > 0, sd, np.nan)
    return pd.Series(out, index=xs.columns, name="smd")


def weight_diagnostics(weights: Sequence[float] | np.ndarray | pd.Series) -> dict[str, float]:
    """Kish design effect, effective sample size and the distribution of the weights.

    Examples
    --------
    >>> d = weight_diagnostics([1.0, 1.0, 2.0])
    >>> round(d["deff_kish"], 4), round(d["n_effective"], 4)
    (1.125, 2.6667)
    """
    w = np.asarray(weights, dtype=float)
    w = w[~np.isnan(w)]
    deff = float(len(w) * np.sum(w**2) / np.sum(w) ** 2)
    mean = w.mean()
    return {
        "n": float(len(w)),
        "n_effective": len(w) / deff,
        "deff_kish": deff,
        "weight_cv": float(w.std() / mean),
        "weight_min_ratio": float(w.min() / mean),
        "weight_p50_ratio": float(np.median(w) / mean),
        "weight_p95_ratio": float(np.quantile(w, 0.95) / mean),
        "weight_max_ratio": float(w.max() / mean),
    }


def balance_table(sample: pd.DataFrame, population: pd.DataFrame, covariates: Sequence[str],
                  weights: Mapping[str, pd.Series | np.ndarray | None]) -> pd.DataFrame:
    """SMD of every covariate column under each weighting scheme, with the weight diagnostics.

    Parameters
    ----------
    sample, population : DataFrame
        Respondents and the population they should represent, both with ``covariates``.
    covariates : sequence of str
        Covariates **not** used to build the weights.
    weights : mapping of str to weights
        Scheme name -> weights on the sample's rows (``None``: unweighted).

    Returns
    -------
    DataFrame
        One row per scheme and covariate column: ``scheme``, ``covariate``, ``smd``, ``abs_smd``,
        and the :func:`weight_diagnostics` of the scheme.
    """
    rows = []
    for scheme, w in weights.items():
        values = np.ones(len(sample)) if w is None else np.asarray(w, dtype=float)
        diag = weight_diagnostics(values)
        for col, value in smd(sample, population, covariates, weights=values).items():
            rows.append({"scheme": scheme, "covariate": col, "smd": float(value), "abs_smd": abs(float(value)),
                         **diag})
    return pd.DataFrame(rows)
