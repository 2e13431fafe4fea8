"""parse_dates reads plain ISO dates in one go: the same values and flags as parse_date cell by cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.clean.exceptions import ValidationError
from channelstudy.clean.numbers import parse_date, parse_dates

_ISO = st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(1600, 2300), st.integers(0, 13), st.integers(0, 32))
_OTHER = st.sampled_from(["", "NA", "31/12/2023", "2023-1-5", " 2023-01-05", "2023-01-05 10:00", "20230105",
                          "0000-01-01", "2023-02-29", "2024-02-29", "n/a", "45000"])


def _one_by_one(values: list) -> tuple[list, list]:
    dates, flags = [], []
    for v in values:
        try:
            d = None if v is None else parse_date(v)
            dates.append(np.datetime64("NaT", "ns") if d is None else np.datetime64(d.to_datetime64(), "ns"))
            flags.append(None)
        except ValidationError as err:
            dates.append(np.datetime64("NaT", "ns"))
            flags.append(err.code)
    return dates, flags


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(_ISO, _OTHER, st.none()), max_size=20))
def test_same_as_parse_date_cell_by_cell(values):
    out = parse_dates(pd.Series(values, dtype=object))
    dates, flags = _one_by_one(values)
    assert out["value"].to_numpy(dtype="datetime64[ns]").tolist() == np.array(dates, dtype="datetime64[ns]").tolist()
    assert [None if pd.isna(f) else f for f in out["flag"]] == flags
