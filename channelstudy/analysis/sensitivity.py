"""Survey weights under every scheme and trimming cap, per wave: the input of a sensitivity analysis.

:func:`weight_variants` gives each survey response one weight column per variant
``<scheme>_cap<cap>`` (schemes of :mod:`channelstudy.analysis.schemes`; ``none`` has no cap),
each wave weighted separately, from a frame and margins given directly (the analysis stage builds
its own variants in :func:`channelstudy.analysis.stage_weights.weight_variants`).
:func:`channelstudy.pipeline.sensitivity_table` reruns the hypothesis catalogue with each column
as the survey weight and reports which conclusions move (``reports/tables/sensitivity.csv``); the
hypotheses layer is above this one, so the rerun lives there, not here.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> firms = pd.DataFrame({"firm_id": [f"F{i}" for i in range(400)],
...                       "ateco_class": rng.choice(["62.10", "47.40"], 400),
...                       "employees": rng.integers(1, 50, 400).astype(float)})
>>> survey = firms.sample(120, random_state=1).assign(wave=2024)
>>> margins = {"ateco_class": firms.groupby("ateco_class").size().astype(float)}
>>> out = weight_variants(survey, firms, margins, ipw_covariates=["ateco_class", "employees"], caps=(5.0,))
>>> list(out.columns)
['none', 'raked_cap5', 'ipw_cap5']
>>> bool(np.allclose(out.groupby(survey["wave"].to_numpy()).sum(), 400))
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from channelstudy.analysis.calibration import calibrate
from channelstudy.analysis.ipw import ipw_weights

CAPS: tuple[float | None, ...] = (3.0, 5.0, 10.0)
"""Trimming caps of the sensitivity analysis (multiples of the mean weight)."""


def variant_name(scheme: str, cap: float | None) -> str:
    """``"raked_cap5"``, ``"ipw_capnone"``, ``"none"``."""
    if scheme == "none":
        return "none"
    return f"{scheme}_cap{'none' if cap is None else f'{cap:g}'}"


def weight_variants(survey: pd.DataFrame, frame: pd.DataFrame, margins: Mapping[str, pd.Series], *,
                    ipw_covariates: Sequence[str], caps: Sequence[float | None] = CAPS, wave_col: str = "wave",
                    firm_col: str = "firm_id") -> pd.DataFrame:
    """One weight column per scheme and cap, on the survey's index; each wave weighted separately.

    Parameters
    ----------
    survey : DataFrame
        Responses with ``wave_col``, ``firm_col`` and the calibration columns (``ateco_class`` and
        the variables of quantitative margins).
    frame : DataFrame
        One row per frame firm, with ``firm_col`` and ``ipw_covariates``; a wave's respondents are
        the frame firms among its responses (responses of firms outside the frame get NA from IPW).
    margins : mapping
        Calibration targets (:mod:`channelstudy.analysis.margins`).
    ipw_covariates : sequence of str
    caps : sequence of float or None
    wave_col, firm_col : str

    Returns
    -------
    DataFrame
        Columns ``none`` then ``raked_cap<c>`` and ``ipw_cap<c>`` for each cap.
    """
    names = ["none"] + [variant_name(s, c) for c in caps for s in ("raked", "ipw")]
    out = pd.DataFrame(np.nan, index=survey.index, columns=names)
    total = float(next(m for n, m in margins.items() if "|" not in n).sum())
    frame_ids = frame[firm_col].to_numpy()
    for wave in pd.unique(survey[wave_col].dropna()):
        rows = survey[survey[wave_col] == wave]
        out.loc[rows.index, "none"] = total / len(rows)
        responded = np.isin(frame_ids, rows[firm_col].to_numpy())
        for cap in caps:
            out.loc[rows.index, variant_name("raked", cap)] = calibrate(rows, dict(margins), trim_ratio=cap).weights
            ipw = ipw_weights(frame, responded, ipw_covariates, trim_ratio=cap, total=total)
            by_firm = pd.Series(ipw.to_numpy(), index=frame_ids[responded])
            out.loc[rows.index, variant_name("ipw", cap)] = rows[firm_col].map(by_firm).to_numpy(dtype=float)
    return out
