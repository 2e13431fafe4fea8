"""The analysis-ready tables of the hypothesis catalogue, joined once from the catalog's tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.analysis.frame import directory_sources, listed_by
from channelstudy.catalog import read_table
from channelstudy.vocabulary import CREDIT_TYPES, SOUTH

__all__ = ["StudyData", "load_study"]


@dataclass(frozen=True)
class StudyData:
    """The analysis-ready tables: survey rows with weights and firm attributes, firms, pipeline.

    ``weigh(sample, base_weights) -> weights``, when given, redoes the survey weighting on a resample
    (re-raking each replicate of a replicate-weight SE, :mod:`channelstudy.hypotheses.variance`);
    without it a replicate rescales the survey weights by its resampling factor.
    """

    survey: pd.DataFrame
    firms: pd.DataFrame
    pipeline: pd.DataFrame
    weigh: Callable[[pd.DataFrame, pd.Series], pd.Series] | None = None


def load_study(processed: str | Path) -> StudyData:
    """Survey responses joined with their weights, classified partner type and firm geography."""
    survey = read_table("survey", processed)
    weights = read_table("survey_weights", processed)
    segments = read_table("segments", processed)
    firms = read_table("firms", processed)
    pipeline = read_table("pipeline", processed)
    firm_attrs = firms[["firm_id", "macro_area", "employees"]].rename(columns={"employees": "firm_employees"})
    s = (survey.merge(weights[["source", "record_id", "weight"]], on=["source", "record_id"], how="left")
         .merge(segments[["firm_id", "partner_type"]], on="firm_id", how="left")
         .merge(firm_attrs, on="firm_id", how="left"))
    employees = s["employees"].fillna(s["firm_employees"]).astype(float)
    s = s.assign(
        credit=s["partner_type"].isin(CREDIT_TYPES).astype(float),
        isv=(s["partner_type"] == "isv").astype(float),
        south=s["macro_area"].isin(SOUTH).astype(float),
        log_emp=np.log(employees.where(employees > 0)),
        t=(s["wave"] - s["wave"].min()).astype(float),
        log_support_ratio=np.log((s["vendor_support_eur"].astype(float) / s["revenue_eur"].astype(float))
                                 .where(lambda x: x > 0)),
        formal=s["formal_solutions"].astype("Float64").astype(float),
    )
    firms = firms.merge(segments[["firm_id", "partner_type"]].rename(columns={"partner_type": "classified_type"}),
                        on="firm_id", how="left")
    firms["in_directory"] = listed_by(firms, directory_sources(read_table("build_report", processed)))
    return StudyData(survey=s, firms=firms, pipeline=pipeline)
