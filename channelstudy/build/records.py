"""Per-kind record cleaning: each source's rows typed into the columns of its processed table.

A *cleaner* takes a source's raw text frame and its spec and returns one row per input row
with provenance (``source``, ``record_id``, ``row_number``) and typed measures; decoders
(:mod:`channelstudy.clean.classes`) have already rewritten mapped text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from channelstudy.build.config import BuildConfig
from channelstudy.clean import answers, ateco, numbers, partner_types
from channelstudy.clean.aliases import RECORD_TYPE_ALIASES, RELATIONSHIP_ALIASES, STAGE_ALIASES, TIER_ALIASES
from channelstudy.clean.classes import DECODERS, class_midpoints
from channelstudy.clean.distinct import by_distinct
from channelstudy.sources.specs import SourceSpec
from channelstudy.vocabulary import LIKERT_ITEMS, REVENUE_STREAMS

# --- small typed helpers -----------------------------------------------------------------------

def as_text(s: pd.Series) -> pd.Series:
    """Text column with missing values as NA (empty and whitespace-only strings are missing)."""
    out = s.astype("str").str.strip()
    return out.where(out.ne(""), None).astype("str")


def column_or_na(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="str")


def parse_number_field(frame: pd.DataFrame, spec: SourceSpec, name: str) -> tuple[pd.Series, pd.Series]:
    parsed = by_distinct(column_or_na(frame, name), lambda u: numbers.parse_numbers(u, decimal=spec.decimal))
    value = parsed["value"].astype("Float64") * spec.scales.get(name, 1.0)
    return value, parsed["flag"]


def parse_share_field(frame: pd.DataFrame, spec: SourceSpec, name: str) -> tuple[pd.Series, pd.Series]:
    """Shares: with a manifest ``scale`` the number times the scale, else percent-or-fraction rules."""
    if name in spec.scales:
        value, flag = parse_number_field(frame, spec, name)
        bad = value.notna() & ((value < 0) | (value > 1))
        return value.mask(bad), flag.astype("str").mask(bad, "out_of_range")
    parsed = numbers.parse_shares(column_or_na(frame, name), decimal=spec.decimal)
    return parsed["value"].astype("Float64"), parsed["flag"]


def map_aliases(values: pd.Series, aliases: dict[str, str]) -> pd.Series:
    key = values.astype("str").str.strip().str.lower()
    return key.map(aliases).astype("str")


def join_flags(flags: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """``field:flag`` codes of each row joined by ``;`` (NA when the row has none)."""
    parts = [(name + ":" + s.astype("str")).fillna("") for name, s in flags.items() if s.notna().any()]
    if not parts:
        return pd.Series(pd.NA, index=index, dtype="str")
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.str.cat(part, sep=";")
    joined = joined.str.replace(r";{2,}", ";", regex=True).str.strip(";")
    return joined.where(joined.ne(""), None).astype("str")


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


# --- per-kind measures -------------------------------------------------------------------------

def _provenance(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    return pd.DataFrame({"source": spec.name, "record_id": frame["record_id"].astype("str"),
                         "row_number": frame["row_number"].astype("int64")}, index=frame.index)


def clean_directory(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Directory measures: ATECO, size (number and classes), revenue, declared type, foundation year, website.

    ATECO codes are read in ``options.ateco_edition`` (inferred per code when unset).  Without
    a number of persons employed, ``employees`` is the midpoint of ``employees_class``
    (:func:`channelstudy.clean.classes.class_midpoints`; the open top class gives its lower bound).
    """
    out = _provenance(frame, spec)
    codes = ateco.clean_ateco(as_text(column_or_na(frame, "ateco")), edition=spec.options.ateco_edition,
                              zeros_stripped=spec.options.ateco_zeros_stripped)
    out["ateco_2025"] = codes["ateco_2025"].astype("str")
    out["ateco_2025_title"] = codes["ateco_2025_title"].astype("str")
    out["ateco_flag"] = codes["ateco_flag"].astype("str")
    for name in ("employees_class", "production_class", "capital_class"):
        out[name] = as_text(column_or_na(frame, name))
    employees, out["employees_flag"] = parse_number_field(frame, spec, "employees")
    out["employees"] = employees.fillna(class_midpoints(out["employees_class"])).astype("Float64")
    out["revenue_eur"], out["revenue_flag"] = parse_number_field(frame, spec, "revenue_eur")
    out["partner_type_declared"] = partner_types.clean_partner_types(column_or_na(frame, "partner_type"))["partner_type"]
    founded, _ = parse_number_field(frame, spec, "founded")
    out["founded"] = founded.round().astype("Int64")
    out["website"] = as_text(column_or_na(frame, "website"))
    return out


def clean_survey(frame: pd.DataFrame, spec: SourceSpec, config: BuildConfig) -> pd.DataFrame:
    """Survey measures, typed; personal contact fields are never carried over."""
    out = _provenance(frame, spec)
    flags: dict[str, pd.Series] = {}
    wave, flags["wave"] = parse_number_field(frame, spec, "wave")
    out["wave"] = wave.round().astype("Int64")
    submitted = numbers.parse_dates(column_or_na(frame, "submitted"))
    out["submitted"] = submitted["value"].astype("datetime64[ns]")
    flags["submitted"] = submitted["flag"]
    lang = as_text(column_or_na(frame, "language")).str.lower().str[:2]
    out["language"] = lang.where(lang.isin(["it", "en"]), None).astype("str")
    out["declared_type"] = as_text(column_or_na(frame, "declared_type"))
    out["partner_type_declared"] = partner_types.clean_partner_types(out["declared_type"])["partner_type"]
    for name in ("employees", "revenue_eur", "dso_days", "vendor_support_eur", "joint_pipeline_eur"):
        out[name], flags[name] = parse_number_field(frame, spec, name)
    raw_mix = pd.DataFrame({f"mix_{s}": parse_number_field(frame, spec, f"mix_{s}")[0] for s in REVENUE_STREAMS})
    mix = answers.normalise_mix(raw_mix, tolerance=config.mix_tolerance)
    for s in REVENUE_STREAMS:
        out[f"mix_{s}"] = mix[f"mix_{s}"].astype("Float64")
    flags["mix"] = mix["mix_flag"]
    for name in ("rd_share", "intl_share", "cloud_share", "main_platform_share", "win_rate", "isv_solution_share"):
        out[name], flags[name] = parse_share_field(frame, spec, name)
    for name in ("n_solutions", "n_platforms"):
        value, flags[name] = parse_number_field(frame, spec, name)
        out[name] = value.round().astype("Int64")
    out["certifications"] = answers.clean_multi(column_or_na(frame, "certifications")).astype("str")
    out["main_platform"] = as_text(column_or_na(frame, "main_platform"))
    for name in ("cosell", "formal_solutions"):
        parsed = answers.clean_yes_no(column_or_na(frame, name))
        out[name] = parsed["value"].astype("boolean")
        flags[name] = parsed["flag"]
    for name in ("vendor_rating", *LIKERT_ITEMS):
        parsed = answers.clean_likert(column_or_na(frame, name))
        out[name] = parsed["value"].astype("Int64")
        flags[name] = parsed["flag"]
    out["quality_flags"] = join_flags(flags, frame.index)
    return out


def clean_roster(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Vendor roster fields, typed."""
    out = _provenance(frame, spec)
    out["vendor"] = as_text(column_or_na(frame, "vendor"))
    out["tier"] = map_aliases(column_or_na(frame, "tier"), TIER_ALIASES)
    out["role"] = as_text(column_or_na(frame, "role"))
    out["partner_type_declared"] = partner_types.clean_partner_types(out["role"])["partner_type"]
    out["competencies"] = answers.clean_multi(column_or_na(frame, "competencies")).astype("str")
    n_cert, _ = parse_number_field(frame, spec, "n_certified")
    out["n_certified"] = n_cert.round().astype("Int64")
    for name in ("lead_registration", "mdf", "cosell"):
        out[name] = answers.clean_yes_no(column_or_na(frame, name))["value"].astype("boolean")
    out["since"] = numbers.parse_dates(column_or_na(frame, "since"))["value"].astype("datetime64[ns]")
    return out


def clean_pipeline(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Pipeline fields, typed; relationship, record type and stage mapped to canonical codes."""
    out = _provenance(frame, spec)
    out["deal_id"] = as_text(column_or_na(frame, "deal_id"))
    out["relationship"] = map_aliases(column_or_na(frame, "relationship"), RELATIONSHIP_ALIASES)
    out["record_type"] = map_aliases(column_or_na(frame, "record_type"), RECORD_TYPE_ALIASES)
    out["partner_role"] = as_text(column_or_na(frame, "partner_role"))
    out["customer_id"] = as_text(column_or_na(frame, "customer_id"))
    out["customer_name"] = as_text(column_or_na(frame, "customer_name"))
    out["value_eur"], _ = parse_number_field(frame, spec, "value_eur")
    out["created"] = numbers.parse_dates(column_or_na(frame, "created"))["value"].astype("datetime64[ns]")
    out["stage"] = map_aliases(column_or_na(frame, "stage"), STAGE_ALIASES)
    return out


CLEANERS: dict[str, Callable[..., pd.DataFrame]] = {
    "directory": lambda f, s, c: clean_directory(f, s),
    "survey": clean_survey,
    "vendor_roster": lambda f, s, c: clean_roster(f, s),
    "pipeline": lambda f, s, c: clean_pipeline(f, s),
}


def empty_kind_table(kind: str, config: BuildConfig) -> pd.DataFrame:
    spec = SourceSpec(name="empty", kind=kind, path=Path("."), format="csv")
    empty = pd.DataFrame({"record_id": pd.Series(dtype="str"), "row_number": pd.Series(dtype="int64")})
    table = CLEANERS[kind](empty, spec, config)
    table["firm_id"] = pd.Series(dtype="str")
    return table
