"""Requirements of the catalogue's hypotheses: one rule gives every row a status; not-run rows stay out."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from channelstudy.hypotheses import CATALOGUE, StudyData, run_catalogue
from channelstudy.hypotheses.estimators import BootstrapMean, ProportionDifference, WeightedOLS, unmet

N = 200


def study(rng: np.random.Generator, **drop) -> StudyData:
    """A synthetic study where every hypothesis can run; ``drop`` removes survey columns or whole tables."""
    survey = pd.DataFrame({"firm_id": np.arange(N).astype(str), "weight": 1.0, "wave": 2021,
                           "partner_type": rng.choice(["isv", "reseller", "system_integrator"], N)})
    for col in ("att_portal_easy", "dso_days", "rd_share", "main_platform_share", "intl_share", "win_rate",
                "isv_solution_share", "cloud_share", "log_emp", "mix_services", "mix_own_ip"):
        survey[col] = rng.normal(size=N)
    survey = survey.assign(credit=rng.integers(0, 2, N).astype(float), south=rng.integers(0, 2, N).astype(float),
                           formal=rng.integers(0, 2, N).astype(float),
                           isv=(survey["partner_type"] == "isv").astype(float), t=rng.integers(0, 4, N).astype(float),
                           vendor_support_eur=rng.exponential(1000, N) * (rng.random(N) < 0.8),
                           revenue_eur=rng.lognormal(13, 1, N), employees=rng.integers(1, 20, N).astype(float))
    firms = pd.DataFrame({"classified_type": "isv", "employees": rng.lognormal(1, 1, N), "in_directory": True})
    # one row per pipeline item and partner: each item links two firms, the pair H9 clusters on
    pipeline = pd.DataFrame({"deal_id": np.repeat(np.arange(N), 2).astype(str),
                             "firm_id": rng.choice([f"F{i}" for i in range(40)], 2 * N),
                             "record_id": np.arange(2 * N).astype(str),
                             "relationship": np.repeat(["channel", "alliance"] * (N // 2), 2),
                             "record_type": np.repeat(rng.choice(["lead", "opportunity"], N), 2)})
    for col in drop.get("columns", ()):
        survey[col] = np.nan
    if drop.get("pipeline"):
        pipeline = pipeline.iloc[:0]
    return StudyData(survey=survey, firms=firms, pipeline=pipeline)


CONFIRMATORY = [h.id for h in CATALOGUE if h.family == "confirmatory"]


def test_missing_variables_and_sources_get_a_status_and_leave_the_family() -> None:
    data = study(np.random.default_rng(5), columns=("att_portal_easy",), pipeline=True)
    survey = data.survey.assign(dso_days=data.survey["dso_days"] + 0.5 * data.survey["credit"])  # a real effect
    table = run_catalogue(StudyData(survey=survey, firms=data.firms, pipeline=data.pipeline)).set_index("id")
    assert table.loc["H0", "status"] == "not run: needs att_portal_easy"
    assert table.loc["H9", "status"] == "not run: needs a pipeline source"
    ran = table["status"].eq("ran")
    assert ran.sum() == 8
    assert table.loc[~ran, ["estimate", "ci_low", "ci_high", "p_value", "p_holm", "p_bh", "n", "supported"]
                     ].isna().all().all()
    # Holm and BH over the confirmatory hypotheses that ran (H2-H8): not over H9 (not run), nor H1 (calibration)
    family = ran & table.index.isin(CONFIRMATORY)
    assert table.index[family].tolist() == ["H2", "H3", "H4", "H5", "H6", "H7", "H8"]
    assert table.loc[family, "p_value"].min() < 0.01
    for column, method in (("p_holm", "holm"), ("p_bh", "fdr_bh")):
        np.testing.assert_allclose(table.loc[family, column],
                                   multipletests(table.loc[family, "p_value"], method=method)[1], rtol=1e-9, atol=0)
        assert table.loc[~family, column].isna().all(), f"{column} only inside the family"
    assert table.loc[family, "supported"].notna().all() and table.loc[~family, "supported"].isna().all()


def test_missing_groups_and_small_samples() -> None:
    rng = np.random.default_rng(6)
    data = study(rng)
    no_isv = StudyData(survey=data.survey.assign(partner_type="reseller", isv=0.0), firms=data.firms,
                       pipeline=data.pipeline)
    table = run_catalogue(no_isv).set_index("id")
    for h in ("H0", "H4", "H5", "H6"):
        assert table.loc[h, "status"] == "not run: no ISVs among respondents", h
    assert table.loc["H8", "status"] == "not run: no system integrators among respondents"
    one_wave = StudyData(survey=data.survey.assign(t=0.0), firms=data.firms, pipeline=data.pipeline)
    assert run_catalogue(one_wave).set_index("id").loc["H4", "status"] == "not run: needs more than one survey wave"
    few = StudyData(survey=data.survey, firms=data.firms.iloc[:20], pipeline=data.pipeline)
    assert run_catalogue(few).set_index("id").loc["H1", "status"] == "not run: fewer than 30 observations"


def test_h9_needs_the_firms_on_pipeline_items() -> None:
    """Pairs are made of the partner firms on an item: a pipeline without firm_id cannot run H9."""
    data = study(np.random.default_rng(9))
    table = run_catalogue(StudyData(survey=data.survey, firms=data.firms,
                                    pipeline=data.pipeline.drop(columns="firm_id"))).set_index("id")
    assert table.loc["H9", "status"] == "not run: needs firm_id"
    assert table.drop(index="H9")["status"].eq("ran").all()


def test_without_weights_every_row_is_unweighted() -> None:
    data = study(np.random.default_rng(7))
    unweighted = run_catalogue(StudyData(survey=data.survey.assign(weight=np.nan), firms=data.firms,
                                         pipeline=data.pipeline)).set_index("id")
    assert unweighted["status"].eq("ran").all()
    assert not unweighted["weighted"].any()
    weighted = run_catalogue(data).set_index("id")
    survey_rows = weighted.index[weighted["weighted"]].tolist()
    assert survey_rows == ["H0", "H2", "H3", "H4", "H5", "H6", "H7", "H8"]
    assert not weighted.drop(index=survey_rows)["weighted"].any()
    ols = weighted.index[weighted["estimator"].str.startswith("WLS")]
    assert unweighted.loc[ols, "estimator"].eq("OLS, SE clustered by firm").all()
    assert not unweighted["estimator"].str.contains("weights").any(), "the label says what ran"


@pytest.mark.parametrize(("estimator", "data", "expected"), [
    (BootstrapMean(table="firms", column="employees"), SimpleNamespace(firms=pd.DataFrame({"employees": [1.0] * 40})),
     None),
    (BootstrapMean(table="firms", column="employees"), SimpleNamespace(firms=pd.DataFrame({"employees": [np.nan]})),
     "needs employees"),
    (ProportionDifference(table="pipeline", outcome="record_type == 'lead'", group="relationship", a="channel",
                          b="alliance"),
     SimpleNamespace(pipeline=pd.DataFrame({"record_type": ["lead"] * 40, "relationship": ["channel"] * 40})),
     "no alliance items in the pipeline"),
    (WeightedOLS(formula="y ~ x", term="x", where="x > 5"),
     SimpleNamespace(survey=pd.DataFrame({"y": [1.0, 2.0], "x": [1.0, 2.0]})), "no rows where x > 5"),
])
def test_one_rule_for_every_estimator(estimator, data, expected) -> None:
    assert unmet(estimator.requirements, data) == expected


def test_every_hypothesis_declares_its_requirements() -> None:
    for h in CATALOGUE:
        req = h.requirements
        assert req.table in {"survey", "firms", "pipeline"} and req.columns and req.min_n == 30, h.id


def test_an_estimate_that_cannot_be_computed_is_not_run() -> None:
    """Requirements met but no variation in the outcome: a status, not a crash or a NaN in the family."""
    data = study(np.random.default_rng(8))
    flat = StudyData(survey=data.survey.assign(win_rate=0.5), firms=data.firms, pipeline=data.pipeline)
    table = run_catalogue(flat).set_index("id")
    assert table.loc["H7", "status"].startswith("not run: ")
    assert table.loc["H7", ["estimate", "p_holm"]].isna().all()
    assert table.drop(index="H7")["status"].eq("ran").all()
