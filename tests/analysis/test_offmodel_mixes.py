"""Off-model revenue-mix worlds (channelstudy.simulate.mixes) and the clustering's structure verdict."""

from __future__ import annotations

import numpy as np

from channelstudy.analysis.clustering import BusinessModelClustering
from channelstudy.simulate.mixes import dirichlet_archetypes, structureless


def test_archetypes_have_their_own_zero_patterns() -> None:
    mixes, labels = dirichlet_archetypes(3000, n_archetypes=5, seed=2)
    assert (mixes.sum(axis=1) == 100).all() and (mixes.to_numpy() >= 0).all()
    zero_rates = (mixes == 0).groupby(labels).mean().to_numpy()
    assert zero_rates.shape == (5, 6)
    # every archetype usually lacks at least one stream, and not all archetypes lack the same ones
    assert (zero_rates.max(axis=1) > 0.6).all()
    assert len({tuple(row > 0.6) for row in zero_rates}) > 1


def test_structureless_world_is_reported_as_such() -> None:
    mixes = structureless(600, seed=0)
    est = BusinessModelClustering(n_components_range=(1, 4), n_init=1, n_bootstrap=3).fit(mixes)
    assert est.n_components_ == 1 and est.structure_ == "no clear structure"
    assert est.stability_k_ == [1, 1, 1]


def test_planted_archetypes_are_reported_as_clusters() -> None:
    mixes, labels = dirichlet_archetypes(900, n_archetypes=3, seed=5, concentration=60.0)
    est = BusinessModelClustering(n_components_range=(1, 5), n_init=1, n_bootstrap=3).fit(mixes)
    assert est.structure_ == "clusters" and est.n_components_ >= 3 and not est.at_bound_
    assert np.isfinite(est.stability_)
