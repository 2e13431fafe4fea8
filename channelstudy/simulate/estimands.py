"""The planted truth as each estimator's estimand, computed on the true population.

A structural parameter of the simulator is not always what an estimator targets: a share clipped at
0 bends a slope (H6), an effect that differs by size class averages differently in a regression
(H2, H7), a difference in means of a drawn population is not its expectation (H5).  So the value a
95 % CI should cover is the estimand evaluated on the *true population* (every partner in every
wave, every pipeline pair): the same model the survey estimator fits, on everyone, with true
partner types and no survey weights (the weights are calibrated to stand for this population).

Each entry also records the structural parameter and, for H3 and H7, the unadjusted ("naive")
population value: the gap between the two is the confounding that the controls remove.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelstudy.vocabulary import CREDIT_TYPES, SOUTH

__all__ = ["ESTIMAND_MODELS", "ols_coefficient", "pair_lead_share_difference", "expected_pair_share", "population_estimands",
           "poisson_coefficient"]

ESTIMAND_MODELS: dict[str, tuple[str, list[str], str | None]] = {
    # id: (outcome, regressors (first is the tested term), population rows)
    "H0": ("att_portal_easy", ["isv", "log_emp"], "isv_or_reseller"),
    "H2": ("dso_days", ["credit", "south", "log_emp"], None),
    "H3": ("rd_share", ["dso_days", "log_emp", "services", "own_ip"], "credit"),
    "H5": ("main_platform_share", ["isv"], None),
    "H6": ("intl_share", ["cloud_share", "log_emp"], "isv"),
    "H7": ("win_rate", ["formal", "log_emp", "services", "own_ip"], None),
    "H8": ("isv_solution_share", ["t"], "si"),
}
"""The population regression behind each linear estimand (H4 is Poisson, H9 a pair mean)."""


def _identified(x: np.ndarray) -> bool:
    """Every regressor varies: a constant one (a trend in a one-wave world) has no coefficient."""
    return len(x) > 0 and bool((np.ptp(x, axis=0) > 0).all())


def ols_coefficient(y: np.ndarray, x: np.ndarray) -> float:
    """First slope of an OLS fit of ``y`` on an intercept and the columns of ``x`` (NaN: a column is constant).

    >>> x = np.arange(10.0)[:, None]
    >>> round(ols_coefficient(2 * x[:, 0] + 1, x), 6)
    2.0
    >>> ols_coefficient(np.arange(10.0), np.zeros((10, 1)))
    nan
    """
    if not _identified(x):
        return float("nan")
    design = np.column_stack([np.ones(len(y)), x])
    return float(np.linalg.lstsq(design, y, rcond=None)[0][1])


def poisson_coefficient(y: np.ndarray, x: np.ndarray, offset: np.ndarray, term: int) -> float:
    """Coefficient ``term`` (0 = first column of ``x``) of a Poisson pseudo-ML fit with an offset (NaN: a
    column of ``x`` is constant)."""
    import statsmodels.api as sm

    if not _identified(x):
        return float("nan")
    design = np.column_stack([np.ones(len(y)), x])
    return float(sm.GLM(y, design, family=sm.families.Poisson(), offset=offset).fit().params[term + 1])


def _frame(population: pd.DataFrame, first_wave: int) -> pd.DataFrame:
    p = population
    return p.assign(
        isv=(p["partner_type"] == "isv").astype(float),
        credit=p["partner_type"].isin(CREDIT_TYPES).astype(float),
        south=p["macro_area"].isin(SOUTH).astype(float),
        log_emp=np.log(p["employees"].astype(float)),
        t=(p["wave"] - first_wave).astype(float),
        formal=p["formal_solutions"].astype(float),
        services=p["mix_services"].astype(float),
        own_ip=p["mix_own_ip"].astype(float),
        isv_or_reseller=p["partner_type"].isin(["isv", "reseller"]),
        si=p["partner_type"] == "system_integrator",
    )


def pair_lead_share_difference(deals: pd.DataFrame) -> float:
    """Mean over relationship pairs of the pair's lead share, channel minus alliance (true deals, long form)."""
    by_deal = deals.groupby("deal_id", sort=True)
    items = pd.DataFrame({
        "pair": by_deal["firm_key"].min() + "|" + by_deal["firm_key"].max(),
        "relationship": by_deal["relationship"].first(),
        "lead": by_deal["record_type"].first().eq("lead").astype(float),
    })
    pairs = items.groupby(["relationship", "pair"])["lead"].mean().groupby(level="relationship").mean()
    return float(pairs["channel"] - pairs["alliance"])


def expected_pair_share(mean: float, sd: float, nodes: int = 64) -> float:
    """Expected lead propensity of a pair: E[expit(logit(mean) + sd Z)], Z standard normal (Gauss-Hermite).

    >>> round(expected_pair_share(0.5, 0.8), 6), round(expected_pair_share(0.7, 0.0), 6)
    (0.5, 0.7)
    """
    z, w = np.polynomial.hermite_e.hermegauss(nodes)
    logit = np.log(mean / (1 - mean))
    return float(np.sum(w / (1 + np.exp(-(logit + sd * z)))) / np.sqrt(2 * np.pi))


def _json_value(value: float) -> float | None:
    """An estimand as ``effects.json`` records it: 8 decimals, or None where the world defines none."""
    return None if np.isnan(value) else round(value, 8)


def population_estimands(population: pd.DataFrame, deals: pd.DataFrame, first_wave: int, *, h9_channel: float,
                         h9_alliance: float, h9_sd: float) -> dict[str, dict]:
    """Per hypothesis: ``estimand_value`` on the true population, and ``naive`` where confounded."""
    d = _frame(population, first_wave)
    out: dict[str, dict] = {}
    for hid, (outcome, regressors, rows) in ESTIMAND_MODELS.items():
        sub = d if rows is None else d[d[rows].astype(bool)]
        sub = sub.dropna(subset=[outcome, *regressors])
        y = sub[outcome].astype(float).to_numpy()
        value = ols_coefficient(y, sub[regressors].to_numpy(float))
        entry = {"estimand_value": _json_value(value)}
        if hid in ("H0", "H3", "H7"):
            entry["naive"] = _json_value(ols_coefficient(y, sub[regressors[:1]].to_numpy(float)))
        out[hid] = entry
    x = np.column_stack([d["isv"], d["t"], d["isv"] * d["t"]])
    ratio = d["vendor_support_eur"].to_numpy(float) / d["revenue_eur"].to_numpy(float)
    out["H4"] = {"estimand_value": _json_value(poisson_coefficient(ratio, x, np.zeros(len(ratio)), 2))}
    # the pipeline is a census of pairs: its CI is about the pairs' lead propensities, so the target is
    # their expectation; the realised census value is recorded beside it
    partners = deals[deals["relationship"].isin(["channel", "alliance"])]
    out["H9"] = {"estimand_value": round(expected_pair_share(h9_channel, h9_sd)
                                         - expected_pair_share(h9_alliance, h9_sd), 8),
                 "census_value": round(pair_lead_share_difference(partners), 8)}
    return out
