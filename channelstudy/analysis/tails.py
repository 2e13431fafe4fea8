"""The shape of the firm-size tail (H1): power law vs truncated lognormal.

:func:`compare_tails` fits a continuous power law above ``xmin`` (``xmin`` chosen by minimising
the Kolmogorov-Smirnov distance) and a lognormal truncated at the same ``xmin``, and compares
them with Vuong's likelihood-ratio test, following Clauset, Shalizi & Newman (2009),
"Power-law distributions in empirical data", *SIAM Review* 51(4), 661-703.  The building blocks
are public: :func:`fit_power_law`, :func:`fit_truncated_lognormal`, :func:`vuong_test`.

Inputs are checked as in :mod:`channelstudy.analysis.concentration`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special

from channelstudy.analysis.concentration import clean_values

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_KS_CHUNK_CELLS = 2_000_000
"""Cells (candidates x tail points) of float64 work arrays per chunk of the ``xmin`` scan (16 MB)."""

Preferred = Literal["power_law", "lognormal", "inconclusive"]


# --------------------------------------------------------------------------------------------
# Size-distribution tail: power law vs truncated lognormal (Clauset, Shalizi & Newman 2009)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerLawFit:
    """Continuous power law ``p(x) = (alpha - 1)/xmin * (x/xmin)**-alpha`` for ``x >= xmin``.

    Attributes
    ----------
    xmin
        Lower bound of the power-law tail.
    n_tail
        Observations ``>= xmin``.
    alpha
        Maximum-likelihood exponent ``1 + n_tail / sum(log(x / xmin))``.
    alpha_se
        Its asymptotic standard error ``(alpha - 1) / sqrt(n_tail)``.
    ks_distance
        Kolmogorov-Smirnov distance between the tail's empirical CDF and the fitted one.
    """

    xmin: float
    n_tail: int
    alpha: float
    alpha_se: float
    ks_distance: float

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """Log density at ``x`` (meaningful for ``x >= xmin``)."""
        x = np.asarray(x, dtype=float)
        return math.log(self.alpha - 1.0) - math.log(self.xmin) - self.alpha * np.log(x / self.xmin)


@dataclass(frozen=True)
class LognormalFit:
    """Lognormal with parameters ``mu``, ``sigma`` (of ``log x``), truncated to ``x >= xmin``.

    Attributes
    ----------
    xmin
        Truncation point.
    n_tail
        Observations ``>= xmin`` the fit used.
    mu, sigma
        Maximum-likelihood location and scale of ``log x`` under truncation. With a heavy tail
        ``mu`` can be far below ``log(xmin)`` (the truncated lognormal then mimics a power law).
    """

    xmin: float
    n_tail: int
    mu: float
    sigma: float

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """Log density of the truncated distribution at ``x`` (meaningful for ``x >= xmin``)."""
        log_x = np.log(np.asarray(x, dtype=float))
        return _truncated_lognormal_log_pdf(log_x, math.log(self.xmin), self.mu, self.sigma)


@dataclass(frozen=True)
class VuongResult:
    """Vuong's test of two non-nested models fitted to the same observations.

    Attributes
    ----------
    loglik_ratio
        ``R = sum_i (log p_a(x_i) - log p_b(x_i))``; positive favours model ``a``.
    normalized_ratio
        ``R / (sqrt(n) * sd)``, ``sd`` the standard deviation of the pointwise differences;
        asymptotically standard normal when both models are equally close to the truth.
    p_value
        Two-sided p-value ``erfc(|normalized_ratio| / sqrt(2))``: small means the sign of ``R`` is
        trustworthy.
    """

    loglik_ratio: float
    normalized_ratio: float
    p_value: float


@dataclass(frozen=True)
class TailComparison:
    """Power law vs truncated lognormal above a common ``xmin`` (see :func:`compare_tails`).

    Attributes
    ----------
    xmin, n_tail
        Tail start and the number of observations ``>= xmin``.
    alpha, alpha_se
        Power-law exponent (MLE) and its standard error.
    lognormal_mu, lognormal_sigma
        Truncated-lognormal MLE parameters (of ``log x``).
    loglik_ratio, normalized_ratio, p_value
        Vuong's test, power law minus lognormal: ``loglik_ratio > 0`` favours the power law.
    preferred
        ``"power_law"`` or ``"lognormal"`` (the sign of ``loglik_ratio``) when ``p_value`` is below
        the significance level, else ``"inconclusive"``.
    ks_distance
        KS distance of the power-law fit (the quantity minimised to choose ``xmin``).
    """

    xmin: float
    n_tail: int
    alpha: float
    alpha_se: float
    lognormal_mu: float
    lognormal_sigma: float
    loglik_ratio: float
    normalized_ratio: float
    p_value: float
    preferred: Preferred
    ks_distance: float

    def to_series(self) -> pd.Series:
        """The fields as a :class:`pandas.Series` (handy for tables of several comparisons)."""
        return pd.Series(asdict(self), dtype=object)


def _positive_sorted(x: ArrayLike, *, dropna: bool) -> np.ndarray:
    array = np.sort(clean_values(x, dropna=dropna, what="x"))
    positive = array[array > 0]
    if positive.size < 2:
        raise ValueError("x needs at least two positive values")
    return positive


def _ks_distances(log_x: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Power-law ``alpha`` and KS distance for tails starting at each index of ``candidates``.

    ``log_x`` is sorted ascending and ``candidates`` are indices of first occurrences (so the tail
    ``log_x[i:]`` holds exactly the values ``>= x[i]``). The two-sided KS distance of tail ``i``
    with ``m`` points is ``max_k max((k + 1)/m - F(z_k), F(z_k) - k/m)`` over its sorted points
    ``z_k``, i.e. ``0.5/m + max_k |F(z_k) - (k + 0.5)/m|`` - correct with ties, too. Work is done
    in chunks of candidates so memory stays bounded.
    """
    n = log_x.size
    suffix_sum = np.concatenate([np.cumsum(log_x[::-1])[::-1], [0.0]])
    m = (n - candidates).astype(float)
    log_xmin = log_x[candidates]
    with np.errstate(divide="ignore"):
        alpha = 1.0 + m / (suffix_sum[candidates] - m * log_xmin)
    distance = np.full(candidates.size, np.inf)
    start = 0
    while start < candidates.size:
        first = candidates[start]
        width = n - first
        rows = max(1, min(candidates.size - start, _KS_CHUNK_CELLS // width))
        block = slice(start, start + rows)
        index = candidates[block][:, None]
        tail_size = m[block][:, None]
        position = np.arange(first, n)[None, :] - index  # k, negative outside the tail
        cdf = -np.expm1(-(alpha[block][:, None] - 1.0) * (log_x[None, first:] - log_xmin[block][:, None]))
        deviation = np.abs(cdf - (position + 0.5) / tail_size)
        deviation[position < 0] = 0.0
        distance[block] = deviation.max(axis=1) + 0.5 / m[block]
        start += rows
    distance[~np.isfinite(alpha)] = np.inf  # tails of one repeated value
    return alpha, distance


def _candidate_indices(x: np.ndarray, xmin_quantile: float, min_tail: int) -> np.ndarray:
    """Indices of first occurrences of unique values up to the quantile, leaving ``min_tail`` points."""
    _, first = np.unique(x, return_index=True)
    limit = np.quantile(x, xmin_quantile)
    keep = (x[first] <= limit) & (x.size - first >= min_tail)
    return first[keep]


def fit_power_law(
    x: ArrayLike,
    xmin: float | None = None,
    *,
    xmin_quantile: float = 0.9,
    min_tail: int = 50,
    max_candidates: int | None = 2000,
    dropna: bool = True,
) -> PowerLawFit:
    """Fit a continuous power law to the tail ``x >= xmin`` by maximum likelihood.

    ``alpha = 1 + n / sum(log(x / xmin))`` (Clauset et al. 2009, eq. 3.1), standard error
    ``(alpha - 1)/sqrt(n)``. When ``xmin`` is None it is chosen, as in Clauset et al. (section 3.3),
    as the candidate minimising the KS distance between the empirical and fitted tail CDFs. The
    candidates are the distinct values of ``x`` up to its ``xmin_quantile`` quantile that leave at
    least ``min_tail`` observations in the tail. All candidates are scanned in one vectorised
    pass when there are at most ``max_candidates`` of them (always for integer data such as head
    counts); otherwise an evenly spaced (by rank) grid of ``max_candidates`` is scanned first and
    every candidate between the grid neighbours of the best one is then scanned exhaustively.
    ``max_candidates=None`` forces the exhaustive scan (quadratic in the sample size).

    ``alpha`` is the exponent of the *density*; the survival function falls as ``x**(1 - alpha)``,
    so a Pareto distribution of shape ``b`` (``P(X > x) = (x/xmin)**-b``, e.g. the simulator's
    size tail with ``b = 1.2``) has ``alpha = b + 1``.

    Integer data (employees >= 1) are treated as continuous, as is common practice for firm sizes;
    a discrete power-law fit is out of scope.

    Parameters
    ----------
    x
        Non-negative observations; zeros are ignored (they lie below any ``xmin``).
    xmin
        Fixed tail start (> 0); None to choose it by KS minimisation.
    xmin_quantile
        Highest quantile of ``x`` considered as ``xmin``.
    min_tail
        Fewest observations a candidate tail must keep.
    max_candidates
        Candidate count above which the grid-and-refine scan is used.
    dropna
        Drop missing values; if False, missing values raise.

    Returns
    -------
    PowerLawFit

    Raises
    ------
    ValueError
        On invalid input, a non-positive ``xmin``, fewer than two tail observations, or a tail made
        of a single repeated value.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> draws = (1 - rng.random(5_000)) ** (-1 / 1.5)  # Pareto, alpha = 2.5, xmin = 1
    >>> fit = fit_power_law(draws)
    >>> bool(abs(fit.alpha - 2.5) < 0.15)
    True
    """
    if not 0 < xmin_quantile <= 1:
        raise ValueError(f"xmin_quantile must be in (0, 1], got {xmin_quantile}")
    data = _positive_sorted(x, dropna=dropna)
    log_x = np.log(data)
    if xmin is not None:
        if not xmin > 0:
            raise ValueError(f"xmin must be positive, got {xmin}")
        first = int(np.searchsorted(data, xmin, side="left"))
        if data.size - first < 2:
            raise ValueError(f"fewer than two observations >= xmin={xmin}")
        tail = log_x[first:]
        n_tail = tail.size
        log_sum = float(np.sum(tail - math.log(xmin)))
        if log_sum <= 0:
            raise ValueError("all tail observations equal xmin: alpha is undefined")
        alpha = 1.0 + n_tail / log_sum
        distance = _ks_fixed_xmin(tail, math.log(xmin), alpha)
        return PowerLawFit(float(xmin), n_tail, alpha, (alpha - 1.0) / math.sqrt(n_tail), distance)
    candidates = _candidate_indices(data, xmin_quantile, max(min_tail, 2))
    if candidates.size == 0:
        raise ValueError(
            f"no xmin candidate leaves {min_tail} observations below the {xmin_quantile} quantile; "
            "lower min_tail or raise xmin_quantile"
        )
    best = _best_candidate(log_x, candidates, max_candidates)
    return fit_power_law(data, float(data[best]), dropna=False)


def _best_candidate(log_x: np.ndarray, candidates: np.ndarray, max_candidates: int | None) -> int:
    """Index (into the sorted data) of the KS-minimising candidate, exhaustive or grid-and-refine."""
    if max_candidates is None or candidates.size <= max_candidates:
        _, distance = _ks_distances(log_x, candidates)
        return int(candidates[np.argmin(distance)])
    grid_positions = np.unique(np.linspace(0, candidates.size - 1, max_candidates).round().astype(int))
    _, grid_distance = _ks_distances(log_x, candidates[grid_positions])
    best_grid = int(np.argmin(grid_distance))
    low = grid_positions[max(best_grid - 1, 0)]
    high = grid_positions[min(best_grid + 1, grid_positions.size - 1)]
    local = candidates[low : high + 1]
    _, local_distance = _ks_distances(log_x, local)
    return int(local[np.argmin(local_distance)])


def _ks_fixed_xmin(log_tail: np.ndarray, log_xmin: float, alpha: float) -> float:
    m = log_tail.size
    cdf = -np.expm1(-(alpha - 1.0) * (log_tail - log_xmin))
    return float(np.max(np.abs(cdf - (np.arange(m) + 0.5) / m)) + 0.5 / m)


def _truncated_lognormal_log_pdf(log_x: np.ndarray, log_xmin: float, mu: float, sigma: float) -> np.ndarray:
    z = (log_x - mu) / sigma
    log_survival = special.log_ndtr((mu - log_xmin) / sigma)  # log P(X >= xmin)
    return -log_x - math.log(sigma) - _LOG_SQRT_2PI - 0.5 * z**2 - log_survival


def fit_truncated_lognormal(x: ArrayLike, xmin: float, *, dropna: bool = True) -> LognormalFit:
    """Maximum-likelihood lognormal for the observations ``x >= xmin``, truncated at ``xmin``.

    The density is ``phi((log x - mu)/sigma) / (x sigma P)`` with
    ``P = 1 - Phi((log xmin - mu)/sigma)``. The negative log-likelihood, which depends on the tail
    only through the mean and variance of ``log x``, is minimised over ``(mu, log sigma)`` with
    L-BFGS-B and its analytic gradient, starting from the untruncated moment estimates. ``mu`` is
    bounded to ``log xmin -/+ 50`` standard deviations of ``log x`` and ``sigma`` to
    ``[1e-3, 50]`` of that standard deviation, so that a power-law-like tail (``mu -> -inf``) ends
    at a finite fit rather than diverging.

    Parameters
    ----------
    x
        Non-negative observations.
    xmin
        Truncation point (> 0).
    dropna
        Drop missing values; if False, missing values raise.

    Returns
    -------
    LognormalFit

    Raises
    ------
    ValueError
        On invalid input, a non-positive ``xmin`` or fewer than two distinct tail values.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> draws = rng.lognormal(mean=1.0, sigma=1.0, size=50_000)
    >>> fit = fit_truncated_lognormal(draws, xmin=np.exp(1.0))
    >>> bool(abs(fit.mu - 1.0) < 0.1 and abs(fit.sigma - 1.0) < 0.1)
    True
    """
    if not xmin > 0:
        raise ValueError(f"xmin must be positive, got {xmin}")
    data = _positive_sorted(x, dropna=dropna)
    log_tail = np.log(data[data >= xmin])
    n = log_tail.size
    if n < 2 or np.ptp(log_tail) == 0:
        raise ValueError(f"need at least two distinct observations >= xmin={xmin}")
    log_xmin = math.log(xmin)
    mean, var = float(log_tail.mean()), float(log_tail.var())
    sd = math.sqrt(var)

    def negative_loglik(params: np.ndarray) -> tuple[float, np.ndarray]:
        mu, log_sigma = float(params[0]), float(params[1])
        sigma = math.exp(log_sigma)
        sum_z = n * (mean - mu) / sigma
        sum_z2 = n * (var + (mean - mu) ** 2) / sigma**2
        upper = (mu - log_xmin) / sigma  # = -z0; log P = log Phi(upper)
        log_p = float(special.log_ndtr(upper))
        mills = math.exp(-0.5 * upper**2 - _LOG_SQRT_2PI - log_p)  # phi(upper) / Phi(upper)
        loglik = -n * (mean + log_sigma + _LOG_SQRT_2PI) - 0.5 * sum_z2 - n * log_p
        d_mu = (sum_z - n * mills) / sigma
        d_log_sigma = sum_z2 - n + n * mills * upper
        return -loglik, -np.array([d_mu, d_log_sigma])

    bounds = [(log_xmin - 50.0 * sd, log_xmin + 50.0 * sd), (math.log(1e-3 * sd), math.log(50.0 * sd))]
    result = optimize.minimize(
        negative_loglik, np.array([mean, math.log(sd)]), jac=True, method="L-BFGS-B", bounds=bounds
    )
    return LognormalFit(float(xmin), n, float(result.x[0]), float(math.exp(result.x[1])))


def vuong_test(log_pdf_a: ArrayLike, log_pdf_b: ArrayLike) -> VuongResult:
    """Vuong's normalised log-likelihood-ratio test of two non-nested models.

    Parameters
    ----------
    log_pdf_a, log_pdf_b
        Pointwise log densities of the same observations under the two fitted models.

    Returns
    -------
    VuongResult
        ``loglik_ratio`` (positive favours ``a``), ``normalized_ratio`` and the two-sided p-value.
        When the pointwise differences have zero variance the ratio is 0 and the p-value 1.

    Raises
    ------
    ValueError
        If the inputs differ in length or hold fewer than two observations.

    Examples
    --------
    >>> result = vuong_test([-1.0, -1.2, -0.9, -1.1], [-1.5, -1.4, -1.6, -1.2])
    >>> result.loglik_ratio > 0, round(result.p_value, 4)
    (True, 0.0017)
    """
    a = np.asarray(log_pdf_a, dtype=float)
    b = np.asarray(log_pdf_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError("vuong_test needs two 1-d arrays of the same length >= 2")
    difference = a - b
    ratio = float(difference.sum())
    spread = float(difference.std())
    if spread == 0 or not math.isfinite(spread):
        return VuongResult(ratio, 0.0, 1.0)
    normalized = ratio / (math.sqrt(a.size) * spread)
    return VuongResult(ratio, normalized, float(special.erfc(abs(normalized) / math.sqrt(2.0))))


def compare_tails(
    x: ArrayLike,
    xmin: float | None = None,
    *,
    significance: float = 0.1,
    xmin_quantile: float = 0.9,
    min_tail: int = 50,
    max_candidates: int | None = 2000,
    dropna: bool = True,
) -> TailComparison:
    """Is the upper tail of a size distribution a power law or a lognormal?

    Follows Clauset, Shalizi & Newman (2009): fit a continuous power law above ``xmin`` (chosen by
    KS minimisation when not given, see :func:`fit_power_law`), fit a lognormal truncated at the
    same ``xmin`` (:func:`fit_truncated_lognormal`), and compare the two on the tail observations
    with Vuong's test (:func:`vuong_test`, power law minus lognormal). The preferred model is the
    one the sign of the log-likelihood ratio favours when its p-value is below ``significance``
    (0.1, as in the paper); otherwise the data cannot tell them apart ("inconclusive"). Firm-size
    distributions very often end up inconclusive or lognormal; a power-law fit alone is no evidence
    of a power law.

    Head counts (integers >= 1) are treated as continuous, common practice for firm sizes; a
    discrete power-law fit is out of scope. The goodness-of-fit bootstrap of the paper (section 4)
    is not run.

    Parameters
    ----------
    x
        Non-negative sizes (employees, revenue); zeros are ignored.
    xmin
        Fixed tail start (> 0); None to choose it.
    significance
        p-value below which the sign of the likelihood ratio decides.
    xmin_quantile, min_tail, max_candidates
        Control the ``xmin`` search (see :func:`fit_power_law`).
    dropna
        Drop missing values; if False, missing values raise.

    Returns
    -------
    TailComparison

    Raises
    ------
    ValueError
        On invalid input (see :func:`fit_power_law`).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> pareto = (1 - rng.random(5_000)) ** (-1 / 1.5)  # alpha = 2.5
    >>> result = compare_tails(pareto)
    >>> round(result.alpha, 1), result.preferred != "lognormal"
    (2.5, True)
    """
    power_law = fit_power_law(
        x, xmin, xmin_quantile=xmin_quantile, min_tail=min_tail, max_candidates=max_candidates, dropna=dropna
    )
    lognormal = fit_truncated_lognormal(x, power_law.xmin, dropna=dropna)
    data = _positive_sorted(x, dropna=dropna)
    tail = data[data >= power_law.xmin]
    vuong = vuong_test(power_law.log_pdf(tail), lognormal.log_pdf(tail))
    preferred: Preferred = "inconclusive"
    if vuong.p_value < significance:
        preferred = "power_law" if vuong.loglik_ratio > 0 else "lognormal"
    return TailComparison(
        xmin=power_law.xmin,
        n_tail=power_law.n_tail,
        alpha=power_law.alpha,
        alpha_se=power_law.alpha_se,
        lognormal_mu=lognormal.mu,
        lognormal_sigma=lognormal.sigma,
        loglik_ratio=vuong.loglik_ratio,
        normalized_ratio=vuong.normalized_ratio,
        p_value=vuong.p_value,
        preferred=preferred,
        ks_distance=power_law.ks_distance,
    )
