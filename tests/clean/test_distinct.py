"""by_distinct: a row-wise cleaner run on the distinct values gives the table it gives on every row."""

from __future__ import annotations

import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.clean import numbers, regions, vat
from channelstudy.clean.distinct import by_distinct

_VALUES = st.one_of(st.none(), st.sampled_from(["NA", "nan", "", " ", "Lombardia", "lombardia ", "Sicilia", "x",
                                                "1.234,5", "12", " 12 ", "0-4", "n.d.", "1,5", "-3", "1e3",
                                                "IT00743110157", "00743110157", "00743110158", "743110157",
                                                "RSSMRA80A01H501U", "DE123456789", "0074311015.0"]),
                    st.text(alphabet="0123456789IT .-", max_size=13))


def _numbers_comma(u: pd.Series) -> pd.DataFrame:
    return numbers.parse_numbers(u, decimal=",")


@pytest.mark.parametrize("clean", [vat.classify_series, regions.clean_regions, numbers.parse_numbers, _numbers_comma],
                         ids=["vat", "regions", "numbers", "numbers_comma"])
@settings(max_examples=150, deadline=None)
@given(values=st.lists(_VALUES, max_size=25), start=st.integers(0, 5))
def test_same_table_as_every_row(clean, values, start):
    s = pd.Series(values, dtype="str", index=pd.RangeIndex(start, start + len(values)) * 3)
    tm.assert_frame_equal(by_distinct(s, clean), clean(s))


def test_order_missing_and_napoli_are_kept():
    s = pd.Series(["NA", None, "Roma", "NA", None], index=list("abcde"), dtype="str")
    seen = []

    def clean(u: pd.Series) -> pd.DataFrame:
        seen.append(u.tolist())
        return pd.DataFrame({"value": u + "!"})

    out = by_distinct(s, clean)
    [distinct] = seen  # one call: each value once, "NA" a value, the missing value last
    assert distinct[:2] == ["NA", "Roma"] and len(distinct) == 3 and pd.isna(distinct[2])
    assert out.index.tolist() == list("abcde")
    assert out["value"].isna().tolist() == [False, True, False, False, True]
    assert out["value"].dropna().tolist() == ["NA!", "Roma!", "NA!"]
