"""Italian regions: a region name in any common spelling to its ISTAT name and macro-area.

A region is only a fallback place: the build locates a firm by its comune, else its province, and
uses a mapped ``region`` only for firms that have neither (then ``region`` and ``macro_area`` come
from it; ``nuts2`` too, except for Trentino-Alto Adige, which has two NUTS2 regions).

Matching: upper case, accents and apostrophes dropped, any run of non-letters is one space, and
only the part before a ``/`` counts (``Valle d'Aosta/Vallée d'Aoste``).  The bilingual and hyphen
variants match (``Emilia Romagna``, ``Friuli Venezia Giulia``, ``Trentino Alto Adige``); anything
else is ``unknown``.

>>> compact("  emilia romagna ")
'EMILIA ROMAGNA'
>>> validate("Valle D'Aosta")
"Valle d'Aosta/Vallée d'Aoste"
>>> is_valid("Padania")
False
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pandas as pd

from channelstudy.clean.exceptions import UnknownValue
from channelstudy.reference.comuni import load_comuni

__all__ = ["REGION_COLUMNS", "clean_regions", "compact", "is_valid", "validate"]

REGION_COLUMNS: tuple[str, ...] = ("region", "macro_area", "nuts2", "region_flag")


def compact(text: str) -> str:
    """The matching key of a region name (see the module docstring)."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    text = text.split("/")[0].replace("'", " ")
    return re.sub(r"[^A-Z]+", " ", text.upper()).strip()


@lru_cache(maxsize=1)
def _regions() -> pd.DataFrame:
    table = load_comuni()[["region", "macro_area", "nuts2"]].drop_duplicates()
    nuts2 = table.groupby("region")["nuts2"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else None)
    out = table.drop_duplicates("region").set_index("region")[["macro_area"]].assign(nuts2=nuts2)
    out.index = pd.Index([compact(r) for r in out.index], name="key")
    return out.assign(region=table.drop_duplicates("region")["region"].to_numpy())


def validate(text: str) -> str:
    """The ISTAT name of the region ``text`` names; raises :class:`UnknownValue` otherwise."""
    key = compact(text)
    regions = _regions()
    if key not in regions.index:
        raise UnknownValue(f"not an Italian region: {text!r}")
    return str(regions.loc[key, "region"])


def is_valid(text: str) -> bool:
    """Whether ``text`` names an Italian region."""
    try:
        validate(text)
    except UnknownValue:
        return False
    return True


def clean_regions(values: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`validate`: columns :data:`REGION_COLUMNS`, NA and a flag where unknown.

    >>> clean_regions(pd.Series(["Lombardia", "TRENTINO ALTO ADIGE", "x", None]))["nuts2"].tolist()
    ['ITC4', nan, nan, nan]
    """
    text = values.astype("str")
    keys = text.map(compact, na_action="ignore")
    regions = _regions()
    found = regions.reindex(keys)
    blank = text.isna() | keys.eq("")
    flag = pd.Series(None, index=values.index, dtype="str").mask(~blank & found["region"].isna().to_numpy(),
                                                                 UnknownValue.code)
    return pd.DataFrame({"region": found["region"].to_numpy(), "macro_area": found["macro_area"].to_numpy(),
                         "nuts2": found["nuts2"].to_numpy(), "region_flag": flag.to_numpy()},
                        index=values.index).astype("str")
