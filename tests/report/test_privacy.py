"""``channelstudy scan``: personal data is found where it is, and the outputs of the default world have none."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from channelstudy.catalog.exports import write_for_people
from channelstudy.cli import main
from channelstudy.report.privacy import default_targets, scan, scan_file, scan_text

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "kind"), [
    ("contatto: mario.rossi@azienda.it", "email"),
    ("tel. +39 02 1234567", "phone"),
    ("cell 347 1234567", "phone"),
    ("fisso 06-98765432", "phone"),
    ("0039 333 1234567", "phone"),
    ("CF RSSMRA85T10A562S", "codice_fiscale"),
    ("cf rssmra85t10a562s", "codice_fiscale"),
])
def test_personal_data_in_text_is_found(text: str, kind: str) -> None:
    assert [k for k, _ in scan_text(text)] == [kind]


@pytest.mark.parametrize("text", [
    "P.IVA 01234567897", "P.IVA 00391234531", "revenue 3123456789.5", "RSSMRA85T10A562X (bad check character)",
    "ratio 0.39 02", "wave 2023-2025", "share 12,345", "ISO 2024-06-11 14:30:00",
])
def test_company_identifiers_and_numbers_are_not_personal(text: str) -> None:
    assert list(scan_text(text)) == []


def test_every_format_is_read(tmp_path: Path) -> None:
    pd.DataFrame({"firm_id": [1], "respondent_email": ["x"]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"note": ["ok", "scrivere a anna.bianchi@example.it"]}).to_parquet(tmp_path / "b.parquet")
    (tmp_path / "c.csv").write_text("name,phone\nACME,+39 02 1234567\n", encoding="utf-8")
    notebook = {"cells": [{"cell_type": "code", "source": "print('x@y.it')",  # code is not an output
                           "outputs": [{"output_type": "stream", "text": ["ok\n", "CF RSSMRA85T10A562S\n"]}]}]}
    (tmp_path / "d.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    write_for_people(pd.DataFrame({"contact": ["347 1234567"]}), tmp_path / "e.xlsx")
    (tmp_path / "f.png").write_bytes(b"\x89PNG mario.rossi@azienda.it")  # not read
    found = {(p.name, f.kind, f.where) for f in scan([tmp_path])[0] for p in [f.path]}
    assert found == {
        ("a.parquet", "personal_column", "column 'respondent_email'"),
        ("b.parquet", "email", "column 'note', row 1"),
        ("c.csv", "phone", "line 2"),
        ("d.ipynb", "codice_fiscale", "output line 2"),
        ("e.xlsx", "phone", "sheet 'Sheet1', column 'contact', row 0"),
    }
    assert all("@" not in f.excerpt[2:-2] for f in scan_file(tmp_path / "b.parquet"))  # masked


def test_scan_command_fails_with_one_line_on_personal_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "leak.csv").write_text("who\nmario.rossi@azienda.it\n", encoding="utf-8")
    assert main(["-q", "scan", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{tmp_path / 'leak.csv'}: line 2: email ma******************it"]
    assert err.splitlines() == ["error: personal data found: 1 findings (email) in 1 files scanned"]
    (tmp_path / "leak.csv").write_text("who\nACME srl\n", encoding="utf-8")
    assert main(["-q", "scan", str(tmp_path)]) == 0


def test_scan_of_a_missing_path_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "nowhere")]) == 1
    assert capsys.readouterr().err.strip().endswith("no such file or folder to scan")


def test_default_targets_are_the_outputs() -> None:
    assert {p.name for p in default_targets()} <= {"processed", "reports", "notebooks"}


@pytest.mark.slow
def test_default_world_raw_exports_hold_personal_data_and_outputs_none(built_world) -> None:
    """The simulated survey exports carry respondents' e-mails and phones; nothing the build writes does,
    nor do the committed notebooks' outputs or the report tables."""
    root, _ = built_world
    raw_findings, _ = scan([root / "raw"])
    assert {f.kind for f in raw_findings} == {"email", "phone"}
    findings, n_files = scan([root / "processed", REPO / "notebooks", REPO / "reports" / "tables"])
    assert n_files >= 8
    assert findings == [], [f.line() for f in findings[:5]]
