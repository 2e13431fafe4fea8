"""A zero-inflated Gaussian mixture for revenue mixes with structural zeros (scikit-learn style).

Within a component, stream ``j`` is absent with probability ``p_kj`` (Bernoulli) and, when
present, its log-share is Gaussian; see :mod:`channelstudy.analysis.clustering` for why.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.cluster import kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

ABSENCE_PSEUDOCOUNT: float = 0.5
"""Pseudo-count added to absences and presences when estimating absence probabilities."""

LLOYD_ITERATIONS: int = 20
"""k-means (Lloyd) steps after k-means++ seeding that give the EM its starting partition."""


# --------------------------------------------------------------------------------------------
# zero-inflated Gaussian mixture
# --------------------------------------------------------------------------------------------


def logsumexp(a: np.ndarray, axis: int = 1, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(a)))`` along ``axis``, computed stably (faster than SciPy's for 2-D input)."""
    top = a.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    out = top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre (Euclidean) of each point."""
    distances = (points**2).sum(axis=1)[:, None] - 2 * points @ centres.T + (centres**2).sum(axis=1)
    return distances.argmin(axis=1)


class ZeroInflatedGaussianMixture(BaseEstimator):
    """Mixture of independent hurdle-Gaussian features: each value is absent or Gaussian.

    Within component ``k`` feature ``j`` is absent (NaN) with probability ``absence_prob_[k, j]``
    and otherwise Gaussian with mean ``means_[k, j]`` and variance ``variances_[k, j]``; features
    are independent given the component.  Fitted by EM from k-means starts (k-means++ seeds, then
    Lloyd steps); like any EM it finds local optima, so ``n_init`` matters.  Used by
    :class:`BusinessModelClustering` on log revenue shares (absent = structural zero).

    Parameters
    ----------
    n_components : int, default=1
        Number of components.
    inflated : array-like of bool of shape (n_features,), optional
        Features that may be absent; default all.  A feature not inflated must never be NaN and
        has no absence probability (and no parameter for it).
    feature_weights : array-like of shape (n_features,), optional
        Exponent on each feature's likelihood (tempered likelihood); default 1 for all.
    n_init : int, default=1
        EM runs from different k-means starts; the one with the highest likelihood is kept.
    max_iter : int, default=300
        EM iterations per run.
    tol : float, default=1e-3
        Convergence threshold on the change of the mean log-likelihood per sample.
    reg_covar : float, default=1e-3
        Variance floor added to every variance.
    random_state : int, RandomState or None, default=None
        Seeds the k-means starts.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    variances_ : ndarray of shape (n_components, n_features)
    absence_prob_ : ndarray of shape (n_components, n_features)
        Zero for features not inflated.
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood per sample of the best run.
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2))]
    >>> X[rng.random(X.shape) < 0.2] = np.nan
    >>> zi = ZeroInflatedGaussianMixture(2, random_state=0).fit(X)
    >>> [round(float(m)) for m in np.sort(zi.means_[:, 0])]
    [0, 6]
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        inflated: Sequence[bool] | None = None,
        feature_weights: Sequence[float] | None = None,
        n_init: int = 1,
        max_iter: int = 300,
        tol: float = 1e-3,
        reg_covar: float = 1e-3,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_components = n_components
        self.inflated = inflated
        self.feature_weights = feature_weights
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.reg_covar = reg_covar
        self.random_state = random_state

    # ---- input -------------------------------------------------------------------------------
    def _features(self, X: Any, *, fitting: bool) -> np.ndarray:
        """Sufficient statistics of each sample, shape (n, 5 * n_features).

        Blocks: presence indicator, squared value, value (0 where absent), absence indicator of
        inflated features, presence indicator of inflated features.  The log joint density of all
        components is one product of this matrix with :meth:`_coefficients`.
        """
        arr = np.asarray(X, dtype=float)
        if arr.ndim != 2:
            raise ValueError(f"X must be 2-D, got {arr.ndim} dimensions")
        if fitting:
            self.n_features_in_ = arr.shape[1]
        elif arr.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {arr.shape[1]} features, the mixture was fitted with {self.n_features_in_}"
            )
        if np.any(np.isinf(arr)):
            raise ValueError("X must not contain infinity (absent values are NaN)")
        present = ~np.isnan(arr)
        inflated = self._inflated_mask(arr.shape[1])
        if np.any(~present[:, ~inflated]):
            raise ValueError("a feature that is not inflated has absent (NaN) values")
        values = np.where(present, arr, 0.0)
        return np.hstack([present, values**2, values, ~present & inflated, present & inflated]).astype(float)

    def _inflated_mask(self, n_features: int) -> np.ndarray:
        if self.inflated is None:
            return np.ones(n_features, dtype=bool)
        mask = np.asarray(self.inflated, dtype=bool)
        if mask.shape != (n_features,):
            raise ValueError(f"inflated must have {n_features} entries, got {mask.shape}")
        return mask

    def _weights_vector(self, n_features: int) -> np.ndarray:
        if self.feature_weights is None:
            return np.ones(n_features)
        w = np.asarray(self.feature_weights, dtype=float)
        if w.shape != (n_features,) or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError(f"feature_weights must be {n_features} finite non-negative numbers")
        return w

    # ---- EM ----------------------------------------------------------------------------------
    def _coefficients(self) -> np.ndarray:
        """Coefficients of :meth:`_features` in the weighted log density, shape (5 * p, k)."""
        w = self._weights_vector(self.means_.shape[1])
        inv = 1.0 / self.variances_
        blocks = [
            -0.5 * w * (np.log(2 * np.pi * self.variances_) + self.means_**2 * inv),
            -0.5 * w * inv,
            w * self.means_ * inv,
            w * np.log(np.clip(self.absence_prob_, 1e-300, 1.0)),
            w * np.log(np.clip(1.0 - self.absence_prob_, 1e-300, 1.0)),
        ]
        return np.hstack(blocks).T

    def _log_prob(self, features: np.ndarray) -> np.ndarray:
        """Weighted log joint density of each sample and component, shape (n, k)."""
        return features @ self._coefficients() + np.log(np.maximum(self.weights_, 1e-300))

    def _m_step(self, resp: np.ndarray, features: np.ndarray) -> None:
        p = features.shape[1] // 5
        nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
        self.weights_ = nk / nk.sum()
        sums = resp.T @ features
        n_present, sum_sq, total, n_absent = (sums[:, i * p : (i + 1) * p] for i in range(4))
        safe = np.maximum(n_present, 1e-12)
        means = total / safe
        variances = np.maximum(sum_sq / safe - means**2, 0.0)
        empty = n_present < 1e-8
        if np.any(empty):
            col = features.sum(axis=0)
            col_mean = col[2 * p : 3 * p] / np.maximum(col[:p], 1)
            col_var = col[p : 2 * p] / np.maximum(col[:p], 1) - col_mean**2
            means = np.where(empty, col_mean, means)
            variances = np.where(empty, np.maximum(col_var, 0.0), variances)
        self.means_ = means
        self.variances_ = variances + self.reg_covar
        a = ABSENCE_PSEUDOCOUNT
        prob = (n_absent + a) / (nk[:, None] + 2 * a)
        self.absence_prob_ = np.where(self._inflated_mask(p), prob, 0.0)

    def _init_resp(self, features: np.ndarray, seed: int) -> np.ndarray:
        """One-hot responsibilities from k-means (k-means++ seeds, then :data:`LLOYD_ITERATIONS`
        Lloyd steps) on the standardised values, absent values at their column mean, each column
        scaled by its feature weight.

        Presence indicators are left out: standardised 0/1 columns would dominate k-means, whose
        starts would then split zero patterns rather than levels.
        """
        n, p = features.shape[0], features.shape[1] // 5
        present, values = features[:, :p], features[:, 2 * p : 3 * p]
        col_mean = values.sum(axis=0) / np.maximum(present.sum(axis=0), 1)
        design = np.where(present > 0, values, col_mean)
        scale = design.std(axis=0)
        design = (design - design.mean(axis=0)) / np.where(scale > 0, scale, 1.0) * self._weights_vector(p)
        k = min(self.n_components, n)
        centres, _ = kmeans_plusplus(design, k, random_state=seed)
        for _ in range(LLOYD_ITERATIONS):
            onehot = np.eye(k)[_nearest(design, centres)]
            counts = onehot.sum(axis=0)
            centres = np.where(
                counts[:, None] > 0, onehot.T @ design / np.maximum(counts, 1)[:, None], centres
            )
        resp = np.zeros((n, self.n_components))
        resp[np.arange(n), _nearest(design, centres)] = 1.0
        return resp

    def _run(self, features: np.ndarray, seed: int) -> dict[str, Any]:
        resp = self._init_resp(features, seed)
        previous, converged, n_iter = -np.inf, False, 0
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007 - n_iter is reported
            self._m_step(resp, features)
            log_prob = self._log_prob(features)
            norm = logsumexp(log_prob, axis=1)
            resp = np.exp(log_prob - norm[:, None])
            current = float(norm.mean())
            if abs(current - previous) < self.tol:
                converged = True
                break
            previous = current
        self._m_step(resp, features)
        current = float(logsumexp(self._log_prob(features), axis=1).mean())
        return {
            "weights_": self.weights_,
            "means_": self.means_,
            "variances_": self.variances_,
            "absence_prob_": self.absence_prob_,
            "lower_bound_": current,
            "converged_": converged,
            "n_iter_": n_iter,
        }

    def fit(self, X: Any, y: Any = None) -> ZeroInflatedGaussianMixture:
        """Fit the mixture by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Values, NaN where absent (only in inflated features).
        y : ignored

        Returns
        -------
        self
        """
        if int(self.n_components) != self.n_components or self.n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {self.n_components}")
        if int(self.n_init) != self.n_init or self.n_init < 1:
            raise ValueError(f"n_init must be a positive integer, got {self.n_init}")
        features = self._features(X, fitting=True)
        if features.shape[0] < self.n_components:
            raise ValueError(f"{features.shape[0]} samples for {self.n_components} components")
        self._weights_vector(self.n_features_in_)
        rs = check_random_state(self.random_state)
        seeds = rs.randint(np.iinfo(np.int32).max, size=self.n_init)
        best = max((self._run(features, int(s)) for s in seeds), key=lambda r: r["lower_bound_"])
        for key, value in best.items():
            setattr(self, key, value)
        if not self.converged_:
            warnings.warn(
                f"EM did not converge in {self.max_iter} iterations; raise max_iter or tol",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    # ---- prediction --------------------------------------------------------------------------
    def _fitted_log_prob(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "means_")
        return self._log_prob(self._features(X, fitting=False))

    def score_samples(self, X: Any) -> np.ndarray:
        """Weighted log-likelihood of each sample, shape (n_samples,)."""
        return logsumexp(self._fitted_log_prob(X), axis=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of each component, shape (n_samples, n_components)."""
        log_prob = self._fitted_log_prob(X)
        return np.exp(log_prob - logsumexp(log_prob, axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable component of each sample, shape (n_samples,)."""
        return self.predict_proba(X).argmax(axis=1)

    def _n_parameters(self) -> int:
        """Free parameters: weights, and per component a mean and variance of every feature and an
        absence probability of every inflated one; features of weight 0 do not count."""
        k, p = self.means_.shape
        used = self._weights_vector(p) > 0
        n_inflated = int((self._inflated_mask(p) & used).sum())
        return (k - 1) + k * 2 * int(used.sum()) + k * n_inflated

    def bic(self, X: Any) -> float:
        """Bayesian information criterion on ``X`` (lower is better)."""
        return float(-2 * self.score_samples(X).sum() + self._n_parameters() * np.log(np.asarray(X).shape[0]))

    def permute(self, order: Sequence[int]) -> ZeroInflatedGaussianMixture:
        """Reorder the components in place (``order[i]`` becomes component ``i``); returns self."""
        idx = np.asarray(order)
        for key in ("weights_", "means_", "variances_", "absence_prob_"):
            setattr(self, key, getattr(self, key)[idx])
        return self


def permute_gaussian_mixture(gmm: GaussianMixture, order: np.ndarray) -> None:
    """Reorder the components of a fitted scikit-learn GaussianMixture in place."""
    gmm.weights_ = gmm.weights_[order]
    gmm.means_ = gmm.means_[order]
    if gmm.covariance_type != "tied":
        for key in ("covariances_", "precisions_", "precisions_cholesky_"):
            setattr(gmm, key, getattr(gmm, key)[order])
