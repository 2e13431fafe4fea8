"""Tests of channelstudy.analysis.weights: size classes, margins, raking with collapsing and trimming, estimates."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from channelstudy.analysis.raking import RakingConfig, WeightsWarning, population_margins, rake
from channelstudy.analysis.weights import (
    REPORT_COLUMNS,
    weight_waves,
    weighted_mean,
    weighted_means,
    weighted_share,
)
from channelstudy.clean.size import SIZE_CLASS_DTYPE, size_class
from channelstudy.errors import RakingError, UncoveredCellError
from channelstudy.vocabulary import SIZE_CLASSES

TRUTH = Path(__file__).resolve().parents[2] / "data" / "interim" / "truth"


def margin(values: dict, name: str) -> pd.Series:
    """A one-dimensional margin of counts named after its sample column."""
    return pd.Series(values, dtype="float64").rename_axis(name)


def weighted_totals(sample: pd.DataFrame, weights: pd.Series, dims: list[str]) -> pd.Series:
    return weights.groupby([sample[d] for d in dims], observed=True).sum()


# --------------------------------------------------------------------------------------------
# size_class
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("employees", "expected"),
    [
        (0, "micro"),
        (9, "micro"),
        (10, "small"),
        (49, "small"),
        (50, "medium"),
        (249, "medium"),
        (250, "large"),
    ],
)
def test_size_class_headcount_boundaries(employees: int, expected: str) -> None:
    assert size_class([employees]).iloc[0] == expected
    assert size_class([employees], [1.0]).iloc[0] == expected  # a tiny turnover does not lower the class


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [
        (2_000_000, "micro"),
        (2_000_001, "small"),
        (10_000_000, "small"),
        (10_000_001, "medium"),
        (50_000_000, "medium"),
        (50_000_001, "large"),
    ],
)
def test_size_class_turnover_boundaries(revenue: float, expected: str) -> None:
    assert size_class([1], [revenue]).iloc[0] == expected


def test_size_class_takes_the_larger_class_and_handles_missing_values() -> None:
    employees = pd.Series([5, 60, 300, None, 5, 12], index=list("abcdef"))
    revenue = pd.Series([30e6, 1e6, 1e6, 100e6, None, None], index=list("abcdef"))
    got = size_class(employees, revenue)
    assert got.index.equals(employees.index)
    assert got.name == "size_class"
    assert got.dtype == SIZE_CLASS_DTYPE
    assert list(got.dtype.categories) == list(SIZE_CLASSES)
    assert got.dtype.ordered
    assert got.astype(object).where(got.notna(), None).tolist() == [
        "medium",  # 5 persons, 30 M€: the turnover class
        "medium",  # 60 persons, 1 M€: the headcount class
        "large",
        None,  # no headcount: NA whatever the turnover
        "micro",  # no turnover: headcount alone
        "small",
    ]
    assert (got < "large").tolist() == [True, True, False, False, True, True]  # ordered; NA compares False


def test_size_class_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="negative"):
        size_class([-1])
    with pytest.raises(ValueError, match="negative"):
        size_class([1], [-5.0])
    with pytest.raises(ValueError, match="values"):
        size_class([1, 2], [1.0])


# --------------------------------------------------------------------------------------------
# population_margins
# --------------------------------------------------------------------------------------------


def test_population_margins_counts_crossed_and_single_dimensions() -> None:
    frame = pd.DataFrame(
        {
            "kind": ["a", "a", "b", "b", "b"],
            "size": pd.Categorical(["s", "l", "s", "s", "l"], categories=["s", "l"], ordered=True),
            "area": ["n", "n", "s", "n", "s"],
        }
    )
    margins = population_margins(frame, [("kind", "size"), "area"])
    assert list(margins) == ["kind x size", "area"]
    crossed = margins["kind x size"]
    assert crossed.index.names == ["kind", "size"]
    assert crossed.to_dict() == {("a", "s"): 1.0, ("a", "l"): 1.0, ("b", "s"): 2.0, ("b", "l"): 1.0}
    assert margins["area"].to_dict() == {"n": 3.0, "s": 2.0}
    level = crossed.index.get_level_values("size")
    assert isinstance(level.dtype, pd.CategoricalDtype) and level.dtype.ordered


def test_population_margins_drop_incomplete_rows_from_every_margin() -> None:
    frame = pd.DataFrame({"kind": ["a", "b", None, "a"], "area": ["n", None, "s", "s"]})
    with pytest.warns(WeightsWarning, match="2 of 4"):
        margins = population_margins(frame, ["kind", "area"])
    assert {name: m.sum() for name, m in margins.items()} == {"kind": 2.0, "area": 2.0}


def test_population_margins_reject_missing_columns_and_repeats() -> None:
    frame = pd.DataFrame({"kind": ["a"]})
    with pytest.raises(KeyError, match="area"):
        population_margins(frame, ["kind", "area"])
    with pytest.raises(ValueError, match="repeated"):
        population_margins(frame, ["kind", "kind"])


# --------------------------------------------------------------------------------------------
# RakingConfig
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_iter": 0},
        {"max_iter": 1.5},
        {"tol": 0},
        {"tol": -1e-6},
        {"tol": math.inf},
        {"trim_ratio": 1.0},
        {"trim_ratio": 0.5},
        {"trim_ratio": math.inf},
        {"trim_ratio": "5"},
        {"min_cell": 0},
        {"min_cell": True},
    ],
)
def test_raking_config_rejects_bad_values(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RakingConfig(**kwargs)


def test_raking_config_defaults_and_frozen() -> None:
    config = RakingConfig()
    assert (config.max_iter, config.tol, config.trim_ratio, config.min_cell) == (100, 1e-6, 5.0, 5)
    with pytest.raises(AttributeError):
        config.tol = 1e-3  # type: ignore[misc]
    with pytest.raises(TypeError):
        RakingConfig(collapse="yes")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Raking: hand-checkable examples
# --------------------------------------------------------------------------------------------

ONE_PER_CELL = pd.DataFrame({"kind": ["a", "a", "b", "b"], "area": ["n", "s", "n", "s"]})
EXACT = RakingConfig(tol=1e-12, min_cell=1, trim_ratio=None, max_iter=1000)


def test_two_by_two_from_equal_weights_is_the_independence_table() -> None:
    margins = {"kind": margin({"a": 30, "b": 70}, "kind"), "area": margin({"n": 40, "s": 60}, "area")}
    result = rake(ONE_PER_CELL, margins, config=EXACT)
    # w_ij = R_i * C_j / N
    np.testing.assert_allclose(result.weights.to_numpy(), [12, 18, 28, 42], rtol=1e-12)
    assert result.converged and result.iterations == 1
    assert result.population_total == 100


def test_two_by_two_keeps_the_cross_product_ratio_of_the_seed() -> None:
    # seed [[1, 2], [3, 4]] raked to all margins 50: IPF keeps the odds ratio w11 w22 / (w12 w21) = 2/3,
    # so by symmetry w11 = w22 = x, w12 = w21 = 50 - x with x / (50 - x) = sqrt(2/3).
    margins = {"kind": margin({"a": 50, "b": 50}, "kind"), "area": margin({"n": 50, "s": 50}, "area")}
    result = rake(ONE_PER_CELL, margins, base_weights=[1.0, 2.0, 3.0, 4.0], config=EXACT)
    r = math.sqrt(2 / 3)
    x = 50 * r / (1 + r)
    np.testing.assert_allclose(result.weights.to_numpy(), [x, 50 - x, 50 - x, x], rtol=1e-10)
    assert result.converged
    assert result.max_margin_error < 1e-12
    assert result.deff_kish == pytest.approx(4 * (2 * x**2 + 2 * (50 - x) ** 2) / 100**2)
    assert result.n_effective == pytest.approx(4 / result.deff_kish)


def test_weights_within_a_cell_keep_base_weight_proportions() -> None:
    sample = pd.DataFrame({"kind": ["a", "a", "a", "b"]})
    result = rake(
        sample, {"kind": margin({"a": 60, "b": 40}, "kind")}, base_weights=[1, 2, 3, 1], config=EXACT
    )
    np.testing.assert_allclose(result.weights.to_numpy(), [10, 20, 30, 40])


# --------------------------------------------------------------------------------------------
# Raking: a skewed random sample (margins, trimming, convergence)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def skewed() -> tuple[pd.DataFrame, dict[str, pd.Series], np.ndarray]:
    """1,000 respondents on two dimensions, lognormal base weights (max/mean of raked weights ~ 30)."""
    rng = np.random.default_rng(1)
    n = 1000
    sample = pd.DataFrame(
        {
            "kind": rng.choice(list("abcd"), n, p=[0.4, 0.3, 0.2, 0.1]),
            "area": rng.choice(list("xyz"), n, p=[0.5, 0.3, 0.2]),
        },
        index=pd.RangeIndex(100, 100 + n),
    )
    margins = {
        "kind": margin({"a": 2000, "b": 3000, "c": 3000, "d": 2000}, "kind"),
        "area": margin({"x": 3000, "y": 3000, "z": 4000}, "area"),
    }
    return sample, margins, rng.lognormal(0, 1, n)


def test_rake_meets_margins_with_positive_weights_summing_to_the_total(skewed) -> None:
    sample, margins, base = skewed
    config = RakingConfig(trim_ratio=None)
    result = rake(sample, margins, base_weights=base, config=config)
    assert result.converged
    assert result.weights.index.equals(sample.index)
    assert (result.weights > 0).all()
    assert result.weights.sum() == pytest.approx(10_000, rel=1e-9)
    for name, target in margins.items():
        achieved = weighted_totals(sample, result.weights, [name]).reindex(target.index)
        assert np.max(np.abs(achieved / target - 1)) < config.tol
    assert result.max_margin_error < config.tol
    assert result.cells["rel_error"].abs().max() == pytest.approx(result.max_margin_error)
    assert len(result.cells) == 7
    assert result.max_weight_ratio > 20  # the sample needs trimming (next test)


def test_trimming_caps_the_weight_ratio_and_lowers_the_design_effect(skewed) -> None:
    sample, margins, base = skewed
    plain = rake(sample, margins, base_weights=base, config=RakingConfig(trim_ratio=None))
    trimmed = rake(sample, margins, base_weights=base, config=RakingConfig(trim_ratio=3.0))
    w = trimmed.weights
    assert trimmed.converged and trimmed.cap_met
    assert plain.cap_met  # trimming off: vacuously met
    assert w.max() / w.mean() <= 3.0 * (1 + 1e-6)
    assert trimmed.max_weight_ratio == pytest.approx(w.max() / w.mean())
    assert trimmed.trimmed > 0
    assert trimmed.trimmed == int((w >= 3.0 * w.mean() * (1 - 1e-6)).sum())
    assert trimmed.deff_kish < plain.deff_kish
    assert trimmed.n_effective > plain.n_effective
    assert w.sum() == pytest.approx(10_000, rel=1e-9)
    for name, target in margins.items():
        achieved = weighted_totals(sample, w, [name]).reindex(target.index)
        assert np.max(np.abs(achieved / target - 1)) < 1e-6


def test_a_cap_incompatible_with_the_margins_gives_way_to_the_margins(skewed) -> None:
    # area z needs 4000 / 190 respondents = 21 per head, above 2 x mean weight (20)
    sample, margins, base = skewed
    result = rake(sample, margins, base_weights=base, config=RakingConfig(trim_ratio=2.0))
    plain = rake(sample, margins, base_weights=base, config=RakingConfig(trim_ratio=None))
    assert result.converged
    assert result.max_margin_error < 1e-6
    assert not result.cap_met
    assert 2.0 < result.max_weight_ratio < plain.max_weight_ratio
    assert result.trimmed > 0
    assert (result.weights > 0).all()


def test_non_convergence_is_reported(skewed) -> None:
    sample, margins, base = skewed
    result = rake(sample, margins, base_weights=base, config=RakingConfig(max_iter=1, trim_ratio=None))
    assert not result.converged
    assert result.iterations == 1
    assert result.max_margin_error > 1e-6
    assert result.max_margin_error == pytest.approx(result.cells["rel_error"].abs().max())


def test_rake_excludes_rows_missing_a_dimension(skewed) -> None:
    sample, margins, _ = skewed
    holes = sample.copy()
    holes.loc[holes.index[:7], "area"] = None
    result = rake(holes, margins)
    assert result.weights.iloc[:7].isna().all()
    assert result.weights.iloc[7:].notna().all()
    assert (result.n, result.n_excluded) == (993, 7)
    assert result.weights.sum() == pytest.approx(10_000, rel=1e-9)


def test_rake_rejects_malformed_input(skewed) -> None:
    sample, margins, base = skewed
    with pytest.raises(ValueError, match="positive"):
        rake(sample, margins, base_weights=-base)
    with pytest.raises(ValueError, match="index"):
        rake(sample, margins, base_weights=pd.Series(base))
    with pytest.raises(ValueError, match="total"):
        rake(sample, {**margins, "area": margins["area"] * 1.1})
    with pytest.raises(KeyError, match="region"):
        rake(sample, {"region": margin({"x": 1.0}, "region")})
    with pytest.raises(ValueError, match="named"):
        rake(sample, {"kind": margins["kind"].rename_axis(None)})


# --------------------------------------------------------------------------------------------
# Raking: empty and thin cells
# --------------------------------------------------------------------------------------------

POPULATION = {  # (partner type, size class): firms
    ("msp", "micro"): 500,
    ("msp", "small"): 100,
    ("msp", "medium"): 14,
    ("msp", "large"): 5,
    ("reseller", "micro"): 800,
    ("reseller", "small"): 90,
    ("reseller", "medium"): 20,
    ("reseller", "large"): 6,
}
RESPONDENTS = {
    ("msp", "micro"): 40,
    ("msp", "small"): 30,
    ("msp", "medium"): 2,
    ("msp", "large"): 3,
    ("reseller", "micro"): 60,
    ("reseller", "small"): 20,
    ("reseller", "medium"): 10,
    ("reseller", "large"): 0,
}


def expand(counts: dict[tuple[str, str], int], **extra: str) -> pd.DataFrame:
    rows = [key for key, n in counts.items() for _ in range(n)]
    table = pd.DataFrame(rows, columns=["partner_type", "size_class"]).assign(**extra)
    return table.astype({"size_class": SIZE_CLASS_DTYPE})


def test_empty_and_thin_cells_collapse_with_the_thinner_neighbour() -> None:
    frame, sample = expand(POPULATION), expand(RESPONDENTS)
    margins = population_margins(frame, [("partner_type", "size_class")])
    result = rake(sample, margins, config=RakingConfig(min_cell=5))
    assert result.converged
    assert len(result.collapsed_cells) == 2
    # msp medium (2) merges with large (3), the thinner neighbour, not with small (30)
    assert any("msp x medium+large" in note for note in result.collapsed_cells)
    # reseller large (0 respondents, 6 firms) merges with medium, its only neighbour
    assert any("reseller x medium+large" in note for note in result.collapsed_cells)
    assert set(result.cells["cell"]) == {
        "msp x micro",
        "msp x small",
        "msp x medium+large",
        "reseller x micro",
        "reseller x small",
        "reseller x medium+large",
    }
    totals = weighted_totals(sample, result.weights, ["partner_type", "size_class"])
    assert totals[("msp", "medium")] + totals[("msp", "large")] == pytest.approx(19)
    assert totals[("reseller", "medium")] == pytest.approx(26)
    assert totals[("msp", "small")] == pytest.approx(100)
    np.testing.assert_allclose(
        result.weights[sample["partner_type"].eq("msp") & (sample["size_class"] >= "medium")], 19 / 5
    )
    assert result.weights.sum() == pytest.approx(sum(POPULATION.values()))
    assert result.thin_cells == ()


def test_an_empty_first_level_merges_upwards() -> None:
    respondents = {**RESPONDENTS, ("reseller", "micro"): 0, ("reseller", "large"): 6}
    sample = expand(respondents)
    result = rake(sample, population_margins(expand(POPULATION), [("partner_type", "size_class")]))
    assert any("reseller x micro+small" in note for note in result.collapsed_cells)
    totals = weighted_totals(sample, result.weights, ["partner_type"])
    assert totals["reseller"] == pytest.approx(916)


def test_a_population_stratum_without_respondents_raises_naming_the_cell() -> None:
    frame = pd.concat([expand(POPULATION), expand({("platform_vendor", "large"): 15})], ignore_index=True)
    margins = population_margins(frame, [("partner_type", "size_class")])
    with pytest.raises(RakingError, match=r"platform_vendor x large \(15 units\) has no respondents"):
        rake(expand(RESPONDENTS), margins)


def test_without_collapsing_an_empty_cell_raises() -> None:
    margins = population_margins(expand(POPULATION), [("partner_type", "size_class")])
    with pytest.raises(RakingError, match="reseller x large"):
        rake(expand(RESPONDENTS), margins, config=RakingConfig(collapse=False))


def test_respondents_outside_the_population_raise() -> None:
    margins = {"kind": margin({"a": 10, "b": 10}, "kind")}
    with pytest.raises(RakingError, match="no population"):
        rake(pd.DataFrame({"kind": ["a", "b", "c"]}), margins, config=RakingConfig(min_cell=1))


def test_thin_cells_of_an_unordered_dimension_are_kept_and_reported() -> None:
    sample = pd.DataFrame({"area": ["n"] * 10 + ["s"] * 2})
    result = rake(sample, {"area": margin({"n": 50, "s": 50}, "area")})
    assert result.thin_cells == ("area: s has 2 respondents (< 5)",)
    assert result.collapsed_cells == ()
    np.testing.assert_allclose(result.weights.to_numpy(), [5.0] * 10 + [25.0] * 2)


# --------------------------------------------------------------------------------------------
# Raking: properties
# --------------------------------------------------------------------------------------------


@st.composite
def raking_problems(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, pd.Series], np.ndarray]:
    """Every kind x area cell has 1-5 respondents and 1-1000 population units; random base weights."""
    kinds = [f"k{i}" for i in range(draw(st.integers(2, 4)))]
    areas = [f"a{i}" for i in range(draw(st.integers(2, 3)))]
    cells = [(k, a) for k in kinds for a in areas]
    n_sample = draw(st.lists(st.integers(1, 5), min_size=len(cells), max_size=len(cells)))
    population = draw(st.lists(st.integers(1, 1000), min_size=len(cells), max_size=len(cells)))
    sample = pd.DataFrame(
        [cell for cell, n in zip(cells, n_sample, strict=True) for _ in range(n)], columns=["kind", "area"]
    )
    crossed = pd.Series(
        population, index=pd.MultiIndex.from_tuples(cells, names=["kind", "area"]), dtype="float64"
    )
    margins = {"kind": crossed.groupby(level="kind").sum(), "area": crossed.groupby(level="area").sum()}
    base = np.array(draw(st.lists(st.floats(0.1, 10.0), min_size=len(sample), max_size=len(sample))))
    return sample, margins, base


PROPERTY_CONFIG = RakingConfig(max_iter=5000, min_cell=1)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=raking_problems())
def test_property_weights_are_positive_and_meet_the_margins(problem) -> None:
    sample, margins, base = problem
    result = rake(sample, margins, base_weights=base, config=PROPERTY_CONFIG)
    total = margins["kind"].sum()
    assert result.converged
    assert np.isfinite(result.weights).all() and (result.weights > 0).all()
    assert result.weights.sum() == pytest.approx(total, rel=1e-9)
    assert result.max_margin_error < PROPERTY_CONFIG.tol
    assert 1 - 1e-12 <= result.deff_kish <= len(sample) + 1e-9
    w = result.weights
    assert result.max_weight_ratio == pytest.approx(w.max() / w.mean())
    assert result.cap_met == (
        result.max_weight_ratio <= PROPERTY_CONFIG.trim_ratio * (1 + PROPERTY_CONFIG.tol)
    )


@settings(max_examples=100, deadline=None)
@given(problem=raking_problems())
def test_property_raking_a_calibrated_sample_changes_nothing(problem) -> None:
    sample, margins, base = problem
    config = RakingConfig(max_iter=5000, min_cell=1, trim_ratio=None)
    first = rake(sample, margins, base_weights=base, config=config)
    again = rake(sample, margins, base_weights=first.weights, config=config)
    assert again.iterations == 0
    assert again.trimmed == 0
    np.testing.assert_array_equal(again.weights.to_numpy(), first.weights.to_numpy())


@settings(max_examples=100, deadline=None)
@given(problem=raking_problems(), scale=st.sampled_from([1e-3, 0.5, 7.0, 1e4]))
def test_property_scaling_base_weights_changes_nothing(problem, scale: float) -> None:
    sample, margins, base = problem
    first = rake(sample, margins, base_weights=base, config=PROPERTY_CONFIG)
    scaled = rake(sample, margins, base_weights=base * scale, config=PROPERTY_CONFIG)
    assume(first.converged)
    np.testing.assert_allclose(scaled.weights.to_numpy(), first.weights.to_numpy(), rtol=1e-9)
    assert scaled.trimmed == first.trimmed


# --------------------------------------------------------------------------------------------
# weight_waves and weighted estimates on small tables
# --------------------------------------------------------------------------------------------


def test_weight_waves_rakes_each_wave_and_reports() -> None:
    frame = pd.DataFrame({"kind": ["a"] * 600 + ["b"] * 400, "employees": [3] * 900 + [80] * 100})
    survey = pd.DataFrame(
        {
            "wave": [2022] * 30 + [2021] * 20 + [None],
            "kind": (["a"] * 10 + ["b"] * 20) + (["a"] * 12 + ["b"] * 8) + ["a"],
            "employees": [3] * 15 + [80] * 15 + [3] * 6 + [80] * 6 + [3] * 6 + [80] * 2 + [3],
        },
        index=pd.Index([f"r{i}" for i in range(51)]),
    )
    weights, report = weight_waves(survey, frame, dimensions=["kind", "size_class"])
    assert weights.index.equals(survey.index)
    assert np.isnan(weights.iloc[-1])  # no wave: not weighted
    assert list(report.columns) == list(REPORT_COLUMNS)
    assert report.index.tolist() == [2021, 2022]
    assert report.index.name == "wave"
    for wave, row in report.iterrows():
        w = weights[survey["wave"] == wave]
        assert w.sum() == pytest.approx(1000)
        assert row["n"] == len(w)
        assert row["converged"]
        assert row["deff_kish"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
        assert row["n_effective"] == pytest.approx(len(w) / row["deff_kish"])
        assert row["weight_min"] <= row["weight_median"] <= row["weight_max"]


def test_a_wave_without_any_respondent_of_a_type_is_raked_without_that_type() -> None:
    frame = pd.DataFrame({"kind": ["a"] * 500 + ["b"] * 300 + ["d"] * 200,
                          "area": (["n", "s"] * 500)[:1000],
                          "employees": ([3] * 4 + [80]) * 200})
    rng = np.random.default_rng(3)
    survey = frame.sample(120, random_state=4).assign(wave=rng.choice([1, 2], 120)).reset_index(drop=True)
    survey = survey[~((survey["wave"] == 2) & (survey["kind"] == "d"))]  # no d of any size answers wave 2
    dims = [("kind", "size_class"), "area"]
    weights, report = weight_waves(survey, frame, dimensions=dims)
    assert report.loc[1, "population_uncovered"] == 0 and report.loc[1, "uncovered_cells"] == ""
    assert report.loc[2, "population_uncovered"] == 200
    assert report.loc[2, "uncovered_cells"] == "kind x size_class: d x micro+medium (200 units)"
    assert report["converged"].all()
    # wave 1 is what it would be alone; wave 2 meets every margin of the frame without the d's
    one = survey["wave"] == 1
    alone, _ = weight_waves(survey[one], frame, dimensions=dims)
    assert weights[one].to_numpy() == pytest.approx(alone.to_numpy())
    rest = frame[frame["kind"] != "d"]
    two = survey[survey["wave"] == 2]
    assert weights[two.index].sum() == pytest.approx(800)
    area = weights[two.index].groupby(two["area"]).sum()
    assert area.to_dict() == pytest.approx(rest["area"].value_counts().astype(float).to_dict())
    with pytest.raises(UncoveredCellError, match=r"d x micro\+medium \(200 units\)") as caught:
        weight_waves(survey, frame, dimensions=dims, drop_uncovered=False)
    assert caught.value.columns == ("kind", "size_class") and caught.value.population == 200
    assert sorted(caught.value.cells) == [("d", "medium"), ("d", "micro")]


def test_respondents_outside_the_population_still_stop_weight_waves() -> None:
    frame = pd.DataFrame({"kind": ["a"] * 60 + ["b"] * 40})
    survey = pd.DataFrame({"wave": [1, 1], "kind": ["c", "c"]})  # respondents outside the population
    with pytest.raises(RakingError, match="no population"):
        weight_waves(survey, frame, dimensions=["kind"], config=RakingConfig(min_cell=1))


def test_weighted_share_sums_to_one_and_keeps_categories() -> None:
    values = pd.Series(pd.Categorical(["x", "y", "x", None], categories=["x", "y", "z"]), name="v")
    shares = weighted_share(values, pd.Series([1.0, 3.0, 1.0, 100.0]))
    assert shares.to_dict() == {"x": 0.4, "y": 0.6, "z": 0.0}
    assert shares.sum() == pytest.approx(1)
    assert shares.index.name == "v"
    flags = weighted_share(pd.Series([True, False, True]), [2.0, 1.0, np.nan])
    assert flags.to_dict() == {False: pytest.approx(1 / 3), True: pytest.approx(2 / 3)}


def test_weighted_mean_and_bad_weights() -> None:
    assert weighted_mean(pd.Series([1.0, 3.0, np.nan]), [3.0, 1.0, 10.0]) == pytest.approx(1.5)
    assert weighted_mean([2.0, 4.0], pd.Series([1.0, np.nan])) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="non-negative"):
        weighted_mean([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="positive weight"):
        weighted_mean([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="index"):
        weighted_share(pd.Series(["a"], index=[5]), pd.Series([1.0], index=[6]))


# --------------------------------------------------------------------------------------------
# The default simulated world: weights recover the true population
# --------------------------------------------------------------------------------------------

ESTIMANDS = {
    "share revenue > 1 M€": lambda t: (t["revenue_eur"] > 1e6).astype(float),
    "mean log(employees)": lambda t: np.log(t["employees"]),
    "share >= 2 platforms": lambda t: (t["n_platforms"] >= 2).astype(float).where(t["n_platforms"].notna()),
}
"""Population quantities not used in raking but tied to size (and so to response)."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(frame, survey): true firms without platform vendors; all waves' respondents with macro-area."""
    truth = TRUTH
    if not ((truth / "firms.parquet").is_file() and (truth / "responses.parquet").is_file()):
        from channelstudy.simulate import simulate

        root = tmp_path_factory.mktemp("weights_world")
        simulate(root / "raw", truth_out=root / "truth")
        truth = root / "truth"
    firms = pd.read_parquet(truth / "firms.parquet")
    responses = pd.read_parquet(truth / "responses.parquet")
    return prepare_world(firms, responses)


def prepare_world(firms: pd.DataFrame, responses: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = firms.loc[firms["partner_type"] != "platform_vendor"].assign(
        size_class=lambda t: size_class(t["employees"], t["revenue_eur"])
    )
    survey = responses.merge(
        firms[["firm_key", "macro_area"]], on="firm_key", how="left", validate="many_to_one"
    )
    survey = survey.assign(size_class=size_class(survey["employees"], survey["revenue_eur"]))
    return frame, survey


def comparison(frame: pd.DataFrame, survey: pd.DataFrame, weights: pd.Series) -> pd.DataFrame:
    """True population value, unweighted and weighted estimate of each estimand in each wave."""
    rows = []
    for name, measure in ESTIMANDS.items():
        truth = float(measure(frame).mean())
        values = measure(survey)
        for wave, index in survey.groupby("wave").groups.items():
            rows.append(
                {
                    "estimand": name,
                    "wave": wave,
                    "truth": truth,
                    "unweighted": float(values[index].mean()),
                    "weighted": weighted_mean(values[index], weights[index]),
                }
            )
    return pd.DataFrame(rows).assign(
        error_unweighted=lambda t: (t["unweighted"] - t["truth"]).abs(),
        error_weighted=lambda t: (t["weighted"] - t["truth"]).abs(),
    )


@pytest.mark.slow
def test_default_world_weighted_estimates_beat_unweighted(world) -> None:
    frame, survey = world
    weights, report = weight_waves(survey, frame)
    table = comparison(frame, survey, weights)
    print("\n", report.drop(columns=["collapsed_cells", "thin_cells"]).to_string())
    print(table.round(4).to_string())
    assert len(report) == 5 and report["converged"].all()
    assert (report["population_total"] == len(frame)).all()
    assert (report["n_excluded"] == 0).all()
    assert (report["deff_kish"] > 1).all() and (report["n_effective"] < report["n"]).all()
    strong = table[table["estimand"] != "share >= 2 platforms"]
    # strongly size-related: the weighted estimate is closer to the truth in every wave
    assert (strong["error_weighted"] < strong["error_unweighted"]).all(), strong
    # weakly size-related: closer on average over the waves (not in every wave: sampling noise)
    weak = table[table["estimand"] == "share >= 2 platforms"]
    assert weak["error_weighted"].mean() < weak["error_unweighted"].mean()


@pytest.mark.slow
def test_default_world_weighted_cells_equal_population_shares(world) -> None:
    frame, survey = world
    population_pt = frame["partner_type"].value_counts(normalize=True)
    population_area = frame["macro_area"].value_counts(normalize=True)
    population_cells = frame.groupby(["partner_type", "size_class"], observed=True).size() / len(frame)
    margins = population_margins(frame, [("partner_type", "size_class"), "macro_area"])
    for _, wave in survey.groupby("wave"):
        result = rake(wave, margins)
        w = result.weights
        pt = weighted_share(wave["partner_type"], w)
        np.testing.assert_allclose(pt.reindex(population_pt.index), population_pt, rtol=1e-5)
        area = weighted_share(wave["macro_area"], w)
        np.testing.assert_allclose(area.reindex(population_area.index), population_area, rtol=1e-5)
        cells = w.groupby([wave["partner_type"], wave["size_class"]], observed=True).sum() / w.sum()
        # each calibration cell (a partner type x size class, or adjacent size classes merged) matches
        crossed = result.cells[result.cells["margin"] == "partner_type x size_class"]
        assert len(crossed) >= 6 * 3
        for label in crossed["cell"]:
            partner, levels = label.split(" x ")
            keys = [(partner, level) for level in levels.split("+")]
            assert cells.reindex(keys, fill_value=0).sum() == pytest.approx(
                population_cells.reindex(keys, fill_value=0).sum(), rel=1e-5
            )


def test_default_world_weight_waves_matches_rake_per_wave(world) -> None:
    frame, survey = world
    weights, _ = weight_waves(survey, frame)
    margins = population_margins(frame)
    wave = survey[survey["wave"] == 2021]
    np.testing.assert_allclose(weights[wave.index], rake(wave, margins).weights, rtol=1e-12)


@pytest.mark.parametrize("by", ["g", ["g", "wave"]])
def test_weighted_means_of_no_usable_row_has_the_columns(by):
    """A value nobody answered gives an empty table with the usual columns (a notebook can test len())."""
    d = pd.DataFrame({"g": ["a", "b"], "wave": [1, 1], "x": [np.nan, np.nan], "weight": [1.0, 2.0],
                      "firm_id": ["p", "q"]})
    out = weighted_means(d, "x", by)
    assert out.empty
    assert list(out.columns) == [*([by] if isinstance(by, str) else by), "mean", "ci_low", "ci_high", "responses",
                                 "firms"]
