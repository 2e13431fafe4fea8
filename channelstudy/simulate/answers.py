"""True survey answers: every eligible firm in every wave (the population panel), then who responds.

Outcomes are drawn for the whole population of partners x waves first, so that each
hypothesis' estimand can be computed on the true population (:mod:`channelstudy.simulate.estimands`);
the respondents are then a sample of that panel.  Response depends on size and on having
answered the previous wave (ignorable given what the survey weights model) and, in the
documented scenario ``WorldConfig.nonignorable_response > 0``, on the firm's own win rate that
wave (non-ignorable: no weighting on observables removes it).

Structural model (all effects from :class:`~channelstudy.simulate.config.PlantedEffects`):

* H0 ``att_portal_easy``: latent attitude rises with size and differs for SIs and MSPs, but not
  between ISVs and resellers of equal size (a confounded negative control);
* H2 ``dso_days``: credit types (resellers, distributors) carry more days, micro firms more so;
* H3 ``rd_share`` of credit types falls with DSO; size and the services share of revenue
  (business model) drive both DSO and R&D (confounders the controls remove);
* H4 ``vendor_support_eur``: zero for about 20 % of firm-years; otherwise log support per euro of
  revenue trends up for ISVs;
* H6 ``intl_share`` of ISVs rises with the cloud share, clipped at 0;
* H7 ``win_rate`` is higher with formal solutions (micro firms more so); size and the own-IP share
  drive both having formal solutions and winning;
* H8 ``isv_solution_share`` of SIs trends up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelstudy.simulate.config import WorldConfig
from channelstudy.vocabulary import CREDIT_TYPES, LIKERT_ITEMS, REVENUE_STREAMS, SOUTH

__all__ = ["MICRO_EMPLOYEES", "draw_respondents", "population_panel", "select_respondents"]

MICRO_EMPLOYEES = 10
"""Micro enterprises (fewer than 10 persons employed) get ``1 + size_heterogeneity`` times H2 and H7."""
LIKERT_LATENT_CUTS = (-1.3, -0.45, 0.45, 1.3)
"""Cut points of the standard-normal latent attitude: about 10/23/34/23/10 % in categories 1-5."""
CERTIFICATIONS = ("cloud", "security", "data", "ai", "networking", "modern_work", "erp")


def likert(latent: np.ndarray) -> np.ndarray:
    """Categories 1-5 of a latent attitude."""
    return (np.searchsorted(np.asarray(LIKERT_LATENT_CUTS), latent) + 1).astype(np.int64)


def multi_choice(rng: np.random.Generator, options: tuple[str, ...], k: int) -> str:
    """``k`` distinct options joined by ``;`` (sorted), or an empty string."""
    if k <= 0:
        return ""
    return ";".join(sorted(rng.choice(options, size=min(k, len(options)), replace=False)))


def population_panel(rng: np.random.Generator, firms: pd.DataFrame, firm_attrs: pd.DataFrame,
                     cfg: WorldConfig) -> pd.DataFrame:
    """True answers of every partner (not the platform vendors) in every wave."""
    eff = cfg.effects
    partners = firms[firms["partner_type"] != "platform_vendor"].reset_index(drop=True)
    n_firms, n_waves = len(partners), len(cfg.waves)
    f = partners.loc[np.repeat(np.arange(n_firms), n_waves)].reset_index(drop=True)
    a = firm_attrs.set_index("firm_key").loc[f["firm_key"]].reset_index(drop=True)
    wave = np.tile(np.asarray(cfg.waves), n_firms)
    n = len(f)
    t = (wave - cfg.waves[0]).astype(float)
    ptype = f["partner_type"].to_numpy()
    credit = np.isin(ptype, CREDIT_TYPES)
    isv = ptype == "isv"
    si = ptype == "system_integrator"
    south = f["macro_area"].isin(SOUTH).to_numpy()
    log_emp = np.log(f["employees"].to_numpy())
    micro = f["employees"].to_numpy() < MICRO_EMPLOYEES
    hetero = np.where(micro, 1 + eff.size_heterogeneity, 1 - eff.size_heterogeneity)
    services = f["mix_services"].to_numpy()
    own_ip = f["mix_own_ip"].to_numpy()
    c = eff.confounding

    # H2: resellers and distributors carry longer payment terms (micro firms more so)
    dso = (62 + eff.h2_dso_reseller_distributor_days * hetero * credit + eff.h2_dso_south_days * south
           - 2.5 * (log_emp - 1.5) + c * 15 * services + f["dso_firm_effect"].to_numpy() + rng.normal(0, 20, n))
    dso = np.clip(np.round(dso), 5, 240)

    # H3: among resellers/distributors, credit crowds out innovation; size and services drive both
    rd_base = np.select([f["archetype"] == "own_ip", f["archetype"] == "services_led"], [0.14, 0.05], 0.03)
    rd = rd_base + rng.normal(0, 0.012, n)
    rd_credit = (0.045 + eff.h3_rd_share_per_dso_day * (dso - 80) + c * (0.004 * (log_emp - 1.5) + 0.03 * services)
                 + rng.normal(0, 0.03, n))
    rd = np.clip(np.where(credit, rd_credit, rd), 0, 0.6)

    # H7: formal repeatable solutions; size and own IP drive both having them and winning
    lam = np.select([f["archetype"] == "own_ip", f["archetype"] == "services_led"], [2.5, 1.2], 0.5)
    n_solutions = rng.poisson(lam * np.exp(c * 0.2 * (log_emp - 1.5)))
    formal = n_solutions > 0
    win_rate = np.clip(0.24 + eff.h7_win_rate_formal_solutions_diff * hetero * formal
                       + c * (0.02 * (log_emp - 1.5) + 0.05 * own_ip) + rng.normal(0, 0.15, n), 0.01, 0.95)
    vendor_rating = likert(0.5 * formal - 0.25 + rng.normal(0, 1, n))
    joint_pipeline = np.round(f["revenue_eur"].to_numpy() * rng.lognormal(-2.2 + 0.4 * formal, 0.6), -2)

    # H6: cloud lets ISVs reach foreign markets (a share, clipped at 0)
    cloud = np.clip(f["mix_cloud_subs"].to_numpy() + f["mix_sw_resale"].to_numpy() * rng.beta(2, 3, n)
                    + 0.02 * t + rng.normal(0, 0.02, n), 0, 1)
    intl_isv = 0.03 + eff.h6_intl_share_per_cloud_share * cloud + 0.01 * log_emp + rng.normal(0, 0.10, n)
    intl_other = 0.02 + 0.01 * log_emp + np.abs(rng.normal(0, 0.03, n))
    intl = np.clip(np.where(isv, intl_isv, intl_other), 0, 1)

    # H4: ISVs increasingly compete for vendor support per euro of revenue; some firm-years get none
    log_support_ratio = (-4.2 - 0.35 * isv + 0.15 * (ptype == "distributor") + 0.02 * t
                         + eff.h4_isv_support_trend_per_wave * t * isv + rng.normal(0, 0.5, n))
    no_support = rng.random(n) < np.where(isv, 0.25, 0.15)
    support = np.where(no_support, 0.0, np.round(f["revenue_eur"].to_numpy() * np.exp(log_support_ratio), -1))

    # H8: SIs build offerings around ISV solutions
    isv_sol = np.where(si, np.clip(0.18 + eff.h8_si_isv_solution_share_trend * t + rng.normal(0, 0.12, n), 0, 1),
                       np.nan)

    # H5: main-platform share (firm-level truth plus reporting noise)
    main_share = np.clip(a["main_platform_share"].to_numpy() + rng.normal(0, 0.02, n), 0, 1)

    # Likert attitudes: H0 portal item depends on size and on SI/MSP, not on ISV vs reseller at equal size
    portal = (f["latent_portal"].to_numpy() * 0.6 + 0.25 * (log_emp - 1.5) + 0.3 * si
              - 0.2 * (ptype == "msp") + rng.normal(0, 0.8, n))
    att = {
        "att_portal_easy": likert(portal),
        "att_credit_burden": likert(0.8 * credit + 0.02 * (dso - 70) - 0.4 + rng.normal(0, 1, n)),
        "att_isv_competition": likert(0.6 * credit + 0.1 * t * credit - 0.3 + rng.normal(0, 1, n)),
        "att_vendor_values_solutions": likert(0.5 * formal - 0.2 + rng.normal(0, 1, n)),
    }
    assert set(att) == set(LIKERT_ITEMS)
    return pd.DataFrame(
        {
            "firm_key": f["firm_key"].to_numpy(),
            "wave": wave,
            "partner_type": ptype,
            "employees": f["employees"].to_numpy(),
            "revenue_eur": f["revenue_eur"].to_numpy(),
            "macro_area": f["macro_area"].to_numpy(),
            **{f"mix_{s}": f[f"mix_{s}"].to_numpy() for s in REVENUE_STREAMS},
            "dso_days": dso,
            "rd_share": np.round(rd, 4),
            "n_solutions": n_solutions,
            "formal_solutions": formal,
            "intl_share": np.round(intl, 4),
            "cloud_share": np.round(cloud, 4),
            "main_platform": a["main_platform"].to_numpy(),
            "main_platform_share": np.round(main_share, 4),
            "n_platforms": a["n_platforms"].to_numpy(),
            "single_platform": a["single_platform"].to_numpy(),
            "vendor_support_eur": support,
            "joint_pipeline_eur": joint_pipeline,
            "win_rate": np.round(win_rate, 3),
            "vendor_rating": vendor_rating,
            "isv_solution_share": np.round(isv_sol, 4),
            **att,
        }
    )


def _wave_response_intercept(logit_rest: np.ndarray, target: float) -> float:
    lo, hi = -20.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        expected = (1 / (1 + np.exp(-(mid + logit_rest)))).sum()
        lo, hi = (mid, hi) if expected < target else (lo, mid)
    return (lo + hi) / 2


def draw_respondents(rng: np.random.Generator, panel: pd.DataFrame, cfg: WorldConfig) -> pd.DataFrame:
    """Who answers each wave: rises with size; last wave's respondents answer again more often.

    With ``cfg.nonignorable_response`` the log-odds also rise with the firm's own standardised win
    rate that wave.  The intercept of each wave is solved so that the expected number of responses
    is ``cfg.responses_per_wave``; the realised number varies around it.  Returns the panel rows
    that respond with their response probability.
    """
    frames = []
    previous: pd.Series | None = None
    for wave in cfg.waves:
        rows = panel[panel["wave"] == wave]
        rest = cfg.size_response_elasticity * np.log(rows["employees"].to_numpy())
        if previous is not None:
            rest = rest + cfg.panel_persistence * rows["firm_key"].isin(previous).to_numpy()
        if cfg.nonignorable_response:
            win = rows["win_rate"].to_numpy()
            rest = rest + cfg.nonignorable_response * (win - win.mean()) / win.std()
        a = _wave_response_intercept(rest, cfg.responses_per_wave)
        p = 1 / (1 + np.exp(-(a + rest)))
        answered = rng.random(len(rows)) < p
        frames.append(rows[answered].assign(response_prob=p[answered]))
        previous = rows.loc[answered, "firm_key"]
    return pd.concat(frames, ignore_index=True)


def select_respondents(rng: np.random.Generator, panel: pd.DataFrame, cfg: WorldConfig) -> pd.DataFrame:
    """The true answers of the respondents, with the survey-only fields (language, certifications, co-sell)."""
    resp = draw_respondents(rng, panel, cfg)
    n = len(resp)
    log_emp = np.log(resp["employees"].to_numpy())
    formal = resp["formal_solutions"].to_numpy()
    certs_k = rng.poisson(0.8 + 0.3 * log_emp)
    extra = pd.DataFrame({
        "language": np.where(rng.random(n) < 0.7, "it", "en"),
        "certifications": [multi_choice(rng, CERTIFICATIONS, k) for k in certs_k],
        "cosell": rng.random(n) < 0.15 + 0.1 * formal + 0.04 * log_emp,
    })
    out = pd.concat([resp.reset_index(drop=True), extra], axis=1)
    first = ["firm_key", "wave", "response_prob", "partner_type", "language", "employees", "revenue_eur"]
    return out[first + [c for c in out.columns if c not in first and c != "macro_area"]]
