"""The embedded default data: a seeded simulator of the Italian ICT channel with planted truth.

Real partner-survey microdata is confidential, so the toolkit ships this generative model of
the population described in ``../shared/STUDY.md``.  It writes raw files as messy as real
survey exports and analyst lists, a ``sources.yml`` manifest describing them, and, apart, the
truth: which firm every raw row belongs to, the true firm attributes and the planted effects.

Calibration (real public figures; see :mod:`channelstudy.simulate.config`): persons employed
per enterprise from ISTAT SBS 2023 (J62 6.44, G46.5 6.80, G47.4 2.68), turnover per person
employed in ATECO 62.01 (27.64 bn EUR / 191,887), and the comuni, provinces and regions of the
ISTAT municipality list.  Everything else is an assumption, and every number the simulator
produces is simulated: it describes no real firm or respondent.

Examples
--------
>>> from channelstudy.simulate import simulate
>>> result = simulate("data/raw", seed=20240611, truth_out="data/interim/truth")  # doctest: +SKIP
>>> result.rows_by_source["analyst_a"]  # doctest: +SKIP
9634
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.simulate.config import MessRates, PlantedEffects, WorldConfig
from channelstudy.simulate.estimands import population_estimands
from channelstudy.simulate.export import (
    records_truth,
    render_sources,
    write_manifest,
    write_population_margins,
    write_source,
)
from channelstudy.simulate.world import World, build_world
from channelstudy.vocabulary import IT_J62_PERSONS_PER_ENTERPRISE, J62_TYPES

__all__ = ["DEFAULT_SEED", "MessRates", "PlantedEffects", "SimulationResult", "WorldConfig", "planted_effects",
           "simulate"]

DEFAULT_SEED = 20240611
log = logging.getLogger(__name__)



@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` wrote."""

    raw_dir: Path
    truth_dir: Path
    seed: int
    n_firms: int
    rows_by_source: dict[str, int]


def _mean_size_j62(firms: pd.DataFrame) -> float:
    j62 = firms["partner_type"].isin(J62_TYPES) & ~firms["is_joint_venture"]
    return float(firms.loc[j62, "employees"].mean())


def _hhi_by_type(partners: pd.DataFrame) -> dict[str, float]:
    shares = partners["revenue_eur"] / partners.groupby("partner_type")["revenue_eur"].transform("sum")
    return {t: round(float(v), 6) for t, v in (shares**2).groupby(partners["partner_type"]).sum().items()}


def _jv_outside_share(world: World) -> float:
    """Expected share of JV deals whose customer is outside the JV parents' alliance pipeline."""
    deals = world.deals
    jv_deals = deals[deals["relationship"] == "joint_venture"]
    jv_firm = sorted(set(jv_deals["firm_key"]) - set(deals.loc[deals["relationship"] != "joint_venture", "firm_key"]))
    parents = sorted(set(jv_deals["firm_key"]) - set(jv_firm))
    alliance = deals[deals["relationship"] == "alliance"]
    both = alliance.groupby("deal_id")["firm_key"].agg(set)
    parent_deals = both[both.map(lambda s: set(parents) <= s)].index
    in_alliance = alliance.loc[alliance["deal_id"].isin(parent_deals), "customer_id"].nunique()
    p_new = world.config.effects.h9_jv_new_customer_share
    return round(p_new * (1 - in_alliance / world.config.n_customers), 6)


def _micro_turnover_share(firms: pd.DataFrame) -> float:
    partners = firms[firms["partner_type"] != "platform_vendor"]
    micro = partners["employees"] < 10
    return float(partners.loc[micro, "revenue_eur"].sum() / partners["revenue_eur"].sum())


def planted_effects(world: World) -> dict[str, dict]:
    """Per hypothesis id: estimand, planted value, value under the null, expected direction.

    Values set by the generative model are taken from its parameters; the two that depend on
    the drawn population (H1 and H5) are computed on the true firms.
    """
    e = world.config.effects
    firms = world.firms
    partners = firms[firms["partner_type"] != "platform_vendor"]
    isv = partners["partner_type"] == "isv"
    h5_single = float(partners.loc[isv, "single_platform"].mean() - partners.loc[~isv, "single_platform"].mean())
    pop = population_estimands(world.population, world.deals, world.config.waves[0], h9_channel=e.h9_lead_share_channel,
                               h9_alliance=e.h9_lead_share_alliance, h9_sd=e.h9_pair_sd)

    def effect(hid: str, claim: str, estimand: str, structural: float, null: float, direction: str, unit: str,
               **also) -> dict:
        extra = pop.get(hid, {})
        value = structural if hid in ("H0", "H1") else extra["estimand_value"]
        # None: a value the world does not define (a trend in a one-wave world), null in effects.json
        return {"claim": claim, "estimand": estimand, "planted": None if value is None else round(float(value), 6),
                "structural": round(float(structural), 8), "null_value": null, "direction": direction,
                "unit": unit, **extra, **also}

    return {
        "H0": effect("H0", "Control: a planted null.",
                     "difference in mean agreement (1-5) that the vendor portal is easy to use, ISVs minus resellers, "
                     "at equal size (log persons employed)",
                     e.h0_portal_diff, 0.0, "none", "Likert points"),
        "H1": effect("H1", "Calibration check (not a hypothesis): simulated J62-like partners are as large as "
                           "Italy's real J62 enterprises.",
                     "persons employed per enterprise, J62-like partners (SIs, ISVs, MSPs), true population",
                     _mean_size_j62(firms), IT_J62_PERSONS_PER_ENTERPRISE, "none", "persons per enterprise",
                     null_source="ISTAT SBS 2023, Italy J62 (real figure the simulator is calibrated to)",
                     micro_turnover_share=round(_micro_turnover_share(firms), 6),
                     micro_firm_share=round(float((partners["employees"] < 10).mean()), 6),
                     revenue_hhi_by_type=_hhi_by_type(partners),
                     size_tail="lognormal body with a Pareto tail (alpha 1.2 above 10 persons employed)"),
        "H2": effect("H2", "Resellers and distributors carry long payment terms.",
                     "DSO difference, resellers and distributors vs other partners, controlling size and macro-area "
                     "(population regression coefficient)",
                     e.h2_dso_reseller_distributor_days, 0.0, "greater", "days"),
        "H3": effect("H3", "Carrying credit leaves resellers and distributors less for innovation.",
                     "change in R&D share of revenue per DSO day, resellers and distributors",
                     e.h3_rd_share_per_dso_day, 0.0, "less", "share per day"),
        "H4": effect("H4", "ISVs increasingly compete for platform-vendor support.",
                     "yearly trend of log vendor support per euro of revenue, ISVs minus other partners",
                     e.h4_isv_support_trend_per_wave, 0.0, "greater", "log points per year"),
        "H5": effect("H5", "ISVs align with a single platform.",
                     "difference in mean revenue share tied to the main platform, ISVs minus other partners",
                     e.h5_isv_main_platform_share_diff, 0.0, "greater", "share",
                     single_platform_diff=round(h5_single, 6)),
        "H6": effect("H6", "Cloud lets small ISVs reach foreign markets.",
                     "ISVs: change in international revenue share per unit of cloud revenue share, given size",
                     e.h6_intl_share_per_cloud_share, 0.0, "greater", "share per share"),
        "H7": effect("H7", "Formal repeatable solutions differentiate partners.",
                     "win-rate difference, partners with formal solutions minus without, given size and business model",
                     e.h7_win_rate_formal_solutions_diff, 0.0, "greater", "share"),
        "H8": effect("H8", "SIs increasingly build offerings around ISV solutions.",
                     "yearly change of the share of SI revenue from ISV-based solutions",
                     e.h8_si_isv_solution_share_trend, 0.0, "greater", "share per year"),
        "H9": effect("H9", "Leads define channel relations, co-worked opportunities alliances; a JV widens an alliance.",
                     "mean over relationship pairs of the pair's lead share, channel minus alliance",
                     e.h9_lead_share_channel - e.h9_lead_share_alliance, 0.0, "greater", "share",
                     jv_new_customer_share=e.h9_jv_new_customer_share,
                     jv_outside_alliance_share_expected=_jv_outside_share(world),
                     jv_note="a JV deal's customer is drawn from all customers with probability "
                             "jv_new_customer_share, and may still fall in the parents' alliance pipeline by chance; "
                             "jv_outside_alliance_share_expected is the observable share"),
    }


def simulate(
    out: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    n_firms: int = 15_000,
    waves: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025),
    truth_out: str | Path | None = None,
    config: WorldConfig | None = None,
) -> SimulationResult:
    """Simulate the world and write raw files to ``out`` and the truth to ``truth_out``.

    Parameters
    ----------
    out : path
        Raw folder; created if missing.  Files of a previous simulation are overwritten.
    seed : int
        Seed of the single random generator: the same seed gives byte-identical files.
    n_firms : int
        Number of firms (at least 500); responses, customers and deals scale with it.
    waves : tuple of int
        Survey waves (years).  Waves up to 2023 come from the Italian tool (CSV), later ones from
        the English tool (XLSX).
    truth_out : path, optional
        Truth folder, default ``<out>/../interim/truth``; must not be inside ``out``.
    config : WorldConfig, optional
        Full control of the world; ``n_firms`` and ``waves`` override its fields.
    """
    out = Path(out)
    truth_dir = Path(truth_out) if truth_out is not None else out.parent / "interim" / "truth"
    if truth_dir.resolve().is_relative_to(out.resolve()):
        raise ValueError(f"truth folder {truth_dir} must not be inside the raw folder {out}")
    cfg = replace(config or WorldConfig(), n_firms=n_firms, waves=tuple(waves))
    out.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)

    from tqdm.auto import tqdm

    steps = tqdm(total=4, desc="simulate", unit="step", disable=None)
    world = build_world(cfg, seed)
    steps.update()
    rng = np.random.default_rng([seed, 1])  # a separate stream for rendering: truth does not depend on it
    sources = render_sources(rng, world)
    steps.update()
    for source in sources:
        write_source(source, out)
        log.info("wrote %s (%d rows)", source.path, len(source.table))
    write_manifest(sources, out, seed)
    write_population_margins(world, out, seed)
    steps.update()
    write_truth(world, sources, truth_dir, seed)
    steps.update()
    steps.close()
    return SimulationResult(out, truth_dir, seed, len(world.firms), {s.name: len(s.table) for s in sources})


def write_truth(world: World, sources: list, truth_dir: Path, seed: int) -> None:
    """The truth folder: records, firms, effects and the other true tables."""
    records_truth(sources).to_parquet(truth_dir / "records.parquet", index=False)
    world.firms.to_parquet(truth_dir / "firms.parquet", index=False)
    world.responses.to_parquet(truth_dir / "responses.parquet", index=False)
    world.relations.to_parquet(truth_dir / "relations.parquet", index=False)
    world.deals.to_parquet(truth_dir / "deals.parquet", index=False)
    world.customers.to_parquet(truth_dir / "customers.parquet", index=False)
    meta = {
        "seed": seed,
        "simulated": True,
        "note": "Planted truth of the SIMULATED world; not estimates about real firms.",
        "config": {k: v for k, v in asdict(world.config).items() if k not in ("effects", "mess")},
        "mess_rates": asdict(world.config.mess),
        "effects": planted_effects(world),
    }
    (truth_dir / "effects.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
