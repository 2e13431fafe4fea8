"""The corpus of bad inputs (``tests/data/bad/``): each case ends in one error line or a reject with a reason.

Every case is a folder with a ``sources.yml`` (one source, ``bad``) and its file, written by
``tests/data/bad/make_corpus.py``.  A case either

- stops the build with **one line** ``error: ...`` naming the source and the key or field at
  fault (and the setting to use, when a setting does not fit the file), or
- is built: its malformed rows are in ``rejects.parquet`` with their reason code and a detail
  naming the line or field, the rest of the source is used, and ``build_report.json`` balances
  (rows read = rows used + rows rejected); a setting that only looks wrong gives a warning.

The cases that build are built together (one source per case, in one manifest) to keep the test
fast; each is then checked on its own source.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml

from channelstudy.build import build
from channelstudy.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"


@dataclass(frozen=True)
class Fails:
    """The build stops with one line matching ``pattern`` (after ``error: sources.yml: source 'bad'``)."""

    pattern: str


@dataclass(frozen=True)
class Rejects:
    """The build quarantines ``rows`` (row_number -> reason); ``used`` rows are used; optional warning."""

    rows: dict[int, str]
    used: int
    detail: str = ""
    warning: str = ""
    other: dict[str, int] = field(default_factory=dict)


CASES: dict[str, Fails | Rejects] = {
    # rows quarantined, the rest used
    "unterminated_quote": Rejects({2: "unterminated_quote"}, 3, r"^line 3: a quote"),
    "unterminated_quote_last_line": Rejects({4: "unterminated_quote"}, 3, r"^line 5: a quote"),
    "unterminated_quote_then_quoted_field": Rejects({2: "unterminated_quote"}, 4, r"^line 3: a quote"),
    "too_many_fields": Rejects({2: "too_many_fields"}, 3, r"^line 3: 5 fields, the header has 4$"),
    "too_many_fields_first_row": Rejects({1: "too_many_fields"}, 3, r"^line 2: 5 fields"),
    "too_few_fields": Rejects({2: "too_few_fields"}, 3, r"^line 3: 2 fields, the header has 4$"),
    "semicolon_inside_comma_file": Rejects({2: "too_few_fields"}, 3, r"^line 3: 1 fields"),
    "several_bad_rows": Rejects({2: "too_few_fields", 3: "too_many_fields", 4: "unterminated_quote"}, 3),
    "blank_lines_and_bad_row": Rejects({3: "too_few_fields"}, 3, r"^line 4:", other={"blank_row": 2}),
    "mostly_malformed": Rejects({1: "too_few_fields", 2: "too_few_fields", 3: "too_few_fields"}, 1, r"fields",
                                warning=r"3 of 4 rows quarantined \(too_few_fields 3\): check the delimiter"),
    "cell_too_long": Rejects({2: "cell_too_long"}, 3, r"^field 'name': a cell of 15000 characters \(limit 10000\)$"),
    "control_character_nul": Rejects({2: "control_character"}, 3, r"^field 'name': control character '\\x00'"),
    "control_character_escape": Rejects({2: "control_character"}, 3, r"^field 'comune': control character '\\x1b'"),
    "formula_hyperlink": Rejects({2: "formula_cell"}, 3, r"^field 'name': a spreadsheet formula \('=HYPERLINK"),
    "formula_plus_call": Rejects({2: "formula_cell"}, 3, r"^field 'name': .*'\+SUM\(A1:A9\)'"),
    "formula_at_call": Rejects({2: "formula_cell"}, 3, r"^field 'name': .*'@IMPORTXML"),
    "formula_in_vat": Rejects({2: "formula_cell"}, 3, r"^field 'vat': .*'=1\+1'"),
    "json_formula_partner": Rejects({2: "formula_cell"}, 2, r"^field 'name'"),
    "json_control_character": Rejects({2: "control_character"}, 2, r"^field 'name': control character '\\x07'"),
    "xlsx_formula_text": Rejects({2: "formula_cell"}, 2, r"^field 'name'"),
    "xlsx_cell_too_long": Rejects({2: "cell_too_long"}, 1, r"^field 'name': a cell of 12000"),
    # a setting that only looks wrong: built, with a warning naming the setting
    "decimal_comma_declared_dot": Rejects({}, 2, warning=r"field 'revenue_eur': .* set decimal: ','$"),
    "decimal_dot_declared_comma": Rejects({}, 2, warning=r"field 'revenue_eur': .* set decimal: '\.'$"),
    # a setting that does not fit the file: one line naming the setting to use
    "semicolon_file_read_as_comma": Fails(r"key 'delimiter': this file looks ';'-delimited .*: set delimiter: ';'$"),
    "tab_file_read_as_comma": Fails(r"key 'delimiter': this file looks '\\t'-delimited .*: set delimiter: '\\t'$"),
    "comma_file_read_as_semicolon": Fails(r"key 'delimiter': this file looks ','-delimited .*: set delimiter: ','$"),
    "cp1252_declared_utf8": Fails(r"key 'encoding': data.csv is not valid utf-8: byte 0xe0 at line 3 .*"
                                  r"set encoding: cp1252$"),
    "utf8_declared_cp1252": Fails(r"key 'encoding': data.csv is UTF-8 text .* declared cp1252; set encoding: utf-8$"),
    "utf16_declared_utf8": Fails(r"key 'encoding': .*UTF-16 byte order mark: set encoding: utf-16$"),
    "xlsx_named_csv": Fails(r"key 'format': data.csv is not valid utf-8: .* set format: xlsx$"),
    # a file that cannot be read at all
    "empty_file": Fails(r"key 'path': data.csv is empty \(no header row\)$"),
    "file_missing": Fails(r"key 'path': file not found: 'data.csv'"),
    "header_missing": Fails(r"field 'vat': header 'Partita IVA' not found in data.csv \(.*'P.IVA'"),
    "header_twice": Fails(r"field 'vat': header 'Partita IVA' appears 2 times in data.csv \(columns 3, 4\)"),
    "json_invalid": Fails(r": roster.json is not valid JSON: Expecting ',' delimiter at line 2, column 25$"),
    "json_record_not_object": Fails(r": record 2 of roster.json is a str, not an object$"),
    "json_object_not_list": Fails(r"key 'record_path': roster.json holds an object, not a list of records"),
    "xlsx_missing_sheet": Fails(r"key 'sheet': sheet 'Foglio1' not found in data.xlsx \(sheets: 'Elenco'\)$"),
}

BUILT = sorted(name for name, case in CASES.items() if isinstance(case, Rejects))
FAILING = sorted(name for name, case in CASES.items() if isinstance(case, Fails))


def test_every_case_of_the_corpus_has_an_expectation() -> None:
    folders = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    assert folders == sorted(CASES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", FAILING)
def test_case_stops_with_one_line(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["-q", "build", "--raw", str(CORPUS / name), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 1, err
    prefix = "error: sources.yml: source 'bad'"
    assert lines[0].startswith(prefix), lines[0]
    assert re.search(CASES[name].pattern, lines[0].removeprefix(prefix)), lines[0]
    assert not (tmp_path / "out" / "rejects.parquet").exists()


@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict]:
    """Every case that builds, as one source each (named after the case) of one manifest, built once."""
    root = tmp_path_factory.mktemp("bad_corpus")
    sources = []
    for name in BUILT:
        shutil.copytree(CORPUS / name, root / name)
        [source] = yaml.safe_load((CORPUS / name / "sources.yml").read_text(encoding="utf-8"))["sources"]
        sources.append({**source, "name": name, "path": f"{name}/{source['path']}"})
    (root / "sources.yml").write_text(json.dumps({"sources": sources}), encoding="utf-8")
    result = build(root, root / "processed")
    return result.tables["rejects"], result.report


@pytest.mark.parametrize("name", BUILT)
def test_case_quarantines_its_bad_rows_and_uses_the_rest(name: str, corpus_build: tuple[pd.DataFrame, dict]) -> None:
    rejects, report = corpus_build
    case = CASES[name]
    assert isinstance(case, Rejects)
    mine = rejects[rejects["source"] == name]
    quarantined = mine[~mine["reason"].isin(["blank_row", *case.other])]
    assert dict(zip(quarantined["row_number"], quarantined["reason"], strict=True)) == case.rows
    if case.detail:
        assert all(re.search(case.detail, d) for d in quarantined["detail"]), quarantined["detail"].tolist()
    source = report["sources"][name]
    assert source["rows_used"] == case.used
    assert source["rows_read"] == source["rows_used"] + source["rows_rejected"]
    assert source["balanced"]
    assert source["rejected_by_reason"] == dict(sorted({**pd.Series(case.rows, dtype=object).value_counts()
                                                        .to_dict(), **case.other}.items()))
    if case.warning:
        [warning] = source["warnings"]
        assert re.search(case.warning, warning) and f"source {name!r}" in warning, warning
    else:
        assert "warnings" not in source


def test_a_case_built_alone_gives_the_same_rejects(tmp_path: Path) -> None:
    result = build(CORPUS / "several_bad_rows", tmp_path)
    rejects = pd.read_parquet(tmp_path / "rejects.parquet")
    assert rejects[["row_number", "reason"]].values.tolist() == [
        [2, "too_few_fields"], [3, "too_many_fields"], [4, "unterminated_quote"]]
    assert rejects["detail"].tolist() == ["line 3: 2 fields, the header has 4", "line 4: 5 fields, the header has 4",
                                          "line 5: a quote opened in this line is never closed"]
    assert result.report["sources"]["bad"]["rows_read"] == 6 and result.report["sources"]["bad"]["balanced"]


def test_personal_fields_are_not_checked(tmp_path: Path) -> None:
    """A formula in a respondent's e-mail (dropped at build) does not cost the response."""
    from channelstudy.sources.quarantine import check_cells

    table = pd.DataFrame({0: ["Alfa SRL", "Beta SPA"], 1: ["=HYPERLINK(\"x\")", "a@b.it"]})
    assert check_cells(table, {"name": 0, "respondent_email": 1}) == []
    assert [q.reason for q in check_cells(table, {"name": 1})] == ["formula_cell"]
