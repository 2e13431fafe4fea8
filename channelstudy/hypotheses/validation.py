"""Method validation: do the estimators recover the planted truth across many simulated worlds?

For each seed: simulate a world, build it, run the analysis stage and the hypothesis catalogue, and
compare every estimate with the effect planted in that world.  Across seeds, per hypothesis:

* **coverage** - share of 95 % CIs that contain the planted value (target 0.90-0.99);
* **power** - share of worlds where the effect is declared supported (Holm-adjusted p < 0.05, right
  direction);
* for the planted null H0, the **false-positive rate** - share of worlds with an unadjusted
  p < 0.05 (target at most 0.05 plus Monte Carlo error).

Each rate comes with its Monte Carlo standard error, sqrt(p (1 - p) / n_seeds).
Run by ``make validate`` (``channelstudy validate``); not part of ``make test``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

COVERAGE_TARGET = (0.90, 0.99)
FPR_TARGET = 0.05


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per hypothesis: coverage, power, false-positive rate (H0), with Monte Carlo standard errors."""
    def mc_se(p: pd.Series) -> float:
        return float(np.sqrt(p.mean() * (1 - p.mean()) / len(p)))

    rows = []
    for hid, g in runs.groupby("id", sort=True):
        significant = g["p_value"] < 0.05
        rows.append({
            "id": hid,
            "n_seeds": int(len(g)),
            "planted_mean": float(g["planted"].mean()),
            "estimate_mean": float(g["estimate"].mean()),
            "bias": float((g["estimate"] - g["planted"]).mean()),
            "coverage": float(g["covered"].mean()),
            "coverage_mc_se": mc_se(g["covered"].astype(float)),
            "power": float(g["supported"].mean()) if hid != "H0" else np.nan,
            "false_positive_rate": float(significant.mean()) if hid == "H0" else np.nan,
            "fpr_mc_se": mc_se(significant.astype(float)) if hid == "H0" else np.nan,
        })
    out = pd.DataFrame(rows)
    low, high = COVERAGE_TARGET
    out["coverage_ok"] = out["coverage"].between(low - 2 * out["coverage_mc_se"], high + 2 * out["coverage_mc_se"])
    out["fpr_ok"] = np.where(out["id"] == "H0", out["false_positive_rate"] <= FPR_TARGET + 2 * out["fpr_mc_se"], pd.NA)
    return out
