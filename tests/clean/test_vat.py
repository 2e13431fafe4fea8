"""Tests of channelstudy.clean.vat: partita IVA, codice fiscale, foreign VAT numbers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.ch import uid as ch_uid
from stdnum.it import codicefiscale, iva

from channelstudy.clean import vat
from channelstudy.clean.exceptions import (
    AmbiguousValue,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

VALID = "00743110157"  # python-stdnum's own example of a valid partita IVA


def make_piva(company: int, office: int) -> str:
    """A valid partita IVA built independently of the module: 7 + 3 digits + Luhn check digit."""
    body = f"{company:07d}{office:03d}"
    return body + luhn.calc_check_digit(body)


# --- scalar API -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [VALID, "IT00743110157", "it 00743110157", " IT-007.431.101.57 ", "007 431 101 57", "IT:00743110157"],
)
def test_validate_accepts_spellings(raw: str) -> None:
    assert vat.validate(raw) == VALID
    assert vat.is_valid(raw)
    assert vat.compact(raw) == VALID


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("00743110158", InvalidChecksum),  # last digit changed
        ("00304324695", InvalidChecksum),  # ANAC file, STUDIOSIT SA (Swiss number with zeros)
        ("30432469500", InvalidChecksum),  # ANAC file, same supplier
        ("0074311015", InvalidLength),
        ("ABC", InvalidFormat),
        ("00000000000", InvalidFormat),  # stdnum: company number all zeros
        (make_piva(1234567, 200), InvalidComponent),  # office code 200 does not exist
    ],
)
def test_validate_raises_typed_errors(raw: str, error: type[ValidationError]) -> None:
    with pytest.raises(error):
        vat.validate(raw)
    assert not vat.is_valid(raw)
    assert error.code == vat.classify(raw).flag


def test_validate_extra_zero_only_when_asked() -> None:
    with pytest.raises(InvalidLength):  # strict by default
        vat.validate("005952700420")
    assert vat.validate("005952700420", allow_extra_zero=True) == "00595270042"
    assert vat.validate("0" + VALID, allow_extra_zero=True) == VALID


def test_extra_zero_ambiguous_when_both_readings_valid() -> None:
    # a valid A ending in 0 such that "0" + A[:-1] is valid too: "0" + A has two valid readings
    found = next(
        "0" + a
        for a in (make_piva(company, office) for company in range(1, 10_000) for office in range(1, 101))
        if a[-1] == "0" and iva.is_valid("0" + a[:-1]) and "0" + a[:-1] != a
    )
    with pytest.raises(AmbiguousValue):
        vat.validate(found, allow_extra_zero=True)
    assert vat.classify(found) == (None, "invalid", "ambiguous")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (VALID, (VALID, "piva", None)),
        ("005952700420", ("00595270042", "piva_extra_zero", "extra_zero")),  # trailing zero added
        ("0" + VALID, (VALID, "piva_extra_zero", "extra_zero")),  # leading zero added
        ("MFFFNC76P18I073C", (None, "cf_person", "cf_person")),
        ("mfffnc76p18i073c", (None, "cf_person", "cf_person")),
        ("MFFFNC76P18I073X", (None, "invalid", "invalid_checksum")),
        ("CHE304924695", (None, "foreign_vat", "foreign_vat")),
        ("CHE-304.924.695", (None, "foreign_vat", "foreign_vat")),
        ("CH304924695", (None, "foreign_vat", "foreign_vat")),
        ("CHE-304.924.695 MWST", (None, "foreign_vat", "foreign_vat")),
        ("CHE304324695", (None, "invalid", "invalid_checksum")),  # typo of the Swiss UID
        ("304324695", (None, "invalid", "invalid_length")),
        ("DE136695976", (None, "foreign_vat", "foreign_vat")),
        ("FR40303265045", (None, "foreign_vat", "foreign_vat")),
        ("ES A28015865", (None, "foreign_vat", "foreign_vat")),
        ("DE136695977", (None, "invalid", "invalid_checksum")),
        ("US123456789", (None, "invalid", "invalid_format")),
        ("garbage!", (None, "invalid", "invalid_format")),
        ("", (None, None, None)),
        (None, (None, None, None)),
        (" - ", (None, None, None)),
    ],
)
def test_classify(raw: object, expected: tuple[str | None, str | None, str | None]) -> None:
    assert tuple(vat.classify(raw)) == expected
    out = vat.classify_series(pd.Series([raw], dtype=object))
    assert out.iloc[0].tolist() == [pd.NA if x is None else x for x in expected]


def test_validate_tax_code() -> None:
    assert vat.validate_tax_code("MFFFNC76P18I073C") == "MFFFNC76P18I073C"
    assert vat.validate_tax_code("IT" + VALID) == VALID
    with pytest.raises(InvalidChecksum):
        vat.validate_tax_code("MFFFNC76P18I073X")


# --- vectorised API ---------------------------------------------------------------------------


def test_classify_series_keeps_index_and_dtypes() -> None:
    s = pd.Series([VALID, None, "x", "IT " + VALID], index=[10, 20, 30, 40])
    out = vat.classify_series(s)
    assert out.index.tolist() == [10, 20, 30, 40]
    assert list(out.columns) == ["vat", "kind", "flag"]
    assert all(str(t) == "string" for t in out.dtypes)
    assert out["vat"].tolist() == [VALID, pd.NA, pd.NA, VALID]
    assert vat.classify_series(pd.Series([], dtype="string")).shape == (0, 3)


def test_classify_series_is_fast() -> None:
    rng = np.random.default_rng(0)
    s = pd.Series([f"{x:011d}" for x in rng.integers(0, 10**11, 100_000)])
    out = vat.classify_series(s)  # speed goal: benchmarks/bench_cleaners.py
    # independent check of the numpy path with python-stdnum
    assert out["kind"].eq("piva").sum() == sum(iva.is_valid(x) for x in s)


# --- properties -------------------------------------------------------------------------------

companies = st.integers(min_value=1, max_value=9_999_999)
offices = st.integers(min_value=1, max_value=100)


@st.composite
def spelled(draw: st.DrawFn, number: str) -> str:
    """Random mix of IT prefix, spaces, dots and case around an 11-digit number."""
    out = []
    for digit in number:
        out.append(digit)
        out.append(draw(st.sampled_from(["", "", "", " ", ".", "  ", ". "])))
    prefix = draw(st.sampled_from(["", "IT", "it", "It", "IT ", "it."]))
    return draw(st.sampled_from(["", " "])) + prefix + "".join(out)


@settings(max_examples=200, deadline=None)
@given(company=companies, office=offices, data=st.data())
def test_property_valid_piva_survives_any_spelling(company: int, office: int, data: st.DataObject) -> None:
    number = make_piva(company, office)
    assert iva.is_valid(number)  # the generator is right (independent of the module)
    raw = data.draw(spelled(number))
    # the one spelling read otherwise on purpose: a spreadsheet float's shape (see test_float_shape_wins)
    assume(not re.fullmatch(r"[1-9][0-9]*[.,]0+", re.sub(r"\s", "", raw)))
    assert vat.validate(raw) == number
    assert tuple(vat.classify(raw)) == (number, "piva", None)
    assert vat.classify_series(pd.Series([raw])).iloc[0].tolist() == [number, "piva", pd.NA]


@settings(max_examples=200, deadline=None)
@given(company=companies, office=offices, position=st.integers(0, 10), delta=st.integers(1, 9))
def test_property_single_digit_change_is_invalid(
    company: int, office: int, position: int, delta: int
) -> None:
    number = make_piva(company, office)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert not luhn.is_valid(changed)  # Luhn catches every single-digit substitution
    assert vat.classify(changed) == (None, "invalid", "invalid_checksum")
    assert vat.classify_series(pd.Series([changed])).iloc[0].tolist() == [
        pd.NA,
        "invalid",
        "invalid_checksum",
    ]
    with pytest.raises(InvalidChecksum):
        vat.validate(changed)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="0123456789ITCHE .-", min_size=0, max_size=16), min_size=1, max_size=30))
def test_property_series_agrees_with_scalar(values: list[str]) -> None:
    out = vat.classify_series(pd.Series(values, dtype=object))
    for raw, row in zip(values, out.itertuples(index=False), strict=True):
        expected = [pd.NA if x is None else x for x in vat.classify(raw)]
        assert [row.vat, row.kind, row.flag] == expected, raw


# --- the real ANAC file -----------------------------------------------------------------------


def _independent_kind(value: str) -> str:
    """Classify with python-stdnum and regexes only (no channelstudy code)."""
    if re.fullmatch(r"\d{11}", value):
        return "piva" if iva.is_valid(value) else "invalid"
    if re.fullmatch(r"\d{12}", value):
        readings = {
            r for r in (value[1:] if value[0] == "0" else "", value[:-1] if value[-1] == "0" else "") if r
        }
        valid = [r for r in readings if iva.is_valid(r)]
        return "piva_extra_zero" if len(valid) == 1 else "invalid"
    if len(value) == 16 and codicefiscale.is_valid(value):
        return "cf_person"
    swiss = re.fullmatch(r"CHE?-?(\d{3})\.?(\d{3})\.?(\d{3})", value)
    if swiss and ch_uid.is_valid("CHE" + "".join(swiss.groups())):
        return "foreign_vat"
    return "invalid"


def test_real_anac_identifiers(realdata: Path) -> None:
    path = realdata / "anac_pnrr_anncsu_suppliers" / "aggiudicatori.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    ids = frame["codice_fiscale"][frame["codice_fiscale"] != ""]
    # the file's own figures (PROVENANCE.md)
    assert ids.str.len().value_counts().to_dict() == {11: 772, 12: 15, 16: 7, 15: 2, 9: 1}
    assert sum(iva.is_valid(x) for x in ids if re.fullmatch(r"\d{11}", x)) == 769
    for bad in ("00304324695", "30432469500"):
        assert bad in set(ids) and not luhn.is_valid(bad)

    expected = ids.map(_independent_kind)
    out = vat.classify_series(frame["codice_fiscale"])
    got = out.loc[ids.index]
    assert got["kind"].value_counts().to_dict() == expected.value_counts().to_dict()
    assert (got["kind"] == expected).all()
    assert expected.value_counts()["piva"] == 769
    assert expected.value_counts()["cf_person"] == 7
    # rows with no identifier stay null, not "invalid"
    assert out.loc[frame["codice_fiscale"] == "", "kind"].isna().all()
    # never a silently invalid partita IVA in the output
    assert got["vat"].dropna().map(iva.is_valid).all()
    # the extra-zero repair recovers the number the same firm has elsewhere in the file
    td = frame.loc[frame["codice_fiscale"] == "005952700420", "denominazione"].unique().tolist()
    assert td == ["TECHNICALDESIGN SRL"]
    other = frame.loc[frame["denominazione"] == "TECHNICAL DESIGN S.R.L.", "codice_fiscale"].unique().tolist()
    repaired = got.loc[ids == "005952700420", "vat"].unique().tolist()
    assert repaired == other == ["00595270042"]
    assert got.loc[ids.isin(["00304324695", "30432469500"]), "flag"].eq("invalid_checksum").all()


# --- decision rules, one value per rule (mutation-style: results compared whole) ---------------


def test_numpy_path_checks_each_row_of_a_batch_on_its_own() -> None:
    # distinct 11-digit values checked together: each row keeps its own check digit, company and office
    rows = {
        VALID: (VALID, "piva", None),
        make_piva(1234567, 100): (make_piva(1234567, 100), "piva", None),  # office 100, check digit 7
        make_piva(7654321, 888): (make_piva(7654321, 888), "piva", None),
        make_piva(1234567, 200): (None, "invalid", "invalid_component"),
        make_piva(0, 100): (None, "invalid", "invalid_format"),  # company 0000000 (office starts with 1)
        VALID[:-1] + "8": (None, "invalid", "invalid_checksum"),
    }
    assert make_piva(1234567, 100) == "12345671007"  # the office's last digit differs from the check digit
    out = vat.classify_series(pd.Series(list(rows)))
    got = [tuple(None if x is pd.NA else x for x in row) for row in out.itertuples(index=False)]
    assert got == list(rows.values())
    assert [row[1] == "piva" for row in got] == [iva.is_valid(x) for x in rows]  # python-stdnum agrees


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a 12-digit value is repaired only by dropping a zero it starts or ends with
        ("0" + make_piva(1234567, 15), (make_piva(1234567, 15), "piva_extra_zero", "extra_zero")),
        (VALID + "7", (None, "invalid", "invalid_length")),  # VALID is a prefix, but 7 is not a zero
        (float("nan"), (None, None, None)),  # a spreadsheet's empty cell
        (" 3143790115.0", ("03143790115", "piva_restored_zero", "restored_zero")),  # spaces go before the float rule
    ],
)
def test_extra_zero_readings_and_missing_floats(raw: object, expected: tuple) -> None:
    assert make_piva(1234567, 15)[0] != "0"
    assert tuple(vat.classify(raw)) == expected
    out = vat.classify_series(pd.Series([raw], dtype=object))
    assert tuple(None if x is pd.NA else x for x in out.iloc[0]) == expected


@pytest.mark.parametrize(
    ("raw", "kwargs", "error", "message"),
    [
        ("0074311015A", {}, InvalidFormat, "^a partita IVA has digits only$"),
        ("0074311015", {}, InvalidLength, "^a partita IVA has 11 digits, not 10$"),
        ("000000300640", {"allow_extra_zero": True}, AmbiguousValue,
         "^both 00000030064 and 00000300640 are valid readings$"),
        ("0" + VALID[:-1] + "8", {"allow_extra_zero": True}, InvalidLength,
         "^12 digits, and no valid 11-digit reading without an extra zero$"),
        ("3143790116", {"allow_restored_zero": True}, InvalidLength,
         "^10 digits, and no valid partita IVA with the lost leading zeros restored$"),
    ],
)
def test_validate_messages(raw: str, kwargs: dict, error: type[ValidationError], message: str) -> None:
    with pytest.raises(error, match=message):
        vat.validate(raw, **kwargs)
