"""Parameters of the simulated world: population, planted effects and messiness rates.

Every number that shapes the embedded default data lives here, in three validated
dataclasses, so that a reader can see at a glance what the simulator assumes and what it
plants.  Calibration sources (real public figures, see ``../shared/realdata``):

* ISTAT SBS 2023 (``istat_eurostat_sbs_crystal/IT.json``): NACE J62 has 6.44 persons employed
  per enterprise, ICT wholesale G46.5 6.80, ICT retail G47.4 2.68; ATECO 62.01 turnover
  27.64 bn EUR over 191,887 persons employed (about 144,000 EUR per person).
* Analysts monitor "more than twelve thousand" suppliers and intermediaries (field notes), and
  a similar number of enterprise customers: the default world has 15,000 firms and 12,000
  customers.

Everything not in those sources (type shares, business-model archetypes, effect sizes) is an
assumption of this simulator, stated here and in ``effects.json``; none of it is a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channelstudy.vocabulary import (
    IT_G465_PERSONS_PER_ENTERPRISE,
    IT_J62_PERSONS_PER_ENTERPRISE,
    PARTNER_TYPES,
    REVENUE_STREAMS,
)

ARCHETYPES: tuple[str, ...] = ("resale_led", "services_led", "own_ip", "managed_cloud")

ARCHETYPE_MIX: dict[str, tuple[float, ...]] = {
    # mean revenue shares over REVENUE_STREAMS:
    #              hw    sw    serv  own_ip cloud managed
    "resale_led": (0.42, 0.30, 0.14, 0.01, 0.03, 0.10),
    "services_led": (0.05, 0.12, 0.62, 0.04, 0.04, 0.13),
    "own_ip": (0.02, 0.04, 0.18, 0.52, 0.20, 0.04),
    "managed_cloud": (0.07, 0.09, 0.14, 0.03, 0.20, 0.47),
}
"""Mean revenue mix of each business-model archetype (rows sum to 1)."""

ARCHETYPE_ZERO_PROB: dict[str, tuple[float, ...]] = {
    # probability that a stream is a structural zero for a firm of the archetype
    "resale_led": (0.05, 0.05, 0.10, 0.70, 0.40, 0.30),
    "services_led": (0.40, 0.20, 0.00, 0.50, 0.40, 0.20),
    "own_ip": (0.70, 0.50, 0.05, 0.00, 0.10, 0.50),
    "managed_cloud": (0.30, 0.30, 0.10, 0.60, 0.05, 0.00),
}

ARCHETYPE_BY_TYPE: dict[str, dict[str, float]] = {
    "platform_vendor": {"own_ip": 0.7, "managed_cloud": 0.3},
    "distributor": {"resale_led": 0.9, "managed_cloud": 0.1},
    "reseller": {"resale_led": 0.72, "services_led": 0.13, "managed_cloud": 0.15},
    "system_integrator": {"services_led": 0.72, "resale_led": 0.10, "own_ip": 0.08, "managed_cloud": 0.10},
    "isv": {"own_ip": 0.85, "services_led": 0.10, "managed_cloud": 0.05},
    "oem": {"resale_led": 0.5, "own_ip": 0.5},
    "msp": {"managed_cloud": 0.82, "services_led": 0.13, "resale_led": 0.05},
}
"""P(archetype | partner type): business models do not map one-to-one to types."""

TYPE_SHARES: dict[str, float] = {
    "distributor": 0.05,
    "reseller": 0.34,
    "system_integrator": 0.26,
    "isv": 0.18,
    "oem": 0.07,
    "msp": 0.10,
}
"""Shares of the non-vendor population by partner type (assumption)."""

MEAN_EMPLOYEES: dict[str, float] = {
    "distributor": IT_G465_PERSONS_PER_ENTERPRISE,
    "reseller": 4.0,  # between G47.4 (2.68) and G46.5 (6.80): resellers sit in both
    "system_integrator": IT_J62_PERSONS_PER_ENTERPRISE,
    "isv": IT_J62_PERSONS_PER_ENTERPRISE,
    "oem": 12.0,  # assumption (C26 is not in the calibration files)
    "msp": IT_J62_PERSONS_PER_ENTERPRISE,  # J62/J63 services
}

REVENUE_PER_EMPLOYEE: dict[str, float] = {
    "distributor": 600_000.0,  # wholesale: assumption
    "reseller": 250_000.0,  # assumption
    "system_integrator": 144_000.0,  # ISTAT 2023, 62.01: 27.64 bn EUR / 191,887 persons
    "isv": 144_000.0,
    "oem": 200_000.0,
    "msp": 144_000.0,
    "platform_vendor": 400_000.0,
}

ATECO_2025_BY_TYPE: dict[str, dict[str, float]] = {
    "platform_vendor": {"58.29": 0.5, "62.10": 0.3, "46.50": 0.2},
    "distributor": {"46.50": 1.0},
    "reseller": {"47.40": 0.35, "46.50": 0.4, "62.90": 0.25},
    "system_integrator": {"62.20": 0.6, "62.90": 0.25, "70.20": 0.15},
    "isv": {"62.10": 0.8, "58.29": 0.2},
    "oem": {"26.20": 0.7, "26.30": 0.3},
    "msp": {"63.10": 0.6, "62.20": 0.4},
}
"""ATECO 2025 class of each partner type (the study's table, translated to the 2025 edition)."""

ATECO_2007_EQUIVALENT: dict[str, str] = {
    # 2025 class -> an ATECO 2007 class that maps back to it without ambiguity (via 2022)
    "62.10": "62.01",
    "62.20": "62.02",
    "46.50": "46.51",
    "58.29": "58.29",
}


@dataclass(frozen=True)
class PlantedEffects:
    """Structural effect sizes planted in the simulated world, one per hypothesis of STUDY.md.

    Modest by design: at the default sample (about 2,000 responses a wave) each confirmatory
    effect sits about 2.5-3.5 standard errors from zero (power roughly 0.5-0.9), so the
    method validation and the power study (``channelstudy power``) can show where the design
    fails.  Several effects differ by size class (``size_heterogeneity``: micro firms, fewer than
    10 persons employed, get ``1 + h`` times the effect, larger firms ``1 - h``), and size and
    business model (revenue share of professional services / own IP) drive both sides of H3 and
    H7 (confounding the controls must remove).  ``effects.json`` records, per hypothesis, the
    *population value of the estimator's estimand* (computed on the true population of firms x
    waves), the structural parameter and the unadjusted (naive) population value.  ``h0`` is a
    true null (conditional on size: the raw ISV/reseller difference is confounded by size).
    """

    h2_dso_reseller_distributor_days: float = 3.0
    """H2: extra days sales outstanding of resellers and distributors, other things equal (size-varying)."""
    h2_dso_south_days: float = 6.0
    """Extra DSO in Sud and Isole (a control, not a hypothesis)."""
    h3_rd_share_per_dso_day: float = -0.00007
    """H3: change in R&D share of revenue per extra DSO day, resellers and distributors."""
    h4_isv_support_trend_per_wave: float = 0.05
    """H4: yearly growth of log expected vendor support per euro of revenue, ISVs relative to others."""
    h5_isv_main_platform_share_diff: float = 0.02
    """H5: extra expected share of revenue tied to the main platform of a multi-platform ISV."""
    h6_intl_share_per_cloud_share: float = 0.07
    """H6: ISVs: international revenue share per unit of cloud-subscription share (before clipping at 0)."""
    h7_win_rate_formal_solutions_diff: float = 0.009
    """H7: win-rate difference, partners with formal repeatable solutions vs without (size-varying)."""
    h8_si_isv_solution_share_trend: float = 0.005
    """H8: yearly increase of the share of SI revenue from ISV-based solutions."""
    h9_lead_share_channel: float = 0.54
    """H9: mean lead share of a channel pair (each pair has its own share around it)."""
    h9_lead_share_alliance: float = 0.46
    """H9: mean lead share of an alliance pair."""
    h9_pair_sd: float = 0.8
    """H9: SD of the pair-level lead propensity on the logit scale (items of a pair are not independent)."""
    h9_jv_new_customer_share: float = 0.60
    """H9: share of joint-venture deals with customers outside the parents' alliance pipeline."""
    h0_portal_diff: float = 0.0
    """H0: difference in agreement that the vendor portal is easy, ISVs vs resellers at equal size (a null)."""
    size_heterogeneity: float = 0.5
    """H2 and H7: micro firms get (1 + h) times the effect, larger firms (1 - h)."""
    confounding: float = 1.0
    """Strength of the size / business-model paths into both sides of H3 and H7 (0 switches them off)."""

    def __post_init__(self) -> None:
        for name in ("h9_lead_share_channel", "h9_lead_share_alliance", "h9_jv_new_customer_share"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0 or (name == "h9_jv_new_customer_share" and not 0.0 <= value <= 1.0):
                raise ValueError(f"{name} must be a share in (0, 1), got {value}")
        if self.h0_portal_diff != 0.0:
            raise ValueError("h0_portal_diff is the planted null and must stay 0")
        if not 0.0 <= self.size_heterogeneity < 1.0:
            raise ValueError(f"size_heterogeneity must be in [0, 1), got {self.size_heterogeneity}")

    def scaled(self, multiplier: float) -> PlantedEffects:
        """The same world with every confirmatory effect (H2-H9) multiplied by ``multiplier``.

        H9's two lead shares move symmetrically around their midpoint.

        >>> PlantedEffects().scaled(2.0).h7_win_rate_formal_solutions_diff
        0.018
        """
        from dataclasses import replace

        mid = (self.h9_lead_share_channel + self.h9_lead_share_alliance) / 2
        half = (self.h9_lead_share_channel - self.h9_lead_share_alliance) / 2 * multiplier
        return replace(
            self,
            h2_dso_reseller_distributor_days=self.h2_dso_reseller_distributor_days * multiplier,
            h3_rd_share_per_dso_day=self.h3_rd_share_per_dso_day * multiplier,
            h4_isv_support_trend_per_wave=self.h4_isv_support_trend_per_wave * multiplier,
            h5_isv_main_platform_share_diff=self.h5_isv_main_platform_share_diff * multiplier,
            h6_intl_share_per_cloud_share=self.h6_intl_share_per_cloud_share * multiplier,
            h7_win_rate_formal_solutions_diff=self.h7_win_rate_formal_solutions_diff * multiplier,
            h8_si_isv_solution_share_trend=self.h8_si_isv_solution_share_trend * multiplier,
            h9_lead_share_channel=mid + half,
            h9_lead_share_alliance=mid - half,
        )


@dataclass(frozen=True)
class MessRates:
    """Rates at which raw files are corrupted, per affected row (documented in the README)."""

    name_typo: float = 0.04
    """One-character edit (swap, drop, double, replace) in a company name."""
    comune_typo: float = 0.03
    """One-character edit in a comune name."""
    province_as_name: float = 0.05
    """Province written as its name ("Milano") instead of the sigla."""
    province_historical: float = 0.3
    """Forlì-Cesena / Pesaro-Urbino written with their old sigle FO / PS."""
    vat_missing_directory: float = 0.08
    vat_missing_survey: float = 0.25
    vat_missing_roster: float = 0.05
    vat_missing_pipeline: float = 0.30
    vat_invalid: float = 0.015
    """Check digit broken (a digit mistyped)."""
    vat_formatted: float = 0.15
    """Written with an ``IT`` prefix, spaces or dots."""
    vat_extra_zero: float = 0.005
    """A 12-digit value with an extra leading zero."""
    duplicate_rows: float = 0.03
    """A row repeated within the same source (with a spelling variant)."""
    revenue_unit_error: float = 0.004
    """Revenue written in thousands instead of euro (an outlier)."""
    mix_out_of_tolerance: float = 0.04
    """Survey revenue mix whose percentages sum far from 100."""
    item_missing: float = 0.03
    """A survey answer left blank."""

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"MessRates.{name} must be a rate in [0, 1], got {value}")


@dataclass(frozen=True)
class WorldConfig:
    """Size and shape of the simulated world."""

    n_firms: int = 15_000
    waves: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)
    n_vendors: int = 15
    n_customers: int = 12_000
    responses_per_wave: int = 2_000
    panel_persistence: float = 1.6
    """Log-odds bonus to respond for firms that answered the previous wave."""
    size_response_elasticity: float = 0.45
    """Log-odds of responding per unit of log(employees): larger firms answer more often."""
    nonignorable_response: float = 0.0
    """Scenario 'non-ignorable response': log-odds of responding per SD of the firm's own win rate
    that wave (firms that win more answer more often). 0 in the default world (response depends on
    size and panel history only, which the weights can model); set e.g. 0.5 to see the estimators'
    bias when response depends on an outcome."""
    directory_coverage: tuple[float, float] = (0.62, 0.55)
    """Share of firms listed by analyst A (Italian CSV) and analyst B (English XLSX)."""
    roster_coverage: float = 0.85
    """Share of a vendor's partners that appear on its published roster."""
    n_channel_deals: int = 14_000
    n_alliances: int = 40
    n_alliance_deals: int = 6_000
    n_jv_deals: int = 600
    effects: PlantedEffects = field(default_factory=PlantedEffects)
    mess: MessRates = field(default_factory=MessRates)

    def __post_init__(self) -> None:
        if self.n_firms < 500:
            raise ValueError(f"n_firms must be at least 500 (got {self.n_firms})")
        if not 10 <= self.n_vendors <= 20:
            raise ValueError(f"n_vendors must be between 10 and 20 (got {self.n_vendors})")
        if not self.waves or list(self.waves) != sorted(set(self.waves)):
            raise ValueError(f"waves must be increasing distinct years (got {self.waves})")
        if self.responses_per_wave * min(1.0, self.n_firms / 15_000) >= 0.5 * self.n_firms:
            raise ValueError("responses_per_wave must be well below n_firms (at most half)")
        if abs(sum(TYPE_SHARES.values()) - 1.0) > 1e-9:
            raise ValueError("TYPE_SHARES must sum to 1")
        assert set(TYPE_SHARES) | {"platform_vendor"} == set(PARTNER_TYPES)
        assert len(REVENUE_STREAMS) == 6

    def scaled(self) -> WorldConfig:
        """Counts that follow the number of firms (responses, customers, deals) scaled to it."""
        k = self.n_firms / 15_000
        if k == 1:
            return self
        from dataclasses import replace

        return replace(
            self,
            n_customers=max(200, round(self.n_customers * k)),
            responses_per_wave=max(100, round(self.responses_per_wave * k)),
            n_channel_deals=max(300, round(self.n_channel_deals * k)),
            n_alliance_deals=max(150, round(self.n_alliance_deals * k)),
            n_jv_deals=max(40, round(self.n_jv_deals * k)),
            n_alliances=max(8, round(self.n_alliances * min(1.0, k * 2))),
        )
