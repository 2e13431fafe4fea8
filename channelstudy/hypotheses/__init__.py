"""The hypothesis catalogue: H0-H9 of the study protocol, each declared once and run the same way.

Every hypothesis is a :class:`Hypothesis`: the claim in plain words, the outcome, the groups or
predictors, the controls, the estimator, the expected direction and whether survey weights are
used.  :func:`run_catalogue` runs all of them on the processed tables and returns one row per test
with the effect size, its 95 % confidence interval, the p-value, Holm and Benjamini-Hochberg
adjusted p-values across the family, the n used and whether weights were applied.

*Supported* means: Holm-adjusted p < 0.05 and the estimate in the stated direction (for the
control H0, which has no direction, any significant difference counts - it should not happen
beyond the nominal error rate).

Estimators
----------
* survey regressions: weighted least squares with the calibrated survey weights
  (:mod:`channelstudy.analysis.weights`) and standard errors clustered by firm (respondents answer in
  several waves), statsmodels;
* H1: mean persons employed per enterprise of J62-like partners against a real benchmark (Germany,
  Eurostat SBS 2024), percentile bootstrap CI (the size distribution is heavy-tailed);
* H9: difference of two proportions over pipeline items, Wald CI.
"""

from __future__ import annotations

from channelstudy.hypotheses.catalogue import (
    CATALOGUE,
    COLUMNS,
    Hypothesis,
    compare_with_truth,
    is_supported,
    run_catalogue,
    write_catalogue,
)
from channelstudy.hypotheses.estimators import (
    ALPHA,
    BootstrapMean,
    Estimate,
    ProportionDifference,
    WeightedOLS,
    bootstrap_mean,
    identified_rows,
    proportion_difference,
    wls_term,
)
from channelstudy.hypotheses.study import StudyData, load_study

__all__ = [
    "ALPHA",
    "CATALOGUE",
    "COLUMNS",
    "BootstrapMean",
    "Estimate",
    "Hypothesis",
    "ProportionDifference",
    "StudyData",
    "WeightedOLS",
    "bootstrap_mean",
    "compare_with_truth",
    "identified_rows",
    "is_supported",
    "load_study",
    "proportion_difference",
    "run_catalogue",
    "wls_term",
    "write_catalogue",
]
