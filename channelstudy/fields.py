"""Canonical fields of the four source kinds of a ``sources.yml`` manifest.

This module is the single place that says which canonical fields a source of each
``kind`` may map, what type they have once cleaned and what they mean.  The manifest
loader validates ``columns:`` against it, the simulator writes raw files whose headers
map onto it, and the codebook is generated from it.

Types are the *clean* types: ``str`` (text), ``int``, ``float``, ``bool``, ``date``,
``share`` (float in [0, 1]), ``likert`` (ordered 1-5), ``list`` (multi-select, stored as
``;``-joined text).
"""

from __future__ import annotations

from dataclasses import dataclass

from channelstudy.vocabulary import (
    LEGAL_FORMS,
    LIKERT_ITEMS,
    REVENUE_STREAM_LABELS,
    REVENUE_STREAMS,
    TIERS,
)

KINDS: tuple[str, ...] = ("directory", "survey", "vendor_roster", "pipeline")
"""Kinds of *record* sources: their rows describe firms and are linked into ``firms.parquet``."""

STATISTICS_KIND = "statistics"
"""Kind of an aggregate-statistics source (a Eurostat bulk TSV): not linked into firms; its
observations go to a tidy table ``statistics_<name>.parquet``.  Its fields are the dimensions
of the file itself, so it maps no canonical fields (see :mod:`channelstudy.build`)."""

SOURCE_KINDS: tuple[str, ...] = (*KINDS, STATISTICS_KIND)
"""Every ``kind:`` a manifest source may have."""

@dataclass(frozen=True)
class Field:
    """One canonical field: its name, clean type, meaning and allowed values."""

    name: str
    dtype: str
    meaning: str
    allowed: str = ""
    required: bool = False


IDENTITY: tuple[Field, ...] = (
    Field("record_id", "str", "Identifier of the row in its source (default: the 1-based row number)."),
    Field("name", "str", "Company name as written in the source.", required=True),
    Field("vat", "str", "Partita IVA as written (any spelling); cleaned to 11 digits or null."),
    Field("comune", "str", "Municipality of the registered office."),
    Field("province", "str", "Province: sigla (current or historical) or name."),
)

_DIRECTORY_ONLY: tuple[Field, ...] = (
    Field("tax_code", "str", "Codice fiscale (11-digit for companies, 16 characters for persons)."),
    Field("legal_form", "str", "Legal form, any spelling.", ", ".join(LEGAL_FORMS)),
    Field("region", "str", "Region name; places a firm that has neither comune nor province."),
    Field("ateco", "str", "ATECO code in any edition or format (2007, 2022, 2025; dotted or compact)."),
    Field("employees", "float", "Persons employed (a number or a class range).", ">= 0"),
    Field("employees_class", "str", "Class of persons employed as a range (`0-4`, `250+`); when `employees` is "
          "not mapped, the class midpoint becomes `employees` (see the codebook of `firms`).", "e.g. 0-4, 5-9, 250+"),
    Field("revenue_eur", "float", "Annual turnover in euro (after `scale`).", ">= 0"),
    Field("production_class", "str", "Class of the value of production (valore della produzione), euro range.",
          "e.g. 0-100k, 100k-500k, 50M+"),
    Field("capital_class", "str", "Class of the share capital, euro range.", "e.g. 1, 1-5k, 5M+"),
    Field("partner_type", "str", "Partner type declared by the source (free text).", "free text"),
    Field("founded", "int", "Year of foundation or registration.", "1900-2026"),
    Field("website", "str", "Website as written."),
)

_SURVEY_ONLY: tuple[Field, ...] = (
    Field("wave", "int", "Survey wave (year); constant `wave:` in the manifest when the file has none.", "2000-2100"),
    Field("submitted", "date", "Date the questionnaire was submitted (Italian or ISO format)."),
    Field("language", "str", "Questionnaire language.", "it, en"),
    Field("respondent_name", "str", "Respondent's name (personal data: dropped at build)."),
    Field("respondent_email", "str", "Respondent's e-mail (personal data: dropped at build)."),
    Field("respondent_phone", "str", "Respondent's phone (personal data: dropped at build)."),
    Field("declared_type", "str", "Partner type as the respondent describes the firm (free text)."),
    Field("employees", "float", "Persons employed.", ">= 0"),
    Field("revenue_eur", "float", "Annual turnover in euro.", ">= 0"),
    *(
        Field(f"mix_{s}", "share", f"Share of revenue from {REVENUE_STREAM_LABELS[s]} (percent or fraction as written).", "0-1 after cleaning")
        for s in REVENUE_STREAMS
    ),
    Field("dso_days", "float", "Days sales outstanding: average payment terms granted to customers.", ">= 0"),
    Field("rd_share", "share", "R&D and innovation spending as a share of revenue.", "0-1"),
    Field("n_solutions", "int", "Number of repeatable, formally defined solutions offered.", ">= 0"),
    Field("certifications", "list", "Vendor certifications held (multi-select).", "cloud, security, data, ai, networking, modern_work, erp"),
    Field("intl_share", "share", "Share of revenue from customers outside Italy.", "0-1"),
    Field("cloud_share", "share", "Share of revenue from cloud subscriptions (own or resold).", "0-1"),
    Field("main_platform", "str", "Main platform vendor the firm works with."),
    Field("main_platform_share", "share", "Share of revenue tied to the main platform.", "0-1"),
    Field("n_platforms", "int", "Number of platform vendors the firm partners with.", ">= 0"),
    Field("vendor_support_eur", "float", "Value of vendor support received in the last year (co-sell, MDF, leads), euro.", ">= 0"),
    Field("cosell", "bool", "Co-sells with a platform vendor.", "yes/no"),
    Field("formal_solutions", "bool", "Has at least one repeatable, formally defined solution.", "yes/no"),
    Field("joint_pipeline_eur", "float", "Pipeline shared with vendors in the last year, euro.", ">= 0"),
    Field("win_rate", "share", "Share of qualified opportunities won.", "0-1"),
    Field("vendor_rating", "likert", "Partner value as rated by the main vendor (1-5).", "1-5"),
    Field("isv_solution_share", "share", "Systems integrators: share of revenue from ISV-based solutions.", "0-1"),
    *(Field(item, "likert", f"Attitude item `{item}` (agreement, 1 = strongly disagree ... 5 = strongly agree).", "1-5") for item in LIKERT_ITEMS),
)

_ROSTER_ONLY: tuple[Field, ...] = (
    Field("vendor", "str", "Platform vendor whose partner programme lists the partner.", required=True),
    Field("tier", "str", "Programme tier.", ", ".join(TIERS)),
    Field("role", "str", "Role of the partner in the programme (free text: reseller, ISV, ...)."),
    Field("competencies", "list", "Competencies held in the programme (multi-select)."),
    Field("n_certified", "int", "Certified individuals at the partner.", ">= 0"),
    Field("lead_registration", "bool", "Uses the vendor's lead registration.", "yes/no"),
    Field("mdf", "bool", "Receives market development funds.", "yes/no"),
    Field("cosell", "bool", "In the vendor's co-sell programme.", "yes/no"),
    Field("since", "date", "Date the partner joined the programme."),
)

_PIPELINE_ONLY: tuple[Field, ...] = (
    Field("deal_id", "str", "Identifier of the shared pipeline item (same for every partner on it).", required=True),
    Field("relationship", "str", "Relationship the item is shared under.", "channel, alliance, joint_venture"),
    Field("record_type", "str", "Kind of pipeline item.", "lead, opportunity"),
    Field("partner_role", "str", "Role of this partner on the item (free text)."),
    Field("customer_id", "str", "Identifier of the enterprise customer."),
    Field("customer_name", "str", "Name of the enterprise customer."),
    Field("value_eur", "float", "Expected value of the item, euro.", ">= 0"),
    Field("created", "date", "Date the item was created."),
    Field("stage", "str", "Pipeline stage.", "open, won, lost"),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "directory": IDENTITY + _DIRECTORY_ONLY,
    "survey": IDENTITY + _SURVEY_ONLY,
    "vendor_roster": IDENTITY + _ROSTER_ONLY,
    "pipeline": IDENTITY + _PIPELINE_ONLY,
}

REFUSED_FIELDS: dict[str, str] = {
    "postcode": "the build places firms by comune and province, so a CAP would be read and dropped; "
                "map the comune instead",
}
"""Fields a manifest may not map, with the reason given in the error (instead of "unknown field")."""


def _fields(kind: str) -> tuple[Field, ...]:
    return () if kind == STATISTICS_KIND else FIELDS[kind]


def field_names(kind: str) -> tuple[str, ...]:
    """Canonical field names of a source kind, in codebook order (none for ``statistics``)."""
    return tuple(f.name for f in _fields(kind))


def required_fields(kind: str) -> tuple[str, ...]:
    """Canonical fields that every source of ``kind`` must map (none for ``statistics``)."""
    return tuple(f.name for f in _fields(kind) if f.required)
