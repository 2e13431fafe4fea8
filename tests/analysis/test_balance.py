"""Balance diagnostics: an undefined standardised mean difference is NaN, quietly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from channelstudy.analysis.balance import smd

POPULATION = pd.DataFrame({"x": [1.0, 3.0], "kind": ["a", "b"]})


@pytest.mark.parametrize(("sample", "weights"), [
    (pd.DataFrame({"x": [np.nan, np.nan], "kind": ["a", "b"]}), None),  # no complete row
    (pd.DataFrame({"x": [2.0, 4.0], "kind": ["a", "b"]}), [0.0, 0.0]),  # zero total weight
    (pd.DataFrame({"x": [2.0, 4.0], "kind": ["a", "b"]}), [np.nan, np.nan]),  # no weighted row
])
def test_smd_without_weighted_complete_rows_is_nan_without_a_warning(sample, weights) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = smd(sample, POPULATION, ["x", "kind"], weights=weights)
    assert out.isna().all() and list(out.index) == ["x", "kind=a", "kind=b"]


def test_smd_is_the_weighted_mean_gap_in_population_sds() -> None:
    sample = pd.DataFrame({"x": [2.0, 4.0], "kind": ["a", "a"]})
    out = smd(sample, POPULATION, ["x", "kind"], weights=[3.0, 1.0])
    assert out["x"] == pytest.approx((2.5 - 2.0) / 1.0)  # weighted mean 2.5, population mean 2, sd 1
    assert out["kind=a"] == pytest.approx((1.0 - 0.5) / 0.5)
