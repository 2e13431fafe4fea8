"""Tests of channelstudy.sources.readers: every format comes back as canonical text columns.

Expected values are written down from the data the tests themselves put in the files, never
from the reader's own output.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.errors import ManifestError
from channelstudy.fields import field_names
from channelstudy.sources.headers import normalise_header
from channelstudy.sources.manifest import load_manifest
from channelstudy.sources.quarantine import CONTROL_CHARACTERS, FORMULA
from channelstudy.sources.readers import (
    cell_text,
    float_text,
    read_header,
    read_source,
    repair_calamine_utf16,
)

# --- helpers -------------------------------------------------------------------------------


def write_manifest(folder: Path, *sources: dict[str, Any]) -> Path:
    path = folder / "sources.yml"
    path.write_text(
        yaml.safe_dump({"sources": list(sources)}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


def read_one(folder: Path, source: dict[str, Any]) -> pd.DataFrame:
    manifest = load_manifest(write_manifest(folder, source))
    return read_source(manifest.sources[0])


def assert_text_columns(frame: pd.DataFrame) -> None:
    for column in frame.columns:
        if column == "row_number":
            assert frame[column].dtype == np.int64
        else:
            assert frame[column].dtype == "str", column
            assert not frame[column].isna().any(), column


# --- Italian analyst CSV -------------------------------------------------------------------

ITALIAN_HEADER = [
    "Codice",
    "Ragione sociale",
    "Partita IVA",
    "Comune",
    "Provincia",
    "Fatturato (EUR)",
    "Note",
]
ITALIAN_ROWS = [
    ["A-001", "Società Informatica Napoletana S.r.l.", "01234567890", "Napoli", "NA", "1.234.567,89", "x"],
    ["A-002", "Rossi & Figli; Sistemi", "00012345678", "Città di Castello", "PG", "", ""],
    ["A-003", "Bianchi SPA", "IT 02345678901", "Forlì", "FO", "12,5", 'nota; con "virgolette"'],
]


def write_italian_csv(
    folder: Path, name: str = "analyst_a.csv", rows: list[list[str]] | None = None, encoding: str = "cp1252"
) -> Path:
    path = folder / name
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(ITALIAN_HEADER)
        writer.writerows(ITALIAN_ROWS if rows is None else rows)
    return path


ITALIAN_SOURCE = {
    "name": "analyst_a",
    "kind": "directory",
    "path": "analyst_a.csv",
    "format": "csv",
    "encoding": "cp1252",
    "delimiter": ";",
    "decimal": ",",
    "columns": {
        "record_id": "Codice",
        "name": "Ragione sociale",
        "vat": "Partita IVA",
        "province": "Provincia",
        "revenue_eur": {"column": "Fatturato (EUR)", "scale": 1},
        "comune": "Comune",
    },
}


def test_italian_csv_canonical_columns_in_codebook_order(tmp_path: Path) -> None:
    write_italian_csv(tmp_path)
    frame = read_one(tmp_path, ITALIAN_SOURCE)
    mapped = ["name", "vat", "comune", "province", "revenue_eur"]
    expected_order = ["source", "row_number", "record_id"] + [
        f for f in field_names("directory") if f in mapped
    ]
    assert list(frame.columns) == expected_order
    assert "Note" not in frame.columns
    assert_text_columns(frame)


def test_italian_csv_values_survive_as_text(tmp_path: Path) -> None:
    write_italian_csv(tmp_path)
    frame = read_one(tmp_path, ITALIAN_SOURCE)
    column = {h: i for i, h in enumerate(ITALIAN_HEADER)}
    assert frame["record_id"].tolist() == [r[column["Codice"]] for r in ITALIAN_ROWS]
    assert frame["name"].tolist() == [r[column["Ragione sociale"]] for r in ITALIAN_ROWS]
    assert frame["vat"].tolist() == ["01234567890", "00012345678", "IT 02345678901"]
    assert frame["province"].tolist() == ["NA", "PG", "FO"]
    assert frame["comune"].tolist() == ["Napoli", "Città di Castello", "Forlì"]
    assert frame["revenue_eur"].tolist() == ["1.234.567,89", "", "12,5"]
    assert frame["row_number"].tolist() == [1, 2, 3]
    assert set(frame["source"]) == {"analyst_a"}


def test_record_id_defaults_to_row_number_and_blank_rows_keep_positions(tmp_path: Path) -> None:
    blank = [""] * len(ITALIAN_HEADER)
    write_italian_csv(tmp_path, rows=[ITALIAN_ROWS[0], blank, ITALIAN_ROWS[1], blank])
    source = {**ITALIAN_SOURCE, "columns": {"name": "Ragione sociale", "province": "Provincia"}}
    frame = read_one(tmp_path, source)
    assert frame["row_number"].tolist() == [1, 3]
    assert frame["record_id"].tolist() == ["1", "3"]
    assert frame["province"].tolist() == ["NA", "PG"]


def test_physically_empty_lines_count_as_records(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("Nome,Prov\nAlfa,NA\n\nBeta,MI\n", encoding="utf-8")
    frame = read_one(
        tmp_path,
        {"name": "f", "kind": "directory", "path": "f.csv", "columns": {"name": "Nome", "province": "Prov"}},
    )
    assert frame["name"].tolist() == ["Alfa", "Beta"]
    assert frame["row_number"].tolist() == [1, 3]


def test_scale_is_kept_on_the_spec_not_applied(tmp_path: Path) -> None:
    write_italian_csv(tmp_path)
    source = {
        **ITALIAN_SOURCE,
        "columns": {**ITALIAN_SOURCE["columns"], "revenue_eur": {"column": "Fatturato (EUR)", "scale": 1000}},
    }
    spec = load_manifest(write_manifest(tmp_path, source)).sources[0]
    assert spec.scales == {"revenue_eur": 1000.0}
    assert read_source(spec)["revenue_eur"].iloc[0] == "1.234.567,89"


def test_utf8_bom_does_not_hide_the_first_header(tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_bytes("Ragione sociale,Provincia\nAlfa,NA\n".encode("utf-8-sig"))
    source = {
        "name": "bom",
        "kind": "directory",
        "path": "bom.csv",
        "columns": {"name": "Ragione sociale", "province": "Provincia"},
    }
    spec = load_manifest(write_manifest(tmp_path, source)).sources[0]
    assert read_header(spec) == ["Ragione sociale", "Provincia"]
    assert read_source(spec)["name"].tolist() == ["Alfa"]


def test_quoted_multiline_header_and_cells(tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text(
        '"Ragione\nsociale";"Prov"\n"Alfa\nBeta";"NA"\n"Gamma";"RM"\n', encoding="utf-8"
    )
    frame = read_one(
        tmp_path,
        {
            "name": "q",
            "kind": "directory",
            "path": "q.csv",
            "delimiter": ";",
            "columns": {"name": "Ragione sociale", "province": "Prov"},
        },
    )
    assert frame["name"].tolist() == ["Alfa\nBeta", "Gamma"]
    assert frame["row_number"].tolist() == [1, 2]


def test_tsv_gz_inferred_format_and_tab_delimiter(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "roster.tsv.gz", "wt", encoding="utf-8", newline="") as handle:
        handle.write("Partner\tVendor\tTier\nAlfa Srl\tAcme\tgold\nBeta, Spa\tAcme\tsilver\n")
    frame = read_one(
        tmp_path,
        {
            "name": "roster",
            "kind": "vendor_roster",
            "path": "roster.tsv.gz",
            "columns": {"name": "Partner", "vendor": "Vendor", "tier": "Tier"},
        },
    )
    assert frame["name"].tolist() == ["Alfa Srl", "Beta, Spa"]
    assert frame["tier"].tolist() == ["gold", "silver"]


def test_csv_gz_is_read_compressed(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "a.csv.gz", "wt", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([ITALIAN_HEADER, *ITALIAN_ROWS])
    frame = read_one(tmp_path, {**ITALIAN_SOURCE, "path": "a.csv.gz"})
    assert frame["comune"].tolist() == ["Napoli", "Città di Castello", "Forlì"]


def test_cp1252_file_declared_utf8_fails_with_line_of_first_bad_byte(tmp_path: Path) -> None:
    filler = [[f"B-{i}", f"Ditta {i}", f"{i:011d}", "Roma", "RM", "1", ""] for i in range(3000)]
    rows = [*filler, ITALIAN_ROWS[0]]  # "Società" only after ~150 kB: the header decodes fine
    write_italian_csv(tmp_path, rows=rows)
    source = {**ITALIAN_SOURCE, "encoding": "utf-8"}
    spec = load_manifest(write_manifest(tmp_path, source)).sources[0]
    with pytest.raises(ManifestError) as info:
        read_source(spec)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(
        "sources.yml: source 'analyst_a', key 'encoding': analyst_a.csv is not valid utf-8"
    )
    expected_line = 1 + len(filler) + 1  # header, filler rows, then the row with "à"
    assert f"line {expected_line}" in message
    assert "cp1252" in message


def test_utf8_file_declared_cp1252_is_refused(tmp_path: Path) -> None:
    write_italian_csv(tmp_path, encoding="utf-8")
    spec = load_manifest(write_manifest(tmp_path, ITALIAN_SOURCE)).sources[0]
    with pytest.raises(ManifestError, match=r"source 'analyst_a', key 'encoding': .*UTF-8.*declared cp1252"):
        read_source(spec)


def test_csv_row_with_extra_field_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("Nome;Prov\nAlfa;NA\nRossi; Bianchi;MI\n", encoding="utf-8")
    spec = load_manifest(
        write_manifest(
            tmp_path,
            {
                "name": "bad",
                "kind": "directory",
                "path": "bad.csv",
                "delimiter": ";",
                "columns": {"name": "Nome"},
            },
        )
    ).sources[0]
    frame = read_source(spec)
    assert frame["name"].tolist() == ["Alfa"] and frame.attrs["rows_in_file"] == 2
    [bad] = frame.attrs["quarantined"]
    assert (bad.row_number, bad.reason, bad.detail) == (2, "too_many_fields", "line 3: 3 fields, the header has 2")


def test_csv_first_row_with_extra_field_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("Nome;Prov\nRossi; Bianchi;MI\nAlfa;NA\n", encoding="utf-8")
    spec = load_manifest(
        write_manifest(
            tmp_path,
            {
                "name": "bad",
                "kind": "directory",
                "path": "bad.csv",
                "delimiter": ";",
                "columns": {"name": "Nome"},
            },
        )
    ).sources[0]
    frame = read_source(spec)
    assert frame["name"].tolist() == ["Alfa"]
    assert [(q.row_number, q.reason) for q in frame.attrs["quarantined"]] == [(1, "too_many_fields")]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(
                alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
            ),
            min_size=2,
            max_size=2,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_csv_text_round_trips_exactly(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    with (folder / "r.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["Nome", "Prov"])
        writer.writerows(rows)
    frame = read_one(
        folder,
        {"name": "r", "kind": "directory", "path": "r.csv", "columns": {"name": "Nome", "province": "Prov"}},
    )
    quarantined = {i + 1 for i, r in enumerate(rows) if any(FORMULA.match(c) or CONTROL_CHARACTERS.search(c) for c in r)}
    kept = [(i + 1, r) for i, r in enumerate(rows) if any(r) and i + 1 not in quarantined]
    assert frame["row_number"].tolist() == [i for i, _ in kept]
    assert {q.row_number for q in frame.attrs.get("quarantined", ())} == quarantined
    assert frame["name"].tolist() == [r[0] for _, r in kept]
    assert frame["province"].tolist() == [r[1] for _, r in kept]


# --- English XLSX --------------------------------------------------------------------------


def write_english_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    cover["A1"] = "Partner list, EUR millions"
    sheet = book.create_sheet("Partners")
    sheet.append(
        ["Company", "VAT number", "Revenue (EUR m)", "Employees", "Partner\ntype", "Founded", "Province"]
    )
    sheet.append(["Alpha Systems S.p.A.", "01234567890", 12.5, 42, "VAR", dt.date(1998, 3, 1), "NA"])
    sheet.append(["Beta Cloud Srl", "00099988877", 1000000, 7, "MSP", dt.datetime(2010, 6, 30, 14, 30), "MI"])
    sheet.append([None] * 7)
    sheet.append(["Gamma Data", None, 0.1 + 0.2, 3.0, None, 2015, "TO"])
    sheet.append(["Delta", "1", 1.5e-7, -0.0, "", None, ""])
    book.save(path)


XLSX_SOURCE = {
    "name": "analyst_b",
    "kind": "directory",
    "path": "analyst_b.xlsx",
    "sheet": "Partners",
    "columns": {
        "name": "Company",
        "vat": "VAT number",
        "revenue_eur": {"column": "Revenue (EUR m)", "scale": 1000000},
        "employees": "Employees",
        "partner_type": "Partner type",
        "founded": "Founded",
        "province": "Province",
    },
}


def test_xlsx_numbers_come_back_as_plain_text(tmp_path: Path) -> None:
    write_english_xlsx(tmp_path / "analyst_b.xlsx")
    frame = read_one(tmp_path, XLSX_SOURCE)
    assert_text_columns(frame)
    assert frame["name"].tolist() == ["Alpha Systems S.p.A.", "Beta Cloud Srl", "Gamma Data", "Delta"]
    assert frame["revenue_eur"].tolist() == ["12.5", "1000000", "0.3", "0.00000015"]
    assert frame["employees"].tolist() == ["42", "7", "3", "0"]
    assert frame["vat"].tolist() == ["01234567890", "00099988877", "", "1"]
    assert frame["founded"].tolist() == ["1998-03-01", "2010-06-30 14:30:00", "2015", ""]
    assert frame["partner_type"].tolist() == ["VAR", "MSP", "", ""]
    assert frame["province"].tolist() == ["NA", "MI", "TO", ""]
    assert frame["row_number"].tolist() == [1, 2, 4, 5]
    assert frame["record_id"].tolist() == ["1", "2", "4", "5"]


def test_xlsx_numbers_follow_the_declared_decimal_mark(tmp_path: Path) -> None:
    write_english_xlsx(tmp_path / "analyst_b.xlsx")
    frame = read_one(tmp_path, {**XLSX_SOURCE, "decimal": ","})
    assert frame["revenue_eur"].tolist() == ["12,5", "1000000", "0,3", "0,00000015"]


def test_xlsx_default_sheet_is_the_first(tmp_path: Path) -> None:
    write_english_xlsx(tmp_path / "analyst_b.xlsx")
    source = {**XLSX_SOURCE, "columns": {"name": "Partner list, EUR millions"}}
    del source["sheet"]
    frame = read_one(tmp_path, source)
    assert len(frame) == 0  # the cover sheet has a title and nothing under it


def test_xlsx_multiline_header_is_read_raw_and_matched_normalised(tmp_path: Path) -> None:
    write_english_xlsx(tmp_path / "analyst_b.xlsx")
    spec = load_manifest(write_manifest(tmp_path, XLSX_SOURCE)).sources[0]
    headers = read_header(spec)
    assert "Partner\ntype" in headers
    assert normalise_header("Partner\ntype") == "Partner type"


def test_xlsx_missing_sheet_names_the_key(tmp_path: Path) -> None:
    write_english_xlsx(tmp_path / "analyst_b.xlsx")
    with pytest.raises(ManifestError) as info:
        load_manifest(write_manifest(tmp_path, {**XLSX_SOURCE, "sheet": "Foglio1"}))
    message = str(info.value)
    assert message.startswith("sources.yml: source 'analyst_b', key 'sheet': sheet 'Foglio1' not found")
    assert "'Cover', 'Partners'" in message


# --- JSON ----------------------------------------------------------------------------------

ROSTER_RECORDS = [
    {
        "partner": {"name": "Alfa Srl", "vat": "01234567890"},
        "tier": "gold",
        "competencies": ["cloud", "security"],
        "certified": 12,
        "mdf": True,
        "since": "2021-04-01",
        "address": {"province": "NA"},
    },
    {
        "partner": {"name": "Beta Spa", "vat": None},
        "tier": "silver",
        "competencies": [],
        "certified": 2.5,
        "mdf": False,
        "since": None,
        "address": {"province": "RM"},
    },
]


def roster_source(path: str, record_path: str | None = "data.partners") -> dict[str, Any]:
    source = {
        "name": "roster_acme",
        "kind": "vendor_roster",
        "path": path,
        "constants": {"vendor": "Acme"},
        "columns": {
            "name": "partner.name",
            "vat": "partner.vat",
            "province": "address.province",
            "tier": "tier",
            "competencies": "competencies",
            "n_certified": "certified",
            "mdf": "mdf",
            "since": "since",
        },
    }
    if record_path:
        source["record_path"] = record_path
    return source


def test_json_roster_with_dotted_record_path(tmp_path: Path) -> None:
    document = {"exported": "2024-01-01", "data": {"count": 2, "partners": ROSTER_RECORDS}}
    (tmp_path / "roster.json").write_text(json.dumps(document), encoding="utf-8")
    frame = read_one(tmp_path, roster_source("roster.json"))
    assert_text_columns(frame)
    assert frame["vendor"].tolist() == ["Acme", "Acme"]
    assert frame["name"].tolist() == ["Alfa Srl", "Beta Spa"]
    assert frame["vat"].tolist() == ["01234567890", ""]
    assert frame["province"].tolist() == ["NA", "RM"]
    assert frame["competencies"].tolist() == ["cloud;security", ""]
    assert frame["n_certified"].tolist() == ["12", "2.5"]
    assert frame["mdf"].tolist() == ["true", "false"]
    assert frame["since"].tolist() == ["2021-04-01", ""]
    assert frame["record_id"].tolist() == ["1", "2"]


def test_json_lines_without_record_path(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in ROSTER_RECORDS]
    (tmp_path / "roster.jsonl").write_text(lines[0] + "\n\n" + lines[1] + "\n", encoding="utf-8")
    frame = read_one(tmp_path, roster_source("roster.jsonl", record_path=None))
    assert frame["name"].tolist() == ["Alfa Srl", "Beta Spa"]


def test_json_top_level_list(tmp_path: Path) -> None:
    (tmp_path / "roster.json").write_text(json.dumps(ROSTER_RECORDS), encoding="utf-8")
    frame = read_one(tmp_path, roster_source("roster.json", record_path=None))
    assert frame["tier"].tolist() == ["gold", "silver"]


def test_json_object_without_record_path_asks_for_it(tmp_path: Path) -> None:
    (tmp_path / "roster.json").write_text(
        json.dumps({"data": {"partners": ROSTER_RECORDS}}), encoding="utf-8"
    )
    with pytest.raises(ManifestError, match=r"source 'roster_acme', key 'record_path': .*set record_path"):
        load_manifest(write_manifest(tmp_path, roster_source("roster.json", record_path=None)))


def test_json_wrong_record_path_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "roster.json").write_text(
        json.dumps({"data": {"partners": ROSTER_RECORDS}}), encoding="utf-8"
    )
    with pytest.raises(ManifestError, match=r"key 'record_path': 'data.partner' not found .*'partners'"):
        load_manifest(write_manifest(tmp_path, roster_source("roster.json", record_path="data.partner")))


def test_invalid_json_is_one_line_naming_the_source(tmp_path: Path) -> None:
    (tmp_path / "roster.json").write_text('{"data": {"partners": [\n{"tier": }]}}', encoding="utf-8")
    with pytest.raises(
        ManifestError, match=r"source 'roster_acme': roster.json is not valid JSON: .* line 2"
    ):
        load_manifest(write_manifest(tmp_path, roster_source("roster.json")))


# --- SPSS .sav -----------------------------------------------------------------------------

LIKERT_LABELS = {
    1.0: "Per niente d'accordo",
    2.0: "Poco d'accordo",
    3.0: "Né d'accordo né in disaccordo",
    4.0: "Abbastanza d'accordo",
    5.0: "Molto d'accordo",
}


def write_survey_sav(path: Path) -> None:
    frame = pd.DataFrame(
        {
            "RESP_ID": ["R1", "R2", "R3"],
            "AZIENDA": ["Alfa Srl", "NA Sistemi", "Gamma"],
            "PIVA": ["01234567890", "", "00000000001"],
            "Q7_PORTAL": [5.0, 1.0, np.nan],
            "DIPENDENTI": [12.0, 3.5, np.nan],
            "DSO": [90.0, 120.0, 60.0],
        }
    )
    for column in ("RESP_ID", "AZIENDA", "PIVA"):
        frame[column] = frame[column].astype(object)
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"Q7_PORTAL": LIKERT_LABELS})


def test_sav_applies_value_labels_and_wave_constant(tmp_path: Path) -> None:
    write_survey_sav(tmp_path / "survey.sav")
    frame = read_one(
        tmp_path,
        {
            "name": "survey_2023",
            "kind": "survey",
            "path": "survey.sav",
            "wave": 2023,
            "columns": {
                "record_id": "RESP_ID",
                "name": "AZIENDA",
                "vat": "PIVA",
                "att_portal_easy": "Q7_PORTAL",
                "employees": "DIPENDENTI",
                "dso_days": "DSO",
            },
        },
    )
    assert_text_columns(frame)
    assert frame["att_portal_easy"].tolist() == ["Molto d'accordo", "Per niente d'accordo", ""]
    assert frame["wave"].tolist() == ["2023"] * 3
    assert frame["employees"].tolist() == ["12", "3.5", ""]
    assert frame["dso_days"].tolist() == ["90", "120", "60"]
    assert frame["vat"].tolist() == ["01234567890", "", "00000000001"]
    assert frame["record_id"].tolist() == ["R1", "R2", "R3"]


# --- parquet -------------------------------------------------------------------------------


def test_parquet_columns_as_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "deal": pa.array(["D-1", "D-2", "D-3"]),
            "partner": pa.array(["Alfa", "Beta", "Gamma"]),
            "piva": pa.array(["01234567890", None, "00000000001"]),
            "value": pa.array([1500000.0, None, 0.1 + 0.2]),
            "stage_n": pa.array([1, None, 3], type=pa.int64()),
            "created": pa.array([dt.date(2024, 1, 31), None, dt.date(2023, 12, 1)]),
            "won": pa.array([True, False, None]),
        }
    )
    pq.write_table(table, tmp_path / "pipeline.parquet")
    frame = read_one(
        tmp_path,
        {
            "name": "pipeline",
            "kind": "pipeline",
            "path": "pipeline.parquet",
            "columns": {
                "deal_id": "deal",
                "name": "partner",
                "vat": "piva",
                "value_eur": "value",
                "stage": "stage_n",
                "created": "created",
                "record_type": "won",
            },
        },
    )
    assert_text_columns(frame)
    assert frame["deal_id"].tolist() == ["D-1", "D-2", "D-3"]
    assert frame["vat"].tolist() == ["01234567890", "", "00000000001"]
    assert frame["value_eur"].tolist() == ["1500000", "", "0.3"]
    assert frame["stage"].tolist() == ["1", "", "3"]
    assert frame["created"].tolist() == ["2024-01-31", "", "2023-12-01"]
    assert frame["record_type"].tolist() == ["true", "false", ""]


# --- cell conversions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimal", "expected"),
    [
        (12.5, ".", "12.5"),
        (1000000.0, ".", "1000000"),
        (0.1 + 0.2, ".", "0.3"),
        (1e20, ".", "100000000000000000000"),
        (-1234.5678, ",", "-1234,5678"),
        (float("nan"), ".", ""),
        (2.5e-8, ".", "0.000000025"),
    ],
)
def test_float_text(value: float, decimal: str, expected: str) -> None:
    assert float_text(value, decimal) == expected


@settings(max_examples=300)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e18, max_value=1e18))
def test_float_text_is_plain_and_faithful_to_15_digits(value: float) -> None:
    text = float_text(value)
    assert "e" not in text.lower()
    assert float(text) == pytest.approx(value, rel=1e-14, abs=1e-300)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (pd.NA, ""),
        (pd.NaT, ""),
        (True, "true"),
        (np.int64(7), "7"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 0, 0), "2024-02-29"),
        (pd.Timestamp("2024-02-29 08:05:09"), "2024-02-29 08:05:09"),
        (["a", 1, 2.5], "a;1;2.5"),
        ("NA", "NA"),
    ],
)
def test_cell_text(value: Any, expected: str) -> None:
    assert cell_text(value) == expected


def calamine_mangle(text: str) -> str:
    """What python-calamine 0.9 returns for a UTF-16 xls string: each byte as a cp1252 char."""
    out = []
    for byte in text.encode("utf-16-le"):
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


@pytest.mark.parametrize(
    "text", ["denominazione", "1° req.\n(6)", "attività", "l’ISV € Œ", "\x92quote", "ab"]
)
def test_repair_calamine_utf16_undoes_the_mangling(text: str) -> None:
    assert repair_calamine_utf16(calamine_mangle(text)) == text


@pytest.mark.parametrize(
    "text", ["plain text", "odd\x00x", "\x00Ø", ""]
)  # no NUL, odd length, lone surrogate
def test_repair_calamine_utf16_leaves_other_text_alone(text: str) -> None:
    assert repair_calamine_utf16(text) == text


# --- speed ---------------------------------------------------------------------------------

N_FAST = 20_000


def test_reading_20000_row_csv_and_xlsx(tmp_path: Path) -> None:
    header = [
        "Codice",
        "Ragione sociale",
        "Partita IVA",
        "Provincia",
        "Fatturato",
        "Dipendenti",
        "Sito",
        "Note",
    ]
    rows = [
        [
            f"C{i}",
            f"Ditta {i} S.r.l.",
            f"{i:011d}",
            "NA",
            f"{i * 1.5:.2f}".replace(".", ","),
            str(i % 250),
            f"www.ditta{i}.it",
            "nota",
        ]
        for i in range(N_FAST)
    ]
    with (tmp_path / "big.csv").open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([header, *rows])
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(header)
    for r in rows:
        sheet.append([r[0], r[1], r[2], r[3], float(r[4].replace(",", ".")), int(r[5]), r[6], r[7]])
    book.save(tmp_path / "big.xlsx")
    columns = {
        "record_id": "Codice",
        "name": "Ragione sociale",
        "vat": "Partita IVA",
        "province": "Provincia",
        "revenue_eur": "Fatturato",
        "employees": "Dipendenti",
        "website": "Sito",
    }
    manifest = load_manifest(
        write_manifest(
            tmp_path,
            {
                "name": "big_csv",
                "kind": "directory",
                "path": "big.csv",
                "encoding": "cp1252",
                "delimiter": ";",
                "decimal": ",",
                "columns": columns,
            },
            {"name": "big_xlsx", "kind": "directory", "path": "big.xlsx", "decimal": ",", "columns": columns},
        )
    )
    for spec in manifest.sources:
        frame = read_source(spec)
        assert len(frame) == N_FAST
        assert frame["vat"].iloc[-1] == f"{N_FAST - 1:011d}"
        assert frame["revenue_eur"].iloc[3] == {"big_csv": "4,50", "big_xlsx": "4,5"}[spec.name]


# --- the real 2017 startup register --------------------------------------------------------


def realdata_folder() -> Path:
    override = os.environ.get("CHANNELSTUDY_REALDATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared" / "realdata"


STARTUP_XLS = realdata_folder() / "infocamere_startup_2017" / "startup.xls"


@pytest.mark.skipif(
    not STARTUP_XLS.is_file(),
    reason=f"real data absent: {STARTUP_XLS} (set CHANNELSTUDY_REALDATA to the realdata folder)",
)
def test_real_startup_register_2017_via_manifest(tmp_path: Path) -> None:
    (tmp_path / "startup.xls").write_bytes(
        STARTUP_XLS.read_bytes()
    )  # sources must sit in the manifest folder
    manifest = load_manifest(
        write_manifest(
            tmp_path,
            {
                "name": "startup_2017",
                "kind": "directory",
                "path": "startup.xls",
                "format": "xls",
                "sheet": "STARTUP_01052017",
                "columns": {
                    "name": "denominazione",
                    "legal_form": "nat.giuridica",
                    "tax_code": "codice fiscale",
                    "vat": "codice fiscale",
                    "province": "pv",
                    "comune": "comune",
                    "ateco": "ateco 2007",
                    "website": "sito internet",
                    "founded": "data iscrizione al Registro Imprese",
                    "partner_type": "1° req. (6)",
                },
            },
        )
    )
    spec = manifest.sources[0]
    assert "1° req.\n(6)" in read_header(spec)
    frame = read_source(spec)
    # check figures from realdata/infocamere_startup_2017/PROVENANCE.md
    assert len(frame) == 7045
    assert frame["row_number"].tolist() == list(range(1, 7046))
    assert frame["tax_code"].str.len().eq(11).all()
    assert frame["tax_code"].str.fullmatch(r"\d{11}").all()
    assert frame["tax_code"].is_unique
    assert frame["vat"].equals(frame["tax_code"])
    assert (frame["province"] == "MI").sum() == 1095
    assert (frame["province"] == "RM").sum() == 577
    assert (frame["ateco"] == "6201").sum() == 1360
    # PROVENANCE says 104 distinct codes: that count lost Napoli ("NA") to a missing-value reader.
    assert (frame["province"] == "NA").sum() == 241
    assert frame["province"].nunique() == 105
    assert (frame["province"] == "FO").sum() == 58
    assert (frame["province"] == "PS").sum() == 48
    assert frame["name"].str.contains("  ").sum() == 591
    assert (frame["ateco"] == "NC").sum() == 26
    assert frame["founded"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert set(frame["partner_type"]) <= {"SI", ""}
    assert not frame.drop(columns="row_number").apply(lambda c: c.str.contains("\x00").any()).any()
