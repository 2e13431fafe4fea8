"""The population frame: the firms listed by a directory source.
"""

from __future__ import annotations

import pandas as pd


def directory_sources(report: dict) -> list[str]:
    """Names of the ``kind: directory`` sources in a ``build_report.json``, in manifest order."""
    return [name for name, src in report["sources"].items() if src["kind"] == "directory"]


def listed_by(firms: pd.DataFrame, sources: list[str]) -> pd.Series:
    """Whether each firm of ``firms.parquet`` has a record in one of ``sources``."""
    listed = firms["sources"].str.split(";").explode().isin(list(sources))
    return listed.groupby(level=0).any().reindex(firms.index, fill_value=False).astype(bool)


def directory_frame(firms: pd.DataFrame, segments: pd.DataFrame, sources: list[str]) -> pd.DataFrame:
    """The population frame: firms listed by a directory source, without platform vendors.

    Firms whose partner type, size class or macro-area is unknown cannot be placed in a raking
    cell; they are left out of the frame (their number is in ``analysis_report.json``).
    """
    frame = firms.loc[listed_by(firms, sources), ["firm_id", "size_class", "macro_area"]].merge(
        segments[["firm_id", "partner_type"]], on="firm_id")
    return frame[frame["partner_type"] != "platform_vendor"]


RAKING_DIMENSIONS: tuple[str | tuple[str, ...], ...] = (("partner_type", "size_class"), "macro_area")
"""The raking margins of the study: partner type x size class, and macro-area."""

MIN_KNOWN_SHARE = 0.5
"""A margin variable known for fewer than this share of the directory frame is left out of raking."""


def raking_dimensions(listed: pd.DataFrame) -> tuple[list[str | tuple[str, ...]], list[str]]:
    """The raking margins a frame supports, and the variables left out because they are mostly unknown.

    A variable (partner type, size class, macro-area) known for fewer than :data:`MIN_KNOWN_SHARE` of
    the listed firms would make the frame the firms that happen to have it: it is dropped from the
    margins rather than used.  An empty frame supports no margin.

    Examples
    --------
    >>> listed = pd.DataFrame({"partner_type": ["isv", None, None], "size_class": ["micro", "small", "micro"],
    ...                        "macro_area": ["Nord-Ovest", "Sud", None]})
    >>> raking_dimensions(listed)
    (['size_class', 'macro_area'], ['partner_type'])
    >>> raking_dimensions(listed.iloc[:0])
    ([], ['partner_type', 'size_class', 'macro_area'])
    """
    variables = list(dict.fromkeys(v for d in RAKING_DIMENSIONS for v in ((d,) if isinstance(d, str) else d)))
    dropped = [v for v in variables if not len(listed) or listed[v].notna().mean() < MIN_KNOWN_SHARE]
    dimensions: list[str | tuple[str, ...]] = []
    for d in RAKING_DIMENSIONS:
        kept = tuple(v for v in ((d,) if isinstance(d, str) else d) if v not in dropped)
        if kept:
            dimensions.append(kept[0] if len(kept) == 1 else kept)
    return dimensions, dropped
