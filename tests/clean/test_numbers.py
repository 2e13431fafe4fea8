"""Tests of channelstudy.clean.numbers: numbers, money, shares, dates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.clean import numbers
from channelstudy.clean.exceptions import InvalidComponent, InvalidFormat


@pytest.mark.parametrize(
    ("raw", "decimal", "value"),
    [
        ("1.234.567,89", None, 1234567.89),
        ("1,234,567.89", None, 1234567.89),
        ("1234567", None, 1234567.0),
        ("EUR 1,2 mln", None, 1.2e6),
        ("€ 1,2 milioni", None, 1.2e6),
        ("1.2m", None, 1.2e6),
        ("2,5 mld", None, 2.5e9),
        ("35%", None, 0.35),
        ("35 %", None, 0.35),
        ("0,35", None, 0.35),
        ("0.35", None, 0.35),
        ("1.234", None, 1234.0),  # no hint: one separator + 3 digits = thousands
        ("1.234", ",", 1234.0),
        ("1.234", ".", 1.234),
        ("1,234", ",", 1.234),
        ("12,500", None, 12500.0),
        ("0.125", None, 0.125),  # integer part 0: decimal
        ("1.5", ",", 1.5),  # no thousands reading for one digit
        ("(1.234,50)", None, -1234.5),
        ("-1.234,5", None, -1234.5),
        ("−7", None, -7.0),
        ("1 234 567", None, 1234567.0),
        ("1'234'567.5", None, 1234567.5),
        ("3,5 k", None, 3500.0),
        ("1e6", None, 1e6),
        ("12 euro", None, 12.0),
        (42, None, 42.0),
        (4.5, None, 4.5),
    ],
)
def test_parse_number(raw: object, decimal: str | None, value: float) -> None:
    assert numbers.parse_number(raw, decimal=decimal) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    "raw", ["", "-", "n.d.", "N.D.", "nd", "n/a", "NA", "null", None, float("nan"), "  "]
)
def test_missing_markers(raw: object) -> None:
    assert numbers.parse_number(raw) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0-4", "range"),
        ("5 - 9", "range"),
        ("250+", "range"),
        ("oltre 250", "range"),
        ("A", "invalid_format"),
        ("1,2,3.4.5", "invalid_format"),
        ("12 pizze", "invalid_format"),
        ("1.23.45", "invalid_format"),
    ],
)
def test_parse_number_errors(raw: str, code: str) -> None:
    with pytest.raises(InvalidFormat) as info:
        numbers.parse_number(raw)
    assert info.value.code == code


def test_parse_numbers_frame() -> None:
    s = pd.Series(["1.234,5", "0-4", "n.d.", "12", "1.234", None, "abc"], index=list("abcdefg"))
    out = numbers.parse_numbers(s)
    assert out.index.tolist() == list("abcdefg")
    assert str(out["value"].dtype) == "Float64"
    assert out["value"].tolist() == [1234.5, pd.NA, pd.NA, 12.0, 1234.0, pd.NA, pd.NA]
    assert out["flag"].tolist() == [
        pd.NA,
        "range",
        pd.NA,
        pd.NA,
        "ambiguous_separator",
        pd.NA,
        "invalid_format",
    ]
    hinted = numbers.parse_numbers(s, decimal=",")
    assert hinted["flag"].tolist()[4] is pd.NA and hinted["value"].tolist()[4] == 1234.0
    num = numbers.parse_numbers(pd.Series([1.5, None, 3]))
    assert num["value"].tolist() == [1.5, pd.NA, 3.0]


# --- shares -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "share"),
    [
        ("35%", 0.35),
        ("35 %", 0.35),
        ("35", 0.35),
        ("0,35", 0.35),
        ("0.35", 0.35),
        ("100", 1.0),
        ("1", 1.0),
        ("0", 0.0),
        ("100%", 1.0),
        ("12,5%", 0.125),
        ("n.d.", None),
    ],
)
def test_parse_share(raw: str, share: float | None) -> None:
    assert numbers.parse_share(raw) == (pytest.approx(share) if share is not None else None)


@pytest.mark.parametrize("raw", ["250", "-5", "120%", "-0,1"])
def test_parse_share_out_of_range(raw: str) -> None:
    with pytest.raises(InvalidComponent) as info:
        numbers.parse_share(raw)
    assert info.value.code == "out_of_range"


def test_parse_shares_flags_mixed_scales() -> None:
    out = numbers.parse_shares(pd.Series(["35%", "35", "0,35", "250", None, "x", "0.5"]))
    assert out["value"].round(6).tolist() == [0.35, 0.35, 0.35, pd.NA, pd.NA, pd.NA, 0.5]
    assert out["flag"].tolist() == [
        pd.NA,
        pd.NA,
        "ambiguous_scale",
        "out_of_range",
        pd.NA,
        "invalid_format",
        "ambiguous_scale",
    ]
    fractions_only = numbers.parse_shares(pd.Series(["0.2", "0,8", "1"]))
    assert fractions_only["flag"].isna().all()


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "dayfirst", "date"),
    [
        ("31/12/2023", True, "2023-12-31"),
        ("31-12-2023", True, "2023-12-31"),
        ("31.12.2023", True, "2023-12-31"),
        ("2023-12-31", True, "2023-12-31"),
        ("2023-12-31 10:22:00", True, "2023-12-31"),
        ("2025-08-13T09:00:00+0000", True, "2025-08-13"),
        ("12/31/2023", False, "2023-12-31"),
        ("05/06/2023", True, "2023-06-05"),
        ("05/06/2023", False, "2023-05-06"),
        ("31/12/23", True, "2023-12-31"),
        ("31 dicembre 2023", True, "2023-12-31"),
        ("31 DIC. 2023", True, "2023-12-31"),
        ("1° gennaio 2024", True, "2024-01-01"),
        ("31 December 2023", True, "2023-12-31"),
        ("December 31, 2023", True, "2023-12-31"),
        ("20231231", True, "2023-12-31"),
        ("45291", True, "2023-12-31"),  # Excel serial
        (45291, True, "2023-12-31"),
    ],
)
def test_parse_date(raw: object, dayfirst: bool, date: str) -> None:
    assert numbers.parse_date(raw, dayfirst=dayfirst) == pd.Timestamp(date)


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        ("12/31/2023", InvalidComponent, "invalid_date"),
        ("31/02/2023", InvalidComponent, "invalid_date"),
        ("ieri", InvalidFormat, "invalid_format"),
        ("31 brumaio 2023", InvalidFormat, "invalid_format"),
    ],
)
def test_parse_date_errors(raw: str, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as info:
        numbers.parse_date(raw)
    assert info.value.code == code


def test_parse_dates_frame() -> None:
    s = pd.Series(["31/12/2023", "2023-02-30", "", None, "31/12/2023"], index=[5, 6, 7, 8, 9])
    out = numbers.parse_dates(s)
    assert out.index.tolist() == [5, 6, 7, 8, 9]
    assert pd.api.types.is_datetime64_any_dtype(out["value"])
    assert out["value"].tolist()[0] == pd.Timestamp("2023-12-31")
    assert out["value"].isna().tolist() == [False, True, True, True, False]
    assert out["flag"].tolist() == [pd.NA, "invalid_date", pd.NA, pd.NA, pd.NA]


# --- properties -------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False).map(
    float
)


def italian(x: float, places: int = 2) -> str:
    """Format independently of the module: 1.234.567,89."""
    return f"{x:,.{places}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


@settings(max_examples=300, deadline=None)
@given(x=amounts, negative=st.booleans())
def test_property_round_trip(x: float, negative: bool) -> None:
    x = -x if negative else x
    english = f"{x:,.2f}"
    assert numbers.parse_number(english, decimal=".") == pytest.approx(x, abs=1e-6)
    assert numbers.parse_number(italian(x), decimal=",") == pytest.approx(x, abs=1e-6)
    # two decimals after the separator: never ambiguous, no hint needed
    assert numbers.parse_number(english) == pytest.approx(x, abs=1e-6)
    assert numbers.parse_number(italian(x)) == pytest.approx(x, abs=1e-6)
    # whole numbers with thousands separators, with the hint
    whole = round(x)
    assert numbers.parse_number(f"{whole:,}", decimal=".") == whole
    assert numbers.parse_number(italian(whole, 0), decimal=",") == whole


@settings(max_examples=100, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=20), st.sampled_from([",", ".", None]))
def test_property_vectorised_equals_scalar(values: list[float], decimal: str | None) -> None:
    texts = [
        italian(v, p) if decimal != "." else f"{v:,.{p}f}"
        for v, p in zip(values, [0, 1, 2, 3] * 5, strict=False)
    ]
    out = numbers.parse_numbers(pd.Series(texts), decimal=decimal)["value"].tolist()
    scalar = [numbers.parse_number(t, decimal=decimal) for t in texts]
    for got, want in zip(out, scalar, strict=True):
        assert (got is pd.NA and want is None) or math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda v: round(v, 2)))
def test_property_percent_share(p: float) -> None:
    assert numbers.parse_share(f"{p}%") == pytest.approx(p / 100)
    assert numbers.parse_share(f"{p:.2f}".replace(".", ",") + " %") == pytest.approx(p / 100)
    if p > 1:
        assert numbers.parse_share(f"{p}") == pytest.approx(p / 100)


def test_speed_hinted() -> None:
    rng = np.random.default_rng(0)
    x = np.round(rng.lognormal(10, 2, 100_000), 2)
    s = pd.Series([italian(v) for v in x])
    out = numbers.parse_numbers(s, decimal=",")
    np.testing.assert_allclose(out["value"].to_numpy(dtype=float), x, rtol=1e-12)


def test_empty_and_missing_inputs() -> None:
    empty = pd.Series([], dtype=object)
    for parse in (numbers.parse_numbers, numbers.parse_shares, numbers.parse_dates):
        assert parse(empty).shape == (0, 2)
        assert parse(pd.Series([None, ""])).isna().all().all()
