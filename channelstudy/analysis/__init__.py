"""Analysis stage: partner segmentation, survey weights and business-model clusters.

``analyze(processed)`` reads the build's tables and writes, next to them:

``segments.parquet``        one row per firm: partner type, the rule that decided it, business-model
                            cluster, cluster name and membership probability (respondents only)
``survey_weights.parquet``  one weight per survey response, per wave, by ``AnalyzeConfig.weighting``:
                            ``calibrated`` (default) to the population margins by ATECO class
                            (enterprises and persons employed; partner type is a domain, never a
                            margin), ``frame`` (raked to the directory frame: partner type x size
                            class, and macro-area), ``ipw`` or ``none``
``weight_variants.parquet`` one weight column per scheme and trimming cap (the sensitivity runs)
``weights_report.csv``      per wave: convergence, trimming, Kish design effect, effective n
``weights_balance.csv``     (tables) every scheme side by side: SMD against the directory frame on
                            covariates, Kish design effect, effective n, weight quantiles
``analysis_report.json``    rule counts, cluster selection (BIC, silhouette), stability, and ``stages``:
                            for each step (partner typing, weights, clustering) ``ran`` or
                            ``not run: <why>``

Each step runs on what the data supports: partner types from whatever evidence exists (none at
all leaves every firm ``unclassified``); calibrated weights when population margins exist and their
ATECO classes match the data (:func:`channelstudy.analysis.margins.resolve_margins`: a simulated
world's own margins from its raw folder, else the real ISTAT table of ``data/external``; a
simulated world is never calibrated to real counts), else raked to the directory frame when one
exists, else every weight is missing and the catalogue runs unweighted; clusters when enough
revenue mixes exist.

Everything is seeded; the same tables give byte-identical outputs.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.analysis.clustering import BusinessModelClustering
from channelstudy.analysis.frame import directory_frame, directory_sources
from channelstudy.analysis.margins import is_simulated, resolve_margins
from channelstudy.analysis.raking import RakingConfig
from channelstudy.analysis.schemes import STAGE_SCHEMES
from channelstudy.analysis.segments import classify_partners, firm_mix
from channelstudy.analysis.stage_weights import RAN, stage_weights, survey_weights, unweighted, weigh
from channelstudy.catalog import TABLES, read_table, write_table, write_tables
from channelstudy.vocabulary import REVENUE_STREAMS

__all__ = ["MIN_CLUSTERED_FIRMS", "RAN", "AnalyzeConfig", "AnalyzeResult", "analyze", "cluster_business_models",
           "survey_weights", "typing_status", "unweighted", "weigh"]

log = logging.getLogger(__name__)

MIX_COLUMNS = [f"mix_{s}" for s in REVENUE_STREAMS]
MIN_CLUSTERED_FIRMS = 50
"""Fewer firms with a revenue mix than this: no business-model clustering."""


@dataclass(frozen=True)
class AnalyzeConfig:
    """Settings of the analysis stage.

    Parameters
    ----------
    weighting : str
        One of :data:`STAGE_SCHEMES`: ``calibrated`` (population margins by ATECO class),
        ``frame`` (raked to the directory frame), ``ipw`` (response propensities within the
        directory frame) or ``none``.  When ``calibrated`` cannot run it falls back to ``frame``.
    trim_ratio : float or None
        Cap on weights as a multiple of the wave's mean weight, for every scheme (it replaces
        ``raking.trim_ratio``); it binds (see :func:`channelstudy.analysis.calibration.calibrate`).
    lower_bound, upper_bound : float
        Bounds of the calibrated weights as multiples of the mean weight (logit calibration), before
        trimming.
    employees_margin : bool
        Calibrate to persons employed by class as well as to enterprises.

    Examples
    --------
    >>> AnalyzeConfig(weighting="ipw", trim_ratio=3.0).bounds
    (0.1, 10.0)
    >>> AnalyzeConfig(weighting="raked")
    Traceback (most recent call last):
    ...
    ValueError: weighting must be one of ('calibrated', 'frame', 'ipw', 'none'), got 'raked'
    """

    raking: RakingConfig = field(default_factory=RakingConfig)
    n_components_range: tuple[int, int] = (1, 10)
    n_bootstrap: int = 20
    random_state: int = 0
    weighting: str = "calibrated"
    trim_ratio: float | None = 5.0
    lower_bound: float = 0.1
    upper_bound: float = 10.0
    employees_margin: bool = True

    def __post_init__(self) -> None:
        low, high = self.n_components_range
        if not 1 <= low <= high:
            raise ValueError(f"n_components_range must be (low, high) with 1 <= low <= high, got {(low, high)}")
        if self.n_bootstrap < 0:
            raise ValueError("n_bootstrap must be >= 0")
        if self.weighting not in STAGE_SCHEMES:
            raise ValueError(f"weighting must be one of {STAGE_SCHEMES}, got {self.weighting!r}")
        if self.trim_ratio is not None and not self.trim_ratio > 1:
            raise ValueError(f"trim_ratio must exceed 1 or be None, got {self.trim_ratio}")
        if not 0 <= self.lower_bound < 1 < self.upper_bound < np.inf:
            raise ValueError(f"bounds must satisfy 0 <= lower_bound < 1 < upper_bound < inf, got "
                             f"{(self.lower_bound, self.upper_bound)}")

    @property
    def bounds(self) -> tuple[float, float]:
        """Bounds of the calibrated weights' ratio to the mean weight: (``lower_bound``, ``upper_bound``)."""
        return (self.lower_bound, self.upper_bound)


@dataclass
class AnalyzeResult:
    segments: pd.DataFrame
    weights: pd.DataFrame
    weights_report: pd.DataFrame
    report: dict
    model: BusinessModelClustering | None
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)


def cluster_business_models(survey: pd.DataFrame, config: AnalyzeConfig
                            ) -> tuple[pd.DataFrame, BusinessModelClustering | None, dict]:
    """Cluster respondents' mean revenue mixes; one row per clustered firm."""
    mix = firm_mix(survey)
    if len(mix) < MIN_CLUSTERED_FIRMS:
        log.warning("only %d firms with a revenue mix: no clustering", len(mix))
        return pd.DataFrame(columns=["firm_id", "cluster", "cluster_name", "membership_prob"]), None, {}
    model = BusinessModelClustering(n_components_range=config.n_components_range, n_bootstrap=config.n_bootstrap,
                                    random_state=config.random_state)
    model.fit(mix[MIX_COLUMNS])
    proba = model.predict_proba(mix[MIX_COLUMNS])
    labels = proba.argmax(axis=1)
    names = np.asarray(model.cluster_names_, dtype=object)
    clusters = pd.DataFrame({"firm_id": mix.index.to_numpy(), "cluster": labels.astype(np.int64),
                             "cluster_name": names[labels], "membership_prob": proba.max(axis=1).round(6)})
    summary = {
        "n_firms": int(len(mix)),
        "n_components": int(model.n_components_),
        "n_clusters": int(model.n_clusters_),
        "cluster_names": list(map(str, model.cluster_names_)),
        "bic": {str(k): round(float(v), 3) for k, v in model.bic_.items()},
        "silhouette": {str(k): round(float(v), 6) for k, v in model.silhouette_.items()},
        "selection": model.selection,
        "icl": {str(k): round(float(v), 3) for k, v in model.icl_.items()},
        "at_bound": bool(model.at_bound_),
        "structure": str(model.structure_),
        "family_names": list(map(str, model.family_names_)),
        "stability_mean_ari": round(float(model.stability_), 6),
        "stability_k": [int(k) for k in model.stability_k_],
        "cluster_stability": {str(k): round(float(v), 6) for k, v in pd.Series(model.cluster_stability_).items()},
        "profiles": {str(name): {c: round(float(v), 6) for c, v in row.items()}
                     for name, row in model.profiles_.loc["arithmetic"].iterrows()},
    }
    return clusters, model, summary


def typing_status(classified) -> str:
    """``ran`` when some evidence typed a firm; else every firm is ``unclassified`` (said once, here)."""
    if classified.table["partner_type"].notna().any():
        return RAN
    if len(classified.table):
        log.warning("no partner-type evidence (declared types, ATECO classes, vendor rosters, revenue mixes): "
                    "all %d firms are unclassified", len(classified.table))
    return "not run: no partner-type evidence (every firm unclassified)"


def analyze(processed: str | Path, *, config: AnalyzeConfig | None = None,
            tables_dir: str | Path | None = None, margins: str | Path | None = None) -> AnalyzeResult:
    """Run the analysis stage on the build's tables in ``processed``; write its outputs there.

    Parameters
    ----------
    processed : path
        Folder with the build's outputs (``firms.parquet``, ``survey.parquet``, ...).
    config : AnalyzeConfig, optional
    tables_dir : path, optional
        Where to write ``weights_report.csv`` and ``weights_balance.csv`` (e.g. ``reports/tables``).
    margins : path, optional
        The raw folder the data were built from, or a margins file: where the population margins
        of the calibrated weights come from (:func:`channelstudy.analysis.margins.resolve_margins`).
        Without it the weights are raked to the directory frame.
    """
    config = config or AnalyzeConfig()
    processed = Path(processed)
    missing = [TABLES[n].filename for n in ("firms", "survey", "vendor_roster") if not TABLES[n].exists(processed)]
    if missing:
        raise FileNotFoundError(f"{processed} has no {', '.join(missing)}: run `channelstudy build` first")
    firms = read_table("firms", processed)
    survey = read_table("survey", processed)
    roster = read_table("vendor_roster", processed)
    build_report = read_table("build_report", processed)
    directories = directory_sources(build_report)

    classified = classify_partners(firms, vendors=sorted(roster["vendor"].dropna().unique()), survey=survey)
    segments = classified.table
    typing = typing_status(classified)
    listed = directory_frame(firms, segments, directories)
    margins_table, origin = resolve_margins(margins)
    if margins is not None:
        log.info("population margins: %s", origin)
    weighted = stage_weights(survey, firms, segments, listed, margins_table, origin, config)
    weights, weights_report, frame, weighting = weighted.weights, weighted.report, weighted.frame, weighted.status
    clusters, model, cluster_summary = cluster_business_models(survey, config)
    clustering = RAN if model is not None else \
        f"not run: {len(firm_mix(survey))} firms with a revenue mix (needs {MIN_CLUSTERED_FIRMS})"
    segments = segments.merge(clusters, on="firm_id", how="left").astype(
        {"cluster": "Int64", "cluster_name": "str", "membership_prob": "Float64"})

    report = {
        "partner_type_rules": {k: int(v) for k, v in classified.rule_counts().items()},
        "partner_types": {k: int(v) for k, v in segments["partner_type"].value_counts().sort_index().items()},
        "frame": {"n_firms": int(len(frame)), "n_left_out_unknown_cell": int(len(listed) - len(frame)),
                  "directory_sources": directories},
        "weighting": {"requested": config.weighting, "used": weighted.scheme, "margins": origin,
                      "simulated_margins": bool(margins_table is not None and is_simulated(margins_table)),
                      "schemes": weighted.statuses},
        "clustering": cluster_summary,
        "stages": {"partner_typing": typing, "weights": weighting, "clustering": clustering},
        "config": {"n_components_range": list(config.n_components_range), "n_bootstrap": config.n_bootstrap,
                   "random_state": config.random_state, "raking": asdict(config.raking),
                   "weighting": config.weighting, "trim_ratio": config.trim_ratio, "bounds": list(config.bounds),
                   "employees_margin": config.employees_margin},
    }
    write_tables({"segments": segments, "survey_weights": weights, "weights_report": weights_report,
                  "weight_variants": weighted.variants, "analysis_report": report}, processed)
    if tables_dir is not None:
        write_table("weights_report_table", weights_report, tables_dir)
        write_table("weights_balance", weighted.balance, tables_dir)
    return AnalyzeResult(segments, weights, weights_report, report, model, weighted.balance)
