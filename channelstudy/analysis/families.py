"""Revenue families: the one rule that groups the six revenue streams into four business families.

Used to name business-model clusters (:mod:`channelstudy.analysis.clustering`) and to type a
partner by its dominant family (:mod:`channelstudy.analysis.segments`).

Naming rule
-----------
On a mix (for a cluster: a component's *arithmetic* mean mix (average revenue shares, zeros included; arithmetic means
add up, so the share of a family is the mean of the firms' family shares, which a geometric mean
would not give), streams are grouped into four families (:func:`family_shares`):

* resale = ``hw_resale + sw_resale``;
* services = ``services``;
* own IP = ``own_ip`` (+ ``cloud_subs`` when ``own_ip >= managed``);
* managed/cloud = ``managed`` (+ ``cloud_subs`` when ``managed > own_ip``).

``cloud_subs`` are the firm's *own* cloud subscriptions: next to own-IP licences they are the same
IP sold as a service (SaaS), next to managed services they are hosting and cloud operations, so they
join whichever of the two is larger.  This is the only family rule of the package: it names
clusters here and types partners by their dominant family in
:func:`channelstudy.analysis.segments.classify_partners` (an earlier copy there always counted
cloud subscriptions as managed/cloud, which turned software houses selling their own product as
SaaS into MSPs).  The name is the label of the largest family
(``"resale-led"``, ``"services-led"``, ``"own-IP"``, ``"managed/cloud"``; ties go to the earlier
family in that order) when that family holds at least :data:`MAJORITY` (half) of revenue, otherwise
``"mixed (A, B)"`` with the two largest families.  Clusters are ordered by family (the order above,
mixed last), then by size, so cluster ids are stable; components are ordered by cluster, then by
weight.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from channelstudy.analysis.compositional import (
    closure,
)
from channelstudy.vocabulary import REVENUE_STREAMS

FAMILIES: tuple[str, ...] = ("resale", "services", "own_ip", "managed_cloud")
"""Revenue families used to name clusters, in naming and ordering priority."""

FAMILY_LABELS: dict[str, str] = {
    "resale": "resale-led",
    "services": "services-led",
    "own_ip": "own-IP",
    "managed_cloud": "managed/cloud",
}
"""Cluster name of a component led by each family."""

_FAMILY_SHORT: dict[str, str] = {
    "resale": "resale",
    "services": "services",
    "own_ip": "own IP",
    "managed_cloud": "managed/cloud",
}

MAJORITY: float = 0.5
"""Share the leading family must reach for a single-family name; below it the name is mixed."""


# --------------------------------------------------------------------------------------------
# naming rule
# --------------------------------------------------------------------------------------------


def family_frame(mix: pd.DataFrame) -> pd.DataFrame:
    """Shares of the four revenue families of many mixes (rows), by the one rule of this module.

    Parameters
    ----------
    mix : DataFrame
        Six share columns in :data:`channelstudy.vocabulary.REVENUE_STREAMS` order (named
        ``mix_<stream>`` or ``<stream>``, any unit); a row missing any share gives NA families.

    Returns
    -------
    DataFrame
        Columns :data:`FAMILIES`, on the index of ``mix``; rows are closed (sum to 1).

    Examples
    --------
    >>> mix = pd.DataFrame([[0, 5, 20, 50, 20, 5], [10, 0, 20, 5, 20, 45]], columns=list(REVENUE_STREAMS))
    >>> family_frame(mix).round(2).to_numpy().tolist()
    [[0.05, 0.2, 0.7, 0.05], [0.1, 0.2, 0.05, 0.65]]
    """
    prefixed = [f"mix_{s}" for s in REVENUE_STREAMS]
    cols = prefixed if set(prefixed) <= set(mix.columns) else list(REVENUE_STREAMS)
    part = mix[cols].astype("float64").set_axis(list(REVENUE_STREAMS), axis=1)
    known = part.notna().all(axis=1)
    total = part.sum(axis=1)
    part = part.div(total.where(total > 0), axis=0)
    cloud_to_ip = part["own_ip"] >= part["managed"]
    out = pd.DataFrame({
        "resale": part["hw_resale"] + part["sw_resale"],
        "services": part["services"],
        "own_ip": part["own_ip"] + part["cloud_subs"].where(cloud_to_ip, 0.0),
        "managed_cloud": part["managed"] + part["cloud_subs"].where(~cloud_to_ip, 0.0),
    }, index=mix.index)
    return out.where(known)


def family_shares(profile: Any) -> pd.Series:
    """Shares of the four revenue families in one mix (the naming rule's amalgamation).

    Parameters
    ----------
    profile : array-like of shape (6,)
        Shares over :data:`channelstudy.fields.REVENUE_STREAMS`, in that order (closed first).

    Returns
    -------
    Series indexed by :data:`FAMILIES`
        Summing to 1; ``cloud_subs`` goes to own IP when ``own_ip >= managed``, else to
        managed/cloud (:func:`family_frame` for many mixes).

    Examples
    --------
    >>> family_shares([0.0, 0.05, 0.2, 0.5, 0.2, 0.05]).round(2).to_dict()
    {'resale': 0.05, 'services': 0.2, 'own_ip': 0.7, 'managed_cloud': 0.05}
    """
    shares = np.asarray(closure(np.asarray(profile, dtype=float)))
    if shares.shape != (len(REVENUE_STREAMS),):
        raise ValueError(f"profile must have {len(REVENUE_STREAMS)} shares, got shape {shares.shape}")
    return family_frame(pd.DataFrame([shares], columns=list(REVENUE_STREAMS))).iloc[0].rename(None)


def dominant_family(mix: pd.DataFrame) -> pd.Series:
    """Family with the largest revenue share of each mix (ties: the earlier in :data:`FAMILIES`).

    NA when a share is missing.  Used to type a partner by its revenue mix
    (:func:`channelstudy.analysis.segments.classify_partners`).

    Examples
    --------
    >>> mix = pd.DataFrame([[0, 5, 20, 40, 30, 5], [None] * 6], columns=list(REVENUE_STREAMS))
    >>> dominant_family(mix).fillna("-").tolist()
    ['own_ip', '-']
    """
    fam = family_frame(mix)
    known = fam.notna().all(axis=1)
    out = pd.Series(pd.NA, index=mix.index, dtype="str")
    out[known] = fam[known].idxmax(axis=1)
    return out


def name_profile(profile: Any) -> str:
    """Name of a business model from its mean mix (see the module docstring for the rule).

    Parameters
    ----------
    profile : array-like of shape (6,)
        Arithmetic mean shares over the six revenue streams.

    Returns
    -------
    str
        ``"resale-led"``, ``"services-led"``, ``"own-IP"``, ``"managed/cloud"`` or
        ``"mixed (A, B)"``.

    Examples
    --------
    >>> name_profile([0.45, 0.30, 0.15, 0.0, 0.02, 0.08])
    'resale-led'
    >>> name_profile([0.30, 0.05, 0.40, 0.0, 0.05, 0.20])
    'mixed (services, resale)'
    """
    fam = family_shares(profile)
    ranked = sorted(FAMILIES, key=lambda f: (-fam[f], FAMILIES.index(f)))
    if fam[ranked[0]] >= MAJORITY:
        return FAMILY_LABELS[ranked[0]]
    return f"mixed ({_FAMILY_SHORT[ranked[0]]}, {_FAMILY_SHORT[ranked[1]]})"


def name_sort_key(name: str) -> tuple[int, str]:
    """Order of cluster names: the four families in :data:`FAMILIES` order, then mixed names."""
    labels = [FAMILY_LABELS[f] for f in FAMILIES]
    return (labels.index(name), "") if name in labels else (len(labels), name)
