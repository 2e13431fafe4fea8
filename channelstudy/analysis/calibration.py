"""Generalised raking: calibration to category counts *and* quantitative totals.

:func:`channelstudy.analysis.raking.rake` meets category counts by iterative proportional fitting.
Real margins also come as totals of a quantitative variable within categories (ISTAT publishes
persons employed by ATECO class next to the number of enterprises), which IPF cannot meet.
:func:`calibrate` solves the raking (exponential) calibration of Deville and Särndal (1992):
``w_i = d_i * exp(x_i' lambda)`` with ``sum_i w_i x_i = T``, by damped Newton steps, where
``x_i`` holds an indicator of each category of each categorical margin and, for a quantitative
margin ``"var|dim"``, the value of ``var`` in the column of the row's category of ``dim``.  On
categorical margins alone the solution is the IPF solution (a test checks both to 1e-8).

Trimming is the same rule as :func:`rake`'s: weights above ``trim_ratio`` times the mean are held
at the cap and the others are calibrated again to the remaining totals, until no weight exceeds
the cap or ``max_iter`` rounds; if the cap cannot hold with the totals met, the cap is dropped
(``cap_met`` is ``False``).

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


def _solve(x: np.ndarray, d: np.ndarray, targets: np.ndarray, *, tol: float, max_iter: int
           ) -> tuple[np.ndarray, int, bool]:
    """Exponential calibration ``w = d exp(x lambda)`` to ``x'w = targets`` by damped Newton."""
    scale = np.maximum(np.abs(targets), 1e-300)
    xs = x / scale * targets.sum() / max(len(d), 1)  # columns on comparable scales
    ts = targets / scale * targets.sum() / max(len(d), 1)
    lam = np.zeros(x.shape[1])
    w = d.copy()
    for it in range(1, max_iter + 1):
        gap = xs.T @ w - ts
        rel = np.max(np.abs(gap) / np.maximum(np.abs(ts), 1e-300))
        if rel < tol:
            return w, it, True
        jac = xs.T @ (w[:, None] * xs)
        step = np.linalg.lstsq(jac, -gap, rcond=None)[0]
        norm, t = np.linalg.norm(gap), 1.0
        while t > 1e-8:
            candidate = d * np.exp(np.clip(xs @ (lam + t * step), -700, 700))
            if np.linalg.norm(xs.T @ candidate - ts) < norm:
                break
            t /= 2
        lam = lam + t * step
        w = d * np.exp(np.clip(xs @ lam, -700, 700))
    gap = xs.T @ w - ts
    return w, max_iter, bool(np.max(np.abs(gap) / np.maximum(np.abs(ts), 1e-300)) < tol)


def calibrate(sample: pd.DataFrame, margins: dict[str, pd.Series], *, base_weights: pd.Series | None = None,
              trim_ratio: float | None = 5.0, tol: float = 1e-8, max_iter: int = 100) -> RakingResult:
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
    tol : float
        Largest relative deviation of a calibrated total from its target.
    max_iter : int
        Newton steps per calibration, and trimming rounds.

    Returns
    -------
    RakingResult
        Weights on the sample's index (NA for rows missing a calibration column or outside the
        margins' categories, counted in ``n_excluded``) and diagnostics.
    """
    x, targets, usable, labels = _design(sample, margins)
    if not usable.any():
        raise RakingError("no sample row has every calibration column")
    counts = [m.sum() for n, m in margins.items() if QUANTITATIVE_SEPARATOR not in n]
    total = float(counts[0]) if counts else float(len(sample))
    d = np.ones(int(usable.sum())) if base_weights is None else base_weights.to_numpy(float)[usable]
    d = d * total / d.sum()
    w, iterations, converged = _solve(x, d, targets, tol=tol, max_iter=max_iter)
    trimmed, cap_met = 0, True
    if trim_ratio is not None and converged:
        cap = trim_ratio * total / len(w)
        fixed = np.zeros(len(w), dtype=bool)
        plain = w
        for _ in range(max_iter):
            over = (w > cap * (1 + tol)) & ~fixed
            if not over.any():
                break
            fixed |= over
            rest = targets - x[fixed].T @ np.full(int(fixed.sum()), cap)
            keep = np.abs(x[~fixed]).sum(axis=0) > 0
            if np.any(rest[keep] <= 0) or np.any(np.abs(rest[~keep]) > tol * np.abs(targets[~keep])):
                fixed[:] = False
                break
            sub, more, ok = _solve(x[~fixed][:, keep], d[~fixed], rest[keep], tol=tol, max_iter=max_iter)
            iterations += more
            if not ok:
                fixed[:] = False
                break
            w = np.where(fixed, cap, 0.0)
            w[~fixed] = sub
        if not fixed.any() and (plain > cap * (1 + tol)).any():
            w, cap_met = plain, False
        trimmed = int(fixed.sum())
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
