"""Rule-based, explainable partner-type classification.

Each firm gets one of the seven partner types of the study and the name of the rule that decided
it.  Rules are tried in order; the first that applies decides:

1. ``programme_owner`` - the firm's name contains the name of a vendor that runs a partner
   programme (a roster's ``vendor``): the vendor's Italian subsidiary, a *platform vendor*.  No
   other rule assigns that type: a partner calling itself "vendor" is not one.
2. ``declared_fits_ateco`` - the most declared label (analyst segments, survey answers, roster
   roles; see ``firms.partner_type_votes``) whose type is typical of the firm's ATECO class.
3. ``ateco_only`` - the ATECO class is typical of exactly one partner type (26.20 -> OEM, 47.40 ->
   reseller, ...).
4. ``declared_only`` - the most declared label, when no ATECO class is known.
5. ``revenue_mix`` - the dominant revenue family of the firm's survey answers (own IP -> ISV,
   managed services and cloud -> MSP, services -> SI, resale -> reseller), by the one family
   rule of :mod:`channelstudy.analysis.families` (own cloud subscriptions count as own IP when
   own IP is at least managed services).
6. ``unclassified`` - nothing to go on.

The typical ATECO classes are the study protocol's (``../shared/STUDY.md``), mapped from ATECO
2007 to ATECO 2025 with ISTAT's correspondence (62.01 -> 62.10, 62.02/62.03 -> 62.20, 62.09 -> 62.90,
46.51/46.52 -> 46.50, 47.41 -> 47.40, 63.11 -> 63.10, 70.22 -> 70.20).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelstudy.analysis.families import dominant_family
from channelstudy.clean.names import name_key
from channelstudy.vocabulary import PARTNER_TYPES, REVENUE_STREAMS

TYPICAL_ATECO_2025: dict[str, frozenset[str]] = {
    "platform_vendor": frozenset({"58.29", "62.10", "46.50"}),
    "distributor": frozenset({"46.50"}),
    "reseller": frozenset({"47.40", "46.50", "62.90"}),
    "system_integrator": frozenset({"62.20", "62.90", "70.20"}),
    "isv": frozenset({"62.10", "58.29"}),
    "oem": frozenset({"26.20", "26.30"}),
    "msp": frozenset({"63.10", "62.20"}),
}
"""ATECO 2025 classes typical of each partner type (study protocol, translated to 2025)."""

MIX_FAMILY_TYPE: dict[str, str] = {
    "resale": "reseller",
    "services": "system_integrator",
    "own_ip": "isv",
    "managed_cloud": "msp",
}
RULES: tuple[str, ...] = ("programme_owner", "declared_fits_ateco", "ateco_only", "declared_only", "revenue_mix",
                          "unclassified")


@dataclass(frozen=True)
class ClassifiedPartners:
    """Result of :func:`classify_partners`: one row per firm."""

    table: pd.DataFrame
    """Columns ``firm_id``, ``partner_type``, ``rule``, ``evidence`` (text saying what decided)."""

    def rule_counts(self) -> pd.Series:
        return self.table["rule"].value_counts().reindex(list(RULES), fill_value=0)


def parse_votes(votes: pd.Series) -> pd.DataFrame:
    """``reseller:3;isv:1`` per firm -> long table ``[firm_id, partner_type, votes]``.

    No declared label at all is a valid case: the table is then empty.

    >>> parse_votes(pd.Series(["reseller:3;isv:1", None], index=["F1", "F2"])).to_numpy().tolist()
    [['F1', 'reseller', 3], ['F1', 'isv', 1]]
    >>> len(parse_votes(pd.Series([None, None], index=["F1", "F2"], dtype="str")))
    0
    """
    long = votes.dropna().str.split(";").explode()
    if long.empty:
        return pd.DataFrame({"firm_id": pd.Series([], dtype="str"), "partner_type": pd.Series([], dtype="str"),
                             "votes": pd.Series([], dtype="int64")})
    parts = long.str.split(":", n=1, expand=True)
    return pd.DataFrame({"firm_id": long.index, "partner_type": parts[0].to_numpy(),
                         "votes": parts[1].astype(int).to_numpy()})


def _first_vote(votes: pd.DataFrame, allowed: pd.Series | None = None) -> pd.Series:
    """The most voted type per firm (ties: alphabetical), optionally among allowed (firm, type) pairs."""
    v = votes if allowed is None else votes.loc[allowed.to_numpy(dtype=bool)]
    v = v.sort_values(["firm_id", "votes", "partner_type"], ascending=[True, False, True])
    return v.drop_duplicates("firm_id").set_index("firm_id")["partner_type"]


def _ateco_class(code: pd.Series) -> pd.Series:
    return code.where(code.str.len() >= 5).str[:5]


def _unique_type_by_ateco() -> dict[str, str]:
    """ATECO classes typical of exactly one non-vendor type."""
    owners: dict[str, list[str]] = {}
    for ptype, classes in TYPICAL_ATECO_2025.items():
        if ptype == "platform_vendor":
            continue
        for c in classes:
            owners.setdefault(c, []).append(ptype)
    return {c: types[0] for c, types in owners.items() if len(types) == 1}


def firm_mix(survey: pd.DataFrame) -> pd.DataFrame:
    """Mean reported revenue mix per firm over its survey waves (rows with a valid mix only)."""
    cols = [f"mix_{s}" for s in REVENUE_STREAMS]
    valid = survey.dropna(subset=cols)
    return valid.groupby("firm_id")[cols].mean()


def classify_partners(firms: pd.DataFrame, *, vendors: list[str] | None = None,
                      survey: pd.DataFrame | None = None) -> ClassifiedPartners:
    """Assign a partner type to every firm by the ordered rules of this module.

    Parameters
    ----------
    firms : DataFrame
        ``firms.parquet``: needs ``firm_id``, ``name``, ``ateco_2025``, ``partner_type_votes``.
    vendors : list of str, optional
        Names of the vendors that run partner programmes (``vendor_roster.vendor`` values).
    survey : DataFrame, optional
        ``survey.parquet`` (for the revenue-mix rule).

    Returns
    -------
    ClassifiedPartners
        ``table`` has one row per firm, in the order of ``firms``.

    Examples
    --------
    >>> firms = pd.DataFrame({"firm_id": ["F1", "F2"], "name": ["ACME ITALIA SRL", "ROSSI SRL"],
    ...                       "ateco_2025": ["62.10", "47.40"], "partner_type_votes": [None, "isv:1;reseller:1"]})
    >>> classify_partners(firms, vendors=["Acme"]).table[["partner_type", "rule"]].to_numpy().tolist()
    [['platform_vendor', 'programme_owner'], ['reseller', 'declared_fits_ateco']]
    """
    ids = firms["firm_id"]
    ptype = pd.Series(pd.NA, index=ids.to_numpy(), dtype="str")
    rule = pd.Series(pd.NA, index=ids.to_numpy(), dtype="str")
    evidence = pd.Series(pd.NA, index=ids.to_numpy(), dtype="str")

    def decide(values: pd.Series, name: str, why: pd.Series | str) -> None:
        values = values.dropna()
        values = values[rule.reindex(values.index).isna().to_numpy()]
        ptype[values.index] = values
        rule[values.index] = name
        evidence[values.index] = why if isinstance(why, str) else why.reindex(values.index)

    keys = firms["name"].map(name_key).set_axis(ids.to_numpy())
    vendor_keys = sorted({k for k in (name_key(v) for v in (vendors or [])) if k})
    if vendor_keys:
        owner = pd.Series(pd.NA, index=keys.index, dtype="str")
        for vk in vendor_keys:
            hit = keys.str.startswith(vk + " ", na=False) | keys.eq(vk)
            owner[hit & owner.isna()] = vk
        decide(owner.where(owner.isna(), "platform_vendor"), "programme_owner", "vendor " + owner.fillna(""))

    ateco = _ateco_class(firms["ateco_2025"].astype("str")).set_axis(ids.to_numpy())
    votes = parse_votes(firms.set_index("firm_id")["partner_type_votes"])
    votes = votes[votes["partner_type"] != "platform_vendor"]
    fits = pd.Series([c in TYPICAL_ATECO_2025.get(t, ()) for t, c in
                      zip(votes["partner_type"], ateco.reindex(votes["firm_id"]).fillna(""), strict=True)],
                     index=votes.index)
    fitting = _first_vote(votes, fits)
    decide(fitting, "declared_fits_ateco", "declared " + fitting + ", typical of ATECO " + ateco.reindex(fitting.index))

    unique = ateco.map(_unique_type_by_ateco())
    decide(unique, "ateco_only", "ATECO " + ateco.reindex(unique.dropna().index) + " is typical of one type")

    top = _first_vote(votes)
    decide(top.where(ateco.reindex(top.index).isna()), "declared_only", "declared " + top + ", ATECO unknown")

    if survey is not None and len(survey):
        family = dominant_family(firm_mix(survey))
        by_mix = family.map(MIX_FAMILY_TYPE)
        decide(by_mix, "revenue_mix", "dominant revenue family " + family)

    decide(top, "declared_only", "declared " + top + ", not typical of ATECO " + ateco.reindex(top.index).fillna("?"))
    rest = pd.Series(np.where(rule.isna(), "", pd.NA), index=rule.index, dtype="str")
    rule[rest.notna()] = "unclassified"
    evidence[rest.notna()] = "no declared label, ATECO class or revenue mix"
    table = pd.DataFrame({"firm_id": ids.to_numpy(), "partner_type": ptype.to_numpy(), "rule": rule.to_numpy(),
                          "evidence": evidence.to_numpy()})
    assert set(table["partner_type"].dropna()) <= set(PARTNER_TYPES)
    return ClassifiedPartners(table.astype({"partner_type": "str", "rule": "str", "evidence": "str"}))
