"""Raking: calibrate one sample of respondents to population margins.

Respondents of the partner survey are not a random sample of the population (larger firms
answer more often), so estimates that speak for the population use weights calibrated to
population margins counted on the resolved directory frame.  This module provides

* :func:`population_margins` -- counts of a frame by one or several (crossed) dimensions;
* :func:`rake` -- raking (iterative proportional fitting) of one sample to those margins, with
  collapsing of empty or thin sample cells, weight trimming and diagnostics (Kish design effect,
  effective sample size);

Decisions, in one place
-----------------------
**Raking.**  Each margin is met in turn by multiplying the weights of every cell by target /
weighted count; a *sweep* meets every margin once.  Raking stops when the largest relative
deviation of a weighted margin from its target, over all cells of all margins, is below
``RakingConfig.tol``, or after ``max_iter`` sweeps (then ``converged`` is ``False``).  Weights
within a cell keep the proportions of the base weights (raking is multiplicative), so scaling
the base weights by a constant does not change the result.

**Trimming.**  Weights are capped at ``trim_ratio`` times the mean weight, the population total
over the number of calibrated respondents.  When the plain rake leaves a weight above the cap,
the weights are trimmed to it and raked again, this time with every margin step solved under
the cap (per cell, ``sum(min(f * w, cap)) = target``: the units a step would push over the cap
are held at it and the others carry the rest), until the margins hold within ``tol``; the cap
then holds too.  The default cap of 5 times the mean is a common rule of thumb (one respondent
stands for at most five average respondents): it bounds the variance a few heavy weights bring
(Kish design effect) at the price of a little bias.  When the cap is incompatible with the
margins (e.g. a cell whose population per respondent is itself above the cap), raking under
the cap cannot converge within ``max_iter`` sweeps; the weights of the plain rake are then
trimmed once and raked again without the cap, so the margins hold and the cap is exceeded
(``cap_met`` is ``False``; ``max_weight_ratio`` says by how much).

**Missing values.**  Sample rows missing a value of any raking dimension are *excluded* from
calibration: their weight is NA and their number is reported (``n_excluded``).  The weights of
the other rows still sum to the population total.  This is right when such rows are missing at
random given the margins; impute the dimension first if not.  Frame rows missing a dimension are
left out of every margin by :func:`population_margins` (with a warning), so all margins share one
population total.

**Empty and thin cells.**  A calibration cell with fewer than ``min_cell`` respondents, or with
respondents but no population, is merged with an adjacent level of the margin's *ordered*
dimension (an ordered categorical such as :func:`size_class`) within the same values of the
other dimensions: the thinnest such cell first, with whichever neighbour has fewer
respondents (ties: the lower level).  E.g. ``msp x medium`` with 2 respondents next to
``msp x large`` with 3 becomes ``msp x medium+large``.  Every merge is recorded in
``collapsed_cells``.  A cell that cannot be merged (no ordered dimension, or its whole stratum
is already one cell) raises :class:`RakingError` naming it if it has no respondents but a
population (:class:`~channelstudy.errors.UncoveredCellError`, which carries the cell), or respondents
but no population; if it merely has fewer than ``min_cell``
respondents it is kept and recorded in ``thin_cells``.

See :mod:`channelstudy.analysis.weights` for the study's use (every wave raked to the same margins).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"kind": ["a"] * 60 + ["b"] * 40, "area": ["n"] * 50 + ["s"] * 50})
>>> sample = pd.DataFrame({"kind": ["a", "a", "b", "b"], "area": ["n", "s", "n", "s"]})
>>> margins = population_margins(frame, ["kind", "area"])
>>> result = rake(sample, margins)
>>> result.weights.round(6).tolist()
[30.0, 30.0, 20.0, 20.0]
>>> bool(result.converged), round(result.deff_kish, 4)
(True, 1.04)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from channelstudy.errors import RakingError, UncoveredCellError

_SEPARATOR = " x "
"""Joins dimension names into a margin name and cell values into a cell label."""


class WeightsWarning(UserWarning):
    """Something was dropped on the way to the weights (e.g. frame rows missing a dimension)."""


# --------------------------------------------------------------------------------------------
# Size class
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Population margins
# --------------------------------------------------------------------------------------------


DEFAULT_DIMENSIONS: tuple[str | tuple[str, ...], ...] = (("partner_type", "size_class"), "macro_area")
"""Raking margins of the study: partner type crossed with size class, and macro-area."""


def dimension_columns(dimension: str | tuple[str, ...]) -> list[str]:
    return [dimension] if isinstance(dimension, str) else list(dimension)


def margin_name(dimension: str | tuple[str, ...]) -> str:
    """Name of the margin of a dimension: ``"macro_area"`` or ``"partner_type x size_class"``."""
    return _SEPARATOR.join(dimension_columns(dimension))


def population_margins(
    frame: pd.DataFrame, dimensions: Sequence[str | tuple[str, ...]] = DEFAULT_DIMENSIONS
) -> dict[str, pd.Series]:
    """Counts of a population frame by each dimension (a tuple is a crossed margin).

    Frame rows missing a value of *any* of the dimensions are left out of *every* margin (with a
    :class:`WeightsWarning` giving their number), so all margins count the same population.
    Only observed cells are counted (no zero cells).

    Parameters
    ----------
    frame : DataFrame
        One row per population unit (firm), with a column for each dimension.
    dimensions : sequence of str or tuple of str
        E.g. ``[("partner_type", "size_class"), "macro_area"]``.

    Returns
    -------
    dict of str to Series
        Keyed by :func:`margin_name`; each Series counts units (float) on an index (a MultiIndex
        for a crossed margin) whose names are the dimensions.  Ordered categorical dimensions
        keep their order, which :func:`rake` uses to collapse cells.

    Examples
    --------
    >>> frame = pd.DataFrame({"kind": ["a", "a", "b"], "area": ["n", "s", "s"]})
    >>> margins = population_margins(frame, [("kind", "area"), "area"])
    >>> list(margins)
    ['kind x area', 'area']
    >>> margins["area"].to_dict()
    {'n': 1.0, 's': 2.0}
    """
    if not dimensions:
        raise ValueError("dimensions is empty")
    names = [margin_name(d) for d in dimensions]
    if len(set(names)) != len(names):
        raise ValueError(f"repeated dimensions: {names}")
    columns = list(dict.fromkeys(c for d in dimensions for c in dimension_columns(d)))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"frame lacks the dimension columns {missing}")
    complete = frame[columns].notna().all(axis=1)
    if not complete.all():
        warnings.warn(
            f"{int((~complete).sum())} of {len(frame)} frame rows miss a raking dimension and are left out "
            "of every margin",
            WeightsWarning,
            stacklevel=2,
        )
    kept = frame.loc[complete, columns]
    return {
        name: kept.groupby(dimension_columns(dim), observed=True, sort=True).size().astype("float64").rename(name)
        for name, dim in zip(names, dimensions, strict=True)
    }


# --------------------------------------------------------------------------------------------
# Configuration and result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RakingConfig:
    """Settings of :func:`rake`.

    Parameters
    ----------
    max_iter : int
        Most raking sweeps (each meets every margin once) of the plain rake, and again of the
        rake with capping when trimming is needed.
    tol : float
        Convergence: largest relative deviation ``|weighted - target| / target`` over all cells.
    trim_ratio : float or None
        Cap on weights as a multiple of the mean weight (must exceed 1); ``None`` disables
        trimming.  Weights over the cap are set to it and the sample is raked again under the
        cap (see the module notes).
    min_cell : int
        Fewest respondents a calibration cell may have before it is merged with an adjacent level
        of the margin's ordered dimension (see the module notes).  1 merges empty cells only.
    collapse : bool
        ``False`` disables merging: an empty population cell then raises :class:`RakingError`
        and thin cells are only reported.

    Examples
    --------
    >>> RakingConfig(trim_ratio=3.0).trim_ratio
    3.0
    >>> RakingConfig(tol=0)
    Traceback (most recent call last):
    ...
    ValueError: tol must be a positive finite number, got 0
    """

    max_iter: int = 100
    tol: float = 1e-6
    trim_ratio: float | None = 5.0
    min_cell: int = 5
    collapse: bool = True

    def __post_init__(self) -> None:
        for name in ("max_iter", "min_cell"):
            _check_positive_int(name, getattr(self, name))
        if not _is_real(self.tol) or not 0 < self.tol < math.inf:
            raise ValueError(f"tol must be a positive finite number, got {self.tol!r}")
        if self.trim_ratio is not None and (
            not _is_real(self.trim_ratio) or not 1 < self.trim_ratio < math.inf
        ):
            raise ValueError(f"trim_ratio must be None or a finite number above 1, got {self.trim_ratio!r}")
        if not isinstance(self.collapse, bool):
            raise TypeError(f"collapse must be a bool, got {self.collapse!r}")


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _check_positive_int(name: str, value: object) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True, eq=False)
class RakingResult:
    """Weights and diagnostics of one :func:`rake`.

    Attributes
    ----------
    weights : Series
        Calibrated weights on the sample's index (``weight``); NA for rows excluded for a missing
        raking dimension.  The others sum to ``population_total``.
    converged : bool
        Every margin is met within ``tol``.
    iterations : int
        Raking sweeps, those of the plain rake and of the rake with capping together.
    max_margin_error : float
        Largest relative deviation of a weighted calibration cell from its target.
    trimmed : int
        Rows whose final weight sits at the cap; when the cap could not hold, rows cut to it
        before the last plain rake.  0 when the plain rake already respected the cap.
    cap_met : bool
        No weight exceeds ``trim_ratio`` times the mean weight (relative tolerance ``tol``);
        ``True`` when trimming is off.
    deff_kish : float
        Kish design effect of unequal weights, ``n * sum(w**2) / sum(w)**2``.
    n_effective : float
        ``n / deff_kish``.
    n : int
        Rows calibrated.
    n_excluded : int
        Rows excluded for a missing raking dimension.
    population_total : float
        Total of the margins.
    max_weight_ratio : float
        Largest weight divided by the mean weight.
    collapsed_cells : tuple of str
        One note per merge of calibration cells.
    thin_cells : tuple of str
        Cells kept with fewer than ``min_cell`` respondents.
    cells : DataFrame
        One row per calibration cell: ``margin``, ``cell``, ``n``, ``target``, ``weighted``,
        ``rel_error``.
    """

    weights: pd.Series
    converged: bool
    iterations: int
    max_margin_error: float
    trimmed: int
    deff_kish: float
    n_effective: float
    n: int
    n_excluded: int
    population_total: float
    max_weight_ratio: float
    cap_met: bool
    collapsed_cells: tuple[str, ...] = ()
    thin_cells: tuple[str, ...] = ()
    cells: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def summary(self) -> dict[str, object]:
        """The diagnostics as one report row (the columns of :data:`REPORT_COLUMNS`)."""
        w = self.weights.dropna()
        return {
            "n": self.n,
            "n_excluded": self.n_excluded,
            "population_total": self.population_total,
            "converged": self.converged,
            "iterations": self.iterations,
            "max_margin_error": self.max_margin_error,
            "trimmed": self.trimmed,
            "max_weight_ratio": self.max_weight_ratio,
            "cap_met": self.cap_met,
            "deff_kish": self.deff_kish,
            "n_effective": self.n_effective,
            "weight_min": float(w.min()),
            "weight_median": float(w.median()),
            "weight_max": float(w.max()),
            "collapsed_cells": "; ".join(self.collapsed_cells),
            "thin_cells": "; ".join(self.thin_cells),
        }


# --------------------------------------------------------------------------------------------
# Calibration cells (with collapsing)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calibration:
    """One margin as the raking loop sees it: a cell code per row and a target per cell."""

    name: str
    codes: np.ndarray
    targets: np.ndarray
    labels: tuple[str, ...]
    n_sample: np.ndarray


@dataclass
class _Group:
    """Adjacent levels of the ordered dimension merged into one calibration cell."""

    stratum: tuple[Hashable, ...]
    levels: list[Hashable]
    population: float
    n: int

    def label(self, along: int | None) -> str:
        merged = "+".join(str(v) for v in self.levels)
        parts = [str(v) for v in self.stratum]
        if along is not None:
            parts.insert(along, merged)
        elif not parts:
            parts = [merged]
        return _SEPARATOR.join(parts)

    def keys(self, along: int | None) -> list[tuple[Hashable, ...]]:
        """Full cell keys (values of every dimension, in margin order) of the group."""
        if along is None:
            return [self.stratum]
        return [(*self.stratum[:along], level, *self.stratum[along:]) for level in self.levels]

    def deficient(self, min_cell: int) -> bool:
        return (self.population > 0 and self.n < min_cell) or (self.population == 0 and self.n > 0)


def _ordered_levels(margin: pd.Series, sample: pd.DataFrame, dims: list[str]) -> tuple[int, list] | None:
    """Position and level order of the margin's (last) ordered categorical dimension, if any."""
    for position in reversed(range(len(dims))):
        level = margin.index.get_level_values(position)
        for dtype in (level.dtype, sample[dims[position]].dtype):
            if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered:
                return position, list(dtype.categories)
    return None


def _cell_table(margin: pd.Series, keys: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    """Population and sample count of every cell seen in either (object-typed key columns)."""
    population = margin.rename("population").reset_index().astype(dict.fromkeys(dims, object))
    counts = keys.astype(object).groupby(dims, sort=False).size().rename("n").reset_index()
    return (
        population.merge(counts, on=dims, how="outer")
        .fillna({"population": 0.0, "n": 0})
        .astype({"n": "int64"})
        .loc[lambda t: (t["population"] > 0) | (t["n"] > 0)]
    )


def _initial_groups(
    cells: pd.DataFrame, dims: list[str], ordered: tuple[int, list] | None
) -> list[list[_Group]]:
    """Cells as singleton groups, by stratum (values of the other dimensions), in level order."""
    if ordered is None:
        return [
            [_Group(tuple(row[:-2]), [], float(row[-2]), int(row[-1]))]
            for row in cells[[*dims, "population", "n"]].itertuples(index=False)
        ]
    along, order = ordered
    others = [d for i, d in enumerate(dims) if i != along]
    rank = {level: i for i, level in enumerate(order)}
    cells = cells.assign(_rank=cells[dims[along]].map(lambda v: rank.get(v, len(rank))))
    ordered_cells = cells.sort_values("_rank", kind="stable")
    blocks = ordered_cells.groupby(others, sort=True) if others else [((), ordered_cells)]
    strata = []
    for stratum, block in blocks:
        key = stratum if isinstance(stratum, tuple) else (stratum,)
        strata.append(
            [
                _Group(key, [level], float(pop), int(n))
                for level, pop, n in block[[dims[along], "population", "n"]].itertuples(index=False)
            ]
        )
    return strata


def _collapse_stratum(groups: list[_Group], min_cell: int, along: int, name: str) -> list[str]:
    """Merge deficient groups of one stratum with a neighbour, thinnest first; return the notes."""
    notes = []
    while len(groups) > 1:
        deficient = [i for i, g in enumerate(groups) if g.deficient(min_cell)]
        if not deficient:
            break
        i = min(deficient, key=lambda j: (groups[j].n, j))
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(groups)]
        j = min(neighbours, key=lambda k: (groups[k].n, k))
        low, high = sorted((i, j))
        before = (groups[i].label(along), groups[i].n, groups[j].label(along), groups[j].n)
        merged = _Group(
            groups[low].stratum,
            groups[low].levels + groups[high].levels,
            groups[low].population + groups[high].population,
            groups[low].n + groups[high].n,
        )
        groups[low : high + 1] = [merged]
        notes.append(
            f"{name}: {before[0]} ({before[1]} respondents) merged with {before[2]} ({before[3]}) "
            f"into {merged.label(along)}"
        )
    return notes


def _check_groups(groups: list[_Group], min_cell: int, along: int | None, name: str, dims: list[str]) -> list[str]:
    """Raise on impossible cells (respondents outside the population first: the frame is wrong);
    return notes on thin ones."""
    for g in groups:
        if g.population == 0 and g.n > 0:
            raise RakingError(
                f"margin {name!r}: {g.n} respondents in cell {g.label(along)}, which has no population; "
                "drop them from the sample or fix the frame"
            )
    thin = []
    for g in groups:
        if g.n == 0 and g.population > 0:
            raise UncoveredCellError(
                f"margin {name!r}: population cell {g.label(along)} ({g.population:g} units) has no "
                "respondents and cannot be collapsed; drop it from the frame or merge it beforehand",
                margin=name, columns=tuple(dims), cells=tuple(g.keys(along)), label=g.label(along),
                population=g.population,
            )
        if g.n < min_cell:
            thin.append(f"{name}: {g.label(along)} has {g.n} respondents (< {min_cell})")
    return thin


def _calibration(
    name: str, margin: pd.Series, keys: pd.DataFrame, config: RakingConfig
) -> tuple[_Calibration, list[str], list[str]]:
    """Calibration cells of one margin: sample codes, targets, merge notes and thin-cell notes."""
    dims = list(margin.index.names)
    ordered = _ordered_levels(margin, keys, dims) if config.collapse else None
    strata = _initial_groups(_cell_table(margin, keys, dims), dims, ordered)
    along = None if ordered is None else ordered[0]
    collapsed = (
        []
        if along is None
        else [n for s in strata for n in _collapse_stratum(s, config.min_cell, along, name)]
    )
    groups = [g for s in strata for g in s]
    thin = _check_groups(groups, config.min_cell, along, name, dims)
    lookup = pd.DataFrame(
        [(*key, code) for code, g in enumerate(groups) for key in g.keys(along)], columns=[*dims, "_code"]
    ).astype(dict.fromkeys(dims, object))
    codes = keys.astype(object).merge(lookup, on=dims, how="left")["_code"].to_numpy(dtype="int64")
    calibration = _Calibration(
        name=name,
        codes=codes,
        targets=np.array([g.population for g in groups]),
        labels=tuple(g.label(along) for g in groups),
        n_sample=np.array([g.n for g in groups]),
    )
    return calibration, collapsed, thin


# --------------------------------------------------------------------------------------------
# Raking
# --------------------------------------------------------------------------------------------


def _margin_error(w: np.ndarray, calibrations: list[_Calibration]) -> float:
    return max(
        float(np.max(np.abs(np.bincount(c.codes, weights=w, minlength=len(c.targets)) / c.targets - 1)))
        for c in calibrations
    )


def _capped_step(w: np.ndarray, c: _Calibration, cap: float) -> np.ndarray:
    """Meet one margin with no weight above ``cap``: per cell, ``sum(min(f * w, cap)) = target``.

    The factor ``f`` of each cell is found by capping, in turn, the units that it would push over
    the cap and scaling the others; the capped set only grows, so this ends within n rounds.  A
    cell whose units cannot reach its target even all at the cap is left all at the cap.
    """
    k = len(c.targets)
    capped = np.zeros(len(w), dtype=bool)
    while True:
        fixed = np.bincount(c.codes, weights=np.where(capped, cap, 0.0), minlength=k)
        free = np.bincount(c.codes, weights=np.where(capped, 0.0, w), minlength=k)
        factor = np.divide(c.targets - fixed, free, out=np.full(k, np.inf), where=free > 0)
        scaled = w * factor[c.codes]
        newly = ~capped & (scaled > cap)
        if not newly.any():
            return np.minimum(scaled, cap)
        capped |= newly


def _sweep(w: np.ndarray, calibrations: list[_Calibration], cap: float | None) -> np.ndarray:
    """Meet every margin once, in turn (under the cap, if any)."""
    for c in calibrations:
        if cap is None:
            totals = np.bincount(c.codes, weights=w, minlength=len(c.targets))
            w = w * (c.targets / totals)[c.codes]
        else:
            w = _capped_step(w, c, cap)
    return w


def _ipf(
    w: np.ndarray, calibrations: list[_Calibration], config: RakingConfig, *, cap: float | None = None
) -> tuple[np.ndarray, int, bool, float]:
    """Rake ``w`` until every margin is met within ``tol``: weights, sweeps, converged, error.

    With ``cap``, every margin step keeps the weights at or below it (:func:`_capped_step`).
    """
    if cap is not None:
        w = np.minimum(w, cap)
    error = _margin_error(w, calibrations)
    sweeps = 0
    while error >= config.tol and sweeps < config.max_iter:
        w = _sweep(w, calibrations, cap)
        sweeps += 1
        error = _margin_error(w, calibrations)
    return w, sweeps, bool(error < config.tol), error


def _check_margins(margins: Mapping[str, pd.Series], sample: pd.DataFrame, tol: float) -> float:
    """Validate the margins against the sample; return their common total."""
    if not margins:
        raise ValueError("margins is empty")
    totals = {}
    for name, margin in margins.items():
        if not isinstance(margin, pd.Series):
            raise TypeError(f"margin {name!r} must be a Series of counts, got {type(margin).__name__}")
        dims = list(margin.index.names)
        if any(d is None for d in dims):
            raise ValueError(f"margin {name!r}: every index level must be named after a sample column")
        missing = [d for d in dims if d not in sample.columns]
        if missing:
            raise KeyError(f"margin {name!r}: sample lacks the columns {missing}")
        values = margin.to_numpy(dtype="float64")
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError(f"margin {name!r}: counts must be finite and non-negative")
        if margin.index.has_duplicates:
            raise ValueError(f"margin {name!r}: repeated cells")
        totals[name] = float(values.sum())
    total = next(iter(totals.values()))
    if total <= 0:
        raise ValueError("margins total zero")
    if any(abs(t / total - 1) > tol for t in totals.values()):
        raise ValueError(f"margins disagree on the population total: {totals}")
    return total


def _base(base_weights: Iterable[float] | pd.Series | None, sample: pd.DataFrame) -> np.ndarray:
    if base_weights is None:
        return np.ones(len(sample))
    if isinstance(base_weights, pd.Series) and not base_weights.index.equals(sample.index):
        raise ValueError("base_weights must be on the sample's index")
    base = np.asarray(base_weights, dtype="float64")
    if base.shape != (len(sample),):
        raise ValueError(f"base_weights has shape {base.shape}, the sample {len(sample)} rows")
    if not np.isfinite(base).all() or (base <= 0).any():
        raise ValueError("base_weights must be positive and finite")
    return base


def _cell_report(w: np.ndarray, calibrations: list[_Calibration]) -> pd.DataFrame:
    frames = []
    for c in calibrations:
        weighted = np.bincount(c.codes, weights=w, minlength=len(c.targets))
        frames.append(
            pd.DataFrame(
                {
                    "margin": c.name,
                    "cell": c.labels,
                    "n": c.n_sample,
                    "target": c.targets,
                    "weighted": weighted,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).assign(rel_error=lambda t: t["weighted"] / t["target"] - 1)


def _rake_and_trim(
    base: np.ndarray, calibrations: list[_Calibration], total: float, config: RakingConfig
) -> tuple[np.ndarray, int, bool, float, int]:
    """Rake, then trim and re-rake under the cap if needed: weights, sweeps, converged, error, trimmed."""
    w, sweeps, converged, error = _ipf(base, calibrations, config)
    if config.trim_ratio is None:
        return w, sweeps, converged, error, 0
    cap = config.trim_ratio * total / len(w)
    if w.max() <= cap * (1 + config.tol):
        return w, sweeps, converged, error, 0
    capped, more, capped_converged, capped_error = _ipf(w, calibrations, config, cap=cap)
    sweeps += more
    if capped_converged:
        return capped, sweeps, True, capped_error, int(np.count_nonzero(capped >= cap * (1 - config.tol)))
    # the cap is incompatible with the margins: trim once and re-rake without the cap
    trimmed = int(np.count_nonzero(w > cap))
    w, more, converged, error = _ipf(np.minimum(w, cap), calibrations, config)
    return w, sweeps + more, converged, error, trimmed


def rake(
    sample: pd.DataFrame,
    margins: Mapping[str, pd.Series],
    *,
    base_weights: Iterable[float] | pd.Series | None = None,
    config: RakingConfig | None = None,
) -> RakingResult:
    """Calibrate sample weights to population margins by raking (iterative proportional fitting).

    Parameters
    ----------
    sample : DataFrame
        Respondents, with a column for each dimension named in the margins' index levels.
    margins : mapping of str to Series
        Population counts, e.g. from :func:`population_margins`; all must share one total.
    base_weights : Series or array-like, optional
        Positive starting weights (e.g. design weights), on the sample's index; default all 1.
    config : RakingConfig, optional
        Tolerances, trimming cap and cell rules.

    Returns
    -------
    RakingResult

    Raises
    ------
    RakingError
        A population cell has no respondents (or respondents fall in a cell with no population)
        and collapsing cannot fix it.
    ValueError, KeyError, TypeError
        Malformed margins, base weights or sample.

    Examples
    --------
    >>> sample = pd.DataFrame({"kind": ["a", "a", "b"], "area": ["n", "s", "s"]})
    >>> margins = {"kind": pd.Series({"a": 60.0, "b": 40.0}).rename_axis("kind"),
    ...            "area": pd.Series({"n": 30.0, "s": 70.0}).rename_axis("area")}
    >>> rake(sample, margins, config=RakingConfig(min_cell=1)).weights.round(3).tolist()
    [30.0, 30.0, 40.0]
    """
    config = config if config is not None else RakingConfig()
    total = _check_margins(margins, sample, config.tol)
    dims = list(dict.fromkeys(d for m in margins.values() for d in m.index.names))
    base = _base(base_weights, sample)
    usable = sample[dims].notna().all(axis=1).to_numpy()
    keys = sample.loc[usable, dims].reset_index(drop=True)
    if not usable.any():
        raise RakingError("no sample row has every raking dimension")
    calibrations, collapsed, thin = [], [], []
    for name, margin in margins.items():
        calibration, merged, few = _calibration(name, margin, keys, config)
        calibrations.append(calibration)
        collapsed += merged
        thin += few
    w, sweeps, converged, error, trimmed = _rake_and_trim(base[usable], calibrations, total, config)
    weights = np.full(len(sample), np.nan)
    weights[usable] = w
    n = int(usable.sum())
    deff = float(n * np.sum(w**2) / np.sum(w) ** 2)
    ratio = float(w.max() / w.mean())
    return RakingResult(
        weights=pd.Series(weights, index=sample.index, name="weight"),
        converged=bool(converged),
        iterations=sweeps,
        max_margin_error=error,
        trimmed=trimmed,
        deff_kish=deff,
        n_effective=n / deff,
        n=n,
        n_excluded=len(sample) - n,
        population_total=total,
        max_weight_ratio=ratio,
        cap_met=config.trim_ratio is None or ratio <= config.trim_ratio * (1 + config.tol),
        collapsed_cells=tuple(collapsed),
        thin_cells=tuple(thin),
        cells=_cell_report(w, calibrations),
    )
