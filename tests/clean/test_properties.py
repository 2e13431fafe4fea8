"""Property-based tests of every cleaner in channelstudy.clean.

For each module: nothing raises on arbitrary input except the documented typed errors of the
scalar ``validate``-like functions (:class:`ValidationError` subclasses); compacting and cleaning
are idempotent (cleaning a cleaned value gives the same value); a valid value stays valid; and
the vectorised functions agree with the scalar ones.

Deterministic: every test uses ``PROPS`` (``derandomize=True``, no example database), so a run
draws the same examples on every machine.  Run time is kept to a few seconds.
"""

from __future__ import annotations

import contextlib
import math
from functools import cache

import ateco as ateco_pkg
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.it import codicefiscale, iva

from channelstudy.clean import answers, ateco, geo, names, numbers, partner_types, vat
from channelstudy.clean.exceptions import ValidationError
from channelstudy.vocabulary import PARTNER_TYPES

PROPS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FEW = settings(PROPS, max_examples=40)  # for the slower cleaners (geo fuzzy matching, frames)

any_text = st.text(max_size=40)
# text close to each kind of value, where the interesting branches are
digits_text = st.text(alphabet="0123456789 .,-'IT", max_size=16)
number_text = st.text(alphabet="0123456789 .,-+'%()€eEkmKMld", max_size=14)
ateco_text = st.text(alphabet="0123456789.  JKAG-NC", max_size=12)
cells = st.one_of(
    st.none(),
    any_text,
    st.integers(min_value=-(10**13), max_value=10**13),
    st.floats(allow_nan=True, allow_infinity=True),
)


def na_to_none(x: object) -> object:
    return None if x is pd.NA or (isinstance(x, float) and math.isnan(x)) else x


# --- vat --------------------------------------------------------------------------------------


def make_piva(company: int, office: int) -> str:
    """Valid partita IVA built independently of the module (7 + 3 digits + Luhn)."""
    body = f"{company:07d}{office:03d}"
    return body + luhn.calc_check_digit(body)


pivas = st.builds(make_piva, st.integers(1, 9_999_999), st.sampled_from([*range(1, 101), 120, 121, 888, 999]))


@PROPS
@given(st.one_of(cells, digits_text))
def test_vat_never_raises_and_compact_is_idempotent(raw: object) -> None:
    once = vat.compact(raw)
    assert vat.compact(once) == once
    result = vat.classify(raw)
    assert result.kind in (*vat.KINDS, None)
    if result.vat is not None:  # a clean value cleans to itself, unflagged
        assert iva.is_valid(result.vat)
        assert vat.classify(result.vat) == (result.vat, "piva", None)
    assert vat.is_valid(raw) == (result.kind == "piva")
    for options in ({}, {"allow_extra_zero": True}, {"allow_restored_zero": True}):
        try:
            number = vat.validate(raw, **options)
        except ValidationError:
            continue
        assert vat.validate(number) == number  # valid stays valid, strictly


@PROPS
@given(st.lists(st.one_of(any_text, digits_text, pivas), min_size=1, max_size=12))
def test_vat_series_agrees_with_scalar(values: list[str]) -> None:
    out = vat.classify_series(pd.Series(values, dtype=object))
    for raw, row in zip(values, out.itertuples(index=False), strict=True):
        assert tuple(na_to_none(x) for x in row) == tuple(vat.classify(raw)), raw


@PROPS
@given(pivas, st.sampled_from(["", "IT", "it ", "IT-"]), st.sampled_from(["", " ", ".", "-"]))
def test_vat_valid_stays_valid(number: str, prefix: str, sep: str) -> None:
    spelled = prefix + sep.join([number[:3], number[3:6], number[6:]])
    assert vat.validate(spelled) == vat.validate(number) == number
    assert vat.classify(spelled) == (number, "piva", None)


@PROPS
@given(
    st.integers(1, 99_999),  # company numbers below 100000: one or two leading zeros in the P.IVA
    st.sampled_from([*range(1, 101), 120, 121, 888, 999]),
    st.sampled_from(["int", "float", "text", "float_text", "comma_text"]),
)
def test_vat_spreadsheet_numbers_are_restored(company: int, office: int, how: str) -> None:
    number = make_piva(company, office)
    lost = number.lstrip("0")
    assume(len(lost) in (9, 10))
    raw = {
        "int": int(number),
        "float": float(number),
        "text": lost,
        "float_text": lost + ".0",
        "comma_text": lost + ",00",
    }[how]
    assert vat.classify(raw) == (number, "piva_restored_zero", "restored_zero")
    assert vat.classify_series(pd.Series([raw], dtype=object)).iloc[0].tolist() == [
        number,
        "piva_restored_zero",
        "restored_zero",
    ]
    assert vat.validate(raw, allow_restored_zero=True) == number
    assert not vat.is_valid(raw)  # strict by default


@st.composite
def personal_codes(draw: st.DrawFn) -> str:
    """Valid codici fiscali built with python-stdnum's check digit (independent of the module)."""
    letters = draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=6, max_size=6))
    year = draw(st.integers(0, 99))
    month = draw(st.sampled_from("ABCDEHLMPRST"))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 40]))
    place = draw(st.sampled_from("ABCDEFGHILMZ")) + f"{draw(st.integers(1, 999)):03d}"
    body = f"{letters}{year:02d}{month}{day:02d}{place}"
    return body + codicefiscale.calc_check_digit(body)


@PROPS
@given(personal_codes(), st.lists(st.sampled_from(["", " ", "  ", "\u00a0"]), min_size=16, max_size=16))
def test_vat_personal_codes_in_any_case_and_spacing(code: str, gaps: list[str]) -> None:
    assert codicefiscale.is_valid(code)
    spelled = "".join(ch + gap for ch, gap in zip(code.lower(), gaps, strict=True))
    assert vat.compact(spelled) == code
    assert vat.validate_tax_code(spelled) == code
    assert vat.classify(spelled) == (None, "cf_person", "cf_person")


# --- ateco ------------------------------------------------------------------------------------


@cache
def codes_of(edition: str) -> tuple[str, ...]:
    """Every dotted code of an edition, walked with the ateco package alone (not the module)."""
    level = [f"{d:02d}" for d in range(1, 100) if ateco_pkg.lookup(f"{d:02d}", edition=edition)]
    out = list(level)
    for fmt in ("{}.{}", "{}{}", "{}.{}", "{}{}"):  # group, class, category, subcategory
        level = [
            fmt.format(c, k)
            for c in level
            for k in range(10)
            if ateco_pkg.lookup(fmt.format(c, k), edition=edition) is not None
        ]
        out += level
    return tuple(out)


editions = st.sampled_from(ateco.EDITIONS)


@st.composite
def edition_codes(draw: st.DrawFn) -> tuple[str, str]:
    edition = draw(editions)
    return edition, draw(st.sampled_from(codes_of(edition)))


@PROPS
@given(st.one_of(cells, ateco_text), st.one_of(st.none(), editions), st.booleans())
def test_ateco_never_raises_and_is_idempotent(raw: object, edition: str | None, zeros: bool) -> None:
    try:
        once = ateco.compact(raw)
    except ValidationError:
        pass
    else:
        assert ateco.compact(once) == once
    result = ateco.to_2025(raw, edition, zeros_stripped=zeros)
    assert result.flag in (None, "restored_zero", "ambiguous", "not_classified", "invalid_format",
                           "invalid_component", "unknown")  # fmt: skip
    if result.code is not None:  # a cleaned code is a 2025 code that cleans to itself
        assert ateco_pkg.lookup(result.code, edition="2025") is not None
        assert ateco.to_2025(result.code, "2025")[:4] == (result.code, result.title, "2025", None)
        assert all(c.startswith(result.code) for c in result.candidates)
    for restore in (False, True):
        try:
            code = ateco.validate(raw, edition, zeros_stripped=zeros, allow_restored_zero=restore)
        except ValidationError:
            continue
        assert ateco.validate(code, edition) == code  # valid stays valid, strictly
    with contextlib.suppress(ValidationError):
        ateco.validate_2025(raw, edition, zeros_stripped=zeros, allow_restored_zero=True)


@PROPS
@given(edition_codes(), st.sampled_from(["{}", " {} ", "{}.", "{} TITOLO"]), st.booleans())
def test_ateco_valid_codes_stay_valid(pair: tuple[str, str], spelling: str, dotted: bool) -> None:
    edition, code = pair
    raw = spelling.format(code if dotted else code.replace(".", ""))
    assert ateco.validate(raw, edition) == code
    assert ateco.validate(raw, edition, allow_restored_zero=True) == code  # never restored when it exists
    assert ateco.to_2025(raw, edition).flag != "restored_zero"
    if edition == "2025":
        assert ateco.to_2025(raw, "2025")[:4] == (
            code,
            ateco_pkg.lookup(code, edition="2025").title,
            "2025",
            None,
        )


@PROPS
@given(edition_codes())
def test_ateco_restored_zero_only_when_unambiguous(pair: tuple[str, str]) -> None:
    """A division 01-09 code that lost its leading zero: restored iff the as-written reading is not a code."""
    edition, code = pair
    assume(code.startswith("0") and len(code) > 2)
    for lost in (code[1:], code.replace(".", "")[1:]):  # "1.61" and "161" for "01.61"
        as_written = lost if "." in lost else ateco_pkg.compact_to_dotted(lost)
        exists = ateco_pkg.lookup(as_written, edition=edition) is not None
        result = ateco.to_2025(lost, edition)
        if exists:
            assert ateco.validate(lost, edition, allow_restored_zero=True) == as_written
            assert result.flag != "restored_zero"
        else:
            assert ateco.validate(lost, edition, allow_restored_zero=True) == code
            assert result.flag in ("restored_zero", "ambiguous", "unknown")
            assert result == ateco.to_2025(code, edition)._replace(flag=result.flag)


@FEW
@given(st.lists(st.one_of(st.none(), ateco_text), min_size=1, max_size=10), st.one_of(st.none(), editions))
def test_ateco_frame_agrees_with_scalar(values: list[str | None], edition: str | None) -> None:
    out = ateco.clean_ateco(pd.Series(values, dtype=object), edition=edition)
    for raw, row in zip(values, out.itertuples(index=False), strict=True):
        r = ateco.to_2025(raw, edition)
        expected = (r.code, r.title, r.edition, r.flag, ";".join(r.candidates) or None)
        assert tuple(na_to_none(x) for x in row) == expected, raw


# --- names ------------------------------------------------------------------------------------


@PROPS
@given(cells)
def test_names_never_raise_and_are_idempotent(raw: object) -> None:
    form = names.legal_form(raw)
    assert form is None or form in names.LEGAL_FORMS
    key = names.name_key(raw)
    if key is not None:
        assert names.name_key(key) == key
    display = names.clean_name(raw)
    if display is not None:
        assert names.clean_name(display) == display
        assert names.legal_form(display) == form  # cleaning keeps the legal form
    core, _ = names.split_name(raw)
    assert isinstance(core, str)
    try:
        assert names.validate_legal_form(raw) == form
    except ValidationError:
        assert form is None


@FEW
@given(st.lists(st.one_of(st.none(), any_text), min_size=1, max_size=10))
def test_names_frame_agrees_with_scalar(values: list[str | None]) -> None:
    out = names.clean_names(pd.Series(values, dtype=object))
    for raw, row in zip(values, out.itertuples(index=False), strict=True):
        expected = (names.clean_name(raw), names.name_key(raw), names.legal_form(raw))
        if isinstance(raw, str) and not raw.strip():
            expected = (None, None, None)
        assert tuple(na_to_none(x) for x in row) == expected, raw


# --- geo --------------------------------------------------------------------------------------

provinces = st.sampled_from(sorted(geo._reference().provinces.index))


@FEW
@given(st.one_of(cells, st.text(alphabet="ABCDEFGIMNOPRSTUV '-", max_size=12)))
def test_geo_provinces_never_raise_and_are_idempotent(raw: object) -> None:
    sigla = geo.province_of(raw)
    if sigla is None:
        with pytest.raises(ValidationError):
            geo.validate_province(raw)
    else:
        assert geo.validate_province(raw) == sigla
        assert geo.province_of(sigla) == sigla  # a cleaned sigla cleans to itself
        assert geo.clean_province(pd.Series([sigla])).iloc[0].tolist() == [sigla, pd.NA]
    assert [na_to_none(x) for x in geo.clean_province(pd.Series([raw], dtype=object))["province"]] == [sigla]


@FEW
@given(st.one_of(st.none(), any_text), st.one_of(st.none(), any_text, provinces))
def test_geo_comuni_never_raise_and_are_idempotent(comune: str | None, province: str | None) -> None:
    try:
        found = geo.lookup_comune(comune, province)
    except ValidationError:
        found = None
    out = geo.clean_geo(pd.Series([comune], dtype=object), pd.Series([province], dtype=object))
    row = out.iloc[0]
    if found is not None:
        assert row["istat_code"] == found.istat_code and row["province"] == found.province
        again = geo.lookup_comune(found.comune, found.province)  # the clean name cleans to itself
        assert again == found
        clean_again = geo.clean_geo(pd.Series([found.comune]), pd.Series([found.province])).iloc[0]
        assert clean_again["istat_code"] == found.istat_code and clean_again["geo_flag"] is pd.NA


# --- numbers ----------------------------------------------------------------------------------

decimals = st.sampled_from([None, ",", "."])


@PROPS
@given(st.one_of(cells, number_text), decimals)
def test_numbers_never_raise_and_are_idempotent(raw: object, decimal: str | None) -> None:
    try:
        value = numbers.parse_number(raw, decimal)
    except ValidationError:
        value = None
    if value is not None:
        assert numbers.parse_number(value, decimal) == value  # a parsed number parses to itself
        if math.isfinite(value):
            assert numbers.parse_number(repr(value), ".") == value  # and so does its text
    try:
        share = numbers.parse_share(raw, decimal)
    except ValidationError:
        share = None
    if share is not None:
        assert 0.0 <= share <= 1.0
        assert numbers.parse_share(f"{share * 100!r}%", ".") == pytest.approx(share, rel=1e-12)
    try:
        date = numbers.parse_date(raw)
    except ValidationError:
        date = None
    if date is not None:
        assert numbers.parse_date(date) == date
        assert numbers.parse_date(date.strftime("%Y-%m-%d")) == date


@PROPS
@given(st.lists(st.one_of(st.none(), number_text, any_text), min_size=1, max_size=12), decimals)
def test_numbers_frames_agree_with_scalar(values: list[str | None], decimal: str | None) -> None:
    s = pd.Series(values, dtype=object)
    out = numbers.parse_numbers(s, decimal)
    for raw, (value, flag) in zip(values, out.itertuples(index=False), strict=True):
        try:
            expected = numbers.parse_number(raw, decimal)
        except ValidationError as err:
            assert (value, flag) == (pd.NA, err.code), raw
            continue
        if expected is None:
            assert value is pd.NA, raw
        else:
            assert value == expected or (math.isnan(expected) and math.isnan(value)), raw
    dates = numbers.parse_dates(s)
    for raw, (value, flag) in zip(values, dates.itertuples(index=False), strict=True):
        try:
            expected = numbers.parse_date(raw)
        except ValidationError as err:
            assert pd.isna(value) and flag == err.code, raw
            continue
        assert (pd.isna(value) and expected is None) or value == expected, raw
    shares = numbers.parse_shares(s, decimal)["value"].to_numpy(dtype=float, na_value=np.nan)
    assert np.all(np.isnan(shares) | ((shares >= 0) & (shares <= 1)))


# --- answers ----------------------------------------------------------------------------------

likert_text = st.one_of(
    st.sampled_from([label for labels in answers.LIKERT_LABELS.values() for label in labels]),
    st.text(alphabet="0123456789 -.dacordisnmlto'", max_size=20),
)


@PROPS
@given(st.one_of(cells, likert_text))
def test_answers_never_raise_and_are_idempotent(raw: object) -> None:
    try:
        level = answers.likert(raw)
    except ValidationError:
        level = None
    if level is not None:
        assert 1 <= level <= 5
        assert answers.likert(level) == answers.likert(str(level)) == level
    try:
        yes = answers.yes_no(raw)
    except ValidationError:
        yes = None
    if yes is not None:
        assert answers.yes_no(yes) is yes
    canonical = answers.split_multi(raw)
    if canonical:  # "" (an explicit empty selection) re-reads as a blank cell: see test_split_multi_empty
        assert answers.split_multi(canonical) == canonical


@PROPS
@given(st.lists(st.one_of(st.none(), likert_text, any_text), min_size=1, max_size=12))
def test_answers_frames_agree_with_scalar(values: list[str | None]) -> None:
    s = pd.Series(values, dtype=object)
    likert = answers.clean_likert(s)
    yes_no = answers.clean_yes_no(s)
    multi = answers.clean_multi(s)
    for i, raw in enumerate(values):
        for frame, fn in ((likert, answers.likert), (yes_no, answers.yes_no)):
            try:
                expected = fn(raw)
            except ValidationError as err:
                assert frame["value"].iloc[i] is pd.NA and frame["flag"].iloc[i] == err.code
                continue
            assert na_to_none(frame["value"].iloc[i]) == expected and frame["flag"].iloc[i] is pd.NA
        assert na_to_none(multi.iloc[i]) == answers.split_multi(raw)


@PROPS
@given(
    st.lists(
        st.lists(
            st.one_of(st.none(), st.floats(min_value=-5, max_value=120, allow_nan=False)),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=10,
    )
)
def test_mix_is_idempotent(rows: list[list[float | None]]) -> None:
    once = answers.normalise_mix(pd.DataFrame(rows, columns=list("abc"), dtype="Float64"))
    twice = answers.normalise_mix(once[list("abc")])
    accepted = once["mix_flag"].isna()
    assert twice["mix_flag"][accepted].isna().all()  # an accepted mix stays accepted...
    np.testing.assert_allclose(  # ...and unchanged (to rounding)
        twice.loc[accepted, list("abc")].to_numpy(dtype=float),
        once.loc[accepted, list("abc")].to_numpy(dtype=float),
        atol=1e-12,
    )


# --- partner types ----------------------------------------------------------------------------

labels = st.one_of(
    any_text,
    st.sampled_from([label for group in partner_types.LABELS.values() for label in group]),
    st.sampled_from(PARTNER_TYPES),
)


@PROPS
@given(labels, st.sampled_from([str, str.upper, str.title, lambda t: f"  {t}. "]))
def test_partner_types_never_raise_and_are_idempotent(label: str, spell) -> None:
    raw = spell(label)
    once = partner_types.compact(raw)
    assert partner_types.compact(once) == once
    try:
        ptype = partner_types.validate(raw)
    except ValidationError:
        assert not partner_types.is_valid(raw)
        ptype = None
    else:
        assert ptype in PARTNER_TYPES
        assert partner_types.validate(ptype) == ptype  # valid stays valid
    out = partner_types.clean_partner_types(pd.Series([raw]))
    assert na_to_none(out["partner_type"].iloc[0]) == ptype
