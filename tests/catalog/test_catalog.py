"""Tests of channelstudy.catalog: one entry per table, atomic writes, personal data refused."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pytest

from channelstudy.catalog import TABLES, atomic_path, new_file_mode, read_table, statistics_table, write_table
from channelstudy.catalog.schemas import SCHEMAS
from channelstudy.vocabulary import PERSONAL_FIELDS


def test_every_schema_has_a_table_and_file_names_are_unique_per_folder():
    assert set(SCHEMAS) <= set(TABLES)
    seen = {}
    for table in TABLES.values():
        key = (table.folder, table.filename)
        assert key not in seen, f"{table.name} and {seen.get(key)} share {key}"
        seen[key] = table.name


def test_round_trip_of_each_format(tmp_path):
    frame = pd.DataFrame({"firm_id": ["F000001", "F000002"], "code": ["NA", "01.20"], "x": [0.1234567, None]})
    write_table("segments", frame, tmp_path)
    back = read_table("segments", tmp_path)
    pd.testing.assert_frame_equal(back, frame)
    write_table("weights_report", frame, tmp_path)
    text = (tmp_path / "weights_report.csv").read_text()
    assert "0.123457" in text  # 6 significant digits, so reruns are byte-identical
    assert read_table("weights_report", tmp_path)["code"].tolist() == ["NA", "01.20"]  # Napoli is not missing
    write_table("build_report", {"sources": {}, "città": 1}, tmp_path)
    assert json.loads((tmp_path / "build_report.json").read_text(encoding="utf-8")) == {"sources": {}, "città": 1}
    write_table("codebook", "# Codebook\n", tmp_path)
    assert read_table("codebook", tmp_path) == "# Codebook\n"


@pytest.mark.parametrize("column", sorted(PERSONAL_FIELDS))
def test_personal_columns_are_never_written(tmp_path, column):
    frame = pd.DataFrame({"firm_id": ["F000001"], column: ["Mario Rossi"]})
    with pytest.raises(ValueError, match="personal data"):
        write_table("survey", frame, tmp_path)
    assert not (tmp_path / "survey.parquet").exists()


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "firms.parquet"
    write_table("firms", pd.DataFrame({"firm_id": ["F000001"]}), tmp_path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_bytes(b"half a file")
        raise RuntimeError("killed")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["firms.parquet"]


def test_missing_table_says_which_stage_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the `analyze` stage first"):
        read_table("segments", tmp_path)
    with pytest.raises(KeyError, match="no table 'segmnets'"):
        read_table("segmnets", tmp_path)


def test_statistics_tables_are_named_after_their_source():
    table = statistics_table("cloud")
    assert (table.name, table.filename, table.stage) == ("statistics_cloud", "statistics_cloud.parquet", "build")


def test_firm_ids_take_a_seventh_digit_from_the_millionth_firm() -> None:
    import re

    from channelstudy.catalog.schemas import FIRM_ID

    assert [bool(re.match(FIRM_ID, x)) for x in ("F000001", "F999999", "F1000000", "F12345", "G000001", "F00000a")] \
        == [True, True, True, False, False, False]


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_written_tables_get_the_permissions_of_any_new_file(tmp_path, umask):
    """A table is readable by whom the umask allows, not by its owner only (as mkstemp's files are)."""
    previous = os.umask(umask)
    try:
        assert new_file_mode() == 0o666 & ~umask
        write_table("firms", pd.DataFrame({"firm_id": ["F000001"]}), tmp_path)
        write_table("codebook", "# Codebook\n", tmp_path)
        write_table("codebook", "# Codebook, rewritten\n", tmp_path)
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys(modes, stat.S_IMODE(plain.stat().st_mode)) and modes["plain.txt"] == 0o666 & ~umask
