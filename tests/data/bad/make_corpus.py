"""Write the corpus of bad inputs: one folder per case, each a ``sources.yml`` and its file.

Run from the repository root (``python tests/data/bad/make_corpus.py``) to regenerate the
committed files; ``tests/sources/test_bad_inputs.py`` says what each case must end in.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = "Codice,Ragione sociale,Partita IVA,Comune\n"
GOOD = [
    "A1,Alfa Sistemi SRL,01234567897,Milano\n",
    "A2,Beta Informatica SPA,02345678901,Roma\n",
    "A3,Gamma Cloud SRL,,Torino\n",
]
COLUMNS = {"record_id": "Codice", "name": "Ragione sociale", "vat": "Partita IVA", "comune": "Comune"}


def manifest(path: str, **keys: object) -> str:
    source = {"name": "bad", "kind": "directory", "path": path, **keys}
    source.setdefault("columns", COLUMNS)
    return json.dumps({"sources": [source]}, ensure_ascii=False, indent=1) + "\n"  # JSON is YAML


def csv_case(name: str, body: str, *, encoding: str = "utf-8", raw: bytes | None = None,
             declared: str | None = None, **keys: object) -> None:
    if declared is not None:
        keys["encoding"] = declared
    folder = HERE / name
    folder.mkdir()
    (folder / "data.csv").write_bytes(raw if raw is not None else body.encode(encoding))
    (folder / "sources.yml").write_text(manifest("data.csv", **keys), encoding="utf-8")


def rows(*extra: str, at: int = 1) -> str:
    lines = list(GOOD)
    lines[at:at] = list(extra)
    return HEADER + "".join(lines)


def json_case(name: str, document: object | str) -> None:
    """A vendor roster; each case names its own vendor, so cases built together never share a partner."""
    folder = HERE / name
    folder.mkdir()
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    (folder / "roster.json").write_text(text, encoding="utf-8")
    (folder / "sources.yml").write_text(
        manifest("roster.json", kind="vendor_roster",
                 columns={"name": "partner", "vat": "vat", "vendor": "vendor", "tier": "tier"}),
        encoding="utf-8")


def xlsx_case(name: str, cells: list[list[object]], **keys: object) -> None:
    from openpyxl import Workbook

    folder = HERE / name
    folder.mkdir()
    book = Workbook()
    sheet = book.active
    sheet.title = "Elenco"
    for row in cells:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a literal text cell that looks like a formula
    book.save(folder / "data.xlsx")
    (folder / "sources.yml").write_text(manifest("data.xlsx", **keys), encoding="utf-8")


def partner(name: str, vat: str = "01234567897", vendor: str = "Nimbus") -> dict[str, str]:
    return {"partner": name, "vat": vat, "vendor": vendor, "tier": "gold"}


def main() -> None:
    for old in HERE.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
    # --- rows quarantined, the rest of the source used -----------------------------------------
    csv_case("unterminated_quote", rows('X1,"Delta Rete SRL,03456789012,Napoli\n'))
    csv_case("unterminated_quote_last_line", rows() + 'X9,"Omega SRL,,Bari\n')
    csv_case("unterminated_quote_then_quoted_field",
             rows('X1,"Delta Rete SRL,03456789012,Napoli\n', 'X2,"Epsilon, Zeta SRL",,Bologna\n'))
    csv_case("too_many_fields", rows("X1,Delta Rete SRL,03456789012,Napoli,extra\n"))
    csv_case("too_many_fields_first_row", rows("X1,Delta Rete SRL,03456789012,Napoli,extra\n", at=0))
    csv_case("too_few_fields", rows("X1,Delta Rete SRL\n"))
    csv_case("semicolon_inside_comma_file", rows("X1;Delta Rete SRL;03456789012;Napoli\n"))
    csv_case("several_bad_rows",
             rows("X1,Delta Rete SRL\n", "X2,Epsilon SRL,,Bari,extra\n", 'X3,"Zeta SRL,,Lecce\n'))
    csv_case("blank_lines_and_bad_row", rows("\n", "X1,Delta Rete SRL\n", "\n"))
    csv_case("mostly_malformed", HEADER + "".join(line.replace(",", ";", 2) for line in GOOD) + GOOD[0])
    csv_case("cell_too_long", rows(f"X1,{'Delta Rete SRL ' * 1000},03456789012,Napoli\n"))
    csv_case("control_character_nul", rows("X1,Delta\x00Rete SRL,03456789012,Napoli\n"))
    csv_case("control_character_escape", rows("X1,Delta Rete SRL,03456789012,Nap\x1boli\n"))
    csv_case("formula_hyperlink", rows('X1,"=HYPERLINK(""http://evil.example"",""Delta SRL"")",,Napoli\n'))
    csv_case("formula_plus_call", rows("X1,+SUM(A1:A9),,Napoli\n"))
    csv_case("formula_at_call", rows("X1,@IMPORTXML(A1),,Napoli\n"))
    csv_case("formula_in_vat", rows("X1,Delta Rete SRL,=1+1,Napoli\n"))
    json_case("json_formula_partner", [partner("Alfa SRL", vendor="Nimbus"), partner("=HYPERLINK(\"http://x\")"),
                                       partner("Beta SPA", "02345678901", vendor="Nimbus")])
    json_case("json_control_character", [partner("Alfa SRL", vendor="Stratus"), partner("Beta\x07 SPA"),
                                         partner("Gamma SRL", "03456789012", vendor="Stratus")])
    xlsx_case("xlsx_formula_text", [["Codice", "Ragione sociale", "Partita IVA", "Comune"],
                                    ["A1", "Alfa Sistemi SRL", "01234567897", "Milano"],
                                    ["X1", "=HYPERLINK(\"http://x\")", "", "Napoli"],
                                    ["A2", "Beta Informatica SPA", "02345678901", "Roma"]])
    xlsx_case("xlsx_cell_too_long", [["Codice", "Ragione sociale", "Partita IVA", "Comune"],
                                     ["A1", "Alfa Sistemi SRL", "01234567897", "Milano"],
                                     ["X1", "x" * 12_000, "", "Napoli"]])
    # --- a setting that does not fit the file: one line naming the setting to use ---------------
    csv_case("semicolon_file_read_as_comma", rows().replace(",", ";"))
    csv_case("tab_file_read_as_comma", rows().replace(",", "\t"))
    csv_case("comma_file_read_as_semicolon", rows(), delimiter=";")
    csv_case("cp1252_declared_utf8", rows("X1,Società Città SRL,,Forlì\n"), encoding="cp1252")
    csv_case("utf8_declared_cp1252", rows("X1,Società Città SRL,,Forlì\n"), raw=None, encoding="utf-8",
             declared="cp1252")
    csv_case("utf16_declared_utf8", rows(), raw=rows().encode("utf-16"))
    csv_case("decimal_comma_declared_dot", HEADER.replace("\n", ",Fatturato\n")
             + "A1,Alfa Sistemi SRL,01234567897,Milano,\"1234,5\"\nA2,Beta SPA,02345678901,Roma,\"12,75\"\n",
             columns={**COLUMNS, "revenue_eur": "Fatturato"})
    csv_case("decimal_dot_declared_comma", HEADER.replace("\n", ";Fatturato\n").replace(",", ";")
             + "A1;Alfa Sistemi SRL;01234567897;Milano;1234.5\nA2;Beta SPA;02345678901;Roma;12.75\n",
             delimiter=";", decimal=",", columns={**COLUMNS, "revenue_eur": "Fatturato"})
    # --- a file that cannot be read at all: one line ---------------------------------------------
    folder = HERE / "xlsx_named_csv"
    xlsx_case("xlsx_named_csv", [["Codice", "Ragione sociale", "Partita IVA", "Comune"], ["A1", "Alfa", "", "Roma"]])
    (folder / "data.xlsx").rename(folder / "data.csv")
    (folder / "sources.yml").write_text(manifest("data.csv", format="csv"), encoding="utf-8")
    csv_case("empty_file", "")
    csv_case("header_missing", rows().replace("Partita IVA", "P.IVA"))
    csv_case("header_twice", rows().replace("Comune", "Partita IVA"))
    csv_case("file_missing", "")
    (HERE / "file_missing" / "data.csv").unlink()
    json_case("json_invalid", '[{"partner": "Alfa SRL", "vat": "01234567897", "vendor": "Nimbus", "tier": "gold"},\n'
                              ' {"partner": "Beta SPA" "vat": ""}]\n')
    json_case("json_record_not_object", [partner("Alfa SRL"), "Beta SPA", partner("Gamma SRL")])
    json_case("json_object_not_list", {"partners": [partner("Alfa SRL")]})
    xlsx_case("xlsx_missing_sheet", [["Codice", "Ragione sociale", "Partita IVA", "Comune"]], sheet="Foglio1")


if __name__ == "__main__":
    main()
