"""The build: accounting identity, linkage quality against the simulator's truth, determinism, errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from stdnum.it import iva

from channelstudy.build import BuildConfig, build
from channelstudy.build.link import pairwise_quality
from channelstudy.catalog.schemas import SCHEMAS
from channelstudy.errors import ManifestError
from channelstudy.vocabulary import REJECT_REASONS


@pytest.fixture(scope="module")
def default_build(built_world):
    """The default simulated world, built (shared session fixture)."""
    return built_world


def _raw_row_counts(raw: Path) -> dict[str, int]:
    """Data rows of every raw file, counted without the code under test."""
    manifest = yaml.safe_load((raw / "sources.yml").read_text(encoding="utf-8"))
    counts = {}
    for spec in manifest["sources"]:
        path = raw / spec["path"]
        if spec["format"] == "csv":
            counts[spec["name"]] = len(
                pd.read_csv(
                    path,
                    sep=spec.get("delimiter", ","),
                    dtype=str,
                    encoding=spec.get("encoding", "utf-8"),
                    keep_default_na=False,
                )
            )
        elif spec["format"] == "xlsx":
            counts[spec["name"]] = len(
                pd.read_excel(path, sheet_name=spec["sheet"], dtype=str, engine="openpyxl")
            )
        else:
            counts[spec["name"]] = len(json.loads(path.read_text(encoding="utf-8"))[spec["record_path"]])
    return counts


def test_every_raw_row_is_used_or_rejected(default_build) -> None:
    root, result = default_build
    counts = _raw_row_counts(root / "raw")
    report = result.report["sources"]
    assert set(report) == set(counts)
    for name, n in counts.items():
        s = report[name]
        assert s["rows_read"] == n, name
        assert s["rows_used"] + s["rows_rejected"] == n, name
    links = result.tables["links"]
    assert len(links) == sum(counts.values())
    assert not links.duplicated(["source", "row_number"]).any()
    assert set(result.tables["rejects"]["reason"]) <= set(REJECT_REASONS)


def test_linkage_quality_against_truth(default_build) -> None:
    root, result = default_build
    truth = pd.read_parquet(root / "truth" / "records.parquet")
    joined = result.tables["links"].merge(truth, on=["source", "row_number"], validate="one_to_one")
    assert len(joined) == len(truth)
    quality = pairwise_quality(joined["firm_id"], joined["firm_key"])
    # measured on the default world: precision 0.99981, recall 0.99905
    assert quality["precision"] >= 0.9995 and quality["recall"] >= 0.998, quality


def test_firm_attributes_recover_truth(default_build) -> None:
    root, result = default_build
    firms = result.tables["firms"]
    assert firms["vat"].dropna().map(iva.is_valid).all()
    truth_records = pd.read_parquet(root / "truth" / "records.parquet")
    truth_firms = pd.read_parquet(root / "truth" / "firms.parquet")
    key_of = (
        result.tables["links"]
        .merge(truth_records, on=["source", "row_number"])
        .groupby("firm_id")["firm_key"]
        .agg(lambda s: s.mode().iloc[0])
    )
    both = firms.set_index("firm_id").join(key_of).merge(truth_firms, on="firm_key", suffixes=("", "_true"))
    # shares measured on the default world in the comments
    assert (both["macro_area"] == both["macro_area_true"]).mean() > 0.999  # 1.000
    assert (both["province"] == both["province_true"]).mean() > 0.999  # 1.000
    has_vat = both["vat"].notna()
    assert (both.loc[has_vat, "vat"] == both.loc[has_vat, "vat_true"]).mean() > 0.9995  # 0.99993
    known = both["ateco_2025"].notna() & (both["ateco_2025"].str.len() == 5)
    assert (both.loc[known, "ateco_2025"] == both.loc[known, "ateco_2025_true"]).mean() > 0.999  # 1.000
    declared = both["partner_type"].notna()
    assert (both.loc[declared, "partner_type"] == both.loc[declared, "partner_type_true"]).mean() > 0.975  # 0.9826
    emp = both["employees"].notna()
    assert (both.loc[emp, "employees"] == both.loc[emp, "employees_true"]).mean() > 0.999  # 1.000


def test_survey_is_typed_deduplicated_and_without_personal_data(default_build) -> None:
    root, result = default_build
    survey = result.tables["survey"]
    assert not survey.duplicated(["firm_id", "wave"]).any()
    assert not {"respondent_name", "respondent_email", "respondent_phone"} & set(survey.columns)
    mix = survey[[c for c in survey.columns if c.startswith("mix_")]].dropna()
    assert ((mix.sum(axis=1) - 1).abs() < 1e-9).all()
    emails = pd.read_csv(root / "raw" / "survey_2021.csv", sep=";", dtype=str)["Email referente"].head(50)
    for path in (root / "processed").iterdir():
        data = path.read_bytes()
        assert not any(e.encode() in data for e in emails), path.name
    rejected = result.tables["rejects"]
    assert (rejected["reason"] == "duplicate_response").sum() > 0


def test_rebuild_is_byte_identical(default_build, tmp_path: Path) -> None:
    root, _ = default_build
    build(root / "raw", tmp_path / "again")
    for path in sorted((root / "processed").iterdir()):
        again = tmp_path / "again" / path.name
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest(), (
            path.name
        )


def test_codebook_documents_every_column(default_build) -> None:
    root, _ = default_build
    codebook = (root / "processed" / "CODEBOOK.md").read_text(encoding="utf-8")
    for name, schema in SCHEMAS.items():
        assert f"`{name}.parquet`" in codebook
        for column in schema.columns:
            assert f"| `{column}` |" in codebook, (name, column)
    for reason in REJECT_REASONS:
        assert f"`{reason}`" in codebook


# --- small hand-made inputs ---------------------------------------------------------------------

DIRECTORY = (
    "Codice;Ragione sociale;Partita IVA;Comune;Provincia;Fatturato (EUR)\r\n"
    "A1;Rossi Informatica S.r.l.;IT 00743110157;Milano;MI;1.234.567,89\r\n"
    "A2;ROSSI INFORMATICA SRL;;milano;MI;\r\n"
    ";;;;;\r\n"
    "A4;;;Napoli;NA;10\r\n"
    "A5;Bianchi Sistemi Snc;00743110158;Napoli;NA;2,5\r\n"
)
SURVEY = (
    "id,azienda,piva,comune,provincia,submitted,% hw,% sw,% serv,% ip,% cloud,% managed,dso\r\n"
    "S1,Rossi Informatica srl,00743110157,Milano,MI,01/03/2023,50,50,0,0,0,0,90\r\n"
    "S2,Rossi Informatica s.r.l.,,Milano,MI,05/03/2023,40,40,20,0,0,0,80\r\n"
    "S3,Bianchi Sistemi,,Napoli,NA,02/03/2023,10,10,10,10,10,10,30\r\n"
)


def _small_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "dir.csv").write_bytes(DIRECTORY.encode("cp1252"))
    (raw / "survey.csv").write_text(SURVEY, encoding="utf-8")
    manifest = {
        "sources": [
            {
                "name": "dir",
                "kind": "directory",
                "path": "dir.csv",
                "encoding": "cp1252",
                "delimiter": ";",
                "decimal": ",",
                "columns": {
                    "record_id": "Codice",
                    "name": "Ragione sociale",
                    "vat": "Partita IVA",
                    "comune": "Comune",
                    "province": "Provincia",
                    "revenue_eur": "Fatturato (EUR)",
                },
            },
            {
                "name": "wave23",
                "kind": "survey",
                "path": "survey.csv",
                "wave": 2023,
                "columns": {
                    "record_id": "id",
                    "name": "azienda",
                    "vat": "piva",
                    "comune": "comune",
                    "province": "provincia",
                    "submitted": "submitted",
                    "mix_hw_resale": "% hw",
                    "mix_sw_resale": "% sw",
                    "mix_services": "% serv",
                    "mix_own_ip": "% ip",
                    "mix_cloud_subs": "% cloud",
                    "mix_managed": "% managed",
                    "dso_days": "dso",
                },
            },
        ]
    }
    (raw / "sources.yml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return raw


def test_bad_rows_are_rejected_with_reasons(tmp_path: Path) -> None:
    result = build(_small_raw(tmp_path), tmp_path / "out")
    rejects = result.tables["rejects"].set_index(["source", "row_number"])["reason"]
    assert rejects[("dir", 3)] == "blank_row"
    assert rejects[("dir", 4)] == "no_identity"
    assert rejects[("wave23", 1)] == "duplicate_response"  # S2, submitted later, is kept
    report = result.report["sources"]
    assert report["dir"] == {
        **report["dir"],
        "rows_read": 5,
        "rows_used": 3,
        "rows_rejected": 2,
        "balanced": True,
    }
    assert report["wave23"]["rows_read"] == 3 and report["wave23"]["rows_used"] == 2
    firms = result.tables["firms"].assign(key=lambda d: d["name"].str.upper()).set_index("key")
    assert len(firms) == 2, firms
    rossi = firms.filter(like="ROSSI", axis=0).iloc[0]
    assert rossi["vat"] == "00743110157" and rossi["province"] == "MI" and rossi["n_records"] == 4
    assert rossi["revenue_eur"] == pytest.approx(1_234_567.89)
    bianchi = firms.filter(like="BIANCHI", axis=0).iloc[0]
    assert pd.isna(bianchi["vat"]), "an invalid check digit is never passed as valid"
    assert bianchi["province"] == "NA" and bianchi["region"] == "Campania"
    survey = result.tables["survey"].set_index("record_id")
    assert survey.loc["S2", "mix_services"] == pytest.approx(0.2)
    assert pd.isna(survey.loc["S3", "mix_hw_resale"])
    assert "mix_sum_out_of_tolerance" in survey.loc["S3", "quality_flags"]
    assert survey.loc["S2", "dso_days"] == 80


def _run_build(raw: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "channelstudy", "build", "--raw", str(raw), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda m: m["sources"][0].update(kind="catalogue"), ["'dir'", "kind"]),
        (lambda m: m["sources"][0].update(path="missing.csv"), ["'dir'", "missing.csv"]),
        (lambda m: m["sources"][0].update(path="../outside.csv"), ["'dir'", "outside"]),
        (
            lambda m: m["sources"][1]["columns"].update(vat="Partita IVA"),
            ["'wave23'", "'vat'", "Partita IVA"],
        ),
    ],
    ids=["unknown-kind", "missing-file", "path-outside", "header-absent"],
)
def test_manifest_errors_stop_the_build_with_one_line(tmp_path: Path, edit, expected) -> None:
    raw = _small_raw(tmp_path)
    (tmp_path / "outside.csv").write_text("a\n1\n")
    manifest = yaml.safe_load((raw / "sources.yml").read_text())
    edit(manifest)
    (raw / "sources.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    with pytest.raises(ManifestError):
        build(raw, tmp_path / "out")
    result = _run_build(raw, tmp_path / "out")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert not (tmp_path / "out" / "firms.parquet").exists()


def test_build_config_is_validated() -> None:
    with pytest.raises(ValueError, match="mix_tolerance"):
        BuildConfig(mix_tolerance=0.9)
