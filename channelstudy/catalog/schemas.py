"""pandera schemas of the processed tables, and the codebook generated from them.

Every table ``channelstudy build`` writes is validated against its schema at the end of the
build; ``CODEBOOK.md`` is rendered from the same schemas, so the documentation cannot drift
from what is checked.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from channelstudy.clean.classes import DECODERS
from channelstudy.fields import FIELDS
from channelstudy.vocabulary import (
    EUROSTAT_FLAGS,
    LEGAL_FORMS,
    LIKERT_ITEMS,
    MACRO_AREAS,
    MATCH_METHODS,
    PARTNER_TYPES,
    RECORD_TYPES,
    RELATIONSHIPS,
    REVENUE_STREAM_LABELS,
    REVENUE_STREAMS,
    SIZE_CLASSES,
    STAGES,
    TIERS,
)

FIRM_ID = r"^F\d{6,}$"  # seven digits from the millionth firm on


def _col(dtype, description: str, *checks: pa.Check, nullable: bool = True, unique: bool = False) -> pa.Column:
    return pa.Column(dtype, list(checks), nullable=nullable, unique=unique, description=description)


def _isin(values) -> pa.Check:
    return pa.Check.isin(list(values))


def _share(description: str) -> pa.Column:
    return _col("Float64", description, pa.Check.in_range(0.0, 1.0))


def _nonneg(dtype: str, description: str) -> pa.Column:
    return _col(dtype, description, pa.Check.ge(0))


def _provenance() -> dict[str, pa.Column]:
    return {
        "source": _col("str", "Source name in sources.yml.", nullable=False),
        "record_id": _col("str", "Identifier of the row in its source (default: row number).", nullable=False),
        "row_number": _col("int64", "1-based data row number in the source file.", pa.Check.ge(1), nullable=False),
    }


FIRMS = pa.DataFrameSchema(
    {
        "firm_id": _col("str", "Resolved firm identifier.", pa.Check.str_matches(FIRM_ID), nullable=False,
                        unique=True),
        "vat": _col("str", "Partita IVA: 11 digits with a valid check digit, or null.",
                    pa.Check.str_matches(r"^\d{11}$")),
        "name": _col("str", "Clean company name (most authoritative record).", nullable=False),
        "legal_form": _col("str", "Canonical legal form code.", _isin(LEGAL_FORMS)),
        "comune": _col("str", "Municipality (ISTAT name)."),
        "istat_code": _col("str", "ISTAT municipality code (6 digits).", pa.Check.str_matches(r"^\d{6}$")),
        "province": _col("str", "Province sigla (current ISTAT list)."),
        "region": _col("str", "Region."),
        "macro_area": _col("str", "ISTAT macro-area (ripartizione geografica).", _isin(MACRO_AREAS)),
        "nuts2": _col("str", "NUTS2 2024 code.", pa.Check.str_matches(r"^IT[A-Z0-9]{2}$")),
        "ateco_2025": _col("str", "ATECO 2025 code, dotted (deepest level known without ambiguity).",
                           pa.Check.str_matches(r"^\d{2}(\.\d{1,2}){0,2}$")),
        "ateco_2025_title": _col("str", "ATECO 2025 title (Italian)."),
        "employees": _nonneg("Float64", "Persons employed (median over the firm's records); a source giving only a "
                                        "class contributes the class midpoint (`0-4` -> 2, `10-19` -> 14.5, open top "
                                        "class `250+` -> 250), see `employees_class`."),
        "revenue_eur": _nonneg("Float64", "Turnover in euro (median over the firm's records)."),
        "size_class": _col("str", "EU SME size class (Recommendation 2003/361/EC) from persons employed and "
                                  "turnover; null when both are unknown.", _isin(SIZE_CLASSES)),
        "employees_class": _col("str", "Class of persons employed as given by a source (range, e.g. `0-4`, `250+`), "
                                       "most frequent over the firm's directory records.",
                                _isin(DECODERS["startup_employee_class"].labels)),
        "production_class": _col("str", "Class of the value of production (valore della produzione), euro range "
                                        "(e.g. `0-100k`, `50M+`).", _isin(DECODERS["startup_production_class"].labels)),
        "capital_class": _col("str", "Class of the share capital, euro range (`1` = one euro, `1-5k` ... `5M+`).",
                              _isin(DECODERS["startup_capital_class"].labels)),
        "partner_type": _col("str", "Partner type declared by the sources (majority of mapped labels).",
                             _isin(PARTNER_TYPES)),
        "partner_type_votes": _col("str", "Declared partner-type labels of all the firm's records with their counts, "
                                          "most frequent first (e.g. `reseller:3;isv:1`).",
                                   pa.Check.str_matches(r"^([a-z_]+:\d+)(;[a-z_]+:\d+)*$")),
        "n_records": _col("int64", "Number of input records linked to the firm.", pa.Check.ge(1), nullable=False),
        "sources": _col("str", "Sources that list the firm, ';'-joined.", nullable=False),
    },
    strict=True, name="firms", description="One row per resolved firm.",
)

LINKS = pa.DataFrameSchema(
    {
        **_provenance(),
        "firm_id": _col("str", "Firm the record was linked to (null when it could not be linked).",
                        pa.Check.str_matches(FIRM_ID)),
        "match_method": _col("str", "Why the record joined its firm: `vat` (same partita IVA), `name_geo` (similar "
                                    "name in the same province), `new` (first record of its firm), `unlinkable` "
                                    "(no usable name or VAT).", _isin(MATCH_METHODS), nullable=False),
        "match_score": _col("Float64", "1 for VAT matches, name similarity (0-1) for name_geo, null otherwise.",
                            pa.Check.in_range(0.0, 1.0)),
    },
    strict=True, name="links", description="One row per input record of every source.",
)

_SURVEY_MEASURES: dict[str, pa.Column] = {
    "wave": _col("int64", "Survey wave (year).", pa.Check.in_range(1990, 2100), nullable=False),
    "submitted": _col("datetime64[ns]", "Date and time the questionnaire was submitted."),
    "language": _col("str", "Questionnaire language.", _isin(("it", "en"))),
    "declared_type": _col("str", "Partner type as the respondent wrote it."),
    "partner_type_declared": _col("str", "Declared label mapped to a canonical partner type.",
                                  _isin(PARTNER_TYPES)),
    "employees": _nonneg("Float64", "Persons employed."),
    "revenue_eur": _nonneg("Float64", "Annual turnover, euro."),
    **{f"mix_{s}": _share(f"Share of revenue from {REVENUE_STREAM_LABELS[s]}; the six shares sum to 1 "
                          "(null when the reported mix was missing or outside tolerance).") for s in REVENUE_STREAMS},
    "dso_days": _nonneg("Float64", "Days sales outstanding."),
    "rd_share": _share("R&D share of revenue."),
    "n_solutions": _nonneg("Int64", "Repeatable solutions offered."),
    "certifications": _col("str", "Certifications held, ';'-joined canonical tokens."),
    "intl_share": _share("International revenue share."),
    "cloud_share": _share("Cloud revenue share."),
    "main_platform": _col("str", "Main platform vendor."),
    "main_platform_share": _share("Revenue share tied to the main platform."),
    "n_platforms": _nonneg("Int64", "Platform vendors partnered."),
    "vendor_support_eur": _nonneg("Float64", "Vendor support received, euro."),
    "cosell": _col("boolean", "Co-sells with a platform vendor."),
    "formal_solutions": _col("boolean", "Has formal repeatable solutions."),
    "joint_pipeline_eur": _nonneg("Float64", "Pipeline shared with vendors, euro."),
    "win_rate": _share("Share of qualified opportunities won."),
    "vendor_rating": _col("Int64", "Partner value rated by the main vendor, 1-5.", pa.Check.in_range(1, 5)),
    "isv_solution_share": _share("SIs: share of revenue from ISV-based solutions."),
    **{item: _col("Int64", f"Agreement with attitude item `{item}`, 1 (strongly disagree) to 5 (strongly agree).",
                  pa.Check.in_range(1, 5)) for item in LIKERT_ITEMS},
    "quality_flags": _col("str", "Cleaning flags of the row, ';'-joined (e.g. `mix_sum_out_of_tolerance`)."),
}

SURVEY = pa.DataFrameSchema(
    {"firm_id": _col("str", "Responding firm.", pa.Check.str_matches(FIRM_ID), nullable=False),
     **_provenance(), **_SURVEY_MEASURES},
    strict=True, name="survey",
    description="One row per responding firm and wave (duplicates rejected); personal contact fields dropped.",
    unique=["firm_id", "wave"],
)

VENDOR_ROSTER = pa.DataFrameSchema(
    {
        "firm_id": _col("str", "Partner firm.", pa.Check.str_matches(FIRM_ID), nullable=False),
        **_provenance(),
        "vendor": _col("str", "Platform vendor.", nullable=False),
        "tier": _col("str", "Programme tier.", _isin(TIERS)),
        "role": _col("str", "Role as written in the roster."),
        "partner_type_declared": _col("str", "Role mapped to a canonical partner type.", _isin(PARTNER_TYPES)),
        "competencies": _col("str", "Competencies, ';'-joined canonical tokens."),
        "n_certified": _nonneg("Int64", "Certified individuals."),
        "lead_registration": _col("boolean", "Uses lead registration."),
        "mdf": _col("boolean", "Receives market development funds."),
        "cosell": _col("boolean", "In the co-sell programme."),
        "since": _col("datetime64[ns]", "Date the partner joined the programme."),
    },
    strict=True, name="vendor_roster", description="One row per partner and vendor programme.",
)

PIPELINE = pa.DataFrameSchema(
    {
        "firm_id": _col("str", "Partner firm on the pipeline item.", pa.Check.str_matches(FIRM_ID), nullable=False),
        **_provenance(),
        "deal_id": _col("str", "Shared pipeline item.", nullable=False),
        "relationship": _col("str", "Relationship the item is shared under.", _isin(RELATIONSHIPS)),
        "record_type": _col("str", "Lead or co-worked opportunity.", _isin(RECORD_TYPES)),
        "partner_role": _col("str", "Role of the partner on the item."),
        "customer_id": _col("str", "Enterprise customer."),
        "customer_name": _col("str", "Enterprise customer name."),
        "value_eur": _nonneg("Float64", "Expected value, euro."),
        "created": _col("datetime64[ns]", "Creation date."),
        "stage": _col("str", "Pipeline stage.", _isin(STAGES)),
    },
    strict=True, name="pipeline", description="One row per pipeline item and partner.",
)

REJECTS = pa.DataFrameSchema(
    {
        **_provenance(),
        "reason": _col("str", "Reason code.", nullable=False),
        "detail": _col("str", "Human-readable detail.", nullable=False),
    },
    strict=True, name="rejects", description="Every input row that is not used in an output table.",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "firms": FIRMS, "links": LINKS, "survey": SURVEY, "vendor_roster": VENDOR_ROSTER, "pipeline": PIPELINE,
    "rejects": REJECTS,
}

STATISTICS_PREFIX = "statistics_"
"""Tables of statistics sources are named ``statistics_<source name>``."""

_FLAG_PATTERN = rf"^[{''.join(sorted(EUROSTAT_FLAGS))}]+$"


def statistics_columns(time_dtype: str = "int64") -> dict[str, pa.Column]:
    """The fixed columns of a ``statistics_<name>`` table (the dimension columns come in between)."""
    return {
        "source": _col("str", "Source name in sources.yml.", nullable=False),
        "row_number": _col("int64", "1-based data row of the series in the file.", pa.Check.ge(1), nullable=False),
        "time": _col(time_dtype, "Period: the year (int) when every period of the file is a year, else the period "
                                 "text (`2020Q1`, `2020-01`)." , nullable=False),
        "value": _col("Float64", "Observation; null when not available (`:`), then `flag` says why."),
        "flag": _col("str", "Eurostat flags, letters joined (" + ", ".join(f"`{k}` {v}" for k, v in EUROSTAT_FLAGS.items())
                     + "); null when none.", pa.Check.str_matches(_FLAG_PATTERN)),
    }


def statistics_schema(dimensions: list[str], time_dtype: str = "int64") -> pa.DataFrameSchema:
    """Schema of one statistics table: ``source``, ``row_number``, the dimensions (text), ``time``, ``value``, ``flag``."""
    fixed = statistics_columns(time_dtype)
    columns = {"source": fixed["source"], "row_number": fixed["row_number"],
               **{d: _col("str", f"Dimension `{d}` of the series (code as in the file).", nullable=False)
                  for d in dimensions},
               "time": fixed["time"], "value": fixed["value"], "flag": fixed["flag"]}
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name="statistics",
                              description="One row per series and period of a statistics source (Eurostat bulk TSV) "
                                          "with a value or a flag.", unique=["row_number", "time"])


def schema_for(name: str, table: pd.DataFrame | None = None) -> pa.DataFrameSchema:
    """The schema of an output table: :data:`SCHEMAS` ``[name]``, or for ``statistics_<source>`` one built
    from the table's dimension columns (those between ``row_number`` and ``time``)."""
    if name in SCHEMAS or not name.startswith(STATISTICS_PREFIX) or table is None:
        return SCHEMAS[name]
    columns = list(table.columns)
    dimensions = columns[columns.index("row_number") + 1:columns.index("time")]
    time_dtype = "int64" if pd.api.types.is_integer_dtype(table["time"].dtype) else "str"
    return statistics_schema(dimensions, time_dtype)


def _allowed(column: pa.Column) -> str:
    parts = []
    for check in column.checks:
        stats = check.statistics or {}
        if "allowed_values" in stats:
            parts.append(", ".join(f"`{v}`" for v in stats["allowed_values"]))
        elif "pattern" in stats:
            parts.append(f"matches `{stats['pattern']}`")
        elif "min_value" in stats and "max_value" in stats:
            parts.append(f"{stats['min_value']} to {stats['max_value']}")
        elif "min_value" in stats:
            parts.append(f">= {stats['min_value']}")
    if column.unique:
        parts.append("unique")
    return "; ".join(parts)


def codebook_markdown(reject_reasons: dict[str, str] | None = None) -> str:
    """``CODEBOOK.md``: every processed column (type, meaning, allowed values) and every input field."""
    lines = [
        "# Codebook",
        "",
        "Generated by `channelstudy build` from the pandera schemas in `channelstudy/schemas.py` and the",
        "canonical input fields in `channelstudy/fields.py`. Do not edit by hand.",
        "",
        "## Processed tables",
    ]
    for name, schema in SCHEMAS.items():
        lines += ["", f"### `{name}.parquet`", "", schema.description or "", "",
                  "| column | type | nullable | meaning | allowed values |", "|---|---|---|---|---|"]
        for col_name, column in schema.columns.items():
            type_name = "text" if "str" in str(column.dtype) else str(column.dtype)
            lines.append(f"| `{col_name}` | {type_name} | {'yes' if column.nullable else 'no'} | "
                         f"{column.description} | {_allowed(column)} |")
    lines += ["", f"### `{STATISTICS_PREFIX}<source>.parquet`", "",
              "One per `kind: statistics` source (a Eurostat bulk TSV): one row per series and period with a value "
              "or a flag (cells `:` without a flag are dropped). The columns between `row_number` and `time` are the "
              "dimensions of the file, in its order (text codes, e.g. `freq`, `size_emp`, `nace_r2`, `indic_is`, "
              "`unit`, `geo`).", "",
              "| column | type | nullable | meaning | allowed values |", "|---|---|---|---|---|"]
    for col_name, column in statistics_columns().items():
        lines.append(f"| `{col_name}` | {'text' if 'str' in str(column.dtype) else str(column.dtype)} | "
                     f"{'yes' if column.nullable else 'no'} | {column.description} | {_allowed(column)} |")
    if reject_reasons:
        lines += ["", "### Reject reasons", "", "| reason | meaning |", "|---|---|"]
        lines += [f"| `{code}` | {text} |" for code, text in sorted(reject_reasons.items())]
    lines += ["", "## Input fields of `sources.yml`, by source kind", ""]
    for kind, fields in FIELDS.items():
        lines += ["", f"### `kind: {kind}`", "", "| field | clean type | required | meaning | allowed values |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{f.name}` | {f.dtype} | {'yes' if f.required or f.name == 'name' else 'no'} | {f.meaning} | "
                  f"{f.allowed} |" for f in fields]
    lines += ["", "### `kind: statistics`", "", "No `columns:`: a Eurostat bulk TSV (`format: eurostat_tsv`, or "
              "`preset: eurostat_tsv`) carries its own dimensions.", ""]
    lines += ["## Decoders (`options: {decoders: {field: decoder}}`)", "", "| decoder | what it does |", "|---|---|"]
    lines += [f"| `{d.name}` | {d.meaning} |" for d in DECODERS.values()]
    lines += ["", "## Spreadsheet formulas (CSV injection)", "",
              "A raw row whose mapped cell is a spreadsheet formula (`=HYPERLINK(...)`, `+SUM(...)`, `@...(`) is "
              "rejected as `formula_cell`, so no processed table holds one. Every CSV or XLSX the toolkit writes for "
              "people (`*.csv` tables, `channelstudy.catalog.exports.write_for_people`) prefixes a text cell starting "
              "with `=`, `+`, `-`, `@`, a tab or a carriage return with an apostrophe `'` (plain numbers such as "
              "`-5` excepted), so that a spreadsheet shows it as text instead of running it.", ""]
    return "\n".join(lines) + "\n"


def typed(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast to the schema's dtypes and column order (text columns as pandas ``str``)."""
    schema = SCHEMAS[name]
    out = table[list(schema.columns)].copy()
    for col, column in schema.columns.items():
        dtype = str(column.dtype)
        out[col] = out[col].astype("str") if "str" in dtype else out[col].astype(dtype)
    return out.reset_index(drop=True)
