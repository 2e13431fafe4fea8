"""The one-pass JSON flattening gives the text the ``pd.json_normalize`` frame gave (the reader's former path)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.sources.readers import flatten_records, json_column_text, series_text

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.text(max_size=4), st.sampled_from(["NA", "", "null", "-", "00123"]),
    st.integers(-10**6, 10**6), st.integers(-2**70, 2**70),
    st.floats(allow_nan=True, allow_infinity=False, width=64), st.sampled_from([0.1 + 0.2, 12.5, 1e6, 2.0]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "c"]), inner,
                                                                          max_size=3)),
    max_leaves=6,
)
_RECORDS = st.lists(st.dictionaries(st.sampled_from(["id", "name", "vat", "partner", "n", "a.b", "a"]), _VALUES,
                                    max_size=5), min_size=1, max_size=6)


def _former(records: list[dict], decimal: str) -> dict[str, list[str]]:
    frame = pd.json_normalize(records, sep=".")
    return {str(c): series_text(frame.iloc[:, i], decimal).tolist() for i, c in enumerate(frame.columns)}


def _flattened(records: list[dict], decimal: str) -> dict[str, list[str]]:
    columns, n = flatten_records(records)
    assert all(len(v) == n for v in columns.values())
    return {c: json_column_text(v, decimal).tolist() for c, v in columns.items()}


@settings(max_examples=300, deadline=None)
@given(records=_RECORDS, decimal=st.sampled_from([".", ","]))
def test_same_columns_and_text_as_json_normalize(records, decimal):
    assert _flattened(records, decimal) == _former(records, decimal)


def test_columns_order_missing_keys_and_text():
    records = [{"id": 1, "partner": {"name": "Rossi", "city": "NA"}, "n": 3},
               {"id": 2, "partner": {"name": "Bianchi"}, "n": None, "tags": ["a", "b"]},
               {"id": 3, "partner": {}, "n": 2.5}]
    assert _flattened(records, ",") == {
        "id": ["1", "2", "3"], "n": ["3", "", "2,5"],
        "partner.name": ["Rossi", "Bianchi", ""], "partner.city": ["NA", "", ""], "tags": ["", "a;b", ""],
    }


def test_whole_numbers_beside_a_missing_cell_are_written_as_floats_are():
    """A frame holds such a column as float64: 2**60 + 1 came back rounded, and still does."""
    assert json_column_text([2**60 + 1, None]).tolist() == _former([{"n": 2**60 + 1}, {}], ".")["n"]
    assert json_column_text([2**60 + 1, None]).tolist() == ["1152921504606846976", ""]
    assert json_column_text([2**60 + 1, 2]).tolist() == ["1152921504606846977", "2"]  # int64: exact


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(_SCALARS, st.sampled_from([0.0, -0.0, float("nan"), 1.0, 1])), max_size=12),
       decimal=st.sampled_from([".", ","]))
def test_spreadsheet_cells_text_is_cell_text_of_each_cell(values, decimal):
    """Each distinct float is written once; the text is still cell_text's, cell by cell (True, 1 and 1.0 too)."""
    from channelstudy.sources.readers import cell_text, cells_text

    assert cells_text(values, decimal) == [cell_text(v, decimal) for v in values]
    assert cells_text(["a\x00b", 2.5], decimal, fix=str.upper) == ["A\x00B", cell_text(2.5, decimal)]
