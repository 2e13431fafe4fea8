"""The analysis stage's survey weights: every scheme, the chosen one, its fallbacks and diagnostics.

:func:`stage_weights` computes, per wave, the weights of each of
:data:`channelstudy.analysis.schemes.STAGE_SCHEMES` the data support -- calibrated to population
margins by ATECO class, raked to the directory frame (:func:`weigh`), inverse response
propensities within the directory frame, none -- and returns the one ``AnalyzeConfig.weighting``
asks for (``calibrated`` falls back to ``frame``, and any scheme that cannot run to unweighted,
with one warning), the per-wave report, the balance table of all schemes side by side and the
weight variants (scheme x trimming cap) of the sensitivity runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from channelstudy.analysis.frame import raking_dimensions
from channelstudy.analysis.ipw import trim_weights
from channelstudy.analysis.margins import CLASS_DIMENSION, margins_from_table
from channelstudy.analysis.schemes import MIN_PLACED_SHARE, frame_ipw_weights, margin_weights, weight_summary
from channelstudy.analysis.sensitivity import CAPS, variant_name
from channelstudy.analysis.weights import REPORT_COLUMNS, weight_waves
from channelstudy.clean.size import SIZE_CLASS_DTYPE
from channelstudy.errors import RakingError

if TYPE_CHECKING:
    from channelstudy.analysis import AnalyzeConfig

log = logging.getLogger(__name__)

RAN = "ran"
"""Status of a step that ran (else ``not run: <why>``, as in the hypothesis catalogue)."""
IDS = ["firm_id", "wave", "source", "record_id"]
IPW_COVARIATES: tuple[str, ...] = ("ateco_class", "log_employees")
"""Frame covariates of the response model (the same information as the calibration margins)."""
BALANCE_COVARIATES: tuple[str, ...] = ("macro_area", "legal_form", "log_revenue", "partner_type", "size_class")
"""Covariates of the balance table (whether each is a scheme's margin is in its ``margin`` column)."""
MARGINS_OF: dict[str, tuple[str, ...]] = {
    "calibrated": ("ateco_class", "size_class"),  # size class follows employees, a calibration total
    "frame": ("partner_type", "size_class", "macro_area"),
    "ipw": ("ateco_class", "size_class"),
}
"""The variables each scheme is built on (balance on them is by construction, not evidence)."""


@dataclass
class StageWeights:
    """What :func:`stage_weights` returns."""

    weights: pd.DataFrame
    report: pd.DataFrame
    frame: pd.DataFrame
    status: str
    scheme: str
    statuses: dict[str, str]
    balance: pd.DataFrame
    variants: pd.DataFrame


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


def frame_weights(survey: pd.DataFrame, firms: pd.DataFrame, segments: pd.DataFrame, listed: pd.DataFrame,
                  config: AnalyzeConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """Weights raked to the directory frame when it supports margins: (weights, report, frame, status).

    When it does not, the weights are ``None`` and the status says why.
    """
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
            notes = [f"margins without {', '.join(dropped)} (mostly unknown in the frame)"] if dropped else []
            if dropped:
                log.warning("survey weights calibrated without %s (known for under half the directory frame)",
                            ", ".join(dropped))
            uncovered = report[report["population_uncovered"] > 0]
            for wave, cells in zip(uncovered["wave"], uncovered["uncovered_cells"], strict=True):
                log.warning("survey wave %s has no respondent in %s: its weights stand for the rest of the frame",
                            wave, cells)
                notes.append(f"wave {wave} without {cells}: no respondents")
            status = f"{RAN}: {'; '.join(notes)}" if notes else RAN
            return weights, report, frame, status
    return None, None, frame, status


def weigh(survey: pd.DataFrame, firms: pd.DataFrame, segments: pd.DataFrame, listed: pd.DataFrame,
          config: AnalyzeConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """Weights raked to the directory frame, else unweighted: (weights, report, frame, status)."""
    weights, report, frame, status = frame_weights(survey, firms, segments, listed, config)
    if weights is None:
        if not survey.empty:
            log.warning("survey weights %s: estimates are unweighted", status)
        weights, report = unweighted(survey)
    return weights, report, frame, status


def firm_attributes(firms: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Per firm: the calibration, response-model and balance covariates."""
    employees = pd.to_numeric(firms["employees"], errors="coerce").astype(float)
    revenue = pd.to_numeric(firms["revenue_eur"], errors="coerce").astype(float)
    return firms[["firm_id", "macro_area", "legal_form", "size_class"]].assign(
        ateco_class=firms["ateco_2025"].astype("str").str[:5].where(firms["ateco_2025"].notna()),
        employees=employees,
        log_employees=np.log(employees.where(employees > 0)),
        log_revenue=np.log1p(revenue.where(revenue >= 0)),
    ).merge(segments[["firm_id", "partner_type"]], on="firm_id", how="left")


def _calibrated(responses: pd.DataFrame, margins_table: pd.DataFrame | None, origin: str, config: AnalyzeConfig,
                trim_ratio: float | None) -> tuple[pd.Series | None, pd.DataFrame | None, str]:
    if margins_table is None:
        return None, None, f"not run: no population margins ({origin})"
    margins = margins_from_table(margins_table, employees=config.employees_margin)
    classes = margins[CLASS_DIMENSION].index
    placed = responses["ateco_class"].isin(list(classes)).mean() if len(responses) else 0.0
    if placed < MIN_PLACED_SHARE:
        return None, None, (f"not run: the margins' ATECO classes hold {placed:.0%} of the responses "
                            f"(needs {MIN_PLACED_SHARE:.0%})")
    bounds = config.bounds
    try:
        weights, report = margin_weights(responses, margins, trim_ratio=trim_ratio, bounds=bounds,
                                         min_cell=config.raking.min_cell)
    except RakingError as exc:
        return None, None, f"not run: calibration failed ({exc})"
    if not report["converged"].all():  # no weights inside the bounds meet every margin
        missed = report.index[~report["converged"].to_numpy(dtype=bool)]
        return None, None, (f"not run: no weights between {bounds[0]:g} and {bounds[1]:g} times the mean meet the "
                            f"margins in wave(s) {', '.join(map(str, missed))}")
    return weights, report.reset_index(), RAN


def calibration_reweigher(firms: pd.DataFrame, segments: pd.DataFrame, margins_table: pd.DataFrame,
                          config: AnalyzeConfig) -> Callable[[pd.DataFrame, pd.Series], pd.Series]:
    """``weigh(sample, base)``: the stage's calibration redone on a replicate of the survey.

    For replicate-weight SEs that account for calibration
    (:func:`channelstudy.analysis.replicates.replicate_weights`, the ``weigh`` of
    :class:`channelstudy.hypotheses.study.StudyData`): ``sample`` holds survey rows (``firm_id``,
    ``wave``), ``base`` their resampling factors; the margins, bounds, pooling and cap are the stage's,
    the cap applied per copy of a firm (a firm drawn ``k`` times may weigh ``k`` times the cap).  With
    every factor 1 it gives the stage's calibrated weights.
    """
    attrs = firm_attributes(firms, segments)
    margins = margins_from_table(margins_table, employees=config.employees_margin)

    def weigh(sample: pd.DataFrame, base: pd.Series) -> pd.Series:
        responses = sample[["firm_id", "wave"]].merge(attrs, on="firm_id", how="left").set_index(sample.index)
        weights, _ = margin_weights(responses, margins, trim_ratio=config.trim_ratio, bounds=config.bounds,
                                    min_cell=config.raking.min_cell, base_weights=base)
        return weights

    return weigh


def _ipw(responses: pd.DataFrame, frame: pd.DataFrame, total: float | None, trim_ratio: float | None
         ) -> tuple[pd.Series | None, str]:
    if frame.empty or responses["firm_id"].isin(frame["firm_id"]).sum() < 2:
        return None, "not run: no directory frame with respondents in it"
    weights = frame_ipw_weights(responses, frame.assign(ateco_class=frame["ateco_class"].fillna("unknown")),
                                IPW_COVARIATES, total=total, trim_ratio=trim_ratio)
    return weights, RAN


def stage_weights(survey: pd.DataFrame, firms: pd.DataFrame, segments: pd.DataFrame, listed: pd.DataFrame,
                  margins_table: pd.DataFrame | None, origin: str, config: AnalyzeConfig) -> StageWeights:
    """Every scheme's weights; the chosen one with its fallbacks; the balance table; the variants.

    Parameters
    ----------
    survey, firms, segments : DataFrame
        The build's survey and firms tables and the partner typing.
    listed : DataFrame
        The directory frame (:func:`channelstudy.analysis.frame.directory_frame`).
    margins_table : DataFrame or None
        Population margins (:func:`channelstudy.analysis.margins.resolve_margins`) and ``origin``,
        where they come from.
    config : AnalyzeConfig
    """
    attrs = firm_attributes(firms, segments)
    responses = survey[IDS].merge(attrs, on="firm_id", how="left").set_index(survey.index)
    frame_cov = listed[["firm_id"]].merge(attrs, on="firm_id").dropna(subset=["log_employees"])
    raking = replace(config.raking, trim_ratio=config.trim_ratio)
    frame_w, frame_report, frame, frame_status = frame_weights(survey, firms, segments, listed,
                                                               replace(config, raking=raking))
    statuses = {"frame": frame_status}
    cal_w, cal_report, statuses["calibrated"] = _calibrated(responses, margins_table, origin, config, config.trim_ratio)
    total = float(margins_from_table(margins_table)[CLASS_DIMENSION].sum()) if cal_w is not None else None
    ipw_raw, statuses["ipw"] = _ipw(responses, frame_cov, total, None)  # the response model is fitted once
    ipw_w = None if ipw_raw is None else trim_waves(ipw_raw, responses["wave"], config.trim_ratio)
    statuses["none"] = "not run: weighting = none (AnalyzeConfig)"
    ids = responses[IDS]
    chosen = config.weighting
    if chosen == "calibrated" and cal_w is None:
        log.info("calibrated weights %s: raking to the directory frame instead", statuses["calibrated"])
        chosen = "frame"
    if chosen == "calibrated":
        weights, report = ids.assign(weight=cal_w.astype("Float64").to_numpy()), cal_report
    elif chosen == "frame" and statuses["frame"].startswith(RAN):
        weights, report = frame_w, frame_report
    elif chosen == "frame":
        log.warning("survey weights %s: estimates are unweighted", statuses["frame"])
        weights, report = unweighted(survey)
    elif chosen == "ipw" and ipw_w is not None:
        weights = ids.assign(weight=ipw_w.astype("Float64").to_numpy())
        report = _ipw_report(responses, ipw_w)
    else:
        if not survey.empty:
            log.warning("survey weights %s: estimates are unweighted", statuses[chosen])
        weights, report = unweighted(survey)
    by_scheme = {"none": pd.Series(1.0, index=responses.index), "calibrated": cal_w,
                 "frame": frame_w["weight"].astype(float) if statuses["frame"].startswith(RAN) else None,
                 "ipw": ipw_w}
    balance = weight_summary({k: v for k, v in by_scheme.items() if v is not None}, responses, frame_cov,
                             BALANCE_COVARIATES, MARGINS_OF) if len(frame_cov) else weight_summary({}, responses, frame_cov,
                                                                                                  (), MARGINS_OF)
    variants = weight_variants(responses, margins_table, origin, config, ipw_raw,
                               ran={k for k, v in by_scheme.items() if v is not None})
    return StageWeights(weights, report, frame, statuses[chosen], chosen, statuses, balance, variants)


def _ipw_report(responses: pd.DataFrame, weights: pd.Series) -> pd.DataFrame:
    rows = []
    for wave, w in weights.groupby(responses["wave"].to_numpy()):
        kept = w.dropna()
        deff = float(len(kept) * (kept**2).sum() / kept.sum() ** 2)
        rows.append({"wave": wave, "n": len(kept), "n_excluded": int(w.isna().sum()),
                     "population_total": float(kept.sum()), "converged": True, "iterations": 0,
                     "max_margin_error": np.nan, "trimmed": 0, "max_weight_ratio": float(kept.max() / kept.mean()),
                     "cap_met": True, "deff_kish": deff, "n_effective": len(kept) / deff,
                     "weight_min": float(kept.min()), "weight_median": float(kept.median()),
                     "weight_max": float(kept.max()), "collapsed_cells": "", "thin_cells": "",
                     "uncovered_cells": "", "population_uncovered": 0.0})
    return pd.DataFrame(rows)


def trim_waves(weights: pd.Series, waves: pd.Series, trim_ratio: float | None) -> pd.Series:
    """Each wave's weights capped at ``trim_ratio`` times its mean (:func:`trim_weights`); NA kept.

    Examples
    --------
    >>> trim_waves(pd.Series([1.0, 1.0, 1.0, 9.0, 5.0]), pd.Series([1, 1, 1, 1, 2]), 2.0).tolist()
    [2.0, 2.0, 2.0, 6.0, 5.0]
    """
    if trim_ratio is None:
        return weights
    out = weights.copy()
    for wave in pd.unique(waves.dropna()):
        rows = (waves == wave).to_numpy() & weights.notna().to_numpy()
        if rows.any():
            out[rows] = trim_weights(weights[rows].to_numpy(float), trim_ratio)
    return out


def weight_variants(responses: pd.DataFrame, margins_table: pd.DataFrame | None, origin: str,
                    config: AnalyzeConfig, ipw_raw: pd.Series | None, *, ran: set[str]) -> pd.DataFrame:
    """One weight column per scheme (calibrated, IPW) and trimming cap of :data:`CAPS`, and ``none``.

    The columns of schemes that did not run are left out.  Keyed by ``source`` and ``record_id``.
    """
    out = responses[["source", "record_id"]].assign(none=1.0)
    for cap in CAPS:
        if "calibrated" in ran:
            w, _, status = _calibrated(responses, margins_table, origin, config, cap)
            if w is None:
                log.info("sensitivity variant %s %s", variant_name("calibrated", cap), status)
                continue
            out[variant_name("calibrated", cap)] = w.to_numpy(float)
        if "ipw" in ran:
            out[variant_name("ipw", cap)] = trim_waves(ipw_raw, responses["wave"], cap).to_numpy(float)
    return out.reset_index(drop=True)
