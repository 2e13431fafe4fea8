"""clean_geo's distinct (comune, province, flag) rows: as factorizing the MultiIndex of the rows."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.clean.geo import _factorize_rows

_CELLS = st.sampled_from(["", "NA", "Napoli", "napoli", "MI", "X", "nan"])


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(_CELLS, _CELLS, _CELLS), max_size=20))
def test_same_codes_and_rows_as_a_multiindex(rows):
    frame = pd.DataFrame(rows, columns=["c", "p", "f"], dtype="str")
    codes, uniques = _factorize_rows(frame)
    expected_codes, expected = pd.factorize(pd.MultiIndex.from_frame(frame))
    assert codes.tolist() == expected_codes.tolist()
    assert uniques == list(expected)
