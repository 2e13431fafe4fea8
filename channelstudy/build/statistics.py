"""Statistics sources (Eurostat bulk TSV): observations kept, empty series rejected.
"""

from __future__ import annotations

import logging

import pandas as pd

from channelstudy.sources.readers import read_statistics
from channelstudy.sources.specs import SourceSpec
from channelstudy.vocabulary import REJECT_REASONS

log = logging.getLogger(__name__)



def clean_statistics(spec: SourceSpec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A statistics source: its observations, its series without any (as rejects), and its series.

    Returns
    -------
    table
        ``source``, ``row_number`` (the series' data row in the file), the dimension columns,
        ``time``, ``value`` (Float64) and ``flag``: every cell with a value or a flag.
    rejects
        One row per series without any observation, reason ``no_observations`` (``record_id``
        is the series key).
    series
        One row per series (``row_number``, ``record_id`` = series key), with
        ``attrs["rows_in_file"]``: the accounting frame of the build report.
    """
    tidy = read_statistics(spec)
    kept = tidy["value"].notna() | tidy["flag"].notna()
    series = (tidy.drop_duplicates("row_number")[["row_number", "series_key"]]
              .rename(columns={"series_key": "record_id"}).reset_index(drop=True))
    series.attrs = {"rows_in_file": tidy.attrs["rows_in_file"]}
    used = tidy.loc[kept, "row_number"].unique()
    empty = series[~series["row_number"].isin(used)]
    rejects = empty.assign(source=spec.name, reason="no_observations", detail=REJECT_REASONS["no_observations"])
    table = tidy.loc[kept].drop(columns=["series_key"]).reset_index(drop=True)
    table.insert(0, "source", pd.Series(spec.name, index=table.index, dtype="str"))
    log.info("%s: %d series, %d observations, %d series without any", spec.name, len(series), len(table), len(empty))
    return table, rejects[["source", "record_id", "row_number", "reason", "detail"]], series
