"""Tests of channelstudy.analysis.external: the committed cross-country SBS table and the Italy-vs-peers view.

Two groups:

* always run: the committed ``data/external/sbs_ict_countries.csv`` loads with stable dtypes, is
  complete and internally consistent, and the comparison gives the known verdicts;
* run when the real-data folder is present (``channelstudy.catalog.paths.realdata_dir()``): re-deriving
  the table gives the committed CSV, and values agree with figures read from the JSON files with
  plain ``json``/dict access and with the check figures of the folder's PROVENANCE.md.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from channelstudy.analysis.external import (
    COLUMNS,
    GEOS,
    NACE_CODES,
    SBS_FOLDER,
    derive_sbs_table,
    fragmentation_comparison,
    load_sbs_table,
    write_sbs_table,
)
from channelstudy.catalog.paths import external_dir, realdata_dir

EXPECTED_NACE = ["J62", "J63", "J63.1", "G46.5", "G47.4", "J61"]
EXPECTED_GEOS = ["IT", "DE", "FR", "ES", "EU27_2020"]
SHARES = ["micro_turnover_share", "large_turnover_share"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return load_sbs_table()


def _row(frame: pd.DataFrame, nace: str, geo: str) -> pd.Series:
    match = frame[(frame["nace"] == nace) & (frame["geo"] == geo)]
    assert len(match) == 1, (nace, geo)
    return match.iloc[0]


# --------------------------------------------------------------------------------------------
# Always: the committed table
# --------------------------------------------------------------------------------------------


def test_committed_csv_is_plain_and_documented() -> None:
    csv = external_dir() / "sbs_ict_countries.csv"
    first_line = csv.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == ",".join(COLUMNS)
    assert not first_line.startswith("#")
    notes = (external_dir() / "sbs_ict_countries.md").read_text(encoding="utf-8")
    for needed in (
        "d5519097532d675801cd53f62f5e4184e53b79ad",
        "sbs_sc_ovw",
        "ISTAT",
        "CC BY 4.0",
        "derive_sbs_table",
    ):
        assert needed in notes


def test_loaded_table_dtypes(table: pd.DataFrame) -> None:
    assert list(table.columns) == [
        "nace", "geo", "enterprises", "persons_employed", "turnover_meur", "persons_per_enterprise",
        "micro_turnover_share", "large_turnover_share", "source", "reference_year",
    ]  # fmt: skip
    for column in ("nace", "geo", "source"):
        assert pd.api.types.is_string_dtype(table[column]), column
    for column in ("enterprises", "persons_employed", "reference_year"):
        assert table[column].dtype == "Int64", column
    for column in ("turnover_meur", "persons_per_enterprise", *SHARES):
        assert table[column].dtype == "Float64", column


def test_table_has_every_nace_geo_pair_once(table: pd.DataFrame) -> None:
    assert len(table) == 30
    pairs = set(zip(table["nace"], table["geo"], strict=True))
    assert pairs == {(nace, geo) for nace in EXPECTED_NACE for geo in EXPECTED_GEOS}
    assert list(NACE_CODES.values()) == EXPECTED_NACE
    assert list(GEOS) == EXPECTED_GEOS


def test_table_values_are_consistent(table: pd.DataFrame) -> None:
    assert (table["enterprises"] > 0).all()
    assert (table["persons_employed"] >= table["enterprises"]).all()
    assert (table["turnover_meur"] > 0).all()
    for column in SHARES:
        present = table[column].dropna()
        assert ((present > 0) & (present <= 1)).all(), column
    assert table["micro_turnover_share"].notna().all()
    both = table.dropna(subset=SHARES)
    assert (both["micro_turnover_share"] + both["large_turnover_share"] <= 1).all()
    ratio = table["persons_employed"].astype(float) / table["enterprises"].astype(float)
    assert (table["persons_per_enterprise"].astype(float) - ratio).abs().max() <= 0.5e-6 + 1e-12


def test_sources_and_years(table: pd.DataFrame) -> None:
    italy = table["geo"] == "IT"
    assert set(table.loc[italy, "source"]) == {"ISTAT SBS 2023"}
    assert set(table.loc[~italy, "source"]) == {"Eurostat sbs_sc_ovw 2024"}
    assert set(table.loc[italy, "reference_year"]) == {2023}
    assert set(table.loc[~italy, "reference_year"]) == {2024}


def test_suppressed_large_shares_are_missing_not_zero(table: pd.DataFrame) -> None:
    assert not (table["large_turnover_share"] == 0).any()
    assert pd.isna(_row(table, "J63.1", "IT")["large_turnover_share"])
    assert pd.isna(_row(table, "J63", "EU27_2020")["large_turnover_share"])


def test_write_then_load_round_trips(table: pd.DataFrame, tmp_path: Path) -> None:
    target = write_sbs_table(table, tmp_path / "copy.csv")
    pd.testing.assert_frame_equal(load_sbs_table(target), table)
    assert target.read_bytes() == (external_dir() / "sbs_ict_countries.csv").read_bytes()


def test_load_rejects_a_table_without_a_column(table: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    table.drop(columns="source").to_csv(path, index=False)
    with pytest.raises(ValueError, match="missing column"):
        load_sbs_table(path)


# --------------------------------------------------------------------------------------------
# Always: Italy vs peers
# --------------------------------------------------------------------------------------------


def test_comparison_shape_and_values(table: pd.DataFrame) -> None:
    comparison = fragmentation_comparison(table)
    assert len(comparison) == 6 * 4
    assert set(comparison["peer"]) == {"DE", "FR", "ES", "EU27_2020"}
    row = comparison[(comparison["nace"] == "G46.5") & (comparison["peer"] == "DE")].iloc[0]
    italy, germany = _row(table, "G46.5", "IT"), _row(table, "G46.5", "DE")
    assert row["persons_per_enterprise_ratio"] == pytest.approx(
        italy["persons_per_enterprise"] / germany["persons_per_enterprise"]
    )
    assert row["micro_turnover_share_diff"] == pytest.approx(
        italy["micro_turnover_share"] - germany["micro_turnover_share"]
    )


def test_comparison_j62_holds_against_germany_not_against_eu27(table: pd.DataFrame) -> None:
    j62 = fragmentation_comparison(table).query("nace == 'J62'").set_index("peer")
    size = j62["italy_more_fragmented_persons_per_enterprise"]
    assert size["DE"] is True or bool(size["DE"])
    assert bool(size["ES"])
    assert not bool(size["EU27_2020"])  # 6.44 vs 4.56 persons per enterprise
    assert not bool(size["FR"])
    assert j62.loc["EU27_2020", "persons_per_enterprise_ratio"] > 1
    assert not bool(j62.loc["EU27_2020", "italy_more_fragmented_micro_turnover_share"])  # 14.7 % vs 15 %


def test_comparison_ict_trade_is_much_more_fragmented_than_germany(table: pd.DataFrame) -> None:
    comparison = fragmentation_comparison(table).set_index(["nace", "peer"])
    for nace in ("G46.5", "G47.4"):
        assert comparison.loc[(nace, "DE"), "persons_per_enterprise_ratio"] < 0.5
        assert bool(comparison.loc[(nace, "DE"), "italy_more_fragmented_persons_per_enterprise"])
        assert bool(comparison.loc[(nace, "DE"), "italy_more_fragmented_micro_turnover_share"])


def test_comparison_flags_are_nullable_and_follow_the_metric() -> None:
    handmade = pd.DataFrame(
        {
            "nace": ["X1"] * 3,
            "geo": ["IT", "DE", "FR"],
            "persons_per_enterprise": pd.array([2.0, 4.0, 1.0], dtype="Float64"),
            "micro_turnover_share": pd.array([0.3, None, 0.5], dtype="Float64"),
            "reference_year": pd.array([2023, 2024, 2024], dtype="Int64"),
        }
    )
    result = fragmentation_comparison(handmade, peers=("DE", "FR")).set_index("peer")
    assert result.loc["DE", "persons_per_enterprise_ratio"] == pytest.approx(0.5)
    assert bool(result.loc["DE", "italy_more_fragmented_persons_per_enterprise"])
    assert pd.isna(result.loc["DE", "italy_more_fragmented_micro_turnover_share"])
    assert not bool(result.loc["FR", "italy_more_fragmented_persons_per_enterprise"])
    assert result.loc["FR", "micro_turnover_share_diff"] == pytest.approx(-0.2)
    assert not bool(result.loc["FR", "italy_more_fragmented_micro_turnover_share"])
    assert result["italy_more_fragmented_micro_turnover_share"].dtype == "boolean"
    with pytest.raises(ValueError, match="not in the table"):
        fragmentation_comparison(handmade, peers=("ES",))


def test_derive_reports_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="compare.json"):
        derive_sbs_table(tmp_path)


# --------------------------------------------------------------------------------------------
# With the real data: re-derivation and independent checks
# --------------------------------------------------------------------------------------------

_REALDATA = realdata_dir()
_SBS = _REALDATA / SBS_FOLDER if _REALDATA is not None else None
needs_realdata = pytest.mark.skipif(
    _SBS is None or not (_SBS / "compare.json").is_file(),
    reason="real data absent: set CHANNELSTUDY_REALDATA or place ../shared/realdata/"
    f"{SBS_FOLDER}/ beside the project to re-derive the SBS table",
)


@pytest.fixture(scope="module")
def derived() -> pd.DataFrame:
    assert _REALDATA is not None
    return derive_sbs_table(_REALDATA)


def _json(name: str) -> dict:
    assert _SBS is not None
    return json.loads((_SBS / name).read_text(encoding="utf-8"))


def _sector(document: dict, code: str) -> dict:
    return next(sector for sector in document["sectors"] if sector["code"] == code)


@needs_realdata
def test_rederived_table_equals_committed_csv(derived: pd.DataFrame, table: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(derived, table)


@needs_realdata
def test_derive_accepts_the_sbs_folder_itself(derived: pd.DataFrame) -> None:
    assert _SBS is not None
    pd.testing.assert_frame_equal(derive_sbs_table(_SBS), derived)


@needs_realdata
@pytest.mark.parametrize(
    ("code", "nace"), [("62", "J62"), ("465", "G46.5"), ("474", "G47.4"), ("631", "J63.1")]
)
def test_italy_matches_istat_json(derived: pd.DataFrame, code: str, nace: str) -> None:
    sector = _sector(_json("IT.json"), code)
    row = _row(derived, nace, "IT")
    assert row["enterprises"] == int(sector["raw"]["imprese"])
    assert row["persons_employed"] == int(sector["raw"]["occupati"])
    assert row["turnover_meur"] == pytest.approx(sector["raw"]["fatturato_keur"] / 1000)
    assert row["micro_turnover_share"] == pytest.approx(sector["concentrazione"]["quota_micro"], abs=0.5e-6)
    assert round(float(row["persons_per_enterprise"]), 2) == sector["fields"]["struttura"]["value"]


@needs_realdata
@pytest.mark.parametrize("geo", ["DE", "FR", "ES", "EU27_2020"])
def test_peers_match_compare_json(derived: pd.DataFrame, geo: str) -> None:
    entry = _sector(_json("compare.json"), "62")["by"][geo]
    row = _row(derived, "J62", geo)
    assert row["enterprises"] == entry["imprese"]
    assert row["persons_employed"] == entry["occupati"]
    assert row["persons_per_enterprise"] == pytest.approx(entry["struttura"], abs=0.5e-6)
    assert row["large_turnover_share"] == pytest.approx(entry["quota_grandi"], abs=0.5e-6)


# PROVENANCE.md "Check figures": nace, geo, enterprises, persons employed, employed/enterprise,
# turnover share 0-9 (%), turnover share 250+ (%)
CHECK_FIGURES = [
    ("J62", "IT", 58_741, 378_163, 6.44, 14.7, 46.5),
    ("J62", "DE", 101_348, 997_064, 9.84, 10.8, 54.6),
    ("J62", "FR", 126_799, 550_535, 4.34, 14.5, 60.5),
    ("J62", "ES", 47_016, 459_391, 9.77, 9.1, 66.8),
    ("J62", "EU27_2020", 1_008_501, 4_600_000, 4.56, 15.0, 51.6),
    ("G46.5", "IT", 8_178, 55_629, 6.80, 14.0, 44.4),
    ("G46.5", "DE", 4_997, 143_436, 28.70, 6.2, 66.0),
    ("G47.4", "IT", 11_752, 31_438, 2.68, 59.9, 18.0),
    ("G47.4", "DE", 14_085, 79_066, 5.61, 14.2, 67.0),
    ("J61", "IT", 3_563, 78_180, 21.94, 5.1, 86.3),
    ("J61", "DE", 2_954, 146_503, 49.59, 1.6, 89.8),
]


@needs_realdata
@pytest.mark.parametrize(
    ("nace", "geo", "firms", "persons", "per_firm", "micro_pct", "large_pct"), CHECK_FIGURES
)
def test_provenance_check_figures(
    derived: pd.DataFrame,
    nace: str,
    geo: str,
    firms: int,
    persons: int,
    per_firm: float,
    micro_pct: float,
    large_pct: float,
) -> None:
    row = _row(derived, nace, geo)
    assert row["enterprises"] == firms
    assert row["persons_employed"] == persons
    assert round(float(row["persons_per_enterprise"]), 2) == per_firm
    assert round(100 * float(row["micro_turnover_share"]), 1) == micro_pct
    assert round(100 * float(row["large_turnover_share"]), 1) == large_pct


def _writable_copy(tmp_path: Path) -> Path:
    """A copy of the SBS folder under ``tmp_path`` (the originals are read-only)."""
    assert _SBS is not None
    copy = tmp_path / SBS_FOLDER
    shutil.copytree(_SBS, copy)
    copy.chmod(0o755)
    for path in copy.iterdir():
        path.chmod(0o644)
    return copy


@needs_realdata
def test_derive_refuses_a_country_file_that_disagrees(tmp_path: Path) -> None:
    copy = _writable_copy(tmp_path)
    document = _json("DE.json")
    _sector(document, "465")["raw"]["imprese"] += 1
    (copy / "DE.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="DE.json sector 465: imprese"):
        derive_sbs_table(tmp_path)


@needs_realdata
def test_a_zero_large_share_is_read_as_suppressed(tmp_path: Path) -> None:
    copy = _writable_copy(tmp_path)
    compare, spain = _json("compare.json"), _json("ES.json")
    _sector(compare, "465")["by"]["ES"]["quota_grandi"] = 0.0
    _sector(spain, "465")["concentrazione"]["quota_grandi"] = 0.0
    (copy / "compare.json").write_text(json.dumps(compare), encoding="utf-8")
    (copy / "ES.json").write_text(json.dumps(spain), encoding="utf-8")
    row = _row(derive_sbs_table(copy), "G46.5", "ES")
    assert pd.isna(row["large_turnover_share"])
    assert row["micro_turnover_share"] == pytest.approx(
        _sector(compare, "465")["by"]["ES"]["quota_micro"], abs=0.5e-6
    )
