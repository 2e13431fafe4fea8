"""Raking's convergence and trimming rules on cases small enough to work out by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from channelstudy.analysis.raking import RakingConfig, rake

KIND = {"kind": pd.Series({"a": 50.0, "b": 50.0}).rename_axis("kind")}


def _rake(kinds: str, base: list[float], **config):
    return rake(pd.DataFrame({"kind": list(kinds)}), KIND, base_weights=base,
                config=RakingConfig(min_cell=1, **config))


def test_trimming_caps_the_weight_and_gives_the_excess_to_the_others_in_its_cell():
    # plain rake: a = [5, 45], b = [25, 25]; mean 25, cap 1.6 x 25 = 40: 45 -> 40 and 5 -> 10 keeps a at 50
    result = _rake("aabb", [1, 9, 1, 1], trim_ratio=1.6)
    np.testing.assert_allclose(result.weights.to_numpy(), [10.0, 40.0, 25.0, 25.0])
    assert result.trimmed == 1
    assert (result.converged, result.cap_met) == (True, True)
    assert result.max_weight_ratio == pytest.approx(1.6)
    assert result.iterations == 2  # one sweep of the plain rake, one under the cap
    assert result.deff_kish == pytest.approx(4 * (10**2 + 40**2 + 2 * 25**2) / 100**2)  # 1.18
    assert result.n_effective == pytest.approx(4 / 1.18)


def test_no_trimming_when_the_cap_is_not_exceeded():
    result = _rake("aabb", [1, 9, 1, 1], trim_ratio=2.0)  # 45 <= 2 x 25
    np.testing.assert_allclose(result.weights.to_numpy(), [5.0, 45.0, 25.0, 25.0])
    assert (result.trimmed, result.iterations, result.cap_met) == (0, 1, True)
    assert result.max_weight_ratio == pytest.approx(1.8)
    assert result.deff_kish == pytest.approx(4 * (5**2 + 45**2 + 2 * 25**2) / 100**2)  # 1.32
    untrimmed = _rake("aabb", [1, 9, 1, 1], trim_ratio=None)
    assert untrimmed.weights.tolist() == result.weights.tolist() and untrimmed.cap_met
    assert (untrimmed.trimmed, untrimmed.iterations) == (0, 1)
    at_the_cap = _rake("aabb", [1, 9, 1, 1], trim_ratio=1.8)  # 45 is exactly 1.8 x 25: not over the cap
    assert (at_the_cap.trimmed, at_the_cap.iterations, at_the_cap.cap_met) == (0, 1, True)


def test_an_infeasible_cap_trims_once_then_meets_the_margins():
    # mean 12.5, cap 1.5 x 12.5 = 18.75: two a units at the cap give 37.5 < 50, so the capped rake never
    # converges; the plain weights are trimmed once (45 -> 18.75) and raked again without the cap
    result = _rake("aabbbbbb", [1, 9, 1, 1, 1, 1, 1, 1], trim_ratio=1.5)
    expected_a = np.array([5.0, 18.75]) * 50 / 23.75
    np.testing.assert_allclose(result.weights.to_numpy(), [*expected_a, *[50 / 6] * 6])
    assert result.trimmed == 1
    assert result.converged and not result.cap_met
    assert result.max_weight_ratio == pytest.approx(expected_a[1] / 12.5)
    assert result.iterations == 1 + 100 + 1  # plain, capped (max_iter, no convergence), plain again


SAMPLE_2X2 = pd.DataFrame({"kind": list("aabb"), "area": list("nsns")})
MARGINS_2X2 = {"kind": pd.Series({"a": 60.0, "b": 40.0}).rename_axis("kind"),
               "area": pd.Series({"n": 30.0, "s": 70.0}).rename_axis("area")}


def _rake_2x2(**config):
    return rake(SAMPLE_2X2, MARGINS_2X2, base_weights=[1, 2, 3, 4],
                config=RakingConfig(min_cell=1, trim_ratio=None, **config))


def test_convergence_stops_at_the_first_sweep_within_tol():
    errors = [_rake_2x2(max_iter=k).max_margin_error for k in range(1, 5)]
    assert errors == sorted(errors, reverse=True)  # each sweep gets closer
    # measured: 0.0175, 1.5e-4, 1.3e-6, 1.1e-8 -> converged after 4 sweeps at tol 1e-6
    assert [_rake_2x2(max_iter=k).converged for k in range(1, 6)] == [False, False, False, True, True]
    assert _rake_2x2(max_iter=50).iterations == 4
    assert _rake_2x2(max_iter=50, tol=1e-3).iterations == 2
    loose = _rake_2x2(max_iter=50, tol=0.5)
    assert loose.iterations == 1 and loose.converged


def test_converged_weights_meet_both_margins_and_keep_the_seed_odds_ratio():
    w = _rake_2x2().weights.to_numpy()
    assert w[0] + w[1] == pytest.approx(60) and w[2] + w[3] == pytest.approx(40)
    assert w[0] + w[2] == pytest.approx(30) and w[1] + w[3] == pytest.approx(70)
    assert (w[0] * w[3]) / (w[1] * w[2]) == pytest.approx((1 * 4) / (2 * 3), rel=1e-6)


def test_non_convergence_keeps_the_last_weights_and_error():
    result = _rake_2x2(max_iter=1)
    assert not result.converged and result.iterations == 1
    assert result.max_margin_error == pytest.approx(0.0174825, rel=1e-5)
    w = result.weights.to_numpy()
    assert w[0] + w[2] == pytest.approx(30) and w[1] + w[3] == pytest.approx(70)  # the last margin of the sweep


# --- stopping and trimming exactly at the boundaries (dyadic numbers: the float sums are exact) -------


def test_a_margin_error_exactly_at_tol_is_not_converged():
    # seed [1, 3, 3, 1], kind 64/64, area 32/96: one sweep gives [16, 48, 48, 16] then [8, 72, 24, 24],
    # so kind a weighs 80 (error exactly 0.25) and b 48 (-0.25)
    sample = pd.DataFrame({"kind": list("aabb"), "area": list("nsns")})
    margins = {"kind": pd.Series({"a": 64.0, "b": 64.0}).rename_axis("kind"),
               "area": pd.Series({"n": 32.0, "s": 96.0}).rename_axis("area")}

    def run(max_iter):
        return rake(sample, margins, base_weights=[1, 3, 3, 1],
                    config=RakingConfig(min_cell=1, trim_ratio=None, tol=0.25, max_iter=max_iter))

    once = run(1)
    assert once.weights.tolist() == [8.0, 72.0, 24.0, 24.0]
    assert (once.max_margin_error, once.converged) == (0.25, False)  # converged means error < tol
    assert run(5).iterations > 1  # an error of exactly tol asks for another sweep


def test_a_seed_error_exactly_at_tol_still_sweeps_and_a_seed_within_tol_does_not():
    at_tol = _rake("ab", [75, 25], trim_ratio=None, tol=0.5)  # seed errors +0.5 and -0.5
    assert (at_tol.iterations, at_tol.converged) == (1, True)
    assert at_tol.weights.tolist() == [50.0, 50.0]
    met = _rake("aabb", [25, 25, 20, 30], trim_ratio=None)  # the seed already meets the margin
    assert (met.iterations, met.converged, met.max_margin_error) == (0, True, 0.0)
    assert met.weights.tolist() == [25.0, 25.0, 20.0, 30.0]


def test_a_weight_exactly_at_cap_times_one_plus_tol_is_not_trimmed():
    # plain rake: a = [1, 15] x 50/16 = [3.125, 46.875], b = [25, 25]; cap 1.5 x 25 = 37.5 and
    # 37.5 x (1 + 0.25) = 46.875: the largest weight sits exactly on the tolerance
    result = _rake("aabb", [1, 15, 1, 1], trim_ratio=1.5, tol=0.25)
    assert result.weights.tolist() == [3.125, 46.875, 25.0, 25.0]
    assert (result.trimmed, result.iterations) == (0, 1)
    assert result.max_weight_ratio == 1.875 and result.cap_met  # 1.875 = 1.5 x (1 + tol)


def test_trimmed_counts_the_weights_within_tol_of_the_cap():
    # kind a 60 / b 4, cap 2 x 64 / 4 = 32: plain a = [4, 56]; under the cap a = [28, 32] (28 = 32 x (1 - 1/8))
    margins = {"kind": pd.Series({"a": 60.0, "b": 4.0}).rename_axis("kind")}
    result = rake(pd.DataFrame({"kind": list("aabb")}), margins, base_weights=[1, 14, 1, 1],
                  config=RakingConfig(min_cell=1, trim_ratio=2.0, tol=0.125))
    assert result.weights.tolist() == [28.0, 32.0, 2.0, 2.0]
    assert result.converged and result.cap_met
    assert result.trimmed == 2  # 32 at the cap and 28 within tol of it


def test_an_infeasible_cap_counts_only_the_weights_above_it():
    # as in the infeasible case above, with the last b unit's plain weight exactly at the cap (3 x 50/8 = 18.75)
    result = _rake("aabbbbbb", [1, 9, 1, 1, 1, 1, 1, 3], trim_ratio=1.5)
    assert result.trimmed == 1  # 45 was cut to the cap; 18.75 was not over it
    assert result.converged and not result.cap_met


def test_cap_met_is_false_when_the_cap_is_exceeded_by_less_than_twice():
    # cap 1.75 x 12.5 = 21.875 cannot hold a = 50 on two units; the final ratio 21.875 x 50 / 26.875 / 12.5
    # = 3.256 is above 1.75 but below 2 x 1.75
    result = _rake("aabbbbbb", [1, 9, 1, 1, 1, 1, 1, 1], trim_ratio=1.75)
    assert result.max_weight_ratio == pytest.approx(21.875 * 50 / 26.875 / 12.5)
    assert (result.trimmed, result.converged, result.cap_met) == (1, True, False)


def test_trimming_does_not_depend_on_the_population_scale():
    # the first trimming case with a population of 1 instead of 100: every weight is 100 times smaller
    margins = {"kind": pd.Series({"a": 0.5, "b": 0.5}).rename_axis("kind")}
    result = rake(pd.DataFrame({"kind": list("aabb")}), margins, base_weights=[1, 9, 1, 1],
                  config=RakingConfig(min_cell=1, trim_ratio=1.6))
    np.testing.assert_allclose(result.weights.to_numpy(), [0.10, 0.40, 0.25, 0.25])
    assert (result.trimmed, result.converged, result.cap_met, result.population_total) == (1, True, True, 1.0)


def test_raking_under_an_infeasible_cap_raises_no_numpy_warning():
    # a cell whose units are all at the cap has nothing left to scale: no division by zero
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = _rake("aabbbbbb", [1, 9, 1, 1, 1, 1, 1, 1], trim_ratio=1.5)
    assert result.converged
