"""Tests of channelstudy.analysis.compositional: closure, zero replacement, clr and ilr."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from channelstudy.analysis.compositional import (
    DEFAULT_DELTA,
    DETECTION_LIMIT,
    closure,
    clr,
    clr_inverse,
    ilr,
    ilr_basis,
    ilr_inverse,
    multiplicative_replacement,
)

# ---- strategies ------------------------------------------------------------------------------

shapes = st.tuples(st.integers(1, 12), st.integers(2, 8))
positive = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def positive_compositions(draw: st.DrawFn) -> np.ndarray:
    return draw(arrays(float, draw(shapes), elements=positive))


@st.composite
def compositions_with_zeros(draw: st.DrawFn) -> np.ndarray:
    """Non-negative rows with some zeros; one part of each row is forced positive."""
    values = draw(arrays(float, draw(shapes), elements=st.one_of(st.just(0.0), positive)))
    keep = draw(arrays(int, values.shape[0], elements=st.integers(0, values.shape[1] - 1)))
    rows = np.arange(values.shape[0])
    values[rows, keep] = np.where(values[rows, keep] > 0, values[rows, keep], 1.0)
    return values


# ---- closure ---------------------------------------------------------------------------------


def test_closure_rescales_rows_to_one() -> None:
    np.testing.assert_allclose(closure([[20, 30, 50], [1, 1, 2]]), [[0.2, 0.3, 0.5], [0.25, 0.25, 0.5]])


def test_closure_keeps_a_dataframe_index_and_columns() -> None:
    frame = pd.DataFrame({"a": [1.0, 3.0], "b": [3.0, 1.0]}, index=["x", "y"])
    out = closure(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == ["x", "y"] and list(out.columns) == ["a", "b"]
    np.testing.assert_allclose(out.to_numpy(), [[0.25, 0.75], [0.75, 0.25]])


def test_one_dimensional_input_gives_one_dimensional_output() -> None:
    assert closure([1.0, 3.0]).shape == (2,)
    assert clr([1.0, 2.0, 4.0]).shape == (3,)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([[0.5, -0.1, 0.6]], "non-negative"),
        ([[0.5, np.nan, 0.5]], "finite"),
        ([[0.5, np.inf, 0.5]], "finite"),
        ([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]], "all zero"),
        ([[1.0], [2.0]], "at least 2 parts"),
        (np.ones((2, 2, 2)), "dimensions"),
    ],
)
@pytest.mark.parametrize("function", [closure, multiplicative_replacement, clr])
def test_invalid_compositions_are_rejected(function, bad, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        function(bad)


# ---- zero replacement ------------------------------------------------------------------------


def test_default_delta_is_65_percent_of_half_a_percent() -> None:
    assert DETECTION_LIMIT == 0.005
    assert np.isclose(DEFAULT_DELTA, 0.00325, rtol=0, atol=1e-15)
    out = multiplicative_replacement([0.0, 0.4, 0.6])
    np.testing.assert_allclose(out, [0.00325, 0.4 * (1 - 0.00325), 0.6 * (1 - 0.00325)])


def test_replacement_worked_example() -> None:
    np.testing.assert_allclose(
        multiplicative_replacement([[0, 25, 75], [0, 0, 100]], delta=0.01),
        [[0.01, 0.2475, 0.7425], [0.01, 0.01, 0.98]],
    )


def test_replacement_without_zeros_is_closure() -> None:
    x = np.array([[2.0, 3.0, 5.0]])
    np.testing.assert_allclose(multiplicative_replacement(x), closure(x))


@pytest.mark.parametrize("delta", [0.0, -0.01, 1 / 3, 0.5])
def test_replacement_rejects_delta_out_of_range(delta: float) -> None:
    with pytest.raises(ValueError, match="delta"):
        multiplicative_replacement([[0.0, 0.5, 0.5]], delta=delta)


@given(compositions_with_zeros(), st.floats(1e-5, 0.01))
def test_replacement_keeps_row_sums_and_the_order_and_ratios_of_non_zero_parts(
    x: np.ndarray, delta: float
) -> None:
    out = multiplicative_replacement(x, delta=delta)
    assert np.all(out > 0)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    zero = x == 0
    np.testing.assert_array_equal(out[zero], delta)
    closed = x / x.sum(axis=1, keepdims=True)
    for row_in, row_out, z in zip(closed, out, zero, strict=True):
        kept_in, kept_out = row_in[~z], row_out[~z]
        np.testing.assert_array_equal(np.argsort(kept_in, kind="stable"), np.argsort(kept_out, kind="stable"))
        np.testing.assert_allclose(kept_out / kept_out.sum(), kept_in / kept_in.sum(), rtol=1e-12)


# ---- clr and ilr -----------------------------------------------------------------------------


def test_clr_rejects_zeros_with_a_hint() -> None:
    with pytest.raises(ValueError, match="multiplicative_replacement"):
        clr([[0.0, 0.5, 0.5]])


def test_clr_worked_example() -> None:
    logs = np.log([1.0, 2.0, 4.0])
    np.testing.assert_allclose(clr([1.0, 2.0, 4.0]), logs - logs.mean())


@given(positive_compositions())
def test_clr_rows_sum_to_zero(x: np.ndarray) -> None:
    np.testing.assert_allclose(clr(x).sum(axis=1), 0.0, atol=1e-9)


@given(positive_compositions(), st.floats(1e-3, 1e3))
def test_clr_is_scale_invariant(x: np.ndarray, scale: float) -> None:
    np.testing.assert_allclose(clr(x * scale), clr(x), atol=1e-9)


@given(positive_compositions())
def test_clr_inverse_of_clr_is_the_closure(x: np.ndarray) -> None:
    np.testing.assert_allclose(clr_inverse(clr(x)), closure(x), rtol=1e-9, atol=1e-15)


def test_clr_inverse_rejects_non_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        clr_inverse([[0.0, np.nan]])


@pytest.mark.parametrize("n_parts", [2, 3, 6, 9])
def test_ilr_basis_is_orthonormal_and_centred(n_parts: int) -> None:
    basis = ilr_basis(n_parts)
    assert basis.shape == (n_parts - 1, n_parts)
    np.testing.assert_allclose(basis @ basis.T, np.eye(n_parts - 1), atol=1e-12)
    np.testing.assert_allclose(basis.sum(axis=1), 0.0, atol=1e-12)


@given(positive_compositions())
def test_ilr_inverse_of_ilr_is_the_closure(x: np.ndarray) -> None:
    np.testing.assert_allclose(ilr_inverse(ilr(x)), closure(x), rtol=1e-9, atol=1e-15)


@given(positive_compositions())
def test_ilr_is_an_isometry_of_clr(x: np.ndarray) -> None:
    y = x[::-1]
    np.testing.assert_allclose(
        np.linalg.norm(ilr(x) - ilr(y), axis=1), np.linalg.norm(clr(x) - clr(y), axis=1), atol=1e-8
    )
