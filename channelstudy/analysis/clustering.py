"""Business-model clustering of revenue mixes (compositional data with structural zeros).

:class:`BusinessModelClustering` groups firms by their revenue mix over the six streams of
:data:`channelstudy.fields.REVENUE_STREAMS`, picks the number of mixture components over a range by
ICL (BIC and silhouette reported as checks), measures stability by subsample refits with k
re-chosen on each, and names the clusters from their profiles by a fixed rule.

Why a zero-inflated mixture
---------------------------
Revenue mixes are full of *structural* zeros (a reseller without own IP, a software house without
hardware).  After zero replacement and the clr transform, each zero becomes a coordinate far below
the values the stream takes when present, so every zero *pattern* forms its own clump.  A Gaussian
mixture on clr coordinates (``model="gaussian"``, what a textbook pipeline does) then spends its
components on zero patterns: on the default simulated world, with survey-like mixes (whole
percents), BIC keeps decreasing up to the largest number of components tried (8) and the
components mix business models (adjusted Rand index against the planted archetypes 0.45 with full
and 0.59 with diagonal covariances; 0.68 and 0.87 after merging components by name).  The
zero-inflated default reaches 0.998.  The default ``model="zero_inflated"`` treats a zero as an event
of its own: within a component, stream ``j`` is absent with probability ``p_kj`` (Bernoulli) and,
when present, its log-share is Gaussian (mean ``mu_kj``, variance ``s2_kj``), independently across
streams given the component (the local-independence assumption of latent class models, here with
a hurdle per stream).  The likelihood of a firm never uses a replaced zero, so the clustering does
not depend on the replacement value; the clr coordinates of the zero-replaced mix
(:meth:`BusinessModelClustering.transform`) are used for the silhouette, the 2-D projection, the
geometric-mean profiles and by ``model="gaussian"``.

Choosing k, naming, stability
-----------------------------
The number of components is chosen by ICL (BIC plus twice the classification entropy) over 1-10.
BIC, a density criterion, also rewards components that only patch non-Gaussian tails of one
business model: on the default world it runs to the top of any range (the old default, BIC over
2-8, always chose 8, and the merge-by-name rule then always reported 4).  ICL has an interior
minimum there (k = 4 on 1-12); ``at_bound_`` flags a choice at the top of the range.  Starting the
range at 1 lets the criterion say there is no cluster structure.

The naming rule (:mod:`channelstudy.analysis.families`) is applied *after* k is chosen and is
reported separately (``family_names_``): by default (``merge_components=False``) every component
is a cluster, and repeated names are numbered by size (``"services-led (1)"``,
``"services-led (2)"``).  ``merge_components=True`` merges components with the same name, as the
old default did.

Stability is measured as ``fpc::clusterboot`` does, with k re-chosen on every subsample: pairwise
ARI between subsample fits and per-cluster Jaccard (see :meth:`BusinessModelClustering._bootstrap`);
``structure_`` reports "no clear structure" when one component is chosen or subsample fits do not
agree.  ``benchmarks/clustering_offmodel.py`` evaluates this on worlds whose mixes do not follow
the naming rule's families (:mod:`channelstudy.simulate.mixes`), against scikit-learn's
``GaussianMixture`` on clr coordinates with BIC.

The naming rule is :mod:`channelstudy.analysis.families`; the zero-inflated mixture is
:class:`channelstudy.analysis.mixture.ZeroInflatedGaussianMixture`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from channelstudy.analysis.compositional import (
    DEFAULT_DELTA,
    closure,
    clr,
    clr_inverse,
    multiplicative_replacement,
)
from channelstudy.analysis.families import family_shares, name_profile, name_sort_key
from channelstudy.analysis.mixture import ZeroInflatedGaussianMixture, permute_gaussian_mixture
from channelstudy.vocabulary import REVENUE_STREAMS

MODELS: tuple[str, ...] = ("zero_inflated", "gaussian")
SELECTIONS: tuple[str, ...] = ("bic", "icl", "silhouette")

STABLE_ARI: float = 0.6
"""Mean pairwise ARI of subsample fits below which the clustering reports no clear structure."""


def structure_verdict(n_components: int, stability: float, subsample_k: list[int]) -> str:
    """``"clusters"`` or ``"no clear structure"`` from the full fit and its subsample refits.

    Clusters need more than one component in the full fit, subsample fits that agree with each other
    (mean pairwise ARI >= :data:`STABLE_ARI`) and, in most subsamples, more than one component: two
    one-component fits agree perfectly (ARI 1), so agreement alone would call a structureless sample
    whose full fit split it "clusters".  Without subsample fits the full fit decides.

    >>> structure_verdict(4, 0.9, [4, 4, 5])
    'clusters'
    >>> structure_verdict(8, 1.0, [1, 1, 1])
    'no clear structure'
    >>> structure_verdict(4, 0.3, [4, 3, 6])
    'no clear structure'
    """
    if n_components <= 1:
        return "no clear structure"
    if subsample_k and (stability < STABLE_ARI or np.mean(np.asarray(subsample_k) > 1) < 0.5):
        return "no clear structure"
    return "clusters"


# --------------------------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------------------------


class BusinessModelClustering(ClusterMixin, BaseEstimator):
    """Cluster firms by revenue mix into named business models.

    The mix is closed, zeros are replaced (:func:`channelstudy.analysis.compositional.multiplicative_replacement`)
    and clr-transformed for the design matrix; a mixture (zero-inflated by default, see the module
    docstring) is fitted for every number of components in ``n_components_range``, one is chosen
    by ``selection``, components are named from their mean mix and (by default) merged by name into
    business-model clusters, and the whole fit at the chosen size is repeated on subsamples to
    measure stability.

    Parameters
    ----------
    n_components_range : tuple of int, default=(1, 10)
        Smallest and largest number of mixture components tried (both included).  Starting at 1
        lets the criterion say that there is no cluster structure; ``at_bound_`` flags a choice at
        the top of the range (widen it).
    zero_delta : float, optional
        Replacement value of zeros on the closed scale; default
        :data:`channelstudy.analysis.compositional.DEFAULT_DELTA` (0.65 x 0.5 %).  Used by the design matrix
        (``transform``, silhouette, projection, geometric-mean profiles, ``model="gaussian"``).
    share_columns : sequence of str, optional
        The six share columns of a DataFrame, in :data:`channelstudy.fields.REVENUE_STREAMS`
        order.  Default: ``mix_<stream>`` if all six are present, else ``<stream>``.  Arrays must
        have the six shares first, in that order.  Shares may be in any unit (fractions,
        percents): rows are closed.
    extra_features : sequence of str, optional
        Numeric DataFrame columns appended to the composition after standardisation (mean 0, sd 1
        at fit), e.g. ``"log_employees"``, ``"intl_share"``; never absent (no NaN).
    extra_weight : float, default=0.5
        Weight of each extra feature: its standardised value is multiplied by it in the design
        matrix, and its log-likelihood is raised to it in the zero-inflated mixture (tempered
        likelihood; a Gaussian mixture is invariant to feature scale, so under
        ``model="gaussian"`` it only changes the design matrix, silhouette and projection).
    model : {"zero_inflated", "gaussian"}, default="zero_inflated"
        ``"zero_inflated"``: :class:`ZeroInflatedGaussianMixture` on log-shares (absent = zero).
        ``"gaussian"``: :class:`sklearn.mixture.GaussianMixture` on the clr design matrix.
    covariance_type : {"diag", "full", "tied", "spherical"}, default="diag"
        Covariance of the Gaussian parts; ``model="zero_inflated"`` supports ``"diag"`` only.
    merge_components : bool, default=False
        Merge components that get the same name into one cluster.  Off by default: the number of
        business models is the number of components the criterion chooses, and the naming rule is
        reported separately (``family_names_``).
    n_init : int, default=5
        Mixture fits from different starts per number of components (best likelihood kept).
    selection : {"bic", "icl", "silhouette"}, default="icl"
        Criterion for the number of components: lowest BIC, lowest ICL (BIC plus twice the
        classification entropy) or highest silhouette.  ICL by default: BIC, a density criterion,
        keeps rewarding components that patch non-Gaussian tails and on the default world runs
        to the top of any range (k = 8 of 2-8, then 12 of 1-12), while ICL penalises overlapping
        components and has an interior minimum (k = 4 of 1-12).
    random_state : int, RandomState or None, default=0
        Seeds every random step (starts, silhouette subsample, bootstrap subsamples).
    n_bootstrap : int, default=20
        Subsamples for ``stability_`` (0 skips them); each refits the whole range and re-chooses k.
    bootstrap_sample : float, default=0.8
        Fraction of rows drawn without replacement for each refit.
    silhouette_sample : int, default=3000
        Rows (fixed-seed subsample) on which silhouettes are computed.

    Attributes
    ----------
    n_components_ : int
        Number of mixture components chosen.
    n_clusters_ : int
        Number of business-model clusters (``<= n_components_``).
    bic_, icl_, silhouette_ : Series indexed by number of components
        Criteria of the fits tried; silhouettes on the clr design matrix of a subsample.
    selection_ : DataFrame
        The three criteria by number of components, with the chosen row flagged.
    gmm_ : ZeroInflatedGaussianMixture or GaussianMixture
        The chosen mixture, components reordered (see the module docstring).
    component_names_ : list of str of length n_components_
        Name of each component (repeated names possible).
    component_cluster_ : ndarray of shape (n_components_,)
        Cluster of each component.
    cluster_names_ : list of str of length n_clusters_
        Name of each cluster (unique).
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row.
    cluster_sizes_ : Series
        Training rows per cluster (by hard label), indexed by name.
    profiles_ : DataFrame
        Mean shares per cluster, index (statistic, cluster) with statistic ``"arithmetic"``
        (responsibility-weighted arithmetic mean of the closed mixes, zeros included; used for
        naming) or ``"clr_mean"`` (closure of the back-transformed mean clr of the zero-replaced
        mixes: the geometric-mean profile), columns the six streams.
    component_profiles_ : DataFrame
        The same per component (cluster names repeated, index (statistic, component)).
    family_profiles_ : DataFrame
        Family shares (naming rule) of each cluster's arithmetic profile.
    silhouette_clusters_ : float
        Silhouette of the final cluster labels (same subsample).
    at_bound_ : bool
        The chosen number of components is the largest tried (or the smallest, when above 1).
    family_names_ : list of str
        Distinct names the naming rule (:mod:`channelstudy.analysis.families`) gives the clusters'
        mean mixes, in family order; ``n_families_`` their number.  A label, not a model choice.
    stability_ : float
        Mean adjusted Rand index between pairs of subsample fits (k re-chosen on each) on the rows
        they share; NaN if ``n_bootstrap < 2``.
    stability_scores_ : list of float
        The individual pairwise adjusted Rand indices.
    stability_k_ : list of int
        Number of components chosen on each subsample.
    cluster_stability_ : Series
        Per cluster, mean largest Jaccard similarity with a subsample cluster (``fpc::clusterboot``).
    structure_ : str
        ``"clusters"``, or ``"no clear structure"`` when one component is chosen, the pairwise
        stability is below :data:`STABLE_ARI` or most subsample refits find one component
        (:func:`structure_verdict`).
    pca_ : PCA
        Two-component PCA of the training design matrix (for :meth:`project_2d`).
    share_columns_ : list of str
        Share columns used (DataFrame input) or the canonical stream names (array input).
    extra_features_ : list of str
    extra_mean_, extra_scale_ : ndarray of shape (n_extra,)
        Standardisation of the extra features.
    delta_ : float
        Zero replacement value used.
    n_features_in_ : int
        Columns read from ``X`` (six shares plus extras).
    feature_names_in_ : ndarray of str
        Those columns' names; only set when ``X`` was a DataFrame.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> means = np.array([[0.45, 0.30, 0.15, 0.01, 0.02, 0.07], [0.03, 0.10, 0.70, 0.02, 0.03, 0.12]])
    >>> X = np.vstack([rng.dirichlet(m * 40, 200) for m in means])
    >>> est = BusinessModelClustering(n_components_range=(1, 3), n_bootstrap=2).fit(X)
    >>> est.cluster_names_
    ['resale-led', 'services-led']
    >>> est.predict([[40, 30, 20, 0, 0, 10]])
    array([0])
    """

    def __init__(
        self,
        *,
        n_components_range: tuple[int, int] = (1, 10),
        zero_delta: float | None = None,
        share_columns: Sequence[str] | None = None,
        extra_features: Sequence[str] | None = None,
        extra_weight: float = 0.5,
        model: str = "zero_inflated",
        covariance_type: str = "diag",
        merge_components: bool = False,
        n_init: int = 5,
        selection: str = "icl",
        random_state: int | np.random.RandomState | None = 0,
        n_bootstrap: int = 20,
        bootstrap_sample: float = 0.8,
        silhouette_sample: int = 3000,
    ) -> None:
        self.n_components_range = n_components_range
        self.zero_delta = zero_delta
        self.share_columns = share_columns
        self.extra_features = extra_features
        self.extra_weight = extra_weight
        self.model = model
        self.covariance_type = covariance_type
        self.merge_components = merge_components
        self.n_init = n_init
        self.selection = selection
        self.random_state = random_state
        self.n_bootstrap = n_bootstrap
        self.bootstrap_sample = bootstrap_sample
        self.silhouette_sample = silhouette_sample

    # ---- parameters and input ----------------------------------------------------------------
    def _check_params(self) -> tuple[int, int]:
        try:
            low, high = (int(v) for v in self.n_components_range)
        except (TypeError, ValueError):
            raise ValueError(
                f"n_components_range must be two integers, got {self.n_components_range!r}"
            ) from None
        if not 1 <= low <= high:
            raise ValueError(
                f"n_components_range must satisfy 1 <= low <= high, got {self.n_components_range!r}"
            )
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}, got {self.selection!r}")
        if self.model == "zero_inflated" and self.covariance_type != "diag":
            raise ValueError('model="zero_inflated" supports covariance_type="diag" only')
        if self.covariance_type not in ("diag", "full", "tied", "spherical"):
            raise ValueError(f"unknown covariance_type {self.covariance_type!r}")
        if not 0 < self.bootstrap_sample <= 1:
            raise ValueError(f"bootstrap_sample must be in (0, 1], got {self.bootstrap_sample}")
        if int(self.n_bootstrap) != self.n_bootstrap or self.n_bootstrap < 0:
            raise ValueError(f"n_bootstrap must be a non-negative integer, got {self.n_bootstrap}")
        if int(self.n_init) != self.n_init or self.n_init < 1:
            raise ValueError(f"n_init must be a positive integer, got {self.n_init}")
        if not np.isfinite(self.extra_weight) or self.extra_weight < 0:
            raise ValueError(f"extra_weight must be a finite non-negative number, got {self.extra_weight}")
        if int(self.silhouette_sample) != self.silhouette_sample or self.silhouette_sample < 2:
            raise ValueError(f"silhouette_sample must be an integer >= 2, got {self.silhouette_sample}")
        return low, high

    def _resolve_columns(self, X: pd.DataFrame) -> list[str]:
        if self.share_columns is not None:
            cols = list(self.share_columns)
            if len(cols) != len(REVENUE_STREAMS):
                raise ValueError(f"share_columns must name {len(REVENUE_STREAMS)} columns, got {len(cols)}")
        else:
            cols = next(
                (
                    c
                    for c in ([f"mix_{s}" for s in REVENUE_STREAMS], list(REVENUE_STREAMS))
                    if set(c) <= set(X.columns)
                ),
                [],
            )
            if not cols:
                raise ValueError(
                    f"X needs the six share columns mix_<stream> or <stream> for streams {REVENUE_STREAMS}, "
                    "or pass share_columns"
                )
        missing = [c for c in cols if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks share column(s) {missing}")
        return cols

    def _read(self, X: Any, *, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        """Shares (n, 6) and raw extra features (n, n_extra) from a DataFrame or an array."""
        if fitting:
            extras = list(self.extra_features or [])
            if isinstance(X, pd.DataFrame):
                shares_cols = self._resolve_columns(X)
                absent = [c for c in extras if c not in X.columns]
                if absent:
                    raise ValueError(f"X lacks extra feature column(s) {absent}")
                self.share_columns_ = shares_cols
                self.feature_names_in_ = np.asarray(shares_cols + extras, dtype=object)
            else:
                if extras:
                    raise ValueError("extra_features needs X as a DataFrame with those columns")
                self.share_columns_ = list(REVENUE_STREAMS)
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            self.extra_features_ = extras
            self.n_features_in_ = len(REVENUE_STREAMS) + len(extras)
        if isinstance(X, pd.DataFrame):
            cols = self.share_columns_ + self.extra_features_
            missing = [c for c in cols if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks column(s) {missing}")
            arr = X[cols].to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(X, dtype=float)
            if arr.ndim != 2:
                raise ValueError(f"X must be 2-D (rows are firms), got {arr.ndim} dimensions")
            if arr.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {arr.shape[1]} columns; expected {self.n_features_in_} "
                    f"(the six shares {REVENUE_STREAMS}"
                    f"{' and the extra features' if self.extra_features_ else ''})"
                )
        if arr.shape[0] == 0:
            raise ValueError("X has no rows")
        shares, extras = arr[:, : len(REVENUE_STREAMS)], arr[:, len(REVENUE_STREAMS) :]
        missing_mix = np.isnan(shares).any(axis=1)
        if missing_mix.any():
            raise ValueError(
                f"shares must be finite: {int(missing_mix.sum())} row(s) have a missing share "
                f"(first at position {int(np.flatnonzero(missing_mix)[0])}); drop or impute them first"
            )
        if not np.all(np.isfinite(extras)):
            raise ValueError("extra features must be finite (no NaN)")
        return np.asarray(closure(shares)), extras

    # ---- design and mixture input ------------------------------------------------------------
    def _scaled_extras(self, extras: np.ndarray) -> np.ndarray:
        return (extras - self.extra_mean_) / self.extra_scale_

    def _design(self, closed: np.ndarray, extras_std: np.ndarray) -> np.ndarray:
        coords = np.asarray(clr(multiplicative_replacement(closed, self.delta_)))
        return np.hstack([coords, self.extra_weight * extras_std])

    def _mixture_input(self, closed: np.ndarray, extras_std: np.ndarray) -> np.ndarray:
        if self.model == "gaussian":
            return self._design(closed, extras_std)
        with np.errstate(divide="ignore"):
            log_shares = np.where(closed > 0, np.log(closed), np.nan)
        return np.hstack([log_shares, extras_std])

    def _new_mixture(self, k: int, seed: int) -> ZeroInflatedGaussianMixture | GaussianMixture:
        if self.model == "gaussian":
            return GaussianMixture(
                k, covariance_type=self.covariance_type, n_init=self.n_init, random_state=seed
            )
        n_extra = len(self.extra_features_)
        return ZeroInflatedGaussianMixture(
            k,
            inflated=[True] * len(REVENUE_STREAMS) + [False] * n_extra,
            feature_weights=[1.0] * len(REVENUE_STREAMS) + [float(self.extra_weight)] * n_extra,
            n_init=self.n_init,
            random_state=seed,
        )

    # ---- naming and merging ------------------------------------------------------------------
    @staticmethod
    def _arithmetic_profiles(resp: np.ndarray, closed: np.ndarray) -> np.ndarray:
        return (resp.T @ closed) / np.maximum(resp.sum(axis=0), 1e-300)[:, None]

    def _clusters(
        self, resp: np.ndarray, closed: np.ndarray
    ) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
        """Component names, component order, cluster names and cluster of each ordered component."""
        names = [name_profile(p) for p in self._arithmetic_profiles(resp, closed)]
        size = resp.sum(axis=0)
        if self.merge_components:
            cluster_size = {n: size[[i for i, m in enumerate(names) if m == n]].sum() for n in set(names)}
            cluster_names = sorted(cluster_size, key=lambda n: (name_sort_key(n), -cluster_size[n]))
            order = np.array(
                sorted(range(len(names)), key=lambda i: (cluster_names.index(names[i]), -size[i]))
            )
            component_names = [names[i] for i in order]
            return (
                component_names,
                order,
                cluster_names,
                np.array([cluster_names.index(n) for n in component_names]),
            )
        order = np.array(sorted(range(len(names)), key=lambda i: (name_sort_key(names[i]), -size[i])))
        ordered = [names[i] for i in order]
        numbered = [
            f"{n} ({ordered[: j + 1].count(n)})" if ordered.count(n) > 1 else n for j, n in enumerate(ordered)
        ]
        return numbered, order, numbered, np.arange(len(order))

    def _cluster_labels(self, resp: np.ndarray, closed: np.ndarray) -> np.ndarray:
        """Cluster labels from responsibilities of an unordered mixture (bootstrap refits)."""
        _, order, cluster_names, component_cluster = self._clusters(resp, closed)
        membership = np.zeros((resp.shape[1], len(cluster_names)))
        membership[order, component_cluster] = 1.0
        return (resp @ membership).argmax(axis=1)

    # ---- fit ---------------------------------------------------------------------------------
    @staticmethod
    def _silhouette(design: np.ndarray, labels: np.ndarray, rows: np.ndarray) -> float:
        """Silhouette of ``labels`` on the design matrix, over ``rows``; NaN if undefined."""
        n_labels = len(np.unique(labels[rows]))
        if n_labels < 2 or n_labels >= len(rows):
            return float("nan")
        return float(silhouette_score(design[rows], labels[rows]))

    def _select(self, table: pd.DataFrame) -> int:
        if self.selection == "silhouette":
            column = table["silhouette"]
            if column.isna().all():
                raise ValueError("silhouette is undefined for every number of components tried")
            return int(column.idxmax())
        return int(table[self.selection].idxmin())

    def fit(self, X: Any, y: Any = None) -> BusinessModelClustering:
        """Fit mixtures over the range, choose one, name and merge components, measure stability.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, 6 + n_extra)
            Revenue mixes (see ``share_columns``) and the extra feature columns.  Shares must be
            finite and non-negative, with no all-zero row.
        y : ignored

        Returns
        -------
        self
        """
        low, high = self._check_params()
        closed, extras = self._read(X, fitting=True)
        n = closed.shape[0]
        if n < high:
            raise ValueError(f"{n} rows are fewer than the largest number of components ({high})")
        self.delta_ = DEFAULT_DELTA if self.zero_delta is None else float(self.zero_delta)
        self.extra_mean_ = extras.mean(axis=0)
        scale = extras.std(axis=0)
        self.extra_scale_ = np.where(scale > 0, scale, 1.0)
        extras_std = self._scaled_extras(extras)
        design = self._design(closed, extras_std)
        data = self._mixture_input(closed, extras_std)

        rs = check_random_state(self.random_state)
        sample = np.sort(rs.permutation(n)[: min(self.silhouette_sample, n)])
        fits, rows = {}, []
        for k in range(low, high + 1):
            mixture = self._new_mixture(k, int(rs.randint(np.iinfo(np.int32).max))).fit(data)
            resp = mixture.predict_proba(data)
            entropy = float(-(resp * np.log(np.clip(resp, 1e-300, 1.0))).sum())
            bic = mixture.bic(data)
            fits[k] = mixture
            rows.append((k, bic, bic + 2 * entropy, self._silhouette(design, resp.argmax(axis=1), sample)))
        table = pd.DataFrame(rows, columns=["k", "bic", "icl", "silhouette"]).set_index("k")
        self.n_components_ = self._select(table)
        self.at_bound_ = bool(self.n_components_ == high or (self.n_components_ == low and low > 1))
        table["selected"] = table.index == self.n_components_
        self.selection_ = table
        self.bic_, self.icl_, self.silhouette_ = table["bic"], table["icl"], table["silhouette"]

        self.gmm_ = fits[self.n_components_]
        self._finish_components(data, closed)
        resp = self.gmm_.predict_proba(data)
        self.labels_ = (resp @ self._membership()).argmax(axis=1)
        self._set_profiles(resp, closed, design)
        # the naming rule, applied after the choice of k and reported on its own
        self.family_names_ = sorted({name_profile(p) for p in self.profiles_.loc["arithmetic"].to_numpy()},
                                    key=name_sort_key)
        self.n_families_ = len(self.family_names_)
        self.silhouette_clusters_ = self._silhouette(design, self.labels_, sample)
        self.pca_ = PCA(n_components=min(2, design.shape[1]), svd_solver="full").fit(design)
        self._bootstrap(data, closed, rs)
        return self

    def _finish_components(self, data: np.ndarray, closed: np.ndarray) -> None:
        """Name, order and merge the components of the chosen mixture."""
        resp = self.gmm_.predict_proba(data)
        names, order, cluster_names, component_cluster = self._clusters(resp, closed)
        if isinstance(self.gmm_, GaussianMixture):
            permute_gaussian_mixture(self.gmm_, order)
        else:
            self.gmm_.permute(order)
        self.component_names_ = names
        self.cluster_names_ = cluster_names
        self.component_cluster_ = component_cluster
        self.n_clusters_ = len(cluster_names)

    def _membership(self) -> np.ndarray:
        membership = np.zeros((self.n_components_, self.n_clusters_))
        membership[np.arange(self.n_components_), self.component_cluster_] = 1.0
        return membership

    def _set_profiles(self, resp: np.ndarray, closed: np.ndarray, design: np.ndarray) -> None:
        streams = list(REVENUE_STREAMS)
        coords = design[:, : len(streams)]

        def table(weights: np.ndarray, labels: list[str], level: str) -> pd.DataFrame:
            total = np.maximum(weights.sum(axis=0), 1e-300)[:, None]
            arith = (weights.T @ closed) / total
            geo = np.atleast_2d(np.asarray(clr_inverse((weights.T @ coords) / total)))
            index = pd.MultiIndex.from_product(
                [["arithmetic", "clr_mean"], labels], names=["statistic", level]
            )
            return pd.DataFrame(np.vstack([arith, geo]), index=index, columns=streams)

        cluster_resp = resp @ self._membership()
        self.profiles_ = table(cluster_resp, self.cluster_names_, "cluster")
        component_labels = [f"{i}: {n}" for i, n in enumerate(self.component_names_)]
        self.component_profiles_ = table(resp, component_labels, "component")
        self.family_profiles_ = pd.DataFrame(
            [family_shares(p) for p in self.profiles_.loc["arithmetic"].to_numpy()],
            index=pd.Index(self.cluster_names_, name="cluster"),
        )
        counts = np.bincount(self.labels_, minlength=self.n_clusters_)
        self.cluster_sizes_ = pd.Series(counts, index=pd.Index(self.cluster_names_, name="cluster"), name="n")

    def _choose(self, data: np.ndarray, closed: np.ndarray, low: int, high: int, rs: np.random.RandomState
                ) -> tuple[int, np.ndarray]:
        """Refit over the range on ``data``, choose k by the criterion; (k, cluster labels)."""
        fits, rows = {}, []
        for k in range(low, min(high, data.shape[0]) + 1):
            # one EM start per k on subsamples (n_init starts on the full data): stability costs
            # n_bootstrap x range fits
            mixture = self._new_mixture(k, int(rs.randint(np.iinfo(np.int32).max))).set_params(n_init=1)
            mixture.fit(data)
            resp = mixture.predict_proba(data)
            entropy = float(-(resp * np.log(np.clip(resp, 1e-300, 1.0))).sum())
            bic = mixture.bic(data)
            fits[k] = resp
            rows.append((k, bic, bic + 2 * entropy, np.nan))
        table = pd.DataFrame(rows, columns=["k", "bic", "icl", "silhouette"]).set_index("k")
        k = int(table["bic" if self.selection == "silhouette" else self.selection].idxmin())
        resp = fits[k]
        labels = self._cluster_labels(resp, closed) if self.merge_components else resp.argmax(axis=1)
        return k, labels

    def _bootstrap(self, data: np.ndarray, closed: np.ndarray, rs: np.random.RandomState) -> None:
        """Stability in the manner of ``fpc::clusterboot``, with k re-chosen inside the loop.

        Each of ``n_bootstrap`` subsamples (``bootstrap_sample`` of the rows, without replacement)
        is clustered afresh: every number of components of the range is fitted and one is chosen
        by the same criterion (silhouette selection falls back to BIC here).  Reported:

        * ``stability_`` -- mean adjusted Rand index between *pairs of subsample fits* on the rows
          they share (consecutive pairs), not between a subsample and the full fit;
        * ``cluster_stability_`` -- per cluster of the full fit, the mean over subsamples of the
          largest Jaccard similarity with a subsample cluster (clusterboot's measure: below 0.5 a
          cluster "dissolves", above 0.75 it is stable);
        * ``stability_k_`` -- the number of components chosen on each subsample.
        """
        low, high = self._check_params()
        n = data.shape[0]
        size = max(high, int(round(self.bootstrap_sample * n)))
        fits = []
        jaccard = np.zeros((int(self.n_bootstrap), self.n_clusters_))
        for b in range(int(self.n_bootstrap)):
            rows = np.sort(rs.permutation(n)[:size])
            k, labels = self._choose(data[rows], closed[rows], low, high, rs)
            fits.append((rows, labels, k))
            full = self.labels_[rows]
            for c in range(self.n_clusters_):
                a = full == c
                if not a.any():
                    jaccard[b, c] = np.nan
                    continue
                jaccard[b, c] = max(np.sum(a & (labels == m)) / np.sum(a | (labels == m)) for m in np.unique(labels))
        scores = []
        for (rows_a, lab_a, _), (rows_b, lab_b, _) in zip(fits, fits[1:], strict=False):
            shared, ia, ib = np.intersect1d(rows_a, rows_b, return_indices=True)
            scores.append(float(adjusted_rand_score(lab_a[ia], lab_b[ib])))
        self.stability_scores_ = scores
        self.stability_ = float(np.mean(scores)) if scores else float("nan")
        self.stability_k_ = [k for _, _, k in fits]
        self.cluster_stability_ = pd.Series(np.nanmean(jaccard, axis=0) if len(fits) else np.nan,
                                            index=pd.Index(self.cluster_names_, name="cluster"), name="jaccard")
        self.structure_ = structure_verdict(self.n_components_, self.stability_, self.stability_k_)

    # ---- prediction --------------------------------------------------------------------------
    def _prepared(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self, "gmm_")
        closed, extras = self._read(X, fitting=False)
        return closed, self._scaled_extras(extras)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each business-model cluster.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, 6 + n_extra)

        Returns
        -------
        ndarray of shape (n_samples, n_clusters_)
            Sums of the posterior probabilities of each cluster's components.
        """
        closed, extras_std = self._prepared(X)
        return self.gmm_.predict_proba(self._mixture_input(closed, extras_std)) @ self._membership()

    def predict(self, X: Any) -> np.ndarray:
        """Most probable business-model cluster of each row, shape (n_samples,)."""
        return self.predict_proba(X).argmax(axis=1)

    def predict_names(self, X: Any) -> np.ndarray:
        """Name of the most probable cluster of each row, shape (n_samples,)."""
        return np.asarray(self.cluster_names_, dtype=object)[self.predict(X)]

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit and return ``labels_`` (the training rows' clusters)."""
        return self.fit(X).labels_

    def transform(self, X: Any) -> np.ndarray:
        """Design matrix: clr of the zero-replaced mix, then weighted standardised extras.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, 6 + n_extra)

        Returns
        -------
        ndarray of shape (n_samples, 6 + n_extra)
            Columns named by :meth:`get_feature_names_out`.
        """
        closed, extras_std = self._prepared(X)
        return self._design(closed, extras_std)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the :meth:`transform` columns: ``clr_<stream>`` then the extra features."""
        check_is_fitted(self, "gmm_")
        return np.asarray([f"clr_{s}" for s in REVENUE_STREAMS] + list(self.extra_features_), dtype=object)

    def project_2d(self, X: Any) -> np.ndarray:
        """First two principal components of the design matrix (PCA fitted on the training rows).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, 6 + n_extra)

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        design = self.transform(X)
        return self.pca_.transform(design)
