"""Closed vocabularies and real constants: each defined once, imported everywhere.

A *closed vocabulary* is a fixed set of codes that several stages must agree on (the simulator
writes them, the cleaners produce them, the schemas check them, the notebooks label them).  A
*real constant* is a published figure the code relies on; each carries its source.  Nothing here
imports from the rest of the package.

>>> SIZE_CLASSES
('micro', 'small', 'medium', 'large')
>>> sorted(REJECT_REASONS)[:3]
['blank_row', 'cell_too_long', 'control_character']
"""

from __future__ import annotations

__all__ = [
    "ATECO_EDITIONS",
    "CREDIT_TYPES",
    "DE_J62_PERSONS_PER_ENTERPRISE",
    "EUROSTAT_FLAGS",
    "IT_G465_PERSONS_PER_ENTERPRISE",
    "IT_G474_PERSONS_PER_ENTERPRISE",
    "IT_J62_PERSONS_PER_ENTERPRISE",
    "J62_TYPES",
    "LEGAL_FORMS",
    "LIKERT_ITEMS",
    "MACRO_AREAS",
    "MATCH_METHODS",
    "PARTNER_TYPES",
    "PERSONAL_FIELDS",
    "RECORD_TYPES",
    "REJECT_REASONS",
    "RELATIONSHIPS",
    "REVENUE_STREAMS",
    "REVENUE_STREAM_LABELS",
    "SIZE_CLASSES",
    "SOUTH",
    "STAGES",
    "TIERS",
]

# --- partners and their business -----------------------------------------------------------

REVENUE_STREAMS: tuple[str, ...] = (
    "hw_resale",
    "sw_resale",
    "services",
    "own_ip",
    "cloud_subs",
    "managed",
)
"""Six revenue streams of a business model, in this fixed order."""

REVENUE_STREAM_LABELS: dict[str, str] = {
    "hw_resale": "hardware resale",
    "sw_resale": "software resale",
    "services": "professional services",
    "own_ip": "own IP licences",
    "cloud_subs": "own cloud subscriptions",
    "managed": "managed services",
}

PARTNER_TYPES: tuple[str, ...] = (
    "platform_vendor",
    "distributor",
    "reseller",
    "system_integrator",
    "isv",
    "oem",
    "msp",
)

LIKERT_ITEMS: tuple[str, ...] = (
    "att_portal_easy",
    "att_credit_burden",
    "att_isv_competition",
    "att_vendor_values_solutions",
)

CREDIT_TYPES: tuple[str, ...] = ("reseller", "distributor")
"""Partner types that carry customer credit in the study's claims H2 and H3."""

J62_TYPES: tuple[str, ...] = ("system_integrator", "isv", "msp")
"""Partner types whose typical ATECO class is in NACE J62 (computer programming and consultancy)."""

# --- firms ------------------------------------------------------------------------------------

LEGAL_FORMS: tuple[str, ...] = ("SRL", "SRLS", "SPA", "SAPA", "SAS", "SNC", "COOP", "DI", "FOREIGN", "OTHER")
"""Canonical legal-form codes."""

SIZE_CLASSES: tuple[str, ...] = ("micro", "small", "medium", "large")
"""EU SME size classes (Recommendation 2003/361/EC), smallest first."""

MACRO_AREAS: tuple[str, ...] = ("Nord-ovest", "Nord-est", "Centro", "Sud", "Isole")
"""ISTAT macro-areas (ripartizioni geografiche)."""

SOUTH: tuple[str, ...] = ("Sud", "Isole")
"""The macro-areas of the South (the Mezzogiorno), a control in H2."""

ATECO_EDITIONS: tuple[str, ...] = ("2025", "2022", "2007")
"""ATECO editions the cleaner reads, newest first (the order in which a code is tried)."""

# --- sources and the build ----------------------------------------------------------------

PERSONAL_FIELDS: frozenset[str] = frozenset({"respondent_name", "respondent_email", "respondent_phone"})
"""Fields that identify a person; read for accounting, never written to processed tables."""

MATCH_METHODS: tuple[str, ...] = ("vat", "name_geo", "new", "unlinkable")
"""How a record joined its firm (``links.match_method``)."""

TIERS: tuple[str, ...] = ("registered", "silver", "gold", "platinum")
"""Partner-programme tiers, lowest first."""

RELATIONSHIPS: tuple[str, ...] = ("channel", "alliance", "joint_venture")
"""Relationships of a shared-pipeline record."""

RECORD_TYPES: tuple[str, ...] = ("lead", "opportunity")
"""Types of a shared-pipeline record."""

STAGES: tuple[str, ...] = ("open", "won", "lost")
"""Stages of a shared-pipeline record."""

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
    "unterminated_quote": "CSV line opening a quote that is never closed (the line is set aside; "
                          "reading resumes on the next line).",
    "too_many_fields": "CSV record with more fields than the header.",
    "too_few_fields": "CSV record with fewer fields than the header.",
    "cell_too_long": "A mapped cell longer than channelstudy.sources.quarantine.MAX_CELL_CHARS (10,000) characters.",
    "control_character": "A mapped cell holding a control character (binary data or a broken encoding).",
    "formula_cell": "A mapped cell holding a spreadsheet formula (e.g. =HYPERLINK(...)), never a value.",
}
"""Why a raw row is in ``rejects.parquet``: reason code -> what it means."""

EUROSTAT_FLAGS: dict[str, str] = {
    "b": "break in time series",
    "c": "confidential (written '@C' in current bulk files, 'c' in older ones)",
    "d": "definition differs",
    "e": "estimated",
    "f": "forecast",
    "n": "not significant",
    "p": "provisional",
    "r": "revised",
    "s": "Eurostat estimate",
    "u": "low reliability",
    "z": "not applicable",
}
"""Eurostat observation flags, as they appear in the ``flag`` column (several may be combined)."""

# --- real constants (persons employed per enterprise) ---------------------------------------

IT_J62_PERSONS_PER_ENTERPRISE = 6.44
"""ISTAT SBS 2023, Italy, NACE J62 (``realdata/istat_eurostat_sbs_crystal/IT.json``)."""

IT_G465_PERSONS_PER_ENTERPRISE = 6.80
"""ISTAT SBS 2023, Italy, G46.5 ICT wholesale."""

IT_G474_PERSONS_PER_ENTERPRISE = 2.68
"""ISTAT SBS 2023, Italy, G47.4 ICT retail."""

DE_J62_PERSONS_PER_ENTERPRISE = 9.84
"""Eurostat sbs_sc_ovw 2024, Germany, NACE J62 (``data/external/sbs_ict_countries.csv``)."""
