"""Tests of channelstudy.clean.geo: provinces, comuni, ISTAT codes and flags."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

from channelstudy.clean import geo
from channelstudy.clean.exceptions import AmbiguousValue, InvalidComponent, UnknownValue
from channelstudy.reference.comuni import load_comuni, load_provinces

COMUNI = load_comuni()


def istat(name: str, province: str) -> str:
    """ISTAT code straight from the reference list (independent of geo)."""
    row = COMUNI[(COMUNI["comune"] == name) & (COMUNI["province"] == province)]
    assert len(row) == 1
    return row["istat_code"].item()


# --- provinces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "sigla"),
    [
        ("MI", "MI"),
        ("mi", "MI"),
        (" Mi ", "MI"),
        ("Milano", "MI"),
        ("MILANO", "MI"),
        ("NA", "NA"),  # Napoli, not a missing value
        ("Napoli", "NA"),
        ("Forlì-Cesena", "FC"),
        ("FORLI' CESENA", "FC"),
        ("Forli", "FC"),
        ("Pesaro e Urbino", "PU"),
        ("Pesaro-Urbino", "PU"),
        ("Monza e della Brianza", "MB"),
        ("Reggio Emilia", "RE"),
        ("Reggio nell'Emilia", "RE"),
        ("Bozen", "BZ"),
        ("Valle d'Aosta", "AO"),
        ("La Spezia", "SP"),
        ("FO", "FC"),
        ("PS", "PU"),
        ("CI", "SU"),
        ("VS", "SU"),
        ("OG", "NU"),
        ("OT", "SS"),
        ("Sud Sardegna", "SU"),
        ("Milanno", "MI"),  # fuzzy
    ],
)
def test_province_of(raw: str, sigla: str) -> None:
    assert geo.province_of(raw) == sigla
    assert geo.validate_province(raw) == sigla
    assert geo.is_valid_province(raw)


@pytest.mark.parametrize("raw", ["XX", "Londra", "Z", "12"])
def test_unknown_province(raw: str) -> None:
    assert geo.province_of(raw) is None
    with pytest.raises(UnknownValue):
        geo.validate_province(raw)
    assert geo.province_of(None) is None


def test_every_current_province_resolves_by_sigla_and_name() -> None:
    provinces = load_provinces()
    assert len(provinces) == 107
    for sigla, name in zip(provinces["province"], provinces["province_name"], strict=True):
        assert geo.province_of(sigla) == sigla
        assert geo.province_of(sigla.lower()) == sigla
        assert geo.province_of(name) == sigla, name


def test_clean_province_flags() -> None:
    out = geo.clean_province(pd.Series(["MI", "FO", "Milano", "ZZ", None, "Milanno"]))
    assert out["province"].tolist() == ["MI", "FC", "MI", pd.NA, pd.NA, "MI"]
    assert out["province_flag"].tolist() == [
        pd.NA,
        "historical_province",
        pd.NA,
        "unknown_province",
        pd.NA,
        "fuzzy",
    ]


# --- comuni -------------------------------------------------------------------------------------


def test_lookup_comune() -> None:
    milano = geo.lookup_comune("MILANO")
    assert milano.istat_code == istat("Milano", "MI")
    assert (milano.province, milano.region, milano.macro_area, milano.nuts2) == (
        "MI",
        "Lombardia",
        "Nord-ovest",
        "ITC4",
    )
    assert geo.lookup_comune("Forli'").istat_code == istat("Forlì", "FC")
    assert geo.lookup_comune("Sant'Angelo Lodigiano").istat_code == istat("Sant'Angelo Lodigiano", "LO")
    assert geo.lookup_comune("Bozen").istat_code == istat("Bolzano", "BZ")
    assert geo.lookup_comune("Reggio Emilia").istat_code == istat("Reggio nell'Emilia", "RE")
    assert geo.lookup_comune("Milanno").istat_code == istat("Milano", "MI")  # fuzzy
    assert geo.lookup_comune("Castro", "LE").istat_code == istat("Castro", "LE")
    assert geo.lookup_comune("Castro", "Bergamo").istat_code == istat("Castro", "BG")


def test_lookup_comune_errors() -> None:
    with pytest.raises(AmbiguousValue):
        geo.lookup_comune("Castro")
    with pytest.raises(InvalidComponent):
        geo.lookup_comune("Milano", "RM")
    with pytest.raises(UnknownValue):
        geo.lookup_comune("Cambridge")
    with pytest.raises(UnknownValue):
        geo.lookup_comune("Milano", "XX")
    with pytest.raises(UnknownValue):
        geo.lookup_comune("")


def test_clean_geo_cases() -> None:
    comune = pd.Series(
        [
            "MILANO",
            "Castro",
            "Castro",
            "Milano",
            "Londra",
            "FORLI'",
            "TRANI",
            "Milanno",
            None,
            "Roma",
            "Napoli",
        ],
        index=range(100, 111),
    )
    province = pd.Series(
        ["MI", "LE", None, "RM", "MI", "FO", "BA", None, "TO", "XX", "NA"], index=range(100, 111)
    )
    out = geo.clean_geo(comune, province)
    assert list(out.columns) == list(geo.GEO_COLUMNS)
    assert out.index.tolist() == list(range(100, 111))
    expected = [
        (istat("Milano", "MI"), "MI", pd.NA),
        (istat("Castro", "LE"), "LE", pd.NA),
        (pd.NA, pd.NA, "ambiguous_comune"),
        (pd.NA, "RM", "province_mismatch"),
        (pd.NA, "MI", "unknown_comune"),
        (istat("Forlì", "FC"), "FC", "historical_province"),
        (istat("Trani", "BT"), "BT", "historical_province"),  # filed under Bari, now BAT
        (istat("Milano", "MI"), "MI", "fuzzy"),
        (pd.NA, "TO", pd.NA),  # province only
        (istat("Roma", "RM"), "RM", "unknown_province"),
        (istat("Napoli", "NA"), "NA", pd.NA),
    ]
    got = list(out[["istat_code", "province", "geo_flag"]].itertuples(index=False, name=None))
    assert got == expected
    assert out.loc[100, "region"] == "Lombardia" and out.loc[108, "region"] == "Piemonte"
    assert out.loc[103, "comune"] is pd.NA and out.loc[103, "region"] == "Lazio"


def test_clean_geo_without_province_and_speed() -> None:
    sample = COMUNI.sample(3000, random_state=1)
    names = pd.concat([sample["comune"].str.upper()] * 34, ignore_index=True)  # ~100k rows
    out = geo.clean_geo(names)  # speed goal: benchmarks/bench_cleaners.py
    # homonyms, folded independently: accents dropped, Italian and German/French names both count
    codes_by_name: dict[str, set[str]] = {}
    for code, name, full in zip(COMUNI["istat_code"], COMUNI["comune"], COMUNI["comune_full"], strict=True):
        for n in {name, *full.split("/")}:
            folded = unicodedata.normalize("NFKD", n).encode("ascii", "ignore").decode().upper()
            codes_by_name.setdefault(folded, set()).add(code)
    homonyms = {n for n, codes in codes_by_name.items() if len(codes) > 1}
    assert {"CASTRO", "PATERNO", "CORVARA", "SAN TEODORO"} <= homonyms
    folded_names = names.map(lambda n: unicodedata.normalize("NFKD", n).encode("ascii", "ignore").decode())
    unique_names = ~folded_names.isin(homonyms)
    assert out.loc[unique_names, "istat_code"].notna().all()
    assert out.loc[~unique_names, "geo_flag"].eq("ambiguous_comune").all()


def test_fuzzy_is_blocked_by_province() -> None:
    # without a province, LONDRA is one letter away from the comune of Londa (FI) and is corrected
    out = geo.clean_geo(pd.Series(["LONDRA", "LONDRA"]), pd.Series([None, "MI"]))
    assert out["istat_code"].tolist() == [istat("Londa", "FI"), pd.NA]
    assert out["geo_flag"].tolist() == ["fuzzy", "unknown_comune"]


def test_fuzzy_threshold_is_a_parameter() -> None:
    assert geo.FUZZY_THRESHOLD == 90
    strict = geo.clean_geo(pd.Series(["Milanno"]), threshold=100)
    assert strict["geo_flag"].tolist() == ["unknown_comune"]


# --- the real 2017 startup register -------------------------------------------------------------


def test_real_startup_geography(startup_2017: pd.DataFrame) -> None:
    frame = startup_2017
    pv, comune = frame["pv"], frame["comune"]
    assert len(frame) == 7045
    assert (pv == "FO").sum() == 58 and (pv == "PS").sum() == 48
    assert (pv == "NA").sum() == 241  # Napoli survives keep_default_na=False
    assert pv.nunique() == 105  # PROVENANCE says 104: it lost "NA" to a missing-value reader

    out = geo.clean_geo(comune, pv)
    # FO/PS map to FC/PU
    assert out.loc[pv == "FO", "province"].eq("FC").all()
    assert out.loc[pv == "PS", "province"].eq("PU").all()
    # every province code of the register resolves
    assert out["province"].notna().all()
    # nearly every row resolves to a comune (measured: 7,029 of 7,045 = 99.77 %)
    resolved = out["istat_code"].notna()
    assert resolved.mean() >= 0.995, f"{resolved.mean():.4f}"
    # unresolved rows are flagged, never silently empty
    assert out.loc[~resolved, "geo_flag"].isin(["unknown_comune", "province_mismatch"]).all()
    # clean rows: the comune's ISTAT province is the register's own province code
    clean = out["geo_flag"].isna()
    assert clean.mean() > 0.95
    assert (out.loc[clean, "province"] == pv[clean]).all()
    # and the official name is the register's name up to case and accents/apostrophes
    differ = out.loc[clean, "comune"].map(geo._key) != comune[clean].map(geo._key)
    assert set(comune[clean][differ]) == {"REGGIO CALABRIA", "REGGIO EMILIA"}  # the two aliases
    # comuni resolved across a province split sit in the province carved out of the given one
    moved = out["geo_flag"].eq("historical_province") & ~pv.isin(["FO", "PS"])
    for given, now in zip(pv[moved], out.loc[moved, "province"], strict=True):
        assert given in geo.FORMER_PROVINCES[now]
    # foreign addresses stay unresolved
    assert out.loc[comune == "LONDRA", "istat_code"].isna().all()


def test_clean_geo_duplicate_index_and_empty_input() -> None:
    out = geo.clean_geo(pd.Series(["Milano", "Roma"], index=[0, 0]), pd.Series(["MI", "RM"], index=[0, 0]))
    assert out["istat_code"].tolist() == [istat("Milano", "MI"), istat("Roma", "RM")]
    assert geo.clean_geo(pd.Series([], dtype=object)).shape == (0, len(geo.GEO_COLUMNS))
    assert geo.clean_geo(pd.Series([None, None])).isna().all().all()
