"""The true simulated world: firms, vendor relations, survey answers and shared pipeline.

Everything here is *truth*, before any corruption: clean identities, true attributes and the
answers each respondent means to give.  :mod:`channelstudy.simulate.export` renders it into
messy raw files.  All draws come from one ``numpy.random.Generator`` in a fixed order, so a
seed fixes the world.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from stdnum import luhn

from channelstudy.reference.comuni import load_comuni
from channelstudy.simulate import naming
from channelstudy.simulate.answers import CERTIFICATIONS, multi_choice, population_panel, select_respondents
from channelstudy.simulate.config import (
    ARCHETYPE_BY_TYPE,
    ARCHETYPE_MIX,
    ARCHETYPE_ZERO_PROB,
    ARCHETYPES,
    ATECO_2025_BY_TYPE,
    MEAN_EMPLOYEES,
    REVENUE_PER_EMPLOYEE,
    TYPE_SHARES,
    WorldConfig,
)
from channelstudy.vocabulary import IT_J62_PERSONS_PER_ENTERPRISE, REVENUE_STREAMS, TIERS

SIZE_BODY_MEDIAN = 1.5
SIZE_BODY_SIGMA = 0.7
SIZE_TAIL_SHARE = 0.10
SIZE_TAIL_XMIN = 10.0
SIZE_TAIL_ALPHA = 1.2
REVENUE_SIZE_ELASTICITY = 0.15
MAX_EMPLOYEES = 5_000
"""Persons employed: a lognormal body with a Pareto tail, for a J62-like type (mean 6.44).

Fitted by grid search to ISTAT SBS 2023 for NACE J62: 6.44 persons employed per enterprise,
14.7 % of turnover from micro firms (0-9) and 46.5 % from large ones (250+).  The simulated J62
types give about 6.5, 15 % and 47 % (turnover per person rises with size, elasticity 0.15).  Other
types scale the body median and tail threshold by their mean size relative to 6.44.
"""

PROVINCE_WEIGHT = {
    "MI": 26, "RM": 15, "TO": 7, "NA": 5, "BO": 4.5, "MB": 4, "BS": 3.5, "BG": 3.5, "FI": 3.5, "PD": 3.5,
    "VR": 3, "VA": 3, "TV": 2.5, "VI": 2.5, "GE": 2.5, "BA": 2.5, "MO": 2.5, "PA": 2, "CT": 2, "CO": 2,
    "RE": 2, "PR": 2, "VE": 2, "AN": 1.5, "PG": 1.5, "SA": 1.5, "CA": 1.5, "TN": 1.5, "BZ": 1.5, "UD": 1.5,
}
"""Relative weight of provinces hosting ICT firms (others 1): ICT firms cluster in metro areas."""



@dataclass
class World:
    """The true world. Each frame is keyed by ``firm_key`` (``K000001`` ...)."""

    firms: pd.DataFrame
    relations: pd.DataFrame
    responses: pd.DataFrame
    deals: pd.DataFrame
    customers: pd.DataFrame
    vendors: pd.DataFrame
    config: WorldConfig
    population: pd.DataFrame | None = None
    """True answers of every partner in every wave (responses are a sample of it)."""


def vat_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct valid partite IVA: 7-digit serial, 3-digit office code (001-100), Luhn check digit."""
    serial = rng.choice(np.arange(1, 10_000_000), size=n, replace=False)
    office = rng.integers(1, 101, size=n)
    body = [f"{s:07d}{o:03d}" for s, o in zip(serial, office, strict=True)]
    return np.array([b + luhn.calc_check_digit(b) for b in body], dtype=object)


def _draw_categorical(rng: np.random.Generator, probs: dict[str, float], n: int) -> np.ndarray:
    keys = list(probs)
    p = np.array([probs[k] for k in keys], dtype=float)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _draw_by_group(rng: np.random.Generator, groups: np.ndarray, table: dict[str, dict[str, float]]) -> np.ndarray:
    out = np.empty(len(groups), dtype=object)
    for group in sorted(table):
        idx = np.flatnonzero(groups == group)
        if idx.size:
            out[idx] = _draw_categorical(rng, table[group], idx.size)
    return out


def draw_employees(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    """Persons employed of ``n`` firms of a type with mean size ``mean`` (lognormal body, Pareto tail)."""
    k = mean / IT_J62_PERSONS_PER_ENTERPRISE
    body = rng.lognormal(np.log(SIZE_BODY_MEDIAN * k), SIZE_BODY_SIGMA, size=n)
    tail = SIZE_TAIL_XMIN * k * (1 - rng.random(n)) ** (-1 / SIZE_TAIL_ALPHA)
    size = np.where(rng.random(n) < SIZE_TAIL_SHARE, tail, body)
    return np.clip(np.round(size), 1, MAX_EMPLOYEES)


def draw_locations(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Comuni for ``n`` firms: provinces by ICT weight, then the capoluogo with 45 %, else any comune."""
    comuni = load_comuni()
    prov = sorted(comuni["province"].unique())
    weights = np.array([PROVINCE_WEIGHT.get(p, 1.0) for p in prov])
    chosen = np.asarray(prov, dtype=object)[rng.choice(len(prov), size=n, p=weights / weights.sum())]
    by_prov = {p: g.index.to_numpy() for p, g in comuni.groupby("province", sort=True)}
    capoluogo = {p: g.index[g["capoluogo"]].to_numpy() for p, g in comuni.groupby("province", sort=True)}
    rows = np.empty(n, dtype=np.int64)
    use_capoluogo = rng.random(n) < 0.45
    any_pick = rng.random(n)
    for p in prov:
        idx = np.flatnonzero(chosen == p)
        if idx.size == 0:
            continue
        pool = by_prov[p]
        caps = capoluogo[p] if capoluogo[p].size else pool
        rows[idx] = np.where(use_capoluogo[idx], caps[0], pool[(any_pick[idx] * pool.size).astype(int)])
    return comuni.loc[rows, ["istat_code", "comune", "province", "province_name", "region", "macro_area",
                             "nuts2"]].reset_index(drop=True)


def draw_legal_forms(rng: np.random.Generator, employees: np.ndarray) -> np.ndarray:
    """Legal form by size: sole traders and partnerships are small, S.p.A. are large."""
    n = len(employees)
    u = rng.random(n)
    small = employees < 3
    large = employees >= 50
    out = np.full(n, "SRL", dtype=object)
    out[small & (u < 0.30)] = "DI"
    out[small & (u >= 0.30) & (u < 0.40)] = "SNC"
    out[small & (u >= 0.40) & (u < 0.48)] = "SAS"
    out[small & (u >= 0.48) & (u < 0.62)] = "SRLS"
    mid = ~small & ~large
    out[mid & (u < 0.06)] = "SRLS"
    out[mid & (u >= 0.06) & (u < 0.10)] = "SNC"
    out[mid & (u >= 0.10) & (u < 0.13)] = "SAS"
    out[mid & (u >= 0.13) & (u < 0.16)] = "COOP"
    out[mid & (u >= 0.16) & (u < 0.20)] = "SPA"
    out[large & (u < 0.55)] = "SPA"
    out[large & (u >= 0.55) & (u < 0.57)] = "SAPA"
    out[large & (u >= 0.57) & (u < 0.60)] = "COOP"
    return out


def draw_revenue_mix(rng: np.random.Generator, archetype: np.ndarray, concentration: float = 30.0) -> np.ndarray:
    """True revenue shares (n, 6) summing to 1, with structural zeros per archetype.

    A firm's mix is Dirichlet around its archetype's mean, after zeroing streams it does not
    have; a firm never loses every stream (the archetype's dominant stream is kept).
    """
    n = len(archetype)
    mix = np.zeros((n, len(REVENUE_STREAMS)))
    for name in ARCHETYPES:
        idx = np.flatnonzero(archetype == name)
        if idx.size == 0:
            continue
        mean = np.asarray(ARCHETYPE_MIX[name])
        zero = rng.random((idx.size, mean.size)) < np.asarray(ARCHETYPE_ZERO_PROB[name])
        zero[:, int(np.argmax(mean))] = False
        draws = rng.gamma(mean * concentration, 1.0, size=(idx.size, mean.size))
        draws[zero] = 0.0
        mix[idx] = draws / draws.sum(axis=1, keepdims=True)
    return mix


def build_vendors(cfg: WorldConfig) -> pd.DataFrame:
    """The platform vendors: fictional names and popularity weights."""
    names = naming.VENDOR_NAMES[: cfg.n_vendors]
    popularity = 1.0 / np.arange(1, cfg.n_vendors + 1) ** 0.8
    return pd.DataFrame(
        {"vendor": list(names), "vendor_id": [f"V{i + 1:02d}" for i in range(cfg.n_vendors)],
         "popularity": popularity / popularity.sum()}
    )


def build_firms(rng: np.random.Generator, cfg: WorldConfig, vendors: pd.DataFrame) -> pd.DataFrame:
    """True firm population: type, archetype, identity, geography, ATECO, size and attributes."""
    n_other = cfg.n_firms - cfg.n_vendors
    types = np.concatenate(
        [np.full(cfg.n_vendors, "platform_vendor", dtype=object), _draw_categorical(rng, TYPE_SHARES, n_other)]
    )
    n = cfg.n_firms
    archetype = _draw_by_group(rng, types, ARCHETYPE_BY_TYPE)

    employees = np.empty(n)
    for t, mean in MEAN_EMPLOYEES.items():
        idx = np.flatnonzero(types == t)
        employees[idx] = draw_employees(rng, idx.size, mean)
    vendor_idx = np.flatnonzero(types == "platform_vendor")
    employees[vendor_idx] = rng.lognormal(np.log(400), 0.8, size=vendor_idx.size)
    employees = np.maximum(1, np.round(employees)).astype(np.int64)

    rpe = np.array([REVENUE_PER_EMPLOYEE[t] for t in types])
    size_premium = (employees / IT_J62_PERSONS_PER_ENTERPRISE) ** REVENUE_SIZE_ELASTICITY
    revenue = np.round(employees * rpe * size_premium * rng.lognormal(-0.08, 0.4, size=n), -2)

    legal = draw_legal_forms(rng, employees)
    legal[vendor_idx] = np.where(rng.random(vendor_idx.size) < 0.5, "SRL", "SPA")
    geo = draw_locations(rng, n)
    # vendors' Italian subsidiaries sit in Milano or Roma
    geo.loc[vendor_idx, :] = draw_locations_fixed(vendor_idx.size, rng)

    core = naming.company_core_names(rng, n, legal)
    core[vendor_idx] = [f"{v} Italia" for v in vendors["vendor"]]
    core = naming.make_unique(core, geo["province"].to_numpy(), rng)

    founded = np.clip(2025 - np.round(rng.gamma(2.0, 8.0, size=n)), 1970, 2024).astype(np.int64)
    ateco = _draw_by_group(rng, types, ATECO_2025_BY_TYPE)
    vat = vat_numbers(rng, n)

    dso_firm_effect = rng.normal(0, 10, size=n)
    latent_portal = rng.normal(0, 1, size=n)  # H0: no type enters here
    firms = pd.DataFrame(
        {
            "firm_key": [f"K{i + 1:06d}" for i in range(n)],
            "partner_type": types,
            "archetype": archetype,
            "name": naming.full_company_names(core, naming.render_legal_form(rng, legal, canonical_prob=1.0)),
            "name_core": core,
            "vat": vat,
            "legal_form": legal,
            **{c: geo[c].to_numpy() for c in geo.columns},
            "ateco_2025": ateco,
            "employees": employees,
            "revenue_eur": revenue,
            "founded": founded,
            "website": [f"www.{_slug(c)}.it" for c in core],
            "dso_firm_effect": dso_firm_effect,
            "latent_portal": latent_portal,
        }
    )
    mix = draw_revenue_mix(rng, archetype)
    for j, s in enumerate(REVENUE_STREAMS):
        firms[f"mix_{s}"] = mix[:, j]
    return firms


def draw_locations_fixed(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Head offices of vendor subsidiaries: the capoluogo of Milano (70 %) or Roma."""
    comuni = load_comuni()
    mi = comuni.index[(comuni["province"] == "MI") & comuni["capoluogo"]][0]
    rm = comuni.index[(comuni["province"] == "RM") & comuni["capoluogo"]][0]
    rows = np.where(rng.random(n) < 0.7, mi, rm)
    return comuni.loc[rows, ["istat_code", "comune", "province", "province_name", "region", "macro_area",
                             "nuts2"]].reset_index(drop=True).set_axis(range(n))


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())[:24] or "azienda"


def build_relations(rng: np.random.Generator, firms: pd.DataFrame, vendors: pd.DataFrame,
                    cfg: WorldConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Vendor relations per partner (one row per firm x vendor) and firm-level vendor attributes.

    ISVs align with a single platform more often, and tie more revenue to it (H5).
    """
    partners = firms[firms["partner_type"] != "platform_vendor"]
    n = len(partners)
    is_isv = (partners["partner_type"] == "isv").to_numpy()
    size = np.log(partners["employees"].to_numpy())
    n_platforms = 1 + rng.poisson(np.maximum(0.1, 0.9 + 0.25 * size - 0.1 * is_isv), size=n)
    n_platforms = np.minimum(n_platforms, cfg.n_vendors)
    pop = vendors["popularity"].to_numpy()
    main_idx = rng.choice(cfg.n_vendors, size=n, p=pop)

    base_share = np.where(is_isv, 0.55 + cfg.effects.h5_isv_main_platform_share_diff, 0.55)
    main_share = np.where(n_platforms == 1, 1.0, rng.beta(base_share * 12, (1 - base_share) * 12))
    main_share = np.where((n_platforms == 1) & (rng.random(n) < 0.5), rng.beta(18, 2, size=n), main_share)

    rows_firm: list[np.ndarray] = []
    rows_vendor: list[np.ndarray] = []
    rows_main: list[np.ndarray] = []
    for k in range(1, int(n_platforms.max()) + 1):
        has = n_platforms >= k
        if k == 1:
            v = main_idx[has]
        else:
            # other vendors: popularity-weighted, excluding the main one (a shift keeps it simple)
            v = (main_idx[has] + rng.choice(np.arange(1, cfg.n_vendors), size=has.sum(),
                                            p=_shift_probs(pop))) % cfg.n_vendors
        rows_firm.append(np.flatnonzero(has))
        rows_vendor.append(v)
        rows_main.append(np.full(has.sum(), k == 1))
    fi = np.concatenate(rows_firm)
    vi = np.concatenate(rows_vendor)
    rel = pd.DataFrame(
        {
            "firm_key": partners["firm_key"].to_numpy()[fi],
            "vendor": vendors["vendor"].to_numpy()[vi],
            "is_main": np.concatenate(rows_main),
        }
    ).drop_duplicates(["firm_key", "vendor"], keep="first")

    m = len(rel)
    emp = partners.set_index("firm_key").loc[rel["firm_key"], "employees"].to_numpy()
    score = np.log(emp) + rel["is_main"].to_numpy() * 1.0 + rng.normal(0, 1, m)
    tier = np.asarray(TIERS, dtype=object)[np.digitize(score, [1.2, 2.6, 4.0])]
    certs_n = np.minimum(len(CERTIFICATIONS), rng.poisson(0.6 + 0.5 * np.digitize(score, [1.2, 2.6, 4.0])))
    rel = rel.assign(
        tier=tier,
        competencies=[multi_choice(rng, CERTIFICATIONS, k) for k in certs_n],
        n_certified=rng.poisson(1 + np.exp(np.clip(score, 0, 5)) / 4),
        lead_registration=rng.random(m) < 0.35 + 0.12 * np.digitize(score, [1.2, 2.6, 4.0]),
        mdf=rng.random(m) < 0.1 + 0.15 * np.digitize(score, [1.2, 2.6, 4.0]),
        cosell=rng.random(m) < 0.05 + 0.12 * np.digitize(score, [1.2, 2.6, 4.0]),
        since=pd.to_datetime("2008-01-01") + pd.to_timedelta(rng.integers(0, 6000, m), unit="D"),
    ).reset_index(drop=True)

    firm_attrs = pd.DataFrame(
        {
            "firm_key": partners["firm_key"].to_numpy(),
            "n_platforms": rel.groupby("firm_key").size().reindex(partners["firm_key"]).to_numpy(),
            "main_platform": vendors["vendor"].to_numpy()[main_idx],
            "main_platform_share": np.round(main_share, 4),
        }
    )
    firm_attrs["single_platform"] = firm_attrs["n_platforms"] == 1
    return rel, firm_attrs


def _shift_probs(pop: np.ndarray) -> np.ndarray:
    p = np.roll(pop, -1)[: len(pop) - 1]
    return p / p.sum()


def build_pipeline(rng: np.random.Generator, firms: pd.DataFrame, cfg: WorldConfig
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Shared pipeline among partners (H9), enterprise customers, and the joint venture.

    Channel items (vendor or distributor with a reseller) are mostly leads; alliance items
    (vendor with SI/ISV, SI with ISV) mostly co-worked opportunities.  Two large SIs in an
    alliance found a joint venture, whose pipeline reaches customers the alliance did not.
    Returns (deals in long form: one row per deal x partner, customers, jv firm row).
    """
    eff = cfg.effects
    customers = pd.DataFrame({"customer_id": [f"C{i + 1:05d}" for i in range(cfg.n_customers)],
                              "customer_name": naming.customer_names(rng, cfg.n_customers)})
    by_type = {t: g["firm_key"].to_numpy() for t, g in firms.groupby("partner_type", sort=True)}
    size = firms.set_index("firm_key")["employees"]

    def size_weighted(keys: np.ndarray, k: int) -> np.ndarray:
        w = np.sqrt(size.loc[keys].to_numpy().astype(float))
        return keys[rng.choice(len(keys), size=k, p=w / w.sum())]

    # channel: a vendor or a distributor passes items to a reseller
    nc = cfg.n_channel_deals
    upstream = np.where(rng.random(nc) < 0.5, size_weighted(by_type["platform_vendor"], nc),
                        size_weighted(by_type["distributor"], nc))
    downstream = size_weighted(by_type["reseller"], nc)
    channel = pd.DataFrame({"a": upstream, "b": downstream, "relationship": "channel"})
    channel["record_type"] = _pair_record_types(rng, channel, eff.h9_lead_share_channel, eff.h9_pair_sd)

    # alliances: fixed pairs (vendor-SI, vendor-ISV, SI-ISV) co-working opportunities
    big_si = firms[firms["partner_type"] == "system_integrator"].nlargest(cfg.n_alliances, "employees")["firm_key"]
    big_si = big_si.to_numpy()
    isvs = size_weighted(by_type["isv"], cfg.n_alliances)
    vend = size_weighted(by_type["platform_vendor"], cfg.n_alliances)
    kind = rng.choice(3, size=cfg.n_alliances)
    pairs = np.where(kind[:, None] == 0, np.stack([vend, big_si], 1),
                     np.where(kind[:, None] == 1, np.stack([vend, isvs], 1), np.stack([big_si, isvs], 1)))
    # the JV parents: the two largest SIs, allied with each other
    parents = big_si[:2]
    pairs[0] = parents
    na = cfg.n_alliance_deals
    pick = rng.integers(0, cfg.n_alliances, size=na)
    pick[: na // 10] = 0  # the parents' alliance is an active one
    alliance = pd.DataFrame({"a": pairs[pick, 0], "b": pairs[pick, 1], "relationship": "alliance"})
    alliance["record_type"] = _pair_record_types(rng, alliance, eff.h9_lead_share_alliance, eff.h9_pair_sd)

    deals = pd.concat([channel, alliance], ignore_index=True)
    deals["customer_id"] = customers["customer_id"].to_numpy()[rng.integers(0, cfg.n_customers, len(deals))]

    jv_key = f"K{len(firms) + 1:06d}"
    parent_customers = np.unique(deals.loc[(deals["a"] == parents[0]) & (deals["b"] == parents[1]),
                                           "customer_id"])
    nj = cfg.n_jv_deals
    outside = rng.random(nj) < eff.h9_jv_new_customer_share
    jv_customers = np.where(outside,
                            customers["customer_id"].to_numpy()[rng.integers(0, cfg.n_customers, nj)],
                            parent_customers[rng.integers(0, len(parent_customers), nj)])
    jv = pd.DataFrame({"a": jv_key, "b": np.where(rng.random(nj) < 0.5, parents[0], parents[1]),
                       "relationship": "joint_venture",
                       "record_type": np.where(rng.random(nj) < eff.h9_lead_share_alliance, "lead", "opportunity"),
                       "customer_id": jv_customers})
    deals = pd.concat([deals, jv], ignore_index=True)
    nd = len(deals)
    deals["deal_id"] = [f"D{i + 1:06d}" for i in range(nd)]
    is_lead = deals["record_type"].eq("lead").to_numpy()
    deals["value_eur"] = np.round(np.where(is_lead, rng.lognormal(9.5, 1.0, nd), rng.lognormal(11.3, 1.1, nd)), -2)
    deals["created"] = (pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1825, nd), unit="D"))
    deals["stage"] = np.asarray(["open", "won", "lost"], dtype=object)[rng.choice(3, nd, p=[0.4, 0.3, 0.3])]
    long = pd.concat(
        [deals.assign(firm_key=deals["a"], partner_role=np.where(deals["relationship"] == "channel", "upstream",
                                                                  "partner")),
         deals.assign(firm_key=deals["b"], partner_role=np.where(deals["relationship"] == "channel", "downstream",
                                                                  "partner"))],
        ignore_index=True,
    ).drop(columns=["a", "b"]).sort_values(["deal_id", "partner_role", "firm_key"], ignore_index=True)
    jv_firm = _joint_venture_firm(rng, firms, parents, jv_key)
    return long, customers, jv_firm


def pair_lead_propensity(mean: float, sd: float, z: np.ndarray) -> np.ndarray:
    """Lead probability of relationship pairs: logit-normal with location ``logit(mean)``, scale ``sd``."""
    logit = np.log(mean / (1 - mean))
    return 1 / (1 + np.exp(-(logit + sd * z)))


def _pair_record_types(rng: np.random.Generator, items: pd.DataFrame, mean: float, sd: float) -> np.ndarray:
    """Lead or opportunity per item; the items of one pair share the pair's lead propensity."""
    pair = pd.factorize(np.minimum(items["a"], items["b"]) + "|" + np.maximum(items["a"], items["b"]))[0]
    z = rng.normal(0, 1, pair.max() + 1)
    p = pair_lead_propensity(mean, sd, z)[pair]
    return np.where(rng.random(len(items)) < p, "lead", "opportunity")


def _joint_venture_firm(rng: np.random.Generator, firms: pd.DataFrame, parents: np.ndarray,
                        jv_key: str) -> pd.DataFrame:
    p = firms.set_index("firm_key").loc[parents]
    row = firms[firms["firm_key"] == parents[0]].copy()
    core = p["name_core"].iloc[0].split()[0] + " " + p["name_core"].iloc[1].split()[0] + " Digital Alliance"
    row = row.assign(
        firm_key=jv_key, name=core + " S.r.l.", name_core=core, legal_form="SRL",
        vat=vat_numbers(rng, 1)[0], employees=25, revenue_eur=6_000_000.0, founded=2022,
        website=f"www.{_slug(core)}.it", archetype="services_led",
    )
    row["is_joint_venture"] = True
    return row


def first_draws(cfg: WorldConfig, seed: int
                ) -> tuple[WorldConfig, np.random.Generator, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The world's first draws from ``seed``: (scaled config, generator, vendors, firms, relations, firm attributes).

    Shared by :func:`build_world` and the light simulator, so both draw the same firms and relations.
    """
    cfg = cfg.scaled()
    rng = np.random.default_rng(seed)
    vendors = build_vendors(cfg)
    firms = build_firms(rng, cfg, vendors)
    relations, firm_attrs = build_relations(rng, firms, vendors, cfg)
    return cfg, rng, vendors, firms, relations, firm_attrs


def build_world(cfg: WorldConfig, seed: int) -> World:
    """Draw the whole true world from ``seed``."""
    cfg, rng, vendors, firms, relations, firm_attrs = first_draws(cfg, seed)
    population = population_panel(rng, firms, firm_attrs, cfg)
    responses = select_respondents(rng, population, cfg)
    deals, customers, jv_firm = build_pipeline(rng, firms, cfg)
    firms = pd.concat([firms.assign(is_joint_venture=False), jv_firm], ignore_index=True)
    firms = firms.merge(firm_attrs, on="firm_key", how="left")
    if firms["vat"].duplicated().any():  # the JV's VAT is drawn apart: keep identities distinct
        raise RuntimeError("duplicate VAT in the simulated population; change the seed")
    return World(firms=firms, relations=relations, responses=responses, deals=deals, customers=customers,
                 vendors=vendors, config=cfg, population=population)
