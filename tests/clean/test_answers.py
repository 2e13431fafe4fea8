"""Tests of channelstudy.clean.answers: Likert, yes/no, multi-select, revenue mixes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.clean import answers
from channelstudy.clean.exceptions import InvalidComponent, UnknownValue

# --- Likert -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("Per niente d'accordo", 1),
        ("Strongly disagree", 1),
        ("COMPLETAMENTE IN DISACCORDO", 1),
        ("In disaccordo", 2),
        ("Disagree", 2),
        ("Né d'accordo né in disaccordo", 3),
        ("Ne' d’accordo ne' in disaccordo", 3),
        ("né d accordo né in disaccordo", 3),
        ("Neither agree nor disagree", 3),
        ("Neutrale", 3),
        ("Neutral", 3),
        ("D'accordo", 4),
        ("d’accordo", 4),
        ("  D'ACCORDO ", 4),
        ("Agree", 4),
        ("Molto d'accordo", 5),
        ("Completamente d'accordo", 5),
        ("Strongly agree", 5),
        ("strongly  AGREE", 5),
        ("1", 1),
        ("5", 5),
        ("4.0", 4),
        (3, 3),
        (2.0, 2),
        ("4 - D'accordo", 4),
        ("1. Strongly disagree", 1),
        ("", None),
        (None, None),
    ],
)
def test_likert(raw: object, level: int | None) -> None:
    assert answers.likert(raw) == level


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        ("6", InvalidComponent, "out_of_range"),
        ("0", InvalidComponent, "out_of_range"),
        ("Boh", UnknownValue, "unknown_answer"),
        ("Non so", UnknownValue, "no_opinion"),
        ("Don't know", UnknownValue, "no_opinion"),
        ("5 - In disaccordo", UnknownValue, "inconsistent"),
    ],
)
def test_likert_errors(raw: str, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as info:
        answers.likert(raw)
    assert info.value.code == code


def test_clean_likert_frame() -> None:
    out = answers.clean_likert(pd.Series(["Agree", "boh", None, "Molto d'accordo", "9"], index=list("abcde")))
    assert out.index.tolist() == list("abcde")
    assert str(out["value"].dtype) == "Int8"
    assert out["value"].tolist() == [4, pd.NA, pd.NA, 5, pd.NA]
    assert out["flag"].tolist() == [pd.NA, "unknown_answer", pd.NA, pd.NA, "out_of_range"]


def test_every_label_maps_to_its_level() -> None:
    for level, labels in answers.LIKERT_LABELS.items():
        for label in labels:
            assert answers.likert(label) == level
            assert answers.likert(label.upper()) == level


# --- yes / no -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Sì", True),
        ("Si", True),
        ("SI", True),
        ("sì", True),
        ("yes", True),
        ("Y", True),
        ("1", True),
        ("true", True),
        ("Vero", True),
        (1, True),
        (True, True),
        ("no", False),
        ("No", False),
        ("NO", False),
        ("0", False),
        ("false", False),
        ("FALSO", False),
        (0, False),
        ("", None),
        (None, None),
    ],
)
def test_yes_no(raw: object, value: bool | None) -> None:
    assert answers.yes_no(raw) is value


def test_yes_no_unknown() -> None:
    with pytest.raises(UnknownValue) as info:
        answers.yes_no("forse")
    assert info.value.code == "unknown_answer"
    out = answers.clean_yes_no(pd.Series(["Sì", "forse", None, "no"]))
    assert out["value"].tolist() == [True, pd.NA, pd.NA, False]
    assert out["flag"].tolist() == [pd.NA, "unknown_answer", pd.NA, pd.NA]


# --- multi-select -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Cloud; security, cloud | AI", "ai;cloud;security"),
        ("Security / Cloud;;security", "cloud;security"),
        ("modern_work", "modern_work"),
        ("  ", None),
        (None, None),
        ("ERP,  Data ,data", "data;erp"),
    ],
)
def test_split_multi(raw: object, canonical: str | None) -> None:
    assert answers.split_multi(raw) == canonical


def test_split_multi_custom_separator_and_series() -> None:
    assert answers.split_multi("a, b;c", sep=";") == "a, b;c"
    out = answers.clean_multi(pd.Series(["b;a", None, "a|b"], name="certs"))
    assert out.tolist() == ["a;b", pd.NA, "a;b"] and out.name == "certs"


# --- revenue mixes ------------------------------------------------------------------------------


def test_normalise_mix_cases() -> None:
    raw = pd.DataFrame(
        {
            "hw": [0.5, 50, 0.3, None, 0.5, -0.1, 60, 0.5, 0.5],
            "sw": [0.5, 30, 0.3, None, 0.48, 0.6, 30, None, 0.2],
            "services": [0.0, 22, 0.3, None, None, 0.5, 50, 0.5, 0.2],
        },
        index=list("abcdefghi"),
    )
    out = answers.normalise_mix(raw, tolerance=0.05)
    assert out.index.tolist() == list("abcdefghi")
    assert out["mix_flag"].tolist() == [
        pd.NA,
        pd.NA,
        "mix_sum_out_of_tolerance",
        "mix_missing",
        pd.NA,
        "mix_negative",
        "mix_sum_out_of_tolerance",
        pd.NA,
        "mix_sum_out_of_tolerance",
    ]
    shares = out[["hw", "sw", "services"]]
    np.testing.assert_allclose(shares.loc["b"].to_numpy(dtype=float), np.array([50, 30, 22]) / 102)
    np.testing.assert_allclose(
        shares.loc["e"].to_numpy(dtype=float), [0.5 / 0.98, 0.48 / 0.98, 0.0]
    )  # missing = 0
    np.testing.assert_allclose(shares.loc["h"].to_numpy(dtype=float), [0.5, 0.0, 0.5])
    assert shares.loc[["c", "d", "f", "g", "i"]].isna().all().all()


def test_normalise_mix_scale_and_columns() -> None:
    raw = pd.DataFrame({"a": [0.6, 60], "b": [0.4, 40], "note": ["x", "y"]})
    out = answers.normalise_mix(raw, columns=["a", "b"], scale="fraction")
    assert out["mix_flag"].tolist() == [pd.NA, "mix_sum_out_of_tolerance"]
    assert list(out.columns) == ["a", "b", "mix_flag"]
    out = answers.normalise_mix(raw, columns=["a", "b"], scale="percent")
    assert out["mix_flag"].tolist() == ["mix_sum_out_of_tolerance", pd.NA]
    with pytest.raises(ValueError):
        answers.normalise_mix(raw, columns=["a", "b"], tolerance=0.7)


share_values = st.one_of(st.none(), st.floats(min_value=-5, max_value=120, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(share_values, min_size=4, max_size=4), min_size=1, max_size=25),
    st.floats(min_value=0, max_value=0.2),
)
def test_property_mix_rows_sum_to_one(rows: list[list[float | None]], tolerance: float) -> None:
    raw = pd.DataFrame(rows, columns=list("abcd"), dtype="Float64")
    out = answers.normalise_mix(raw, tolerance=tolerance)
    values = out[list("abcd")].to_numpy(dtype=float, na_value=np.nan)
    accepted = out["mix_flag"].isna().to_numpy()
    # accepted rows: shares in [0, 1] summing to 1
    assert np.all(np.abs(values[accepted].sum(axis=1) - 1) <= 1e-12)
    assert np.all((values[accepted] >= 0) & (values[accepted] <= 1))
    # rejected rows: all missing, with a flag
    assert np.isnan(values[~accepted]).all()
    # the acceptance rule, recomputed independently
    raw_values = raw.to_numpy(dtype=float, na_value=np.nan)
    total = np.nansum(raw_values, axis=1)
    ok = (
        np.isfinite(raw_values).any(axis=1)
        & ~(raw_values < 0).any(axis=1)
        & ((np.abs(total - 1) <= tolerance + 1e-12) | (np.abs(total - 100) <= 100 * tolerance + 1e-10))
    )
    assert (accepted == ok).all()


def test_empty_inputs() -> None:
    empty = pd.Series([], dtype=object)
    assert answers.clean_likert(empty).shape == (0, 2)
    assert answers.clean_yes_no(empty).shape == (0, 2)
    assert answers.clean_multi(empty).shape == (0,)
    assert answers.normalise_mix(pd.DataFrame({"a": [], "b": []})).shape == (0, 3)
