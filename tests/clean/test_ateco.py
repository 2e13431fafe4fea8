"""Tests of channelstudy.clean.ateco: any format and edition → ATECO 2025."""

from __future__ import annotations

from pathlib import Path

import ateco as ateco_pkg
import pandas as pd
import pytest

from channelstudy.clean import ateco
from channelstudy.clean.exceptions import AmbiguousValue, InvalidComponent, InvalidFormat, UnknownValue


def targets_2022(code: str) -> tuple[str, ...]:
    """2025 targets straight from the ateco package (independent of the module)."""
    return tuple(ateco_pkg.map_code(code, "2022", "2025").targets)


# --- reading formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "edition", "dotted"),
    [
        ("6201", "2022", "62.01"),
        ("62.01", "2022", "62.01"),
        ("62.01.00", "2022", "62.01.00"),
        ("620100", "2022", "62.01.00"),
        (" 62.01 ", "2007", "62.01"),
        ("J 62", "2007", "62"),
        ("J62", "2007", "62"),
        ("j-62", "2007", "62"),
        ("62", "2007", "62"),
        ("J", "2007", "J"),
        ("J 62 PRODUZIONE DI SOFTWARE, CONSULENZA INFORMATICA", "2007", "62"),  # startup `attività`
        ("621000", "2025", "62.10.00"),
        ("K 62", "2025", "62"),
        ("0113", "2025", "01.13"),
        ("412", "2007", "41.2"),
    ],
)
def test_validate_formats(raw: str, edition: str, dotted: str) -> None:
    assert ateco.validate(raw, edition) == dotted
    assert ateco.is_valid(raw, edition)


def test_zeros_stripped_reading() -> None:
    # the startup register drops trailing zeros of the 6-digit code
    for raw, dotted in [
        ("6201", "62.01.00"),
        ("412", "41.20.00"),
        ("722", "72.20.00"),
        ("47911", "47.91.10"),
        ("620909", "62.09.09"),
        ("6209", "62.09"),
        ("10", "10"),
    ]:
        assert ateco.validate(raw, "2007", zeros_stripped=True) == dotted, raw
        assert ateco_pkg.lookup(dotted, edition="2007") is not None


@pytest.mark.parametrize(
    ("raw", "edition", "error"),
    [
        ("62.01", "2025", UnknownValue),  # 62.01 no longer exists in 2025
        ("621000", "2007", UnknownValue),
        ("J 47", "2007", InvalidComponent),  # 47 is in section G
        ("J 62", "2025", InvalidComponent),  # programming is section K in 2025
        ("X", "2007", InvalidFormat),
        ("1", "2007", InvalidFormat),
        ("1234567", "2007", InvalidFormat),
        ("62.01.000", "2007", InvalidFormat),
        ("NC", "2007", UnknownValue),
        ("", "2007", InvalidFormat),
    ],
)
def test_validate_errors(raw: str, edition: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        ateco.validate(raw, edition)
    assert not ateco.is_valid(raw, edition)


def test_bad_edition() -> None:
    with pytest.raises(ValueError, match="edition"):
        ateco.validate("62.01", "2008")


def test_compact() -> None:
    assert [ateco.compact(v) for v in ("62.01.00", "j62", "J", "", None)] == ["620100", "62", "J", "", ""]


# --- to 2025 ------------------------------------------------------------------------------------


def test_unambiguous_mappings_follow_the_ateco_package() -> None:
    assert targets_2022("62.01") == ("62.10",)
    r = ateco.to_2025("6201", edition="2007")
    assert (r.code, r.edition, r.flag, r.candidates) == ("62.10", "2007", None, ())
    assert r.title == ateco_pkg.lookup("62.10", edition="2025").title
    assert ateco.to_2025("62.01.00", edition="2022").code == targets_2022("62.01.00")[0] == "62.10.00"
    assert ateco.to_2025("621000", edition="2025").code == "62.10.00"
    assert ateco.validate_2025("62.01", edition="2022") == "62.10"


def test_ambiguous_mappings_are_flagged_not_guessed() -> None:
    assert targets_2022("47.41") == ("47.40", "47.92")
    r = ateco.to_2025("47.41", edition="2022")
    assert (r.code, r.flag, r.candidates) == ("47", "ambiguous", ("47.40", "47.92"))
    many = targets_2022("62.09")
    assert len({t[:2] for t in many}) > 1  # spans several divisions
    r = ateco.to_2025("62.09", edition="2007")
    assert (r.code, r.flag, r.candidates) == (None, "ambiguous", many)
    with pytest.raises(AmbiguousValue):
        ateco.validate_2025("47.41", edition="2022")


def test_2007_codes_split_in_2022_map_through_their_children() -> None:
    assert ateco_pkg.lookup("93.21.00", edition="2007") is not None
    assert ateco_pkg.lookup("93.21.00", edition="2022") is None
    children = ("93.21.01", "93.21.02")
    expected = sorted({t for c in children for t in targets_2022(c)})
    r = ateco.to_2025("93.21.00", edition="2007")
    assert sorted(r.candidates) == expected
    assert r.flag == "ambiguous" and all(t.startswith(r.code) for t in expected)


def test_edition_inference_order() -> None:
    assert ateco.to_2025("621000").edition == "2025"
    assert ateco.to_2025("6201").edition == "2022"  # 62.01 is not a 2025 class
    assert ateco.to_2025("J 62").edition == "2022"  # J 62 fails in 2025 (K), fits 2022
    assert ateco.to_2025("NC").flag == "not_classified"
    assert ateco.to_2025("99.99.99").flag == "unknown"
    assert ateco.to_2025(None) == (None, None, None, None, ())


def test_clean_ateco_frame() -> None:
    s = pd.Series(["6201", "NC", None, "47.41", "xx", "6201"], index=list("abcdef"))
    out = ateco.clean_ateco(s, edition="2007")
    assert list(out.columns) == list(ateco.ATECO_COLUMNS)
    assert out.index.tolist() == list("abcdef")
    assert out["ateco_2025"].tolist() == ["62.10", pd.NA, pd.NA, "47", pd.NA, "62.10"]
    assert out["ateco_flag"].tolist() == [
        pd.NA,
        "not_classified",
        pd.NA,
        "ambiguous",
        "invalid_format",
        pd.NA,
    ]
    assert out.loc["d", "ateco_candidates"] == "47.40;47.92"


# --- real files ---------------------------------------------------------------------------------


def _check_output_is_consistent(out: pd.DataFrame) -> None:
    codes = out["ateco_2025"].dropna().unique()
    assert all(ateco_pkg.lookup(c, edition="2025") is not None for c in codes)  # real 2025 codes only
    amb = out["ateco_flag"].eq("ambiguous")
    for code, candidates in zip(out.loc[amb, "ateco_2025"], out.loc[amb, "ateco_candidates"], strict=True):
        targets = candidates.split(";")
        assert len(targets) > 1
        assert pd.isna(code) or all(t.startswith(code) for t in targets)


def test_real_startup_2017_ateco(startup_2017: pd.DataFrame) -> None:
    raw = startup_2017["ateco 2007"]
    assert (raw == "6201").sum() == 1360 and (raw == "NC").sum() == 26  # PROVENANCE.md

    out = ateco.clean_ateco(raw, edition="2007")
    assert out.loc[raw == "6201", "ateco_2025"].eq("62.10").all()
    assert out["ateco_2025"].eq("62.10").sum() == 1360
    assert out.loc[raw == "NC", "ateco_flag"].eq("not_classified").all()
    # every code of the file is a 2007 code read by length (none unknown or malformed)
    assert out["ateco_flag"].isin(["ambiguous", "not_classified"]).sum() == out["ateco_flag"].notna().sum()
    _check_output_is_consistent(out)

    padded = ateco.clean_ateco(raw, edition="2007", zeros_stripped=True)
    assert padded.loc[raw == "6201", "ateco_2025"].eq("62.10.00").all()
    assert padded.loc[raw == "722", "ateco_2025"].eq(ateco.to_2025("72.20.00", "2022").code).all()
    _check_output_is_consistent(padded)
    # each unambiguous target is the one the ateco package gives for the 2022 code
    one = raw[(raw == "620909") | (raw == "6312")].iloc[0]
    expected = targets_2022(ateco_pkg.compact_to_dotted(one.ljust(6, "0")))
    got = padded.loc[raw == one].iloc[0]
    assert (got["ateco_candidates"].split(";") if len(expected) > 1 else [got["ateco_2025"]]) == list(
        expected
    )


def test_real_startup_2025_ateco(realdata: Path) -> None:
    path = realdata / "startup_registry_2025_derived" / "fact_startup_registry.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)["AtecoCode"]
    assert (raw == "621000").sum() == 4404 and (raw == "NC").sum() == 178  # PROVENANCE.md

    out = ateco.clean_ateco(raw, edition="2025")
    assert out["ateco_2025"].eq("62.10.00").sum() == 4404
    assert out["ateco_2025"].str.startswith("62").sum() == raw.str.startswith("62").sum() == 5455
    # every classified code of the 2025 file is a 2025 code: no flags but NC
    assert out["ateco_flag"].dropna().eq("not_classified").all()
    assert out["ateco_flag"].notna().sum() == 178
    assert out["ateco_edition"].dropna().eq("2025").all()
    _check_output_is_consistent(out)


def test_empty_and_missing_inputs() -> None:
    assert ateco.clean_ateco(pd.Series([], dtype=object)).shape == (0, len(ateco.ATECO_COLUMNS))
    assert ateco.clean_ateco(pd.Series([None, ""])).isna().all().all()


@pytest.mark.parametrize(
    ("raw", "dotted", "code_2025", "flag"),
    [
        ("62.01", "62.01", "62.10", None),  # the dots say class: not the subcategory 62.01.00
        ("J 62.01.", "62.01", "62.10", None),
        ("1.61", "01.61", "01.61", "restored_zero"),  # not the digits 161 padded to 16.10.00 (sawmilling)
        ("6201", "62.01.00", "62.10.00", None),  # compact: padded (the register's spelling)
    ],
)
def test_zeros_stripped_pads_compact_codes_only(raw: str, dotted: str, code_2025: str, flag: str | None) -> None:
    assert ateco.validate(raw, "2007", zeros_stripped=True, allow_restored_zero=True) == dotted
    result = ateco.to_2025(raw, "2007", zeros_stripped=True)
    assert (result.code, result.flag) == (code_2025, flag)
    assert ateco_pkg.lookup(dotted, edition="2007") is not None


# --- decision rules, one value per rule (mutation-style: messages and results compared whole) ----


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ateco.validate("X", "2007"), InvalidFormat, r"^not an ATECO code: 'X'$"),
        (lambda: ateco.validate("J 47", "2007"), InvalidComponent, r"^47 is not in section J \(2007\)$"),
        (lambda: ateco.validate("", "2007"), InvalidFormat, "^no ATECO code given$"),
        (lambda: ateco.validate("NC", "2007"), UnknownValue, r"^not classified \(NC\)$"),
        (lambda: ateco.validate("99.99", "2007"), UnknownValue, "^'99.99' is not an ATECO 2007 code$"),
        (lambda: ateco.validate("99.99", None), UnknownValue, "^'99.99' is not a code of any ATECO edition$"),
        (lambda: ateco.validate("1.9", "2007"), InvalidFormat,
         r"^one-digit division in '1.9' \(and no code with a leading zero restored\)$"),
        (lambda: ateco.validate_2025("47.41", "2022"), AmbiguousValue, "^'47.41' maps to 2 ATECO 2025 codes$"),
        (lambda: ateco.validate_2025("99.99", "2007"), UnknownValue, r"^'99.99' has no ATECO 2025 code \(unknown\)$"),
        (lambda: ateco.validate_2025(None, "2007"), UnknownValue, r"^None has no ATECO 2025 code \(missing\)$"),
        (lambda: ateco.validate_2025("J 47", "2007"), InvalidComponent, "^A part of the value is invalid"),
        (lambda: ateco.validate_2025("X", "2007"), InvalidFormat, "^The value has an invalid format"),
        (lambda: ateco.compact("NC"), UnknownValue, r"^not classified \(NC\)$"),
    ],
)
def test_error_messages(call, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_defaults_read_2025_strictly() -> None:
    assert ateco.validate("62.10") == "62.10" and ateco.is_valid("62.10")
    assert not ateco.is_valid("62.01")  # a 2022 class, not a 2025 one
    assert ateco.validate("6201", "2007") == "62.01"  # not padded unless asked
    assert ateco.validate("6201", "2007", zeros_stripped=True) == "62.01.00"
    assert not ateco.is_valid("113", "2022") and ateco.is_valid("113", "2022", allow_restored_zero=True)
    assert ateco.validate_2025("6201", "2007", zeros_stripped=True) == "62.10.00"
    assert ateco.validate_2025("6201") == "62.10"  # edition inferred: 2022


def test_titles_and_missing_floats() -> None:
    assert ateco.to_2025("62.10", "2025") == ("62.10", "Attività di programmazione informatica", "2025", None, ())
    r = ateco.to_2025("47.41", "2022")  # the title of the common ancestor
    assert (r.code, r.title) == ("47", ateco_pkg.lookup("47", edition="2025").title)
    assert ateco.to_2025(float("nan"), "2007") == (None, None, None, None, ())
    assert ateco.to_2025("NC", "2007") == (None, None, "2007", "not_classified", ())
    assert ateco.to_2025("99.99", "2007") == (None, None, "2007", "unknown", ())
    assert ateco.to_2025("X", "2022") == (None, None, "2022", "invalid_format", ())


def test_clean_ateco_passes_edition_and_zeros_and_types_its_columns() -> None:
    out = ateco.clean_ateco(pd.Series(["6201", "6201", None]), edition="2007", zeros_stripped=True)
    assert out["ateco_2025"].tolist() == ["62.10.00", "62.10.00", pd.NA]
    assert out["ateco_edition"].tolist() == ["2007", "2007", pd.NA]
    assert all(str(t) == "string" for t in out.dtypes)


def test_section_letters_bind_dotted_and_restored_codes() -> None:
    with pytest.raises(InvalidComponent, match=r"^62.01 is not in section G \(2007\)$"):
        ateco.validate("G 62.01", "2007")  # a dotted code keeps its letter
    # 01.61 is in section A: the letter C refuses the restored code too
    assert ateco.to_2025("C 1.61", "2007") == (None, None, "2007", "invalid_component", ())
    assert ateco.to_2025("A 1.61", "2007")[::3] == ("01.61", "restored_zero")


def test_restored_codes_are_read_in_the_edition_given_and_padded_when_zeros_are_stripped() -> None:
    assert ateco_pkg.lookup("01.49", edition="2007") is not None
    assert ateco_pkg.lookup("01.49", edition="2025") is None
    assert ateco.validate("1.49", "2007", allow_restored_zero=True) == "01.49"  # a 2007 code, not a 2025 one
    # 112: no 11.2 nor 11.20.00; restored 0112 padded is the 2007 subcategory 01.12.00
    assert ateco_pkg.lookup("01.12.00", edition="2007") is not None
    assert ateco.validate("112", "2007", zeros_stripped=True, allow_restored_zero=True) == "01.12.00"
    assert ateco.validate("112", "2007", allow_restored_zero=True) == "01.12"


def test_title_2025_only_of_text() -> None:
    assert ateco.title_2025(6210) is None and ateco.title_2025("") is None
    assert ateco.title_2025("62.10") == "Attività di programmazione informatica"
