"""Tests of channelstudy.analysis.concentration: concentration measures and power-law vs lognormal tails.

Expectations are computed independently of the module: closed forms (equal shares, one holder),
brute-force formulas (mean absolute difference for the Gini, loops over candidate ``xmin``) and
scipy.stats distributions with known parameters.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from channelstudy.analysis.concentration import (
    concentration_ratio,
    concentration_table,
    gini,
    hhi,
    lorenz_curve,
)
from channelstudy.analysis.tails import (
    LognormalFit,
    PowerLawFit,
    TailComparison,
    compare_tails,
    fit_power_law,
    fit_truncated_lognormal,
    vuong_test,
)

# --------------------------------------------------------------------------------------------
# Concentration measures: closed forms
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_hhi_of_equal_shares_is_one_over_n(n: int) -> None:
    assert hhi(np.full(n, 3.5)) == pytest.approx(1 / n)


def test_hhi_known_values_and_antitrust_scale() -> None:
    assert hhi([70, 20, 10]) == pytest.approx(0.49 + 0.04 + 0.01)
    assert hhi([0, 0, 5]) == pytest.approx(1.0)
    assert hhi([70, 20, 10]) * 10_000 == pytest.approx(5_400)


def test_concentration_ratio_closed_forms() -> None:
    assert concentration_ratio([2, 2, 2, 2], k=4) == pytest.approx(1.0)
    assert concentration_ratio(np.ones(10), k=4) == pytest.approx(0.4)
    assert concentration_ratio([5, 50, 10, 30, 5], k=2) == pytest.approx(0.8)  # order does not matter
    assert concentration_ratio([1, 2], k=10) == pytest.approx(1.0)  # fewer units than k


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_concentration_ratio_rejects_bad_k(k: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        concentration_ratio([1, 2, 3], k=k)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [1, 2, 5, 50])
def test_gini_of_equal_values_is_zero(n: int) -> None:
    assert gini(np.full(n, 4.0)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [2, 3, 10, 200])
def test_gini_of_one_holder(n: int) -> None:
    values = np.zeros(n)
    values[n // 2] = 17.0
    assert gini(values) == pytest.approx((n - 1) / n)
    assert gini(values, unbiased=True) == pytest.approx(1.0)


def _gini_mean_abs_difference(x: np.ndarray) -> float:
    """Independent O(n^2) definition: mean absolute difference over twice the mean."""
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean()))


def test_gini_matches_mean_absolute_difference() -> None:
    rng = np.random.default_rng(11)
    x = rng.lognormal(2, 1.3, size=400)
    assert gini(x) == pytest.approx(_gini_mean_abs_difference(x), rel=1e-10)
    assert gini(x, unbiased=True) == pytest.approx(_gini_mean_abs_difference(x) * 400 / 399, rel=1e-10)


def test_unbiased_gini_needs_two_units() -> None:
    with pytest.raises(ValueError, match="two units"):
        gini([5.0], unbiased=True)


# --------------------------------------------------------------------------------------------
# Lorenz curve
# --------------------------------------------------------------------------------------------


def test_lorenz_curve_shape() -> None:
    rng = np.random.default_rng(5)
    x = rng.pareto(1.5, size=500)
    curve = lorenz_curve(x)
    assert list(curve.columns) == ["cum_share_units", "cum_share_value"]
    assert len(curve) == 501
    assert tuple(curve.iloc[0]) == (0.0, 0.0)
    assert tuple(curve.iloc[-1]) == (1.0, 1.0)
    units, value = curve["cum_share_units"].to_numpy(), curve["cum_share_value"].to_numpy()
    assert (np.diff(units) > 0).all()
    assert (np.diff(value) >= 0).all()  # monotone
    assert (np.diff(value, 2) >= -1e-12).all()  # convex (equally spaced units)
    assert (value <= units + 1e-12).all()  # below the diagonal


def test_lorenz_area_gives_the_gini() -> None:
    rng = np.random.default_rng(6)
    x = rng.lognormal(0, 1, size=300)
    curve = lorenz_curve(x)
    area = np.sum(
        np.diff(curve["cum_share_units"])
        * (curve["cum_share_value"].iloc[1:].to_numpy() + curve["cum_share_value"].iloc[:-1].to_numpy())
        / 2
    )
    assert 1 - 2 * area == pytest.approx(gini(x), rel=1e-10)


def test_lorenz_of_equal_values_is_the_diagonal() -> None:
    curve = lorenz_curve([2, 2, 2, 2])
    np.testing.assert_allclose(curve["cum_share_value"], curve["cum_share_units"])


# --------------------------------------------------------------------------------------------
# Input validation (shared by all measures)
# --------------------------------------------------------------------------------------------

MEASURES = [hhi, lambda v, **kw: concentration_ratio(v, 4, **kw), gini, lorenz_curve]


@pytest.mark.parametrize("measure", MEASURES)
def test_measures_reject_empty_negative_infinite_and_zero_total(measure) -> None:
    with pytest.raises(ValueError, match="empty"):
        measure([])
    with pytest.raises(ValueError, match="empty"):
        measure([np.nan, np.nan])
    with pytest.raises(ValueError, match="negative"):
        measure([1.0, -0.5, 3.0])
    with pytest.raises(ValueError, match="infinite"):
        measure([1.0, np.inf])
    with pytest.raises(ValueError, match="sum to zero"):
        measure([0.0, 0.0])


@pytest.mark.parametrize("measure", [hhi, gini, lambda v, **kw: concentration_ratio(v, 2, **kw)])
def test_missing_values_dropped_or_rejected(measure) -> None:
    clean = [5.0, 1.0, 2.0]
    with_missing = pd.Series([5.0, None, 1.0, 2.0], dtype="Float64")  # pd.NA
    assert measure(with_missing) == pytest.approx(measure(clean))
    assert measure([5.0, np.nan, 1.0, 2.0]) == pytest.approx(measure(clean))
    with pytest.raises(ValueError, match="missing"):
        measure(with_missing, dropna=False)


# --------------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------------

sizes = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=60).filter(
    lambda xs: sum(xs) > 1e-3
)
factors = st.floats(min_value=1e-3, max_value=1e3)


@settings(max_examples=200, deadline=None)
@given(values=sizes, factor=factors)
def test_hhi_bounds_and_scale_invariance(values: list[float], factor: float) -> None:
    n = len(values)
    h = hhi(values)
    assert 1 / n - 1e-12 <= h <= 1 + 1e-12
    assert hhi(np.asarray(values) * factor) == pytest.approx(h, rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(values=sizes, factor=factors)
def test_gini_bounds_and_scale_invariance(values: list[float], factor: float) -> None:
    g = gini(values)
    assert -1e-12 <= g < 1
    assert g <= (len(values) - 1) / len(values) + 1e-12
    assert gini(np.asarray(values) * factor) == pytest.approx(g, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(values=sizes, k=st.integers(min_value=1, max_value=70))
def test_concentration_ratio_bounds(values: list[float], k: int) -> None:
    cr = concentration_ratio(values, k)
    assert min(k, len(values)) / len(values) - 1e-12 <= cr <= 1 + 1e-12


# --------------------------------------------------------------------------------------------
# concentration_table
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def firms() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 600
    revenue = rng.lognormal(12, 1.5, size=n)
    revenue[rng.random(n) < 0.05] = np.nan
    employees = np.maximum(1, np.round(rng.lognormal(1, 1.2, size=n))).astype(float)
    employees[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "partner_type": rng.choice(["isv", "reseller", "distributor"], size=n, p=[0.5, 0.4, 0.1]),
            "macro_area": rng.choice(["Nord", "Sud"], size=n),
            "revenue_eur": revenue,
            "employees": pd.array(employees, dtype="Float64"),
        },
        index=rng.permutation(n) + 1000,  # non-default index
    )


def test_concentration_table_matches_scalar_measures(firms: pd.DataFrame) -> None:
    table = concentration_table(firms, "revenue_eur", "partner_type", employees="employees")
    assert list(table.columns) == [
        "partner_type", "n", "total", "hhi", "cr4", "cr10", "gini", "micro_firm_share", "micro_value_share",
    ]  # fmt: skip
    assert list(table["partner_type"]) == ["distributor", "isv", "reseller"]
    for row in table.itertuples(index=False):
        group = firms[firms["partner_type"] == row.partner_type]
        values = group["revenue_eur"].dropna().to_numpy()
        assert row.n == values.size
        assert row.total == pytest.approx(values.sum())
        assert row.hhi == pytest.approx(hhi(values))
        assert row.cr4 == pytest.approx(np.sort(values)[-4:].sum() / values.sum())
        assert row.cr10 == pytest.approx(np.sort(values)[-10:].sum() / values.sum())
        assert row.gini == pytest.approx(_gini_mean_abs_difference(values))
        with_value = group.dropna(subset=["revenue_eur"])
        known = with_value.dropna(subset=["employees"])
        assert row.micro_firm_share == pytest.approx((known["employees"] <= 9).mean())
        micro_value = with_value.loc[(with_value["employees"] <= 9).fillna(False), "revenue_eur"].sum()
        assert row.micro_value_share == pytest.approx(micro_value / values.sum())


def test_concentration_table_with_two_keys_and_without_employees(firms: pd.DataFrame) -> None:
    table = concentration_table(firms, "revenue_eur", ["partner_type", "macro_area"])
    assert list(table.columns) == ["partner_type", "macro_area", "n", "total", "hhi", "cr4", "cr10", "gini"]
    assert len(table) == 6
    assert table["n"].sum() == firms["revenue_eur"].notna().sum()
    one = firms[(firms["partner_type"] == "isv") & (firms["macro_area"] == "Sud")]["revenue_eur"]
    row = table[(table["partner_type"] == "isv") & (table["macro_area"] == "Sud")].iloc[0]
    assert row["gini"] == pytest.approx(gini(one))


def test_concentration_table_small_groups_and_zero_totals() -> None:
    df = pd.DataFrame({"g": ["a", "a", "b", "c", "c"], "x": [3.0, 1.0, 5.0, 0.0, 0.0]})
    table = concentration_table(df, "x", "g").set_index("g")
    assert table.loc["a", "cr4"] == pytest.approx(1.0)
    assert table.loc["a", "hhi"] == pytest.approx(0.625)
    assert table.loc["b", "gini"] == pytest.approx(0.0)
    assert table.loc[["c"], ["hhi", "cr4", "cr10", "gini"]].isna().all(axis=None)


def test_concentration_table_errors() -> None:
    df = pd.DataFrame({"g": ["a", "b"], "x": [1.0, -2.0]})
    with pytest.raises(KeyError, match="missing column"):
        concentration_table(df, "revenue", "g")
    with pytest.raises(ValueError, match="negative"):
        concentration_table(df, "x", "g")
    with pytest.raises(ValueError, match="no row"):
        concentration_table(df.assign(x=np.nan), "x", "g")


# --------------------------------------------------------------------------------------------
# Power law, truncated lognormal, Vuong
# --------------------------------------------------------------------------------------------


def _pareto(alpha: float, n: int, seed: int, xmin: float = 1.0) -> np.ndarray:
    """Continuous power law with density exponent ``alpha`` (scipy's Pareto shape ``alpha - 1``)."""
    return stats.pareto(b=alpha - 1, scale=xmin).rvs(size=n, random_state=seed)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compare_tails_recovers_a_power_law(seed: int) -> None:
    result = compare_tails(_pareto(2.5, 5_000, seed))
    assert result.alpha == pytest.approx(2.5, abs=0.15)
    assert result.preferred in {"power_law", "inconclusive"}
    assert result.xmin >= 1.0
    assert result.alpha_se == pytest.approx((result.alpha - 1) / math.sqrt(result.n_tail))


@pytest.mark.parametrize("seed", [1, 2])
def test_compare_tails_prefers_lognormal_for_lognormal_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    xmin = math.exp(1.0)
    draws = rng.lognormal(1.0, 1.0, size=44_000)  # about half lie above the median e
    above = draws[draws >= xmin][:20_000]
    fixed = compare_tails(above, xmin=xmin)
    assert fixed.n_tail == 20_000
    assert fixed.preferred == "lognormal"
    assert fixed.loglik_ratio < 0
    assert fixed.lognormal_mu == pytest.approx(1.0, abs=0.15)
    assert fixed.lognormal_sigma == pytest.approx(1.0, abs=0.1)
    searched = compare_tails(above)  # xmin chosen by KS: the tail looks more power-law-like
    assert searched.loglik_ratio < 0
    assert searched.preferred != "power_law"


def test_fixed_xmin_alpha_and_ks_match_independent_formulas() -> None:
    x = _pareto(2.2, 3_000, seed=7, xmin=10.0)
    fit = fit_power_law(x, xmin=20.0)
    tail = x[x >= 20.0]
    assert fit.n_tail == tail.size
    assert fit.alpha == pytest.approx(1 + tail.size / np.log(tail / 20.0).sum())
    expected_ks = stats.kstest(tail, stats.pareto(b=fit.alpha - 1, scale=20.0).cdf).statistic
    assert fit.ks_distance == pytest.approx(expected_ks, rel=1e-9)


def test_xmin_search_matches_a_brute_force_loop() -> None:
    rng = np.random.default_rng(8)
    # lognormal body with a power-law tail above 5: the KS minimum is at an interior xmin
    x = np.concatenate([rng.lognormal(0.5, 0.6, size=250), _pareto(2.3, 120, seed=9, xmin=5.0)])
    sorted_x = np.sort(x)
    best_xmin, best_d = None, np.inf
    for candidate in np.unique(x):
        tail = sorted_x[sorted_x >= candidate]
        if candidate > np.quantile(x, 0.9) or tail.size < 50:
            continue
        alpha = 1 + tail.size / np.log(tail / candidate).sum()
        d = stats.kstest(tail, stats.pareto(b=alpha - 1, scale=candidate).cdf).statistic
        if d < best_d:
            best_xmin, best_d = candidate, d
    exhaustive = fit_power_law(x, max_candidates=None)
    assert exhaustive.xmin == best_xmin
    assert exhaustive.ks_distance == pytest.approx(best_d, rel=1e-9)
    gridded = fit_power_law(x, max_candidates=20)  # grid then local refinement
    assert gridded.ks_distance <= best_d * 1.5


def test_vectorised_ks_scan_matches_scipy_for_every_candidate() -> None:
    from channelstudy.analysis.tails import _ks_distances

    x = np.sort(np.round(_pareto(2.1, 400, seed=14, xmin=1.0), 1))  # ties
    candidates = np.unique(x, return_index=True)[1][:40]
    alpha, distance = _ks_distances(np.log(x), candidates)
    for i, start in enumerate(candidates):
        tail = x[start:]
        assert alpha[i] == pytest.approx(1 + tail.size / np.log(tail / x[start]).sum())
        expected = stats.kstest(tail, stats.pareto(b=alpha[i] - 1, scale=x[start]).cdf).statistic
        assert distance[i] == pytest.approx(expected, rel=1e-9)


def test_integer_sizes_with_ties_are_handled() -> None:
    rng = np.random.default_rng(10)
    body = np.round(rng.lognormal(0.4, 0.7, size=9_000))
    tail = np.round(_pareto(2.2, 1_000, seed=12, xmin=10.0))
    employees = np.clip(np.concatenate([body, tail]), 1, None).astype(int)
    result = compare_tails(employees)
    assert float(result.xmin).is_integer()
    assert result.n_tail == (employees >= result.xmin).sum()
    assert 1.8 < result.alpha < 2.6
    fit = fit_power_law(employees, xmin=result.xmin)
    ties_ks = stats.kstest(
        employees[employees >= result.xmin], stats.pareto(b=fit.alpha - 1, scale=result.xmin).cdf
    )
    assert fit.ks_distance == pytest.approx(ties_ks.statistic, rel=1e-9)


def test_log_pdfs_match_scipy() -> None:
    x = np.array([3.0, 4.5, 10.0, 120.0])
    power_law = PowerLawFit(xmin=3.0, n_tail=4, alpha=2.4, alpha_se=0.0, ks_distance=0.0)
    np.testing.assert_allclose(power_law.log_pdf(x), stats.pareto(b=1.4, scale=3.0).logpdf(x))
    lognormal = LognormalFit(xmin=3.0, n_tail=4, mu=0.7, sigma=1.3)
    reference = stats.lognorm(s=1.3, scale=math.exp(0.7))
    np.testing.assert_allclose(lognormal.log_pdf(x), reference.logpdf(x) - reference.logsf(3.0))


def test_truncated_lognormal_is_the_likelihood_maximum() -> None:
    rng = np.random.default_rng(13)
    draws = rng.lognormal(2.0, 0.8, size=30_000)
    xmin = math.exp(2.5)
    fit = fit_truncated_lognormal(draws, xmin)
    tail = draws[draws >= xmin]
    assert fit.n_tail == tail.size
    assert fit.mu == pytest.approx(2.0, abs=0.1)
    assert fit.sigma == pytest.approx(0.8, abs=0.06)

    def loglik(mu: float, sigma: float) -> float:
        ref = stats.lognorm(s=sigma, scale=math.exp(mu))
        return float(np.sum(ref.logpdf(tail) - ref.logsf(xmin)))

    best = loglik(fit.mu, fit.sigma)
    for d_mu, d_sigma in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)]:
        assert best >= loglik(fit.mu + d_mu, fit.sigma + d_sigma)


def test_vuong_test_against_hand_computation() -> None:
    a = np.array([-1.0, -1.2, -0.9, -1.1, -2.0])
    b = np.array([-1.5, -1.4, -1.6, -1.2, -1.9])
    d = a - b
    expected_z = d.sum() / (math.sqrt(5) * d.std())
    result = vuong_test(a, b)
    assert result.loglik_ratio == pytest.approx(d.sum())
    assert result.normalized_ratio == pytest.approx(expected_z)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(expected_z)))
    flipped = vuong_test(b, a)
    assert flipped.normalized_ratio == pytest.approx(-expected_z)
    assert flipped.p_value == pytest.approx(result.p_value)
    assert vuong_test(a, a).p_value == 1.0
    with pytest.raises(ValueError):
        vuong_test(a, b[:3])


def test_compare_tails_result_is_frozen_and_tabular() -> None:
    result = compare_tails(_pareto(2.5, 2_000, seed=4))
    assert isinstance(result, TailComparison)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.alpha = 3.0  # type: ignore[misc]
    series = result.to_series()
    assert series["preferred"] == result.preferred
    assert list(series.index[:10]) == [
        "xmin", "n_tail", "alpha", "alpha_se", "lognormal_mu", "lognormal_sigma",
        "loglik_ratio", "normalized_ratio", "p_value", "preferred",
    ]  # fmt: skip


def test_compare_tails_input_errors() -> None:
    x = _pareto(2.5, 500, seed=5)
    with pytest.raises(ValueError, match="negative"):
        compare_tails(np.append(x, -1.0))
    with pytest.raises(ValueError, match="xmin must be positive"):
        compare_tails(x, xmin=0.0)
    with pytest.raises(ValueError, match="fewer than two"):
        compare_tails(x, xmin=x.max() + 1)
    with pytest.raises(ValueError, match="candidate"):
        compare_tails(x[:30])  # tail of 50 impossible
    with pytest.raises(ValueError, match="missing"):
        compare_tails(np.append(x, np.nan), dropna=False)
    assert compare_tails(np.append(x, np.nan)).n_tail == compare_tails(x).n_tail


def test_compare_tails_on_15000_values() -> None:
    """Runs on a default-world-sized input (the speed goal is in benchmarks/bench_cleaners.py)."""
    x = _pareto(2.2, 15_000, seed=6)
    assert abs(compare_tails(x).alpha - 2.2) < 0.15
