"""Presets of sources.yml (channelstudy.sources.presets): registry, merging, decoders, and builds of the real files.

The real-file tests build each real source through a temporary raw folder with a three-line
manifest and compare the outputs with figures computed here from the raw file with plain
pandas / csv / gzip parsing (and python-stdnum for check digits), not with the code under test.
They skip with a reason when ``../shared/realdata`` (or ``$CHANNELSTUDY_REALDATA``) is absent.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import yaml
from stdnum.it import iva

from channelstudy.build import BuildResult, build
from channelstudy.build.records import clean_directory, decode_fields
from channelstudy.clean import classes
from channelstudy.errors import ManifestError
from channelstudy.fields import SOURCE_KINDS, field_names
from channelstudy.sources import presets
from channelstudy.sources.checks import known_presets
from channelstudy.sources.manifest import load_manifest
from channelstudy.sources.readers import read_source
from channelstudy.sources.specs import OPTION_KEYS, PRESET_KEYS

# --- helpers ---------------------------------------------------------------------------------


def write_manifest(folder: Path, *sources: dict[str, Any]) -> Path:
    path = folder / "sources.yml"
    path.write_text(yaml.safe_dump({"sources": list(sources)}, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def manifest_error(folder: Path, *sources: dict[str, Any]) -> str:
    with pytest.raises(ManifestError) as info:
        load_manifest(write_manifest(folder, *sources))
    message = str(info.value)
    assert "\n" not in message
    return message


ANAC_HEADER = ["comune", "provincia", "CIG", "denominazione", "codice_fiscale", "importo_aggiudicazione"]


def write_anac_like(folder: Path, rows: list[list[str]], name: str = "aggiudicatori.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ANAC_HEADER)
        writer.writerows(rows)
    return path


# --- the registry (no real data needed) ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(presets.PRESETS))
def test_every_builtin_preset_is_valid(name: str) -> None:
    preset = presets.PRESETS[name]
    assert set(preset) <= set(PRESET_KEYS)
    assert preset["kind"] in SOURCE_KINDS
    fields = set(field_names(preset["kind"]))
    assert set(preset.get("columns", {})) <= fields, "column fields must be canonical for the preset's kind"
    options = preset.get("options", {})
    assert set(options) <= set(OPTION_KEYS)
    for field, decoder in options.get("decoders", {}).items():
        assert field in preset["columns"], f"decoder for unmapped field {field}"
        assert decoder in classes.DECODERS


def test_issue_presets_are_registered() -> None:
    assert {"infocamere_startups", "infocamere_startups_2025", "anac_awardees", "eurostat_tsv"} <= set(known_presets())


@pytest.mark.parametrize(("name", "path"), [("infocamere_startups", "startup.xls"),
                                            ("infocamere_startups_2025", "startups.csv"),
                                            ("anac_awardees", "aggiudicatori.csv"),
                                            ("eurostat_tsv", "estat_x.tsv.gz")])
def test_a_three_line_source_loads_without_files(tmp_path: Path, name: str, path: str) -> None:
    spec = load_manifest(write_manifest(tmp_path, {"name": "s", "preset": name, "path": path}),
                         check_files=False).sources[0]
    assert spec.preset == name
    assert spec.kind == presets.PRESETS[name]["kind"]
    assert spec.headers == presets.PRESETS[name].get("columns", {})


def test_source_keys_override_the_preset(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Ragione;codice_fiscale;Prov\nAlfa Srl;00743110157;MI\n", encoding="utf-8")
    spec = load_manifest(write_manifest(tmp_path, {
        "name": "a", "kind": "directory", "preset": "anac_awardees", "path": "a.csv",
        "delimiter": ";",  # overrides the preset's ","
        "columns": {"name": "Ragione", "province": "Prov"},  # replaces one mapping, adds another
        "options": {"dedupe_by_name": False},  # overrides one option, keeps the others
    })).sources[0]
    assert spec.delimiter == ";"
    assert spec.headers == {"name": "Ragione", "tax_code": "codice_fiscale", "province": "Prov"}
    assert spec.options.dedupe_by_name is False
    assert spec.options.blank_reason == "no_awardee"


def test_source_can_drop_a_preset_decoder_and_mapping(tmp_path: Path) -> None:
    spec = load_manifest(write_manifest(tmp_path, {
        "name": "s", "preset": "infocamere_startups", "path": "startup.xls",
        "columns": {"website": None, "founded": None},
        "options": {"decoders": {"capital_class": None}, "ateco_edition": 2007},
    }), check_files=False).sources[0]
    assert "website" not in spec.headers
    assert set(spec.options.decoders) == {"employees_class", "production_class"}  # founded unmapped: dropped
    assert spec.options.ateco_edition == "2007"
    assert spec.options.ateco_zeros_stripped is True


def test_unknown_preset_names_the_closest(tmp_path: Path) -> None:
    message = manifest_error(tmp_path, {"name": "s", "kind": "directory", "preset": "infocamere_startup",
                                        "path": "startup.xls"})
    assert message.startswith("sources.yml: source 's', key 'preset': unknown preset 'infocamere_startup'; "
                              "did you mean 'infocamere_startups'?")
    assert "anac_awardees" in message


def test_a_kind_contradicting_the_preset_is_refused(tmp_path: Path) -> None:
    message = manifest_error(tmp_path, {"name": "s", "kind": "survey", "preset": "anac_awardees",
                                        "path": "aggiudicatori.csv"})
    assert "key 'kind': preset 'anac_awardees' is for 'directory' sources, not 'survey'" in message


@pytest.mark.parametrize(("options", "expected"), [
    ({"ateco_editon": "2007"}, "unknown option 'ateco_editon'; did you mean 'ateco_edition'?"),
    ({"ateco_edition": "2010"}, "options.ateco_edition must be one of 2007, 2022, 2025"),
    ({"decoders": {"employees_class": "startup_employees"}}, "unknown decoder 'startup_employees'"),
    ({"decoders": {"staff": "date_year"}}, "field 'staff': unknown field for kind 'directory'"),
    ({"blank_reason": "empty"}, "options.blank_reason must be one of blank_row, no_awardee"),
    ({"dedupe_by_name": "yes"}, "options.dedupe_by_name must be true or false"),
])
def test_bad_options_stop_with_one_line(tmp_path: Path, options: dict, expected: str) -> None:
    write_anac_like(tmp_path, [])
    message = manifest_error(tmp_path, {"name": "a", "preset": "anac_awardees", "path": "aggiudicatori.csv",
                                        "columns": {"employees_class": "CIG"}, "options": options})
    assert expected in message


def test_statistics_sources_map_nothing_and_need_their_format(tmp_path: Path) -> None:
    (tmp_path / "x.tsv").write_text("freq,geo\\TIME_PERIOD\t2021 \nA,IT\t1 \n", encoding="utf-8")
    (tmp_path / "x.csv").write_text("a\n1\n", encoding="utf-8")
    assert "maps no fields" in manifest_error(tmp_path, {"name": "c", "preset": "eurostat_tsv", "path": "x.tsv",
                                                         "columns": {"name": "geo"}})
    assert "kind 'statistics' reads eurostat_tsv files, not csv" in manifest_error(
        tmp_path, {"name": "c", "kind": "statistics", "path": "x.csv"})


# --- decoders ------------------------------------------------------------------------------


def test_class_decoders_read_letters_and_legend_texts() -> None:
    employees = classes.DECODERS["startup_employee_class"](pd.Series(["A", "f", " 5-9 ", "", "Z"]))
    assert employees["value"].tolist()[:3] == ["0-4", "250+", "5-9"]
    assert employees["value"].isna().tolist()[3:] == [True, True]
    assert employees["flag"].fillna("").tolist() == ["", "", "", "", "unknown"]
    production = classes.DECODERS["startup_production_class"](pd.Series(["H", "100.001 - 500.000 euro"]))
    assert production["value"].tolist() == ["50M+", "100k-500k"]
    capital = classes.DECODERS["startup_capital_class"](pd.Series(["1", "11", "Da 1 fino a 5mila euro", "1 euro"]))
    assert capital["value"].tolist() == ["1", "5M+", "1-5k", "1"]


def test_employees_come_from_the_class_midpoint() -> None:
    midpoints = classes.class_midpoints(pd.Series(["0-4", "5-9", "10-19", "20-49", "50-249", "250+", None]))
    assert midpoints.tolist()[:6] == [2.0, 7.0, 14.5, 34.5, 149.5, 250.0]
    assert midpoints.isna().iloc[6]


def test_date_year_and_nan_province() -> None:
    assert classes.DECODERS["date_year"](pd.Series(["28/07/2011"]))["value"].tolist() == ["2011"]
    out = classes.DECODERS["province_nan_napoli"](pd.Series(["NAN", "NA", "MI"]))
    assert out["value"].tolist() == ["NA", "NA", "MI"]
    assert out["flag"].fillna("").tolist() == ["repaired", "", ""]


# --- small builds (no real data needed) ---------------------------------------------------------


def test_awards_without_awardee_are_rejected_even_at_the_end_of_the_file(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_anac_like(raw, [
        ["Dalmine", "BG", "B1", "MAGGIOLI S.P.A.", "06188330150", "100.0"],
        ["Formicola", "CE", "", "", "", ""],
        ["Aci", "CT", "B2", "STUDIOSIT SA", "CHE-304.924.695", "10.0"],
        ["Bari", "BA", "B3", "STUDIOSIT SA", "00304324695", "20.0"],
        ["Milano", "MI", "B4", "MAGGIOLI SPA", "06188330150", "30.0"],
        ["Roma", "RM", "", "", "", ""],
        ["Torino", "TO", "", "", "", ""],
    ])
    write_manifest(raw, {"name": "anac", "kind": "directory", "preset": "anac_awardees", "path": "aggiudicatori.csv"})
    result = build(raw, tmp_path / "out")
    report = result.report["sources"]["anac"]
    assert (report["rows_read"], report["rows_used"], report["rows_rejected"]) == (7, 4, 3)
    assert report["rejected_by_reason"] == {"no_awardee": 3}
    assert report["balanced"]
    firms = result.tables["firms"]
    assert len(firms) == 2  # Maggioli by identifier, STUDIOSIT by name (no valid Italian VAT)
    assert firms["province"].isna().all()  # the buyer's province is not the awardee's
    studiosit = firms[firms["name"].str.startswith("STUDIOSIT")]
    assert studiosit["vat"].isna().all() and studiosit["n_records"].tolist() == [2]


EUROSTAT_TSV = (
    "freq,unit,geo\\TIME_PERIOD\t2021 \t2023 \n"
    "A,PC_ENT,FR\t29.35 \t26.76 b\n"
    "A,PC_ENT,IT\t: \t: @C\n"
    "A,PC_ENT,MT\t: \t: \n"
)


def test_statistics_source_is_written_tidy_with_its_accounting(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    with gzip.open(raw / "estat_x.tsv.gz", "wt", encoding="utf-8") as handle:
        handle.write(EUROSTAT_TSV)
    write_manifest(raw, {"name": "cloud", "preset": "eurostat_tsv", "path": "estat_x.tsv.gz"})
    result = build(raw, tmp_path / "out")
    table = pd.read_parquet(tmp_path / "out" / "statistics_cloud.parquet")
    assert list(table.columns) == ["source", "row_number", "freq", "unit", "geo", "time", "value", "flag"]
    assert table[["geo", "time"]].to_numpy().tolist() == [["FR", 2021], ["FR", 2023], ["IT", 2023]]
    assert table["flag"].fillna("").tolist() == ["", "b", "c"]
    report = result.report["sources"]["cloud"]
    assert (report["rows_read"], report["rows_used"], report["rows_rejected"], report["observations"]) == (3, 2, 1, 3)
    rejects = result.tables["rejects"]
    assert rejects[["record_id", "reason"]].to_numpy().tolist() == [["A,PC_ENT,MT", "no_observations"]]
    assert len(result.tables["firms"]) == 0
    assert "statistics_<source>.parquet" in (tmp_path / "out" / "CODEBOOK.md").read_text(encoding="utf-8")


def test_sheet_pattern_picks_the_one_matching_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "riepilogo"
    book.active.append(["Regione", "n"])
    sheet = book.create_sheet("STARTUP_19052025")
    sheet.append(["denominazione", "codice fiscale"])
    sheet.append(["ALFA S.R.L.", "00743110157"])
    book.save(tmp_path / "startup.xlsx")
    source = {"name": "s", "preset": "infocamere_startups", "path": "startup.xlsx",
              "columns": {k: None for k in presets.PRESETS["infocamere_startups"]["columns"]
                          if k not in ("name", "tax_code")}}
    spec = load_manifest(write_manifest(tmp_path, source)).sources[0]
    assert read_source(spec)["name"].tolist() == ["ALFA S.R.L."]
    message = manifest_error(tmp_path, {**source, "sheet": "STARTUPS_*"})
    assert "key 'sheet': pattern 'STARTUPS_*' matches no sheet of startup.xlsx" in message


# --- real files -------------------------------------------------------------------------------


def build_real(root: Path, real: Path, *sources: dict[str, Any]) -> BuildResult:
    """Copy the real files into ``root/raw`` (symlinks out of the folder are refused) and build."""
    raw = root / "raw"
    raw.mkdir(parents=True)
    for source in sources:
        shutil.copyfile(real / source.pop("from"), raw / source["path"])
    write_manifest(raw, *sources)
    return build(raw, root / "out")


def firm_of_rows(result: BuildResult, source: str) -> pd.DataFrame:
    """Per raw data row of ``source``: its firm's attributes (row_number, firm_id, vat, province, ...)."""
    links = result.tables["links"]
    links = links[links["source"] == source][["row_number", "firm_id"]]
    return links.merge(result.tables["firms"], on="firm_id", how="left")


@pytest.fixture(scope="module")
def startups_2017(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, BuildResult]:
    raw = pd.read_excel(realdata / "infocamere_startup_2017" / "startup.xls", sheet_name="STARTUP_01052017",
                        dtype=str, engine="calamine", keep_default_na=False, header=None)
    # python-calamine decodes this file's strings as UTF-16 bytes one per character: drop the NULs
    raw = raw.map(lambda v: v.replace("\x00", "") if isinstance(v, str) else v)
    raw.columns = raw.iloc[0]
    raw = raw.iloc[1:].reset_index(drop=True)
    raw.insert(0, "row_number", range(1, len(raw) + 1))
    result = build_real(tmp_path_factory.mktemp("startups2017"), realdata,
                        {"name": "startups2017", "kind": "directory", "preset": "infocamere_startups",
                         "path": "startup.xls", "from": "infocamere_startup_2017/startup.xls"})
    return raw, result


def test_startups_2017_every_row_is_a_firm(startups_2017) -> None:
    raw, result = startups_2017
    report = result.report["sources"]["startups2017"]
    assert len(raw) == 7045
    assert (report["rows_read"], report["rows_used"], report["rows_rejected"]) == (len(raw), len(raw), 0)
    codes = raw["codice fiscale"]
    assert codes.map(iva.is_valid).all()
    firms = result.tables["firms"]
    assert len(firms) == codes.nunique() == 7045
    assert set(firms["vat"]) == set(codes)
    assert report["cleaning"]["vat"] == {"piva": 7045}


def test_startups_2017_old_province_sigle_are_current(startups_2017) -> None:
    raw, result = startups_2017
    rows = firm_of_rows(result, "startups2017").merge(raw[["row_number", "pv"]], on="row_number")
    assert (rows["pv"] == "FO").sum() == 58 and (rows["pv"] == "PS").sum() == 48
    assert set(rows.loc[rows["pv"] == "FO", "province"]) == {"FC"}
    assert set(rows.loc[rows["pv"] == "PS", "province"]) == {"PU"}
    assert not result.tables["firms"]["province"].isin(["FO", "PS"]).any()
    same = rows[~rows["pv"].isin(["FO", "PS"])]
    assert (same["province"] == same["pv"]).mean() > 0.99  # the rest keep theirs (but comuni moved since)


def test_startups_2017_regions_match_the_summary_sheet(startups_2017, realdata: Path) -> None:
    summary = pd.read_excel(realdata / "infocamere_startup_2017" / "startup.xls", sheet_name="riepilogo",
                            header=None, engine="calamine")
    summary = summary.map(lambda v: v.replace("\x00", "") if isinstance(v, str) else v)
    # region in column C, count in column F (PROVENANCE.md)
    counts = {str(region).strip(): n for region, n in zip(summary[2], summary[5], strict=True)
              if isinstance(n, int | float)}
    _, result = startups_2017
    regions = result.tables["firms"]["region"].str.upper().str.replace("/", "-").value_counts()
    assert counts["ITALIA"] == 7045
    assert regions["LOMBARDIA"] == counts["LOMBARDIA"] == 1604
    assert regions["LAZIO"] == counts["LAZIO"]


def test_startups_2017_legal_forms_come_from_nat_giuridica(startups_2017) -> None:
    raw, result = startups_2017
    spelled = {
        "SOCIETA' A RESPONSABILITA' LIMITATA": "SRL",
        "SOCIETA' A RESPONSABILITA' LIMITATA CON UNICO SOCIO": "SRL",
        "SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA": "SRLS",
        "SOCIETA' COOPERATIVA": "COOP",
        "SOCIETA' PER AZIONI": "SPA",
    }
    expected = raw["nat.giuridica"].str.strip().map(spelled).value_counts()
    assert expected.to_dict() == {"SRL": 5874, "SRLS": 970, "COOP": 126, "SPA": 62}
    got = result.tables["firms"]["legal_form"].value_counts()
    for form, n in expected.items():
        assert got[form] == n, form


def test_startups_2017_ateco_2007_codes_reach_2025(startups_2017) -> None:
    raw, result = startups_2017
    rows = firm_of_rows(result, "startups2017").merge(raw[["row_number", "ateco 2007"]], on="row_number")
    software = rows[rows["ateco 2007"] == "6201"]
    assert len(software) == 1360
    assert set(software["ateco_2025"]) == {"62.10"}  # 62.01 production of software -> 62.10 programming
    assert rows.loc[rows["ateco 2007"] == "NC", "ateco_2025"].isna().all()
    assert result.report["sources"]["startups2017"]["cleaning"]["ateco"]["not_classified"] == (
        raw["ateco 2007"] == "NC").sum() == 26


def test_startups_2017_classes_are_decoded_to_ranges(startups_2017) -> None:
    raw, result = startups_2017
    rows = firm_of_rows(result, "startups2017").merge(raw, on="row_number")
    letters = {"A": ("0-4", 2.0), "B": ("5-9", 7.0), "C": ("10-19", 14.5), "D": ("20-49", 34.5),
               "E": ("50-249", 149.5)}
    column = "classe di addetti ultimo anno (2)"
    for letter, (label, midpoint) in letters.items():
        these = rows[rows[column] == letter]
        assert set(these["employees_class"]) == {label}
        assert set(these["employees"].astype(float)) == {midpoint}
    assert rows.loc[rows[column] == "", "employees"].isna().all()
    production = rows["classe di produzione ultimo anno (1)"]
    assert set(rows.loc[production == "A", "production_class"]) == {"0-100k"}
    capital = rows["classe di capitale (3)"]
    assert set(rows.loc[capital == "1", "capital_class"]) == {"1"}
    assert set(rows.loc[capital == "11", "capital_class"]) == {"5M+"}
    assert (rows["size_class"] == "micro").sum() == raw[column].isin(["A", "B"]).sum()


@pytest.fixture(scope="module")
def startups_2025(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, BuildResult]:
    folder = "startup_registry_2025_derived"
    raw = pd.read_csv(realdata / folder / "fact_startup_registry.csv", dtype=str, keep_default_na=False)
    raw.insert(0, "row_number", range(1, len(raw) + 1))
    result = build_real(tmp_path_factory.mktemp("startups2025"), realdata,
                        {"name": "startups2025", "preset": "infocamere_startups_2025", "path": "startups.csv",
                         "from": f"{folder}/fact_startup_registry.csv"})
    return raw, result


def test_startups_2025_every_row_is_used(startups_2025) -> None:
    raw, result = startups_2025
    report = result.report["sources"]["startups2025"]
    assert len(raw) == 12292
    assert (report["rows_read"], report["rows_used"], report["rows_rejected"]) == (12292, 12292, 0)
    assert report["cleaning"]["vat"] == {"missing": 12292}  # the derivative has no codice fiscale
    firms = result.tables["firms"]
    assert firms["vat"].isna().all()
    assert len(firms) <= len(raw) - raw.duplicated(["Denominazione", "Provincia"]).sum()


def test_startups_2025_ateco_2025_codes_are_read_as_2025(startups_2025) -> None:
    raw, result = startups_2025
    manifest = load_manifest(result.out_dir.parent / "raw")
    spec = manifest.get("startups2025")
    frame, _ = decode_fields(read_source(spec), spec)
    cleaned = clean_directory(frame, spec).merge(raw[["row_number", "AtecoCode"]], on="row_number")
    programming = cleaned[cleaned["AtecoCode"] == "621000"]
    assert len(programming) == 4404
    assert set(programming["ateco_2025"]) == {"62.10.00"}
    rows = firm_of_rows(result, "startups2025").merge(raw[["row_number", "AtecoCode"]], on="row_number")
    single = rows[rows["n_records"] == 1]
    assert set(single.loc[single["AtecoCode"] == "621000", "ateco_2025"]) == {"62.10"}


def test_startups_2025_nan_province_is_napoli(startups_2025) -> None:
    raw, result = startups_2025
    rows = firm_of_rows(result, "startups2025").merge(raw[["row_number", "Provincia", "Regione"]], on="row_number")
    nan = rows[rows["Provincia"] == "NAN"]
    assert len(nan) == 846 and set(nan["Regione"]) == {"CAMPANIA"}
    assert set(nan["province"]) == {"NA"}
    assert result.report["sources"]["startups2025"]["cleaning"]["decoded"]["province"]["repaired"] == 846
    milan = rows[rows["Provincia"] == "MI"]
    assert len(milan) == 2484 and set(milan["province"]) == {"MI"}


@pytest.fixture(scope="module")
def anac(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, BuildResult]:
    path = realdata / "anac_pnrr_anncsu_suppliers" / "aggiudicatori.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        raw = pd.DataFrame(list(csv.DictReader(handle)))
    raw.insert(0, "row_number", range(1, len(raw) + 1))
    result = build_real(tmp_path_factory.mktemp("anac"), realdata,
                        {"name": "anac", "kind": "directory", "preset": "anac_awardees", "path": "aggiudicatori.csv",
                         "from": "anac_pnrr_anncsu_suppliers/aggiudicatori.csv"})
    return raw, result


def test_anac_rows_read_are_used_or_rejected_as_no_awardee(anac) -> None:
    raw, result = anac
    report = result.report["sources"]["anac"]
    without = ((raw["denominazione"].str.strip() == "") & (raw["codice_fiscale"].str.strip() == "")).sum()
    assert len(raw) == 5764 and without == 4967
    assert (report["rows_read"], report["rows_used"], report["rows_rejected"]) == (5764, 5764 - without, without)
    assert report["rejected_by_reason"] == {"no_awardee": int(without)}
    assert report["rows_used"] == 797


def test_anac_awardees_are_deduplicated_into_suppliers(anac) -> None:
    raw, result = anac
    ids = raw.loc[raw["codice_fiscale"] != "", "codice_fiscale"]
    valid = set(ids[ids.map(iva.is_valid)])
    firms = result.tables["firms"]
    assert set(firms["vat"].dropna()) == valid  # the 12-digit 005952700420 adds none: its repair is known
    assert "00595270042" in valid
    rows = firm_of_rows(result, "anac").merge(raw, on="row_number")
    assert rows.groupby("codice_fiscale")["firm_id"].nunique().max() == 1
    studiosit = rows[rows["denominazione"] == "STUDIOSIT SA"]
    assert len(studiosit) == 20 and studiosit["firm_id"].nunique() == 1
    assert studiosit["vat"].isna().all()  # Swiss: no Italian VAT, whatever the spelling
    design = rows[rows["codice_fiscale"].isin(["00595270042", "005952700420"])]
    assert design["firm_id"].nunique() == 1 and set(design["vat"]) == {"00595270042"}
    maggioli = rows[rows["codice_fiscale"] == "06188330150"]
    assert len(maggioli) == 103 and maggioli["n_records"].unique().tolist() == [103]
    assert firms["province"].isna().all()


def test_anac_foreign_and_personal_codes_get_no_italian_vat(anac) -> None:
    raw, result = anac
    rows = firm_of_rows(result, "anac").merge(raw, on="row_number")
    code = rows["codice_fiscale"].str.upper()
    foreign = code.str.fullmatch(r"CHE?[-.\d]+")
    personal = code.str.fullmatch(r"[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]")
    assert foreign.sum() == 17 and personal.sum() == 7  # Swiss spellings of STUDIOSIT; sole traders
    assert rows.loc[foreign, "vat"].isna().all()
    # a personal code never becomes a VAT; its firm has one only when another of its records brings it
    # (TECNOSYS ITALIA SRL: two rows with a person's code, linked by name to the firm's own rows)
    valid_of_firm = rows[rows["codice_fiscale"].map(iva.is_valid)].groupby("firm_id")["codice_fiscale"].agg(set)
    with_vat = rows[personal & rows["vat"].notna()]
    assert all(v in valid_of_firm.get(f, set()) for f, v in zip(with_vat["firm_id"], with_vat["vat"], strict=True))
    kinds = result.report["sources"]["anac"]["cleaning"]["vat"]
    assert kinds == {"piva": 769, "piva_extra_zero": 1, "cf_person": 7, "foreign_vat": 10, "invalid": 10}


@pytest.fixture(scope="module")
def eurostat(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[list[str]], BuildResult]:
    path = realdata / "eurostat_isoc_cicce_use" / "estat_isoc_cicce_use.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = [line.rstrip("\r\n").split("\t") for line in handle if line.strip()]
    result = build_real(tmp_path_factory.mktemp("eurostat"), realdata,
                        {"name": "cloud", "preset": "eurostat_tsv", "path": "estat_isoc_cicce_use.tsv.gz",
                         "from": "eurostat_isoc_cicce_use/estat_isoc_cicce_use.tsv.gz"})
    return lines, result


def test_eurostat_series_are_accounted_for(eurostat) -> None:
    lines, result = eurostat
    data = lines[1:]
    report = result.report["sources"]["cloud"]
    assert len(data) == 23479
    assert report["rows_read"] == len(data) == report["rows_used"] + report["rows_rejected"]
    kept = sum(cell.strip() != ":" for row in data for cell in row[1:])
    assert report["observations"] == kept
    table = pd.read_parquet(result.out_dir / "statistics_cloud.parquet")
    assert len(table) == kept
    assert list(table.columns[2:8]) == lines[0][0].split("\\")[0].split(",")


def test_eurostat_check_figures(eurostat) -> None:
    lines, result = eurostat
    table = pd.read_parquet(result.out_dir / "statistics_cloud.parquet")
    years = [h.strip() for h in lines[0][1:]]

    def raw_cell(key: str, year: str) -> str:
        row = next(r for r in lines if r[0] == key)
        return row[1 + years.index(year)].strip()

    def built(geo: str, year: int, size: str = "GE10") -> tuple[float, str]:
        hit = table[(table["indic_is"] == "E_CC") & (table["unit"] == "PC_ENT") & (table["size_emp"] == size)
                    & (table["geo"] == geo) & (table["time"] == year)]
        assert len(hit) == 1
        return float(hit["value"].iloc[0]), ("" if pd.isna(hit["flag"].iloc[0]) else hit["flag"].iloc[0])

    assert raw_cell("A,GE10,C10-S951_X_K,E_CC,PC_ENT,IT", "2025") == "75.60"
    assert built("IT", 2025) == (75.60, "")
    assert raw_cell("A,GE10,C10-S951_X_K,E_CC,PC_ENT,FR", "2023") == "26.76 b"
    assert built("FR", 2023) == (26.76, "b")
    assert built("IT", 2025, "10-49") == (74.13, "")
    assert built("EU27_2020", 2025) == (52.74, "")


def test_issue_example_manifest_builds_both_sources(startups_2017, anac, realdata: Path,
                                                   tmp_path: Path) -> None:
    result = build_real(tmp_path, realdata,
                        {"name": "startups2017", "kind": "directory", "preset": "infocamere_startups",
                         "path": "startup.xls", "from": "infocamere_startup_2017/startup.xls"},
                        {"name": "anac", "kind": "directory", "preset": "anac_awardees", "path": "aggiudicatori.csv",
                         "from": "anac_pnrr_anncsu_suppliers/aggiudicatori.csv"})
    assert all(s["balanced"] for s in result.report["sources"].values())
    raw17, _ = startups_2017
    raw_anac, _ = anac
    shared = set(raw17["codice fiscale"]) & set(raw_anac["codice_fiscale"])
    both = result.tables["firms"]["sources"] == "anac;startups2017"
    assert set(result.tables["firms"].loc[both, "vat"]) == shared
    report = json.loads((tmp_path / "out" / "build_report.json").read_text(encoding="utf-8"))
    assert report["sources"]["anac"]["preset"] == "anac_awardees"

