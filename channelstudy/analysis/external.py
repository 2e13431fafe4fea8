"""Real cross-country structural business statistics (SBS) for the ICT channel (H1).

The study's claim H1 (the Italian ICT partner ecosystem is more fragmented than its peers') is
checked on real published figures: enterprises, persons employed, turnover and the turnover shares
of micro (0-9 persons employed) and large (250+) enterprises, for Italy (ISTAT SBS 2023) and
Germany, France, Spain and the EU27 (Eurostat ``sbs_sc_ovw``, latest year 2024), in the NACE
divisions and groups where ICT suppliers and intermediaries sit:

========  ==========================================================================
``J62``   computer programming, consultancy and related activities (SIs, ISVs)
``J63``   information service activities
``J63.1`` data processing, hosting and related activities; web portals (MSPs, cloud)
``G46.5`` wholesale of ICT equipment (distributors)
``G47.4`` retail sale of ICT equipment in specialised stores (resellers)
``J61``   telecommunications (a contrast: a concentrated industry)
========  ==========================================================================

:func:`derive_sbs_table` builds the table from the processed JSON files of the ``crystal``
repository kept in ``realdata/istat_eurostat_sbs_crystal`` (see its ``PROVENANCE.md``);
the result is committed as ``data/external/sbs_ict_countries.csv`` (documented in
``sbs_ict_countries.md`` beside it) and read back with :func:`load_sbs_table`, so the analysis runs
without the real-data folder. :func:`fragmentation_comparison` sets Italy against each peer.

Which file gives each value: every value comes from ``compare.json``, the one file holding all
geographies with one schema at division/group level (all the codes above are divisions or
groups; its ``IT`` entries come from ISTAT). The per-country files (``IT.json``, ``DE.json``, ...)
give the reference year (``meta.latest_year``) and are used as a cross-check: a value they hold
that differs from ``compare.json`` raises an error. ``IT.json``'s ATECO 4-digit class detail is
not needed here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from channelstudy.catalog.paths import external_dir

__all__ = [
    "COLUMNS",
    "DTYPES",
    "GEOS",
    "NACE_CODES",
    "PEERS",
    "SBS_FOLDER",
    "SBS_TABLE_FILE",
    "derive_sbs_table",
    "fragmentation_comparison",
    "h1_comparison",
    "load_sbs_table",
    "write_sbs_table",
]

SBS_FOLDER = "istat_eurostat_sbs_crystal"
"""Folder of the SBS files inside the real-data folder."""

SBS_TABLE_FILE = "sbs_ict_countries.csv"
"""Name of the committed table in ``data/external``."""

NACE_CODES: dict[str, str] = {
    "62": "J62",
    "63": "J63",
    "631": "J63.1",
    "465": "G46.5",
    "474": "G47.4",
    "61": "J61",
}
"""Source code (ATECO/NACE without dots or section letter) -> NACE label used in the table, in table order."""

GEOS: tuple[str, ...] = ("IT", "DE", "FR", "ES", "EU27_2020")
"""Geographies of the table, in table order (Eurostat codes)."""

PEERS: tuple[str, ...] = GEOS[1:]
"""The geographies Italy is compared with."""

SOURCES: dict[str, str] = {"IT": "ISTAT SBS 2023"}
"""``source`` label per geography; others get :data:`EUROSTAT_SOURCE`."""

EUROSTAT_SOURCE = "Eurostat sbs_sc_ovw 2024"

DTYPES: dict[str, str] = {
    "nace": "str",
    "geo": "str",
    "enterprises": "Int64",
    "persons_employed": "Int64",
    "turnover_meur": "Float64",
    "persons_per_enterprise": "Float64",
    "micro_turnover_share": "Float64",
    "large_turnover_share": "Float64",
    "source": "str",
    "reference_year": "Int64",
}
"""Columns of the SBS table and their dtypes."""

COLUMNS: tuple[str, ...] = tuple(DTYPES)

TURNOVER_DECIMALS = 3
"""Turnover in million EUR keeps 3 decimals: the source is in thousand EUR, so nothing is lost."""
RATIO_DECIMALS = 6
"""Persons per enterprise and turnover shares keep 6 decimals: enough that rounding them again to the
published precision (2 decimals, or 0.1 percentage points) gives the figure of the unrounded value."""

_COMPARED_KEYS: dict[str, str] = {
    "imprese": "imprese",
    "occupati": "occupati",
    "fatturato_keur": "fatturato_keur",
}
"""``compare.json`` key -> ``raw`` key of the per-country files, cross-checked for equality."""


# --------------------------------------------------------------------------------------------
# Derivation from the real files
# --------------------------------------------------------------------------------------------


def _sbs_folder(realdata: Path) -> Path:
    """The SBS folder: ``realdata`` itself if it holds ``compare.json``, else its :data:`SBS_FOLDER`."""
    realdata = Path(realdata)
    folder = realdata if (realdata / "compare.json").is_file() else realdata / SBS_FOLDER
    if not (folder / "compare.json").is_file():
        raise FileNotFoundError(f"no {SBS_FOLDER}/compare.json under {realdata}")
    return folder


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _sectors_by_code(document: dict[str, Any], codes: list[str], where: Path) -> dict[str, dict[str, Any]]:
    found = {sector["code"]: sector for sector in document["sectors"] if sector["code"] in codes}
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValueError(f"{where.name}: sector code(s) {missing} not found")
    return found


def _missing_if_suppressed(share: float | None) -> float | None:
    """A large-firm share of 0.0 or null means confidential/suppressed (PROVENANCE quirks)."""
    return None if share is None or share == 0.0 else share


def _compare_rows(folder: Path) -> pd.DataFrame:
    """One row per (code, geo) with the raw ``compare.json`` values."""
    path = folder / "compare.json"
    sectors = _sectors_by_code(_read_json(path), list(NACE_CODES), path)
    rows = []
    for code in NACE_CODES:
        by_geo = sectors[code]["by"]
        for geo in GEOS:
            if geo not in by_geo:
                raise ValueError(f"compare.json: no {geo} entry for sector {code}")
            values = by_geo[geo]
            rows.append(
                {
                    "code": code,
                    "geo": geo,
                    "imprese": values["imprese"],
                    "occupati": values["occupati"],
                    "fatturato_keur": values["fatturato_keur"],
                    "quota_micro": values.get("quota_micro"),
                    "quota_grandi": _missing_if_suppressed(values.get("quota_grandi")),
                }
            )
    return pd.DataFrame(rows)


def _reference_years_checked(folder: Path, compare: pd.DataFrame) -> dict[str, int]:
    """``meta.latest_year`` per geography, after checking each country file agrees with compare.json."""
    years = {}
    for geo in GEOS:
        path = folder / f"{geo}.json"
        document = _read_json(path)
        years[geo] = int(document["meta"]["latest_year"])
        sectors = _sectors_by_code(document, list(NACE_CODES), path)
        for row in compare.loc[compare["geo"] == geo].itertuples(index=False):  # 6 rows per geography
            sector = sectors[row.code]
            observed = {key: sector["raw"][raw_key] for key, raw_key in _COMPARED_KEYS.items()}
            shares = sector.get("concentrazione") or {}
            observed |= {
                "quota_micro": shares.get("quota_micro"),
                "quota_grandi": _missing_if_suppressed(shares.get("quota_grandi")),
            }
            for key, value in observed.items():
                if not _same_number(value, getattr(row, key)):
                    raise ValueError(
                        f"{path.name} sector {row.code}: {key}={value!r} but compare.json has {getattr(row, key)!r}"
                    )
    return years


def _same_number(a: float | None, b: float | None) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)


def _count(values: pd.Series, name: str) -> pd.Series:
    """Float counts from JSON as Int64, refusing non-integers."""
    numbers = values.astype("Float64")
    rounded = numbers.round()
    if ((numbers - rounded).abs() > 1e-6).any():
        raise ValueError(f"{name}: non-integer counts in the source")
    return rounded.astype("Int64")


def derive_sbs_table(realdata: Path) -> pd.DataFrame:
    """Derive the cross-country ICT SBS table from the real files.

    Parameters
    ----------
    realdata
        The real-data folder (as returned by :func:`channelstudy.catalog.paths.realdata_dir`) holding
        ``istat_eurostat_sbs_crystal/``, or that folder itself.

    Returns
    -------
    pandas.DataFrame
        One row per (``nace``, ``geo``) for the NACE codes of :data:`NACE_CODES` and the geographies of
        :data:`GEOS`, in that order, with the columns and dtypes of :data:`DTYPES`:

        - ``nace``: NACE Rev. 2 label with section letter and dots (``"J62"``, ``"J63.1"``, ``"G46.5"``);
        - ``geo``: ``IT``, ``DE``, ``FR``, ``ES``, ``EU27_2020``;
        - ``enterprises``, ``persons_employed``: counts (``imprese``, ``occupati``);
        - ``turnover_meur``: turnover in million EUR (``fatturato_keur / 1000``, 3 decimals);
        - ``persons_per_enterprise``: ``persons_employed / enterprises`` recomputed from the counts
          (6 decimals; the source's ``struttura`` is the same ratio, rounded to 2 decimals for Italy);
        - ``micro_turnover_share``, ``large_turnover_share``: share of the sector's turnover produced
          by enterprises with 0-9 and 250+ persons employed (``quota_micro``, ``quota_grandi``;
          6 decimals). A large share of 0.0 or null is confidential, hence missing;
        - ``source``: ``"ISTAT SBS 2023"`` for Italy, ``"Eurostat sbs_sc_ovw 2024"`` otherwise;
        - ``reference_year``: the file's ``meta.latest_year`` (2023 for Italy, 2024 for the others;
          Eurostat-based values may mix 2023 and 2024, the year is not stored per value).

    Raises
    ------
    FileNotFoundError
        If the SBS folder or one of its files is missing.
    ValueError
        If a sector or geography is missing, or a country file disagrees with ``compare.json``.

    Examples
    --------
    >>> from channelstudy.catalog.paths import realdata_dir
    >>> table = derive_sbs_table(realdata_dir())  # doctest: +SKIP
    >>> table.query("nace == 'J62' and geo == 'IT'")[["enterprises", "persons_per_enterprise"]]  # doctest: +SKIP
       enterprises  persons_per_enterprise
    0        58741                6.437803
    """
    folder = _sbs_folder(realdata)
    raw = _compare_rows(folder)
    years = _reference_years_checked(folder, raw)
    enterprises = _count(raw["imprese"], "imprese")
    persons = _count(raw["occupati"], "occupati")
    table = pd.DataFrame(
        {
            "nace": raw["code"].map(NACE_CODES),
            "geo": raw["geo"],
            "enterprises": enterprises,
            "persons_employed": persons,
            "turnover_meur": (raw["fatturato_keur"].astype("Float64") / 1000).round(TURNOVER_DECIMALS),
            "persons_per_enterprise": (persons.astype("Float64") / enterprises).round(RATIO_DECIMALS),
            "micro_turnover_share": raw["quota_micro"].astype("Float64").round(RATIO_DECIMALS),
            "large_turnover_share": raw["quota_grandi"].astype("Float64").round(RATIO_DECIMALS),
            "source": raw["geo"].map(SOURCES).fillna(EUROSTAT_SOURCE),
            "reference_year": raw["geo"].map(years),
        }
    )
    return _with_dtypes(table)


def _with_dtypes(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"SBS table: missing column(s) {missing}")
    return table[list(COLUMNS)].astype(DTYPES).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The committed table
# --------------------------------------------------------------------------------------------


def _table_path(path: Path | None) -> Path:
    return Path(path) if path is not None else external_dir() / SBS_TABLE_FILE


def write_sbs_table(table: pd.DataFrame, path: Path | None = None) -> Path:
    """Write the SBS table as a plain UTF-8 CSV (no comment lines, ``\\n`` line ends).

    Parameters
    ----------
    table
        As returned by :func:`derive_sbs_table`.
    path
        Target file; default ``data/external/sbs_ict_countries.csv`` of the project.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> write_sbs_table(derive_sbs_table(realdata_dir()))  # doctest: +SKIP
    """
    target = _table_path(path)
    _with_dtypes(table).to_csv(target, index=False, lineterminator="\n", encoding="utf-8")
    return target


def load_sbs_table(path: Path | None = None) -> pd.DataFrame:
    """Read the committed cross-country SBS table with stable dtypes.

    Parameters
    ----------
    path
        CSV file; default ``data/external/sbs_ict_countries.csv`` of the project.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`DTYPES`: ``nace``, ``geo``, ``source`` as ``str``; counts and
        ``reference_year`` as ``Int64``; turnover, persons per enterprise and shares as ``Float64``
        (missing values as ``<NA>``).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a column is missing.

    Examples
    --------
    >>> table = load_sbs_table()
    >>> int(table.loc[(table["nace"] == "J62") & (table["geo"] == "DE"), "enterprises"].item())
    101348
    """
    source = _table_path(path)
    table = pd.read_csv(source, dtype=DTYPES, keep_default_na=False, na_values=[""])
    return _with_dtypes(table)


# --------------------------------------------------------------------------------------------
# Italy vs peers
# --------------------------------------------------------------------------------------------


def fragmentation_comparison(table: pd.DataFrame, peers: tuple[str, ...] = PEERS) -> pd.DataFrame:
    """Italy against each peer, per NACE code, on two fragmentation metrics.

    Two structural signs of a fragmented industry: small enterprises (few persons employed per
    enterprise) and a large turnover share of micro enterprises (0-9 persons employed).

    Parameters
    ----------
    table
        The SBS table (:func:`load_sbs_table` or :func:`derive_sbs_table`); must contain ``IT``.
    peers
        Geographies to compare Italy with (default DE, FR, ES, EU27_2020).

    Returns
    -------
    pandas.DataFrame
        One row per (``nace``, ``peer``) in the table's order, with columns

        - ``it_persons_per_enterprise``, ``peer_persons_per_enterprise`` and
          ``persons_per_enterprise_ratio`` = IT / peer (below 1: Italian enterprises are smaller);
        - ``it_micro_turnover_share``, ``peer_micro_turnover_share`` and
          ``micro_turnover_share_diff`` = IT - peer (share points; above 0: micro firms weigh more
          in Italy);
        - ``italy_more_fragmented_persons_per_enterprise`` (ratio < 1) and
          ``italy_more_fragmented_micro_turnover_share`` (difference > 0), nullable booleans
          (``<NA>`` when a value is missing);
        - ``it_reference_year``, ``peer_reference_year``.

        These are population aggregates, so there is no sampling error to test; but Italy (ISTAT
        2023) and peers (Eurostat 2024) differ in source and vintage, so differences of a few
        tenths of a point (e.g. J62 micro share, IT 14.7 % vs FR 14.5 %) are not meaningful.

    Raises
    ------
    ValueError
        If Italy or a peer is absent from the table.

    Examples
    --------
    >>> comparison = fragmentation_comparison(load_sbs_table())
    >>> j62 = comparison[comparison["nace"] == "J62"].set_index("peer")
    >>> j62["italy_more_fragmented_persons_per_enterprise"].to_dict()
    {'DE': True, 'FR': False, 'ES': True, 'EU27_2020': False}
    """
    present = set(table["geo"])
    absent = [geo for geo in ("IT", *peers) if geo not in present]
    if absent:
        raise ValueError(f"fragmentation_comparison: geography {absent} not in the table")
    metrics = ["persons_per_enterprise", "micro_turnover_share", "reference_year"]
    italy = table.loc[table["geo"] == "IT", ["nace", *metrics]].rename(
        columns={m: f"it_{m}" for m in metrics}
    )
    peer_rows = table.loc[table["geo"].isin(peers), ["nace", "geo", *metrics]].rename(
        columns={"geo": "peer", **{m: f"peer_{m}" for m in metrics}}
    )
    merged = peer_rows.merge(italy, on="nace", how="left", validate="many_to_one")
    ratio = merged["it_persons_per_enterprise"].astype("Float64") / merged["peer_persons_per_enterprise"]
    diff = merged["it_micro_turnover_share"].astype("Float64") - merged["peer_micro_turnover_share"]
    order = {geo: i for i, geo in enumerate(peers)}
    nace_order = {nace: i for i, nace in enumerate(pd.unique(table["nace"]))}
    return (
        merged.assign(
            persons_per_enterprise_ratio=ratio,
            micro_turnover_share_diff=diff,
            italy_more_fragmented_persons_per_enterprise=(ratio < 1).astype("boolean"),
            italy_more_fragmented_micro_turnover_share=(diff > 0).astype("boolean"),
            _nace_order=merged["nace"].map(nace_order),
            _peer_order=merged["peer"].map(order),
        )
        .sort_values(["_nace_order", "_peer_order"], kind="mergesort")
        .loc[
            :,
            [
                "nace",
                "peer",
                "it_persons_per_enterprise",
                "peer_persons_per_enterprise",
                "persons_per_enterprise_ratio",
                "it_micro_turnover_share",
                "peer_micro_turnover_share",
                "micro_turnover_share_diff",
                "italy_more_fragmented_persons_per_enterprise",
                "italy_more_fragmented_micro_turnover_share",
                "it_reference_year",
                "peer_reference_year",
            ],
        ]
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------------------------
# H1 as a pre-specified descriptive comparison (no p-value, outside the Holm family)
# --------------------------------------------------------------------------------------------

H1_PRIMARY_PEER = "EU27_2020"
"""The pre-specified primary comparator of H1."""
H1_SECONDARY_PEERS: tuple[str, ...] = ("DE", "FR", "ES")
"""Secondary comparators of H1, reported beside the primary one."""
H1_MATERIALITY: dict[str, float] = {"persons_per_enterprise": 0.10, "micro_turnover_share": 0.02}
"""Gaps below these are 'no material difference': 10 % relative for persons per enterprise, 2
percentage points for the micro-enterprise turnover share (larger than the ISTAT/Eurostat vintage
differences noted in ``PROVENANCE.md``)."""
H1_COLUMNS: tuple[str, ...] = (
    "nace", "peer", "role", "metric", "italy", "peer_value", "gap", "gap_kind", "threshold", "verdict",
    "italy_source", "peer_source", "same_source_and_year",
)


def _h1_verdict(gap: float, threshold: float, fragmented_if_positive: bool) -> str:
    if pd.isna(gap):
        return "missing"
    if abs(gap) < threshold:
        return "no material difference"
    more = gap > 0 if fragmented_if_positive else gap < 0
    return "Italy more fragmented" if more else "Italy less fragmented"


def h1_comparison(table: pd.DataFrame, *, nace: tuple[str, ...] = ("J62",), primary: str = H1_PRIMARY_PEER,
                  secondary: tuple[str, ...] = H1_SECONDARY_PEERS,
                  materiality: dict[str, float] | None = None) -> pd.DataFrame:
    """H1 as what it is: a descriptive comparison of real published aggregates, Italy vs pre-specified peers.

    No p-value: SBS figures are population aggregates (no sampling error), so the decision is a
    gap against a stated materiality threshold (:data:`H1_MATERIALITY`), not a test, and H1 is
    not in the Holm family of the survey hypotheses.  Two metrics: persons employed per
    enterprise (gap = Italy / peer - 1; below minus the threshold means smaller, more fragmented
    Italian firms) and the micro-enterprise turnover share (gap = Italy - peer in share points).

    ``same_source_and_year`` is False when Italy's row is not from the peers' source and year
    (the committed table holds ISTAT 2023 for Italy and Eurostat 2024 for the peers: Eurostat's
    own Italy row is not in the stored real files). Read such gaps with that caveat.

    Examples
    --------
    >>> out = h1_comparison(load_sbs_table())
    >>> out[out["metric"] == "persons_per_enterprise"].set_index("peer")["verdict"].to_dict()
    {'EU27_2020': 'Italy less fragmented', 'DE': 'Italy more fragmented', 'FR': 'Italy less fragmented', \
'ES': 'Italy more fragmented'}
    """
    materiality = H1_MATERIALITY if materiality is None else materiality
    rows = []
    for code in nace:
        sector = table[table["nace"] == code].set_index("geo")
        if "IT" not in sector.index:
            raise ValueError(f"h1_comparison: no Italy row for {code}")
        it = sector.loc["IT"]
        for peer in (primary, *secondary):
            if peer not in sector.index:
                raise ValueError(f"h1_comparison: no {peer} row for {code}")
            p = sector.loc[peer]
            same = bool(it["source"] == p["source"] and it["reference_year"] == p["reference_year"])
            for metric, threshold in materiality.items():
                a, b = it[metric], p[metric]
                if metric == "persons_per_enterprise":
                    gap, kind, frag_if_pos = (float(a) / float(b) - 1) if pd.notna(a) and pd.notna(b) else float("nan"), \
                        "relative (IT / peer - 1)", False
                else:
                    gap, kind, frag_if_pos = (float(a) - float(b)) if pd.notna(a) and pd.notna(b) else float("nan"), \
                        "difference (IT - peer)", True
                rows.append({"nace": code, "peer": peer, "role": "primary" if peer == primary else "secondary",
                             "metric": metric, "italy": float(a) if pd.notna(a) else float("nan"),
                             "peer_value": float(b) if pd.notna(b) else float("nan"), "gap": round(gap, 6),
                             "gap_kind": kind, "threshold": threshold,
                             "verdict": _h1_verdict(gap, threshold, frag_if_pos),
                             "italy_source": f"{it['source']} ({it['reference_year']})",
                             "peer_source": f"{p['source']} ({p['reference_year']})",
                             "same_source_and_year": same})
    return pd.DataFrame(rows, columns=list(H1_COLUMNS))
