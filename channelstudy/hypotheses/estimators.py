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

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from channelstudy.hypotheses.variance import (
    REPLICATES,
    SEED,
    VARIANCES,
    check_variance,
    replicate_se_of,
    replicates_for,
    survey_replicates,
    variance_label,
)
from channelstudy.vocabulary import CREDIT_TYPES, J62_TYPES, SOUTH

log = logging.getLogger(__name__)

__all__ = [
    "ALPHA",
    "BOOTSTRAP_REPS",
    "MIN_N",
    "REPLICATES",
    "SEED",
    "VARIANCES",
    "BootstrapMean",
    "Estimate",
    "Estimator",
    "PairMeanDifference",
    "PoissonPML",
    "ProportionDifference",
    "Requirements",
    "WeightedOLS",
    "bootstrap_mean",
    "format_p",
    "identified_rows",
    "pair_mean_difference",
    "proportion_difference",
    "replicate_se_of",
    "survey_replicates",
    "tost_p_value",
    "unmet",
    "wls_term",
]

ALPHA = 0.05
BOOTSTRAP_REPS = 999

QUERY_NAMES: dict[str, Any] = {"CREDIT_TYPES": CREDIT_TYPES, "J62_TYPES": J62_TYPES, "SOUTH": SOUTH}
"""Names a ``where`` expression may use with ``@`` (e.g. ``partner_type in @CREDIT_TYPES``)."""

MIN_N = 30
"""Fewest usable observations an estimator runs on (its ``min_n`` default)."""

SOURCE_OF_TABLE: dict[str, str] = {"survey": "survey", "pipeline": "pipeline", "firms": "directory"}
"""The source kind (``sources.yml``) whose rows fill each table of the study data."""

FED_BY: dict[str, str] = {
    "isv": "partner types", "credit": "partner types", "south": "comune or province", "log_emp": "employees",
    "t": "wave", "log_support_ratio": "vendor_support_eur and revenue_eur", "formal": "formal_solutions",
}
"""Derived study variables and the canonical fields they are computed from (for ``needs ...``)."""

GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "isv": (("isv == 1", "no ISVs among respondents"),
            ("isv == 0", "no partners other than ISVs among respondents")),
    "credit": (("credit == 1", "no resellers or distributors among respondents"),
               ("credit == 0", "no partners other than resellers and distributors among respondents")),
    "formal": (("formal == 1", "no respondent with formal solutions"),
               ("formal == 0", "no respondent without formal solutions")),
    "t": (("t > 0", "needs more than one survey wave"),),
}
"""Groups a tested variable compares: each must have usable rows (query, status when it has none)."""

SUBSETS: dict[str, str] = {
    "isv == 1": "ISVs among respondents",
    "credit == 1": "resellers or distributors among respondents",
    "partner_type == 'system_integrator'": "system integrators among respondents",
    "partner_type in ('isv', 'reseller')": "ISVs or resellers among respondents",
    "classified_type in @J62_TYPES and in_directory": "J62-like partners (SI, ISV, MSP) in a directory source",
}
"""Plain words for the rows a ``where`` selects (status ``no <words>`` when it selects none)."""


@dataclass(frozen=True, kw_only=True)
class Requirements:
    """What an estimator needs before it can run: a table, columns with values, rows, groups, n.

    Derived from the estimator's declaration (its table, formula or columns, ``where``, tested
    term and ``min_n``); :func:`unmet` applies the same rule to all of them.
    """

    table: str
    columns: tuple[str, ...]
    where: str | None = None
    groups: tuple[tuple[str, str], ...] = ()
    min_n: int = MIN_N


def unmet(requirements: Requirements, data: Any) -> str | None:
    """Why the data cannot support an estimator (``None`` when it can): the one rule of the catalogue.

    In order: the table must have rows (else ``needs a <kind> source``), each column some value
    (``needs <field>``), ``where`` must select rows (``no <rows>``), each group must have usable rows,
    and at least ``min_n`` rows must have every column.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> survey = pd.DataFrame({"firm_id": ["a", "b", "c"], "y": [1.0, 2.0, None], "isv": [1.0, 0.0, 0.0]})
    >>> data = SimpleNamespace(survey=survey)
    >>> unmet(WeightedOLS(formula="y ~ isv", term="isv").requirements, data)
    'fewer than 30 observations'
    >>> unmet(WeightedOLS(formula="y ~ isv", term="isv", min_n=2).requirements, data) is None
    True
    >>> unmet(WeightedOLS(formula="z ~ isv", term="isv").requirements, data)
    'needs z'
    >>> unmet(WeightedOLS(formula="y ~ isv", term="isv").requirements, SimpleNamespace(survey=survey.iloc[:0]))
    'needs a survey source'
    >>> unmet(WeightedOLS(formula="y ~ isv", term="isv").requirements, SimpleNamespace(survey=survey.iloc[1:]))
    'no ISVs among respondents'
    """
    table = getattr(data, requirements.table)
    if table.empty:
        return f"needs a {SOURCE_OF_TABLE.get(requirements.table, requirements.table)} source"
    absent = [c for c in requirements.columns if c not in table.columns or table[c].isna().all()]
    if absent:
        return "needs " + ", ".join(dict.fromkeys(FED_BY.get(c, c) for c in absent))
    rows = _rows(table, requirements.where)
    if rows.empty:
        return "no " + SUBSETS.get(str(requirements.where), f"rows where {requirements.where}")
    rows = rows.dropna(subset=list(requirements.columns))
    for query, status in requirements.groups:
        if rows.query(query, local_dict=QUERY_NAMES).empty:
            return status
    if len(rows) < requirements.min_n:
        return f"fewer than {requirements.min_n} observations"
    return None


P_FLOOR = 1e-16
"""p-values below this are printed as ``< 1e-16`` (double precision cannot say more)."""


def format_p(p: float, digits: int = 3) -> str:
    """A p-value for display: ``digits`` significant digits, ``< 1e-16`` below :data:`P_FLOOR`.

    The one p-value formatter of the package (tables, notebooks, figures, the report index).

    >>> format_p(0.0312), format_p(3e-270), format_p(0.0), format_p(float("nan")), format_p(0.01234, 2)
    ('0.0312', '< 1e-16', '< 1e-16', '', '0.012')
    """
    if not np.isfinite(p):
        return ""
    return "< 1e-16" if p < P_FLOOR else f"{p:.{digits}g}"


def tost_p_value(estimate: float, se: float, margin: float) -> float:
    """Two one-sided tests (TOST): p-value for 'the effect lies within +/- ``margin``' (normal).

    Equivalence is declared when this p is below alpha (the 90 % CI lies inside the margin).

    >>> round(tost_p_value(0.0, 0.05, 0.2), 6), round(tost_p_value(0.15, 0.05, 0.2), 3)
    (3.2e-05, 0.159)
    """
    lower = stats.norm.sf((estimate + margin) / se)
    upper = stats.norm.cdf((estimate - margin) / se)
    return float(max(lower, upper))


@dataclass(frozen=True)
class Estimate:
    """An effect size with its 95 % CI, two-sided p-value against the null value, and n.

    ``se`` is the standard error, ``std_estimate`` the effect in standard-deviation units of the
    outcome (per SD of a continuous predictor; NaN where not defined).  A percentile bootstrap CI
    may exclude the estimate (a skewed statistic): it is reported as it is, never widened.
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    se: float = float("nan")
    std_estimate: float = float("nan")
    interval: str = "wald"

    def __post_init__(self) -> None:
        inside = self.ci_low <= self.estimate <= self.ci_high
        if self.interval != "percentile bootstrap" and not inside and np.isfinite(self.estimate):
            raise ValueError(f"estimate {self.estimate} outside its CI [{self.ci_low}, {self.ci_high}]")


class Estimator(Protocol):
    """What a hypothesis' ``test`` provides."""

    label: str
    weighted: bool

    @property
    def requirements(self) -> Requirements: ...

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate: ...


def _rows(table: pd.DataFrame, where: str | None) -> pd.DataFrame:
    return table if where is None else table.query(where, local_dict=QUERY_NAMES)


# --- the computations -------------------------------------------------------------------------

def formula_variables(formula: str) -> list[str]:
    """The variables of a patsy formula of sums, products and ``C()`` terms.

    >>> formula_variables("y ~ a * b + C(model) + a:c")
    ['y', 'a', 'b', 'model', 'a', 'c']
    """
    rhs = formula.replace("~", "+").replace("*", "+").replace(":", "+")
    return [v.strip().removeprefix("C(").removesuffix(")") for v in rhs.split("+")]


def survey_requirements(formula: str, term: str, *, where: str | None, min_n: int,
                        extra: tuple[str, ...] = ()) -> Requirements:
    """What a survey model needs: the formula's variables (and ``extra``) with values, both groups of
    each tested indicator (:data:`GROUPS`), at least ``min_n`` complete rows."""
    groups = tuple(g for v in term.split(":") for g in GROUPS.get(v, ()))
    columns = tuple(dict.fromkeys([*formula_variables(formula), *extra]))
    return Requirements(table="survey", columns=columns, where=where, groups=groups, min_n=min_n)


def _wald(est: float, se: float, null_value: float, n: int, std: float) -> Estimate:
    crit = stats.norm.ppf(1 - ALPHA / 2)
    z = (est - null_value) / se
    return Estimate(est, est - crit * se, est + crit * se, float(2 * stats.norm.sf(abs(z))), n, se, std)


def _wls_coefficient(x: np.ndarray, y: np.ndarray, w: np.ndarray, j: int) -> float:
    keep = w > 0
    root = np.sqrt(w[keep])
    return float(np.linalg.lstsq(x[keep] * root[:, None], y[keep] * root, rcond=None)[0][j])


def wls_term(data: pd.DataFrame, formula: str, term: str, *, weighted: bool = True,
             null_value: float = 0.0, replicates: pd.DataFrame | None = None,
             variance: str = "linearised") -> Estimate:
    """Coefficient ``term`` of a (weighted) least-squares fit with firm-clustered standard errors.

    An outcome without variation (range below 1e-12) has no estimate (NaN), not a fit of rounding noise.

    >>> flat = pd.DataFrame({"firm_id": list("abcd"), "weight": 1.0, "y": 0.5, "x": [0.0, 1.0, 2.0, 3.0]})
    >>> wls_term(flat, "y ~ x", "x").estimate
    nan
    """
    d = _model_frame(data, formula, weighted)
    outcome = formula.split("~")[0].strip()
    if len(d) and not np.ptp(d[outcome].to_numpy(float)) > 1e-12:
        nan = float("nan")
        return Estimate(nan, nan, nan, nan, int(len(d)))
    groups = pd.factorize(d["firm_id"])[0]
    model = smf.wls(formula, d, weights=d["weight"] if weighted else np.ones(len(d)))
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    est = float(fit.params[term])
    w = d["weight"].to_numpy() if weighted else np.ones(len(d))
    std = _standardised(est, d, outcome, term, w)
    if replicates is not None:
        j = list(fit.params.index).index(term)
        reps = replicates.loc[d.index]
        estimates = np.array([_wls_coefficient(model.exog, model.endog, reps[c].to_numpy(), j)
                              if reps[c].notna().all() else np.nan for c in reps.columns])
        se = replicate_se_of(est, estimates, method=variance, n_replicates=reps.shape[1])
        return _wald(est, se, null_value, int(len(d)), std)
    se = float(fit.bse[term])
    low, high = (float(x) for x in fit.conf_int(alpha=ALPHA).loc[term])
    z = (est - null_value) / se
    return Estimate(est, low, high, float(2 * stats.norm.sf(abs(z))), int(len(d)), se, std)


def _model_frame(data: pd.DataFrame, formula: str, weighted: bool) -> pd.DataFrame:
    """The columns a formula uses (numeric as float, ``C(x)`` kept as text), complete cases only."""
    rhs = formula.replace("~", "+").replace("*", "+").replace(":", "+")
    variables = formula_variables(formula)
    cols = list(dict.fromkeys([v for v in variables if v in data.columns] + ["firm_id"]
                              + (["weight"] if weighted else [])))
    categorical = {v.strip()[2:-1] for v in rhs.split("+") if v.strip().startswith("C(")}
    d = data[cols].astype({c: float for c in cols if c != "firm_id" and c not in categorical}).dropna()
    return d[d["weight"] > 0] if weighted else d


def _weighted_sd(x: np.ndarray, w: np.ndarray) -> float:
    m = np.average(x, weights=w)
    return float(np.sqrt(np.average((x - m) ** 2, weights=w)))


def _standardised(est: float, d: pd.DataFrame, outcome: str, term: str, w: np.ndarray) -> float:
    """Effect in outcome SDs; per predictor SD for a continuous predictor (binary: per unit)."""
    if outcome not in d:
        return float("nan")
    sd_y = _weighted_sd(d[outcome].to_numpy(float), w)
    parts = term.split(":")
    sd_x = 1.0
    for part in parts:
        if part in d and d[part].nunique() > 2:
            sd_x *= _weighted_sd(d[part].to_numpy(float), w)
    return float(est * sd_x / sd_y) if sd_y > 0 else float("nan")


def bootstrap_mean(values: np.ndarray, null_value: float, *, reps: int = BOOTSTRAP_REPS,
                   seed: int = SEED) -> Estimate:
    """Mean with a percentile bootstrap CI; p-value from the bootstrap standard error (normal)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    rng = np.random.default_rng(seed)
    means = np.array([x[rng.integers(0, len(x), len(x))].mean() for _ in range(reps)])
    low, high = np.quantile(means, [ALPHA / 2, 1 - ALPHA / 2])
    est = float(x.mean())
    se = float(means.std(ddof=1))
    z = (est - null_value) / se
    return Estimate(est, float(low), float(high), float(2 * stats.norm.sf(abs(z))), len(x), se,
                    float((est - null_value) / x.std(ddof=1)), interval="percentile bootstrap")


def proportion_difference(a: pd.Series, b: pd.Series, *, null_value: float = 0.0) -> Estimate:
    """Difference of two proportions (a - b) with a Wald CI and a z-test against ``null_value``."""
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    pa, pb = a.mean(), b.mean()
    se = np.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
    z_crit = stats.norm.ppf(1 - ALPHA / 2)
    est = float(pa - pb)
    h = 2 * np.arcsin(np.sqrt(pa)) - 2 * np.arcsin(np.sqrt(pb))  # Cohen's h
    p_value = float(2 * stats.norm.sf(abs((est - null_value) / se)))
    return Estimate(est, est - z_crit * se, est + z_crit * se, p_value, int(len(a) + len(b)), float(se), float(h))


def identified_rows(rows: pd.DataFrame, firms: pd.DataFrame | None) -> pd.Series:
    """Rows whose firm is identified: a firm id, and a firm known from more than this one row.

    ``firms`` with an ``n_records`` column (the build's firm table) marks a firm made of a single
    record as unidentified; without it (true firm keys) every firm id counts.

    >>> rows = pd.DataFrame({"firm_id": ["F1", "F2", None]})
    >>> firms = pd.DataFrame({"firm_id": ["F1", "F2"], "n_records": [5, 1]})
    >>> identified_rows(rows, firms).tolist()
    [True, False, False]
    >>> identified_rows(rows, None).tolist()
    [True, True, False]
    """
    if firms is None or not {"firm_id", "n_records"} <= set(firms.columns):
        return rows["firm_id"].notna()
    records = rows["firm_id"].map(firms.set_index("firm_id")["n_records"])
    return records.gt(1).fillna(False).astype(bool)


def pair_mean_difference(values: pd.Series, group: pd.Series, pair: pd.Series, a: str, b: str) -> Estimate:
    """Mean over pairs of the per-pair mean of ``values``, group ``a`` minus ``b`` (SE clustered by pair).

    Each relationship pair counts once, however many items it has; the SE is Welch's over pair
    means (items of one pair are not independent), with Welch-Satterthwaite degrees of freedom.

    >>> v = pd.Series([1, 1, 0, 0, 1, 0, 0, 0.0])
    >>> g = pd.Series(["c", "c", "c", "c", "a", "a", "a", "a"])
    >>> p = pd.Series([1, 1, 2, 3, 4, 4, 5, 6])
    >>> round(pair_mean_difference(v, g, p, "c", "a").estimate, 4)
    0.1667
    """
    frame = pd.DataFrame({"v": values.astype(float), "g": group, "p": pair}).dropna()
    means = frame.groupby(["g", "p"], sort=True)["v"].mean()
    ma, mb = means.loc[a].to_numpy(), means.loc[b].to_numpy()
    va, vb = ma.var(ddof=1) / len(ma), mb.var(ddof=1) / len(mb)
    se = float(np.sqrt(va + vb))
    df = (va + vb) ** 2 / (va**2 / (len(ma) - 1) + vb**2 / (len(mb) - 1))
    est = float(ma.mean() - mb.mean())
    crit = stats.t.ppf(1 - ALPHA / 2, df)
    pooled_sd = float(np.sqrt((ma.var(ddof=1) + mb.var(ddof=1)) / 2))
    return Estimate(est, est - crit * se, est + crit * se, float(2 * stats.t.sf(abs(est / se), df)),
                    int(len(ma) + len(mb)), se, est / pooled_sd if pooled_sd > 0 else float("nan"))


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
    variance : {"linearised", "bootstrap", "jackknife"}
        The SE: linearised (sandwich clustered by firm) or from ``n_replicates`` replicate weights
        over firms (:func:`survey_replicates`; the weighting redone on each replicate).
    """

    formula: str
    term: str
    where: str | None = None
    weighted: bool = True
    min_n: int = MIN_N
    variance: str = "linearised"
    n_replicates: int = REPLICATES

    def __post_init__(self) -> None:
        check_variance(self.variance, self.n_replicates)

    @property
    def label(self) -> str:
        kind = "WLS with calibrated survey weights" if self.weighted else "OLS"
        return f"{kind}, {variance_label(self.variance, self.n_replicates)}"

    @property
    def requirements(self) -> Requirements:
        """The formula's variables with values; both groups of each tested indicator (:data:`GROUPS`)."""
        return survey_requirements(self.formula, self.term, where=self.where, min_n=self.min_n)

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate:
        return wls_term(_rows(data.survey, self.where), self.formula, self.term, weighted=self.weighted,
                        null_value=null_value, replicates=replicates_for(data, self), variance=self.variance)

    def within_estimate(self, data: Any, null_value: float = 0.0) -> Estimate:
        """The within-firm (firm fixed effects) estimate: variables centred on each firm's weighted mean.

        Only firms answering in two or more waves contribute; controls constant within a firm drop out.
        """
        d = _model_frame(_rows(data.survey, self.where), self.formula, self.weighted)
        d = d[d.groupby("firm_id")["firm_id"].transform("size") >= 2]
        if d["firm_id"].nunique() < 3:
            nan = float("nan")
            return Estimate(nan, nan, nan, nan, int(len(d)))
        w = d["weight"] if self.weighted else pd.Series(1.0, index=d.index)
        cols = [c for c in d.columns if c not in ("firm_id", "weight")]
        means = (d[cols].mul(w, axis=0).groupby(d["firm_id"]).transform("sum")
                 .div(w.groupby(d["firm_id"]).transform("sum"), axis=0))
        centred = (d[cols] - means).assign(firm_id=d["firm_id"], weight=w)
        outcome, rhs = self.formula.split("~")
        keep = [v for v in rhs.split("+") if centred[v.strip()].abs().max() > 1e-12 or v.strip() == self.term]
        formula = f"{outcome}~ 0 + {' + '.join(v.strip() for v in keep)}"
        return wls_term(centred, formula, self.term, weighted=self.weighted, null_value=null_value)


@dataclass(frozen=True, kw_only=True)
class BootstrapMean:
    """Mean of ``column`` over the rows of ``table`` selected by ``where``, against the null value."""

    table: str
    column: str
    where: str | None = None
    reps: int = BOOTSTRAP_REPS
    seed: int = SEED
    weighted: bool = False
    min_n: int = MIN_N

    @property
    def label(self) -> str:
        return f"mean with percentile bootstrap CI ({self.reps} reps)"

    @property
    def requirements(self) -> Requirements:
        return Requirements(table=self.table, columns=(self.column,), where=self.where, min_n=self.min_n)

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
    min_n: int = MIN_N

    @property
    def label(self) -> str:
        return "difference of proportions, Wald CI"

    @property
    def requirements(self) -> Requirements:
        """The outcome, group and unit columns; rows in both groups ``a`` and ``b``."""
        column = self.outcome.partition("==")[0].strip()
        groups = tuple((f"{self.group} == {g!r}", f"no {g} items in the {self.table}") for g in (self.a, self.b))
        return Requirements(table=self.table, columns=tuple(dict.fromkeys(
            c for c in (column, self.group, self.unit) if c is not None)), groups=groups, min_n=self.min_n)

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate:
        rows = getattr(data, self.table)
        if self.unit is not None:
            rows = rows.drop_duplicates(self.unit)
        column, _, value = (part.strip() for part in self.outcome.partition("=="))
        hit = rows[column].eq(value.strip("'\"")).where(rows[column].notna())
        return proportion_difference(hit[rows[self.group] == self.a], hit[rows[self.group] == self.b],
                                     null_value=null_value)


def _cluster_sandwich_se(x: np.ndarray, y: np.ndarray, mu: np.ndarray, w: np.ndarray, groups: np.ndarray,
                         j: int) -> float:
    """Cluster-robust SE of coefficient ``j`` of a weighted Poisson pseudo-ML fit (sandwich, CR1)."""
    bread = np.linalg.inv((x * (w * mu)[:, None]).T @ x)
    scores = x * (w * (y - mu))[:, None]
    summed = pd.DataFrame(scores).groupby(groups).sum().to_numpy()
    g, n, k = summed.shape[0], len(y), x.shape[1]
    meat = summed.T @ summed * g / (g - 1) * (n - 1) / (n - k)
    return float(np.sqrt((bread @ meat @ bread)[j, j]))


def _poisson_coefficient(x: np.ndarray, y: np.ndarray, w: np.ndarray, j: int, start: pd.Series) -> float:
    import statsmodels.api as sm

    keep = w > 0
    fit = sm.GLM(y[keep], x[keep], family=sm.families.Poisson(), var_weights=w[keep] / w[keep].mean())
    return float(fit.fit(start_params=np.asarray(start)).params[j])


@dataclass(frozen=True, kw_only=True)
class PoissonPML:
    """Poisson pseudo-maximum likelihood of a non-negative amount per unit of ``exposure`` (zeros kept).

    The outcome is ``amount / exposure`` (e.g. vendor support per euro of revenue) and the model
    ``E[ratio | x] = exp(x b)``: the coefficient ``term`` is a log-ratio, and firm-years with an
    amount of zero stay in the fit, unlike a regression of a log ratio.  This is the log-offset
    model with each firm weighted by its survey weight rather than by its exposure (an
    exposure-weighted fit is dominated by the few largest firms).  SEs clustered by firm (sandwich).
    """

    formula: str
    term: str
    exposure: str
    where: str | None = None
    weighted: bool = True
    min_n: int = MIN_N
    variance: str = "linearised"
    n_replicates: int = REPLICATES

    def __post_init__(self) -> None:
        check_variance(self.variance, self.n_replicates)

    @property
    def label(self) -> str:
        weights = "survey weights" if self.weighted else "unweighted"
        return (f"Poisson pseudo-ML of the ratio to revenue (zeros kept), {weights}, "
                f"{variance_label(self.variance, self.n_replicates)}")

    @property
    def requirements(self) -> Requirements:
        """The formula's variables and the exposure with values; both groups of each tested indicator."""
        return survey_requirements(self.formula, self.term, where=self.where, min_n=self.min_n,
                                   extra=(self.exposure,))

    def fitted(self, data: Any) -> tuple[Any, Any, pd.DataFrame, np.ndarray]:
        """The statsmodels model and fit on the selected survey rows, the model frame and the weights."""
        import statsmodels.api as sm

        amount, rhs = self.formula.split("~")
        rows = _rows(data.survey, self.where)
        exposure = rows[self.exposure].astype(float)
        rows = rows.assign(_ratio=(rows[amount.strip()].astype(float) / exposure).where(exposure > 0))
        formula = f"_ratio ~ {rhs.strip()}"
        d = _model_frame(rows, formula, self.weighted)
        w = d["weight"].to_numpy() if self.weighted else np.ones(len(d))
        model = smf.glm(formula, d, family=sm.families.Poisson(), var_weights=w / w.mean())
        return model, model.fit(), d, w

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate:
        model, fit, d, w = self.fitted(data)
        j = list(fit.params.index).index(self.term)
        est = float(fit.params[self.term])
        replicates = replicates_for(data, self)
        if replicates is None:
            se = _cluster_sandwich_se(model.exog, model.endog, fit.mu, w, pd.factorize(d["firm_id"])[0], j)
        else:
            reps = replicates.loc[d.index]
            estimates = np.array([_poisson_coefficient(model.exog, model.endog, reps[c].to_numpy(), j, fit.params)
                                  if reps[c].notna().all() else np.nan for c in reps.columns])
            se = replicate_se_of(est, estimates, method=self.variance, n_replicates=self.n_replicates)
        return _wald(est, se, null_value, int(len(d)), float("nan"))


@dataclass(frozen=True, kw_only=True)
class PairMeanDifference:
    """Share of ``outcome`` items, averaged within each relationship pair, group ``a`` minus ``b``.

    One item (``unit``) appears on one row per partner (two); its pair is the sorted pair of firms
    on its rows.  Pairs, not items, are the independent units (SE clustered by pair).

    An item needs both firms identified (:func:`identified_rows`): a row without a firm id, or whose
    firm is known from that one row only (a record the linkage joined to nothing else, such as a
    misspelt name without a VAT number), would make the item a relationship pair of its own, with a
    share of 0 or 1.  Such items are left out, and their number is logged.
    """

    table: str
    outcome: str
    group: str
    a: str
    b: str
    unit: str = "deal_id"
    weighted: bool = False
    min_n: int = MIN_N

    @property
    def label(self) -> str:
        return ("difference of mean pair-level shares over pairs of identified firms, SE clustered by "
                "relationship pair (Welch)")

    @property
    def requirements(self) -> Requirements:
        """The outcome, group, unit and firm columns; items in both groups ``a`` and ``b``."""
        column = self.outcome.partition("==")[0].strip()
        groups = tuple((f"{self.group} == {g!r}", f"no {g} items in the {self.table}") for g in (self.a, self.b))
        return Requirements(table=self.table, columns=tuple(dict.fromkeys((column, self.group, self.unit, "firm_id"))),
                            groups=groups, min_n=self.min_n)

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate:
        rows = getattr(data, self.table)
        identified = identified_rows(rows, data.firms).groupby(rows[self.unit]).transform("all")
        if not identified.all():
            log.info("%s: %d of %d items left out, a firm unidentified", self.table,
                     rows.loc[~identified, self.unit].nunique(), rows[self.unit].nunique())
        rows = rows[identified]
        firm = rows["firm_id"].astype("string")
        by_unit = firm.groupby(rows[self.unit])
        pair = by_unit.transform("min") + "|" + by_unit.transform("max")
        items = rows.assign(_pair=pair).drop_duplicates(self.unit)
        column, _, value = (part.strip() for part in self.outcome.partition("=="))
        hit = items[column].eq(value.strip("'\"")).where(items[column].notna())
        return pair_mean_difference(hit, items[self.group], items["_pair"], self.a, self.b)
