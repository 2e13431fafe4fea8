"""Weighting schemes side by side: no weights, raking to real margins, inverse-propensity weights.

:func:`scheme_weights` computes, for one set of respondents,

* ``none`` -- every respondent stands for the same number of population units;
* ``raked`` -- raking calibration (:func:`channelstudy.analysis.calibration.calibrate`) to the
  enterprise counts and persons employed by ATECO class (:mod:`channelstudy.analysis.margins`:
  ISTAT's on real data, the same counts on a simulated world's true population);
* ``ipw`` -- inverse response propensities from a logit of response on frame covariates
  (:func:`channelstudy.analysis.ipw.ipw_weights`), scaled to the frame size;

each with the same trimming cap.  :func:`share_table` sets the weighted shares of a categorical
variable beside the population's (when known), :func:`balance_report` the balance diagnostics
(:mod:`channelstudy.analysis.balance`) on covariates used by neither scheme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from channelstudy.analysis.balance import balance_table
from channelstudy.analysis.calibration import calibrate
from channelstudy.analysis.ipw import ipw_weights
from channelstudy.analysis.weights import weighted_share

SCHEMES: tuple[str, ...] = ("none", "raked", "ipw")
"""Weighting schemes compared, in report order."""


def scheme_weights(respondents: pd.DataFrame, frame: pd.DataFrame, responded: np.ndarray,
                   margins: Mapping[str, pd.Series], *, ipw_covariates: Sequence[str],
                   trim_ratio: float | None = 5.0) -> dict[str, pd.Series]:
    """Weights of the respondents under each of :data:`SCHEMES`.

    Parameters
    ----------
    respondents : DataFrame
        One row per respondent, with ``ateco_class`` and the columns of the quantitative margins.
    frame : DataFrame
        The frame (one row per unit, respondents included), with ``ipw_covariates``.
    responded : ndarray of bool
        Which frame rows are the respondents, in the order of ``respondents``.
    margins : mapping
        Calibration targets (:func:`channelstudy.analysis.margins.margins_from_table`).
    ipw_covariates : sequence of str
        Frame columns of the response model.
    trim_ratio : float or None
        Cap on weights as a multiple of the mean weight, for both schemes.

    Returns
    -------
    dict of str to Series
        Scheme -> weights on the respondents' index (``none``: the population total over n).
    """
    total = float(next(m for n, m in margins.items() if "|" not in n).sum())
    raked = calibrate(respondents, dict(margins), trim_ratio=trim_ratio).weights
    ipw = ipw_weights(frame, responded, ipw_covariates, trim_ratio=trim_ratio, total=total)
    return {
        "none": pd.Series(total / len(respondents), index=respondents.index, name="weight"),
        "raked": raked,
        "ipw": pd.Series(ipw.to_numpy(), index=respondents.index, name="weight"),
    }


def share_table(respondents: pd.DataFrame, weights: Mapping[str, pd.Series], column: str,
                population: pd.DataFrame | None = None) -> pd.DataFrame:
    """Weighted shares of ``column``'s levels under each scheme, with the population share if given.

    Returns
    -------
    DataFrame
        Columns ``variable``, ``level``, ``scheme``, ``share``, and ``truth`` and ``error``
        (share - truth) when ``population`` is given.
    """
    rows = []
    truth = None
    if population is not None:
        truth = population[column].astype(str).value_counts(normalize=True)
    values = respondents[column].astype(str)
    for scheme, w in weights.items():
        for level, share in weighted_share(values, w).items():
            row = {"variable": column, "level": str(level), "scheme": scheme, "share": float(share)}
            if truth is not None:
                row["truth"] = float(truth.get(level, 0.0))
                row["error"] = row["share"] - row["truth"]
            rows.append(row)
    return pd.DataFrame(rows)


def balance_report(respondents: pd.DataFrame, population: pd.DataFrame, weights: Mapping[str, pd.Series],
                   covariates: Sequence[str]) -> pd.DataFrame:
    """:func:`channelstudy.analysis.balance.balance_table` of every scheme, on ``covariates``."""
    return balance_table(respondents, population, covariates, {k: v.to_numpy() for k, v in weights.items()})


# --------------------------------------------------------------------------------------------
# The analysis stage's schemes: per wave, on the build's tables
# --------------------------------------------------------------------------------------------

STAGE_SCHEMES: tuple[str, ...] = ("calibrated", "frame", "ipw", "none")
"""Weights the analysis stage can give the survey (``AnalyzeConfig.weighting``), in report order:
calibrated to the population margins by ATECO class, raked to the directory frame, inverse
response propensities within the directory frame, or none."""

OTHER_CLASSES = "other classes"
"""Margin classes with too few respondents in a wave are pooled into this cell."""

MIN_PLACED_SHARE = 0.5
"""Fewer responses than this share in the margins' classes: the classes do not match the data."""


def _pool_thin(margins: dict[str, pd.Series], classes: pd.Series, min_cell: int) -> tuple[dict[str, pd.Series],
                                                                                          pd.Series, list[str]]:
    """Pool classes with fewer than ``min_cell`` respondents into :data:`OTHER_CLASSES`."""
    counts = classes.value_counts()
    first = next(iter(margins.values()))
    thin = [c for c in first.index if counts.get(c, 0) < min_cell]
    if not thin:
        return margins, classes, []
    pooled = {name: pd.concat([m.drop(thin), pd.Series({OTHER_CLASSES: m[thin].sum()})]).rename_axis(m.index.name)
              for name, m in margins.items()}
    return pooled, classes.where(~classes.isin(thin), OTHER_CLASSES), thin


def margin_weights(responses: pd.DataFrame, margins: dict[str, pd.Series], *, trim_ratio: float | None,
                   bounds: tuple[float, float] | None, min_cell: int = 5, wave_col: str = "wave",
                   base_weights: pd.Series | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Calibrate every wave to the population margins by ATECO class; partner type stays a domain.

    Responses whose class is known but outside the margins' classes get no weight (they are outside
    the population the margins count).  Responses whose class (or, with a quantitative margin,
    employee count) is unknown cannot be placed: they get the wave's mean weight, and the placed
    ones are calibrated to the margins times the placed share, so every wave's weights sum to the
    margins' total (classes missing at random).  Classes with fewer than ``min_cell`` respondents
    in a wave are pooled (:data:`OTHER_CLASSES`).

    Parameters
    ----------
    responses : DataFrame
        One row per response with ``wave_col``, ``ateco_class`` and the quantitative margins' variables.
    margins : dict
        From :func:`channelstudy.analysis.margins.margins_from_table`.
    trim_ratio, bounds
        As for :func:`channelstudy.analysis.calibration.calibrate`.
    base_weights : Series, optional
        Base weights on the responses' index (default 1): a replicate's resampling factors when the
        calibration is redone on a replicate (:func:`channelstudy.analysis.replicates.replicate_weights`).
        Placed responses are calibrated from them (the cap per base weight, as for copies of a firm);
        unplaced ones get the wave's mean weight times theirs.

    Returns
    -------
    weights : Series
        On the responses' index.
    report : DataFrame
        One row per wave: the calibration diagnostics, ``n_unplaced`` and ``pooled_classes``.

    Examples
    --------
    >>> resp = pd.DataFrame({"wave": 1, "ateco_class": ["a"] * 6 + ["b"] * 4 + [None] * 2})
    >>> margins = {"ateco_class": pd.Series([50.0, 70.0], index=pd.Index(["a", "b"], name="ateco_class"))}
    >>> w, report = margin_weights(resp, margins, trim_ratio=None, bounds=None, min_cell=1)
    >>> w.round(2).tolist()
    [6.94, 6.94, 6.94, 6.94, 6.94, 6.94, 14.58, 14.58, 14.58, 14.58, 10.0, 10.0]
    """
    first = next(iter(margins.values()))
    variables = sorted({n.split("|")[0] for n in margins if "|" in n})
    classes = responses["ateco_class"].astype(object).where(responses["ateco_class"].notna(), None)
    known = classes.notna().to_numpy()
    inside = classes.isin(list(first.index)).to_numpy()
    placed = inside & responses[variables].notna().all(axis=1).to_numpy() if variables else inside
    unplaced = ~known | (inside & ~placed)
    weights = pd.Series(np.nan, index=responses.index, name="weight")
    rows = {}
    total = float(first.sum())
    base = None if base_weights is None else base_weights.reindex(responses.index).to_numpy(float)
    for wave in pd.unique(responses[wave_col].dropna()):
        in_wave = (responses[wave_col] == wave).to_numpy()
        n_placed, n_unplaced = int((in_wave & placed).sum()), int((in_wave & unplaced).sum())
        if base is None:
            share, unplaced_weights = n_placed / (n_placed + n_unplaced), total / (n_placed + n_unplaced)
            placed_base = None
        else:
            mass = base[in_wave & placed].sum() + base[in_wave & unplaced].sum()
            share = base[in_wave & placed].sum() / mass
            unplaced_weights = total * base[in_wave & unplaced] / mass
            placed_base = pd.Series(base[in_wave & placed], index=responses.index[in_wave & placed])
        rows_placed = responses[in_wave & placed].assign(ateco_class=classes[in_wave & placed])
        wave_margins, pooled_classes, thin = _pool_thin({k: m * share for k, m in margins.items()},
                                                        rows_placed["ateco_class"], min_cell)
        result = calibrate(rows_placed.assign(ateco_class=pooled_classes), wave_margins, trim_ratio=trim_ratio,
                           bounds=bounds, base_weights=placed_base, cap_per_base=placed_base is not None)
        weights[rows_placed.index] = result.weights.to_numpy()
        weights[responses.index[in_wave & unplaced]] = unplaced_weights
        rows[wave] = {**result.summary(), "n_unplaced": n_unplaced,
                      "n_outside": int((in_wave & known & ~inside).sum()), "pooled_classes": "; ".join(thin)}
    return weights, pd.DataFrame.from_dict(rows, orient="index").rename_axis(wave_col).sort_index()


def frame_ipw_weights(responses: pd.DataFrame, frame: pd.DataFrame, covariates: Sequence[str], *,
                      total: float | None, trim_ratio: float | None, wave_col: str = "wave",
                      firm_col: str = "firm_id") -> pd.Series:
    """Per wave, inverse response propensities of the frame's firms (responses outside the frame: NA).

    ``total`` is what each wave's weights sum to (default: the frame's size).
    """
    weights = pd.Series(np.nan, index=responses.index, name="weight")
    ids = frame[firm_col].to_numpy()
    for wave in pd.unique(responses[wave_col].dropna()):
        rows = responses[responses[wave_col] == wave]
        responded = frame[firm_col].isin(rows[firm_col]).to_numpy()  # hashed: fast on string ids
        if responded.all() or not responded.any():
            continue
        w = ipw_weights(frame, responded, covariates, trim_ratio=trim_ratio, total=total)
        weights[rows.index] = rows[firm_col].map(pd.Series(w.to_numpy(), index=ids[responded])).to_numpy(float)
    return weights


BALANCE_COLUMNS: tuple[str, ...] = ("scheme", "covariate", "smd", "abs_smd", "n", "n_effective", "deff_kish",
                                    "weight_cv", "weight_min_ratio", "weight_p50_ratio", "weight_p95_ratio",
                                    "weight_max_ratio", "margin")
"""Columns of the ``weights_balance`` table (:func:`weight_summary`)."""


def weight_summary(weights: Mapping[str, pd.Series], responses: pd.DataFrame, frame: pd.DataFrame,
                   covariates: Sequence[str], margins_of: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The stage's ``weights_balance`` table: each scheme's SMD against the frame and weight diagnostics.

    One row per scheme and covariate column; ``margin`` says whether the covariate is one the scheme
    was built on (then balance is by construction, not evidence).  Responses without a weight under
    a scheme are left out of its row (``n`` says how many remain).
    """
    tables = []
    for scheme, w in weights.items():
        keep = w.notna().to_numpy()
        if not keep.any():
            continue
        table = balance_table(responses[keep], frame, covariates, {scheme: w[keep].to_numpy()})
        used = set(margins_of.get(scheme, ()))
        table["margin"] = [c.split("=")[0] in used for c in table["covariate"]]
        tables.append(table)
    if not tables:
        return pd.DataFrame(columns=list(BALANCE_COLUMNS))
    return pd.concat(tables, ignore_index=True)[list(BALANCE_COLUMNS)]
