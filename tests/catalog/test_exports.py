"""Files for people neutralise spreadsheet formulas (CSV injection); the codebook says so."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelstudy.catalog import read_table, write_table
from channelstudy.catalog.exports import FORMULA_TRIGGERS, neutralise, neutralise_frame, write_for_people
from channelstudy.catalog.schemas import codebook_markdown

ATTACKS = ['=HYPERLINK("http://evil.example","click")', "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
           "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_formula_cells_are_prefixed(attack: str) -> None:
    assert neutralise(attack) == "'" + attack


@pytest.mark.parametrize("plain", ["ACME srl", "-5", "+3.5", "-1,5", "", "12", "a=b"])
def test_plain_text_and_numbers_are_unchanged(plain: str) -> None:
    assert neutralise(plain) == plain


@given(st.text())
def test_no_neutralised_cell_starts_a_formula(text: str) -> None:
    safe = neutralise(text)
    assert safe in (text, "'" + text)
    assert not safe.startswith(FORMULA_TRIGGERS) or re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?", safe)


def test_a_frame_without_risky_text_is_returned_as_is() -> None:
    frame = pd.DataFrame({"name": ["ACME"], "x": [-1.5]})
    assert neutralise_frame(frame) is frame


def test_catalog_csv_tables_are_neutralised(tmp_path: Path) -> None:
    table = pd.DataFrame({"wave": [2024, 2025], "note": ["=HYPERLINK(\"http://x\")", "ok"], "d": [-1.0, 2.0]})
    write_table("weights_report", table, tmp_path)
    back = read_table("weights_report", tmp_path)
    assert back["note"].tolist() == ["'=HYPERLINK(\"http://x\")", "ok"]
    assert back["d"].tolist() == [-1.0, 2.0]
    assert table["note"].iat[0].startswith("=")  # the caller's frame is not changed


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_for_people(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"name": ["=1+1", "ACME"], "revenue": [-5.0, 3.0]})
    path = write_for_people(frame, tmp_path / f"people{suffix}")
    if suffix == ".csv":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        back = pd.read_csv(path, encoding="utf-8-sig")
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(path).active
        assert [c.data_type for c in sheet["A"]] == ["s", "s", "s"]  # text, no formula
        back = pd.read_excel(path, engine="openpyxl")
    assert back["name"].tolist() == ["'=1+1", "ACME"] and back["revenue"].tolist() == [-5.0, 3.0]
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_for_people_refuses_other_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        write_for_people(pd.DataFrame(), tmp_path / "x.parquet")


def test_codebook_documents_formula_handling() -> None:
    text = codebook_markdown({"formula_cell": "formula"})
    assert "## Spreadsheet formulas (CSV injection)" in text and "`formula_cell`" in text
