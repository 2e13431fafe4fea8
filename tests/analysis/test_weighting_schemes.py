"""Tests of calibration (generalised raking), IPW, balance diagnostics and replicate weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.analysis.balance import balance_table, smd, weight_diagnostics
from channelstudy.analysis.calibration import calibrate
from channelstudy.analysis.ipw import ipw_weights, response_propensity, trim_weights
from channelstudy.analysis.raking import RakingConfig, population_margins, rake
from channelstudy.analysis.replicates import replicate_se, replicate_weights
from channelstudy.analysis.schemes import scheme_weights, share_table
from channelstudy.errors import RakingError


def _world(seed: int, n_pop: int = 4000, n_resp: int = 600) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    pop = pd.DataFrame({
        "kind": rng.choice(["a", "b", "c"], n_pop, p=[0.5, 0.3, 0.2]),
        "area": rng.choice(["n", "s"], n_pop, p=[0.6, 0.4]),
    })
    pop["employees"] = np.round(rng.lognormal(1.5 + (pop["kind"] == "c") * 0.8, 0.8)) + 1
    logit = -2.0 + 0.5 * np.log(pop["employees"]) + (pop["area"] == "n") * 0.7
    p = 1 / (1 + np.exp(-logit))
    responded = rng.random(n_pop) < p * n_resp / p.sum()
    return pop, pop[responded].reset_index(drop=True), responded


# --------------------------------------------------------------------------------------------
# calibration
# --------------------------------------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_calibration_on_categories_equals_ipf(seed: int) -> None:
    """Exponential calibration and IPF solve the same problem: same weights to 1e-8."""
    pop, resp, _ = _world(seed)
    margins = population_margins(pop, ["kind", "area"])
    ipf = rake(resp, margins, config=RakingConfig(tol=1e-12, max_iter=1000, trim_ratio=None, collapse=False))
    ours = calibrate(resp, margins, trim_ratio=None, tol=1e-12)
    np.testing.assert_allclose(ours.weights.to_numpy(), ipf.weights.to_numpy(), rtol=1e-8)


def test_calibration_meets_quantitative_totals() -> None:
    pop, resp, _ = _world(1)
    margins = {
        "kind": pop.groupby("kind").size().astype(float),
        "employees|kind": pop.groupby("kind")["employees"].sum().astype(float),
    }
    res = calibrate(resp, margins, trim_ratio=None)
    w = res.weights
    assert res.converged and res.max_margin_error < 1e-7
    np.testing.assert_allclose((w * resp["employees"]).groupby(resp["kind"]).sum(), margins["employees|kind"],
                               rtol=1e-7)
    # unweighted respondents are larger than the population; calibrated ones are not
    assert resp["employees"].mean() > pop["employees"].mean() * 1.1


def test_calibration_trimming_holds_cap_and_margins() -> None:
    pop, resp, _ = _world(2)
    margins = {"kind": pop.groupby("kind").size().astype(float),
               "employees|kind": pop.groupby("kind")["employees"].sum().astype(float)}
    plain = calibrate(resp, margins, trim_ratio=None)
    cap = 1.15
    capped = calibrate(resp, margins, trim_ratio=cap)
    assert plain.max_weight_ratio > cap  # the cap binds
    assert capped.max_weight_ratio <= cap * (1 + 1e-6) and capped.cap_met and capped.trimmed > 0
    assert capped.max_margin_error < 1e-6


def test_calibration_empty_cell_raises() -> None:
    resp = pd.DataFrame({"kind": ["a", "a"]})
    margins = {"kind": pd.Series([5.0, 5.0], index=pd.Index(["a", "b"], name="kind"))}
    with pytest.raises(RakingError, match="no sample row"):
        calibrate(resp, margins)


# --------------------------------------------------------------------------------------------
# IPW and balance
# --------------------------------------------------------------------------------------------


def test_ipw_propensity_matches_statsmodels_logit() -> None:
    import statsmodels.api as sm

    pop, _, responded = _world(3)
    pop = pop.assign(log_emp=np.log(pop["employees"]))
    p = response_propensity(pop, responded, ["log_emp", "area"])
    x = sm.add_constant(np.column_stack([pop["log_emp"], (pop["area"] == "s").astype(float)]))
    ref = sm.Logit(responded.astype(float), x).fit(disp=0).predict(x)
    np.testing.assert_allclose(p, ref, atol=1e-4)


def test_ipw_restores_balance_on_the_model_covariates() -> None:
    pop, resp, responded = _world(4)
    pop = pop.assign(log_emp=np.log(pop["employees"]))
    w = ipw_weights(pop, responded, ["log_emp", "area"], trim_ratio=None)
    before = smd(pop[responded], pop, ["log_emp", "area"]).abs()
    after = smd(pop[responded], pop, ["log_emp", "area"], weights=w.to_numpy()).abs()
    assert (before > 0.1).any() and (after < 0.05).all()
    assert w.sum() == pytest.approx(len(pop))


def test_trim_weights_keeps_total_and_cap() -> None:
    w = trim_weights(np.array([1.0, 1.0, 2.0, 20.0]), 2.0)
    assert w.sum() == pytest.approx(24.0) and w.max() <= 12.0 + 1e-9


def test_weight_diagnostics_and_balance_table() -> None:
    d = weight_diagnostics([1.0, 1.0, 1.0, 1.0])
    assert d["deff_kish"] == pytest.approx(1.0) and d["n_effective"] == pytest.approx(4.0)
    pop, resp, _ = _world(5)
    table = balance_table(resp, pop, ["area"], {"none": None, "double": np.full(len(resp), 2.0)})
    by = table.set_index(["scheme", "covariate"])["smd"]
    assert by[("none", "area=n")] == pytest.approx(by[("double", "area=n")])  # scale-free
    assert by[("none", "area=n")] > 0.1  # the north answers more


def test_schemes_beat_no_weights_on_a_size_biased_sample() -> None:
    pop, resp, responded = _world(6)
    pop = pop.assign(log_emp=np.log(pop["employees"]), big=np.where(pop["employees"] > 10, "y", "n"))
    resp = pop[responded].reset_index(drop=True)
    margins = {"kind": pop.groupby("kind").size().astype(float),
               "employees|kind": pop.groupby("kind")["employees"].sum().astype(float)}
    weights = scheme_weights(resp, pop, responded, margins, ipw_covariates=["kind", "log_emp"], trim_ratio=5.0)
    err = share_table(resp, weights, "big", pop).assign(a=lambda t: t["error"].abs()).groupby("scheme")["a"].sum()
    assert err["raked"] < err["none"] and err["ipw"] < err["none"]


# --------------------------------------------------------------------------------------------
# replicate weights
# --------------------------------------------------------------------------------------------


def test_replicate_se_of_a_plain_mean_matches_the_textbook_se() -> None:
    rng = np.random.default_rng(0)
    sample = pd.DataFrame({"firm_id": np.arange(400).astype(str), "y": rng.normal(0, 1, 400)})

    def weigh(s: pd.DataFrame, base: pd.Series) -> pd.Series:
        return base

    w = pd.Series(1.0, index=sample.index)
    textbook = sample["y"].std() / np.sqrt(len(sample))
    for method, reps in (("jackknife", 100), ("bootstrap", 400)):
        r = replicate_weights(sample, weigh, method=method, n_replicates=reps)
        assert replicate_se(sample["y"], w, r, method=method) == pytest.approx(textbook, rel=0.15)


def test_replicates_resample_firms_not_rows() -> None:
    sample = pd.DataFrame({"firm_id": ["A", "A", "B", "B", "C", "C"], "y": [1.0] * 6})
    r = replicate_weights(sample, lambda s, b: b, method="jackknife", n_replicates=3)
    # rows of a firm are dropped together
    for col in r.columns:
        assert (r[col].iloc[0::2].to_numpy() == r[col].iloc[1::2].to_numpy()).all()


def test_replicate_se_with_calibration_differs_from_fixed_weights() -> None:
    """Re-raking each replicate: calibration on a margin correlated with y lowers the SE."""
    pop, resp, _ = _world(7)
    resp = resp.assign(firm_id=np.arange(len(resp)).astype(str), y=np.log(resp["employees"]))
    margins = {"kind": pop.groupby("kind").size().astype(float),
               "employees|kind": pop.groupby("kind")["employees"].sum().astype(float)}

    def weigh(s: pd.DataFrame, base: pd.Series) -> pd.Series:
        return calibrate(s, margins, base_weights=base, trim_ratio=None).weights

    w = weigh(resp, pd.Series(1.0, index=resp.index))
    reraked = replicate_weights(resp, weigh, method="jackknife", n_replicates=40)
    fixed = replicate_weights(resp, lambda s, b: w.loc[s.index] * b, method="jackknife", n_replicates=40)
    se_reraked = replicate_se(resp["y"], w, reraked, method="jackknife")
    se_fixed = replicate_se(resp["y"], w, fixed, method="jackknife")
    assert se_reraked < 0.8 * se_fixed


def test_replicate_method_is_validated() -> None:
    with pytest.raises(ValueError, match="method"):
        replicate_weights(pd.DataFrame({"firm_id": ["a"]}), lambda s, b: b, method="brr")


def test_calibration_on_categories_equals_samplics_rake() -> None:
    """Cross-check with a well-kept library: samplics' raking gives the same weights to 1e-8."""
    samplics = pytest.importorskip("samplics")
    pop, resp, _ = _world(11)
    margins = population_margins(pop, ["kind", "area"])
    control = {name: {str(k): float(v) for k, v in m.items()} for name, m in margins.items()}
    theirs = samplics.SampleWeight().rake(
        samp_weight=np.ones(len(resp)), margins={c: resp[c].to_numpy() for c in ("kind", "area")},
        control=control, tol=1e-14, ctrl_tol=1e-14, max_iter=2000)
    ours = calibrate(resp, margins, trim_ratio=None, tol=1e-13)
    np.testing.assert_allclose(ours.weights.to_numpy(), theirs, rtol=1e-8)


def test_weighted_means_takes_replicate_weights() -> None:
    from channelstudy.analysis.weights import weighted_means

    rng = np.random.default_rng(1)
    data = pd.DataFrame({"firm_id": np.arange(300).astype(str), "g": "all", "x": rng.normal(0, 1, 300),
                         "weight": 1.0})
    reps = replicate_weights(data, lambda s, b: b, method="jackknife", n_replicates=50)
    lin = weighted_means(data, "x", "g").iloc[0]
    rep = weighted_means(data, "x", "g", replicates=reps, replicate_method="jackknife").iloc[0]
    assert rep["mean"] == lin["mean"]
    assert (rep["ci_high"] - rep["ci_low"]) == pytest.approx(lin["ci_high"] - lin["ci_low"], rel=0.2)
    assert (rep["ci_high"] - rep["ci_low"]) != pytest.approx(lin["ci_high"] - lin["ci_low"], rel=1e-9)


# --------------------------------------------------------------------------------------------
# bounded calibration and a cap that binds
# --------------------------------------------------------------------------------------------


def _skewed() -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Class ``a`` has one very large respondent; its persons-employed total is small."""
    sample = pd.DataFrame({"k": ["a"] * 6 + ["b"] * 6, "e": [1.0, 2, 3, 4, 6, 60, 1, 2, 2, 3, 5, 8]})
    index = pd.Index(["a", "b"], name="k")
    return sample, {"k": pd.Series([60.0, 60.0], index=index), "e|k": pd.Series([250.0, 200.0], index=index)}


def test_bounded_calibration_keeps_every_ratio_inside_its_bounds() -> None:
    """Raking to the persons-employed total drives the largest firm's weight near zero; logit bounds do not."""
    sample, margins = _skewed()
    raked = calibrate(sample, margins, trim_ratio=None)
    bounded = calibrate(sample, margins, trim_ratio=None, bounds=(0.2, 5.0))
    mean = 120.0 / 12
    assert raked.converged and raked.weights.min() / mean < 0.15  # the problem
    assert bounded.converged and bounded.max_margin_error < 1e-6
    ratio = bounded.weights / mean
    assert ratio.min() >= 0.2 - 1e-6 and ratio.max() < 5.0
    # the totals are met all the same
    np.testing.assert_allclose((bounded.weights * sample["e"]).groupby(sample["k"]).sum(), margins["e|k"], rtol=1e-6)


def test_bounds_are_validated() -> None:
    sample, margins = _skewed()
    with pytest.raises(ValueError, match="bounds"):
        calibrate(sample, margins, bounds=(1.2, 5.0))


def test_cap_binds_when_no_calibrated_solution_meets_it() -> None:
    """One respondent must stand for half the population: under a cap of 2 x mean it cannot; the cap wins."""
    sample = pd.DataFrame({"k": ["a"] + ["b"] * 9})
    margins = {"k": pd.Series([50.0, 50.0], index=pd.Index(["a", "b"], name="k"))}
    res = calibrate(sample, margins, trim_ratio=2.0)
    assert res.cap_met and res.trimmed == 1
    assert res.weights.max() == pytest.approx(20.0) and res.weights.sum() == pytest.approx(100.0)
    assert res.max_margin_error == pytest.approx(0.6)  # the price: class a is under-represented, and it is reported


def test_cap_binds_with_margins_met_when_it_can() -> None:
    sample, margins = _skewed()
    free = calibrate(sample, {"k": margins["k"]}, base_weights=pd.Series([8.0] + [1.0] * 11), trim_ratio=None)
    assert free.weights.max() / free.weights.mean() > 2.5
    capped = calibrate(sample, {"k": margins["k"]}, base_weights=pd.Series([8.0] + [1.0] * 11), trim_ratio=2.5)
    assert capped.trimmed >= 1 and capped.cap_met and capped.max_margin_error < 1e-6
    assert capped.weights.max() / capped.weights.mean() == pytest.approx(2.5)


def test_cap_per_base_caps_each_weight_at_a_multiple_of_its_base():
    # one class, margin 12, base weights 1, 1, 1, 3 (a firm drawn three times in a bootstrap replicate):
    # normalised to the total the bases are 2, 2, 2, 6 and already meet the margin. A cap of 1.5 x the mean
    # weight (4.5) cuts the 6; a cap of 1.5 x each base (3, 3, 3, 9) leaves every weight as it is
    sample = pd.DataFrame({"kind": ["a"] * 4})
    margins = {"kind": pd.Series([12.0], index=pd.Index(["a"], name="kind"))}
    base = pd.Series([1.0, 1.0, 1.0, 3.0])
    per_base = calibrate(sample, margins, base_weights=base, trim_ratio=1.5, cap_per_base=True)
    assert per_base.weights.tolist() == pytest.approx([2.0, 2.0, 2.0, 6.0]) and per_base.trimmed == 0
    assert per_base.cap_met
    per_mean = calibrate(sample, margins, base_weights=base, trim_ratio=1.5)
    assert per_mean.trimmed == 1 and per_mean.weights.max() == pytest.approx(4.5)
