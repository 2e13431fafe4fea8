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
join whichever of the two is larger.  The name is the label of the largest family
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
        managed/cloud.

    Examples
    --------
    >>> family_shares([0.0, 0.05, 0.2, 0.5, 0.2, 0.05]).round(2).to_dict()
    {'resale': 0.05, 'services': 0.2, 'own_ip': 0.7, 'managed_cloud': 0.05}
    """
    shares = np.asarray(closure(np.asarray(profile, dtype=float)))
    if shares.shape != (len(REVENUE_STREAMS),):
        raise ValueError(f"profile must have {len(REVENUE_STREAMS)} shares, got shape {shares.shape}")
    part = dict(zip(REVENUE_STREAMS, shares, strict=True))
    cloud_to_ip = part["own_ip"] >= part["managed"]
    values = [
        part["hw_resale"] + part["sw_resale"],
        part["services"],
        part["own_ip"] + (part["cloud_subs"] if cloud_to_ip else 0.0),
        part["managed"] + (0.0 if cloud_to_ip else part["cloud_subs"]),
    ]
    return pd.Series(values, index=list(FAMILIES), dtype=float)


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
