"""Tests of channelstudy.sources.eurostat: the Eurostat bulk-TSV reader.

Expected figures come from the check table of the real file's PROVENANCE.md, from an
independent parse with plain ``gzip`` + ``csv`` written here, or from the synthetic text the
test itself writes -- never from the reader's own output.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.catalog.paths import realdata_dir
from channelstudy.errors import EurostatFormatError
from channelstudy.sources.eurostat import read_eurostat_tsv, split_packed_header

REAL_NAME = "eurostat_isoc_cicce_use/estat_isoc_cicce_use.tsv.gz"
DIMENSIONS = ["freq", "size_emp", "nace_r2", "indic_is", "unit", "geo"]


# --- real file -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_path() -> Path:
    folder = realdata_dir()
    if folder is None or not (folder / REAL_NAME).is_file():
        pytest.skip(
            f"real Eurostat file {REAL_NAME} absent (set CHANNELSTUDY_REALDATA or provide ../shared/realdata)"
        )
    return folder / REAL_NAME


@pytest.fixture(scope="module")
def real(real_path: Path) -> pd.DataFrame:
    return read_eurostat_tsv(real_path)


@pytest.fixture(scope="module")
def raw_rows(real_path: Path) -> tuple[list[str], list[list[str]]]:
    """The real file parsed independently: header and data rows, cells as written."""
    with gzip.open(real_path, "rt", encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream, delimiter="\t"))
    return rows[0], rows[1:]


def lookup(frame: pd.DataFrame, **keys: object) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for name, wanted in keys.items():
        mask &= (frame[name] == wanted).to_numpy()
    return frame.loc[mask]


def one(frame: pd.DataFrame, **keys: object) -> pd.Series:
    found = lookup(frame, **keys)
    assert len(found) == 1, (keys, found)
    return found.iloc[0]


@pytest.mark.parametrize(
    ("geo", "year", "expected"),
    [
        ("IT", 2021, 60.47),
        ("IT", 2023, 61.39),
        ("IT", 2025, 75.60),
        ("DE", 2021, 41.60),
        ("DE", 2023, 47.00),
        ("DE", 2025, 53.91),
        ("FR", 2021, 29.35),
        ("FR", 2023, 26.76),
        ("FR", 2025, 40.41),
        ("ES", 2021, 30.92),
        ("ES", 2023, 30.04),
        ("ES", 2025, 41.65),
        ("EU27_2020", 2021, 40.97),
        ("EU27_2020", 2023, 45.32),
        ("EU27_2020", 2025, 52.74),
    ],
)
def test_real_check_figures_e_cc_ge10(real: pd.DataFrame, geo: str, year: int, expected: float) -> None:
    row = one(
        real, indic_is="E_CC", unit="PC_ENT", nace_r2="C10-S951_X_K", size_emp="GE10", geo=geo, time=year
    )
    assert row["value"] == pytest.approx(expected, abs=1e-9)


def test_real_france_2023_is_a_break_in_series(real: pd.DataFrame) -> None:
    row = one(real, indic_is="E_CC", unit="PC_ENT", size_emp="GE10", geo="FR", time=2023)
    assert row["flag"] == "b"
    assert pd.isna(one(real, indic_is="E_CC", unit="PC_ENT", size_emp="GE10", geo="FR", time=2021)["flag"])


@pytest.mark.parametrize(("geo", "expected"), [("IT", 68.05), ("DE", 46.03), ("EU27_2020", 46.69)])
def test_real_sophisticated_cloud_2025(real: pd.DataFrame, geo: str, expected: float) -> None:
    row = one(real, indic_is="E_CC1_SI", unit="PC_ENT", size_emp="GE10", geo=geo, time=2025)
    assert row["value"] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("size", "expected"), [("10-49", 74.13), ("50-249", 84.88), ("GE250", 90.89)])
def test_real_italy_2025_by_size(real: pd.DataFrame, size: str, expected: float) -> None:
    row = one(real, indic_is="E_CC", unit="PC_ENT", size_emp=size, geo="IT", time=2025)
    assert row["value"] == pytest.approx(expected, abs=1e-9)


def test_real_shape_and_dtypes(real: pd.DataFrame, raw_rows: tuple[list[str], list[list[str]]]) -> None:
    header, rows = raw_rows
    assert len(rows) == 23_479  # PROVENANCE.md
    assert real.attrs["n_series"] == len(rows)
    assert real.attrs["n_periods"] == len(header) - 1 == 10
    assert list(real.columns) == [*DIMENSIONS, "time", "value", "flag"]
    for name in DIMENSIONS:
        assert real[name].dtype == "str", name
    assert real["time"].dtype == np.int64
    assert real["value"].dtype == "Float64"
    assert real["flag"].dtype == "str"
    assert sorted(real["time"].unique()) == [2014, 2015, 2016, 2017, 2018, 2020, 2021, 2023, 2024, 2025]
    assert set(real["nace_r2"]) == {"C10-S951_X_K"}
    assert not real["geo"].str.contains(" ").any()


def test_real_counts_match_an_independent_parse(
    real_path: Path, raw_rows: tuple[list[str], list[list[str]]]
) -> None:
    """Numbers, flags and dropped cells counted with csv + string splitting, not with the reader."""
    _, rows = raw_rows
    cells = [cell.strip() for row in rows for cell in row[1:]]
    numbers = [cell for cell in cells if not cell.startswith(":")]
    flag_counts = Counter(cell.split(" ", 1)[1].replace("@C", "c") for cell in cells if " " in cell)
    flagless_missing = sum(cell == ":" for cell in cells)

    full = read_eurostat_tsv(real_path, drop_missing=False)
    assert len(full) == len(rows) * 10 == len(cells)
    assert full["value"].notna().sum() == len(numbers)
    assert full["flag"].value_counts().to_dict() == dict(flag_counts)
    assert flag_counts == {"b": 969, "u": 823, "c": 326, "d": 10}  # counted on the raw file with grep
    dropped = read_eurostat_tsv(real_path)
    assert dropped.attrs["n_dropped_missing"] == flagless_missing == len(full) - len(dropped)


def test_real_value_of_an_independently_located_cell(
    real: pd.DataFrame, raw_rows: tuple[list[str], list[list[str]]]
) -> None:
    header, rows = raw_rows
    column = [h.strip() for h in header].index("2025")
    [row] = [r for r in rows if r[0] == "A,GE10,C10-S951_X_K,E_CC,PC_ENT,IT"]
    assert row[column] == "75.60 "
    assert one(real, indic_is="E_CC", unit="PC_ENT", size_emp="GE10", geo="IT", time=2025)["value"] == float(
        "75.60"
    )


def test_compression_is_detected_from_content_not_name(real_path: Path, tmp_path: Path) -> None:
    gz_named_tsv = tmp_path / "gzip_but_named.tsv"
    shutil.copyfile(real_path, gz_named_tsv)
    plain_named_gz = tmp_path / "plain_but_named.tsv.gz"
    plain_named_gz.write_bytes(gzip.decompress(real_path.read_bytes()))
    expected = read_eurostat_tsv(real_path)
    pd.testing.assert_frame_equal(read_eurostat_tsv(gz_named_tsv), expected)
    pd.testing.assert_frame_equal(read_eurostat_tsv(plain_named_gz), expected)


# --- synthetic files -----------------------------------------------------------------------

HEADER = "freq,unit,geo\\TIME_PERIOD\t2021 \t2023 \t2025 \n"


def parse(text: str, **kwargs: bool) -> pd.DataFrame:
    return read_eurostat_tsv(io.StringIO(text), **kwargs)


def cell(frame: pd.DataFrame, geo: str, year: int) -> tuple[object, object]:
    row = one(frame, geo=geo, time=year)
    return row["value"], row["flag"]


def test_each_flag_and_confidential_marker() -> None:
    text = HEADER + (
        "A,PC_ENT,FR\t29.35 \t26.76 b\t40.41 \n"
        "A,PC_ENT,IT\t: u\t13.72 d\t: @C\n"
        "A,PC_ENT,DE\t1.5 e\t2 p\t3.25 bp\n"
        "A,PC_ENT,ES\t4 b@C\t: z\t: c\n"
    )
    frame = parse(text)
    assert cell(frame, "FR", 2021)[0] == 29.35 and pd.isna(cell(frame, "FR", 2021)[1])
    assert cell(frame, "FR", 2023) == (26.76, "b")
    it_2021 = cell(frame, "IT", 2021)
    assert pd.isna(it_2021[0]) and it_2021[1] == "u"
    assert cell(frame, "IT", 2023) == (13.72, "d")
    it_2025 = cell(frame, "IT", 2025)
    assert pd.isna(it_2025[0]) and it_2025[1] == "c"
    assert cell(frame, "DE", 2021) == (1.5, "e")
    assert cell(frame, "DE", 2023) == (2.0, "p")
    assert cell(frame, "DE", 2025) == (3.25, "bp")
    assert cell(frame, "ES", 2021) == (4.0, "bc")
    assert one(frame, geo="ES", time=2023)["flag"] == "z"
    assert one(frame, geo="ES", time=2025)["flag"] == "c"


def test_trailing_spaces_crlf_and_bom_are_ignored() -> None:
    text = "\ufefffreq, unit ,geo\\TIME_PERIOD \t2021  \t2023\r\nA,PC_ENT ,IT \t 60.47  \t61.39\r\n"
    frame = parse(text)
    assert list(frame.columns) == ["freq", "unit", "geo", "time", "value", "flag"]
    assert frame["unit"].tolist() == ["PC_ENT", "PC_ENT"]
    assert frame["geo"].tolist() == ["IT", "IT"]
    assert frame["time"].tolist() == [2021, 2023]
    assert frame["value"].tolist() == [60.47, 61.39]


def test_dimension_names_come_from_the_header() -> None:
    frame = parse("unit,nace_r2,geo\\time\t2020 \nTHS_EUR,J62,IT\t7 \n")
    assert list(frame.columns) == ["unit", "nace_r2", "geo", "time", "value", "flag"]
    assert frame.iloc[0][["unit", "nace_r2", "geo"]].tolist() == ["THS_EUR", "J62", "IT"]


def test_numbers_signs_and_exponents() -> None:
    frame = parse(HEADER + "A,X,IT\t-1.5 \t2e3 \t.25 \n")
    assert frame["value"].tolist() == [-1.5, 2000.0, 0.25]


def test_drop_missing_drops_only_flagless_not_available(caplog: pytest.LogCaptureFixture) -> None:
    text = HEADER + "A,PC_ENT,IT\t: \t: u\t5 \nA,PC_ENT,FR\t: \t\t: \n"
    with caplog.at_level(logging.INFO, logger="channelstudy.sources.eurostat"):
        kept = parse(text)
    assert list(zip(kept["geo"], kept["time"], strict=True)) == [("IT", 2023), ("IT", 2025)]
    assert kept.attrs["n_dropped_missing"] == 4  # three ':' and one blank cell
    assert "4 not-available" in caplog.text
    full = parse(text, drop_missing=False)
    assert len(full) == 6 and full.attrs["n_dropped_missing"] == 0
    assert full["value"].isna().sum() == 5
    assert full["flag"].isna().sum() == 5


def test_quarterly_and_monthly_periods_stay_text() -> None:
    quarterly = parse("freq,geo\\TIME_PERIOD\t2020Q1 \t2020Q2 \nQ,IT\t1 \t2 \n")
    assert quarterly["time"].dtype == "str"
    assert quarterly["time"].tolist() == ["2020Q1", "2020Q2"]
    monthly = parse("freq,geo\\TIME_PERIOD\t2020-01 \t2020-02 \nM,IT\t1 \t: \n", drop_missing=False)
    assert monthly["time"].tolist() == ["2020-01", "2020-02"]
    mixed = parse("freq,geo\\TIME_PERIOD\t2020 \t2020Q1 \nA,IT\t1 \t2 \n")
    assert mixed["time"].tolist() == ["2020", "2020Q1"]


def test_order_is_series_then_period() -> None:
    frame = parse(HEADER + "A,X,IT\t1 \t2 \t3 \nA,X,FR\t4 \t5 \t6 \n")
    assert frame["geo"].tolist() == ["IT"] * 3 + ["FR"] * 3
    assert frame["time"].tolist() == [2021, 2023, 2025] * 2
    assert frame["value"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_binary_and_unseekable_buffers_and_gzip_bytes() -> None:
    text = HEADER + "A,PC_ENT,FR\t29.35 \t26.76 b\t: @C\n"
    expected = parse(text)
    pd.testing.assert_frame_equal(read_eurostat_tsv(io.BytesIO(text.encode())), expected)
    pd.testing.assert_frame_equal(read_eurostat_tsv(io.BytesIO(gzip.compress(text.encode()))), expected)

    class Unseekable(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            return self._inner.readinto(buffer)

    pd.testing.assert_frame_equal(read_eurostat_tsv(Unseekable(gzip.compress(text.encode()))), expected)


def test_path_as_str(tmp_path: Path) -> None:
    path = tmp_path / "estat_x.tsv"
    path.write_text(HEADER + "A,X,IT\t1 \t2 \t3 \n", encoding="utf-8")
    assert read_eurostat_tsv(str(path))["value"].tolist() == [1.0, 2.0, 3.0]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "freq,unit,geo\t2021 \t2023 \t2025 \n",  # no backslash part
        "freq,unit,geo\\unit\t2021 \t2023 \t2025 \n",  # columns are not time
        "freq,,geo\\TIME_PERIOD\t2021 \t2023 \t2025 \n",  # empty dimension
        "freq,geo,geo\\TIME_PERIOD\t2021 \t2023 \t2025 \n",  # repeated dimension
        "freq,value,geo\\TIME_PERIOD\t2021 \t2023 \t2025 \n",  # clashes with an output column
    ],
)
def test_bad_packed_header_is_rejected(header: str) -> None:
    with pytest.raises(EurostatFormatError, match="header"):
        parse(header + "A,X,IT\t1 \t2 \t3 \n")


def test_missing_header_is_rejected() -> None:
    with pytest.raises(EurostatFormatError, match="packed key header"):
        parse("A,PC_ENT,FR\t29.35 \t26.76 b\t40.41 \nA,PC_ENT,IT\t1 \t2 \t3 \n")


def test_header_without_period_columns_is_rejected() -> None:
    with pytest.raises(EurostatFormatError, match="at least one period column"):
        parse("freq,geo\\TIME_PERIOD\nA,IT\n")


def test_repeated_period_header_is_rejected() -> None:
    with pytest.raises(EurostatFormatError, match="repeated period"):
        parse("freq,geo\\TIME_PERIOD\t2020 \t2020\nA,IT\t1 \t2 \n")


@pytest.mark.parametrize("bad", ["12,5", "abc", "1.2.3", "b", "12.5 B", "@C", "1 2", ": : "])
def test_malformed_value_is_rejected_with_its_place(bad: str) -> None:
    text = HEADER + "A,X,IT\t1 \t2 \t3 \n" + f"A,X,FR\t4 \t{bad}\t6 \n"
    with pytest.raises(EurostatFormatError) as info:
        parse(text)
    message = str(info.value)
    assert "data row 2 (A,X,FR)" in message
    assert "'2023'" in message
    assert repr(bad) in message
    assert "1 such cell" in message


def test_all_malformed_cells_are_counted() -> None:
    with pytest.raises(EurostatFormatError, match="3 such cell"):
        parse(HEADER + "A,X,IT\tx \ty \tz\n")


@pytest.mark.parametrize("key", ["A,IT", "A,X,IT,extra"])
def test_series_key_with_wrong_number_of_codes(key: str) -> None:
    with pytest.raises(EurostatFormatError, match=r"data row 1: series key .* header names 3"):
        parse(HEADER + f"{key}\t1 \t2 \t3 \n")


def test_empty_and_corrupt_inputs(tmp_path: Path) -> None:
    with pytest.raises(EurostatFormatError, match="empty"):
        parse("")
    truncated = tmp_path / "truncated.tsv.gz"
    truncated.write_bytes(gzip.compress((HEADER + "A,X,IT\t1 \t2 \t3 \n" * 200).encode())[:-30])
    with pytest.raises(EurostatFormatError, match="gzip"):
        read_eurostat_tsv(truncated)
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes((HEADER + "A,X,CIT\xc0\t1 \t2 \t3 \n").encode("latin-1"))
    with pytest.raises(EurostatFormatError, match="UTF-8"):
        read_eurostat_tsv(latin1)


def test_format_error_is_a_value_error() -> None:
    assert issubclass(EurostatFormatError, ValueError)


def test_split_packed_header() -> None:
    assert split_packed_header(" freq,size_emp,geo\\TIME_PERIOD ") == ["freq", "size_emp", "geo"]
    assert split_packed_header("geo\\time") == ["geo"]
    with pytest.raises(EurostatFormatError):
        split_packed_header("freq,geo")


# --- property: whatever cells we write, we read back ---------------------------------------

NUMBERS = st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
FLAGS = st.sampled_from(["", "b", "u", "d", "e", "p", "bp"])
CELLS = st.tuples(st.one_of(st.none(), NUMBERS), FLAGS, st.booleans())


@settings(max_examples=60, deadline=None)
@given(grid=st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=8), drop=st.booleans())
def test_round_trip_of_written_cells(grid: list[list[tuple[object, str, bool]]], drop: bool) -> None:
    lines, expected = [HEADER], []
    for row_number, row in enumerate(grid):
        geo = f"G{row_number}"
        texts = []
        for (number, flag, confidential), year in zip(row, (2021, 2023, 2025), strict=True):
            value_text = ":" if number is None else str(number)
            marker = "@C" if confidential else ""
            texts.append(f"{value_text} {flag}{marker}".rstrip() + " ")
            full_flag = flag + ("c" if confidential else "")
            if not (drop and number is None and not full_flag):
                expected.append((geo, year, None if number is None else float(number), full_flag or None))
        lines.append(f"A,X,{geo}\t" + "\t".join(texts) + "\n")
    frame = parse("".join(lines), drop_missing=drop)
    got = [
        (geo, year, None if pd.isna(value) else float(value), None if pd.isna(flag) else flag)
        for geo, year, value, flag in zip(
            frame["geo"], frame["time"], frame["value"], frame["flag"], strict=True
        )
    ]
    assert got == expected


def test_docstring_example_matches() -> None:
    """The example in read_eurostat_tsv's docstring is the spec: run it."""
    import doctest

    import channelstudy.sources.eurostat as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 2


def test_a_large_synthetic_file_parses_every_cell() -> None:
    """10,000 series x 10 years (its parse time: benchmarks/bench_eurostat.py, 100,000 series)."""
    years = [str(y) for y in range(2014, 2024)]
    header = "freq,geo\\TIME_PERIOD\t" + "\t".join(f"{y} " for y in years) + "\n"
    body = "".join(
        f"A,G{i}\t" + "\t".join(f"{(i + j) % 997 / 7:.2f} " for j in range(10)) + "\n" for i in range(10_000)
    )
    frame = parse(header + body)
    assert len(frame) == 100_000
    assert frame["value"].iloc[13] == pytest.approx(round((1 + 3) % 997 / 7, 2))
    assert frame["value"].iloc[-1] == pytest.approx(round((9_999 + 9) % 997 / 7, 2))
    assert frame["geo"].iloc[-1] == "G9999"
    assert sorted(frame["time"].unique()) == list(range(2014, 2024))
