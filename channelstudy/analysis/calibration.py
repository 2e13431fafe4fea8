"""Generalised raking: calibration to category counts *and* quantitative totals.

:func:`channelstudy.analysis.raking.rake` meets category counts by iterative proportional fitting.
Real margins also come as totals of a quantitative variable within categories (ISTAT publishes
persons employed by ATECO class next to the number of enterprises), which IPF cannot meet.
:func:`calibrate` solves the raking (exponential) calibration of Deville and Särndal (1992):
``w_i = d_i * exp(x_i' lambda)`` with ``sum_i w_i x_i = T``, by damped Newton steps, where
``x_i`` holds an indicator of each category of each categorical margin and, for a quantitative
margin ``"var|dim"``, the value of ``var`` in the column of the row's category of ``dim``.  On
categorical margins alone the solution is the IPF solution (a test checks both to 1e-8).

Bounded calibration: with ``bounds=(low, high)`` the distance is Deville and Särndal's *logit*
one, ``w_i = d_i * F(x_i' lambda)`` with ``F`` increasing from ``low`` to ``high`` (``F(0) = 1``), so
every ratio ``w_i / d_i`` stays strictly inside the bounds: a quantitative margin (persons
employed) can no longer drive the largest respondents' weights to zero.  When no bounded solution
exists, the Newton steps do not converge and ``converged`` is ``False``.

Trimming: weights above ``trim_ratio`` times the mean are held at the cap and the others are
calibrated again to the remaining totals, until no weight exceeds the cap or ``max_iter`` rounds.
If the cap cannot hold with the totals met, the cap still binds: the weights are capped and the
excess spread proportionally over the others (:func:`channelstudy.analysis.ipw.trim_weights`), the
totals are then met only approximately (``max_margin_error`` says how far) and ``cap_met`` stays
``True``; the cap is never silently dropped.

Examples
--------
>>> sample = pd.DataFrame({"k": ["a", "a", "b", "b"], "e": [1.0, 3.0, 2.0, 2.0]})
>>> margins = {"k": pd.Series([10.0, 10.0], index=pd.Index(["a", "b"], name="k")),
...            "e|k": pd.Series([15.0, 20.0], index=pd.Index(["a", "b"], name="k"))}
>>> res = calibrate(sample, margins, trim_ratio=None)
>>> res.weights.round(4).tolist()
[7.5, 2.5, 5.0, 5.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelstudy.analysis.ipw import trim_weights
from channelstudy.analysis.raking import RakingResult
from channelstudy.errors import RakingError

QUANTITATIVE_SEPARATOR = "|"
"""``"employees|ateco_class"``: the total of ``employees`` within each ``ateco_class``."""


def _design(sample: pd.DataFrame, margins: dict[str, pd.Series]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                           list[str]]:
    """Design matrix, targets, usable rows and column labels."""
    dims = {name.split(QUANTITATIVE_SEPARATOR)[-1] for name in margins}
    variables = {name.split(QUANTITATIVE_SEPARATOR)[0] for name in margins if QUANTITATIVE_SEPARATOR in name}
    missing = [c for c in dims | variables if c not in sample.columns]
    if missing:
        raise KeyError(f"sample lacks the calibration columns {sorted(missing)}")
    usable = sample[sorted(dims | variables)].notna().all(axis=1).to_numpy().copy()
    for name, margin in margins.items():
        dim = name.split(QUANTITATIVE_SEPARATOR)[-1]
        usable &= sample[dim].astype(object).isin(list(margin.index)).to_numpy()
    rows = sample.loc[usable]
    columns, targets, labels = [], [], []
    for name, margin in margins.items():
        parts = name.split(QUANTITATIVE_SEPARATOR)
        dim = parts[-1]
        value = rows[parts[0]].astype(float).to_numpy() if len(parts) == 2 else np.ones(len(rows))
        codes = rows[dim].astype(object).to_numpy()
        for level, target in margin.items():
            col = np.where(codes == level, value, 0.0)
            if not np.any(col != 0) and target > 0:
                raise RakingError(f"margin {name!r}: no sample row in {level!r}, population {target:g}")
            columns.append(col)
            targets.append(float(target))
            labels.append(f"{name}={level}")
    return np.column_stack(columns), np.asarray(targets), usable, labels


def logit_distance(u: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Deville and Särndal's bounded (logit) calibration function ``F(u)`` and its derivative.

    ``F`` rises from ``low`` (u -> -inf) to ``high`` (u -> +inf) with ``F(0) = 1`` and ``F'(0) = 1``.

    Examples
    --------
    >>> f, df = logit_distance(np.array([-50.0, 0.0, 50.0]), 0.5, 3.0)
    >>> f.round(6).tolist(), float(df[1])
    ([0.5, 1.0, 3.0], 1.0)
    """
    a = (high - low) / ((1 - low) * (high - 1))
    e = np.exp(np.clip(a * u, -700, 700))
    f = (low * (high - 1) + high * (1 - low) * e) / ((high - 1) + (1 - low) * e)
    f = np.where(np.isinf(e), high, f)
    return f, a * (f - low) * (high - f) / (high - low)


def _distance(u: np.ndarray, bounds: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    if bounds is None:
        f = np.exp(np.clip(u, -700, 700))
        return f, f
    return logit_distance(u, *bounds)


def _primitive(u: np.ndarray, bounds: tuple[float, float] | None) -> np.ndarray:
    """An antiderivative of the calibration function: the dual objective is ``sum d Phi(x lambda) - lambda'T``."""
    if bounds is None:
        return np.exp(np.clip(u, -700, 700))
    low, high = bounds
    a = (high - low) / ((1 - low) * (high - 1))
    return low * u + (high - low) / a * np.logaddexp(np.log(high - 1), np.log(1 - low) + a * u)


NEAR = 1e-5
"""Relative gap below which a step that shrinks the gap is accepted even if the dual seems not to fall."""


def _solve(x: np.ndarray, d: np.ndarray, targets: np.ndarray, *, tol: float, max_iter: int,
           bounds: tuple[float, float] | None = None) -> tuple[np.ndarray, int, bool]:
    """Calibration ``w = d F(x lambda)`` to ``x'w = targets`` by damped Newton (``F``: exp or logit).

    The steps minimise the convex dual ``sum_i d_i Phi(x_i lambda) - lambda' T`` (``Phi' = F``) with
    a backtracking (Armijo) line search, so they make progress whenever a solution exists; a step
    that shrinks the gap is accepted too (near the solution the dual's rounding hides progress).
    """
    scale = np.maximum(np.abs(targets), 1e-300)
    xs = x / scale * targets.sum() / max(len(d), 1)  # columns on comparable scales
    ts = targets / scale * targets.sum() / max(len(d), 1)
    lam = np.zeros(x.shape[1])

    def dual(lam_: np.ndarray) -> float:
        return float(d @ _primitive(xs @ lam_, bounds) - lam_ @ ts)

    def accept(lam_: np.ndarray, bound: float, norm: float, near: bool) -> bool:
        """Armijo on the dual, or (near the solution, where the dual's rounding hides progress) a smaller gap."""
        if dual(lam_) <= bound:
            return True
        return near and bool(np.linalg.norm(xs.T @ (d * _distance(xs @ lam_, bounds)[0]) - ts) < norm)

    w = d.copy()
    for it in range(1, max_iter + 1):
        gap = xs.T @ w - ts
        rel = np.max(np.abs(gap) / np.maximum(np.abs(ts), 1e-300))
        if rel < tol:
            return w, it, True
        slope = d * _distance(xs @ lam, bounds)[1]
        jac = xs.T @ (slope[:, None] * xs)
        step = np.linalg.lstsq(jac, -gap, rcond=None)[0]
        value, descent, norm, t = dual(lam), float(gap @ step), np.linalg.norm(gap), 1.0
        while t > 1e-10 and not accept(lam + t * step, value + 1e-4 * t * descent, norm, rel < NEAR):
            t /= 2
        lam = lam + t * step
        w = d * _distance(xs @ lam, bounds)[0]
    gap = xs.T @ w - ts
    return w, max_iter, bool(np.max(np.abs(gap) / np.maximum(np.abs(ts), 1e-300)) < tol)


def calibrate(sample: pd.DataFrame, margins: dict[str, pd.Series], *, base_weights: pd.Series | None = None,
              trim_ratio: float | None = 5.0, bounds: tuple[float, float] | None = None, tol: float = 1e-8,
              max_iter: int = 100, cap_per_base: bool = False) -> RakingResult:
    """Raking calibration of ``sample`` to categorical counts and quantitative totals.

    Parameters
    ----------
    sample : DataFrame
        Respondents, with every calibration column.
    margins : dict of str to Series
        ``"dim"`` -> population count of each category of column ``dim``; ``"var|dim"`` -> total of
        column ``var`` within each category of ``dim``.  All categorical margins must share one total.
    base_weights : Series, optional
        Design (or propensity) weights on the sample's index; default 1.
    trim_ratio : float or None
        Cap on weights as a multiple of the mean weight (see the module notes).
    bounds : (float, float) or None
        ``(low, high)`` with ``0 <= low < 1 < high``: bounded (logit) calibration, every ratio of
        the calibrated to the base weight strictly inside the bounds; ``None``: raking (exponential).
    tol : float
        Largest relative deviation of a calibrated total from its target.
    max_iter : int
        Newton steps per calibration, and trimming rounds.
    cap_per_base : bool
        Cap each weight at ``trim_ratio`` times its base weight (normalised to the total) instead of
        the mean weight: a replicate's resampling factors as base weights, a firm drawn ``k`` times
        is then capped as ``k`` copies of the firm would be.  The same as the default for equal bases.

    Returns
    -------
    RakingResult
        Weights on the sample's index (NA for rows missing a calibration column or outside the
        margins' categories, counted in ``n_excluded``) and diagnostics.
    """
    if bounds is not None and not 0 <= bounds[0] < 1 < bounds[1] < np.inf:
        raise ValueError(f"bounds must be (low, high) with 0 <= low < 1 < high < inf, got {bounds}")
    x, targets, usable, labels = _design(sample, margins)
    if not usable.any():
        raise RakingError("no sample row has every calibration column")
    counts = [m.sum() for n, m in margins.items() if QUANTITATIVE_SEPARATOR not in n]
    total = float(counts[0]) if counts else float(len(sample))
    d = np.ones(int(usable.sum())) if base_weights is None else base_weights.to_numpy(float)[usable]
    d = d * total / d.sum()
    w, iterations, converged = _solve(x, d, targets, tol=tol, max_iter=max_iter, bounds=bounds)
    trimmed, cap_met = 0, True
    if trim_ratio is not None:
        cap = trim_ratio * (d if cap_per_base else np.full(len(w), total / len(w)))
        fixed = np.zeros(len(w), dtype=bool)
        plain = w
        for _ in range(max_iter):
            over = (w > cap * (1 + tol)) & ~fixed
            if not over.any():
                break
            fixed |= over
            rest = targets - x[fixed].T @ cap[fixed]
            keep = np.abs(x[~fixed]).sum(axis=0) > 0
            if np.any(rest[keep] <= 0) or np.any(np.abs(rest[~keep]) > tol * np.abs(targets[~keep])):
                fixed[:] = False
                break
            sub, more, ok = _solve(x[~fixed][:, keep], d[~fixed], rest[keep], tol=tol, max_iter=max_iter,
                                   bounds=bounds)
            iterations += more
            if not ok:
                fixed[:] = False
                break
            w = np.where(fixed, cap, 0.0)
            w[~fixed] = sub
        if not fixed.any() and (plain > cap * (1 + tol)).any():  # no calibrated solution under the cap
            w = trim_weights(plain, trim_ratio)
            fixed = w >= cap * (1 - tol)
        trimmed = int(fixed.sum())
        cap_met = bool(np.all(w <= cap * (1 + 1e-9)))
    weights = np.full(len(sample), np.nan)
    weights[usable] = w
    achieved = x.T @ w
    errors = np.abs(achieved - targets) / np.maximum(np.abs(targets), 1e-300)
    n = len(w)
    deff = float(n * np.sum(w**2) / np.sum(w) ** 2)
    cells = pd.DataFrame({"margin": [lab.split("=")[0] for lab in labels],
                          "cell": [lab.split("=", 1)[1] for lab in labels],
                          "n": (x != 0).sum(axis=0), "target": targets, "weighted": achieved,
                          "rel_error": errors})
    return RakingResult(
        weights=pd.Series(weights, index=sample.index, name="weight"),
        converged=bool(converged), iterations=iterations, max_margin_error=float(errors.max()),
        trimmed=trimmed, deff_kish=deff, n_effective=n / deff, n=n, n_excluded=len(sample) - n,
        population_total=total, max_weight_ratio=float(w.max() / w.mean()), cap_met=cap_met, cells=cells,
    )
