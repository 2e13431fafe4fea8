"""Compositional data: closure, zero replacement and log-ratio transforms.

A revenue mix is a *composition*: non-negative parts that only carry relative information (the
shares of six revenue streams).  Log-ratio methods (Aitchison 1986) move compositions to real
space, where means, variances and Gaussian models make sense; they need strictly positive parts,
so zeros must be replaced first.

Zero replacement
----------------
:func:`multiplicative_replacement` follows Martín-Fernández, Barceló-Vidal and Pawlowsky-Glahn
(2003, *Math. Geol.* 35(3), 253-278): every zero becomes ``delta`` and the non-zero parts of the
row are shrunk by the common factor ``1 - delta * (number of zeros)``, so the row still sums to 1
and the ratios among non-zero parts (hence their order, and every log-ratio among them) are
unchanged.

The default ``delta`` is ``0.65 * DETECTION_LIMIT`` with ``DETECTION_LIMIT = 0.005``: survey
revenue mixes are answered in whole percents, so a reported 0 % means a true share below half a
percent (it would otherwise round to 1 %), and 65 % of the detection limit is the value that
Martín-Fernández et al. found to distort the covariance structure least.  The same default is
used for the true (continuous) mixes of the simulated world, so that survey and truth are
transformed alike.  Zeros of a revenue mix are mostly *structural* (the firm has no such stream),
not values below a detection limit; for them the replacement is only a device that lets the
logarithm exist, and a model should treat the zero as an event of its own (see
:mod:`channelstudy.analysis.clustering`).

All functions accept a 1-D composition or a 2-D array (rows are compositions), as NumPy arrays or
pandas DataFrames; a DataFrame comes back with its index and columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_DELTA",
    "DETECTION_LIMIT",
    "closure",
    "clr",
    "clr_inverse",
    "ilr",
    "ilr_basis",
    "ilr_inverse",
    "multiplicative_replacement",
]

DETECTION_LIMIT: float = 0.005
"""Share below which a whole-percent answer reads 0 % (half a percent)."""

DEFAULT_DELTA: float = 0.65 * DETECTION_LIMIT
"""Default replacement value of a zero: 65 % of the detection limit (0.00325)."""


def _as_float_array(X: Any, *, name: str = "X") -> np.ndarray:
    """``X`` as a float array of 1 or 2 dimensions with at least two parts, all finite."""
    arr = np.asarray(X, dtype=float)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (one composition) or 2-D (rows), got {arr.ndim} dimensions")
    if arr.shape[-1] < 2:
        raise ValueError(f"{name} must have at least 2 parts, got {arr.shape[-1]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return arr


def _check_composition(X: Any, *, name: str = "X") -> np.ndarray:
    """Validated compositions: finite, non-negative, no row whose parts are all zero."""
    arr = _as_float_array(X, name=name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative; found {int((arr < 0).sum())} negative value(s)")
    rows = np.atleast_2d(arr)
    empty = np.flatnonzero(rows.sum(axis=1) <= 0)
    if empty.size:
        raise ValueError(
            f"{name} has {empty.size} row(s) whose parts are all zero (first at position {empty[0]})"
        )
    return arr


def _wrap(result: np.ndarray, like: Any) -> np.ndarray | pd.DataFrame:
    """Return ``result`` as a DataFrame with the index and columns of ``like`` if it is one."""
    if isinstance(like, pd.DataFrame):
        return pd.DataFrame(result, index=like.index, columns=like.columns)
    return result


def closure(X: Any) -> np.ndarray | pd.DataFrame:
    """Rescale each composition to sum to 1.

    Parameters
    ----------
    X : array-like of shape (n_parts,) or (n_samples, n_parts)
        Non-negative parts, any total (shares, percents, euros); no row may be all zeros.

    Returns
    -------
    ndarray or DataFrame of the same shape
        Rows summing to 1.

    Raises
    ------
    ValueError
        If ``X`` has a negative or non-finite value, a row of zeros, or fewer than 2 parts.

    Examples
    --------
    >>> closure([20, 30, 50])
    array([0.2, 0.3, 0.5])
    """
    arr = _check_composition(X)
    return _wrap(arr / arr.sum(axis=-1, keepdims=True), X)


def multiplicative_replacement(X: Any, delta: float | None = None) -> np.ndarray | pd.DataFrame:
    """Replace zeros by ``delta`` and shrink the non-zero parts so rows still sum to 1.

    Parameters
    ----------
    X : array-like of shape (n_parts,) or (n_samples, n_parts)
        Non-negative compositions (closed first, so any total is accepted).
    delta : float, optional
        Value given to every zero, on the closed (sum 1) scale; default :data:`DEFAULT_DELTA`
        (``0.65 * 0.005``, see the module docstring).  Must satisfy ``0 < delta < 1 / n_parts`` so
        that the shrink factor ``1 - delta * n_zeros`` stays positive.

    Returns
    -------
    ndarray or DataFrame of the same shape
        Strictly positive compositions summing to 1; ratios among the non-zero parts of a row are
        those of the input.

    Raises
    ------
    ValueError
        If ``X`` is not a valid composition or ``delta`` is out of range.

    Examples
    --------
    >>> multiplicative_replacement([0.0, 0.25, 0.75], delta=0.01)
    array([0.01  , 0.2475, 0.7425])
    """
    arr = _check_composition(X)
    n_parts = arr.shape[-1]
    delta = DEFAULT_DELTA if delta is None else float(delta)
    if not 0 < delta < 1 / n_parts:
        raise ValueError(f"delta must be in (0, 1/{n_parts}), got {delta}")
    closed = arr / arr.sum(axis=-1, keepdims=True)
    zero = closed == 0
    shrink = 1.0 - delta * zero.sum(axis=-1, keepdims=True)
    return _wrap(np.where(zero, delta, closed * shrink), X)


def clr(X: Any) -> np.ndarray | pd.DataFrame:
    """Centred log-ratio transform: ``log(x_j) - mean_i log(x_i)`` per row.

    Parameters
    ----------
    X : array-like of shape (n_parts,) or (n_samples, n_parts)
        Strictly positive compositions (any total: the transform is scale invariant).  Replace
        zeros first with :func:`multiplicative_replacement`.

    Returns
    -------
    ndarray or DataFrame of the same shape
        clr coordinates; each row sums to 0.

    Raises
    ------
    ValueError
        If a part is zero or negative, or not finite.

    Examples
    --------
    >>> clr([1.0, 1.0, 1.0])
    array([0., 0., 0.])
    """
    arr = _check_composition(X)
    if np.any(arr == 0):
        raise ValueError(
            "clr needs strictly positive parts; replace zeros first (multiplicative_replacement)"
        )
    logs = np.log(arr)
    return _wrap(logs - logs.mean(axis=-1, keepdims=True), X)


def clr_inverse(Z: Any) -> np.ndarray | pd.DataFrame:
    """Back-transform clr coordinates to compositions summing to 1: ``closure(exp(Z))``.

    Parameters
    ----------
    Z : array-like of shape (n_parts,) or (n_samples, n_parts)
        Real coordinates; rows need not sum to 0 (a constant added to a row is ignored).

    Returns
    -------
    ndarray or DataFrame of the same shape
        Strictly positive compositions summing to 1.

    Raises
    ------
    ValueError
        If ``Z`` is not finite.

    Examples
    --------
    >>> clr_inverse([0.0, 0.0])
    array([0.5, 0.5])
    """
    arr = _as_float_array(Z, name="Z")
    expd = np.exp(arr - arr.max(axis=-1, keepdims=True))
    return _wrap(expd / expd.sum(axis=-1, keepdims=True), Z)


def ilr_basis(n_parts: int) -> np.ndarray:
    """Orthonormal basis of the clr plane (Egozcue et al. 2003, sequential binary partition).

    Parameters
    ----------
    n_parts : int
        Number of parts ``D`` (at least 2).

    Returns
    -------
    ndarray of shape (n_parts - 1, n_parts)
        Rows are orthonormal and sum to 0; coordinate ``i`` contrasts the first ``i + 1`` parts
        with part ``i + 1``.

    Examples
    --------
    >>> ilr_basis(2).round(4)
    array([[ 0.7071, -0.7071]])
    """
    if int(n_parts) != n_parts or n_parts < 2:
        raise ValueError(f"n_parts must be an integer >= 2, got {n_parts}")
    n_parts = int(n_parts)
    basis = np.zeros((n_parts - 1, n_parts))
    for i in range(1, n_parts):
        basis[i - 1, :i] = 1.0 / i
        basis[i - 1, i] = -1.0
        basis[i - 1] *= np.sqrt(i / (i + 1.0))
    return basis


def ilr(X: Any) -> np.ndarray:
    """Isometric log-ratio coordinates: ``clr(X) @ ilr_basis(D).T``.

    Parameters
    ----------
    X : array-like of shape (n_parts,) or (n_samples, n_parts)
        Strictly positive compositions.

    Returns
    -------
    ndarray of shape (n_parts - 1,) or (n_samples, n_parts - 1)
        Coordinates in which Euclidean distance is the Aitchison distance.

    Examples
    --------
    >>> ilr([1.0, 1.0, 1.0])
    array([0., 0.])
    """
    coords = np.asarray(clr(X), dtype=float)
    return coords @ ilr_basis(coords.shape[-1]).T


def ilr_inverse(Y: Any) -> np.ndarray:
    """Back-transform ilr coordinates (of :func:`ilr`) to compositions summing to 1.

    Parameters
    ----------
    Y : array-like of shape (n_parts - 1,) or (n_samples, n_parts - 1)
        Real coordinates.

    Returns
    -------
    ndarray of shape (n_parts,) or (n_samples, n_parts)

    Examples
    --------
    >>> ilr_inverse([0.0, 0.0])
    array([0.33333333, 0.33333333, 0.33333333])
    """
    arr = np.asarray(Y, dtype=float)
    if arr.ndim not in (1, 2) or arr.shape[-1] < 1:
        raise ValueError("Y must be 1-D or 2-D with at least one coordinate")
    return np.asarray(clr_inverse(arr @ ilr_basis(arr.shape[-1] + 1)))
