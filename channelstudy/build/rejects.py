"""Rows not used, with a reason code: blank rows, duplicates, rows missing a key.

The accounting identity of the build (rows read = rows used + rows rejected, per source)
rests on these: every row the reader returns is either in an output table or here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelstudy.vocabulary import REJECT_REASONS


def rows_in_file(frame: pd.DataFrame) -> int:
    """Data records of the source's file: the reader's count, else the last row number seen."""
    if "rows_in_file" in frame.attrs:
        return int(frame.attrs["rows_in_file"])
    return int(frame["row_number"].max()) if len(frame) else 0


def blank_rows(frame: pd.DataFrame, source: str, reason: str = "blank_row") -> pd.DataFrame:
    """Rows the reader skipped as blank (every row number of the file it did not return), as rejects."""
    missing = unseen_rows(rows_in_file(frame), frame["row_number"].to_numpy(),
                          np.asarray([q.row_number for q in frame.attrs.get("quarantined", ())], dtype="int64"))
    if not len(missing):
        return pd.DataFrame(columns=["source", "record_id", "row_number", "reason", "detail"])
    return pd.DataFrame({"source": source, "record_id": missing.astype(str), "row_number": missing,
                         "reason": reason, "detail": REJECT_REASONS[reason]})


def unseen_rows(n_rows: int, *seen: np.ndarray) -> np.ndarray:
    """Row numbers ``1..n_rows`` in none of the ``seen`` arrays, ascending (``np.setdiff1d`` without sorting).

    >>> unseen_rows(6, np.array([5, 1, 2]), np.array([3, 9])).tolist()
    [4, 6]
    """
    mark = np.zeros(n_rows + 1, dtype=bool)
    for rows in seen:
        rows = np.asarray(rows, dtype="int64")
        mark[rows[(rows >= 1) & (rows <= n_rows)]] = True
    return np.flatnonzero(~mark[1:]).astype("int64") + 1


def quarantined_rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Rows the reader quarantined as malformed (``frame.attrs["quarantined"]``), as rejects.

    The detail names the line (CSV) or the field at fault, e.g. ``line 7: 4 fields, the header
    has 3`` (:mod:`channelstudy.sources.quarantine`).
    """
    bad = frame.attrs.get("quarantined", ())
    return pd.DataFrame({"source": pd.Series([source] * len(bad), dtype="str"),
                         "record_id": pd.Series([str(q.row_number) for q in bad], dtype="str"),
                         "row_number": pd.Series([q.row_number for q in bad], dtype="int64"),
                         "reason": pd.Series([q.reason for q in bad], dtype="str"),
                         "detail": pd.Series([q.detail for q in bad], dtype="str")})


# --- duplicates and rejects ------------------------------------------------------------------

def reject_rows(table: pd.DataFrame, mask: pd.Series, reason: str) -> pd.DataFrame:
    rows = table.loc[mask, ["source", "record_id", "row_number"]]
    return rows.assign(reason=reason, detail=REJECT_REASONS[reason])


def dedupe_survey(survey: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one response per firm and wave: the latest submitted (then the last row)."""
    ordered = survey.sort_values(["firm_id", "wave", "submitted", "source", "row_number"], na_position="first")
    dup = ordered.duplicated(["firm_id", "wave"], keep="last")
    return ordered[~dup].sort_values(["source", "row_number"]), reject_rows(ordered, dup, "duplicate_response")


def dedupe_first(table: pd.DataFrame, keys: list[str], reason: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    ordered = table.sort_values(["source", "row_number"])
    dup = ordered.duplicated(keys, keep="first")
    return ordered[~dup], reject_rows(ordered, dup, reason)


def empty_rejects() -> pd.DataFrame:
    """An empty rejects table (so that a build without any reject still has one)."""
    return pd.DataFrame({"source": pd.Series(dtype="str"), "record_id": pd.Series(dtype="str"),
                         "row_number": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str"),
                         "detail": pd.Series(dtype="str")})
