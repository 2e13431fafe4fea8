"""Method validation on a few small worlds: the loop `make validate` runs on 200 worlds, and its pass rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelstudy.hypotheses.validation import clopper_pearson, summarise
from channelstudy.pipeline import (
    h0_false_positive_loop,
    minimum_detectable_effect,
    provenance,
    validate_methods,
)


@pytest.fixture(scope="module")
def small_validation():
    return validate_methods([101, 102, 103], n_firms=1_000, workers=1, progress=False, mode="truth")


def test_validation_reports_every_hypothesis(small_validation) -> None:
    runs, summary = small_validation
    assert sorted(summary["id"]) == [f"H{i}" for i in range(10)]
    assert (summary["n_seeds"] == 3).all()
    assert runs.groupby("seed")["id"].nunique().eq(10).all()
    assert summary.loc[summary["id"] == "H0", "false_positive_rate"].notna().all()
    confirmatory = summary["family"] == "confirmatory"
    assert summary.loc[confirmatory, "power"].notna().all() and summary.loc[~confirmatory, "power"].isna().all()
    assert (summary["coverage_ci_low"] <= summary["coverage"]).all()


@pytest.mark.slow
def test_full_pipeline_validation_runs_on_a_small_world() -> None:
    runs, summary = validate_methods([11], n_firms=1_000, workers=1, progress=False, mode="full")
    assert len(summary) == 10 and runs["covered"].mean() >= 0.6


def _runs(covered: list[bool], p_h0: list[float]) -> pd.DataFrame:
    n = len(covered)
    return pd.DataFrame({
        "id": ["H0"] * len(p_h0) + ["H2"] * n,
        "family": ["control"] * len(p_h0) + ["confirmatory"] * n,
        "estimate": 0.0, "planted": 0.0, "ci_low": -1.0, "ci_high": 1.0, "null_value": 0.0,
        "covered": [True] * len(p_h0) + covered,
        "supported": [pd.NA] * len(p_h0) + [True] * n,
        "p_value": p_h0 + [0.01] * n,
    })


def test_summarise_by_hand_and_the_pass_rules_can_fail() -> None:
    out = summarise(_runs([True] * 90 + [False] * 10, [0.5] * 90 + [0.01] * 10)).set_index("id")
    assert out.loc["H2", "coverage"] == 0.9 and not out.loc["H2", "coverage_ok"], "0.90 < 0.93 fails"
    assert out.loc["H0", "false_positive_rate"] == 0.1 and not out.loc["H0", "fpr_ok"]
    assert out.loc["H0", "fpr_mc_se"] == pytest.approx(np.sqrt(0.1 * 0.9 / 100))
    assert (out.loc["H2", "coverage_ci_low"], out.loc["H2", "coverage_ci_high"]) == pytest.approx(
        clopper_pearson(90, 100))
    good = summarise(_runs([True] * 95 + [False] * 5, [0.5] * 97 + [0.01] * 3)).set_index("id")
    assert good.loc["H2", "coverage_ok"] and good.loc["H0", "fpr_ok"]
    over = summarise(_runs([True] * 100, [0.5] * 100)).set_index("id")
    assert not over.loc["H2", "coverage_ok"], "over-coverage (1.00 > 0.97) fails too"


def test_clopper_pearson_matches_the_beta_quantiles() -> None:
    low, high = clopper_pearson(14, 200)
    assert low < 0.07 < high and high - low < 0.08


def test_h0_loop_on_a_few_small_worlds() -> None:
    runs, summary = h0_false_positive_loop([1, 2, 3], n_firms=800, workers=1, progress=False)
    assert len(runs) == 3 and summary["n_worlds"].item() == 3
    assert 0 <= summary["false_positive_rate"].item() <= 1


def test_minimum_detectable_effect_interpolates() -> None:
    power = pd.DataFrame({"id": "H2", "responses_per_wave": 200, "multiplier": [0.0, 1.0, 2.0],
                          "power": [0.05, 0.6, 1.0], "planted_mean": [0.0, 2.0, 4.0]})
    mde = minimum_detectable_effect(power).iloc[0]
    assert mde["mde_multiplier"] == pytest.approx(1.5) and mde["mde_planted"] == pytest.approx(3.0)


def test_provenance_records_commit_versions_and_seeds() -> None:
    record = provenance(seeds=[1, 2], config={"n_firms": 1000})
    assert record["seeds"] == [1, 2] and record["versions"]["pandas"]
    assert record["commit"]


def test_no_seeds_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one seed"):
        validate_methods([])
