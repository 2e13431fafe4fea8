"""Build: clean, validate and link the raw sources of a manifest into processed tables.

``build(raw, out)`` reads every source of ``raw/sources.yml``, cleans identities and measures
with :mod:`channelstudy.clean`, links records of all sources into firms
(:mod:`channelstudy.link`), and writes to ``out``:

``firms.parquet``          one row per resolved firm
``links.parquet``          one row per input record: which firm, how it matched
``survey.parquet``         one row per responding firm and wave (personal data dropped)
``vendor_roster.parquet``  one row per partner and programme
``pipeline.parquet``       one row per pipeline item and partner
``rejects.parquet``        every input row not used, with a reason code
``statistics_<name>.parquet``  one row per series and period of each ``statistics`` source
``build_report.json``      per source: rows read = rows used + rows rejected (by reason)
``CODEBOOK.md``            generated from the schemas

Nothing is lost: every row the reader returns is either used in an output table or rejected
with a reason, and blank rows skipped by the reader (trailing ones included) are rejected as
``blank_row`` (or the source's ``options.blank_reason``, e.g. ``no_awardee``).  The same input
gives byte-identical outputs.

Per-source options (:class:`channelstudy.manifest.SourceOptions`, usually from a preset of
:mod:`channelstudy.presets`) steer cleaning: decoders rewrite mapped text before anything else,
the ATECO edition and zero stripping are passed to :func:`channelstudy.clean.ateco.clean_ateco`,
a declared legal form may win over the one read from the name, and a source without geography
may be de-duplicated by name.  Without options a source is cleaned as before.

Statistics sources (``kind: statistics``, a Eurostat bulk TSV) are not linked: their rows
(series) are read by :func:`channelstudy.readers.read_statistics`; a series with at least one
observation (a value, or a flag such as ``: c``) is *used* and its observations written to
``statistics_<name>.parquet`` (cells ``:`` without a flag are dropped); a series with none is
rejected as ``no_observations``.  So rows read = series in the file = used + rejected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.clean import answers, ateco, geo, names, numbers, partner_types, vat
from channelstudy.fields import LIKERT_ITEMS, REVENUE_STREAMS, STATISTICS_KIND
from channelstudy.link import LinkConfig, link_records
from channelstudy.manifest import Manifest, SourceSpec, load_manifest
from channelstudy.presets import DECODERS, class_midpoints
from channelstudy.readers import read_source, read_statistics
from channelstudy.schemas import SCHEMAS, schema_for, write_codebook
from channelstudy.weights import size_class

log = logging.getLogger(__name__)

KIND_PRIORITY = {"directory": 0, "vendor_roster": 1, "survey": 2, "pipeline": 3}
"""Lower is more authoritative: a firm's name and attributes come from its best record."""

REJECT_REASONS: dict[str, str] = {
    "blank_row": "Every mapped cell of the row is empty (skipped by the reader).",
    "no_identity": "Neither a usable company name nor a valid partita IVA: the row cannot be linked to a firm.",
    "duplicate_response": "Another response of the same firm in the same wave was kept (the latest submitted).",
    "duplicate_roster_entry": "The same partner is listed twice in the same vendor programme (first kept).",
    "duplicate_pipeline_line": "The same partner appears twice on the same pipeline item (first kept).",
    "missing_wave": "Survey row without a usable wave.",
    "missing_vendor": "Roster row without a vendor.",
    "missing_deal": "Pipeline row without a deal id.",
    "no_awardee": "Award record without an awardee (a funded project not yet matched to an award): "
                  "no supplier to link (options.blank_reason of the source, e.g. ANAC).",
    "no_observations": "Statistics series whose every cell is ':' (not available) without a flag: "
                       "nothing to keep.",
}

RELATIONSHIP_ALIASES = {"channel": "channel", "alliance": "alliance", "joint venture": "joint_venture",
                        "joint_venture": "joint_venture", "jv": "joint_venture", "canale": "channel",
                        "alleanza": "alliance"}
RECORD_TYPE_ALIASES = {"lead": "lead", "leads": "lead", "segnalazione": "lead", "opportunity": "opportunity",
                       "opportunità": "opportunity", "opportunita": "opportunity", "opp": "opportunity"}
STAGE_ALIASES = {"open": "open", "aperta": "open", "won": "won", "vinta": "won", "lost": "lost", "persa": "lost"}
TIER_ALIASES = {t: t for t in ("registered", "silver", "gold", "platinum")}


@dataclass(frozen=True)
class BuildConfig:
    """Settings of the build; thresholds of entity resolution live in :class:`LinkConfig`."""

    link: LinkConfig = field(default_factory=LinkConfig)
    mix_tolerance: float = 0.05
    """Accepted distance of a revenue mix's sum from 100 % (or 1) before rescaling; see answers.normalise_mix."""
    geo_threshold: float = geo.FUZZY_THRESHOLD
    """rapidfuzz score (0-100) above which a misspelt comune is corrected."""

    def __post_init__(self) -> None:
        if not 0 < self.mix_tolerance < 0.5:
            raise ValueError(f"mix_tolerance must be in (0, 0.5), got {self.mix_tolerance}")
        if not 50 <= self.geo_threshold <= 100:
            raise ValueError(f"geo_threshold must be in [50, 100], got {self.geo_threshold}")


@dataclass
class BuildResult:
    """Tables written by :func:`build` and the build report."""

    out_dir: Path
    tables: dict[str, pd.DataFrame]
    report: dict


# --- small typed helpers -----------------------------------------------------------------------

def _text(s: pd.Series) -> pd.Series:
    """Text column with missing values as NA (empty and whitespace-only strings are missing)."""
    out = s.astype("str").str.strip()
    return out.where(out.ne(""), None).astype("str")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="str")


def _numbers(frame: pd.DataFrame, spec: SourceSpec, name: str) -> tuple[pd.Series, pd.Series]:
    parsed = numbers.parse_numbers(_column(frame, name), decimal=spec.decimal)
    value = parsed["value"].astype("Float64") * spec.scales.get(name, 1.0)
    return value, parsed["flag"]


def _shares(frame: pd.DataFrame, spec: SourceSpec, name: str) -> tuple[pd.Series, pd.Series]:
    """Shares: with a manifest ``scale`` the number times the scale, else percent-or-fraction rules."""
    if name in spec.scales:
        value, flag = _numbers(frame, spec, name)
        bad = value.notna() & ((value < 0) | (value > 1))
        return value.mask(bad), flag.astype("str").mask(bad, "out_of_range")
    parsed = numbers.parse_shares(_column(frame, name), decimal=spec.decimal)
    return parsed["value"].astype("Float64"), parsed["flag"]


def _mapped(values: pd.Series, aliases: dict[str, str]) -> pd.Series:
    key = values.astype("str").str.strip().str.lower()
    return key.map(aliases).astype("str")


def _join_flags(flags: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """``field:flag`` codes of each row joined by ``;`` (NA when the row has none)."""
    parts = [(name + ":" + s.astype("str")).fillna("") for name, s in flags.items() if s.notna().any()]
    if not parts:
        return pd.Series(pd.NA, index=index, dtype="str")
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.str.cat(part, sep=";")
    joined = joined.str.replace(r";{2,}", ";", regex=True).str.strip(";")
    return joined.where(joined.ne(""), None).astype("str")


# --- reading and identity ---------------------------------------------------------------------

def record_sources(manifest: Manifest) -> tuple[SourceSpec, ...]:
    """The sources whose rows are linked into firms (every kind but ``statistics``)."""
    return tuple(s for s in manifest.sources if s.kind != STATISTICS_KIND)


def decode_fields(frame: pd.DataFrame, spec: SourceSpec) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """Apply the source's decoders (``options.decoders``) to its mapped text fields.

    Returns
    -------
    frame, counts
        The frame with decoded fields (``""`` where a value could not be decoded, like any
        missing cell) and, per decoded field, how many rows were ``ok``, ``missing`` (blank
        input) or flagged by the decoder (``unknown``, ``repaired``, ``invalid_date`` ...).
    """
    counts: dict[str, dict[str, int]] = {}
    if not spec.options.decoders:
        return frame, counts
    frame = frame.copy()
    for name, decoder in spec.options.decoders.items():
        if name not in frame.columns:
            continue
        decoded = DECODERS[decoder](frame[name])
        blank = frame[name].astype("str").str.strip().eq("")
        status = decoded["flag"].mask(decoded["flag"].isna() & blank, "missing").fillna("ok")
        counts[name] = {str(k): int(v) for k, v in status.value_counts().sort_index().items()}
        frame[name] = decoded["value"].fillna("").astype("str")
    return frame, counts


def read_all(manifest: Manifest, progress: bool = False) -> dict[str, pd.DataFrame]:
    """Every record source as text, decoded (:func:`decode_fields`), keyed by name (in manifest order).

    ``frame.attrs`` carries ``rows_in_file`` (from the reader) and ``decoded`` (the decoder counts).
    Statistics sources are read by :func:`clean_statistics`.
    """
    from tqdm.auto import tqdm

    frames = {}
    for spec in tqdm(record_sources(manifest), desc="read", unit="source", disable=not progress or None):
        raw = read_source(spec)
        frame, decoded = decode_fields(raw, spec)
        frame.attrs = {**raw.attrs, "decoded": decoded}
        frames[spec.name] = frame
        log.info("read %s: %d rows", spec.name, len(frame))
    return frames


def rows_in_file(frame: pd.DataFrame) -> int:
    """Data records of the source's file: the reader's count, else the last row number seen."""
    if "rows_in_file" in frame.attrs:
        return int(frame.attrs["rows_in_file"])
    return int(frame["row_number"].max()) if len(frame) else 0


def blank_rows(frame: pd.DataFrame, source: str, reason: str = "blank_row") -> pd.DataFrame:
    """Rows the reader skipped as blank (every row number of the file it did not return), as rejects."""
    missing = np.setdiff1d(np.arange(1, rows_in_file(frame) + 1), frame["row_number"].to_numpy())
    if not len(missing):
        return pd.DataFrame(columns=["source", "record_id", "row_number", "reason", "detail"])
    return pd.DataFrame({"source": source, "record_id": missing.astype(str), "row_number": missing,
                         "reason": reason, "detail": REJECT_REASONS[reason]})


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
            "name_raw": _column(f, "name"), "vat_raw": _column(f, "vat"), "tax_code_raw": _column(f, "tax_code"),
            "comune_raw": _column(f, "comune"), "province_raw": _column(f, "province"),
            "legal_form_raw": _column(f, "legal_form"), "declared_first": spec.options.prefer_declared_legal_form,
            "dedupe_by_name": spec.options.dedupe_by_name,
        }))
    ids = pd.concat(parts, ignore_index=True) if parts else _no_identities()
    vats = vat.classify_series(_text(ids["vat_raw"]))
    from_tax_code = vat.classify_series(_text(ids["tax_code_raw"]))
    ids["vat"] = vats["vat"].fillna(from_tax_code["vat"]).astype("str")
    ids["vat_kind"] = vats["kind"].fillna(from_tax_code["kind"]).astype("str")
    clean = names.clean_names(_text(ids["name_raw"]))
    ids["name"] = clean["name"].astype("str")
    ids["name_key"] = clean["name_key"].astype("str")
    declared_form = names.clean_names(_text(ids["legal_form_raw"]))["legal_form"]
    from_name, declared = clean["legal_form"].fillna(declared_form), declared_form.fillna(clean["legal_form"])
    ids["legal_form"] = declared.where(ids["declared_first"], from_name).astype("str")
    where = geo.clean_geo(_text(ids["comune_raw"]), _text(ids["province_raw"]), threshold=config.geo_threshold)
    for col in geo.GEO_COLUMNS:
        ids[col] = where[col].astype("str")
    own_block = ("@" + ids["source"]).where(ids["dedupe_by_name"].astype(bool))
    ids["link_province"] = ids["province"].fillna(own_block).astype("str")
    ids["link_comune"] = ids["istat_code"].fillna(own_block).astype("str")
    return ids.drop(columns=["declared_first", "dedupe_by_name"])


def _no_identities() -> pd.DataFrame:
    """The identity frame of a manifest without record sources (only statistics)."""
    text = ["source", "record_id", "kind", "name_raw", "vat_raw", "tax_code_raw", "comune_raw", "province_raw",
            "legal_form_raw"]
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in text})
    frame["row_number"] = pd.Series(dtype="int64")
    frame["priority"] = pd.Series(dtype="int64")
    frame["declared_first"] = pd.Series(dtype=bool)
    frame["dedupe_by_name"] = pd.Series(dtype=bool)
    return frame


def link(ids: pd.DataFrame, config: BuildConfig) -> pd.DataFrame:
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
    linked = link_records(records, config.link)
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


# --- per-kind measures -------------------------------------------------------------------------

def _provenance(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    return pd.DataFrame({"source": spec.name, "record_id": frame["record_id"].astype("str"),
                         "row_number": frame["row_number"].astype("int64")}, index=frame.index)


def clean_directory(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Directory measures: ATECO, size (number and classes), revenue, declared type, foundation year, website.

    ATECO codes are read in ``options.ateco_edition`` (inferred per code when unset).  Without
    a number of persons employed, ``employees`` is the midpoint of ``employees_class``
    (:func:`channelstudy.presets.class_midpoints`; the open top class gives its lower bound).
    """
    out = _provenance(frame, spec)
    codes = ateco.clean_ateco(_text(_column(frame, "ateco")), edition=spec.options.ateco_edition,
                              zeros_stripped=spec.options.ateco_zeros_stripped)
    out["ateco_2025"] = codes["ateco_2025"].astype("str")
    out["ateco_2025_title"] = codes["ateco_2025_title"].astype("str")
    out["ateco_flag"] = codes["ateco_flag"].astype("str")
    for name in ("employees_class", "production_class", "capital_class"):
        out[name] = _text(_column(frame, name))
    employees, out["employees_flag"] = _numbers(frame, spec, "employees")
    out["employees"] = employees.fillna(class_midpoints(out["employees_class"])).astype("Float64")
    out["revenue_eur"], out["revenue_flag"] = _numbers(frame, spec, "revenue_eur")
    out["partner_type_declared"] = partner_types.clean_partner_types(_column(frame, "partner_type"))["partner_type"]
    founded, _ = _numbers(frame, spec, "founded")
    out["founded"] = founded.round().astype("Int64")
    out["website"] = _text(_column(frame, "website"))
    return out


def clean_survey(frame: pd.DataFrame, spec: SourceSpec, config: BuildConfig) -> pd.DataFrame:
    """Survey measures, typed; personal contact fields are never carried over."""
    out = _provenance(frame, spec)
    flags: dict[str, pd.Series] = {}
    wave, flags["wave"] = _numbers(frame, spec, "wave")
    out["wave"] = wave.round().astype("Int64")
    submitted = numbers.parse_dates(_column(frame, "submitted"))
    out["submitted"] = submitted["value"].astype("datetime64[ns]")
    flags["submitted"] = submitted["flag"]
    lang = _text(_column(frame, "language")).str.lower().str[:2]
    out["language"] = lang.where(lang.isin(["it", "en"]), None).astype("str")
    out["declared_type"] = _text(_column(frame, "declared_type"))
    out["partner_type_declared"] = partner_types.clean_partner_types(out["declared_type"])["partner_type"]
    for name in ("employees", "revenue_eur", "dso_days", "vendor_support_eur", "joint_pipeline_eur"):
        out[name], flags[name] = _numbers(frame, spec, name)
    raw_mix = pd.DataFrame({f"mix_{s}": _numbers(frame, spec, f"mix_{s}")[0] for s in REVENUE_STREAMS})
    mix = answers.normalise_mix(raw_mix, tolerance=config.mix_tolerance)
    for s in REVENUE_STREAMS:
        out[f"mix_{s}"] = mix[f"mix_{s}"].astype("Float64")
    flags["mix"] = mix["mix_flag"]
    for name in ("rd_share", "intl_share", "cloud_share", "main_platform_share", "win_rate", "isv_solution_share"):
        out[name], flags[name] = _shares(frame, spec, name)
    for name in ("n_solutions", "n_platforms"):
        value, flags[name] = _numbers(frame, spec, name)
        out[name] = value.round().astype("Int64")
    out["certifications"] = answers.clean_multi(_column(frame, "certifications")).astype("str")
    out["main_platform"] = _text(_column(frame, "main_platform"))
    for name in ("cosell", "formal_solutions"):
        parsed = answers.clean_yes_no(_column(frame, name))
        out[name] = parsed["value"].astype("boolean")
        flags[name] = parsed["flag"]
    for name in ("vendor_rating", *LIKERT_ITEMS):
        parsed = answers.clean_likert(_column(frame, name))
        out[name] = parsed["value"].astype("Int64")
        flags[name] = parsed["flag"]
    out["quality_flags"] = _join_flags(flags, frame.index)
    return out


def clean_roster(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Vendor roster fields, typed."""
    out = _provenance(frame, spec)
    out["vendor"] = _text(_column(frame, "vendor"))
    out["tier"] = _mapped(_column(frame, "tier"), TIER_ALIASES)
    out["role"] = _text(_column(frame, "role"))
    out["partner_type_declared"] = partner_types.clean_partner_types(out["role"])["partner_type"]
    out["competencies"] = answers.clean_multi(_column(frame, "competencies")).astype("str")
    n_cert, _ = _numbers(frame, spec, "n_certified")
    out["n_certified"] = n_cert.round().astype("Int64")
    for name in ("lead_registration", "mdf", "cosell"):
        out[name] = answers.clean_yes_no(_column(frame, name))["value"].astype("boolean")
    out["since"] = numbers.parse_dates(_column(frame, "since"))["value"].astype("datetime64[ns]")
    return out


def clean_pipeline(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Pipeline fields, typed; relationship, record type and stage mapped to canonical codes."""
    out = _provenance(frame, spec)
    out["deal_id"] = _text(_column(frame, "deal_id"))
    out["relationship"] = _mapped(_column(frame, "relationship"), RELATIONSHIP_ALIASES)
    out["record_type"] = _mapped(_column(frame, "record_type"), RECORD_TYPE_ALIASES)
    out["partner_role"] = _text(_column(frame, "partner_role"))
    out["customer_id"] = _text(_column(frame, "customer_id"))
    out["customer_name"] = _text(_column(frame, "customer_name"))
    out["value_eur"], _ = _numbers(frame, spec, "value_eur")
    out["created"] = numbers.parse_dates(_column(frame, "created"))["value"].astype("datetime64[ns]")
    out["stage"] = _mapped(_column(frame, "stage"), STAGE_ALIASES)
    return out


# --- firms ------------------------------------------------------------------------------------

def _mode_by_firm(values: pd.DataFrame, column: str) -> pd.Series:
    """Most frequent non-null value per firm; ties go to the most authoritative record."""
    v = values.dropna(subset=[column])
    counts = v.groupby(["firm_id", column], sort=False).agg(n=("priority", "size"), best=("priority", "min"))
    counts = counts.reset_index().sort_values(["firm_id", "n", "best", column], ascending=[True, False, True, True])
    return counts.drop_duplicates("firm_id").set_index("firm_id")[column]


def declared_votes(declared: pd.DataFrame) -> pd.Series:
    """Per firm, the declared partner-type labels of all its records: ``reseller:3;isv:1`` (most first)."""
    votes = (declared.dropna(subset=["partner_type_declared"])
             .groupby(["firm_id", "partner_type_declared"]).size().rename("n").reset_index()
             .sort_values(["firm_id", "n", "partner_type_declared"], ascending=[True, False, True]))
    text = votes["partner_type_declared"] + ":" + votes["n"].astype(str)
    return text.groupby(votes["firm_id"]).agg(";".join)


def resolve_firms(linked: pd.DataFrame, directory: pd.DataFrame, survey: pd.DataFrame,
                  roster: pd.DataFrame) -> pd.DataFrame:
    """One row per firm from all its records (see the codebook for each attribute's rule)."""
    rec = linked[linked["firm_id"].notna()].sort_values(["firm_id", "priority", "source", "row_number"])
    first = rec.drop_duplicates("firm_id").set_index("firm_id")
    firms = pd.DataFrame(index=pd.Index(sorted(rec["firm_id"].unique()), name="firm_id"))
    firms["vat"] = _mode_by_firm(rec, "vat")
    firms["name"] = first["name"].fillna(first["name_raw"].astype("str").str.strip())
    firms["legal_form"] = _mode_by_firm(rec, "legal_form")
    place = _mode_by_firm(rec, "istat_code")
    geo_cols = ["comune", "province", "region", "macro_area", "nuts2"]
    by_code = rec.dropna(subset=["istat_code"]).drop_duplicates("istat_code").set_index("istat_code")[geo_cols]
    firms["istat_code"] = place
    firms[geo_cols] = by_code.reindex(place.reindex(firms.index)).to_numpy()
    province = _mode_by_firm(rec, "province").reindex(firms.index)
    no_place = firms["istat_code"].isna()
    if no_place.any():
        prov_ref = (rec.dropna(subset=["province", "region"]).drop_duplicates("province")
                    .set_index("province")[["region", "macro_area", "nuts2"]])
        firms.loc[no_place, "province"] = province[no_place]
        firms.loc[no_place, ["region", "macro_area", "nuts2"]] = prov_ref.reindex(province[no_place]).to_numpy()

    measures = pd.concat([directory.assign(_p=0), survey.assign(_p=1)], ignore_index=True)
    for name in ("employees", "revenue_eur"):
        values = measures.dropna(subset=[name])
        best = values.groupby("firm_id")["_p"].transform("min")
        firms[name] = values[values["_p"] == best].groupby("firm_id")[name].median().astype("Float64")
    classes = directory.dropna(subset=["ateco_2025"]).assign(priority=0)
    classes["ateco_2025"] = classes["ateco_2025"].str[:5]  # class level: subcategories vary across sources
    firms["ateco_2025"] = _mode_by_firm(classes, "ateco_2025")
    firms["ateco_2025_title"] = firms["ateco_2025"].map(ateco.title_2025).astype("str")
    for name in ("employees_class", "production_class", "capital_class"):
        firms[name] = _mode_by_firm(directory.assign(priority=0), name)
    firms["size_class"] = size_class(firms["employees"], firms["revenue_eur"]).astype("str")
    declared = pd.concat([t[["firm_id", "partner_type_declared"]] for t in (directory, survey, roster)])
    firms["partner_type"] = _mode_by_firm(declared.assign(priority=0), "partner_type_declared")
    firms["partner_type_votes"] = declared_votes(declared)
    firms["n_records"] = rec.groupby("firm_id").size().astype("int64")
    firms["sources"] = rec.groupby("firm_id")["source"].agg(lambda s: ";".join(sorted(set(s))))
    columns = list(SCHEMAS["firms"].columns)
    return _typed(firms.reset_index()[columns], "firms")


# --- duplicates and rejects ------------------------------------------------------------------

def _reject(table: pd.DataFrame, mask: pd.Series, reason: str) -> pd.DataFrame:
    rows = table.loc[mask, ["source", "record_id", "row_number"]]
    return rows.assign(reason=reason, detail=REJECT_REASONS[reason])


def dedupe_survey(survey: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one response per firm and wave: the latest submitted (then the last row)."""
    ordered = survey.sort_values(["firm_id", "wave", "submitted", "source", "row_number"], na_position="first")
    dup = ordered.duplicated(["firm_id", "wave"], keep="last")
    return ordered[~dup].sort_values(["source", "row_number"]), _reject(ordered, dup, "duplicate_response")


def _dedupe_first(table: pd.DataFrame, keys: list[str], reason: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    ordered = table.sort_values(["source", "row_number"])
    dup = ordered.duplicated(keys, keep="first")
    return ordered[~dup], _reject(ordered, dup, reason)


def _typed(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast to the schema's dtypes and column order (text columns as pandas ``str``)."""
    schema = SCHEMAS[name]
    out = table[list(schema.columns)].copy()
    for col, column in schema.columns.items():
        dtype = str(column.dtype)
        out[col] = out[col].astype("str") if "str" in dtype else out[col].astype(dtype)
    return out.reset_index(drop=True)


# --- the build ---------------------------------------------------------------------------------

CLEANERS: dict[str, Callable[..., pd.DataFrame]] = {
    "directory": lambda f, s, c: clean_directory(f, s),
    "survey": clean_survey,
    "vendor_roster": lambda f, s, c: clean_roster(f, s),
    "pipeline": lambda f, s, c: clean_pipeline(f, s),
}


def build(raw: str | Path, out: str | Path, *, config: BuildConfig | None = None,
          progress: bool = False) -> BuildResult:
    """Build the processed tables of the sources described by ``raw/sources.yml`` into ``out``.

    Parameters
    ----------
    raw : path
        Folder holding ``sources.yml`` (or the manifest file itself).
    out : path
        Output folder (created).
    config : BuildConfig, optional
    progress : bool
        Show progress bars.

    Raises
    ------
    channelstudy.manifest.ManifestError
        When the manifest or a source file does not fit the input contract (one-line message).
    """
    config = config or BuildConfig()
    out = Path(out)
    manifest = load_manifest(raw)
    frames = read_all(manifest, progress)
    rejects = [blank_rows(frames[s.name], s.name, s.options.blank_reason) for s in record_sources(manifest)]
    ids = identities(frames, manifest, config)
    linked = link(ids, config)
    rejects.append(linked.loc[linked["firm_id"].isna(), ["source", "record_id", "row_number"]]
                   .assign(reason="no_identity", detail=REJECT_REASONS["no_identity"]))
    firm_of = linked.set_index(["source", "row_number"])["firm_id"]

    cleaned: dict[str, list[pd.DataFrame]] = {k: [] for k in KIND_PRIORITY}
    for spec in record_sources(manifest):
        table = CLEANERS[spec.kind](frames[spec.name], spec, config)
        table["firm_id"] = firm_of.reindex(pd.MultiIndex.from_arrays([table["source"], table["row_number"]])).to_numpy()
        cleaned[spec.kind].append(table[table["firm_id"].notna()])
    directory, survey, roster, pipeline = (
        pd.concat(cleaned[k], ignore_index=True) if cleaned[k] else _empty_kind(k, config)
        for k in ("directory", "survey", "vendor_roster", "pipeline")
    )
    no_wave = survey["wave"].isna()
    rejects.append(_reject(survey, no_wave, "missing_wave"))
    survey, dup_survey = dedupe_survey(survey[~no_wave])
    no_vendor = roster["vendor"].isna()
    rejects.append(_reject(roster, no_vendor, "missing_vendor"))
    roster, dup_roster = _dedupe_first(roster[~no_vendor], ["vendor", "firm_id"], "duplicate_roster_entry")
    no_deal = pipeline["deal_id"].isna()
    rejects.append(_reject(pipeline, no_deal, "missing_deal"))
    pipeline, dup_pipe = _dedupe_first(pipeline[~no_deal], ["deal_id", "firm_id"], "duplicate_pipeline_line")
    rejects += [dup_survey, dup_roster, dup_pipe]

    statistics = {}
    for spec in manifest.sources:
        if spec.kind == STATISTICS_KIND:
            statistics[spec.name], no_obs, frames[spec.name] = clean_statistics(spec)
            rejects.append(no_obs)

    firms = resolve_firms(linked, directory, survey, roster)
    tables = {
        "firms": firms,
        "links": _typed(linked.sort_values(["priority", "source", "row_number"]), "links"),
        "survey": _typed(survey.sort_values(["source", "row_number"]), "survey"),
        "vendor_roster": _typed(roster.sort_values(["source", "row_number"]), "vendor_roster"),
        "pipeline": _typed(pipeline.sort_values(["source", "row_number"]), "pipeline"),
        "rejects": _typed(pd.concat([_no_rejects(), *(r for r in rejects if len(r))], ignore_index=True)
                          .sort_values(["source", "row_number", "reason"]), "rejects"),
        **{f"statistics_{name}": table for name, table in statistics.items()},
    }
    for name, table in tables.items():
        schema_for(name, table).validate(table, lazy=True)
    report = build_report(manifest, frames, tables, cleaning_counts(ids, directory, frames))
    write_outputs(out, tables, report)
    return BuildResult(out, tables, report)


def _no_rejects() -> pd.DataFrame:
    """An empty rejects table (so that a build without any reject still has one)."""
    return pd.DataFrame({"source": pd.Series(dtype="str"), "record_id": pd.Series(dtype="str"),
                         "row_number": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str"),
                         "detail": pd.Series(dtype="str")})


def _empty_kind(kind: str, config: BuildConfig) -> pd.DataFrame:
    spec = SourceSpec(name="empty", kind=kind, path=Path("."), format="csv")
    empty = pd.DataFrame({"record_id": pd.Series(dtype="str"), "row_number": pd.Series(dtype="int64")})
    table = CLEANERS[kind](empty, spec, config)
    table["firm_id"] = pd.Series(dtype="str")
    return table


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


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.fillna("ok").value_counts().sort_index().items()}


def cleaning_counts(ids: pd.DataFrame, directory: pd.DataFrame,
                    frames: dict[str, pd.DataFrame] | None = None) -> dict[str, dict[str, dict]]:
    """Per source, what cleaning found: identifier kinds, geography flags, ATECO flags (``ok`` = no flag).

    ``vat`` classifies the identifier used (the ``vat`` column, else ``tax_code``); it is
    ``missing`` when the row has neither.  ``geo`` and ``ateco`` are left out for a source that
    maps none of their fields.  ``decoded`` (sources with decoders): per field, the counts of
    :func:`decode_fields`.
    """
    def blank(values: pd.Series) -> pd.Series:
        return values.astype("str").fillna("").str.strip().eq("")

    out: dict[str, dict[str, dict]] = {}
    for source, g in ids.groupby("source", sort=False):
        out[str(source)] = {"vat": _counts(g["vat_kind"].mask(blank(g["vat_raw"]) & blank(g["tax_code_raw"]),
                                                              "missing"))}
        if g["comune_raw"].notna().any() or g["province_raw"].notna().any():  # NA: not mapped, "": empty cell
            out[str(source)]["geo"] = _counts(g["geo_flag"])
    for source, g in directory.groupby("source", sort=False):
        if frames is None or "ateco" in frames[str(source)].columns:
            out[str(source)]["ateco"] = _counts(g["ateco_flag"])
    for source, frame in (frames or {}).items():
        if frame.attrs.get("decoded") and source in out:
            out[source]["decoded"] = frame.attrs["decoded"]
    return out


def build_report(manifest: Manifest, frames: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame],
                 cleaning: dict | None = None) -> dict:
    """Per source: rows read, used, rejected (by reason), linked, how records matched, what cleaning found."""
    rejects = tables["rejects"]
    links = tables["links"]
    used_tables = {"directory": None, "survey": "survey", "vendor_roster": "vendor_roster", "pipeline": "pipeline"}
    sources = {}
    for spec in manifest.sources:
        frame = frames[spec.name]
        rej = rejects[rejects["source"] == spec.name]
        lk = links[links["source"] == spec.name]
        read = rows_in_file(frame)
        if spec.kind == STATISTICS_KIND:
            observations = tables[f"statistics_{spec.name}"]
            used = int(observations["row_number"].nunique())
        elif used_tables[spec.kind] is None:
            used = int(lk["firm_id"].notna().sum())
        else:
            used = int((tables[used_tables[spec.kind]]["source"] == spec.name).sum())
        sources[spec.name] = {
            "kind": spec.kind,
            "path": spec.path.name,
            "rows_read": read,
            "rows_used": used,
            "rows_rejected": int(len(rej)),
            "rejected_by_reason": {k: int(v) for k, v in rej["reason"].value_counts().sort_index().items()},
            "rows_linked": int(lk["firm_id"].notna().sum()),
            "match_methods": {k: int(v) for k, v in lk["match_method"].value_counts().sort_index().items()},
            "balanced": read == used + int(len(rej)),
            "cleaning": (cleaning or {}).get(spec.name, {}),
        }
        if spec.preset is not None:
            sources[spec.name]["preset"] = spec.preset
        if spec.kind == STATISTICS_KIND:
            sources[spec.name]["observations"] = int(len(observations))
    return {
        "sources": sources,
        "firms_resolved": int(len(tables["firms"])),
        "rows_read": sum(s["rows_read"] for s in sources.values()),
        "rows_used": sum(s["rows_used"] for s in sources.values()),
        "rows_rejected": sum(s["rows_rejected"] for s in sources.values()),
        "reject_reasons": REJECT_REASONS,
    }


def directory_sources(report: dict) -> list[str]:
    """Names of the ``kind: directory`` sources in a ``build_report.json``, in manifest order."""
    return [name for name, src in report["sources"].items() if src["kind"] == "directory"]


def listed_by(firms: pd.DataFrame, sources: list[str]) -> pd.Series:
    """Whether each firm of ``firms.parquet`` has a record in one of ``sources``."""
    wanted = set(sources)
    return firms["sources"].str.split(";").map(lambda names: bool(wanted & set(names))).astype(bool)


def write_outputs(out: Path, tables: dict[str, pd.DataFrame], report: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_parquet(out / f"{name}.parquet", index=False)
    (out / "build_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_codebook(out / "CODEBOOK.md", REJECT_REASONS)
