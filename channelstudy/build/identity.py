"""Identity of every record (clean VAT, name, legal form, geography) and its link to a firm.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from channelstudy.build.config import KIND_PRIORITY, BuildConfig
from channelstudy.build.link import link_records
from channelstudy.build.outofcore import link_records_duckdb, use_duckdb
from channelstudy.build.records import as_text, column_or_na
from channelstudy.clean import geo, names, regions, vat
from channelstudy.clean.distinct import DistinctCache
from channelstudy.fields import STATISTICS_KIND
from channelstudy.sources.specs import Manifest, SourceSpec


def record_sources(manifest: Manifest) -> tuple[SourceSpec, ...]:
    """The sources whose rows are linked into firms (every kind but ``statistics``)."""
    return tuple(s for s in manifest.sources if s.kind != STATISTICS_KIND)


class IdentityCleaner:
    """Cleans the identity fields of a manifest's record sources, one source at a time, in any order.

    Each distinct text (a name, a VAT, a comune and province pair ...) is cleaned once over all
    sources (:class:`channelstudy.clean.distinct.DistinctCache`), so the build cleans each source as
    soon as it is read, and :meth:`identities` is the same whatever the order of the sources.

    The legal form is the one read from the name, else the mapped ``legal_form`` column; with
    ``options.prefer_declared_legal_form`` the column's wins.  ``link_province`` and
    ``link_comune`` (the blocks of :func:`link`) are the province and the ISTAT comune code, or,
    for a record without them in a source with ``options.dedupe_by_name``, ``@<source>``.
    """

    def __init__(self, manifest: Manifest, config: BuildConfig) -> None:
        self.manifest = manifest
        self._position = {name: i for i, name in enumerate(manifest.names)}
        self._vat = DistinctCache(vat.classify_series)
        self._names = DistinctCache(names.clean_names)
        self._geo = DistinctCache(partial(geo.clean_geo, threshold=config.geo_threshold))
        self._regions = DistinctCache(regions.clean_regions)
        self._parts: dict[str, pd.DataFrame] = {}

    def add(self, spec: SourceSpec, frame: pd.DataFrame) -> None:
        """Clean the identities of one record source (its read, decoded text ``frame``)."""
        self._parts[spec.name] = self._cleaned(_raw_identities(frame, spec, self._position[spec.name]))

    def identities(self) -> pd.DataFrame:
        """One row per record of every record source, in manifest and row order (all must be added).

        The cleaner hands its parts over (it keeps no copy), so call it once.
        """
        parts = [self._parts.pop(spec.name) for spec in record_sources(self.manifest)]
        return pd.concat(parts, ignore_index=True) if parts else self._cleaned(_empty_raw_identities())

    def _cleaned(self, ids: pd.DataFrame) -> pd.DataFrame:
        vats = self._vat(as_text(ids["vat_raw"]))
        from_tax_code = self._vat(as_text(ids["tax_code_raw"]))
        ids["vat"] = vats["vat"].fillna(from_tax_code["vat"]).astype("str")
        ids["vat_kind"] = vats["kind"].fillna(from_tax_code["kind"]).astype("str")
        clean = self._names(as_text(ids["name_raw"]))
        ids["name"] = clean["name"].astype("str")
        ids["name_key"] = clean["name_key"].astype("str")
        declared_form = self._names(as_text(ids["legal_form_raw"]))["legal_form"]
        from_name, declared = clean["legal_form"].fillna(declared_form), declared_form.fillna(clean["legal_form"])
        ids["legal_form"] = declared.where(ids["declared_first"], from_name).astype("str")
        where = self._geo(as_text(ids["comune_raw"]), as_text(ids["province_raw"]))
        declared_region = self._regions(as_text(ids["region_raw"]))
        ids["region_declared"] = declared_region["region"]
        ids["macro_area_declared"] = declared_region["macro_area"]
        ids["nuts2_declared"] = declared_region["nuts2"]
        for col in geo.GEO_COLUMNS:
            ids[col] = where[col].astype("str")
        own_block = ("@" + ids["source"]).where(ids["dedupe_by_name"].astype(bool))
        ids["link_province"] = ids["province"].fillna(own_block).astype("str")
        ids["link_comune"] = ids["istat_code"].fillna(own_block).astype("str")
        return ids.drop(columns=["declared_first", "dedupe_by_name"])


def _raw_identities(f: pd.DataFrame, spec: SourceSpec, position: int) -> pd.DataFrame:
    return pd.DataFrame({
        "source": spec.name, "record_id": f["record_id"].astype("str"), "row_number": f["row_number"],
        "kind": spec.kind, "priority": KIND_PRIORITY[spec.kind] * 1000 + position,
        "name_raw": column_or_na(f, "name"), "vat_raw": column_or_na(f, "vat"), "tax_code_raw": column_or_na(f, "tax_code"),
        "comune_raw": column_or_na(f, "comune"), "province_raw": column_or_na(f, "province"),
        "region_raw": column_or_na(f, "region"),
        "legal_form_raw": column_or_na(f, "legal_form"), "declared_first": spec.options.prefer_declared_legal_form,
        "dedupe_by_name": spec.options.dedupe_by_name,
    })


def _empty_raw_identities() -> pd.DataFrame:
    """Raw identity columns without rows."""
    text = ["source", "record_id", "kind", "name_raw", "vat_raw", "tax_code_raw", "comune_raw", "province_raw",
            "region_raw", "legal_form_raw"]
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in text})
    frame["row_number"] = pd.Series(dtype="int64")
    frame["priority"] = pd.Series(dtype="int64")
    frame["declared_first"] = pd.Series(dtype=bool)
    frame["dedupe_by_name"] = pd.Series(dtype=bool)
    return frame


def link_identities(ids: pd.DataFrame, config: BuildConfig) -> pd.DataFrame:
    """Resolve firms: link every record with a name or a VAT; the rest are unlinkable.

    Records are blocked on ``link_province`` / ``link_comune`` (see :func:`identities`).
    """
    linkable = ids["name_key"].notna() | ids["vat"].notna()
    records = ids.loc[linkable, ["source", "record_id", "row_number", "vat", "name_key", "link_province",
                                 "link_comune", "legal_form", "priority"]]
    records = records.rename(columns={"link_province": "province", "link_comune": "comune"})
    # record ids repeated within a source are still linked (then rejected downstream if duplicates)
    dup = records.duplicated(["source", "record_id"], keep=False)
    records.loc[dup, "record_id"] = records.loc[dup, "record_id"] + "#" + records.loc[dup, "row_number"].astype(str)
    # above outofcore.AUTO_RECORDS (or with engine="duckdb") part by part through DuckDB: same links
    linker = link_records_duckdb if use_duckdb(config.engine, len(records)) else link_records
    linked = linker(records, config.link)
    out = ids.copy()
    out["firm_id"] = pd.Series(pd.NA, index=ids.index, dtype="str")
    out["match_method"] = "unlinkable"
    out["match_score"] = pd.Series(pd.NA, index=ids.index, dtype="Float64")
    out.loc[linkable, "firm_id"] = linked["firm_id"].to_numpy()
    out.loc[linkable, "match_method"] = linked["match_method"].to_numpy()
    out.loc[linkable, "match_score"] = linked["match_score"].astype("Float64").to_numpy()
    out["firm_id"] = out["firm_id"].astype("str")
    out["match_method"] = out["match_method"].astype("str")
    return out
