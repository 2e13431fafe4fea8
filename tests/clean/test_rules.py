"""Decision rules of the cleaners, one exact-equality test per branch that changes a result.

Written mutation-style: each test pins the output of one rule, with a value for which a
plausible wrong version of the rule (deepest ↔ shallowest, order of checks swapped, a length
off by one, a guard dropped) gives a different result.  ``startswith`` or ``in`` checks would
let such bugs through, so results are compared whole.
"""

from __future__ import annotations

import pandas as pd
import pytest
from stdnum import luhn

from channelstudy.clean import answers, ateco, geo, names, numbers, partner_types, vat
from channelstudy.clean.exceptions import (
    AmbiguousValue,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    UnknownValue,
)


def make_piva(company: int, office: int) -> str:
    body = f"{company:07d}{office:03d}"
    return body + luhn.calc_check_digit(body)


def series_row(module_fn, raw: object) -> tuple:
    """The first row of a vectorised cleaner, NA as None."""
    row = module_fn(pd.Series([raw], dtype=object)).iloc[0].tolist()
    return tuple(None if x is pd.NA else x for x in row)


# ============================================================================== ATECO


@pytest.mark.parametrize(
    ("raw", "edition", "code", "candidates"),
    [
        # deepest common 2025 ancestor, at every level: category (7), class (5), group (4), division (2)
        ("72.19.09", "2007", "72.10.2", ("72.10.22", "72.10.29")),
        ("721909", "2007", "72.10.2", ("72.10.22", "72.10.29")),
        ("08.93.00", "2022", "08.93.0", ("08.93.01", "08.93.02", "08.93.03")),
        ("01.13.1", "2022", "01.13", ("01.13.1", "01.13.2")),
        ("01.19", "2022", "01.1", ("01.13", "01.19")),
        ("47.41", "2022", "47", ("47.40", "47.92")),
        # no common division: null, not a guess
        ("62.09", "2007", None, ateco.to_2025("62.09", "2022").candidates),
    ],
)
def test_ambiguous_code_is_the_deepest_common_ancestor(
    raw: str, edition: str, code: str | None, candidates: tuple[str, ...]
) -> None:
    r = ateco.to_2025(raw, edition)
    assert (r.code, r.flag, r.candidates) == (code, "ambiguous", candidates)
    assert r.title == ateco.title_2025(code)
    assert len(candidates) > 1


def test_unambiguous_mapping_is_the_single_target() -> None:
    assert ateco.to_2025("62.01", "2022") == (
        "62.10",
        "Attività di programmazione informatica",
        "2022",
        None,
        (),
    )
    assert ateco.to_2025("621000", "2025")[:4] == ("62.10.00", ateco.title_2025("62.10.00"), "2025", None)


def test_2007_split_codes_map_through_their_2022_children() -> None:
    r = ateco.to_2025("93.21.00", "2007")
    children = ateco.to_2025("93.21.01", "2022").candidates or (ateco.to_2025("93.21.01", "2022").code,)
    others = ateco.to_2025("93.21.02", "2022").candidates or (ateco.to_2025("93.21.02", "2022").code,)
    assert r.candidates == tuple(dict.fromkeys(children + others))
    assert ateco.to_2025("93.21.00", "2022").flag == "unknown"  # no such code in 2022 itself


@pytest.mark.parametrize(
    ("raw", "edition"),
    [
        ("621000", "2025"),  # 2025 is tried first
        ("6201", "2022"),  # not a 2025 class: 2022 next
        ("97.00.00", "2007"),  # only 2007 has it
        ("J 62", "2022"),  # the letter contradicts 2025 (K), fits 2022
    ],
)
def test_edition_inference_order(raw: str, edition: str) -> None:
    assert ateco.to_2025(raw).edition == edition


@pytest.mark.parametrize(
    ("raw", "edition", "flag"),
    [
        ("J 47", "2007", "invalid_component"),
        ("K 62", "2022", "invalid_component"),
        ("G 47.11", "2007", "ambiguous"),  # the right letter: read, then mapped
        ("NC", "2007", "not_classified"),
        ("N.C.", None, "not_classified"),
        ("99.99.99", None, "unknown"),
        ("62.01.000", "2007", "invalid_format"),
        ("6201.0", "2007", "invalid_format"),  # a float rendering is not a code
    ],
)
def test_ateco_flags(raw: str, edition: str | None, flag: str | None) -> None:
    assert ateco.to_2025(raw, edition).flag == flag


@pytest.mark.parametrize(
    ("raw", "dotted"),
    [("62.", "62"), ("62.01.", "62.01"), ("6201.", "62.01"), ("62. PRODUZIONE DI SOFTWARE", "62")],
)
def test_final_dot_is_allowed(raw: str, dotted: str) -> None:
    assert ateco.validate(raw, "2022") == dotted


def test_zeros_stripped_pads_first_then_reads_by_length() -> None:
    assert ateco.validate("6201", "2007", zeros_stripped=True) == "62.01.00"
    assert ateco.validate("6201", "2007") == "62.01"
    assert ateco.validate("6209", "2007", zeros_stripped=True) == "62.09"  # no 62.09.00


# --- lost leading zeros ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "edition", "code", "edition_read", "flag"),
    [
        ("1.61", "2022", "01.61", "2022", "restored_zero"),
        ("1.61", None, "01.61", "2025", "restored_zero"),
        ("113", "2007", "01.13", "2007", "restored_zero"),  # no 11.3: 01.13
        ("A 113", "2007", "01.13", "2007", "restored_zero"),
        ("9.9", "2007", "09.9", "2007", "restored_zero"),
        ("1.61.", "2022", "01.61", "2022", "restored_zero"),
        ("161", "2022", "16.1", "2022", None),  # 16.1 exists: kept as written
        ("143", None, "14.3", "2022", None),  # 14.3 exists in 2022: no 01.43 from 2025
        ("143", "2025", "01.43", "2025", "restored_zero"),  # ...but 2025 has no 14.3
        ("16110", "2025", "16.11.0", "2025", None),
        ("89", None, "08.9", "2025", "restored_zero"),  # two digits: no division 89 anywhere
    ],
)
def test_restored_zero_rule(
    raw: str, edition: str | None, code: str, edition_read: str, flag: str | None
) -> None:
    r = ateco.to_2025(raw, edition)
    expected = ateco.to_2025(code, edition_read)
    assert (r.code, r.edition, r.flag) == (expected.code, edition_read, flag)
    assert ateco.validate(raw, edition, allow_restored_zero=True) == code
    assert ateco.is_valid(raw, edition, allow_restored_zero=True)


@pytest.mark.parametrize(
    ("raw", "edition", "flag"),
    [
        ("11.1", "2007", "unknown"),  # a two-digit division as written is never changed
        ("1", "2007", "invalid_format"),  # a lone digit is not restored
        ("1.99", "2007", "invalid_format"),  # no 01.99 either
        ("J 113", "2007", "invalid_component"),  # 01.13 is section A
        ("A 161", "2007", "invalid_component"),  # 16.1 exists (section C): no restoration
        ("1611", "2007", "unknown"),  # 16.11 and 01.61.1 are 2025 codes only
        ("1.2", "2007", "ambiguous"),  # restored to 01.2, whose mapping is ambiguous: that flag wins
    ],
)
def test_restored_zero_refusals(raw: str, edition: str, flag: str) -> None:
    assert ateco.to_2025(raw, edition).flag == flag


def test_restored_zero_ambiguous_keeps_the_deepest_ancestor() -> None:
    assert ateco.to_2025("1.2", "2007")[::3] == ("01", "ambiguous")
    assert ateco.to_2025("1.2", "2007").candidates == ateco.to_2025("01.2", "2007").candidates


def test_ateco_restored_zero_is_strict_in_validate() -> None:
    with pytest.raises(UnknownValue):
        ateco.validate("113", "2007")
    with pytest.raises(InvalidFormat):
        ateco.validate("1.61", "2007")
    assert not ateco.is_valid("1.61", "2007")
    with pytest.raises(UnknownValue):
        ateco.validate_2025("113", "2007")
    assert ateco.validate_2025("113", "2007", allow_restored_zero=True) == ateco.to_2025("01.13", "2007").code
    with pytest.raises(AmbiguousValue):
        ateco.validate_2025("1.2", "2007", allow_restored_zero=True)


def test_restored_zero_in_clean_ateco() -> None:
    out = ateco.clean_ateco(pd.Series(["1.61", "161", "6201"]), edition="2022")
    assert out["ateco_2025"].tolist() == ["01.61", "16.1", "62.10"]
    assert out["ateco_flag"].tolist() == ["restored_zero", pd.NA, pd.NA]


def test_ateco_compact_is_spelling_only() -> None:
    assert [ateco.compact(v) for v in ("1.61", "J 62.01.", "")] == ["161", "6201", ""]
    with pytest.raises(UnknownValue):
        ateco.compact("NC")
    with pytest.raises(InvalidFormat):
        ateco.compact("xx")


# ============================================================================== VAT

VALID = "00743110157"
RESTORABLE_10 = "03143790115"  # from the issue


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3143790115", (RESTORABLE_10, "piva_restored_zero", "restored_zero")),  # one zero lost
        ("3143790115.0", (RESTORABLE_10, "piva_restored_zero", "restored_zero")),  # and a float's ".0"
        ("3143790115,00", (RESTORABLE_10, "piva_restored_zero", "restored_zero")),
        (3143790115, (RESTORABLE_10, "piva_restored_zero", "restored_zero")),
        (3143790115.0, (RESTORABLE_10, "piva_restored_zero", "restored_zero")),
        ("743110157", (VALID, "piva_restored_zero", "restored_zero")),  # two zeros lost
        ("IT 3143790115", (RESTORABLE_10, "piva_restored_zero", "restored_zero")),
        # three zeros lost: not restored even though the padding is valid
        (make_piva(1234, 15).lstrip("0"), (None, "invalid", "invalid_length")),
        # padding not valid: the length is what is wrong, not the check digit
        ("3143790116", (None, "invalid", "invalid_length")),
        # an 11-digit number is never padded or re-read
        ("31437901150", (None, "invalid", "invalid_checksum")),
        # a float's ".0" after 11 digits is spelling: clean, unflagged
        (make_piva(1234567, 15) + ".0", (make_piva(1234567, 15), "piva", None)),
        # a leading zero is never a float's rendering: the dot is a separator
        ("0000049068.0", ("00000490680", "piva", None)),
        ("3143790115.0.0", (None, "invalid", "invalid_length")),  # not a float: 12 digits, no valid reading
    ],
)
def test_restored_zero_and_float_rules(raw: object, expected: tuple) -> None:
    assert make_piva(49, 68) == "00000490680" and make_piva(314379, 11) == RESTORABLE_10
    assert tuple(vat.classify(raw)) == expected
    assert series_row(vat.classify_series, raw) == expected


def test_vat_restored_zero_is_strict_in_validate() -> None:
    with pytest.raises(InvalidLength):
        vat.validate("3143790115")
    assert vat.validate("3143790115", allow_restored_zero=True) == RESTORABLE_10
    assert not vat.is_valid(3143790115)
    with pytest.raises(InvalidLength):
        vat.validate(make_piva(1234, 15).lstrip("0"), allow_restored_zero=True)
    assert "piva_restored_zero" in vat.KINDS


@pytest.mark.parametrize(
    ("raw", "compact"),
    [
        ("3143790115.0", "3143790115"),
        ("0000049068.0", "00000490680"),
        ("IT3143790115.0", "31437901150"),  # a float never has a prefix: marks are separators
        ("mfffnc 76p18\u200bi073c", "MFFFNC76P18I073C"),  # zero-width space
        ("ITALIA", "ITALIA"),  # IT only before digits
        ("IT-IT123", "ITIT123"),  # IT is dropped only when digits alone follow
    ],
)
def test_vat_compact(raw: str, compact: str) -> None:
    assert vat.compact(raw) == compact
    assert vat.compact(compact) == compact


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        # check order: check digit, then company number, then office code
        (make_piva(1234567, 200)[:-1] + str((int(make_piva(1234567, 200)[-1]) + 1) % 10), "invalid_checksum"),
        (make_piva(0, 200), "invalid_format"),  # company 0000000 and office 200: company first
        (make_piva(0, 1), "invalid_format"),
        (make_piva(1234567, 200), "invalid_component"),
        (make_piva(1234567, 101), "invalid_component"),
        (make_piva(1234567, 100), None),
        (make_piva(1234567, 120), None),
        (make_piva(1234567, 121), None),
        (make_piva(1234567, 888), None),
        (make_piva(1234567, 999), None),
    ],
)
def test_piva_check_order_and_office_codes(raw: str, flag: str | None) -> None:
    assert vat.classify(raw).flag == flag
    assert series_row(vat.classify_series, raw)[2] == flag  # numpy path, same rule


@pytest.mark.parametrize(
    ("raw", "kind", "flag"),
    [
        ("IT" + VALID, "piva", None),
        ("0" + VALID, "piva_extra_zero", "extra_zero"),
        ("0" + VALID[:-1] + "8", "invalid", "invalid_length"),  # 12 digits, no valid reading
        ("000000300640", "invalid", "ambiguous"),  # 00000030064 and 00000300640 both valid
        ("1" + VALID, "invalid", "invalid_length"),  # the extra digit must be a zero
        ("EL094259216", "foreign_vat", "foreign_vat"),  # Greece's EU prefix
        ("GB980780684", "foreign_vat", "foreign_vat"),
        ("CHE-304.924.695 IVA", "foreign_vat", "foreign_vat"),
        ("MFFFNC76P18I073C", "cf_person", "cf_person"),
        ("mfffnc 76p18 i073c", "cf_person", "cf_person"),
        ("MFFFNC76P18I073X", "invalid", "invalid_checksum"),
    ],
)
def test_vat_kinds(raw: str, kind: str, flag: str | None) -> None:
    assert vat.classify(raw)[1:] == (kind, flag)
    assert series_row(vat.classify_series, raw)[1:] == (kind, flag)


def test_tax_code_lower_case_and_spaces() -> None:
    assert vat.validate_tax_code(" mfffnc 76p18 i073c ") == "MFFFNC76P18I073C"
    assert vat.validate_tax_code("mfffnc\u00a076p18i073c") == "MFFFNC76P18I073C"
    with pytest.raises(InvalidChecksum):
        vat.validate_tax_code("mfffnc 76p18 i073x")
    with pytest.raises(InvalidFormat):  # neither 16 characters nor 11 digits
        vat.validate_tax_code("mfffnc 76p18")


def test_vat_validate_errors_are_typed() -> None:
    assert vat.is_valid("00000030064") and vat.is_valid("00000300640")
    with pytest.raises(AmbiguousValue):
        vat.validate("000000300640", allow_extra_zero=True)
    with pytest.raises(InvalidComponent):
        vat.validate(make_piva(1234567, 200))
    with pytest.raises(InvalidFormat):
        vat.validate("CHE304924695")


# ============================================================================== other cleaners


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("ROSSI SRL GMBH", "SRL"),  # a foreign form counts only without an Italian one
        ("ROSSI GMBH", "FOREIGN"),
        ("ROSSI SA TECH", None),  # a foreign abbreviation counts only at the end
        ("ROSSI SPA S.R.L.", "SRL"),  # the Italian form that ends last
        ("ROSSI S.R.L. SPA", "SPA"),
        ("ROSSI S.R.L. SEMPLIFICATA", "SRLS"),  # longest at one position
        ("ROSSI DI MARIO", None),  # "di" alone is not a sole trader
        ("ROSSI IN LIQUIDAZIONE", None),  # a qualifier is not a form
        ("CONSORZIO ROSSI", "OTHER"),
    ],
)
def test_legal_form_rules(name: str, form: str | None) -> None:
    assert names.legal_form(name) == form


def test_name_rules() -> None:
    assert names.clean_name("Rossi srl in liquidazione") == "ROSSI S.R.L."
    assert names.clean_name("Rossi GmbH") == "ROSSI GMBH"  # foreign: own wording
    assert (
        names.name_key("Italia Group SRL", drop_words={"italia", "group"}) == "ITALIA GROUP"
    )  # never emptied
    assert names.split_name("SRL") == ("SRL", "SRL")  # the core is never emptied


@pytest.mark.parametrize(
    ("comune", "province", "expected"),
    [
        ("Cesena", "FO", ("040007", "FC", "historical_province")),
        ("Pesaro", "PS", ("041044", "PU", "historical_province")),
        ("Cesena", "FC", ("040007", "FC", None)),
        (None, "FO", (None, "FC", "historical_province")),
        ("Pesaro", "FO", (None, "FC", "province_mismatch")),
    ],
)
def test_old_province_sigle(comune: str | None, province: str, expected: tuple) -> None:
    out = geo.clean_geo(pd.Series([comune], dtype=object), pd.Series([province]))
    got = tuple(None if x is pd.NA else x for x in out.iloc[0][["istat_code", "province", "geo_flag"]])
    assert got == expected


@pytest.mark.parametrize(
    ("raw", "decimal", "value", "flag"),
    [
        ("1.234", None, 1234.0, "ambiguous_separator"),
        ("1,234", None, 1234.0, "ambiguous_separator"),
        ("1.234", ".", 1.234, None),
        ("1.234", ",", 1234.0, None),
        ("1,234", ",", 1.234, None),
        ("1.5", ",", 1.5, None),  # the other mark, but no thousands reading: decimal
        ("0,125", None, 0.125, None),  # integer part 0: never thousands
        ("01,250", None, 1.25, None),  # leading zero: never thousands
        ("1234,567", None, 1234.567, None),  # four digits before: never thousands
        ("1,2345", None, 1.2345, None),  # not three digits after
        ("1.234.567", None, 1234567.0, None),  # a repeated mark groups thousands
        ("1.234,5", None, 1234.5, None),  # both marks: the last is decimal
        ("1,234.5", None, 1234.5, None),
        ("1e999", None, None, "invalid_format"),
        ("1.0964385169871338e+69", ".", 1.0964385169871338e69, None),  # exponent: one rounding
    ],
)
def test_number_separator_rules(raw: str, decimal: str | None, value: float | None, flag: str | None) -> None:
    out = numbers.parse_numbers(pd.Series([raw]), decimal=decimal)
    got = out.iloc[0].tolist()
    assert [None if x is pd.NA else x for x in got] == [value, flag]


def test_parse_numbers_never_raises_on_odd_digits() -> None:
    out = numbers.parse_numbers(pd.Series(["٣", "9" * 400, "12"]))
    assert out["value"].tolist() == [3.0, pd.NA, 12.0]
    assert out["flag"].tolist() == [pd.NA, "invalid_format", pd.NA]


@pytest.mark.parametrize(
    ("raw", "level", "flag"),
    [
        ("Abbastanza d'accordo", 4, None),
        ("Poco d'accordo", 2, None),
        ("Per niente d'accordo", 1, None),
        ("D'accordo", 4, None),
        ("4 - D'accordo", 4, None),
        ("2 - D'accordo", None, "inconsistent"),
        ("4 - boh", None, "unknown_answer"),
        ("Non so", None, "no_opinion"),
        ("6", None, "out_of_range"),
        ("4.0", 4, None),
    ],
)
def test_likert_rules(raw: str, level: int | None, flag: str | None) -> None:
    got = answers.clean_likert(pd.Series([raw])).iloc[0].tolist()
    assert [None if x is pd.NA else x for x in got] == [level, flag]


def test_multi_select_none_vs_blank() -> None:
    assert answers.split_multi("Nessuna") == ""
    assert answers.split_multi("nessuna; cloud") == "cloud;nessuna"
    assert answers.split_multi("   ") is None
    # known: "" (an explicit empty selection) re-reads as a blank cell
    assert answers.split_multi(answers.split_multi("Nessuna")) is None


@pytest.mark.parametrize(
    ("label", "ptype"),
    [
        ("VAR", "reseller"),
        ("SI", "system_integrator"),
        ("Software House", "isv"),
        ("Value-Added Distributor", "distributor"),
        ("value added reseller", "reseller"),
        ("Cloud provider", "msp"),
        ("system_integrator", "system_integrator"),
        ("platform_vendor", "platform_vendor"),
        ("Società di consulenza IT", "system_integrator"),
    ],
)
def test_partner_type_labels(label: str, ptype: str) -> None:
    assert partner_types.validate(label) == ptype


def test_partner_type_flags() -> None:
    out = partner_types.clean_partner_types(pd.Series(["VAR", None, "  ", "fornaio"], index=list("abcd")))
    # this module's columns use pandas' "str" dtype (NaN for missing), unlike the other cleaners
    assert [None if pd.isna(x) else x for x in out["partner_type"]] == ["reseller", None, None, None]
    assert [None if pd.isna(x) else x for x in out["partner_type_flag"]] == [
        None,
        "missing",
        "missing",
        "unknown_label",
    ]
    with pytest.raises(UnknownValue):
        partner_types.validate("fornaio")
