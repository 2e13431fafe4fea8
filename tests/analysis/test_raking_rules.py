"""Raking's convergence and trimming rules on cases small enough to work out by hand."""

from __future__ import annotations

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
