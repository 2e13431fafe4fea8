"""The hypothesis catalogue: estimators, multiplicity adjustment, and recovery of the planted truth."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from channelstudy.hypotheses import (
    CATALOGUE,
    COLUMNS,
    Estimate,
    StudyData,
    bootstrap_mean,
    compare_with_truth,
    load_study,
    proportion_difference,
    run_catalogue,
    wls_term,
)
from channelstudy.hypotheses.catalogue import PREREGISTRATION_COLUMNS, preregistration
from channelstudy.hypotheses.estimators import (
    PairMeanDifference,
    PoissonPML,
    format_p,
    pair_mean_difference,
    tost_p_value,
)


def _clustered(seed: int, slope: float = 0.5, firms: int = 400, waves: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    firm = np.repeat(np.arange(firms), waves)
    x = rng.normal(size=firm.size)
    y = 1.0 + slope * x + rng.normal(0, 1, firms)[firm] + rng.normal(0, 0.5, firm.size)
    return pd.DataFrame({"firm_id": firm.astype(str), "x": x, "y": y, "weight": rng.uniform(0.5, 2.0, firm.size)})


def test_wls_term_covers_the_true_slope_at_the_nominal_rate() -> None:
    covered = [(r.ci_low <= 0.5 <= r.ci_high) for r in (wls_term(_clustered(s), "y ~ x", "x") for s in range(60))]
    assert 0.85 <= np.mean(covered) <= 1.0


def test_wls_term_under_the_null_is_rarely_significant() -> None:
    p = [wls_term(_clustered(s, slope=0.0), "y ~ x", "x").p_value for s in range(60)]
    assert np.mean(np.array(p) < 0.05) <= 0.15


def test_proportion_difference_by_hand() -> None:
    a = pd.Series([1] * 80 + [0] * 20)
    b = pd.Series([1] * 20 + [0] * 80)
    r = proportion_difference(a, b)
    se = np.sqrt(0.8 * 0.2 / 100 + 0.2 * 0.8 / 100)
    assert r.estimate == pytest.approx(0.6)
    assert r.ci_high - r.ci_low == pytest.approx(2 * 1.959964 * se, rel=1e-5)
    assert r.n == 200


def test_bootstrap_mean_is_seeded_and_brackets_the_mean() -> None:
    x = np.random.default_rng(1).lognormal(1, 1, 500)
    a, b = bootstrap_mean(x, 10.0), bootstrap_mean(x, 10.0)
    assert a == b
    assert a.ci_low < x.mean() < a.ci_high and a.p_value < 0.05


def test_test_result_rejects_an_estimate_outside_its_ci() -> None:
    with pytest.raises(ValueError, match="outside its CI"):
        Estimate(2.0, 0.0, 1.0, 0.5, 10)


def test_catalogue_declares_every_hypothesis_once() -> None:
    ids = [h.id for h in CATALOGUE]
    assert ids == [f"H{i}" for i in range(10)]
    assert all(h.claim and h.outcome and h.estimator for h in CATALOGUE)


def _random_study(seed: int = 3, n: int = 200) -> StudyData:
    rng = np.random.default_rng(seed)
    survey = pd.DataFrame({"firm_id": np.arange(n).astype(str), "weight": 1.0, "wave": 2021, "t": 0.0,
                           "partner_type": rng.choice(["isv", "reseller", "system_integrator"], n)})
    for col in ("att_portal_easy", "dso_days", "rd_share", "main_platform_share", "intl_share", "win_rate",
                "isv_solution_share", "cloud_share", "log_emp", "mix_services", "mix_own_ip"):
        survey[col] = rng.normal(size=n)
    survey = survey.assign(credit=rng.integers(0, 2, n).astype(float), south=rng.integers(0, 2, n).astype(float),
                           formal=rng.integers(0, 2, n).astype(float),
                           isv=(survey["partner_type"] == "isv").astype(float), t=rng.integers(0, 4, n).astype(float),
                           vendor_support_eur=rng.exponential(1000, n) * (rng.random(n) < 0.8),
                           revenue_eur=rng.lognormal(12, 1, n), employees=rng.integers(1, 20, n).astype(float))
    firms = pd.DataFrame({"classified_type": "isv", "employees": rng.lognormal(1, 1, n), "in_directory": True})
    deal = np.repeat(np.arange(n), 2).astype(str)
    pipeline = pd.DataFrame({"deal_id": deal, "firm_id": rng.choice([f"F{i}" for i in range(40)], 2 * n),
                             "record_id": np.arange(2 * n).astype(str),
                             "relationship": np.repeat(["channel", "alliance"] * (n // 2), 2),
                             "record_type": np.repeat(rng.choice(["lead", "opportunity"], n), 2)})
    return StudyData(survey=survey, firms=firms, pipeline=pipeline)


def test_adjusted_p_values_and_supported_rule() -> None:
    table = run_catalogue(_random_study())
    assert table.columns.tolist() == COLUMNS
    assert table["status"].eq("ran").all()
    family = table[table["family"] == "confirmatory"]
    assert family["id"].tolist() == [f"H{i}" for i in range(2, 10)]
    assert (family["p_holm"] >= family["p_value"] - 1e-15).all()
    assert (family["p_bh"] <= family["p_holm"] + 1e-15).all()
    k = len(family)
    expected_holm = np.minimum(1, np.maximum.accumulate(np.sort(family["p_value"]) * (k - np.arange(k))))
    assert np.allclose(np.sort(family["p_holm"]), expected_holm)
    assert not family.loc[family["p_holm"] >= 0.05, "supported"].any()
    outside = table[table["family"] != "confirmatory"]
    assert outside["p_holm"].isna().all() and outside["supported"].isna().all(), "H0 and H1 are not in the family"


def test_preregistration_is_generated_from_the_catalogue() -> None:
    table = preregistration()
    assert table.columns.tolist() == PREREGISTRATION_COLUMNS
    assert table["id"].tolist() == [h.id for h in CATALOGUE]
    assert (table["estimand"].str.len() > 20).all() and (table["decision_rule"].str.len() > 20).all()
    assert table.set_index("id").loc["H0", "equivalence_margin"] == 0.2
    confirmatory = table[table["family"] == "confirmatory"]
    assert confirmatory["design"].str.startswith("association").all(), "claims are associations"
    assert "employees" in table.set_index("id").loc["H7", "controls"]


def test_tost_and_p_formatting() -> None:
    assert tost_p_value(0.0, 0.05, 0.2) < 0.001
    assert tost_p_value(0.25, 0.05, 0.2) > 0.5
    assert tost_p_value(0.0, 0.5, 0.2) > 0.3, "an imprecise estimate is not equivalent"
    assert format_p(1e-300) == "< 1e-16" and format_p(0.0) == "< 1e-16" and format_p(0.04) == "0.04"


def test_pair_mean_difference_treats_pairs_not_items_as_units() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for group, mean in (("c", 0.6), ("a", 0.4)):
        for pair in range(20):
            p = np.clip(mean + rng.normal(0, 0.25), 0, 1)
            rows += [(group, f"{group}{pair}", float(rng.random() < p)) for _ in range(200)]
    d = pd.DataFrame(rows, columns=["g", "pair", "v"])
    naive = proportion_difference(d.loc[d["g"] == "c", "v"], d.loc[d["g"] == "a", "v"])
    clustered = pair_mean_difference(d["v"], d["g"], d["pair"], "c", "a")
    assert clustered.n == 40
    assert clustered.se > 3 * naive.se, "4,000 items in 40 pairs are not 8,000 independent items"


def _pipeline_of_pairs(seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items of 12 channel and 12 alliance pairs (firms F00-F47), two rows each, and their firms."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(24):
        relationship = "channel" if k < 12 else "alliance"
        for i in range(int(rng.integers(2, 7))):
            kind = "lead" if rng.random() < (0.6 if k < 12 else 0.4) else "opportunity"
            rows += [(f"D{k}-{i}", f"F{2 * k:02d}", relationship, kind),
                     (f"D{k}-{i}", f"F{2 * k + 1:02d}", relationship, kind)]
    pipeline = pd.DataFrame(rows, columns=["deal_id", "firm_id", "relationship", "record_type"])
    pipeline["record_id"] = [f"P{i}" for i in range(len(pipeline))]
    firms = pipeline.groupby("firm_id").size().rename("n_records").reset_index()
    return pipeline, firms


H9_TEST = PairMeanDifference(table="pipeline", outcome="record_type == 'lead'", group="relationship",
                             a="channel", b="alliance")


@pytest.mark.parametrize("unidentified", ["single-record firm", "no firm id"])
def test_pair_mean_difference_leaves_out_items_with_an_unidentified_firm(unidentified: str) -> None:
    pipeline, firms = _pipeline_of_pairs()
    clean = H9_TEST.estimate(StudyData(None, firms, pipeline))
    # an alliance firm's items, each with one partner row the linkage could not join (all leads)
    fragments = pipeline[pipeline["relationship"].eq("alliance")].drop_duplicates("deal_id").head(6).copy()
    fragments["deal_id"] += "x"
    fragments["record_type"] = "lead"
    partners = fragments.assign(firm_id=[f"X{i}" for i in range(6)], record_id=lambda d: d["record_id"] + "x")
    if unidentified == "no firm id":
        partners["firm_id"] = pd.NA
    messy = pd.concat([pipeline, fragments, partners], ignore_index=True)
    messy_firms = pd.concat([firms.assign(n_records=firms["n_records"] + firms["firm_id"].isin(fragments["firm_id"])),
                             pd.DataFrame({"firm_id": [f"X{i}" for i in range(6)], "n_records": 1})])
    kept = H9_TEST.estimate(StudyData(None, messy_firms, messy))
    assert (kept.estimate, kept.se, kept.n) == (clean.estimate, clean.se, clean.n)
    assert pair_mean_difference(
        messy["record_type"].eq("lead").astype(float), messy["relationship"],
        messy.groupby("deal_id")["firm_id"].transform(lambda f: "|".join(sorted(f.fillna("?").astype(str)))),
        "channel", "alliance").estimate < clean.estimate, "counted as pairs, the fragments would move H9"


def test_pair_mean_difference_keeps_every_item_of_true_firm_keys() -> None:
    pipeline, firms = _pipeline_of_pairs()
    with_counts = H9_TEST.estimate(StudyData(None, firms, pipeline))
    keys_only = H9_TEST.estimate(StudyData(None, firms.drop(columns="n_records"), pipeline))
    assert keys_only.n == with_counts.n == 24 and keys_only.estimate == with_counts.estimate


def test_poisson_pml_keeps_zero_rows_and_recovers_the_log_ratio() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    x = rng.integers(0, 2, n).astype(float)
    revenue = rng.lognormal(12, 1.5, n)
    amount = revenue * np.exp(-4 + 0.3 * x + rng.normal(0, 0.5, n)) * (rng.random(n) < 0.7)
    survey = pd.DataFrame({"firm_id": np.arange(n).astype(str), "weight": 1.0, "x": x, "amount": amount,
                           "revenue": revenue})
    r = PoissonPML(formula="amount ~ x", term="x", exposure="revenue").estimate(StudyData(survey, None, None))
    assert r.n == n, "zero amounts stay in the fit"
    assert r.ci_low < 0.3 < r.ci_high


def test_planted_effects_are_recovered_and_not_overwhelming(analyzed_world) -> None:
    root, analyzed, _ = analyzed_world
    table = compare_with_truth(run_catalogue(load_study(analyzed)), root / "truth" / "effects.json")
    by_id = table.set_index("id")
    # measured: all 10 CIs cover the planted value; one miss in ten is allowed
    assert by_id["covered"].mean() >= 0.9, by_id[["estimate", "ci_low", "ci_high", "planted"]]
    # counted as relationship pairs, the 63 items with a firm the linkage left unidentified gave H9 0.159
    # (CI 0.087-0.231) against the planted 0.070; without them 0.096 (0.043-0.149)
    assert by_id.loc["H9", "covered"], by_id.loc["H9"]
    confirmatory = by_id[by_id["family"] == "confirmatory"]
    assert (confirmatory["z"].abs() < 10).all(), "modest planted effects: no p-value near 1e-30"
    assert not by_id.loc["H0", "p_value"] < 0.05 or by_id.loc["H0", "equivalent"]


def test_variance_option_of_the_weighted_estimators() -> None:
    from channelstudy.hypotheses.catalogue import CATALOGUE
    from channelstudy.hypotheses.estimators import WeightedOLS
    from channelstudy.hypotheses.validation import truth_study
    from channelstudy.simulate import WorldConfig
    from channelstudy.simulate.world import build_world

    data = truth_study(build_world(WorldConfig(n_firms=1_000), 5))
    h5 = next(h for h in CATALOGUE if h.id == "H5").test
    linear = h5.estimate(data)
    boot = replace(h5, variance="bootstrap").estimate(data)
    jack = replace(h5, variance="jackknife", n_replicates=20).estimate(data)
    assert boot.estimate == linear.estimate == jack.estimate
    assert 0.7 < boot.se / linear.se < 1.4 and 0.6 < jack.se / linear.se < 1.6
    assert boot.ci_low < boot.estimate < boot.ci_high
    assert "20 jackknife replicate weights" in replace(h5, variance="jackknife", n_replicates=20).label
    h4 = next(h for h in CATALOGUE if h.id == "H4").test
    assert 0.6 < replace(h4, variance="bootstrap").estimate(data).se / h4.estimate(data).se < 1.6
    with pytest.raises(ValueError, match="variance"):
        WeightedOLS(formula="y ~ x", term="x", variance="delta")
    with pytest.raises(ValueError, match="n_replicates"):
        WeightedOLS(formula="y ~ x", term="x", variance="bootstrap", n_replicates=1)


def test_bounded_share_check_flags_a_linear_model_outside_the_bounds() -> None:
    from channelstudy.hypotheses.bounded import bounded_share_check

    rng = np.random.default_rng(1)
    x = rng.random(600)
    y = 1 / (1 + np.exp(-(-4 + 8 * x + rng.normal(0, 0.3, 600))))  # an S-curve a line overshoots
    d = pd.DataFrame({"firm_id": np.arange(600), "weight": 1.0, "x": x, "y": y})
    check = bounded_share_check(d, "y ~ x", "x")
    assert check["in_range"] < 1.0
