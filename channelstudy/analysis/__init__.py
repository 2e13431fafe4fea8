"""Analysis stage: partner segmentation, survey weights and business-model clusters.

``analyze(processed)`` reads the build's tables and writes, next to them:

``segments.parquet``        one row per firm: partner type, the rule that decided it, business-model
                            cluster, cluster name and membership probability (respondents only)
``survey_weights.parquet``  one weight per survey response, calibrated per wave to the directory
                            frame's margins (partner type x size class, and macro-area)
``weights_report.csv``      per wave: convergence, trimming, Kish design effect, effective n
``analysis_report.json``    rule counts, cluster selection (BIC, silhouette), stability, and ``stages``:
                            for each step (partner typing, weights, clustering) ``ran`` or
                            ``not run: <why>``

Each step runs on what the data supports: partner types from whatever evidence exists (none at
all leaves every firm ``unclassified``); weights when a directory frame exists (else every weight
is missing and the catalogue runs unweighted); clusters when enough revenue mixes exist.

Everything is seeded; the same tables give byte-identical outputs.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.analysis.clustering import BusinessModelClustering
from channelstudy.analysis.frame import directory_frame, directory_sources, raking_dimensions
from channelstudy.analysis.raking import RakingConfig
from channelstudy.analysis.segments import classify_partners, firm_mix
from channelstudy.analysis.weights import REPORT_COLUMNS, weight_waves
from channelstudy.catalog import TABLES, read_table, write_table, write_tables
from channelstudy.clean.size import SIZE_CLASS_DTYPE
from channelstudy.errors import RakingError
from channelstudy.vocabulary import REVENUE_STREAMS

log = logging.getLogger(__name__)

MIX_COLUMNS = [f"mix_{s}" for s in REVENUE_STREAMS]
MIN_CLUSTERED_FIRMS = 50
"""Fewer firms with a revenue mix than this: no business-model clustering."""
RAN = "ran"
"""Status of a step that ran (else ``not run: <why>``, as in the hypothesis catalogue)."""


@dataclass(frozen=True)
class AnalyzeConfig:
    """Settings of the analysis stage."""

    raking: RakingConfig = field(default_factory=RakingConfig)
    n_components_range: tuple[int, int] = (1, 10)
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
                   config: AnalyzeConfig, dimensions: list | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rake each wave to the frame's margins; respondents carry their firm's resolved attributes.

    ``dimensions`` defaults to the study's margins (partner type x size class, macro-area).
    """
    attrs = firms[["firm_id", "size_class", "macro_area"]].merge(segments[["firm_id", "partner_type"]], on="firm_id")
    resp = survey[["firm_id", "wave", "source", "record_id"]].merge(attrs, on="firm_id", how="left")
    # size classes are ordered, so thin cells can be collapsed with a neighbouring class
    resp = resp.astype({"partner_type": "str", "size_class": SIZE_CLASS_DTYPE, "macro_area": "str"})
    frame = frame.astype({"size_class": SIZE_CLASS_DTYPE})
    weights, report = weight_waves(resp, frame, dimensions=dimensions or [("partner_type", "size_class"), "macro_area"],
                                   config=config.raking)
    out = resp[["firm_id", "wave", "source", "record_id"]].assign(weight=weights.astype("Float64").to_numpy())
    return out, report.reset_index()


def unweighted(survey: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey weights when there is nothing to calibrate to: every weight missing, an empty report."""
    out = survey[["firm_id", "wave", "source", "record_id"]].assign(weight=pd.Series(pd.NA, index=survey.index,
                                                                                     dtype="Float64"))
    return out, pd.DataFrame({c: pd.Series([], dtype=object) for c in ("wave", *REPORT_COLUMNS)})


def weigh(survey: pd.DataFrame, firms: pd.DataFrame, segments: pd.DataFrame, listed: pd.DataFrame,
          config: AnalyzeConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """Weights when the directory frame supports margins, else unweighted: (weights, report, frame, status)."""
    dimensions, dropped = raking_dimensions(listed)
    used = [v for v in ("partner_type", "size_class", "macro_area") if v not in dropped]
    frame = listed.dropna(subset=used)
    if survey.empty:
        status = "not run: no survey responses"
    elif listed.empty:
        status = "not run: no directory frame (no directory source lists a partner)"
    elif not dimensions or frame.empty:
        status = f"not run: the directory frame lacks {', '.join(dropped)}"
    else:
        try:
            weights, report = survey_weights(survey, firms, segments, frame, config, dimensions)
        except RakingError as exc:  # e.g. respondents in a cell the frame does not have
            status = f"not run: raking failed ({exc})"
        else:
            status = RAN if not dropped else f"{RAN}: margins without {', '.join(dropped)} (mostly unknown in the frame)"
            if dropped:
                log.warning("survey weights calibrated without %s (known for under half the directory frame)",
                            ", ".join(dropped))
            return weights, report, frame, status
    if not survey.empty:
        log.warning("survey weights %s: estimates are unweighted", status)
    weights, report = unweighted(survey)
    return weights, report, frame, status


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
    typing = typing_status(classified)
    listed = directory_frame(firms, segments, directories)
    weights, weights_report, frame, weighting = weigh(survey, firms, segments, listed, config)
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
        "clustering": cluster_summary,
        "stages": {"partner_typing": typing, "weights": weighting, "clustering": clustering},
        "config": {"n_components_range": list(config.n_components_range), "n_bootstrap": config.n_bootstrap,
                   "random_state": config.random_state, "raking": asdict(config.raking)},
    }
    write_tables({"segments": segments, "survey_weights": weights, "weights_report": weights_report,
                  "analysis_report": report}, processed)
    if tables_dir is not None:
        write_table("weights_report_table", weights_report, tables_dir)
    return AnalyzeResult(segments, weights, weights_report, report, model)
