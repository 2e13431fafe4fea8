"""Analysis stage: partner segmentation, survey weights and business-model clusters.

``analyze(processed)`` reads the build's tables and writes, next to them:

``segments.parquet``        one row per firm: partner type, the rule that decided it, business-model
                            cluster, cluster name and membership probability (respondents only)
``survey_weights.parquet``  one weight per survey response, calibrated per wave to the directory
                            frame's margins (partner type x size class, and macro-area)
``weights_report.csv``      per wave: convergence, trimming, Kish design effect, effective n
``analysis_report.json``    rule counts, cluster selection (BIC, silhouette), stability

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
from channelstudy.analysis.raking import RakingConfig
from channelstudy.analysis.segments import classify_partners, firm_mix
from channelstudy.analysis.weights import weight_waves
from channelstudy.catalog import TABLES, read_table, write_table
from channelstudy.clean.size import SIZE_CLASS_DTYPE
from channelstudy.vocabulary import REVENUE_STREAMS

log = logging.getLogger(__name__)

MIX_COLUMNS = [f"mix_{s}" for s in REVENUE_STREAMS]


@dataclass(frozen=True)
class AnalyzeConfig:
    """Settings of the analysis stage."""

    raking: RakingConfig = field(default_factory=RakingConfig)
    n_components_range: tuple[int, int] = (2, 8)
    n_bootstrap: int = 20
    random_state: int = 0

    def __post_init__(self) -> None:
        low, high = self.n_components_range
        if not 1 <= low <= high:
            raise ValueError(f"n_components_range must be (low, high) with 1 <= low <= high, got {(low, high)}")
        if self.n_bootstrap < 0:
            raise ValueError("n_bootstrap must be >= 0")


@dataclass
class AnalyzeResult:
    segments: pd.DataFrame
    weights: pd.DataFrame
    weights_report: pd.DataFrame
    report: dict
    model: BusinessModelClustering | None


def survey_weights(survey: pd.DataFrame, firms: pd.DataFrame, segments: pd.DataFrame, frame: pd.DataFrame,
                   config: AnalyzeConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rake each wave to the frame's margins; respondents carry their firm's resolved attributes."""
    attrs = firms[["firm_id", "size_class", "macro_area"]].merge(segments[["firm_id", "partner_type"]], on="firm_id")
    resp = survey[["firm_id", "wave", "source", "record_id"]].merge(attrs, on="firm_id", how="left")
    # size classes are ordered, so thin cells can be collapsed with a neighbouring class
    resp = resp.astype({"partner_type": "str", "size_class": SIZE_CLASS_DTYPE, "macro_area": "str"})
    frame = frame.astype({"size_class": SIZE_CLASS_DTYPE})
    weights, report = weight_waves(resp, frame, dimensions=[("partner_type", "size_class"), "macro_area"],
                                   config=config.raking)
    out = resp[["firm_id", "wave", "source", "record_id"]].assign(weight=weights.astype("Float64").to_numpy())
    return out, report.reset_index()


def cluster_business_models(survey: pd.DataFrame, config: AnalyzeConfig
                            ) -> tuple[pd.DataFrame, BusinessModelClustering | None, dict]:
    """Cluster respondents' mean revenue mixes; one row per clustered firm."""
    mix = firm_mix(survey)
    if len(mix) < 50:
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
        "stability_mean_ari": round(float(model.stability_), 6),
        "profiles": {str(name): {c: round(float(v), 6) for c, v in row.items()}
                     for name, row in model.profiles_.loc["arithmetic"].iterrows()},
    }
    return clusters, model, summary


def analyze(processed: str | Path, *, config: AnalyzeConfig | None = None,
            tables_dir: str | Path | None = None) -> AnalyzeResult:
    """Run the analysis stage on the build's tables in ``processed``; write its outputs there.

    Parameters
    ----------
    processed : path
        Folder with the build's outputs (``firms.parquet``, ``survey.parquet``, ...).
    config : AnalyzeConfig, optional
    tables_dir : path, optional
        Where to write ``weights_report.csv`` as well (e.g. ``reports/tables``).
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
    listed = directory_frame(firms, segments, directories)
    frame = listed.dropna(subset=["partner_type", "size_class", "macro_area"])
    weights, weights_report = survey_weights(survey, firms, segments, frame, config)
    clusters, model, cluster_summary = cluster_business_models(survey, config)
    segments = segments.merge(clusters, on="firm_id", how="left").astype(
        {"cluster": "Int64", "cluster_name": "str", "membership_prob": "Float64"})

    report = {
        "partner_type_rules": {k: int(v) for k, v in classified.rule_counts().items()},
        "partner_types": {k: int(v) for k, v in segments["partner_type"].value_counts().sort_index().items()},
        "frame": {"n_firms": int(len(frame)), "n_left_out_unknown_cell": int(len(listed) - len(frame)),
                  "directory_sources": directories},
        "clustering": cluster_summary,
        "config": {"n_components_range": list(config.n_components_range), "n_bootstrap": config.n_bootstrap,
                   "random_state": config.random_state, "raking": asdict(config.raking)},
    }
    write_table("segments", segments, processed)
    write_table("survey_weights", weights, processed)
    write_table("weights_report", weights_report, processed)
    if tables_dir is not None:
        write_table("weights_report_table", weights_report, tables_dir)
    write_table("analysis_report", report, processed)
    return AnalyzeResult(segments, weights, weights_report, report, model)
