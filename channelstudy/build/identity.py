"""Identity of every record (clean VAT, name, legal form, geography) and its link to a firm.
"""

from __future__ import annotations

import pandas as pd

from channelstudy.build.config import KIND_PRIORITY, BuildConfig
from channelstudy.build.link import link_records
from channelstudy.build.outofcore import link_records_duckdb, use_duckdb
from channelstudy.build.records import as_text, column_or_na
from channelstudy.clean import geo, names, regions, vat
from channelstudy.clean.distinct import by_distinct
from channelstudy.fields import STATISTICS_KIND
from channelstudy.sources.specs import Manifest, SourceSpec


def record_sources(manifest: Manifest) -> tuple[SourceSpec, ...]:
    """The sources whose rows are linked into firms (every kind but ``statistics``)."""
    return tuple(s for s in manifest.sources if s.kind != STATISTICS_KIND)


def identities(frames: dict[str, pd.DataFrame], manifest: Manifest, config: BuildConfig) -> pd.DataFrame:
    """One row per input record of every record source, with cleaned identity fields.

    The legal form is the one read from the name, else the mapped ``legal_form`` column; with
    ``options.prefer_declared_legal_form`` the column's wins.  ``link_province`` and
    ``link_comune`` (the blocks of :func:`link`) are the province and the ISTAT comune code, or,
    for a record without them in a source with ``options.dedupe_by_name``, ``@<source>``.
    """
    order = {name: i for i, name in enumerate(manifest.names)}
    parts = []
    for spec in record_sources(manifest):
        f = frames[spec.name]
        parts.append(pd.DataFrame({
            "source": spec.name, "record_id": f["record_id"].astype("str"), "row_number": f["row_number"],
            "kind": spec.kind, "priority": KIND_PRIORITY[spec.kind] * 1000 + order[spec.name],
            "name_raw": column_or_na(f, "name"), "vat_raw": column_or_na(f, "vat"), "tax_code_raw": column_or_na(f, "tax_code"),
            "comune_raw": column_or_na(f, "comune"), "province_raw": column_or_na(f, "province"),
            "region_raw": column_or_na(f, "region"),
            "legal_form_raw": column_or_na(f, "legal_form"), "declared_first": spec.options.prefer_declared_legal_form,
            "dedupe_by_name": spec.options.dedupe_by_name,
        }))
    ids = pd.concat(parts, ignore_index=True) if parts else empty_identities()
    vats = by_distinct(as_text(ids["vat_raw"]), vat.classify_series)
    from_tax_code = by_distinct(as_text(ids["tax_code_raw"]), vat.classify_series)
    ids["vat"] = vats["vat"].fillna(from_tax_code["vat"]).astype("str")
    ids["vat_kind"] = vats["kind"].fillna(from_tax_code["kind"]).astype("str")
    clean = names.clean_names(as_text(ids["name_raw"]))
    ids["name"] = clean["name"].astype("str")
    ids["name_key"] = clean["name_key"].astype("str")
    declared_form = names.clean_names(as_text(ids["legal_form_raw"]))["legal_form"]
    from_name, declared = clean["legal_form"].fillna(declared_form), declared_form.fillna(clean["legal_form"])
    ids["legal_form"] = declared.where(ids["declared_first"], from_name).astype("str")
    where = geo.clean_geo(as_text(ids["comune_raw"]), as_text(ids["province_raw"]), threshold=config.geo_threshold)
    declared_region = by_distinct(as_text(ids["region_raw"]), regions.clean_regions)
    ids["region_declared"] = declared_region["region"]
    ids["macro_area_declared"] = declared_region["macro_area"]
    ids["nuts2_declared"] = declared_region["nuts2"]
    for col in geo.GEO_COLUMNS:
        ids[col] = where[col].astype("str")
    own_block = ("@" + ids["source"]).where(ids["dedupe_by_name"].astype(bool))
    ids["link_province"] = ids["province"].fillna(own_block).astype("str")
    ids["link_comune"] = ids["istat_code"].fillna(own_block).astype("str")
    return ids.drop(columns=["declared_first", "dedupe_by_name"])


def empty_identities() -> pd.DataFrame:
    """The identity frame of a manifest without record sources (only statistics)."""
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
