"""The analysis stage on the default world: weights recover the population, segments are complete."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from channelstudy.analysis import AnalyzeConfig, analyze
from channelstudy.analysis.weights import weighted_mean
from tests.conftest import true_firm_keys


def test_segments_cover_every_firm(analyzed_world) -> None:
    _, analyzed, result = analyzed_world
    firms = pd.read_parquet(analyzed / "firms.parquet")
    segments = pd.read_parquet(analyzed / "segments.parquet")
    assert segments["firm_id"].tolist() == firms["firm_id"].tolist()
    assert {"firm_id", "partner_type", "rule", "cluster", "cluster_name", "membership_prob"} <= set(segments.columns)
    clustered = segments.dropna(subset=["cluster"])
    assert clustered["membership_prob"].between(0, 1).all()
    survey = pd.read_parquet(analyzed / "survey.parquet")
    with_mix = set(survey.dropna(subset=[c for c in survey.columns if c.startswith("mix_")])["firm_id"])
    assert set(clustered["firm_id"]) == with_mix, "every firm with a valid revenue mix is clustered"
    assert set(clustered["cluster_name"]) == {"resale-led", "services-led", "own-IP", "managed/cloud"}


def test_weighted_estimates_beat_unweighted_ones(analyzed_world) -> None:
    """Population mean of log persons employed (not a raking margin): weighted is closer to the truth."""
    root, analyzed, _ = analyzed_world
    truth = pd.read_parquet(root / "truth" / "firms.parquet")
    partners = truth[truth["partner_type"] != "platform_vendor"]
    true_value = np.log(partners["employees"]).mean()
    survey = pd.read_parquet(analyzed / "survey.parquet")
    weights = pd.read_parquet(analyzed / "survey_weights.parquet")
    s = survey.merge(weights, on=["source", "record_id", "firm_id", "wave"]).dropna(subset=["weight", "employees"])
    for wave, g in s.groupby("wave"):
        x = np.log(g["employees"].astype(float))
        unweighted = abs(x.mean() - true_value)
        weighted = abs(weighted_mean(x, g["weight"].astype(float)) - true_value)
        assert weighted < unweighted, (wave, weighted, unweighted)


def test_weighted_population_shares_beat_unweighted_ones(analyzed_world) -> None:
    """Share of partners with turnover above 1 M EUR (not a raking margin): weighted is closer to the truth."""
    root, analyzed, _ = analyzed_world
    truth = pd.read_parquet(root / "truth" / "firms.parquet")
    partners = truth[truth["partner_type"] != "platform_vendor"]
    true_share = (partners["revenue_eur"] > 1e6).mean()
    survey = pd.read_parquet(analyzed / "survey.parquet")
    weights = pd.read_parquet(analyzed / "survey_weights.parquet")
    s = survey.merge(weights, on=["source", "record_id", "firm_id", "wave"]).dropna(subset=["weight", "revenue_eur"])
    errors = []
    for _, g in s.groupby("wave"):
        above = (g["revenue_eur"].astype(float) > 1e6).astype(float)
        errors.append((abs(above.mean() - true_share), abs(weighted_mean(above, g["weight"].astype(float)) - true_share)))
    for wave_errors in errors:
        assert wave_errors[1] < wave_errors[0], errors


def test_weights_report_has_design_effects(analyzed_world) -> None:
    _, analyzed, result = analyzed_world
    report = pd.read_csv(analyzed / "weights_report.csv")
    assert report["converged"].all()
    # recomputed from the weights of each wave: Kish deff = n sum(w^2) / (sum w)^2, n_eff = n / deff
    # (the CSV keeps 6 significant digits)
    weights = pd.read_parquet(analyzed / "survey_weights.parquet").dropna(subset=["weight"])
    by_wave = weights.groupby("wave")["weight"]
    n = by_wave.size()
    deff = n * by_wave.apply(lambda w: (w.astype(float) ** 2).sum()) / by_wave.sum().astype(float) ** 2
    assert report["n"].tolist() == n.tolist()
    np.testing.assert_allclose(report["deff_kish"], deff.to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(report["n_effective"], (n / deff).to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(report["weight_max"], by_wave.max().astype(float).to_numpy(), rtol=1e-5)
    assert (analyzed / "tables" / "weights_report.csv").is_file()


def test_clusters_recover_the_true_business_models(analyzed_world) -> None:
    root, analyzed, result = analyzed_world
    segments = pd.read_parquet(analyzed / "segments.parquet").dropna(subset=["cluster"])
    key = true_firm_keys(pd.read_parquet(analyzed / "links.parquet"), pd.read_parquet(root / "truth" / "records.parquet"))
    archetype = pd.read_parquet(root / "truth" / "firms.parquet").set_index("firm_key")["archetype"]
    both = segments.set_index("firm_id").join(key).dropna(subset=["firm_key"])
    ari = adjusted_rand_score(archetype.reindex(both["firm_key"]).to_numpy(), both["cluster"].to_numpy())
    assert ari >= 0.80, ari


def test_analysis_is_deterministic(analyzed_world, tmp_path: Path) -> None:
    _, analyzed, _ = analyzed_world
    for name in ("firms", "survey", "vendor_roster", "pipeline", "links"):
        shutil.copy2(analyzed / f"{name}.parquet", tmp_path / f"{name}.parquet")
    shutil.copy2(analyzed / "build_report.json", tmp_path / "build_report.json")
    analyze(tmp_path)
    for name in ("segments.parquet", "survey_weights.parquet", "weights_report.csv", "analysis_report.json"):
        assert hashlib.sha256((analyzed / name).read_bytes()).digest() == \
            hashlib.sha256((tmp_path / name).read_bytes()).digest(), name


def test_missing_build_outputs_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run `channelstudy build` first"):
        analyze(tmp_path)


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="n_components_range"):
        AnalyzeConfig(n_components_range=(5, 2))


def test_every_step_ran_on_the_default_world(analyzed_world) -> None:
    _, analyzed, result = analyzed_world
    assert result.report["stages"] == {"partner_typing": "ran", "weights": "ran", "clustering": "ran"}
    assert result.weights["weight"].notna().mean() > 0.95


def _tiny(n_frame: dict[tuple[str, str], int], respondents: list[tuple[str, str]]):
    """A frame with ``n_frame`` firms per (size class, macro-area) and respondents in the given cells."""
    rows = [(s, a) for (s, a), k in n_frame.items() for _ in range(k)]
    firms = pd.DataFrame({"firm_id": [f"F{i}" for i in range(len(rows))] + [f"R{i}" for i in range(len(respondents))],
                          "size_class": [s for s, _ in rows] + [s for s, _ in respondents],
                          "macro_area": [a for _, a in rows] + [a for _, a in respondents]})
    segments = pd.DataFrame({"firm_id": firms["firm_id"], "partner_type": "isv"})
    survey = pd.DataFrame({"firm_id": [f"R{i}" for i in range(len(respondents))], "wave": 2024, "source": "s",
                           "record_id": [str(i) for i in range(len(respondents))]})
    listed = firms.iloc[:len(rows)].assign(partner_type="isv")
    return survey, firms, segments, listed


def test_weights_fall_back_to_unweighted_when_raking_cannot_run() -> None:
    from channelstudy.analysis import weigh

    config = AnalyzeConfig(raking=replace(AnalyzeConfig().raking, min_cell=1))
    survey, firms, segments, listed = _tiny({("micro", "Nord-Ovest"): 30, ("small", "Sud"): 20},
                                            [("micro", "Nord-Ovest")] * 3 + [("small", "Sud")] * 2)
    weights, report, _, status = weigh(survey, firms, segments, listed, config)
    assert status == "ran" and weights["weight"].sum() == pytest.approx(50)
    # respondents in a cell the frame lacks: raking is impossible, the survey stays unweighted
    survey, firms, segments, listed = _tiny({("micro", "Nord-Ovest"): 30},
                                            [("micro", "Nord-Ovest")] * 3 + [("large", "Isole")] * 2)
    weights, report, _, status = weigh(survey, firms, segments, listed, config)
    assert status.startswith("not run: raking failed"), status
    assert weights["weight"].isna().all() and report.empty
    weights, _, _, status = weigh(survey, firms, segments, listed.iloc[:0], config)
    assert status.startswith("not run: no directory frame") and weights["weight"].isna().all()


def test_a_frame_cell_without_respondents_costs_that_cell_not_the_weights(caplog) -> None:
    from channelstudy.analysis import weigh

    config = AnalyzeConfig(raking=replace(AnalyzeConfig().raking, min_cell=1))
    survey, firms, segments, listed = _tiny({("micro", "Nord-Ovest"): 30, ("small", "Sud"): 20},
                                            [("micro", "Nord-Ovest")] * 3)
    with caplog.at_level("WARNING", logger="channelstudy.analysis.stage_weights"):
        weights, report, _, status = weigh(survey, firms, segments, listed, config)
    assert status == "ran: wave 2024 without macro_area: Sud (20 units): no respondents", status
    assert weights["weight"].sum() == pytest.approx(30)
    assert report["population_uncovered"].tolist() == [20.0] and "Sud" in caplog.text
