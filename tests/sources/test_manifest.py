"""Tests of channelstudy.sources.manifest: the sources.yml contract and its one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from channelstudy.errors import ManifestError
from channelstudy.fields import KINDS, field_names, required_fields
from channelstudy.sources import specs as manifest_module
from channelstudy.sources.headers import locate_columns, normalise_header
from channelstudy.sources.manifest import load_manifest
from channelstudy.sources.readers import check_headers, read_header, read_source
from channelstudy.sources.specs import ColumnSpec, Manifest, SourceSpec

HEADER = "Codice;Ragione sociale;Partita IVA;Provincia;Fatturato (EUR)\n"
ROW = "A1;Società Alfa S.r.l.;01234567890;NA;1.234,5\n"


def write_csv(folder: Path, name: str = "analyst_a.csv") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((HEADER + ROW).encode("cp1252"))
    return path


def base_source(**overrides: Any) -> dict[str, Any]:
    source: dict[str, Any] = {
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
            "revenue_eur": {"column": "Fatturato (EUR)", "scale": 1},
        },
    }
    source.update(overrides)
    return {k: v for k, v in source.items() if v is not DROP}


DROP = object()
"""Marker for base_source(key=DROP): leave the key out."""


def write_manifest(folder: Path, *sources: dict[str, Any]) -> Path:
    path = folder / "sources.yml"
    path.write_text(
        yaml.safe_dump({"sources": list(sources)}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


def manifest_error(folder: Path, *sources: dict[str, Any], check_files: bool = True) -> ManifestError:
    """The error loading these sources raises; it must be one line starting with the manifest name."""
    write_csv(folder)
    with pytest.raises(ManifestError) as info:
        load_manifest(write_manifest(folder, *sources), check_files=check_files)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith("sources.yml: "), message
    return info.value


# --- happy path ----------------------------------------------------------------------------


ISSUE_EXAMPLE = """\
sources:
  - name: analyst_a            # unique label, [a-z0-9_]+
    kind: directory            # directory | survey | vendor_roster | pipeline
    path: analyst_a.csv        # relative to the folder of sources.yml; must stay inside it
    format: csv                # csv | xlsx | xls | sav | json | parquet
    encoding: cp1252           # csv only; default utf-8
    delimiter: ";"             # csv only; default ","
    decimal: ","               # text numbers; default "."
    columns:                   # canonical field: source header, or {column: header, scale: k}
      record_id: Codice
      name: Ragione sociale
      vat: Partita IVA
      revenue_eur: {column: "Fatturato (M EUR)", scale: 1000000}
"""


def test_loads_the_issue_example(tmp_path: Path) -> None:
    (tmp_path / "analyst_a.csv").write_bytes(
        "Codice;Ragione sociale;Partita IVA;Fatturato (M EUR)\nA1;Società Alfa;01234567890;1,5\n".encode(
            "cp1252"
        )
    )
    (tmp_path / "sources.yml").write_text(ISSUE_EXAMPLE, encoding="utf-8")
    spec = load_manifest(tmp_path).get("analyst_a")  # a folder: finds its sources.yml
    assert (spec.kind, spec.format, spec.encoding, spec.delimiter, spec.decimal) == (
        "directory",
        "csv",
        "cp1252",
        ";",
        ",",
    )
    assert [c.field for c in spec.columns] == ["record_id", "name", "vat", "revenue_eur"]
    assert spec.scales == {"revenue_eur": 1_000_000.0}


def test_loads_a_valid_manifest(tmp_path: Path) -> None:
    write_csv(tmp_path)
    write_manifest(tmp_path, base_source())
    manifest = load_manifest(tmp_path)
    assert isinstance(manifest, Manifest)
    assert manifest.root == tmp_path.resolve()
    assert manifest.names == ("analyst_a",)
    spec = manifest.get("analyst_a")
    assert spec == SourceSpec(
        name="analyst_a",
        kind="directory",
        path=(tmp_path / "analyst_a.csv").resolve(),
        format="csv",
        encoding="cp1252",
        delimiter=";",
        decimal=",",
        columns=(
            ColumnSpec("record_id", "Codice"),
            ColumnSpec("name", "Ragione sociale"),
            ColumnSpec("vat", "Partita IVA"),
            ColumnSpec("revenue_eur", "Fatturato (EUR)", 1.0),
        ),
        origin=(tmp_path / "sources.yml").resolve(),
    )
    assert spec.scales == {"revenue_eur": 1.0}
    assert spec.headers["vat"] == "Partita IVA"


def test_defaults_and_inferred_format(tmp_path: Path) -> None:
    (tmp_path / "r.tsv").write_text("Nome\tVendor\nAlfa\tAcme\n", encoding="utf-8")
    (tmp_path / "s.json").write_text('[{"n": "Alfa"}]', encoding="utf-8")
    (tmp_path / "p.csv").write_text("Nome\nAlfa\n", encoding="utf-8")
    manifest = load_manifest(
        write_manifest(
            tmp_path,
            {
                "name": "r",
                "kind": "vendor_roster",
                "path": "r.tsv",
                "columns": {"name": "Nome", "vendor": "Vendor"},
            },
            {"name": "s", "kind": "survey", "path": "s.json", "wave": 2024, "columns": {"name": "n"}},
            {
                "name": "p",
                "kind": "pipeline",
                "path": "p.csv",
                "constants": {"deal_id": "D1"},
                "columns": {"name": "Nome"},
            },
        )
    )
    roster, survey, pipeline = manifest.sources
    assert (roster.format, roster.delimiter, roster.encoding, roster.decimal) == ("csv", "\t", "utf-8", ".")
    assert (survey.format, survey.wave, survey.sheet, survey.record_path) == ("json", 2024, None, None)
    assert survey.constant_values == {"wave": "2024"}
    assert (pipeline.format, pipeline.delimiter) == ("csv", ",")
    assert pipeline.constants == {"deal_id": "D1"}


def test_constants_become_text(tmp_path: Path) -> None:
    write_csv(tmp_path)
    source = base_source(
        kind="survey",
        columns={"name": "Ragione sociale"},
        constants={
            "language": "it",
            "submitted": "2023-05-02",
            "n_platforms": 3,
            "cosell": True,
            "certifications": ["cloud", "ai"],
        },
    )
    path = write_manifest(tmp_path, source)
    path.write_text(path.read_text(encoding="utf-8").replace("'2023-05-02'", "2023-05-02"), encoding="utf-8")
    spec = load_manifest(path).sources[0]
    assert spec.constants == {
        "language": "it",
        "submitted": "2023-05-02",
        "n_platforms": "3",
        "cosell": "true",
        "certifications": "cloud;ai",
    }


def test_check_files_false_skips_file_checks(tmp_path: Path) -> None:
    write_manifest(tmp_path, base_source(path="not_yet_generated.csv"))
    spec = load_manifest(tmp_path, check_files=False).sources[0]
    assert spec.path == (tmp_path / "not_yet_generated.csv").resolve()


def test_headers_match_after_whitespace_normalisation(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text('"Ragione\n  sociale ";"Partita\u00a0IVA"\nAlfa;1\n', encoding="utf-8")
    manifest = load_manifest(
        write_manifest(
            tmp_path,
            {
                "name": "m",
                "kind": "directory",
                "path": "m.csv",
                "delimiter": ";",
                "columns": {"name": "Ragione sociale", "vat": "Partita  IVA"},
            },
        )
    )
    assert check_headers(manifest) is None  # no ManifestError
    spec = manifest.sources[0]
    assert locate_columns(spec, read_header(spec)) == {"name": 0, "vat": 1}
    assert read_source(spec)[["name", "vat"]].to_dict("records") == [{"name": "Alfa", "vat": "1"}]
    renamed = load_manifest(
        write_manifest(
            tmp_path,
            {"name": "m", "kind": "directory", "path": "m.csv", "delimiter": ";",
             "columns": {"name": "Ragione sociale", "vat": "Partita IVA X"}},
        ),
        check_files=False,
    )
    with pytest.raises(ManifestError, match="Partita IVA X"):
        check_headers(renamed)


def test_normalise_header() -> None:
    assert normalise_header("1° req.\n(6)") == "1° req. (6)"
    assert normalise_header("\ufeff Ragione\t sociale\u00a0") == "Ragione sociale"
    assert normalise_header("Citta\u0300") == "Città"  # decomposed accent composed (NFC)
    assert normalise_header("Partita IVA") != normalise_header("partita iva")


def test_field_registry_is_the_one_in_fields() -> None:
    # The loader must accept exactly the fields of channelstudy.fields for each kind.
    for kind in KINDS:
        assert "name" in required_fields(kind)
        assert "record_id" in field_names(kind)


# --- manifest-level errors -----------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text(
        "sources:\n  - name: a\n    kind: [directory\n    path: x.csv\n", encoding="utf-8"
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("sources.yml: invalid YAML at line ")
    assert "line 4" in message or "line 5" in message


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    write_csv(tmp_path)
    (tmp_path / "sources.yml").write_text(
        "sources:\n  - name: analyst_a\n    kind: directory\n    path: analyst_a.csv\n    columns:\n"
        "      name: Ragione sociale\n      name: Codice\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ManifestError, match=r"^sources.yml: invalid YAML at line 7, column 7: duplicate key 'name'$"
    ):
        load_manifest(tmp_path)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"expected a mapping with a 'sources:' list"),
        ("- a\n- b\n", r"expected a mapping"),
        ("sources: []\n", r"'sources:' must be a non-empty list"),
        ("sources: {name: a}\n", r"'sources:' must be a non-empty list"),
        ("source:\n  - name: a\n", r"unknown top-level key 'source'; did you mean 'sources'\?"),
        ("sources:\n  - just a string\n", r"source #1: must be a mapping"),
    ],
)
def test_top_level_shape(tmp_path: Path, text: str, pattern: str) -> None:
    (tmp_path / "sources.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError, match=pattern):
        load_manifest(tmp_path)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no sources.yml or sources.yaml in folder"):
        load_manifest(tmp_path)


# --- source-level errors: one line naming the source and the key or field ------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": "Analyst-A"}, "source #1, key 'name': name 'Analyst-A' must match [a-z0-9_]+"),
        ({"name": DROP}, "source #1, key 'name': missing"),
        ({"delimeter": ","}, "source 'analyst_a', key 'delimeter': unknown key; did you mean 'delimiter'?"),
        (
            {"kind": "directry"},
            "source 'analyst_a', key 'kind': unknown kind 'directry'; did you mean 'directory'?",
        ),
        ({"kind": DROP}, "source 'analyst_a', key 'kind': missing"),
        ({"format": "xlsm"}, "source 'analyst_a', key 'format': unknown format 'xlsm'; did you mean 'xls'?"),
        ({"encoding": "cp-1252x"}, "source 'analyst_a', key 'encoding': unknown encoding 'cp-1252x'"),
        ({"delimiter": ";;"}, "source 'analyst_a', key 'delimiter': must be one character, got ';;'"),
        ({"decimal": "'"}, 'source \'analyst_a\', key \'decimal\': must be "." or ",", got "\'"'),
        (
            {"sheet": "Foglio1"},
            "source 'analyst_a', key 'sheet': applies to xlsx/xls sources only (format is csv)",
        ),
        ({"record_path": "data"}, "source 'analyst_a', key 'record_path': applies to json sources only"),
        (
            {"wave": 2023},
            "source 'analyst_a', key 'wave': applies to survey sources only (kind is directory)",
        ),
        ({"path": DROP}, "source 'analyst_a', key 'path': missing"),
        ({"path": "missing.csv"}, "source 'analyst_a', key 'path': file not found: 'missing.csv'"),
        (
            {"path": "../analyst_a.csv"},
            "source 'analyst_a', key 'path': path '../analyst_a.csv' resolves outside",
        ),
        (
            {"path": "sub/../../analyst_a.csv"},
            "source 'analyst_a', key 'path': path 'sub/../../analyst_a.csv' resolves outside",
        ),
        ({"path": "/etc/hostname"}, "source 'analyst_a', key 'path': path '/etc/hostname' resolves outside"),
        ({"columns": ["name"]}, "source 'analyst_a', key 'columns': must be a mapping"),
        ({"constants": ["x"]}, "source 'analyst_a', key 'constants': must be a mapping"),
    ],
)
def test_source_key_errors(tmp_path: Path, overrides: dict[str, Any], expected: str) -> None:
    folder = tmp_path / "study"
    write_csv(tmp_path)  # a real file just outside the manifest folder, for the escape cases
    error = manifest_error(folder, base_source(**overrides))
    assert str(error).startswith(f"sources.yml: {expected}"), str(error)


def test_duplicate_source_name(tmp_path: Path) -> None:
    error = manifest_error(tmp_path, base_source(), base_source())
    assert (
        str(error) == "sources.yml: source #2, key 'name': duplicate source name 'analyst_a' (also source #1)"
    )
    assert (error.source, error.key, error.field) == (2, "name", None)


def test_misspelt_name_key_is_reported_as_unknown(tmp_path: Path) -> None:
    source = base_source(name=DROP)
    error = manifest_error(tmp_path, {"nmae": "analyst_a", **source})
    assert str(error).startswith("sources.yml: source #1, key 'nmae': unknown key; did you mean 'name'?")


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = write_csv(tmp_path / "elsewhere")
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "analyst_a.csv").symlink_to(outside)
    with pytest.raises(
        ManifestError, match=r"source 'analyst_a', key 'path': path 'analyst_a.csv' resolves outside"
    ):
        load_manifest(write_manifest(folder, base_source()))


def test_symlink_inside_the_folder_is_fine(tmp_path: Path) -> None:
    target = write_csv(tmp_path / "data" / "v1.csv")
    (tmp_path / "analyst_a.csv").symlink_to(target)
    spec = load_manifest(write_manifest(tmp_path, base_source())).sources[0]
    assert spec.path == target.resolve()


def test_format_cannot_be_inferred(tmp_path: Path) -> None:
    (tmp_path / "export.txt").write_text("Ragione sociale\nAlfa\n", encoding="utf-8")
    error = manifest_error(tmp_path, base_source(path="export.txt", format=DROP))
    assert "key 'format': cannot infer the format of 'export.txt'" in str(error)


def test_compressed_spreadsheet_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx.gz").write_bytes(b"")
    error = manifest_error(
        tmp_path, base_source(path="a.xlsx.gz", format=DROP, encoding=DROP, delimiter=DROP)
    )
    assert "key 'format': 'a.xlsx.gz' is gzip-compressed" in str(error)


@pytest.mark.parametrize(
    ("wave", "shown"),
    [("2023", "str '2023'"), (2023.5, "float 2023.5"), (True, "bool True")],
)
def test_wave_must_be_an_integer(tmp_path: Path, wave: Any, shown: str) -> None:
    error = manifest_error(tmp_path, base_source(kind="survey", wave=wave))
    assert f"source 'analyst_a', key 'wave': must be an integer year, got {shown}" in str(error)


# --- field errors --------------------------------------------------------------------------


def columns_with(**extra: Any) -> dict[str, Any]:
    return {"name": "Ragione sociale", **extra}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            base_source(columns=columns_with(revenue="Fatturato (EUR)")),
            "source 'analyst_a', field 'revenue': unknown field for kind 'directory'; did you mean 'revenue_eur'?",
        ),
        (
            base_source(columns={"vat": "Partita IVA"}),
            "source 'analyst_a', field 'name': required for kind 'directory' but neither in columns: nor in constants:",
        ),
        (
            base_source(kind="vendor_roster", columns=columns_with()),
            "source 'analyst_a', field 'vendor': required for kind 'vendor_roster'",
        ),
        (
            base_source(kind="pipeline", columns=columns_with()),
            "source 'analyst_a', field 'deal_id': required for kind 'pipeline'",
        ),
        (
            base_source(kind="survey", columns=columns_with(dso="Codice")),
            "source 'analyst_a', field 'dso': unknown field for kind 'survey'; did you mean 'dso_days'?",
        ),
        (
            base_source(columns=columns_with(revenue_eur={"column": "Fatturato (EUR)", "scale": -1})),
            "source 'analyst_a', field 'revenue_eur': scale must be a positive number, got -1",
        ),
        (
            base_source(columns=columns_with(revenue_eur={"column": "Fatturato (EUR)", "scale": 0})),
            "source 'analyst_a', field 'revenue_eur': scale must be a positive number, got 0",
        ),
        (
            base_source(columns=columns_with(revenue_eur={"column": "Fatturato (EUR)", "scale": "1e6"})),
            "source 'analyst_a', field 'revenue_eur': scale must be a positive number, got '1e6'",
        ),
        (
            base_source(columns=columns_with(revenue_eur={"column": "Fatturato (EUR)", "scale": True})),
            "source 'analyst_a', field 'revenue_eur': scale must be a positive number, got True",
        ),
        (
            base_source(columns=columns_with(vat={"column": "Partita IVA", "scale": 10})),
            "source 'analyst_a', field 'vat': scale applies to numeric fields only (vat is str)",
        ),
        (
            base_source(columns=columns_with(revenue_eur={"colum": "Fatturato (EUR)"})),
            "source 'analyst_a', field 'revenue_eur': unknown key 'colum' in the mapping; did you mean 'column'?",
        ),
        (
            base_source(columns=columns_with(revenue_eur={"scale": 1000})),
            "source 'analyst_a', field 'revenue_eur': mapping needs column: <header>",
        ),
        (
            base_source(columns=columns_with(vat=12345)),
            "source 'analyst_a', field 'vat': header must be non-empty text, got int 12345 (quote it in YAML)",
        ),
        (
            base_source(columns=columns_with(vat=None)),
            "source 'analyst_a', field 'vat': header must be non-empty text, got null",
        ),
        (
            base_source(columns=columns_with(), constants={"comune_x": "Roma"}),
            "source 'analyst_a', field 'comune_x': unknown field for kind 'directory'; did you mean 'comune'?",
        ),
        (
            base_source(columns=columns_with(), constants={"name": "X"}),
            "source 'analyst_a', field 'name': set both in columns: and in constants:",
        ),
        (
            base_source(columns=columns_with(), constants={"record_id": "X"}),
            "source 'analyst_a', field 'record_id': record_id identifies rows and cannot be a constant",
        ),
        (
            base_source(kind="survey", wave=2023, columns=columns_with(), constants={"wave": 2024}),
            "source 'analyst_a', field 'wave': set both by wave: and in constants:",
        ),
        (
            base_source(kind="survey", wave=2023, columns=columns_with(wave="Codice")),
            "source 'analyst_a', field 'wave': set both by wave: and in columns:",
        ),
        (
            base_source(columns=columns_with(), constants={"website": {"a": 1}}),
            "source 'analyst_a', field 'website': constant must be a text, number, date or list of them, got dict",
        ),
    ],
)
def test_field_errors(tmp_path: Path, source: dict[str, Any], expected: str) -> None:
    error = manifest_error(tmp_path, source)
    assert str(error).startswith(f"sources.yml: {expected}"), str(error)
    assert error.field == expected.split("field '")[1].split("'")[0]


def test_required_field_may_come_from_constants(tmp_path: Path) -> None:
    write_csv(tmp_path)
    spec = load_manifest(
        write_manifest(
            tmp_path, base_source(kind="vendor_roster", columns=columns_with(), constants={"vendor": "Acme"})
        )
    ).sources[0]
    assert spec.constant_values == {"vendor": "Acme"}


# --- header errors (need the file) ---------------------------------------------------------


def test_absent_header_message_matches_the_contract(tmp_path: Path) -> None:
    source = base_source(columns=columns_with(vat="Partita Iva"))
    error = manifest_error(tmp_path, source)
    assert str(error).startswith(
        "sources.yml: source 'analyst_a', field 'vat': header 'Partita Iva' not found in analyst_a.csv "
        "(closest: 'Partita IVA'; headers: 'Codice', 'Ragione sociale', 'Partita IVA', 'Provincia', "
        "'Fatturato (EUR)')"
    ), str(error)
    assert (error.source, error.field) == ("analyst_a", "vat")


def test_absent_header_with_nothing_close(tmp_path: Path) -> None:
    error = manifest_error(tmp_path, base_source(columns=columns_with(website="Sito web aziendale")))
    assert (
        "field 'website': header 'Sito web aziendale' not found in analyst_a.csv (headers: 'Codice'"
        in str(error)
    )


def test_absent_header_is_not_checked_without_check_files(tmp_path: Path) -> None:
    write_csv(tmp_path)
    manifest = load_manifest(
        write_manifest(tmp_path, base_source(columns=columns_with(vat="P.IVA"))), check_files=False
    )
    with pytest.raises(ManifestError, match=r"source 'analyst_a', field 'vat': header 'P.IVA' not found"):
        check_headers(manifest)


def test_duplicated_header_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "analyst_a.csv").write_text("Nome;Nome ;Prov\nA;B;NA\n", encoding="cp1252")
    with pytest.raises(ManifestError) as info:
        load_manifest(write_manifest(tmp_path, base_source(columns={"name": "Nome"})))
    assert str(info.value) == (
        "sources.yml: source 'analyst_a', field 'name': header 'Nome' appears 2 times in "
        "analyst_a.csv (columns 1, 2); the mapping is ambiguous"
    )


def test_undecodable_header_names_the_encoding(tmp_path: Path) -> None:
    write_csv(tmp_path)
    with pytest.raises(ManifestError) as info:
        load_manifest(write_manifest(tmp_path, base_source(encoding="utf-8")))
    message = str(info.value)
    assert message.startswith(
        "sources.yml: source 'analyst_a', key 'encoding': analyst_a.csv is not valid utf-8: "
        "byte 0xe0 at line 2"
    )  # the "à" of "Società", cp1252 0xE0
    assert "\n" not in message


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "analyst_a.csv").write_bytes(b"")
    with pytest.raises(ManifestError, match=r"source 'analyst_a', key 'path': analyst_a.csv is empty"):
        load_manifest(write_manifest(tmp_path, base_source()))


# --- presets -------------------------------------------------------------------------------


def test_presets_registry_is_empty_and_unknown_preset_fails(tmp_path: Path) -> None:
    assert manifest_module.PRESETS == {}
    error = manifest_error(tmp_path, base_source(preset="cerved_2024"))
    assert str(error).startswith(
        "sources.yml: source 'analyst_a', key 'preset': unknown preset 'cerved_2024'"
    )


def test_preset_gives_defaults_that_the_source_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        manifest_module.PRESETS,
        "italian_analyst",
        {
            "format": "csv",
            "encoding": "cp1252",
            "delimiter": ";",
            "decimal": ",",
            "columns": {
                "name": "Ragione sociale",
                "vat": "Partita IVA",
                "website": "Sito web",
                "revenue_eur": {"column": "Fatturato (EUR)", "scale": 1},
            },
        },
    )
    write_csv(tmp_path)
    spec = load_manifest(
        write_manifest(
            tmp_path,
            {
                "name": "analyst_a",
                "kind": "directory",
                "path": "analyst_a.csv",
                "preset": "italian_analyst",
                "decimal": ".",  # overrides the preset
                "columns": {
                    "record_id": "Codice",
                    "website": None,  # drops a mapping the file lacks
                    "revenue_eur": {"column": "Fatturato (EUR)", "scale": 1000},
                },
            },
        )
    ).sources[0]
    assert (spec.preset, spec.encoding, spec.delimiter, spec.decimal) == (
        "italian_analyst",
        "cp1252",
        ";",
        ".",
    )
    assert spec.headers == {
        "name": "Ragione sociale",
        "vat": "Partita IVA",
        "revenue_eur": "Fatturato (EUR)",
        "record_id": "Codice",
    }
    assert spec.scales == {"revenue_eur": 1000.0}


def test_preset_csv_keys_do_not_break_a_spreadsheet_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl

    monkeypatch.setitem(
        manifest_module.PRESETS,
        "analyst",
        {"encoding": "cp1252", "delimiter": ";", "columns": {"name": "Company"}},
    )
    book = openpyxl.Workbook()
    book.active.append(["Company"])
    book.active.append(["Alfa"])
    book.save(tmp_path / "a.xlsx")
    spec = load_manifest(
        write_manifest(tmp_path, {"name": "a", "kind": "directory", "path": "a.xlsx", "preset": "analyst"})
    ).sources[0]
    assert spec.format == "xlsx"
    assert spec.headers == {"name": "Company"}


def test_error_message_is_one_line_even_with_newlines_in_headers(tmp_path: Path) -> None:
    error = manifest_error(tmp_path, base_source(columns=columns_with(vat="Partita\nIVA\nsede")))
    assert "header 'Partita\\nIVA\\nsede' not found" in str(error)


def test_paths_resolve_against_the_manifest_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_csv(tmp_path)
    write_manifest(tmp_path, base_source())
    monkeypatch.chdir("/")
    assert load_manifest(tmp_path / "sources.yml").sources[0].path == (tmp_path / "analyst_a.csv").resolve()
