"""Hand-made cases pinning what the catalogue writes: the pre-registration table and its CSV, the rows of
:func:`run_catalogue` for each status, the options it passes through, and the within-firm estimate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from channelstudy.hypotheses import catalogue as catalogue_module
from channelstudy.hypotheses.catalogue import (
    COLUMNS,
    RAN,
    Hypothesis,
    preregistration,
    run_catalogue,
    write_preregistration,
)
from channelstudy.hypotheses.estimators import ALPHA, Estimate, Requirements, WeightedOLS, wls_term
from channelstudy.hypotheses.study import StudyData
from tests.hypotheses.test_catalogue_rules import SURVEY, Fixed, _hypothesis

LOGGER = "channelstudy.hypotheses.catalogue"
PREREGISTRATION = ["id", "family", "claim", "estimand", "population", "primary_outcome", "predictors", "controls",
                   "estimator", "direction", "null_value", "decision_rule", "design", "equivalence_margin",
                   "within_firm"]


def _declared(**kwargs) -> Hypothesis:
    values = dict(id="X", family="control", claim="a, b", estimand="e", population="pop", outcome="o",
                  predictors="p", controls="k", test=Fixed(value=1.0, p=0.5, label="lab"), direction="less",
                  null_value=1.5, decision_rule="rule", design="d", equivalence_margin=None, within_firm=True)
    return Hypothesis(**(values | kwargs))


# --- Hypothesis validation ----------------------------------------------------------------

def test_family_and_margin_are_validated_with_messages():
    with pytest.raises(ValueError, match=r"^Z: family must be one of \('confirmatory', 'control', 'calibration'\)$"):
        _hypothesis("Z", 1.0, 0.1, family="other")
    with pytest.raises(ValueError, match="^Z: direction must be greater, less or none$"):
        _hypothesis("Z", 1.0, 0.1, direction="up")
    with pytest.raises(ValueError, match="^X: equivalence_margin must be positive$"):
        _declared(equivalence_margin=0.0)  # zero is not a margin
    with pytest.raises(ValueError, match="^X: equivalence_margin must be positive$"):
        _declared(equivalence_margin=-0.1)
    assert _declared(equivalence_margin=1e-9).equivalence_margin == 1e-9


# --- preregistration ------------------------------------------------------------------------

def test_preregistration_row_columns_and_order():
    second = _declared(id="Y", family="confirmatory", claim="c2", equivalence_margin=0.3, within_firm=False,
                       direction="greater", null_value=0.0)
    table = preregistration((_declared(), second))
    assert list(table.columns) == PREREGISTRATION
    first = table.to_dict("records")[0]
    assert np.isnan(first.pop("equivalence_margin"))  # beside the second row's 0.3, None is NaN
    assert list(first) == [c for c in PREREGISTRATION if c != "equivalence_margin"]
    assert first == {
        "id": "X", "family": "control", "claim": "a, b", "estimand": "e", "population": "pop",
        "primary_outcome": "o", "predictors": "p", "controls": "k", "estimator": "lab", "direction": "less",
        "null_value": 1.5, "decision_rule": "rule", "design": "d", "within_firm": True}
    assert table["id"].tolist() == ["X", "Y"]
    assert table.loc[1, ["family", "claim", "direction", "null_value", "equivalence_margin", "within_firm"]].tolist() \
        == ["confirmatory", "c2", "greater", 0.0, 0.3, False]


def test_preregistration_of_no_hypothesis_keeps_the_columns():
    table = preregistration(())
    assert list(table.columns) == PREREGISTRATION
    assert table.empty


def test_write_preregistration_exact_text(tmp_path):
    path = tmp_path / "a" / "b" / "preregistration.csv"  # two missing folders
    out = write_preregistration(str(path), (_declared(),))
    assert out == path and isinstance(out, type(path))
    expected = (",".join(PREREGISTRATION) + "\n"
                + 'X,control,"a, b",e,pop,o,p,k,lab,less,1.5,rule,d,,True\n')
    assert path.read_bytes().decode("utf-8") == expected
    write_preregistration(path, (_declared(),))  # the folder exists now: rewritten in place
    assert path.read_bytes().decode("utf-8") == expected
    assert [p.name for p in path.parent.iterdir()] == ["preregistration.csv"]


def test_write_preregistration_defaults_to_the_catalogue(tmp_path):
    path = write_preregistration(tmp_path / "p.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert table["id"].tolist() == [f"H{i}" for i in range(10)]
    assert list(table.columns) == PREREGISTRATION


# --- run_catalogue: rows that did not run ---------------------------------------------------

def test_rows_that_did_not_run_have_typed_empty_values():
    catalogue = (_hypothesis("A", 1.0, 0.01, needs=("absent",)),
                 _hypothesis("B", 1.0, 0.01, needs=("absent",), family="control"))
    table = run_catalogue(SURVEY, catalogue)
    assert list(table.columns) == COLUMNS
    assert table["status"].tolist() == ["not run: needs absent"] * 2
    for column in ["estimate", "ci_low", "ci_high", "se", "z", "std_estimate", "p_value", "p_equivalence",
                   "within_estimate", "within_ci_low", "within_ci_high", "p_holm", "p_bh"]:
        assert table[column].dtype == np.float64, column
        assert table[column].isna().all(), column
    assert table["p_display"].tolist() == ["", ""]
    assert str(table["n"].dtype) == "Int64" and table["n"].isna().all()
    assert str(table["supported"].dtype) == "boolean" and table["supported"].isna().all()
    assert str(table["equivalent"].dtype) == "boolean" and table["equivalent"].isna().all()


def test_adjusted_p_columns_are_float_when_only_part_of_the_family_ran():
    catalogue = (_hypothesis("A", 1.0, 0.01), _hypothesis("C", 1.0, 0.01, family="control"))
    table = run_catalogue(SURVEY, catalogue)
    assert table["p_holm"].dtype == np.float64 and table["p_bh"].dtype == np.float64
    assert table["p_holm"].tolist()[0] == pytest.approx(0.01) and np.isnan(table["p_holm"].tolist()[1])
    assert table["p_bh"].tolist()[0] == pytest.approx(0.01) and np.isnan(table["p_bh"].tolist()[1])
    assert table["p_display"].tolist() == ["0.01", "0.01"]
    assert table["supported"].tolist()[0] is True and table["supported"].isna().tolist() == [False, True]
    assert table["equivalent"].isna().all() and str(table["equivalent"].dtype) == "boolean"


def test_a_row_without_margin_has_no_equivalence():
    table = run_catalogue(SURVEY, (_hypothesis("A", 0.0, 0.9),))
    assert table["equivalent"].isna().all()
    assert np.isnan(table.loc[0, "p_equivalence"])


def test_equivalence_needs_p_strictly_below_alpha(monkeypatch):
    h = _declared(equivalence_margin=0.2)
    monkeypatch.setattr(catalogue_module, "tost_p_value", lambda *args: ALPHA)
    assert run_catalogue(SURVEY, (h,))["equivalent"].tolist() == [False]
    monkeypatch.setattr(catalogue_module, "tost_p_value", lambda *args: ALPHA - 1e-9)
    assert run_catalogue(SURVEY, (h,))["equivalent"].tolist() == [True]


@dataclass(frozen=True, kw_only=True)
class Raising:
    """An estimator whose estimate raises ``error``."""

    error: Exception
    label: str = "raising"
    weighted: bool = False

    @property
    def requirements(self) -> Requirements:
        return Requirements(table="survey", columns=("y",), min_n=1)

    def estimate(self, data, null_value: float = 0.0) -> Estimate:
        raise self.error


@pytest.mark.parametrize(("error", "text"), [
    (ValueError("boom"), "ValueError: boom"),
    (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero"),
    (np.linalg.LinAlgError("Singular matrix"), "LinAlgError: Singular matrix"),
])
def test_a_failing_estimator_is_not_run_with_the_reason(error, text):
    h = Hypothesis(id="F", claim="c", outcome="o", predictors="p", test=Raising(error=error), direction="greater")
    row = run_catalogue(SURVEY, (h,)).iloc[0]
    assert row["status"] == f"not run: the estimator failed ({text})"
    assert np.isnan(row["estimate"]) and pd.isna(row["n"]) and row["p_display"] == ""
    assert pd.isna(row["supported"]) and np.isnan(row["p_holm"])


def test_other_errors_propagate():
    h = Hypothesis(id="F", claim="c", outcome="o", predictors="p", test=Raising(error=KeyError("k")),
                   direction="greater")
    with pytest.raises(KeyError):
        run_catalogue(SURVEY, (h,))


@pytest.mark.parametrize(("value", "p"), [(np.nan, 0.5), (1.0, np.nan), (np.inf, 0.5)])
def test_a_non_finite_estimate_is_not_run(value, p):
    row = run_catalogue(SURVEY, (_hypothesis("N", value, p),)).iloc[0]
    assert row["status"] == "not run: no finite estimate (no variation in the data?)"
    assert np.isnan(row["estimate"]) and np.isnan(row["p_value"]) and pd.isna(row["n"])
    assert row["p_display"] == "" and pd.isna(row["supported"])


def test_log_messages(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    catalogue = (_hypothesis("A", 1.0, 0.01), _hypothesis("B", 1.0, 0.01, needs=("absent",)),
                 _hypothesis("C", np.nan, 0.01))
    run_catalogue(SURVEY, catalogue)  # SURVEY has no weight column
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == [
        "no survey weights: survey hypotheses run unweighted (weighted = False)",
        "B not run: needs absent",
        "C not run: no finite estimate (no variation in the data?)"]
    caplog.clear()
    weighted = StudyData(survey=SURVEY.survey.assign(weight=1.0), firms=pd.DataFrame(), pipeline=pd.DataFrame())
    run_catalogue(weighted, catalogue[:1])
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == []  # weights found, every row ran


# --- run_catalogue: options passed through --------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class WithVariance:
    """A fixed estimator with a ``variance`` option (shown in its label) that may be weighted."""

    variance: str = "linearised"
    weighted: bool = True

    @property
    def label(self) -> str:
        return f"{'weighted' if self.weighted else 'unweighted'} {self.variance}"

    @property
    def requirements(self) -> Requirements:
        return Requirements(table="survey", columns=("y",), min_n=1)

    def estimate(self, data, null_value: float = 0.0) -> Estimate:
        return Estimate(1.0, 0.0, 2.0, 0.5, 3, se=0.5)


def test_variance_is_passed_to_estimators_that_have_it():
    h = Hypothesis(id="V", claim="c", outcome="o", predictors="p", test=WithVariance(), direction="greater")
    plain = _hypothesis("P", 1.0, 0.5)  # no variance option: left alone
    table = run_catalogue(SURVEY, (h, plain), variance="bootstrap")
    assert table["estimator"].tolist() == ["unweighted bootstrap", "fixed"]
    assert table["status"].tolist() == [RAN, RAN]
    assert run_catalogue(SURVEY, (h, plain))["estimator"].tolist() == ["unweighted linearised", "fixed"]
    weighted = StudyData(survey=SURVEY.survey.assign(weight=1.0), firms=pd.DataFrame(), pipeline=pd.DataFrame())
    table = run_catalogue(weighted, (h,), variance="jackknife")
    assert table["estimator"].tolist() == ["weighted jackknife"]
    assert table["weighted"].tolist() == [True]


def test_unweighted_flag_is_a_boolean_false():
    h = Hypothesis(id="V", claim="c", outcome="o", predictors="p", test=WithVariance(), direction="greater")
    table = run_catalogue(SURVEY, (h,))
    assert table["weighted"].tolist() == [False]
    assert table["weighted"].dtype == bool


# --- within-firm estimates ------------------------------------------------------------------

PANEL = StudyData(survey=pd.DataFrame({
    "firm_id": ["a", "a", "b", "b", "c", "c", "d"],
    "x": [0.0, 1.0, 0.0, 2.0, 1.0, 3.0, 5.0],
    "y": [0.0, 2.0, 1.0, 5.0, 0.0, 3.0, 0.0],
}), firms=pd.DataFrame(), pipeline=pd.DataFrame())
"""Three firms answering twice and one (d) answering once; no weights (the models run unweighted)."""
# centred on each firm's mean: a x (-0.5, 0.5) y (-1, 1); b x (-1, 1) y (-2, 2); c x (-1, 1) y (-1.5, 1.5)
# within slope = sum(x y) / sum(x^2) = (1 + 4 + 3) / (0.5 + 2 + 2) = 16 / 9; firm d drops out
WITHIN = 16 / 9


def _panel_hypothesis(within_firm: bool = True) -> Hypothesis:
    return Hypothesis(id="W", claim="c", outcome="y", predictors="x",
                      test=WeightedOLS(formula="y ~ x", term="x", min_n=2), direction="greater",
                      within_firm=within_firm)


def test_within_estimate_by_hand():
    row = run_catalogue(PANEL, (_panel_hypothesis(),)).iloc[0]
    assert row["status"] == RAN and not row["weighted"]
    assert row["within_estimate"] == pytest.approx(WITHIN)
    direct = WeightedOLS(formula="y ~ x", term="x", weighted=False).within_estimate(PANEL)
    assert direct.estimate == pytest.approx(WITHIN)
    assert (row["within_ci_low"], row["within_ci_high"]) == pytest.approx((direct.ci_low, direct.ci_high))
    assert row["within_ci_low"] < WITHIN < row["within_ci_high"]
    assert row["within_ci_high"] - WITHIN == pytest.approx(WITHIN - row["within_ci_low"])  # a Wald CI
    pooled = wls_term(PANEL.survey, "y ~ x", "x", weighted=False)
    assert row["estimate"] == pytest.approx(pooled.estimate) and row["n"] == 7
    assert abs(row["estimate"] - WITHIN) > 0.5  # the pooled slope is another number


def test_within_is_skipped_when_asked_or_not_declared():
    skipped = run_catalogue(PANEL, (_panel_hypothesis(),), within=False).iloc[0]
    assert skipped["status"] == RAN and np.isfinite(skipped["estimate"])
    assert np.isnan([skipped["within_estimate"], skipped["within_ci_low"], skipped["within_ci_high"]]).all()
    undeclared = run_catalogue(PANEL, (_panel_hypothesis(within_firm=False),)).iloc[0]
    assert undeclared["status"] == RAN
    assert np.isnan([undeclared["within_estimate"], undeclared["within_ci_low"], undeclared["within_ci_high"]]).all()


def test_within_needs_a_regression():
    # declared within_firm, but the estimator is not a WeightedOLS (it has no within_estimate)
    h = Hypothesis(id="F", claim="c", outcome="y", predictors="x", test=Fixed(value=1.0, p=0.5), direction="greater",
                   within_firm=True)
    row = run_catalogue(SURVEY, (h,)).iloc[0]
    assert row["status"] == RAN and row["estimate"] == 1.0
    assert np.isnan([row["within_estimate"], row["within_ci_low"], row["within_ci_high"]]).all()
    assert catalogue_module._within(h, SURVEY) == pytest.approx((np.nan,) * 3, nan_ok=True)
    assert len(catalogue_module._within(h, SURVEY)) == 3
