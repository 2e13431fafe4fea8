"""Render the true world into messy raw files, their manifest, and the truth folder.

Raw folder (``--out``), described by ``sources.yml``:

============================  =====================================================================
``analyst_a.csv``             Italian analyst directory: ``;``, decimal comma, cp1252
``analyst_b.xlsx``            English analyst directory: revenue in EUR millions, English segments
``survey_2021.csv`` ...       survey waves from the Italian survey tool (CSV, ``;``, decimal comma)
``survey_2024.xlsx`` ...      survey waves from the English survey tool (XLSX), from 2024 on
``vendor_rosters.json``       platform vendors' partner-programme rosters
``pipeline.csv``              shared pipeline records among partners (one row per deal x partner)
============================  =====================================================================

Truth folder (``--truth-out``): ``records.parquet`` (every raw row -> firm_key), ``firms.parquet``,
``effects.json`` and the other true tables.  Truth never goes inside the raw folder.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from channelstudy.simulate import mess, naming
from channelstudy.simulate.world import World
from channelstudy.vocabulary import LIKERT_ITEMS, REVENUE_STREAMS

LIKERT_TEXT = {
    "it": ("Per niente d'accordo", "In disaccordo", "Né d'accordo né in disaccordo", "D'accordo", "Molto d'accordo"),
    "en": ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
}
YES_NO = {"it": ("No", "Sì"), "en": ("No", "Yes")}

TYPE_LABELS = {
    "it": {
        "platform_vendor": ("Vendor", "Produttore di piattaforma"),
        "distributor": ("Distributore", "Grossista IT", "Distributore a valore aggiunto"),
        "reseller": ("Rivenditore", "VAR", "Rivenditore a valore aggiunto", "Dealer"),
        "system_integrator": ("System integrator", "Integratore di sistemi", "Società di consulenza IT"),
        "isv": ("Software house", "ISV", "Produttore di software"),
        "oem": ("Produttore hardware", "OEM", "Costruttore di apparati"),
        "msp": ("Managed service provider", "Cloud provider", "MSP", "Fornitore di servizi gestiti"),
    },
    "en": {
        "platform_vendor": ("Platform vendor", "Vendor"),
        "distributor": ("Distributor", "Value-added distributor", "Wholesaler"),
        "reseller": ("Reseller", "VAR", "Value-added reseller", "Dealer"),
        "system_integrator": ("Systems integrator", "SI", "IT consultancy"),
        "isv": ("ISV", "Software vendor", "Independent software vendor"),
        "oem": ("OEM", "Hardware manufacturer"),
        "msp": ("MSP", "Managed services provider", "Cloud services provider"),
    },
}
DECLARED_TYPE_NOISE = 0.06
"""Share of sources' declared partner-type labels that name another type (a mislabel)."""

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = "2025-01-01T00:00:00Z"


@dataclass
class RawSource:
    """One rendered raw file: its table, the firm each row belongs to, and its manifest entry."""

    name: str
    kind: str
    path: str
    table: pd.DataFrame
    firm_keys: np.ndarray
    manifest: dict
    record_ids: np.ndarray | None = None
    extras: dict = field(default_factory=dict)


def _labels(rng: np.random.Generator, types: np.ndarray, lang: np.ndarray | str) -> np.ndarray:
    langs = np.broadcast_to(np.asarray(lang, dtype=object), types.shape)
    all_types = list(TYPE_LABELS["it"])
    noisy = rng.random(len(types)) < DECLARED_TYPE_NOISE
    shown = np.where(noisy, np.asarray(all_types, dtype=object)[rng.integers(0, len(all_types), len(types))], types)
    out = np.empty(len(types), dtype=object)
    for i, (t, lg) in enumerate(zip(shown, langs, strict=True)):
        options = TYPE_LABELS[lg][t]
        out[i] = options[int(rng.integers(len(options)))]
    return out


def _with_duplicates(rng: np.random.Generator, idx: np.ndarray, rate: float) -> np.ndarray:
    """Row order of a source listing ``idx`` with about ``rate`` of them listed twice."""
    dup = idx[rng.random(len(idx)) < rate]
    rows = np.concatenate([idx, dup])
    return rows[rng.permutation(len(rows))]


def _identity(rng: np.random.Generator, world: World, rows: np.ndarray, *, vat_missing: float,
              keep_legal_spelling: float = 0.3) -> dict[str, np.ndarray]:
    """Company name, VAT, comune and province of firms ``rows`` as a source renders them."""
    m = world.config.mess
    f = world.firms.iloc[rows]
    spelling = naming.render_legal_form(rng, f["legal_form"].to_numpy(), canonical_prob=keep_legal_spelling)
    core = mess.apply_typos(rng, f["name_core"].to_numpy(), m.name_typo)
    case = rng.random(len(rows))
    names = naming.full_company_names(core, spelling)
    names = np.where(case < 0.2, np.char.upper(names.astype(str)).astype(object), names)
    names = np.where((case >= 0.2) & (case < 0.25),
                     np.array([n.replace(" ", "  ", 1) for n in names], dtype=object), names)
    vat, vat_kind = mess.render_vat(rng, f["vat"].to_numpy(), missing=vat_missing, invalid=m.vat_invalid,
                                    formatted=m.vat_formatted, extra_zero=m.vat_extra_zero)
    comune = mess.apply_typos(rng, f["comune"].to_numpy(), m.comune_typo)
    comune = np.where(rng.random(len(rows)) < 0.3, np.char.upper(comune.astype(str)).astype(object), comune)
    province = mess.render_province(rng, f["province"].to_numpy(), f["province_name"].to_numpy(),
                                    as_name=m.province_as_name, historical=m.province_historical)
    return {"name": names, "vat": vat, "vat_kind": vat_kind, "comune": comune, "province": province}


def render_analyst_a(rng: np.random.Generator, world: World) -> RawSource:
    """Italian analyst directory: ``;``-separated cp1252 CSV with Italian numbers."""
    m = world.config.mess
    n = len(world.firms)
    listed = np.flatnonzero(rng.random(n) < world.config.directory_coverage[0])
    rows = _with_duplicates(rng, listed, m.duplicate_rows)
    f = world.firms.iloc[rows]
    ident = _identity(rng, world, rows, vat_missing=m.vat_missing_directory)
    revenue = f["revenue_eur"].to_numpy().astype(float)
    unit_error = rng.random(len(rows)) < m.revenue_unit_error
    revenue = np.where(unit_error, revenue / 1000, revenue)
    employees = f["employees"].to_numpy().astype(float)
    table = pd.DataFrame(
        {
            "Codice": [f"A-{i:06d}" for i in rng.permutation(len(rows)) + 1],
            "Ragione sociale": ident["name"],
            "Partita IVA": ident["vat"],
            "Comune": ident["comune"],
            "Provincia": ident["province"],
            "Regione": f["region"].to_numpy(),
            "Codice ATECO": mess.render_ateco(rng, f["ateco_2025"].to_numpy()),
            "Addetti": mess.blank_out(rng, employees.astype(np.int64).astype(str), 0.05),
            "Fatturato (EUR)": mess.blank_out(rng, mess.italian_number(revenue, 2), 0.07),
            "Tipologia": _labels(rng, f["partner_type"].to_numpy(), "it"),
            "Anno fondazione": f["founded"].astype(str).to_numpy(),
            "Sito web": f["website"].to_numpy(),
        }
    )
    manifest = {
        "name": "analyst_a", "kind": "directory", "path": "analyst_a.csv", "format": "csv",
        "encoding": "cp1252", "delimiter": ";", "decimal": ",",
        "columns": {"record_id": "Codice", "name": "Ragione sociale", "vat": "Partita IVA", "comune": "Comune",
                    "province": "Provincia", "region": "Regione", "ateco": "Codice ATECO",
                    "employees": "Addetti", "revenue_eur": "Fatturato (EUR)", "partner_type": "Tipologia",
                    "founded": "Anno fondazione", "website": "Sito web"},
    }
    return RawSource("analyst_a", "directory", "analyst_a.csv", table, f["firm_key"].to_numpy(), manifest,
                     record_ids=table["Codice"].to_numpy(), extras={"vat_kind": ident["vat_kind"]})


def render_analyst_b(rng: np.random.Generator, world: World) -> RawSource:
    """English analyst directory (XLSX): revenue in EUR millions, English segment labels."""
    m = world.config.mess
    n = len(world.firms)
    listed = np.flatnonzero(rng.random(n) < world.config.directory_coverage[1])
    rows = _with_duplicates(rng, listed, m.duplicate_rows)
    f = world.firms.iloc[rows]
    ident = _identity(rng, world, rows, vat_missing=m.vat_missing_directory * 1.5)
    revenue_m = np.round(f["revenue_eur"].to_numpy() / 1e6, 3)
    revenue_m = np.where(rng.random(len(rows)) < 0.06, np.nan, revenue_m)
    employees = f["employees"].to_numpy().astype(float)
    employees = np.where(rng.random(len(rows)) < 0.04, np.nan, employees)
    table = pd.DataFrame(
        {
            "Company": ident["name"],
            "VAT No.": ident["vat"],
            "City": ident["comune"],
            "Province": ident["province"],
            "NACE code": mess.render_ateco(rng, f["ateco_2025"].to_numpy()),
            "Employees": employees,
            "Revenue (EUR m)": revenue_m,
            "Segment": _labels(rng, f["partner_type"].to_numpy(), "en"),
            "Founded": f["founded"].to_numpy(),
            "Web": np.where(rng.random(len(rows)) < 0.5, "https://" + f["website"].to_numpy(), f["website"].to_numpy()),
        }
    )
    manifest = {
        "name": "analyst_b", "kind": "directory", "path": "analyst_b.xlsx", "format": "xlsx", "sheet": "Companies",
        "columns": {"name": "Company", "vat": "VAT No.", "comune": "City", "province": "Province",
                    "ateco": "NACE code", "employees": "Employees",
                    "revenue_eur": {"column": "Revenue (EUR m)", "scale": 1_000_000},
                    "partner_type": "Segment", "founded": "Founded", "website": "Web"},
    }
    return RawSource("analyst_b", "directory", "analyst_b.xlsx", table, f["firm_key"].to_numpy(), manifest,
                     extras={"vat_kind": ident["vat_kind"], "sheet": "Companies"})


SURVEY_HEADERS_IT = {
    "record_id": "ID risposta", "submitted": "Data invio", "language": "Lingua",
    "respondent_name": "Nome referente", "respondent_email": "Email referente", "respondent_phone": "Telefono",
    "name": "Ragione sociale", "vat": "Partita IVA", "comune": "Comune", "province": "Provincia",
    "declared_type": "Tipo di azienda", "employees": "Numero addetti", "revenue_eur": "Fatturato annuo (EUR)",
    "mix_hw_resale": "% ricavi rivendita hardware", "mix_sw_resale": "% ricavi rivendita software",
    "mix_services": "% ricavi servizi professionali", "mix_own_ip": "% ricavi licenze proprie",
    "mix_cloud_subs": "% ricavi abbonamenti cloud propri", "mix_managed": "% ricavi servizi gestiti",
    "dso_days": "Giorni medi di incasso (DSO)", "rd_share": "% fatturato in R&S", "n_solutions": "N. soluzioni ripetibili",
    "certifications": "Certificazioni vendor", "intl_share": "% fatturato estero", "cloud_share": "% fatturato cloud",
    "main_platform": "Vendor principale", "main_platform_share": "% fatturato legato al vendor principale",
    "n_platforms": "N. vendor con cui collabora", "vendor_support_eur": "Supporto ricevuto dai vendor (EUR)",
    "cosell": "Co-sell con il vendor", "formal_solutions": "Ha soluzioni formalizzate",
    "joint_pipeline_eur": "Pipeline congiunta con vendor (EUR)", "win_rate": "% opportunità vinte",
    "vendor_rating": "Valutazione ricevuta dal vendor (1-5)", "isv_solution_share": "% ricavi da soluzioni ISV",
    "att_portal_easy": "Il portale partner del vendor è facile da usare",
    "att_credit_burden": "Finanziare i clienti pesa sulla nostra attività",
    "att_isv_competition": "Gli ISV competono con noi per il supporto dei vendor",
    "att_vendor_values_solutions": "I vendor premiano chi ha soluzioni ripetibili",
}
SURVEY_HEADERS_EN = {
    "record_id": "Response ID", "submitted": "Submitted at", "language": "Language",
    "respondent_name": "Contact name", "respondent_email": "Contact email", "respondent_phone": "Contact phone",
    "name": "Company name", "vat": "VAT number", "comune": "City", "province": "Province",
    "declared_type": "Company type", "employees": "Employees", "revenue_eur": "Annual revenue (EUR)",
    "mix_hw_resale": "Revenue share: hardware resale", "mix_sw_resale": "Revenue share: software resale",
    "mix_services": "Revenue share: professional services", "mix_own_ip": "Revenue share: own IP licences",
    "mix_cloud_subs": "Revenue share: own cloud subscriptions", "mix_managed": "Revenue share: managed services",
    "dso_days": "Days sales outstanding", "rd_share": "R&D share of revenue", "n_solutions": "Repeatable solutions",
    "certifications": "Certifications", "intl_share": "International revenue share", "cloud_share": "Cloud revenue share",
    "main_platform": "Main platform vendor", "main_platform_share": "Revenue share tied to main platform",
    "n_platforms": "Platform vendors partnered", "vendor_support_eur": "Vendor support received (EUR)",
    "cosell": "Co-sells with vendor", "formal_solutions": "Has formal solutions",
    "joint_pipeline_eur": "Joint pipeline with vendors (EUR)", "win_rate": "Win rate",
    "vendor_rating": "Vendor rating of partner", "isv_solution_share": "ISV-based solutions share",
    "att_portal_easy": "The vendor partner portal is easy to use",
    "att_credit_burden": "Financing customers weighs on our business",
    "att_isv_competition": "ISVs compete with us for vendor support",
    "att_vendor_values_solutions": "Vendors reward partners with repeatable solutions",
}
SHARE_FIELDS = ("rd_share", "intl_share", "cloud_share", "main_platform_share", "isv_solution_share", "win_rate")


def _survey_mix(rng: np.random.Generator, mix: np.ndarray, rate_out: float, rate_missing: float) -> np.ndarray:
    """Revenue mix as whole percents (sums 98-102 from rounding), some far off, some blank."""
    pct = np.round(mix * 100 + rng.normal(0, 0.6, mix.shape) * (mix > 0), 0).clip(0, 100)
    off = rng.random(len(mix)) < rate_out
    col = rng.integers(0, mix.shape[1], len(mix))
    pct[off, col[off]] = pct[off, col[off]] + rng.choice([-1, 1], off.sum()) * rng.integers(25, 60, off.sum())
    pct = pct.clip(0, None)
    out = pct.astype(np.int64).astype(str).astype(object)
    out[rng.random(len(mix)) < rate_missing] = ""
    return out


def render_survey_wave(rng: np.random.Generator, world: World, wave: int) -> RawSource:
    """One survey wave as the survey tool exports it: Italian CSV up to 2023, English XLSX after."""
    m = world.config.mess
    resp = world.responses[world.responses["wave"] == wave].reset_index(drop=True)
    firm_pos = pd.Index(world.firms["firm_key"]).get_indexer(resp["firm_key"])
    order = _with_duplicates(rng, np.arange(len(resp)), m.duplicate_rows * 0.7)
    resp = resp.iloc[order].reset_index(drop=True)
    rows = firm_pos[order]
    n = len(resp)
    lang = resp["language"].to_numpy()
    ident = _identity(rng, world, rows, vat_missing=m.vat_missing_survey)
    first, last = naming.person_names(rng, n)
    f = world.firms.iloc[rows]
    slug = [re.sub(r"[^a-z0-9]", "", w.lower())[:18] for w in f["name_core"]]
    italian_tool = wave <= 2023
    start = pd.Timestamp(f"{wave}-03-01")
    submitted = start + pd.to_timedelta(rng.integers(0, 90 * 24 * 60, n), unit="min")

    def blank(values: np.ndarray) -> np.ndarray:
        return mess.blank_out(rng, values, m.item_missing)

    def likert(values: np.ndarray) -> np.ndarray:
        text = np.array([LIKERT_TEXT[lg][v - 1] for lg, v in zip(lang, values, strict=True)], dtype=object)
        text = np.where(rng.random(n) < 0.08, np.char.upper(text.astype(str)).astype(object), text)
        return blank(text)

    def yes_no(values: np.ndarray) -> np.ndarray:
        return blank(np.array([YES_NO[lg][int(v)] for lg, v in zip(lang, values, strict=True)], dtype=object))

    def share(values: np.ndarray) -> np.ndarray:
        if italian_tool:  # percent with decimal comma, manifest scale 0.01
            return blank(mess.decimal_comma(np.round(values * 100, 1), 1))
        return blank(np.array(["" if np.isnan(v) else f"{v:.3f}" for v in values], dtype=object))

    def money(values: np.ndarray) -> np.ndarray:
        if italian_tool:
            return blank(mess.italian_number(values, 0))
        return blank(np.array([f"{v:.0f}" for v in values], dtype=object))

    revenue = resp["revenue_eur"].to_numpy() * rng.lognormal(0, 0.05, n)
    revenue = np.where(rng.random(n) < m.revenue_unit_error, revenue / 1000, revenue)
    mix = _survey_mix(rng, resp[[f"mix_{s}" for s in REVENUE_STREAMS]].to_numpy(), m.mix_out_of_tolerance, 0.02)
    certs = [c.replace(";", rng.choice([";", ", ", " / "])) if c else ("Nessuna" if lg == "it" else "None")
             for c, lg in zip(resp["certifications"], lang, strict=True)]
    canonical = {
        "record_id": [f"R{wave % 100:02d}-{i:05d}" for i in rng.permutation(n) + 1],
        "submitted": (submitted.strftime("%d/%m/%Y %H:%M") if italian_tool else submitted.strftime("%Y-%m-%d %H:%M")),
        "language": lang,
        "respondent_name": first + " " + last,
        "respondent_email": [f"{a.lower()}.{b.lower().replace(' ', '').replace(chr(39), '')}@{s or 'azienda'}.it"
                             for a, b, s in zip(first, last, slug, strict=True)],
        "respondent_phone": [f"+39 0{rng.integers(2, 99)} {rng.integers(100000, 9999999)}" for _ in range(n)],
        "name": ident["name"], "vat": ident["vat"], "comune": ident["comune"], "province": ident["province"],
        "declared_type": _labels(rng, resp["partner_type"].to_numpy(), lang),
        "employees": blank(resp["employees"].astype(str).to_numpy()),
        "revenue_eur": money(np.round(revenue, 0)),
        **{f"mix_{s}": mix[:, j] for j, s in enumerate(REVENUE_STREAMS)},
        "dso_days": blank(resp["dso_days"].astype(np.int64).astype(str).to_numpy()),
        "rd_share": share(resp["rd_share"].to_numpy()),
        "n_solutions": blank(resp["n_solutions"].astype(str).to_numpy()),
        "certifications": blank(np.asarray(certs, dtype=object)),
        "intl_share": share(resp["intl_share"].to_numpy()),
        "cloud_share": share(resp["cloud_share"].to_numpy()),
        "main_platform": blank(resp["main_platform"].to_numpy()),
        "main_platform_share": share(resp["main_platform_share"].to_numpy()),
        "n_platforms": blank(resp["n_platforms"].astype(str).to_numpy()),
        "vendor_support_eur": money(resp["vendor_support_eur"].to_numpy()),
        "cosell": yes_no(resp["cosell"].to_numpy()),
        "formal_solutions": yes_no(resp["formal_solutions"].to_numpy()),
        "joint_pipeline_eur": money(resp["joint_pipeline_eur"].to_numpy()),
        "win_rate": share(resp["win_rate"].to_numpy()),
        "vendor_rating": blank(resp["vendor_rating"].astype(str).to_numpy()),
        "isv_solution_share": share(resp["isv_solution_share"].to_numpy()),
        **{item: likert(resp[item].to_numpy()) for item in LIKERT_ITEMS},
    }
    headers = SURVEY_HEADERS_IT if italian_tool else SURVEY_HEADERS_EN
    table = pd.DataFrame({headers[k]: np.asarray(v, dtype=object) for k, v in canonical.items()})
    path = f"survey_{wave}.csv" if italian_tool else f"survey_{wave}.xlsx"
    columns: dict = dict(headers)
    if italian_tool:
        for fld in SHARE_FIELDS:
            columns[fld] = {"column": headers[fld], "scale": 0.01}
        manifest = {"name": f"survey_{wave}", "kind": "survey", "path": path, "format": "csv",
                    "encoding": "utf-8", "delimiter": ";", "decimal": ",", "wave": wave, "columns": columns}
    else:
        manifest = {"name": f"survey_{wave}", "kind": "survey", "path": path, "format": "xlsx",
                    "sheet": "Responses", "wave": wave, "columns": columns}
    return RawSource(f"survey_{wave}", "survey", path, table, resp["firm_key"].to_numpy(), manifest,
                     record_ids=np.asarray(canonical["record_id"], dtype=object),
                     extras={"vat_kind": ident["vat_kind"], "sheet": "Responses", "wave_rows": order})


def roster_members(rng: np.random.Generator, world: World) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The relations a vendor's roster lists (sorted by vendor, tier, firm), their firms and messy identities."""
    rel = world.relations[rng.random(len(world.relations)) < world.config.roster_coverage].reset_index(drop=True)
    rel = rel.sort_values(["vendor", "tier", "firm_key"], ignore_index=True)
    rows = pd.Index(world.firms["firm_key"]).get_indexer(rel["firm_key"])
    ident = _identity(rng, world, rows, vat_missing=world.config.mess.vat_missing_roster, keep_legal_spelling=0.6)
    return rel, world.firms.iloc[rows], ident


def render_rosters(rng: np.random.Generator, world: World) -> RawSource:
    """Vendors' partner-programme rosters as one JSON document (``partners`` list)."""
    rel, f, ident = roster_members(rng, world)
    roles = _labels(rng, f["partner_type"].to_numpy(), "en")
    partners = [
        {
            "partner_id": f"{v[:3].upper()}-{i:05d}",
            "vendor": v,
            "partner": {"name": nm, "vat": vat or None, "city": c, "province": p},
            "tier": t.title() if rng.random() < 0.5 else t.upper(),
            "role": role,
            "competencies": [x for x in comp.split(";") if x],
            "certified_people": int(k),
            "lead_registration": bool(lr),
            "mdf": bool(md),
            "cosell": bool(cs),
            "member_since": since.strftime("%Y-%m-%d"),
        }
        for i, (v, nm, vat, c, p, t, role, comp, k, lr, md, cs, since) in enumerate(
            zip(rel["vendor"], ident["name"], ident["vat"], ident["comune"], ident["province"], rel["tier"], roles,
                rel["competencies"], rel["n_certified"], rel["lead_registration"], rel["mdf"], rel["cosell"],
                rel["since"], strict=True),
            start=1,
        )
    ]
    table = pd.DataFrame({"partner_id": [p["partner_id"] for p in partners]})
    manifest = {
        "name": "vendor_rosters", "kind": "vendor_roster", "path": "vendor_rosters.json", "format": "json",
        "record_path": "partners",
        "columns": {"record_id": "partner_id", "vendor": "vendor", "name": "partner.name", "vat": "partner.vat",
                    "comune": "partner.city", "province": "partner.province", "tier": "tier", "role": "role",
                    "competencies": "competencies", "n_certified": "certified_people",
                    "lead_registration": "lead_registration", "mdf": "mdf", "cosell": "cosell",
                    "since": "member_since"},
    }
    return RawSource("vendor_rosters", "vendor_roster", "vendor_rosters.json", table, f["firm_key"].to_numpy(),
                     manifest, record_ids=table["partner_id"].to_numpy(),
                     extras={"document": {"publisher": "simulated partner programmes", "as_of": "2025-06-30",
                                          "partners": partners}, "vat_kind": ident["vat_kind"]})


def render_pipeline(rng: np.random.Generator, world: World) -> RawSource:
    """Shared pipeline records exported from the partners' CRMs: one row per deal x partner."""
    m = world.config.mess
    deals = world.deals
    rows = pd.Index(world.firms["firm_key"]).get_indexer(deals["firm_key"])
    ident = _identity(rng, world, rows, vat_missing=m.vat_missing_pipeline, keep_legal_spelling=0.5)
    cust = world.customers.set_index("customer_id").loc[deals["customer_id"], "customer_name"].to_numpy()
    rel_text = {"channel": ("channel", "Channel", "CHANNEL"), "alliance": ("alliance", "Alliance"),
                "joint_venture": ("joint_venture", "Joint venture", "JV")}
    table = pd.DataFrame(
        {
            "line_id": [f"P{i:06d}" for i in range(1, len(deals) + 1)],
            "deal_id": deals["deal_id"].to_numpy(),
            "relationship": [rel_text[r][int(rng.integers(len(rel_text[r])))] for r in deals["relationship"]],
            "record_type": np.where(rng.random(len(deals)) < 0.5, deals["record_type"].str.title(),
                                    deals["record_type"]),
            "partner_name": ident["name"],
            "partner_vat": ident["vat"],
            "partner_city": ident["comune"],
            "partner_province": ident["province"],
            "partner_role": deals["partner_role"].to_numpy(),
            "customer_id": deals["customer_id"].to_numpy(),
            "customer_name": cust,
            "value_eur": [f"{v:.2f}" for v in deals["value_eur"]],
            "created": deals["created"].dt.strftime("%Y-%m-%d").to_numpy(),
            "stage": deals["stage"].to_numpy(),
        }
    )
    manifest = {
        "name": "pipeline", "kind": "pipeline", "path": "pipeline.csv", "format": "csv",
        "columns": {"record_id": "line_id", "deal_id": "deal_id", "relationship": "relationship",
                    "record_type": "record_type", "name": "partner_name", "vat": "partner_vat",
                    "comune": "partner_city", "province": "partner_province", "partner_role": "partner_role",
                    "customer_id": "customer_id", "customer_name": "customer_name", "value_eur": "value_eur",
                    "created": "created", "stage": "stage"},
    }
    return RawSource("pipeline", "pipeline", "pipeline.csv", table, deals["firm_key"].to_numpy(), manifest,
                     record_ids=table["line_id"].to_numpy(), extras={"vat_kind": ident["vat_kind"]})


def render_sources(rng: np.random.Generator, world: World) -> list[RawSource]:
    """All raw sources of the world, in manifest order."""
    sources = [render_analyst_a(rng, world), render_analyst_b(rng, world)]
    sources += [render_survey_wave(rng, world, w) for w in world.config.waves]
    sources += [render_rosters(rng, world), render_pipeline(rng, world)]
    return sources


# --- writing, byte for byte reproducible ------------------------------------------------------

def normalise_zip(path: Path) -> None:
    """Rewrite an OOXML zip with fixed timestamps so equal content gives equal bytes."""
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" +
                              FIXED_DOC_TIME.encode() + rb"\g<3>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    path.write_bytes(buf.getvalue())


def write_source(source: RawSource, out: Path) -> None:
    """Write one raw file in its declared format."""
    target = out / source.path
    fmt = source.manifest["format"]
    if fmt == "csv":
        encoding = source.manifest.get("encoding", "utf-8")
        text = source.table.to_csv(index=False, sep=source.manifest.get("delimiter", ","), lineterminator="\r\n")
        target.write_bytes(text.encode(encoding))
    elif fmt == "xlsx":
        with pd.ExcelWriter(target, engine="openpyxl") as writer:
            source.table.to_excel(writer, sheet_name=source.extras.get("sheet", "Sheet1"), index=False)
        normalise_zip(target)
    elif fmt == "json":
        target.write_text(json.dumps(source.extras["document"], ensure_ascii=False, indent=1) + "\n",
                          encoding="utf-8")
    else:  # pragma: no cover - formats are fixed above
        raise ValueError(f"unsupported simulated format {fmt}")


def write_manifest(sources: list[RawSource], out: Path, seed: int) -> None:
    """``sources.yml`` describing every raw file (the [build] input contract)."""
    header = (
        f"# Raw sources of the SIMULATED channelstudy world (seed {seed}): not real firms or respondents.\n"
        "# Written by `channelstudy simulate`; the truth is kept apart, never in this folder.\n"
    )
    body = yaml.safe_dump({"sources": [s.manifest for s in sources]}, sort_keys=False, allow_unicode=True, width=120)
    (out / "sources.yml").write_text(header + body, encoding="utf-8")


def records_truth(sources: list[RawSource]) -> pd.DataFrame:
    """Every raw row of every source with the firm it belongs to."""
    frames = []
    for s in sources:
        n = len(s.table)
        ids = s.record_ids if s.record_ids is not None else np.arange(1, n + 1).astype(str)
        frames.append(pd.DataFrame({
            "source": s.name,
            "record_id": pd.Series(ids, dtype="str"),
            "row_number": np.arange(1, n + 1, dtype=np.int64),
            "firm_key": pd.Series(s.firm_keys, dtype="str"),
            "vat_render": pd.Series(s.extras.get("vat_kind", np.full(n, "ok", dtype=object)), dtype="str"),
        }))
    return pd.concat(frames, ignore_index=True)


MARGINS_FILE = "population_margins.csv"
"""The world's published margins in the raw folder (same columns as ``data/external``'s ISTAT table)."""


def write_population_margins(world: World, out: Path, seed: int) -> Path:
    """What ISTAT would publish for the simulated world: enterprises and persons employed by class.

    Counted on the world's true population (platform vendors left out: they are not the channel's
    partners), in the columns of ``data/external/population_margins.csv``
    (:mod:`channelstudy.analysis.margins`), with ``source`` beginning ``SIMULATED`` so the file is
    never taken for real counts.  Every class is ``core``: every simulated firm is a channel firm.
    """
    firms = world.firms[world.firms["partner_type"] != "platform_vendor"]
    cls = firms["ateco_2025"].astype(str).str[:5]
    grouped = firms.assign(_cls=cls).groupby("_cls", sort=True)
    table = pd.DataFrame({"ateco_2025": list(grouped.groups), "ateco_2007": "",
                          "enterprises": grouped.size().to_numpy(),
                          "persons_employed": grouped["employees"].sum().astype("int64").to_numpy()})
    table["persons_per_enterprise"] = (table["persons_employed"] / table["enterprises"]).round(6)
    table = table.assign(scope="core", source=f"SIMULATED world (seed {seed}): counts of its true population, "
                                              "not ISTAT", reference_year="")
    path = out / MARGINS_FILE
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path
