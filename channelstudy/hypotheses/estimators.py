"""Estimators of the hypothesis catalogue: small declarative objects over the study's tables.

Each estimator is declared with keyword arguments (what table, which rows, which model) and
returns an :class:`Estimate` (effect size, 95 % CI, two-sided p-value, n) from
:class:`~channelstudy.hypotheses.study.StudyData`.  Its :attr:`label` is the catalogue's
``estimator`` text, so the description cannot drift from what runs.

>>> WeightedOLS(formula="dso_days ~ credit + south + log_emp", term="credit").label
'WLS with calibrated survey weights, SE clustered by firm'
>>> BootstrapMean(table="firms", column="employees").label
'mean with percentile bootstrap CI (999 reps)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from channelstudy.vocabulary import CREDIT_TYPES, J62_TYPES, SOUTH

__all__ = [
    "ALPHA",
    "BOOTSTRAP_REPS",
    "SEED",
    "BootstrapMean",
    "Estimate",
    "Estimator",
    "ProportionDifference",
    "WeightedOLS",
    "bootstrap_mean",
    "proportion_difference",
    "wls_term",
]

ALPHA = 0.05
BOOTSTRAP_REPS = 999
SEED = 20240611

QUERY_NAMES: dict[str, Any] = {"CREDIT_TYPES": CREDIT_TYPES, "J62_TYPES": J62_TYPES, "SOUTH": SOUTH}
"""Names a ``where`` expression may use with ``@`` (e.g. ``partner_type in @CREDIT_TYPES``)."""


@dataclass(frozen=True)
class Estimate:
    """An effect size with its 95 % CI, two-sided p-value against the null value, and n."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int

    def __post_init__(self) -> None:
        if not self.ci_low <= self.estimate <= self.ci_high and np.isfinite(self.estimate):
            raise ValueError(f"estimate {self.estimate} outside its CI [{self.ci_low}, {self.ci_high}]")


class Estimator(Protocol):
    """What a hypothesis' ``test`` provides."""

    label: str
    weighted: bool

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate: ...


def _rows(table: pd.DataFrame, where: str | None) -> pd.DataFrame:
    return table if where is None else table.query(where, local_dict=QUERY_NAMES)


# --- the computations -------------------------------------------------------------------------

def wls_term(data: pd.DataFrame, formula: str, term: str, *, weighted: bool = True,
             null_value: float = 0.0) -> Estimate:
    """Coefficient ``term`` of a (weighted) least-squares fit with firm-clustered standard errors."""
    variables = [v.strip() for v in formula.replace("~", "+").replace("*", "+").split("+")]
    cols = list(dict.fromkeys([v for v in variables if v in data.columns] + ["firm_id"]
                              + (["weight"] if weighted else [])))
    d = data[cols].astype({c: float for c in cols if c != "firm_id"}).dropna()
    if weighted:
        d = d[d["weight"] > 0]
    groups = pd.factorize(d["firm_id"])[0]
    model = smf.wls(formula, d, weights=d["weight"] if weighted else np.ones(len(d)))
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    est = float(fit.params[term])
    se = float(fit.bse[term])
    low, high = (float(x) for x in fit.conf_int(alpha=ALPHA).loc[term])
    z = (est - null_value) / se
    return Estimate(est, low, high, float(2 * stats.norm.sf(abs(z))), int(len(d)))


def bootstrap_mean(values: np.ndarray, null_value: float, *, reps: int = BOOTSTRAP_REPS,
                   seed: int = SEED) -> Estimate:
    """Mean with a percentile bootstrap CI; p-value from the bootstrap standard error (normal)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    rng = np.random.default_rng(seed)
    means = np.array([x[rng.integers(0, len(x), len(x))].mean() for _ in range(reps)])
    low, high = np.quantile(means, [ALPHA / 2, 1 - ALPHA / 2])
    est = float(x.mean())
    z = (est - null_value) / float(means.std(ddof=1))
    return Estimate(est, float(min(low, est)), float(max(high, est)), float(2 * stats.norm.sf(abs(z))), len(x))


def proportion_difference(a: pd.Series, b: pd.Series) -> Estimate:
    """Difference of two proportions (a - b) with a Wald CI and a z-test against 0."""
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    pa, pb = a.mean(), b.mean()
    se = np.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
    z_crit = stats.norm.ppf(1 - ALPHA / 2)
    est = float(pa - pb)
    return Estimate(est, est - z_crit * se, est + z_crit * se, float(2 * stats.norm.sf(abs(est / se))),
                    int(len(a) + len(b)))


# --- the declarative estimators ------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class WeightedOLS:
    """Coefficient ``term`` of ``formula`` fitted on the survey rows selected by ``where``.

    Parameters
    ----------
    formula : str
        A patsy formula over the survey columns of :class:`StudyData` (e.g. ``dso_days ~ credit``).
    term : str
        The coefficient tested (e.g. ``credit`` or the interaction ``isv:t``).
    where : str, optional
        A :meth:`pandas.DataFrame.query` expression selecting the rows (``@CREDIT_TYPES`` etc.).
    weighted : bool
        Use the calibrated survey weights (else ordinary least squares); SEs clustered by firm.
    """

    formula: str
    term: str
    where: str | None = None
    weighted: bool = True

    @property
    def label(self) -> str:
        kind = "WLS with calibrated survey weights" if self.weighted else "OLS"
        return f"{kind}, SE clustered by firm"

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate:
        return wls_term(_rows(data.survey, self.where), self.formula, self.term, weighted=self.weighted,
                        null_value=null_value)


@dataclass(frozen=True, kw_only=True)
class BootstrapMean:
    """Mean of ``column`` over the rows of ``table`` selected by ``where``, against the null value."""

    table: str
    column: str
    where: str | None = None
    reps: int = BOOTSTRAP_REPS
    seed: int = SEED
    weighted: bool = False

    @property
    def label(self) -> str:
        return f"mean with percentile bootstrap CI ({self.reps} reps)"

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate:
        rows = _rows(getattr(data, self.table), self.where)
        return bootstrap_mean(rows[self.column].astype(float).to_numpy(), null_value, reps=self.reps, seed=self.seed)


@dataclass(frozen=True, kw_only=True)
class ProportionDifference:
    """Share of ``outcome`` in group ``a`` minus group ``b`` of ``group``, one row per ``unit``."""

    table: str
    outcome: str
    group: str
    a: str
    b: str
    unit: str | None = None
    weighted: bool = False

    @property
    def label(self) -> str:
        return "difference of proportions, Wald CI"

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate:
        rows = getattr(data, self.table)
        if self.unit is not None:
            rows = rows.drop_duplicates(self.unit)
        column, _, value = (part.strip() for part in self.outcome.partition("=="))
        hit = rows[column].eq(value.strip("'\"")).where(rows[column].notna())
        return proportion_difference(hit[rows[self.group] == self.a], hit[rows[self.group] == self.b])
