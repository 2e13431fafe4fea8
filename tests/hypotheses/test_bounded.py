"""H6's bounded-share check in the validation loop: it runs as the catalogue runs H6, or not at all."""

from __future__ import annotations

import numpy as np
import pytest

from channelstudy.hypotheses import CATALOGUE, StudyData, bounded, run_catalogue
from channelstudy.hypotheses.bounded import CHECK_COLUMNS, bounded_checks
from tests.hypotheses.test_requirements import study


def _shares(seed: int = 7, **survey) -> StudyData:
    data = study(np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    s = data.survey.assign(intl_share=rng.uniform(0, 1, len(data.survey)), **survey)
    return StudyData(survey=s, firms=data.firms, pipeline=data.pipeline)


def test_without_weights_the_check_is_unweighted_like_the_hypothesis() -> None:
    data = _shares()  # unit weights: the weighted check is the unweighted one
    no_weights = _shares(weight=np.nan)
    assert not run_catalogue(no_weights).set_index("id").loc["H6", "weighted"]
    checks = bounded_checks(no_weights, CATALOGUE)
    assert checks.index.tolist() == ["H6"] and checks.columns.tolist() == list(CHECK_COLUMNS)
    assert checks.loc["H6"].notna().all()
    assert checks.equals(bounded_checks(data, CATALOGUE))


def test_where_the_hypothesis_does_not_run_the_check_is_missing() -> None:
    data = _shares()
    few_isvs = (np.arange(len(data.survey)) < 5).astype(float)  # 5 ISVs: fewer than H6 needs
    few = _shares(isv=few_isvs, partner_type=np.where(few_isvs == 1, "isv", "reseller"))
    assert run_catalogue(few).set_index("id").loc["H6", "status"].startswith("not run")
    assert bounded_checks(few, CATALOGUE).loc["H6"].isna().all()


def test_a_check_that_cannot_be_fitted_is_missing_not_fatal(monkeypatch, caplog) -> None:
    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(bounded, "bounded_share_check", singular)
    with caplog.at_level("INFO", logger="channelstudy.hypotheses.bounded"):
        checks = bounded_checks(_shares(), CATALOGUE)
    assert checks.loc["H6"].isna().all() and "LinAlgError" in caplog.text


def test_a_catalogue_without_a_checked_hypothesis_has_no_rows() -> None:
    h2 = tuple(h for h in CATALOGUE if h.id == "H2")
    checks = bounded_checks(_shares(), h2)
    assert checks.empty and checks.columns.tolist() == list(CHECK_COLUMNS)


@pytest.mark.parametrize("weight", [1.0, np.nan])
def test_the_check_agrees_with_the_linear_fit_on_a_linear_share(weight: float) -> None:
    checks = bounded_checks(_shares(weight=weight), CATALOGUE).loc["H6"]
    assert checks["check_in_range"] == 1.0 and bool(checks["check_ame_inside_ci"])
