"""The check behind H6's linear model of a bounded share: does a model that respects the bounds agree?

H6 regresses the international share (in [0, 1]) linearly on the cloud share.  The linear model is kept
(its coefficient is the population linear projection the simulator's estimand is defined on) when
two checks hold: its fitted values lie inside [0, 1], and the average marginal effect (AME) of a
fractional logit (quasi-binomial GLM with a logit link, Papke-Wooldridge; the same weights, SE
clustered by firm) lies inside the linear model's 95 % CI.  The method validation records both in
every world; notebook 09 reports them.

>>> rng = np.random.default_rng(0)
>>> x = rng.random(400)
>>> d = pd.DataFrame({"firm_id": np.arange(400), "weight": 1.0, "x": x,
...                   "y": np.clip(0.1 + 0.2 * x + rng.normal(0, 0.05, 400), 0, 1)})
>>> check = bounded_share_check(d, "y ~ x", "x")
>>> check["in_range"], check["ame_inside_ci"]
(1.0, True)
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from channelstudy.hypotheses.catalogue import ESTIMATOR_ERRORS, RAN, Hypothesis, as_run, status
from channelstudy.hypotheses.estimators import _model_frame, _rows, wls_term
from channelstudy.hypotheses.study import StudyData

log = logging.getLogger(__name__)

__all__ = ["CHECKED", "CHECK_COLUMNS", "bounded_checks", "bounded_share_check", "fractional_logit_ame"]


def fractional_logit_ame(data: pd.DataFrame, formula: str, term: str, *, weighted: bool = True) -> float:
    """Weighted average marginal effect of ``term`` in a fractional logit of a share in [0, 1]."""
    d = _model_frame(data, formula, weighted)
    w = d["weight"].to_numpy(float) if weighted else np.ones(len(d))
    model = smf.glm(formula, d, family=sm.families.Binomial(), var_weights=w / w.mean())
    fit = model.fit()
    mu = fit.mu
    return float(np.average(fit.params[term] * mu * (1 - mu), weights=w))


def bounded_share_check(data: pd.DataFrame, formula: str, term: str, *, weighted: bool = True) -> dict:
    """Share of linear fitted values inside [0, 1], the fractional-logit AME and whether the linear
    model's 95 % CI contains it."""
    d = _model_frame(data, formula, weighted)
    w = d["weight"].to_numpy(float) if weighted else np.ones(len(d))
    fitted = smf.wls(formula, d, weights=w).fit().fittedvalues.to_numpy()
    linear = wls_term(data, formula, term, weighted=weighted)
    ame = fractional_logit_ame(data, formula, term, weighted=weighted)
    return {"in_range": float(np.mean((fitted >= 0) & (fitted <= 1))), "ame": ame,
            "ame_inside_ci": bool(linear.ci_low <= ame <= linear.ci_high)}


CHECKED: tuple[str, ...] = ("H6",)
"""Hypotheses whose linear model of a bounded share is checked against a fractional logit."""
CHECK_COLUMNS = ("check_in_range", "check_ame", "check_ame_inside_ci")


def bounded_checks(data: StudyData, catalogue: tuple[Hypothesis, ...]) -> pd.DataFrame:
    """:func:`bounded_share_check` of each hypothesis in :data:`CHECKED`, indexed by id (columns
    ``check_in_range``, ``check_ame``, ``check_ame_inside_ci``).

    Each runs as the catalogue runs the hypothesis (:func:`~channelstudy.hypotheses.catalogue.as_run`:
    unweighted on a survey without weights); where the hypothesis does not run, or a model cannot be
    fitted, its checks are missing.
    """
    rows = {}
    for h in catalogue:
        if h.id not in CHECKED:
            continue
        h = as_run(h, data)
        rows[h.id] = dict.fromkeys(CHECK_COLUMNS, np.nan)
        if status(h, data) != RAN:
            continue
        try:
            check = bounded_share_check(_rows(data.survey, h.test.where), h.test.formula, h.test.term,
                                        weighted=h.test.weighted)
        except ESTIMATOR_ERRORS as exc:
            log.info("%s bounded-share check not run: %s: %s", h.id, type(exc).__name__, exc)
            continue
        rows[h.id] = {f"check_{k}": v for k, v in check.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(CHECK_COLUMNS))
