"""The hypothesis catalogue H0-H9 of the study protocol, each declared once with its estimator.

A :class:`Hypothesis` says what is claimed, what is measured and how it is tested
(``test=`` an estimator of :mod:`channelstudy.hypotheses.estimators`); :func:`run_catalogue`
runs them all and adjusts the p-values across the family (Holm and Benjamini-Hochberg).
``supported`` means: Holm-adjusted p < 0.05 *and* the estimate (minus the null value) in the
expected direction.

Every hypothesis gets a row and a ``status``: ``ran``, or ``not run: <why>`` when the data lacks
what its estimator requires (:attr:`Hypothesis.requirements`, checked by one rule,
:func:`~channelstudy.hypotheses.estimators.unmet`): a source, a variable, a group to compare or
enough observations.  A row that did not run has empty estimates and is left out of the
multiplicity family.  Without survey weights (no directory frame) the survey regressions run
unweighted and say so (``weighted`` False).

>>> [h.id for h in CATALOGUE][:3]
['H0', 'H1', 'H2']
>>> CATALOGUE[2].estimator
'WLS with calibrated survey weights, SE clustered by firm'
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from channelstudy.catalog import FLOAT_FORMAT, atomic_path
from channelstudy.catalog.exports import neutralise_frame
from channelstudy.hypotheses.estimators import (
    ALPHA,
    BootstrapMean,
    Estimator,
    ProportionDifference,
    Requirements,
    WeightedOLS,
    unmet,
)
from channelstudy.hypotheses.study import StudyData
from channelstudy.vocabulary import DE_J62_PERSONS_PER_ENTERPRISE

__all__ = ["CATALOGUE", "COLUMNS", "DIRECTIONS", "RAN", "Hypothesis", "compare_with_truth", "run_catalogue",
           "status", "write_catalogue"]

log = logging.getLogger(__name__)

COLUMNS = ["id", "claim", "estimator", "estimate", "ci_low", "ci_high", "p_value", "p_holm", "p_bh", "n", "weighted",
           "supported", "direction", "null_value", "outcome", "predictors", "controls", "status"]
"""Columns of ``hypotheses.csv``, in this order."""
RAN = "ran"
"""``status`` of a hypothesis that ran; otherwise ``not run: <why>``."""
ESTIMATES = ["estimate", "ci_low", "ci_high", "p_value"]
DIRECTIONS: tuple[str, ...] = ("greater", "less", "none")


@dataclass(frozen=True, kw_only=True)
class Hypothesis:
    """One hypothesis of the study protocol, declared once.

    Parameters
    ----------
    id, claim : str
        ``H0`` ... ``H9`` and the claim in the protocol's words (paraphrased).
    outcome, predictors, controls : str
        What is measured, what it is compared across, what is held constant (for the table).
    test : Estimator
        The estimator; its ``label`` is the catalogue's ``estimator`` column.
    direction : {"greater", "less", "none"}
        The expected sign of the effect (estimate minus ``null_value``); ``none`` for a null.
    null_value : float
        The value under no effect (0, or a benchmark level such as Germany's 9.84).
    """

    id: str
    claim: str
    outcome: str
    predictors: str
    controls: str = "none"
    test: Estimator = field(repr=False)
    direction: str
    null_value: float = 0.0

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.id}: direction must be greater, less or none")

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


CATALOGUE: tuple[Hypothesis, ...] = (
    Hypothesis(id="H0", claim="Control: ISVs and resellers find vendor partner portals equally easy to use "
                              "(planted null).",
               outcome="att_portal_easy (1-5)", predictors="ISV vs reseller",
               test=WeightedOLS(formula="att_portal_easy ~ isv", term="isv",
                                where="partner_type in ('isv', 'reseller')"),
               direction="none"),
    Hypothesis(id="H1", claim="The partner ecosystem is highly fragmented, more than in peer countries.",
               outcome="persons employed per enterprise",
               predictors="J62-like partners (SI, ISV, MSP) in the directory frame vs Germany J62 "
                          f"(real, {DE_J62_PERSONS_PER_ENTERPRISE:g})",
               # the directory frame: firms known only from the survey are larger (they answer more often)
               test=BootstrapMean(table="firms", column="employees",
                                  where="classified_type in @J62_TYPES and in_directory"),
               direction="less", null_value=DE_J62_PERSONS_PER_ENTERPRISE),
    Hypothesis(id="H2", claim="Complex credit access makes resellers and distributors carry long payment terms.",
               outcome="dso_days", predictors="reseller or distributor", controls="south (Sud, Isole), log employees",
               test=WeightedOLS(formula="dso_days ~ credit + south + log_emp", term="credit"), direction="greater"),
    Hypothesis(id="H3", claim="Carrying credit leaves resellers and distributors fewer resources for innovation.",
               outcome="rd_share", predictors="dso_days (resellers and distributors)", controls="log employees",
               test=WeightedOLS(formula="rd_share ~ dso_days + log_emp", term="dso_days", where="credit == 1"),
               direction="less"),
    Hypothesis(id="H4", claim="ISVs increasingly compete with distributors and resellers for platform-vendor support.",
               outcome="log(vendor support / revenue)", predictors="ISV x wave trend", controls="ISV, wave trend",
               test=WeightedOLS(formula="log_support_ratio ~ isv * t", term="isv:t"), direction="greater"),
    Hypothesis(id="H5", claim="ISVs tend to align with a single platform.", outcome="main_platform_share",
               predictors="ISV vs other partners",
               test=WeightedOLS(formula="main_platform_share ~ isv", term="isv"), direction="greater"),
    Hypothesis(id="H6", claim="Cloud lets small niche ISVs reach foreign markets with little effort.",
               outcome="intl_share", predictors="cloud_share (ISVs)", controls="log employees",
               test=WeightedOLS(formula="intl_share ~ cloud_share + log_emp", term="cloud_share", where="isv == 1"),
               direction="greater"),
    Hypothesis(id="H7", claim="Repeatable, formally defined solutions differentiate partners.", outcome="win_rate",
               predictors="has formal solutions",
               test=WeightedOLS(formula="win_rate ~ formal", term="formal"), direction="greater"),
    Hypothesis(id="H8", claim="SIs increasingly build their offerings around selected ISV solutions.",
               outcome="isv_solution_share", predictors="wave trend (SIs)",
               test=WeightedOLS(formula="isv_solution_share ~ t", term="t",
                                where="partner_type == 'system_integrator'"),
               direction="greater"),
    Hypothesis(id="H9", claim="Leads define channel relations, co-worked opportunities define alliances.",
               outcome="item is a lead", predictors="channel vs alliance pipeline items",
               test=ProportionDifference(table="pipeline", outcome="record_type == 'lead'", group="relationship",
                                         a="channel", b="alliance", unit="deal_id"),
               direction="greater"),
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
    """Whether the survey rows carry calibrated weights (the analysis stage found a directory frame)."""
    return "weight" in data.survey.columns and bool(data.survey["weight"].notna().any())


def run_catalogue(data: StudyData, catalogue: tuple[Hypothesis, ...] = CATALOGUE) -> pd.DataFrame:
    """Run every hypothesis the data supports; one row per hypothesis with its ``status``.

    P-values are adjusted (Holm, Benjamini-Hochberg) across the hypotheses that ran; the others
    have empty estimates, p-values, ``n`` and ``supported``.
    """
    weights = has_weights(data)
    if not weights:
        log.info("no survey weights: survey hypotheses run unweighted (weighted = False)")
    rows = []
    for h in catalogue:
        if h.weighted and not weights:
            h = replace(h, test=replace(h.test, weighted=False))
        row = {"id": h.id, "claim": h.claim, "estimator": h.estimator, **dict.fromkeys(ESTIMATES, np.nan),
               "n": pd.NA, "weighted": h.weighted, "direction": h.direction, "null_value": h.null_value,
               "outcome": h.outcome, "predictors": h.predictors, "controls": h.controls, "status": status(h, data)}
        if row["status"] == RAN:
            try:
                r = h.run(data)
            except (ValueError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
                row["status"] = f"not run: the estimator failed ({type(exc).__name__}: {exc})"
            else:
                if np.isfinite([r.estimate, r.p_value]).all():
                    row.update(estimate=r.estimate, ci_low=r.ci_low, ci_high=r.ci_high, p_value=r.p_value, n=r.n)
                else:
                    row["status"] = "not run: no finite estimate (no variation in the data?)"
        if row["status"] != RAN:
            log.info("%s %s", h.id, row["status"])
        rows.append(row)
    table = pd.DataFrame(rows).astype({"n": "Int64"})
    ran = table["status"].eq(RAN).to_numpy()
    table["p_holm"] = table["p_bh"] = np.nan
    if ran.any():
        table.loc[ran, "p_holm"] = multipletests(table.loc[ran, "p_value"], alpha=ALPHA, method="holm")[1]
        table.loc[ran, "p_bh"] = multipletests(table.loc[ran, "p_value"], alpha=ALPHA, method="fdr_bh")[1]
    # the effect is the estimate minus the null value (H1 is a level compared with a benchmark)
    table["supported"] = pd.array([is_supported(d, e - nv, p) if r else pd.NA for r, d, e, nv, p in
                                   zip(ran, table["direction"], table["estimate"], table["null_value"],
                                       table["p_holm"], strict=True)], dtype="boolean")
    return table[COLUMNS]


def write_catalogue(table: pd.DataFrame, path: str | Path) -> None:
    """``hypotheses.csv``: numbers rounded to 6 significant digits so reruns are byte-identical."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:  # a table people open in spreadsheets: formulas neutralised
        neutralise_frame(table).to_csv(tmp, index=False, float_format=FLOAT_FORMAT)


def compare_with_truth(table: pd.DataFrame, effects_json: str | Path) -> pd.DataFrame:
    """Join the catalogue with the simulator's planted effects: covered, right direction, detected."""
    effects = json.loads(Path(effects_json).read_text(encoding="utf-8"))["effects"]
    planted = pd.DataFrame(effects).T[["planted", "direction"]].rename(columns={"direction": "planted_direction"})
    out = table.set_index("id").join(planted)
    out["planted"] = out["planted"].astype(float)
    out["covered"] = (out["ci_low"] <= out["planted"]) & (out["planted"] <= out["ci_high"])
    return out.reset_index()
