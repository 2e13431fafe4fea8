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
  (:mod:`channelstudy.weights`) and standard errors clustered by firm (respondents answer in
  several waves), statsmodels;
* H1: mean persons employed per enterprise of J62-like partners against a real benchmark (Germany,
  Eurostat SBS 2024), percentile bootstrap CI (the size distribution is heavy-tailed);
* H9: difference of two proportions over pipeline items, Wald CI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

from channelstudy.build import directory_sources, listed_by

ALPHA = 0.05
DE_J62_PERSONS_PER_ENTERPRISE = 9.84
"""Eurostat sbs_sc_ovw 2024, Germany, NACE J62 (real; data/external/sbs_ict_countries.csv)."""
J62_TYPES = ("system_integrator", "isv", "msp")
CREDIT_TYPES = ("reseller", "distributor")
BOOTSTRAP_REPS = 999
SEED = 20240611

COLUMNS = ["id", "claim", "estimator", "estimate", "ci_low", "ci_high", "p_value", "p_holm", "p_bh", "n", "weighted",
           "supported", "direction", "null_value", "outcome", "predictors", "controls"]


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


@dataclass(frozen=True)
class StudyData:
    """The analysis-ready tables: survey rows with weights and firm attributes, firms, pipeline."""

    survey: pd.DataFrame
    firms: pd.DataFrame
    pipeline: pd.DataFrame


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of the study protocol, declared once."""

    id: str
    claim: str
    outcome: str
    predictors: str
    controls: str
    estimator: str
    direction: str
    weighted: bool
    null_value: float
    run: Callable[[StudyData], Estimate]

    def __post_init__(self) -> None:
        if self.direction not in ("greater", "less", "none"):
            raise ValueError(f"{self.id}: direction must be greater, less or none")


# --- loading ----------------------------------------------------------------------------------

def load_study(processed: str | Path) -> StudyData:
    """Survey responses joined with their weights, classified partner type and firm geography."""
    processed = Path(processed)
    survey = pd.read_parquet(processed / "survey.parquet")
    weights = pd.read_parquet(processed / "survey_weights.parquet")
    segments = pd.read_parquet(processed / "segments.parquet")
    firms = pd.read_parquet(processed / "firms.parquet")
    pipeline = pd.read_parquet(processed / "pipeline.parquet")
    firm_attrs = firms[["firm_id", "macro_area", "employees"]].rename(columns={"employees": "firm_employees"})
    s = (survey.merge(weights[["source", "record_id", "weight"]], on=["source", "record_id"], how="left")
         .merge(segments[["firm_id", "partner_type"]], on="firm_id", how="left")
         .merge(firm_attrs, on="firm_id", how="left"))
    employees = s["employees"].fillna(s["firm_employees"]).astype(float)
    s = s.assign(
        credit=s["partner_type"].isin(CREDIT_TYPES).astype(float),
        isv=(s["partner_type"] == "isv").astype(float),
        south=s["macro_area"].isin(["Sud", "Isole"]).astype(float),
        log_emp=np.log(employees.where(employees > 0)),
        t=(s["wave"] - s["wave"].min()).astype(float),
        log_support_ratio=np.log((s["vendor_support_eur"].astype(float) / s["revenue_eur"].astype(float))
                                 .where(lambda x: x > 0)),
        formal=s["formal_solutions"].astype("Float64").astype(float),
    )
    firms = firms.merge(segments[["firm_id", "partner_type"]].rename(columns={"partner_type": "classified_type"}),
                        on="firm_id", how="left")
    report = json.loads((processed / "build_report.json").read_text(encoding="utf-8"))
    firms["in_directory"] = listed_by(firms, directory_sources(report))
    return StudyData(survey=s, firms=firms, pipeline=pipeline)


# --- estimators -------------------------------------------------------------------------------

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


# --- the catalogue ----------------------------------------------------------------------------

def _h0(d: StudyData) -> Estimate:
    s = d.survey[d.survey["partner_type"].isin(["isv", "reseller"])]
    return wls_term(s, "att_portal_easy ~ isv", "isv")


def _h1(d: StudyData) -> Estimate:
    # the directory frame: firms known only from the survey are larger (larger firms answer more often)
    f = d.firms[d.firms["classified_type"].isin(J62_TYPES) & d.firms["in_directory"]]
    return bootstrap_mean(f["employees"].astype(float).to_numpy(), DE_J62_PERSONS_PER_ENTERPRISE)


def _h2(d: StudyData) -> Estimate:
    return wls_term(d.survey, "dso_days ~ credit + south + log_emp", "credit")


def _h3(d: StudyData) -> Estimate:
    s = d.survey[d.survey["credit"] == 1]
    return wls_term(s, "rd_share ~ dso_days + log_emp", "dso_days")


def _h4(d: StudyData) -> Estimate:
    return wls_term(d.survey, "log_support_ratio ~ isv * t", "isv:t")


def _h5(d: StudyData) -> Estimate:
    return wls_term(d.survey, "main_platform_share ~ isv", "isv")


def _h6(d: StudyData) -> Estimate:
    s = d.survey[d.survey["isv"] == 1]
    return wls_term(s, "intl_share ~ cloud_share + log_emp", "cloud_share")


def _h7(d: StudyData) -> Estimate:
    return wls_term(d.survey, "win_rate ~ formal", "formal")


def _h8(d: StudyData) -> Estimate:
    s = d.survey[d.survey["partner_type"] == "system_integrator"]
    return wls_term(s, "isv_solution_share ~ t", "t")


def _h9(d: StudyData) -> Estimate:
    deals = d.pipeline.drop_duplicates("deal_id")
    lead = deals["record_type"].eq("lead").where(deals["record_type"].notna())
    return proportion_difference(lead[deals["relationship"] == "channel"], lead[deals["relationship"] == "alliance"])


WLS = "WLS with calibrated survey weights, SE clustered by firm"
CATALOGUE: tuple[Hypothesis, ...] = (
    Hypothesis("H0", "Control: ISVs and resellers find vendor partner portals equally easy to use (planted null).",
               "att_portal_easy (1-5)", "ISV vs reseller", "none", WLS, "none", True, 0.0, _h0),
    Hypothesis("H1", "The partner ecosystem is highly fragmented, more than in peer countries.",
               "persons employed per enterprise",
               "J62-like partners (SI, ISV, MSP) in the directory frame vs Germany J62 (real, 9.84)",
               "none", "mean with percentile bootstrap CI (999 reps)", "less", False,
               DE_J62_PERSONS_PER_ENTERPRISE, _h1),
    Hypothesis("H2", "Complex credit access makes resellers and distributors carry long payment terms.",
               "dso_days", "reseller or distributor", "south (Sud, Isole), log employees", WLS, "greater", True, 0.0,
               _h2),
    Hypothesis("H3", "Carrying credit leaves resellers and distributors fewer resources for innovation.",
               "rd_share", "dso_days (resellers and distributors)", "log employees", WLS, "less", True, 0.0, _h3),
    Hypothesis("H4", "ISVs increasingly compete with distributors and resellers for platform-vendor support.",
               "log(vendor support / revenue)", "ISV x wave trend", "ISV, wave trend", WLS, "greater", True, 0.0, _h4),
    Hypothesis("H5", "ISVs tend to align with a single platform.", "main_platform_share", "ISV vs other partners",
               "none", WLS, "greater", True, 0.0, _h5),
    Hypothesis("H6", "Cloud lets small niche ISVs reach foreign markets with little effort.", "intl_share",
               "cloud_share (ISVs)", "log employees", WLS, "greater", True, 0.0, _h6),
    Hypothesis("H7", "Repeatable, formally defined solutions differentiate partners.", "win_rate",
               "has formal solutions", "none", WLS, "greater", True, 0.0, _h7),
    Hypothesis("H8", "SIs increasingly build their offerings around selected ISV solutions.", "isv_solution_share",
               "wave trend (SIs)", "none", WLS, "greater", True, 0.0, _h8),
    Hypothesis("H9", "Leads define channel relations, co-worked opportunities define alliances.",
               "item is a lead", "channel vs alliance pipeline items", "none",
               "difference of proportions, Wald CI", "greater", False, 0.0, _h9),
)


def _supported(direction: str, estimate: float, p_holm: float) -> bool:
    if not p_holm < ALPHA:
        return False
    return direction == "none" or (direction == "greater") == (estimate > 0) if direction != "less" else estimate < 0


def run_catalogue(data: StudyData, catalogue: tuple[Hypothesis, ...] = CATALOGUE) -> pd.DataFrame:
    """Run every hypothesis; one row per test with adjusted p-values across the family."""
    rows = []
    for h in catalogue:
        r = h.run(data)
        rows.append({"id": h.id, "claim": h.claim, "estimator": h.estimator, "estimate": r.estimate,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value, "n": r.n,
                     "weighted": h.weighted, "direction": h.direction, "null_value": h.null_value,
                     "outcome": h.outcome, "predictors": h.predictors, "controls": h.controls})
    table = pd.DataFrame(rows)
    table["p_holm"] = multipletests(table["p_value"], alpha=ALPHA, method="holm")[1]
    table["p_bh"] = multipletests(table["p_value"], alpha=ALPHA, method="fdr_bh")[1]
    # the effect is the estimate minus the null value (H1 is a level compared with a benchmark)
    table["supported"] = [_supported(d, e - nv, p) for d, e, nv, p in
                          zip(table["direction"], table["estimate"], table["null_value"], table["p_holm"], strict=True)]
    return table[COLUMNS]


def write_catalogue(table: pd.DataFrame, path: str | Path) -> None:
    """``hypotheses.csv``: numbers rounded to 6 significant digits so reruns are byte-identical."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.6g")


def compare_with_truth(table: pd.DataFrame, effects_json: str | Path) -> pd.DataFrame:
    """Join the catalogue with the simulator's planted effects: covered, right direction, detected."""
    effects = json.loads(Path(effects_json).read_text(encoding="utf-8"))["effects"]
    planted = pd.DataFrame(effects).T[["planted", "direction"]].rename(columns={"direction": "planted_direction"})
    out = table.set_index("id").join(planted)
    out["planted"] = out["planted"].astype(float)
    out["covered"] = (out["ci_low"] <= out["planted"]) & (out["planted"] <= out["ci_high"])
    return out.reset_index()
