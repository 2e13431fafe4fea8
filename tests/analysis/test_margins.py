"""Tests of channelstudy.analysis.margins: the committed ISTAT margins and their re-derivation."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from channelstudy.analysis.margins import (
    CLASS_MAP,
    COLUMNS,
    CORE_CLASSES,
    class_margins,
    derive_population_margins,
    load_population_margins,
    margins_from_table,
    write_population_margins,
)
from channelstudy.catalog.paths import external_dir


def test_committed_table_is_complete_and_documented() -> None:
    table = load_population_margins()
    assert list(table.columns) == list(COLUMNS)
    assert table["ateco_2025"].tolist() == sorted(CLASS_MAP)
    assert (table["enterprises"] > 0).all()
    # J62 + G46.5 + G47.4 (ISTAT 2023): the figure of the issue and of PROVENANCE.md
    assert int(table.loc[table["scope"] == "core", "enterprises"].sum()) == 78_671
    notes = (external_dir() / "population_margins.md").read_text(encoding="utf-8")
    for needed in ("ISTAT", "CC BY 4.0", "161_267", "domain", "cannot"):
        assert needed in notes


def test_margins_from_table_core_only() -> None:
    margins = margins_from_table(load_population_margins())
    assert set(margins["ateco_class"].index) == set(CORE_CLASSES)
    assert margins["ateco_class"].sum() == 78_671


def test_class_margins_count_a_population() -> None:
    pop = pd.DataFrame({"ateco_2025": ["62.10.00", "62.10", "47.40", "99.99"], "employees": [1, 2, 3, 4]})
    margins = class_margins(pop)
    assert margins["ateco_class"].to_dict() == {"47.40": 1.0, "62.10": 2.0}
    assert margins["employees|ateco_class"].to_dict() == {"47.40": 3.0, "62.10": 3.0}


def test_rederived_table_equals_committed(realdata, tmp_path) -> None:
    derived = derive_population_margins(realdata)
    written = write_population_margins(derived, tmp_path / "m.csv")
    assert written.read_bytes() == (external_dir() / "population_margins.csv").read_bytes()


def test_values_agree_with_plain_json(realdata) -> None:
    """Independent reading: sum the ISTAT 2007 classes with dict access."""
    with (realdata / "istat_eurostat_sbs_crystal" / "IT.json").open(encoding="utf-8") as handle:
        sectors = {s["code"]: s["raw"] for s in json.load(handle)["sectors"]}
    table = load_population_margins().set_index("ateco_2025")
    assert table.loc["62.20", "enterprises"] == sectors["6202"]["imprese"] + sectors["6203"]["imprese"]
    assert table.loc["47.40", "persons_employed"] == sum(sectors[c]["occupati"] for c in ("4741", "4742", "4743"))
    # the groups agree with the sum of their classes
    assert table.loc["46.50", "enterprises"] == sectors["465"]["imprese"] == 8_178
    assert table.loc[["62.10", "62.20", "62.90"], "enterprises"].sum() == sectors["62"]["imprese"]


def test_wrong_year_is_refused(tmp_path) -> None:
    folder = tmp_path / "istat_eurostat_sbs_crystal"
    folder.mkdir()
    (folder / "IT.json").write_text(json.dumps({"meta": {"latest_year": 2022}, "sectors": []}))
    with pytest.raises(ValueError, match="2023"):
        derive_population_margins(tmp_path)
