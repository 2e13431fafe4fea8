"""Hand-made cases for the decision rules of the hypothesis catalogue and the direction of each estimator.

The ``supported`` rule uses the Holm-adjusted p-value over the confirmatory hypotheses that ran, the effect
is the estimate minus the null value, and each estimator measures ``a - b`` (not ``b - a``) against the null
value it is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from channelstudy.hypotheses.catalogue import (
    COLUMNS,
    RAN,
    Hypothesis,
    compare_with_truth,
    is_supported,
    run_catalogue,
    write_catalogue,
)
from channelstudy.hypotheses.estimators import (
    ALPHA,
    BootstrapMean,
    Estimate,
    ProportionDifference,
    Requirements,
    WeightedOLS,
    bootstrap_mean,
    proportion_difference,
    tost_p_value,
    wls_term,
)
from channelstudy.hypotheses.study import StudyData


@dataclass(frozen=True, kw_only=True)
class Fixed:
    """An estimator returning a fixed estimate, SE and p-value; it needs the survey columns ``needs``."""

    value: float
    p: float
    se: float = 0.5
    needs: tuple[str, ...] = ("y",)
    label: str = "fixed"
    weighted: bool = False

    @property
    def requirements(self) -> Requirements:
        return Requirements(table="survey", columns=self.needs, min_n=1)

    def estimate(self, data, null_value: float = 0.0) -> Estimate:
        return Estimate(self.value, self.value - 1.0, self.value + 1.0, self.p, 10, se=self.se,
                        std_estimate=self.value / 4)


def _hypothesis(id_: str, value: float, p: float, direction: str = "greater", null_value: float = 0.0,
                family: str = "confirmatory", needs: tuple[str, ...] = ("y",)):
    return Hypothesis(id=id_, claim=f"claim {id_}", outcome="y", predictors="x",
                      test=Fixed(value=value, p=p, needs=needs), direction=direction, null_value=null_value,
                      family=family)


SURVEY = StudyData(survey=pd.DataFrame({"y": [1.0, 2.0, 3.0]}), firms=pd.DataFrame(), pipeline=pd.DataFrame())
"""Enough data for the fake estimators (a survey with ``y``); a hypothesis needing another column does not run."""


# --- is_supported ---------------------------------------------------------------------------

@pytest.mark.parametrize(("direction", "effect", "p", "expected"), [
    ("greater", 1.0, 0.049, True),
    ("greater", 1.0, ALPHA, False),  # p must be strictly below alpha
    ("greater", 1.0, 0.051, False),
    ("greater", 0.0, 0.001, False),  # a zero effect is in no direction
    ("greater", -1.0, 0.001, False),
    ("less", -1.0, 0.001, True),
    ("less", 0.0, 0.001, False),
    ("less", 1.0, 0.001, False),
    ("none", 1.0, 0.001, True),
    ("none", -1.0, 0.001, True),
    ("none", 0.0, 0.2, False),
])
def test_is_supported_boundaries(direction, effect, p, expected):
    assert is_supported(direction, effect, p) is expected


def test_is_supported_alpha_is_a_parameter():
    assert is_supported("greater", 1.0, 0.08, alpha=0.1)
    assert not is_supported("greater", 1.0, 0.02, alpha=0.01)


# --- run_catalogue --------------------------------------------------------------------------

def test_supported_uses_holm_adjusted_not_raw_p():
    # raw p 0.02, 0.03, 0.04 are all below 0.05; Holm: 3*0.02 = 0.06, max(0.06, 2*0.03), max(0.06, 0.04)
    catalogue = (_hypothesis("A", 1.0, 0.02), _hypothesis("B", 1.0, 0.03), _hypothesis("C", 1.0, 0.04))
    table = run_catalogue(SURVEY, catalogue)
    assert (table["status"] == RAN).all()
    assert table["p_holm"].tolist() == pytest.approx([0.06, 0.06, 0.06])
    assert (table["p_value"] < ALPHA).all()  # each raw p would pass: only the adjusted p decides
    assert table["supported"].tolist() == [False, False, False]


def test_holm_and_bh_recomputed_by_hand():
    ps = [0.001, 0.01, 0.02, 0.5]
    confirmatory = tuple(_hypothesis(f"H{i}", 1.0, p) for i, p in enumerate(ps))
    # outside the family: a control and a calibration row that ran, a confirmatory row that did not run
    others = (_hypothesis("C0", 1.0, 0.0001, family="control"), _hypothesis("K1", 1.0, 0.0001, family="calibration"),
              _hypothesis("N", 1.0, 0.0001, needs=("absent",)))
    table = run_catalogue(SURVEY, confirmatory + others)
    assert list(table.columns) == COLUMNS
    assert table["id"].tolist() == ["H0", "H1", "H2", "H3", "C0", "K1", "N"]
    assert table["status"].tolist() == [RAN] * 6 + ["not run: needs absent"]
    inside = table.iloc[:4]
    # m = 4. Holm: sorted p times (m - rank), made monotone; BH: p * m / rank, made monotone from the top
    assert inside["p_holm"].tolist() == pytest.approx([0.004, 0.03, 0.04, 0.5])
    assert inside["p_bh"].tolist() == pytest.approx([0.004, 0.02, 0.02 * 4 / 3, 0.5])
    assert inside["supported"].tolist() == [True, True, True, False]
    outside = table.iloc[4:]
    assert outside["p_holm"].isna().all() and outside["p_bh"].isna().all()
    assert outside["supported"].isna().all()  # the flag exists for the confirmatory rows that ran only
    assert outside["p_value"].iloc[:2].tolist() == [0.0001, 0.0001]  # the raw p is still reported
    assert np.isnan(table.loc[6, "estimate"]) and pd.isna(table.loc[6, "n"])


def test_supported_effect_is_estimate_minus_null_value():
    # H1-like: a level (5) below a benchmark (9.84): the effect -4.84 is in the expected direction
    catalogue = (_hypothesis("L", 5.0, 0.001, direction="less", null_value=9.84),
                 _hypothesis("G", 5.0, 0.001, direction="greater", null_value=9.84))
    table = run_catalogue(SURVEY, catalogue).set_index("id")
    assert table.loc["L", "supported"]
    assert not table.loc["G", "supported"]
    assert table.loc["L", "estimate"] == 5.0  # the estimate itself is reported, not the effect
    assert table.loc["L", "null_value"] == 9.84
    assert table.loc["L", "z"] == pytest.approx((5.0 - 9.84) / 0.5)  # the z of the effect, not of the estimate


def test_row_carries_the_hypothesis_declaration():
    h = Hypothesis(id="X", claim="c", outcome="o", predictors="p", controls="k", test=Fixed(value=2.0, p=0.3),
                   direction="less", null_value=1.5, design="d", equivalence_margin=0.2)
    row = run_catalogue(SURVEY, (h,)).iloc[0]
    assert (row["id"], row["family"], row["claim"], row["design"]) == ("X", "confirmatory", "c", "d")
    assert (row["outcome"], row["predictors"], row["controls"]) == ("o", "p", "k")
    assert (row["estimator"], row["weighted"], row["direction"], row["null_value"]) == ("fixed", False, "less", 1.5)
    assert (row["estimate"], row["ci_low"], row["ci_high"], row["p_value"], row["n"]) == (2.0, 1.0, 3.0, 0.3, 10)
    assert (row["se"], row["std_estimate"], row["p_display"], row["status"]) == (0.5, 0.5, "0.3", RAN)
    assert row["z"] == pytest.approx((2.0 - 1.5) / 0.5)
    assert row["p_holm"] == pytest.approx(0.3)  # the only confirmatory row: a family of one
    assert row["equivalence_margin"] == 0.2
    assert row["p_equivalence"] == pytest.approx(tost_p_value(2.0 - 1.5, 0.5, 0.2))
    assert not row["equivalent"]  # NA would raise here
    assert np.isnan(row["within_estimate"])  # not declared within_firm


@dataclass(frozen=True, kw_only=True)
class Echo:
    """An estimator that reports the null value it was given as estimate and the survey rows as n."""

    label: str = "echo"
    weighted: bool = True

    @property
    def requirements(self) -> Requirements:
        return Requirements(table="survey", columns=("y",), min_n=1)

    def estimate(self, data, null_value: float = 0.0) -> Estimate:
        return Estimate(null_value, null_value, null_value, 0.5, len(data.survey), se=1.0)


def test_hypothesis_passes_data_and_null_value_to_its_estimator():
    survey = pd.DataFrame({"y": [1, 2, 3], "weight": [1.0, 2.0, 1.0]})
    data = StudyData(survey=survey, firms=pd.DataFrame(), pipeline=pd.DataFrame())
    h = Hypothesis(id="E", claim="c", outcome="o", predictors="p", test=Echo(), direction="greater", null_value=2.5)
    assert h.estimator == "echo" and h.weighted
    assert h.requirements == Requirements(table="survey", columns=("y",), min_n=1)
    row = run_catalogue(data, (h,)).iloc[0]
    assert (row["estimate"], row["n"], row["weighted"], row["status"]) == (2.5, 3, True, RAN)
    # without survey weights the weighted estimator runs unweighted and the row says so
    unweighted = StudyData(survey=survey.drop(columns="weight"), firms=pd.DataFrame(), pipeline=pd.DataFrame())
    assert not run_catalogue(unweighted, (h,)).iloc[0]["weighted"]


def test_compare_with_truth_joins_planted_effects(tmp_path):
    table = pd.DataFrame({"id": ["H1", "H2", "H3"], "estimate": [1.0, 2.0, 3.0], "ci_low": [0.0, 1.0, 2.0],
                          "ci_high": [2.0, 3.0, 4.0]})
    effects = {"effects": {"H1": {"planted": 2.0, "direction": "greater", "other": 1},
                           "H2": {"planted": "0.5", "direction": "less"},
                           "H3": {"planted": 2.0, "direction": "none"}}}
    path = tmp_path / "effects.json"
    path.write_text(json.dumps(effects), encoding="utf-8")
    out = compare_with_truth(table, path).set_index("id")
    assert out["planted"].tolist() == [2.0, 0.5, 2.0]  # text is read as a number
    assert out["planted_direction"].tolist() == ["greater", "less", "none"]
    assert out["covered"].tolist() == [True, False, True]  # both CI ends are inclusive
    assert "other" not in out.columns and out["estimate"].tolist() == [1.0, 2.0, 3.0]


def test_write_catalogue_rounds_and_is_byte_stable(tmp_path):
    table = pd.DataFrame({"id": ["H0"], "estimate": [1.23456789012], "supported": [True]})
    path = tmp_path / "reports" / "tables" / "hypotheses.csv"  # missing parents are created
    write_catalogue(table, path)
    text = path.read_text(encoding="utf-8")
    assert text == "id,estimate,supported\nH0,1.23457,True\n"
    write_catalogue(table, path)
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in path.parent.iterdir()] == ["hypotheses.csv"]  # no temporary file left


def test_direction_is_validated():
    with pytest.raises(ValueError, match="direction"):
        _hypothesis("Z", 1.0, 0.1, direction="up")


# --- estimators: direction and null value -------------------------------------------------

def _survey(slope: float, n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"firm_id": [f"F{i // 2}" for i in range(n)], "x": x,
                         "y": slope * x + rng.normal(scale=0.5, size=n), "weight": 1.0 + (np.arange(n) % 3)})


@pytest.mark.parametrize("slope", [2.0, -2.0])
def test_weighted_ols_sign_follows_the_data(slope):
    est = wls_term(_survey(slope), "y ~ x", "x")
    assert est.estimate == pytest.approx(slope, abs=0.15)
    assert est.ci_low < est.estimate < est.ci_high
    assert est.p_value < 1e-6
    assert est.n == 400


def test_weighted_ols_tests_against_the_null_value():
    data = _survey(2.0)
    at_truth = wls_term(data, "y ~ x", "x", null_value=2.0)
    assert at_truth.p_value > 0.01  # the estimate is near 2: no evidence against 2
    assert at_truth.estimate == pytest.approx(wls_term(data, "y ~ x", "x").estimate)


def test_weighted_ols_uses_the_weights_and_drops_zero_weights():
    data = _survey(1.0)
    # the heavily weighted half has slope 3, the other slope 1: WLS leans to 3, OLS sits between
    data.loc[: 199, "y"] = 3.0 * data.loc[: 199, "x"]
    data["weight"] = np.where(np.arange(400) < 200, 100.0, 1.0)
    weighted = wls_term(data, "y ~ x", "x").estimate
    unweighted = wls_term(data, "y ~ x", "x", weighted=False).estimate
    assert weighted > unweighted + 0.5
    data.loc[200:, "weight"] = 0.0
    only_first = wls_term(data, "y ~ x", "x")
    assert only_first.n == 200
    assert only_first.estimate == pytest.approx(3.0)


def test_weighted_ols_estimator_selects_rows():
    data = _survey(2.0).assign(group=lambda d: np.where(np.arange(len(d)) % 2 == 0, "a", "b"))
    data.loc[data["group"] == "b", "y"] = -data.loc[data["group"] == "b", "x"]
    study = StudyData(survey=data, firms=pd.DataFrame(), pipeline=pd.DataFrame())
    est = WeightedOLS(formula="y ~ x", term="x", where="group == 'b'").estimate(study)
    assert est.estimate == pytest.approx(-1.0)
    assert est.n == 200


def test_bootstrap_mean_estimate_is_the_mean_not_the_difference():
    values = np.array([4.0, 5.0, 6.0, 5.0, 4.5, 5.5] * 20 + [np.nan])
    below = bootstrap_mean(values, 9.84, reps=199)
    assert below.estimate == pytest.approx(5.0)
    assert below.n == 120  # the NaN is dropped
    assert below.ci_low < 5.0 < below.ci_high < 9.84
    assert below.p_value < 1e-6
    at_null = bootstrap_mean(values, 5.0, reps=199)
    assert at_null.p_value == pytest.approx(1.0)


def test_bootstrap_mean_is_reproducible_and_seeded():
    values = np.arange(50, dtype=float)
    assert bootstrap_mean(values, 0.0, reps=99) == bootstrap_mean(values, 0.0, reps=99)
    assert bootstrap_mean(values, 0.0, reps=99, seed=1) != bootstrap_mean(values, 0.0, reps=99, seed=2)


def test_bootstrap_mean_estimator_selects_rows():
    firms = pd.DataFrame({"employees": [1.0, 3.0, 100.0, 200.0], "keep": [True, True, False, False]})
    study = StudyData(survey=pd.DataFrame(), firms=firms, pipeline=pd.DataFrame())
    est = BootstrapMean(table="firms", column="employees", where="keep", reps=99).estimate(study, null_value=10.0)
    assert est.estimate == pytest.approx(2.0)
    assert est.n == 2


def test_proportion_difference_is_a_minus_b():
    a = pd.Series([1.0] * 30 + [0.0] * 10)  # 0.75
    b = pd.Series([1.0] * 10 + [0.0] * 30 + [np.nan])  # 0.25, the NaN dropped
    est = proportion_difference(a, b)
    assert est.estimate == pytest.approx(0.5)
    se = np.sqrt(0.75 * 0.25 / 40 + 0.25 * 0.75 / 40)
    assert est.ci_high - est.estimate == pytest.approx(1.959964 * se, rel=1e-5)
    assert est.n == 80
    assert proportion_difference(b, a).estimate == pytest.approx(-0.5)


def test_proportion_difference_estimator_dedupes_units_and_matches_outcome():
    pipeline = pd.DataFrame({
        "deal_id": ["d1", "d1", "d2", "d3", "d4", "d5"],
        "record_type": ["lead", "opportunity", "lead", "opportunity", "lead", None],
        "relationship": ["channel", "channel", "channel", "alliance", "alliance", "alliance"],
    })
    study = StudyData(survey=pd.DataFrame(), firms=pd.DataFrame(), pipeline=pipeline)
    test = ProportionDifference(table="pipeline", outcome="record_type == 'lead'", group="relationship",
                                a="channel", b="alliance", unit="deal_id")
    est = test.estimate(study)
    # channel deals d1 (first row: lead), d2 (lead) -> 1.0; alliance d3, d4 -> 0.5 (d5 unknown, dropped)
    assert est.estimate == pytest.approx(0.5)
    assert est.n == 4
    no_unit = ProportionDifference(table="pipeline", outcome="record_type == 'lead'", group="relationship",
                                   a="channel", b="alliance").estimate(study)
    assert no_unit.estimate == pytest.approx(2 / 3 - 1 / 2)


def test_proportion_difference_tests_against_the_null_value():
    pipeline = pd.DataFrame({"deal_id": [f"d{i}" for i in range(200)],
                             "record_type": ["lead"] * 75 + ["opportunity"] * 25 + ["lead"] * 25 + ["opportunity"] * 75,
                             "relationship": ["channel"] * 100 + ["alliance"] * 100})
    study = StudyData(survey=pd.DataFrame(), firms=pd.DataFrame(), pipeline=pipeline)
    test = ProportionDifference(table="pipeline", outcome="record_type == 'lead'", group="relationship",
                                a="channel", b="alliance")
    est = test.estimate(study, null_value=0.5)
    assert est.estimate == pytest.approx(0.5)
    assert est.p_value > 0.5  # the difference is exactly the null value
