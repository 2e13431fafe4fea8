"""The hypothesis catalogue H0-H9 of the study protocol, each declared once with its estimator.

A :class:`Hypothesis` says what is claimed, what is measured and how it is tested
(``test=`` an estimator of :mod:`channelstudy.hypotheses.estimators`), and its pre-registration:
estimand, population, primary outcome, controls, decision rule and what the design identifies.
:func:`run_catalogue` runs them all and adjusts the p-values across the *confirmatory* family
(H2-H9; Holm and Benjamini-Hochberg).  H0 (a negative control, judged by an equivalence test) and
H1 (a calibration check of the simulator; the hypothesis H1 itself is the descriptive SBS
comparison :func:`channelstudy.analysis.external.h1_comparison`) are outside the family.

``supported`` is a *decision flag*, not proof: Holm-adjusted p < 0.05 and the estimate in the
expected direction, for an association (see ``design``); NA outside the confirmatory family.
On the simulated default data it says whether the planted effect was detected; it says nothing
about real firms.

Every hypothesis gets a row and a ``status``: ``ran``, or ``not run: <why>`` when the data lacks
what its estimator requires (:attr:`Hypothesis.requirements`, checked by one rule,
:func:`~channelstudy.hypotheses.estimators.unmet`): a source, a variable, a group to compare or
enough observations.  A row that did not run has empty estimates and is left out of the
multiplicity family.  Without survey weights (neither population margins nor a directory frame to
calibrate to) the survey regressions run unweighted and say so (``weighted`` False).

>>> [h.id for h in CATALOGUE][:3]
['H0', 'H1', 'H2']
>>> CATALOGUE[2].estimator
'WLS with calibrated survey weights, SE clustered by firm'
>>> [h.id for h in CATALOGUE if h.family == "confirmatory"]
['H2', 'H3', 'H4', 'H5', 'H6', 'H7', 'H8', 'H9']
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from channelstudy.catalog import TABLES, atomic_path
from channelstudy.hypotheses.estimators import (
    ALPHA,
    BootstrapMean,
    Estimator,
    PairMeanDifference,
    PoissonPML,
    Requirements,
    WeightedOLS,
    format_p,
    tost_p_value,
    unmet,
)
from channelstudy.hypotheses.study import StudyData
from channelstudy.vocabulary import IT_J62_PERSONS_PER_ENTERPRISE

__all__ = ["CATALOGUE", "COLUMNS", "DIRECTIONS", "FAMILIES", "PREREGISTRATION_COLUMNS", "ESTIMATOR_ERRORS", "RAN",
           "Hypothesis", "as_run", "compare_with_truth", "preregistration", "run_catalogue", "status", "write_catalogue",
           "write_preregistration"]

log = logging.getLogger(__name__)

COLUMNS = ["id", "family", "claim", "estimator", "estimate", "ci_low", "ci_high", "se", "z", "std_estimate",
           "p_value", "p_display", "p_holm", "p_bh", "n", "weighted", "supported", "equivalence_margin",
           "p_equivalence", "equivalent", "within_estimate", "within_ci_low", "within_ci_high", "direction",
           "null_value", "design", "outcome", "predictors", "controls", "status"]
"""Columns of ``hypotheses.csv``; ``supported`` is the confirmatory decision flag (see the module doc)."""
RAN = "ran"
"""``status`` of a hypothesis that ran; otherwise ``not run: <why>``."""
ESTIMATOR_ERRORS = (ValueError, ZeroDivisionError, np.linalg.LinAlgError)
"""What an estimator raises on data it cannot fit: the hypothesis is then ``not run``, not the run stopped."""
ESTIMATES = ["estimate", "ci_low", "ci_high", "se", "z", "std_estimate", "p_value", "p_equivalence",
             "within_estimate", "within_ci_low", "within_ci_high"]
PREREGISTRATION_COLUMNS = ["id", "family", "claim", "estimand", "population", "primary_outcome", "predictors",
                           "controls", "estimator", "direction", "null_value", "decision_rule", "design",
                           "equivalence_margin", "within_firm"]
DIRECTIONS: tuple[str, ...] = ("greater", "less", "none")
FAMILIES: tuple[str, ...] = ("confirmatory", "control", "calibration")
ASSOCIATION = "association (observational survey; not a causal effect)"
CONFIRMATORY_RULE = ("supported if Holm-adjusted p < 0.05 across the confirmatory family (H2-H9) and the "
                     "estimate in the stated direction; reported as an association")


@dataclass(frozen=True, kw_only=True)
class Hypothesis:
    """One hypothesis of the study protocol, declared once, with its pre-registration.

    Parameters
    ----------
    id, claim : str
        ``H0`` ... ``H9`` and the claim in the protocol's words (worded as an association).
    outcome, predictors, controls : str
        Primary outcome, what it is compared across, what is held constant.
    test : Estimator
        The estimator; its ``label`` is the catalogue's ``estimator`` column.
    direction : {"greater", "less", "none"}
        The expected sign of the effect (estimate minus ``null_value``); ``none`` for a null.
    null_value : float
        The value under no effect (0, or a reference level such as Italy's real 6.44).
    family : {"confirmatory", "control", "calibration"}
        Only the confirmatory family enters the Holm / BH adjustment and gets ``supported``.
    estimand, population, decision_rule, design : str
        The pre-registration: the quantity estimated, over whom, how it is decided, and what the
        design identifies (an association unless the design says more).
    equivalence_margin : float, optional
        For a 'no difference' claim: the TOST margin (the effect is judged equivalent to zero
        when the 90 % CI lies inside +/- margin).
    within_firm : bool
        Also report the within-firm (firm fixed effects) estimate beside the pooled one.
    """

    id: str
    claim: str
    outcome: str
    predictors: str
    controls: str = "none"
    test: Estimator = field(repr=False)
    direction: str
    null_value: float = 0.0
    family: str = "confirmatory"
    estimand: str = ""
    population: str = "partners responding to the survey, all waves, weighted to the population (analysis stage)"
    decision_rule: str = CONFIRMATORY_RULE
    design: str = ASSOCIATION
    equivalence_margin: float | None = None
    within_firm: bool = False

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.id}: direction must be greater, less or none")
        if self.family not in FAMILIES:
            raise ValueError(f"{self.id}: family must be one of {FAMILIES}")
        if self.equivalence_margin is not None and not self.equivalence_margin > 0:
            raise ValueError(f"{self.id}: equivalence_margin must be positive")

    @property
    def estimator(self) -> str:
        return self.test.label

    @property
    def weighted(self) -> bool:
        return self.test.weighted

    @property
    def requirements(self) -> Requirements:
        """What the data must hold for the test to run (derived from the estimator's declaration)."""
        return self.test.requirements

    def run(self, data: StudyData):
        return self.test.estimate(data, self.null_value)


BUSINESS_MODEL = "mix_services + mix_own_ip"
"""Business-model controls: revenue shares of professional services and own IP."""

CATALOGUE: tuple[Hypothesis, ...] = (
    Hypothesis(id="H0", family="control",
               claim="Negative control: at equal size, ISVs and resellers find vendor partner portals equally easy "
                     "to use (planted null; the raw difference is confounded by size).",
               outcome="att_portal_easy (1-5)", predictors="ISV vs reseller", controls="log employees",
               test=WeightedOLS(formula="att_portal_easy ~ isv + log_emp", term="isv",
                                where="partner_type in ('isv', 'reseller')"),
               direction="none",
               estimand="difference in mean portal-ease score (1-5), ISVs minus resellers, at equal log size",
               population="ISVs and resellers responding to the survey, all waves, weighted",
               decision_rule="equivalent to no difference if the TOST p < 0.05 with margin +/-0.2 points; a "
                             "two-sided p < 0.05 is a false positive of the control (expected in 5 % of worlds)",
               equivalence_margin=0.2),
    Hypothesis(id="H1", family="calibration",
               claim="Calibration check (not a hypothesis): simulated J62-like partners are as large as Italy's "
                     "real J62 enterprises. H1 itself is the descriptive SBS comparison (h1_comparison).",
               outcome="persons employed per enterprise",
               predictors="J62-like partners (SI, ISV, MSP) in the directory frame vs Italy J62 "
                          f"(ISTAT, real, {IT_J62_PERSONS_PER_ENTERPRISE:g})",
               test=BootstrapMean(table="firms", column="employees",
                                  where="classified_type in @J62_TYPES and in_directory"),
               direction="none", null_value=IT_J62_PERSONS_PER_ENTERPRISE,
               estimand="mean persons employed of J62-like partners in the directory frame",
               population="firms of the directory frame classified as SI, ISV or MSP",
               decision_rule="calibration: the CI should cover the simulator's population mean; not tested, "
                             "outside the Holm family",
               design="descriptive"),
    Hypothesis(id="H2", claim="Resellers and distributors report longer payment terms (DSO) than other partners.",
               outcome="dso_days", predictors="reseller or distributor", controls="south (Sud, Isole), log employees",
               test=WeightedOLS(formula="dso_days ~ credit + south + log_emp", term="credit"), direction="greater",
               estimand="difference in mean DSO days, credit types minus others, at equal macro-area and log size "
                        "(population regression coefficient; the effect differs by size class)"),
    Hypothesis(id="H3", claim="Among resellers and distributors, longer DSO is associated with a lower R&D share.",
               outcome="rd_share", predictors="dso_days (resellers and distributors)",
               controls=f"log employees, business model ({BUSINESS_MODEL})",
               test=WeightedOLS(formula=f"rd_share ~ dso_days + log_emp + {BUSINESS_MODEL}", term="dso_days",
                                where="credit == 1"),
               direction="less", within_firm=True,
               estimand="change in R&D share of revenue per DSO day at equal size and business model",
               population="resellers and distributors responding to the survey, all waves, weighted"),
    Hypothesis(id="H4", claim="ISVs' vendor support per euro of revenue grows faster than other partners'.",
               outcome="vendor_support_eur / revenue_eur (zeros kept)", predictors="ISV x wave trend",
               controls="ISV, wave trend",
               # revenue below 5,000 EUR per person employed is revenue written in thousands (a unit error the
               # build does not flag); a ratio model is dominated by such rows, so they are left out
               test=PoissonPML(formula="vendor_support_eur ~ isv * t", term="isv:t", exposure="revenue_eur",
                               where="not (revenue_eur < 5000 * employees)"),
               direction="greater",
               population="partners responding to the survey, all waves, weighted; rows with revenue below 5,000 EUR "
                          "per person employed (revenue reported in thousands) excluded",
               estimand="difference in yearly log-growth of expected vendor support per euro of revenue, ISVs "
                        "minus others (Poisson pseudo-ML of the ratio, zero-support firm-years included)"),
    Hypothesis(id="H5", claim="ISVs tie a larger share of revenue to their main platform than other partners.",
               outcome="main_platform_share", predictors="ISV vs other partners",
               test=WeightedOLS(formula="main_platform_share ~ isv", term="isv"), direction="greater",
               estimand="difference in mean main-platform revenue share, ISVs minus other partners"),
    Hypothesis(id="H6", claim="Among ISVs, a higher cloud share is associated with a higher international share.",
               outcome="intl_share", predictors="cloud_share (ISVs)", controls="log employees",
               test=WeightedOLS(formula="intl_share ~ cloud_share + log_emp", term="cloud_share", where="isv == 1"),
               direction="greater", within_firm=True,
               estimand="linear-projection slope of the international share on the cloud share at equal log size "
                        "(a share bounded in [0, 1]: the linear model is kept because its fitted values stay inside "
                        "[0, 1] and a fractional logit's average marginal effect falls inside its CI, checked in "
                        "every validation world, hypotheses.bounded)",
               population="ISVs responding to the survey, all waves, weighted"),
    Hypothesis(id="H7", claim="Partners with formal repeatable solutions report higher win rates, at equal size and "
                              "business model.", outcome="win_rate", predictors="has formal solutions",
               controls=f"log employees, business model ({BUSINESS_MODEL})",
               test=WeightedOLS(formula=f"win_rate ~ formal + log_emp + {BUSINESS_MODEL}", term="formal"),
               direction="greater", within_firm=True,
               estimand="difference in mean win rate, with minus without formal solutions, at equal size and "
                        "business model"),
    Hypothesis(id="H8", claim="SIs' share of revenue from ISV-based solutions rises over the waves.",
               outcome="isv_solution_share", predictors="wave trend (SIs)",
               test=WeightedOLS(formula="isv_solution_share ~ t", term="t",
                                where="partner_type == 'system_integrator'"),
               direction="greater", estimand="yearly change of the mean ISV-solution share of SI revenue",
               population="system integrators responding to the survey, all waves, weighted"),
    Hypothesis(id="H9", claim="Channel relationship pairs pass a larger share of leads than alliance pairs.",
               outcome="item is a lead", predictors="channel vs alliance relationship pairs",
               test=PairMeanDifference(table="pipeline", outcome="record_type == 'lead'", group="relationship",
                                       a="channel", b="alliance"),
               direction="greater",
               estimand="mean over relationship pairs of the pair's lead share, channel minus alliance",
               population="relationship pairs (two firms) in the shared pipeline; each pair counts once; items "
                          "with a firm the linkage could not identify (no firm id, or known from that one record) "
                          "left out"),
)


def is_supported(direction: str, effect: float, p_holm: float, *, alpha: float = ALPHA) -> bool:
    """The decision rule: Holm-adjusted p below ``alpha`` and the effect in the expected direction.

    >>> is_supported("greater", 2.0, 0.01), is_supported("greater", -2.0, 0.01), is_supported("less", -2.0, 0.2)
    (True, False, False)
    >>> is_supported("none", -2.0, 0.01)
    True
    """
    if not p_holm < alpha:
        return False
    if direction == "greater":
        return effect > 0
    if direction == "less":
        return effect < 0
    return True


def status(hypothesis: Hypothesis, data: StudyData) -> str:
    """``ran`` if the data holds what the hypothesis requires, else ``not run: <why>``."""
    why = unmet(hypothesis.requirements, data)
    return RAN if why is None else f"not run: {why}"


def has_weights(data: StudyData) -> bool:
    """Whether the survey rows carry survey weights (the analysis stage found margins or a frame to calibrate to)."""
    return "weight" in data.survey.columns and bool(data.survey["weight"].notna().any())


def as_run(hypothesis: Hypothesis, data: StudyData, *, variance: str | None = None) -> Hypothesis:
    """The hypothesis as :func:`run_catalogue` runs it on ``data``: unweighted when the survey has no
    weights (:func:`has_weights`), and with ``variance`` set on an estimator that has the option."""
    h = hypothesis
    if h.weighted and not has_weights(data):
        h = replace(h, test=replace(h.test, weighted=False))
    if variance is not None and hasattr(h.test, "variance"):
        h = replace(h, test=replace(h.test, variance=variance))
    return h


def _within(h: Hypothesis, data: StudyData) -> tuple[float, float, float]:
    if not h.within_firm or not isinstance(h.test, WeightedOLS):
        return (float("nan"),) * 3
    r = h.test.within_estimate(data)
    return r.estimate, r.ci_low, r.ci_high


def run_catalogue(data: StudyData, catalogue: tuple[Hypothesis, ...] = CATALOGUE, *,
                  within: bool = True, variance: str | None = None) -> pd.DataFrame:
    """Run every hypothesis the data supports; one row per hypothesis with its ``status``.

    P-values are adjusted (Holm, Benjamini-Hochberg) across the confirmatory hypotheses that ran;
    hypotheses that did not run have empty estimates, p-values, ``n`` and ``supported``.
    ``within=False`` skips the within-firm estimates (NaN), e.g. in simulation loops that do not use them.
    ``variance`` (``linearised``, ``bootstrap`` or ``jackknife``) sets the SE of every estimator with a
    ``variance`` option (the weighted survey models); ``None`` keeps each declaration's.
    """
    if not has_weights(data):
        log.info("no survey weights: survey hypotheses run unweighted (weighted = False)")
    rows = []
    nan3 = (float("nan"),) * 3
    for h in catalogue:
        h = as_run(h, data, variance=variance)
        margin = h.equivalence_margin
        row = {"id": h.id, "family": h.family, "claim": h.claim, "estimator": h.estimator,
               **dict.fromkeys(ESTIMATES, np.nan), "p_display": "", "n": pd.NA, "weighted": h.weighted,
               "equivalence_margin": margin, "equivalent": pd.NA, "direction": h.direction,
               "null_value": h.null_value, "design": h.design, "outcome": h.outcome, "predictors": h.predictors,
               "controls": h.controls, "status": status(h, data)}
        if row["status"] == RAN:
            try:
                r = h.run(data)
                within_r = _within(h, data) if within else nan3
            except ESTIMATOR_ERRORS as exc:
                row["status"] = f"not run: the estimator failed ({type(exc).__name__}: {exc})"
            else:
                if np.isfinite([r.estimate, r.p_value]).all():
                    p_eq = tost_p_value(r.estimate - h.null_value, r.se, margin) if margin is not None else np.nan
                    row.update(estimate=r.estimate, ci_low=r.ci_low, ci_high=r.ci_high, se=r.se,
                               z=(r.estimate - h.null_value) / r.se, std_estimate=r.std_estimate,
                               p_value=r.p_value, p_display=format_p(r.p_value), n=r.n, p_equivalence=p_eq,
                               equivalent=(p_eq < ALPHA) if margin is not None else pd.NA,
                               within_estimate=within_r[0], within_ci_low=within_r[1], within_ci_high=within_r[2])
                else:
                    row["status"] = "not run: no finite estimate (no variation in the data?)"
        if row["status"] != RAN:
            log.info("%s %s", h.id, row["status"])
        rows.append(row)
    table = pd.DataFrame(rows).astype({"n": "Int64"})
    family = (table["family"] == "confirmatory") & table["status"].eq(RAN)
    table["p_holm"] = np.nan
    table["p_bh"] = np.nan
    if family.any():
        table.loc[family, "p_holm"] = multipletests(table.loc[family, "p_value"], alpha=ALPHA, method="holm")[1]
        table.loc[family, "p_bh"] = multipletests(table.loc[family, "p_value"], alpha=ALPHA, method="fdr_bh")[1]
    # the effect is the estimate minus the null value; the flag exists for the confirmatory family only
    table["supported"] = pd.array([is_supported(d, e - nv, p) if f else pd.NA for f, d, e, nv, p in
                                   zip(family, table["direction"], table["estimate"], table["null_value"],
                                       table["p_holm"], strict=True)], dtype="boolean")
    table["equivalent"] = table["equivalent"].astype("boolean")
    return table[COLUMNS]


def preregistration(catalogue: tuple[Hypothesis, ...] = CATALOGUE) -> pd.DataFrame:
    """The pre-registration table, generated from the catalogue's declarations (one row per hypothesis).

    >>> table = preregistration()
    >>> table.loc[table["id"] == "H0", ["family", "equivalence_margin"]].to_dict("records")
    [{'family': 'control', 'equivalence_margin': 0.2}]
    """
    return pd.DataFrame([{"id": h.id, "family": h.family, "claim": h.claim, "estimand": h.estimand,
                          "population": h.population, "primary_outcome": h.outcome, "predictors": h.predictors,
                          "controls": h.controls, "estimator": h.estimator, "direction": h.direction,
                          "null_value": h.null_value, "decision_rule": h.decision_rule, "design": h.design,
                          "equivalence_margin": h.equivalence_margin, "within_firm": h.within_firm}
                         for h in catalogue], columns=PREREGISTRATION_COLUMNS)


def write_preregistration(path: str | Path, catalogue: tuple[Hypothesis, ...] = CATALOGUE) -> Path:
    """Write ``preregistration.csv`` (e.g. ``reports/tables/preregistration.csv``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        preregistration(catalogue).to_csv(tmp, index=False, lineterminator="\n")
    return path


def write_catalogue(table: pd.DataFrame, path: str | Path) -> None:
    """``hypotheses.csv``: numbers rounded to 6 significant digits so reruns are byte-identical."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:  # the catalog's CSV writer: formulas neutralised, 6 significant digits
        TABLES["hypotheses"].write_file(table, tmp)


def compare_with_truth(table: pd.DataFrame, effects_json: str | Path) -> pd.DataFrame:
    """Join the catalogue with the simulator's planted effects: covered, right direction, detected."""
    effects = json.loads(Path(effects_json).read_text(encoding="utf-8"))["effects"]
    planted = pd.DataFrame(effects).T[["planted", "direction"]].rename(columns={"direction": "planted_direction"})
    out = table.set_index("id").join(planted)
    out["planted"] = out["planted"].astype(float)
    out["covered"] = (out["ci_low"] <= out["planted"]) & (out["planted"] <= out["ci_high"])
    return out.reset_index()
