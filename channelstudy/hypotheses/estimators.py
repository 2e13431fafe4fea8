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
    "MIN_N",
    "SEED",
    "BootstrapMean",
    "Estimate",
    "Estimator",
    "ProportionDifference",
    "Requirements",
    "WeightedOLS",
    "bootstrap_mean",
    "proportion_difference",
    "unmet",
    "wls_term",
]

ALPHA = 0.05
BOOTSTRAP_REPS = 999
SEED = 20240611

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

    @property
    def requirements(self) -> Requirements: ...

    def estimate(self, data: Any, null_value: float = 0.0) -> Estimate: ...


def _rows(table: pd.DataFrame, where: str | None) -> pd.DataFrame:
    return table if where is None else table.query(where, local_dict=QUERY_NAMES)


# --- the computations -------------------------------------------------------------------------

def formula_variables(formula: str) -> list[str]:
    """The variables of a patsy formula of sums and products (``y ~ a * b + c`` -> ``[y, a, b, c]``)."""
    return [v.strip() for v in formula.replace("~", "+").replace("*", "+").split("+")]


def wls_term(data: pd.DataFrame, formula: str, term: str, *, weighted: bool = True,
             null_value: float = 0.0) -> Estimate:
    """Coefficient ``term`` of a (weighted) least-squares fit with firm-clustered standard errors."""
    variables = formula_variables(formula)
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
    min_n: int = MIN_N

    @property
    def label(self) -> str:
        kind = "WLS with calibrated survey weights" if self.weighted else "OLS"
        return f"{kind}, SE clustered by firm"

    @property
    def requirements(self) -> Requirements:
        """The formula's variables with values; both groups of each tested indicator (:data:`GROUPS`)."""
        groups = tuple(g for v in self.term.split(":") for g in GROUPS.get(v, ()))
        return Requirements(table="survey", columns=tuple(dict.fromkeys(formula_variables(self.formula))),
                            where=self.where, groups=groups, min_n=self.min_n)

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
        return proportion_difference(hit[rows[self.group] == self.a], hit[rows[self.group] == self.b])
