"""Headers are read once per file state: check_headers and read_source share the read."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from channelstudy.sources import readers
from channelstudy.sources.manifest import load_manifest


def _manifest(folder: Path) -> Path:
    (folder / "a.csv").write_text("Name;VAT\nRossi;01234567890\n", encoding="utf-8")
    source = {"name": "a", "kind": "directory", "path": "a.csv", "format": "csv", "delimiter": ";",
              "columns": {"name": "Name", "vat": "VAT"}}
    path = folder / "sources.yml"
    path.write_text(yaml.safe_dump({"sources": [source]}), encoding="utf-8")
    return path


def test_checked_headers_are_not_read_again(tmp_path, monkeypatch):
    calls = []
    original = readers._HEADER_READERS["csv"]
    monkeypatch.setitem(readers._HEADER_READERS, "csv", lambda spec: calls.append(spec.name) or original(spec))
    manifest = load_manifest(_manifest(tmp_path))  # check_headers reads the header
    frame = readers.read_source(manifest.sources[0])
    assert calls == ["a"]
    assert frame["name"].tolist() == ["Rossi"]


def test_a_changed_file_is_read_again(tmp_path):
    manifest = load_manifest(_manifest(tmp_path))
    spec = manifest.sources[0]
    assert readers.read_header(spec) == ["Name", "VAT"]
    spec.path.write_text("Nome;VAT;Extra\nRossi;01234567890;x\n", encoding="utf-8")
    os.utime(spec.path, ns=(1, 1))  # a new state even within the clock's resolution
    assert readers.read_header(spec) == ["Nome", "VAT", "Extra"]


def test_a_json_parse_is_not_kept_after_the_read(tmp_path):
    (tmp_path / "r.json").write_text('{"partners": [{"name": "Rossi", "vat": "01234567890"}]}', encoding="utf-8")
    source = {"name": "r", "kind": "vendor_roster", "path": "r.json", "format": "json", "record_path": "partners",
              "columns": {"name": "name", "vat": "vat", "vendor": "name"}}
    (tmp_path / "sources.yml").write_text(yaml.safe_dump({"sources": [source]}), encoding="utf-8")
    frame = readers.read_source(load_manifest(tmp_path / "sources.yml").sources[0])
    assert frame["vat"].tolist() == ["01234567890"]
    assert not readers._JSON_TABLES  # memory: the flattened records go once the columns are taken


def test_a_sheet_is_parsed_once_and_not_kept_after_the_read(tmp_path, monkeypatch):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Name", "VAT"])
    book.active.append(["Rossi", "01234567890"])
    book.save(tmp_path / "a.xlsx")
    source = {"name": "a", "kind": "directory", "path": "a.xlsx", "format": "xlsx", "columns": {"name": "Name",
                                                                                                  "vat": "VAT"}}
    (tmp_path / "sources.yml").write_text(yaml.safe_dump({"sources": [source]}), encoding="utf-8")
    readers.forget_parsed()  # rows other tests' header checks kept
    parses = []
    original = readers._parse_sheet
    monkeypatch.setattr(readers, "_parse_sheet", lambda spec: parses.append(spec.name) or original(spec))
    manifest = load_manifest(tmp_path / "sources.yml")  # the header check parses the sheet and keeps its rows
    assert readers._SHEET_ROWS
    frame = readers.read_source(manifest.sources[0])
    assert parses == ["a"] and frame["vat"].tolist() == ["01234567890"]
    assert not readers._SHEET_ROWS  # memory: the rows go once the columns are taken
    readers._HEADERS.clear()
    load_manifest(tmp_path / "sources.yml")
    readers.forget_parsed()
    assert not readers._SHEET_ROWS and readers.read_source(manifest.sources[0])["name"].tolist() == ["Rossi"]
