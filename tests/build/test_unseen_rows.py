"""unseen_rows (blank rows of a source) is np.setdiff1d(1..n, union of the seen row numbers)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.build.rejects import unseen_rows

_ROWS = st.lists(st.integers(-3, 40), max_size=30).map(lambda v: np.asarray(v, dtype="int64"))


@settings(max_examples=300, deadline=None)
@given(n_rows=st.integers(0, 35), read=_ROWS, quarantined=_ROWS)
def test_same_rows_as_setdiff(n_rows, read, quarantined):
    expected = np.setdiff1d(np.arange(1, n_rows + 1), np.union1d(read, quarantined))
    got = unseen_rows(n_rows, read, quarantined)
    assert got.dtype == np.int64 and got.tolist() == expected.tolist()
