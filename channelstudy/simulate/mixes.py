"""Off-model revenue-mix worlds: clusters that do not follow the naming rule's families, or none.

The default world draws revenue mixes from four archetypes that *are* the four families of the
naming rule (:mod:`channelstudy.analysis.families`), so recovering them proves little.  These
generators test the clustering where that circularity is absent:

* :func:`dirichlet_archetypes` -- ``k`` archetypes whose mean mixes are drawn from a flat
  Dirichlet (any stream can lead, several can share the lead) and whose structural-zero patterns
  are their own (each archetype has one to three streams it usually lacks);
* :func:`structureless` -- one Dirichlet population with independent zeros: no cluster structure,
  which a clustering must report.

Mixes are rounded to whole percents and re-closed, like survey answers.

Examples
--------
>>> mixes, labels = dirichlet_archetypes(200, n_archetypes=5, seed=1)
>>> mixes.shape, sorted(set(labels.tolist()))
((200, 6), [0, 1, 2, 3, 4])
>>> bool(np.allclose(mixes.sum(axis=1), 100))
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelstudy.vocabulary import REVENUE_STREAMS

COLUMNS = [f"mix_{s}" for s in REVENUE_STREAMS]


def _percents(shares: np.ndarray) -> pd.DataFrame:
    """Whole percents that sum to 100 (largest remainders), as a survey would record them."""
    raw = shares / shares.sum(axis=1, keepdims=True) * 100
    floor = np.floor(raw)
    short = (100 - floor.sum(axis=1)).astype(int)
    order = np.argsort(-(raw - floor), axis=1)
    for i, k in enumerate(short):
        floor[i, order[i, :k]] += 1
    return pd.DataFrame(floor, columns=COLUMNS)


def _draw(rng: np.random.Generator, mean: np.ndarray, zero_prob: np.ndarray, n: int, concentration: float
          ) -> np.ndarray:
    shares = rng.dirichlet(mean * concentration + 1e-3, n)
    absent = rng.random((n, len(mean))) < zero_prob
    # keep the stream with the largest share so no row is all zeros
    absent[np.arange(n), shares.argmax(axis=1)] = False
    return np.where(absent, 0.0, shares)


def dirichlet_archetypes(n: int, *, n_archetypes: int = 5, seed: int = 0, concentration: float = 30.0
                         ) -> tuple[pd.DataFrame, np.ndarray]:
    """Mixes from ``n_archetypes`` random archetypes with their own zero patterns.

    Parameters
    ----------
    n : int
        Firms.
    n_archetypes : int
        Archetypes (equal expected sizes).
    seed : int
    concentration : float
        Dirichlet concentration around each archetype's mean mix (higher: tighter clusters).

    Returns
    -------
    mixes : DataFrame
        Columns ``mix_<stream>`` in whole percents.
    labels : ndarray of int
        Archetype of each firm.
    """
    rng = np.random.default_rng([seed, 7])
    means = rng.dirichlet(np.ones(len(REVENUE_STREAMS)), n_archetypes)
    zero_prob = np.full((n_archetypes, len(REVENUE_STREAMS)), 0.05)
    for a in range(n_archetypes):
        lacking = rng.choice(len(REVENUE_STREAMS), size=rng.integers(1, 4), replace=False)
        zero_prob[a, lacking] = 0.85
    labels = rng.integers(0, n_archetypes, n)
    shares = np.zeros((n, len(REVENUE_STREAMS)))
    for a in range(n_archetypes):
        rows = labels == a
        shares[rows] = _draw(rng, means[a], zero_prob[a], int(rows.sum()), concentration)
    return _percents(shares), labels


def structureless(n: int, *, seed: int = 0, zero_prob: float = 0.3) -> pd.DataFrame:
    """Mixes from one flat Dirichlet with independent structural zeros: no clusters."""
    rng = np.random.default_rng([seed, 8])
    mean = np.full(len(REVENUE_STREAMS), 1 / len(REVENUE_STREAMS))
    return _percents(_draw(rng, mean, np.full(len(REVENUE_STREAMS), zero_prob), n, concentration=6.0))
