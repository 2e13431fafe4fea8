"""Issue 12's criterion: under non-ignorable response, the stage's weights bring the shares closer to the truth.

A small simulated world (2,000 firms) with the [inference] scenario ``nonignorable_response`` (firms
that win more answer more often; larger firms answer more often in every world) goes through
simulate -> build -> analyze with the simulator's own population margins (its raw folder's
``population_margins.csv``).  The weighted shares of the responses by size class and by partner
type must be closer to the true population's shares (summed absolute error) than the unweighted
ones, and the balance table must show smaller standardised mean differences than no weights on
the covariates the weights were not built on.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from channelstudy.analysis import AnalyzeConfig, analyze
from channelstudy.catalog import read_table
from channelstudy.clean.size import size_class
from channelstudy.pipeline import run_build
from channelstudy.simulate import WorldConfig, simulate


@pytest.fixture(scope="module")
def nonignorable(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("nonignorable")
    simulate(root / "raw", truth_out=root / "truth", n_firms=2000, seed=11,
             config=WorldConfig(nonignorable_response=1.0))
    run_build(root / "raw", root / "processed")
    result = analyze(root / "processed", tables_dir=root / "tables", margins=root / "raw",
                     config=AnalyzeConfig(n_bootstrap=0, n_components_range=(1, 2)))
    return root, result


def share_errors(root: Path, weights: pd.Series) -> dict[str, float]:
    """Summed |estimated share - true share| over the levels of size class and of partner type."""
    truth = pd.read_parquet(root / "truth" / "firms.parquet")
    truth = truth[truth["partner_type"] != "platform_vendor"]
    true_shares = {"size_class": size_class(truth["employees"], truth["revenue_eur"]).astype(str),
                   "partner_type": truth["partner_type"].astype(str)}
    survey = read_table("survey", root / "processed")[["firm_id", "source", "record_id"]]
    data = (survey.assign(w=weights.to_numpy(dtype=float))
            .merge(read_table("firms", root / "processed")[["firm_id", "size_class"]], on="firm_id")
            .merge(read_table("segments", root / "processed")[["firm_id", "partner_type"]], on="firm_id"))
    errors = {}
    for column, values in true_shares.items():
        d = data.dropna(subset=["w", column])
        d = d[d[column].astype(str) != "unclassified"]
        estimate = d.groupby(d[column].astype(str))["w"].sum() / d["w"].sum()
        levels = estimate.index.union(values.unique())
        errors[column] = float((estimate.reindex(levels, fill_value=0)
                                - values.value_counts(normalize=True).reindex(levels, fill_value=0)).abs().sum())
    return errors


def test_the_stage_calibrates_a_simulated_world_to_its_own_margins(nonignorable) -> None:
    _, result = nonignorable
    weighting = result.report["weighting"]
    assert weighting["used"] == "calibrated" and weighting["simulated_margins"], weighting
    assert result.report["stages"]["weights"] == "ran"


def test_weighted_shares_are_closer_to_the_truth_than_unweighted(nonignorable) -> None:
    root, result = nonignorable
    weights = result.weights["weight"]
    assert weights.notna().mean() > 0.9
    weighted = share_errors(root, weights)
    unweighted = share_errors(root, pd.Series(np.ones(len(weights))))
    for column in ("size_class", "partner_type"):
        assert weighted[column] < 0.6 * unweighted[column], (column, weighted, unweighted)


def test_balance_improves_on_covariates_not_calibrated(nonignorable) -> None:
    _, result = nonignorable
    balance = result.balance
    not_margin = balance[~balance["margin"]]
    mean_smd = not_margin.groupby("scheme")["abs_smd"].mean()
    none = balance[balance["scheme"] == "none"]
    # on the same covariates as the calibrated scheme's non-margins
    covariates = not_margin.loc[not_margin["scheme"] == "calibrated", "covariate"]
    before = none[none["covariate"].isin(covariates)]["abs_smd"].mean()
    assert mean_smd["calibrated"] < 0.75 * before, (mean_smd, before)
    # the diagnostics say what the weights cost: effective n below n, design effect above 1
    calibrated = balance[balance["scheme"] == "calibrated"].iloc[0]
    assert calibrated["deff_kish"] > 1 and calibrated["n_effective"] < calibrated["n"]


def test_real_counts_are_never_used_for_a_simulated_world(nonignorable, tmp_path, caplog) -> None:
    root, _ = nonignorable
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "sources.yml").write_text((root / "raw" / "sources.yml").read_text(encoding="utf-8"), encoding="utf-8")
    from channelstudy.analysis.margins import resolve_margins

    table, origin = resolve_margins(raw)
    assert table is None and "never used for a simulated world" in origin
    (raw / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    table, origin = resolve_margins(raw)
    assert table is not None and "real ISTAT" in origin and not table["source"].str.startswith("SIMULATED").any()
    with caplog.at_level(logging.INFO):
        assert resolve_margins(None)[0] is None


def test_the_simulator_publishes_its_margins_in_the_real_tables_format(nonignorable) -> None:
    from channelstudy.analysis.margins import COLUMNS, is_simulated, load_population_margins

    root, _ = nonignorable
    table = load_population_margins(root / "raw" / "population_margins.csv")
    assert list(table.columns) == list(COLUMNS) and is_simulated(table)
    truth = pd.read_parquet(root / "truth" / "firms.parquet")
    truth = truth[truth["partner_type"] != "platform_vendor"]
    assert int(table["enterprises"].sum()) == len(truth)
    assert int(table["persons_employed"].sum()) == int(truth["employees"].sum())
    assert not is_simulated(load_population_margins())  # the committed ISTAT table is real


def test_margins_whose_classes_do_not_match_fall_back_to_the_frame() -> None:
    from channelstudy.analysis.margins import load_population_margins
    from channelstudy.analysis.stage_weights import _calibrated

    responses = pd.DataFrame({"wave": 2024, "ateco_class": ["99.99"] * 8 + ["62.10"] * 2,
                              "employees": 3.0})
    weights, _, status = _calibrated(responses, load_population_margins(), "test", AnalyzeConfig(), 5.0)
    assert weights is None and status.startswith("not run: the margins' ATECO classes hold 20%"), status


def test_replicates_redo_the_calibration(nonignorable) -> None:
    # issue 12: replicate weights re-rake each replicate. With every resampling factor 1 the reweigher gives
    # the stage's own calibrated weights; a jackknife replicate's weights meet the wave margins again (a
    # rescaled weight would not); and the pipeline hands the reweigher to the catalogue's replicate SEs
    from dataclasses import replace as dc_replace

    from channelstudy.analysis.margins import resolve_margins
    from channelstudy.analysis.replicates import replicate_weights
    from channelstudy.analysis.stage_weights import calibration_reweigher
    from channelstudy.hypotheses import load_study
    from channelstudy.pipeline import with_recalibration

    root, result = nonignorable
    survey = read_table("survey", root / "processed")
    table, _ = resolve_margins(root / "raw")
    config = AnalyzeConfig(n_bootstrap=0, n_components_range=(1, 2))
    weigh = calibration_reweigher(read_table("firms", root / "processed"), result.segments, table, config)
    own = weigh(survey, pd.Series(1.0, index=survey.index))
    np.testing.assert_allclose(own.to_numpy(float), result.weights["weight"].to_numpy(float), rtol=1e-8)

    stage = result.weights["weight"].astype(float).set_axis(survey.index)
    replicates = replicate_weights(survey, weigh, method="jackknife", n_replicates=4, random_state=1)
    # responses outside the margins' classes have no weight in the stage, and none in a replicate (missing,
    # or 0 where the replicate left the firm out)
    assert replicates[stage.notna()].notna().all().all() and replicates[stage.isna()].fillna(0).eq(0).all().all()
    waves = survey["wave"].to_numpy()
    target = stage.groupby(waves).sum().to_numpy()
    for column in replicates:
        # recalibrated: the waves again sum to the population total (a rescaled weight would only by chance);
        # on this small world one wave of one replicate cannot meet its margins under the cap (trimmed instead,
        # 0.5 % off), as the stage's own calibration can fail on a thin wave
        met = np.isclose(replicates[column].groupby(waves).sum().to_numpy(), target, rtol=1e-6)
        assert met.sum() >= len(met) - 1, (column, met)
        assert not np.allclose(replicates[column].fillna(0), stage.fillna(0))  # the resample differs

    data = with_recalibration(load_study(root / "processed"), root / "processed", result, root / "raw", config)
    assert data.weigh is not None
    plain = dc_replace(data, weigh=None)
    assert with_recalibration(plain, root / "processed", dc_replace(result, report={"weighting": {"used": "frame"}}),
                              root / "raw", config).weigh is None
