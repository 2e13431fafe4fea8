"""by_distinct: a row-wise cleaner run on the distinct values gives the table it gives on every row."""

from __future__ import annotations

import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.clean import numbers, regions, vat
from channelstudy.clean.distinct import DistinctCache, by_distinct

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


# --- DistinctCache: by_distinct across calls ----------------------------------------------------

def _geo_pairs(comune: pd.Series, province: pd.Series) -> pd.DataFrame:
    from channelstudy.clean import geo

    return geo.clean_geo(comune, province)


_COMUNI = st.one_of(st.none(), st.sampled_from(["Milano", "milano", "Napoli", "Castro", "FORLI'", "Forlì", "Roma", ""]))
_PROVINCES = st.one_of(st.none(), st.sampled_from(["MI", "NA", "LE", "FO", "FC", "RM", "xx"]))


@pytest.mark.parametrize("clean", [vat.classify_series, regions.clean_regions], ids=["vat", "regions"])
@settings(max_examples=100, deadline=None)
@given(batches=st.lists(st.lists(_VALUES, max_size=12), min_size=1, max_size=4))
def test_cache_gives_each_call_the_table_of_every_row(clean, batches):
    cache = DistinctCache(clean)
    for number, values in enumerate(batches):
        s = pd.Series(values, dtype="str", index=pd.RangeIndex(len(values)) + 10 * number)
        tm.assert_frame_equal(cache(s), clean(s))


@settings(max_examples=60, deadline=None)
@given(batches=st.lists(st.lists(st.tuples(_COMUNI, _PROVINCES), max_size=10), min_size=1, max_size=3))
def test_cache_of_two_columns_keys_on_the_pair(batches):
    cache = DistinctCache(_geo_pairs)
    for values in batches:
        comune = pd.Series([c for c, _ in values], dtype="str")
        province = pd.Series([p for _, p in values], dtype="str")
        tm.assert_frame_equal(cache(comune, province), _geo_pairs(comune, province))


def test_cache_cleans_each_value_once_over_calls():
    seen = []

    def clean(u: pd.Series) -> pd.DataFrame:
        seen.append(u.tolist())
        return pd.DataFrame({"value": u + "!"})

    cache = DistinctCache(clean)
    cache(pd.Series(["NA", "Roma", "NA"], dtype="str"))
    cache(pd.Series(["Roma", None, "Bari", None], dtype="str"))
    cache(pd.Series(["Bari", "NA"], dtype="str"))
    assert len(seen) == 2 and seen[0] == ["NA", "Roma"], seen  # the third call brings nothing new
    assert seen[1][0] == "Bari" and pd.isna(seen[1][1]) and len(seen[1]) == 2, seen


def test_cache_refuses_a_cleaner_whose_dtypes_change():
    def typed_by_first(u: pd.Series) -> pd.DataFrame:
        return pd.DataFrame({"value": u.str.len().astype("Int64" if len(u) > 1 else "float64")})

    cache = DistinctCache(typed_by_first)
    cache(pd.Series(["a", "bb"], dtype="str"))
    with pytest.raises(TypeError, match="dtypes"):
        cache(pd.Series(["ccc"], dtype="str"))
