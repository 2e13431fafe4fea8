"""Weighting schemes on simulated worlds with non-ignorable response: bias, balance, variance.

Run: .venv/bin/python benchmarks/weights_evaluation.py [--seeds 20] [--tables reports/tables]
      [--figures reports/figures]

For each seed: the true firm population of the simulator (``build_firms``, platform vendors left
out) is the population; respondents are drawn by :func:`nonignorable_response` (response rises
with size *and* depends on partner type, which is not a weighting variable, and on the
cloud-subscription share of revenue, an outcome); weights are computed by every scheme of
:mod:`channelstudy.analysis.schemes` with trimming caps 3, 5, 10 and none; the margins are the
population's enterprises and persons employed by ATECO class (what ISTAT would publish for that
world).  Writes

* ``weights_balance_benchmark.csv`` -- SMD of covariates used by no scheme, weight diagnostics (first seed);
* ``weights_shares.csv`` -- estimated vs true shares by size class and partner type, per seed,
  scheme and cap;
* ``weights_variance.csv`` -- linearised vs bootstrap and jackknife (re-raked) SE of a few
  estimates on the first seed;
* ``weights_balance_benchmark.png`` -- |SMD| by covariate and scheme, and share errors by scheme.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.analysis.calibration import calibrate
from channelstudy.analysis.margins import CLASS_MAP, class_margins
from channelstudy.analysis.replicates import replicate_se, replicate_weights
from channelstudy.analysis.schemes import balance_report, scheme_weights, share_table
from channelstudy.analysis.weights import weighted_means
from channelstudy.clean.size import size_class
from channelstudy.simulate.config import WorldConfig
from channelstudy.simulate.world import build_firms, build_vendors

DEFAULT_SEED = 20240611
CAPS: tuple[float | None, ...] = (3.0, 5.0, 10.0, None)
IPW_COVARIATES = ("ateco_class", "log_employees")
BALANCE_COVARIATES = ("macro_area", "legal_form", "founded", "log_revenue")
TYPE_EFFECT = {"distributor": 0.0, "reseller": -0.5, "system_integrator": 0.0, "isv": 0.6, "oem": -0.3,
               "msp": 0.4}
"""Log-odds of responding by partner type (not a weighting variable: non-ignorable for the weights)."""


def population(seed: int) -> pd.DataFrame:
    """The simulator's true non-vendor firms, with the derived columns the schemes use."""
    cfg = WorldConfig()
    firms = build_firms(np.random.default_rng([seed, 0]), cfg, build_vendors(cfg))
    firms = firms[firms["partner_type"] != "platform_vendor"].reset_index(drop=True)
    return firms.assign(
        ateco_class=firms["ateco_2025"].str[:5],
        size_class=size_class(firms["employees"], firms["revenue_eur"]).astype(str),
        log_employees=np.log(firms["employees"].astype(float)),
        log_revenue=np.log1p(firms["revenue_eur"].astype(float)),
        founded=firms["founded"].astype(float),
    )


def nonignorable_response(pop: pd.DataFrame, *, seed: int, n_target: int = 2000, size_elasticity: float = 0.45,
                          cloud_effect: float = 2.0) -> np.ndarray:
    """Who responds: logit = a + size_elasticity log(employees) + type effect + cloud_effect x cloud share."""
    rng = np.random.default_rng([seed, 99])
    rest = (size_elasticity * pop["log_employees"].to_numpy() + pop["partner_type"].map(TYPE_EFFECT).to_numpy()
            + cloud_effect * pop["mix_cloud_subs"].to_numpy())
    lo, hi = -20.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if (1 / (1 + np.exp(-(mid + rest)))).sum() < n_target else (lo, mid)
    return rng.random(len(pop)) < 1 / (1 + np.exp(-(lo + rest)))


def one_seed(seed: int, *, full: bool) -> dict[str, pd.DataFrame]:
    pop = population(seed)
    responded = nonignorable_response(pop, seed=seed)
    resp = pop[responded].reset_index(drop=True)
    margins = class_margins(pop, classes=frozenset(CLASS_MAP))
    shares, balance = [], []
    for cap in CAPS:
        weights = scheme_weights(resp, pop, responded, margins, ipw_covariates=IPW_COVARIATES, trim_ratio=cap)
        for column in ("size_class", "partner_type"):
            shares.append(share_table(resp, weights, column, pop).assign(seed=seed, cap=cap if cap else np.inf))
        if full:
            balance.append(balance_report(resp, pop, weights, BALANCE_COVARIATES).assign(cap=cap if cap else np.inf))
    out = {"shares": pd.concat(shares, ignore_index=True)}
    if full:
        out["balance"] = pd.concat(balance, ignore_index=True)
        out["variance"] = variance_table(resp, margins)
    return out


def variance_table(resp: pd.DataFrame, margins: dict) -> pd.DataFrame:
    """Linearised vs replicate SEs (re-raking every replicate) of a few raked estimates."""
    resp = resp.assign(firm_id=resp["firm_key"], one=1, is_reseller=(resp["partner_type"] == "reseller") * 1.0,
                       is_micro=(resp["size_class"] == "micro") * 1.0)

    def weigh(sample: pd.DataFrame, base: pd.Series) -> pd.Series:
        return calibrate(sample, margins, base_weights=base, trim_ratio=5.0).weights

    w = weigh(resp, pd.Series(1.0, index=resp.index))
    data = resp.assign(weight=w)
    rows = []
    reps = {m: replicate_weights(resp, weigh, method=m, n_replicates=100 if m == "bootstrap" else 50)
            for m in ("bootstrap", "jackknife")}
    for value in ("is_reseller", "is_micro", "log_revenue", "mix_cloud_subs"):
        lin = weighted_means(data, value, "one")
        se_lin = float((lin["ci_high"] - lin["mean"]).iloc[0] / 1.959963984540054)
        row = {"estimate": value, "mean": float(lin["mean"].iloc[0]), "se_linearised": se_lin}
        for method, r in reps.items():
            row[f"se_{method}"] = replicate_se(resp[value], w, r, method=method)
        rows.append(row)
    return pd.DataFrame(rows)


def figure(balance: pd.DataFrame, shares: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    b = balance[balance["cap"] == 5.0].pivot_table(index="covariate", columns="scheme", values="abs_smd")
    b.plot.barh(ax=axes[0])
    axes[0].axvline(0.1, color="grey", ls="--")
    axes[0].set_xlabel("|standardised mean difference| (cap 5)")
    axes[0].set_title("Balance on covariates used by no scheme")
    err = (shares.assign(abs_error=shares["error"].abs()).groupby(["variable", "scheme", "cap", "seed"])["abs_error"]
           .sum().groupby(["variable", "scheme", "cap"]).mean())
    err = err.reset_index().pivot_table(index=["variable", "cap"], columns="scheme", values="abs_error")
    err.plot.barh(ax=axes[1])
    axes[1].set_xlabel("sum of |share - truth| over levels (mean over seeds)")
    axes[1].set_title("Population shares: error by scheme and trimming cap")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tables", default="reports/tables")
    parser.add_argument("--figures", default="reports/figures")
    args = parser.parse_args()
    seeds = [DEFAULT_SEED] + [DEFAULT_SEED + i for i in range(1, args.seeds)]
    results = [one_seed(s, full=(i == 0)) for i, s in enumerate(seeds)]
    shares = pd.concat([r["shares"] for r in results], ignore_index=True)
    tables, figures = Path(args.tables), Path(args.figures)
    tables.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    results[0]["balance"].to_csv(tables / "weights_balance_benchmark.csv", index=False, float_format="%.6g")
    shares.to_csv(tables / "weights_shares.csv", index=False, float_format="%.6g")
    results[0]["variance"].to_csv(tables / "weights_variance.csv", index=False, float_format="%.6g")
    summary = (shares.assign(abs_error=shares["error"].abs())
               .groupby(["variable", "cap", "scheme", "seed"])["abs_error"].sum()
               .groupby(["variable", "cap", "scheme"]).mean().unstack("scheme"))
    print(summary.round(4).to_string())
    print(results[0]["variance"].round(5).to_string())
    figure(results[0]["balance"], shares, figures / "weights_balance_benchmark.png")


if __name__ == "__main__":
    main()
