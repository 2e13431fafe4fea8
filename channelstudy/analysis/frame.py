"""The population frame: the firms listed by a directory source.
"""

from __future__ import annotations

import pandas as pd


def directory_sources(report: dict) -> list[str]:
    """Names of the ``kind: directory`` sources in a ``build_report.json``, in manifest order."""
    return [name for name, src in report["sources"].items() if src["kind"] == "directory"]


def listed_by(firms: pd.DataFrame, sources: list[str]) -> pd.Series:
    """Whether each firm of ``firms.parquet`` has a record in one of ``sources``."""
    wanted = set(sources)
    return firms["sources"].str.split(";").map(lambda names: bool(wanted & set(names))).astype(bool)


def directory_frame(firms: pd.DataFrame, segments: pd.DataFrame, sources: list[str]) -> pd.DataFrame:
    """The population frame: firms listed by a directory source, without platform vendors.

    Firms whose partner type, size class or macro-area is unknown cannot be placed in a raking
    cell; they are left out of the frame (their number is in ``analysis_report.json``).
    """
    frame = firms.loc[listed_by(firms, sources), ["firm_id", "size_class", "macro_area"]].merge(
        segments[["firm_id", "partner_type"]], on="firm_id")
    return frame[frame["partner_type"] != "platform_vendor"]
