"""Declared partner-type labels (Italian or English free text) -> canonical partner type.

Sources describe a firm's role in their own words: "Rivenditore", "VAR", "Software house",
"Systems integrator", "Cloud provider" ... This module maps such labels to the seven canonical
types of the study (:data:`channelstudy.fields.PARTNER_TYPES`).  A label is *declared*
information: the rule-based classifier of the segmentation stage weighs it with ATECO, revenue
mix and roster roles.

>>> compact("  Rivenditore a valore aggiunto ")
'rivenditore a valore aggiunto'
>>> validate("Software house")
'isv'
>>> is_valid("fornaio")
False
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from channelstudy.clean.exceptions import UnknownValue
from channelstudy.vocabulary import PARTNER_TYPES

LABELS: dict[str, tuple[str, ...]] = {
    "platform_vendor": ("vendor", "platform vendor", "produttore di piattaforma", "software vendor globale"),
    "distributor": (
        "distributore",
        "distributor",
        "grossista",
        "grossista it",
        "wholesaler",
        "distributore a valore aggiunto",
        "value-added distributor",
        "value added distributor",
        "vad",
    ),
    "reseller": (
        "rivenditore",
        "reseller",
        "var",
        "rivenditore a valore aggiunto",
        "value-added reseller",
        "value added reseller",
        "dealer",
        "retailer",
        "negozio informatica",
    ),
    "system_integrator": (
        "system integrator",
        "systems integrator",
        "si",
        "integratore di sistemi",
        "societa di consulenza it",
        "it consultancy",
        "consulenza it",
        "system integration",
    ),
    "isv": (
        "isv",
        "software house",
        "produttore di software",
        "software vendor",
        "independent software vendor",
        "editore di software",
    ),
    "oem": ("oem", "produttore hardware", "hardware manufacturer", "costruttore di apparati"),
    "msp": (
        "msp",
        "managed service provider",
        "managed services provider",
        "cloud provider",
        "cloud services provider",
        "fornitore di servizi gestiti",
        "hosting provider",
    ),
}
"""Known spellings (after :func:`compact`) of each canonical type."""

_LOOKUP: dict[str, str] = {label: ptype for ptype, labels in LABELS.items() for label in labels}
assert set(LABELS) == set(PARTNER_TYPES)


def compact(label: str) -> str:
    """Lower case, accents and punctuation other than ``-`` removed, spaces collapsed."""
    text = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9\- ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def validate(label: str) -> str:
    """The canonical partner type of ``label``; raises :class:`UnknownValue` when unknown."""
    key = compact(label)
    if key in PARTNER_TYPES:
        return key
    try:
        return _LOOKUP[key]
    except KeyError:
        raise UnknownValue(f"unknown partner-type label {label!r}") from None


def is_valid(label: str) -> bool:
    """Whether ``label`` names a known partner type."""
    try:
        validate(label)
    except UnknownValue:
        return False
    return True


def clean_partner_types(labels: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`validate`: columns ``partner_type`` (canonical or NA) and ``partner_type_flag``.

    Flags: ``missing`` (blank) or ``unknown_label``.  Computed once per distinct label.
    """
    text = labels.astype("str").fillna("")
    uniques = pd.Series(text.unique())
    mapped = {u: (validate(u) if is_valid(u) else None) for u in uniques if compact(u)}
    ptype = text.map(mapped).astype("str")
    flag = pd.Series(pd.NA, index=labels.index, dtype="str")
    blank = text.isin([u for u in uniques if not compact(u)])
    flag[blank] = "missing"
    flag[~blank & ptype.isna()] = "unknown_label"
    return pd.DataFrame({"partner_type": ptype, "partner_type_flag": flag}, index=labels.index)
