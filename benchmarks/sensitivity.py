"""Sensitivity of the hypothesis catalogue to the survey weights: no weights / raked / IPW, caps 3, 5, 10.

Run after `make analyze` on a simulated world (the margins are counted on its true population,
``data/interim/truth/firms.parquet``: what ISTAT would publish for that world; on real data use
``analysis.margins.load_population_margins``):

    .venv/bin/python benchmarks/sensitivity.py [--processed data/processed] [--truth data/interim/truth]

Writes ``reports/tables/sensitivity.csv`` (one row per hypothesis and weight variant, with whether
the verdict differs from the stage's current weights) and ``reports/figures/sensitivity.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.analysis.margins import CLASS_MAP, class_margins
from channelstudy.analysis.sensitivity import weight_variants
from channelstudy.hypotheses.catalogue import run_catalogue
from channelstudy.hypotheses.study import load_study

IPW_COVARIATES = ("ateco_class", "log_employees", "macro_area")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processed", default="data/processed")
    parser.add_argument("--truth", default="data/interim/truth")
    parser.add_argument("--tables", default="reports/tables")
    parser.add_argument("--figures", default="reports/figures")
    args = parser.parse_args()
    data = load_study(args.processed)
    truth = pd.read_parquet(Path(args.truth) / "firms.parquet")
    margins = class_margins(truth[truth["partner_type"] != "platform_vendor"], classes=frozenset(CLASS_MAP))
    firms = data.firms.assign(ateco_class=data.firms["ateco_2025"].astype(str).str[:5],
                              employees=data.firms["employees"].astype(float))
    survey = data.survey.merge(firms[["firm_id", "ateco_class", "employees"]].rename(
        columns={"employees": "firm_employees_all"}), on="firm_id", how="left")
    survey = survey.assign(employees=survey["firm_employees_all"])
    survey = survey.set_index(data.survey.index)
    frame = firms[(firms["classified_type"] != "platform_vendor") & firms["employees"].gt(0)
                  & firms["macro_area"].notna()].copy()
    frame["ateco_class"] = frame["ateco_class"].where(frame["ateco_class"].isin(list(CLASS_MAP)), "other")
    frame["log_employees"] = np.log(frame["employees"])
    variants = weight_variants(survey, frame, margins, ipw_covariates=IPW_COVARIATES)
    tables = [run_catalogue(data).assign(variant="current")]
    for col in variants.columns:
        data.survey["weight"] = variants[col].to_numpy()
        tables.append(run_catalogue(data).assign(variant=col))
    table = pd.concat(tables, ignore_index=True)
    current = table[table["variant"] == "current"].set_index("id")
    table["se"] = (table["ci_high"] - table["ci_low"]) / (2 * 1.959963984540054)
    table["shift_in_current_se"] = [(e - current.loc[i, "estimate"]) / ((current.loc[i, "ci_high"]
                                    - current.loc[i, "ci_low"]) / (2 * 1.959963984540054))
                                    for i, e in zip(table["id"], table["estimate"], strict=True)]
    table["verdict_moves"] = [s != current.loc[i, "supported"] for i, s in zip(table["id"], table["supported"],
                                                                                 strict=True)]
    cols = ["id", "variant", "weighted", "estimate", "ci_low", "ci_high", "se", "p_holm", "supported",
            "shift_in_current_se", "verdict_moves", "n"]
    Path(args.tables).mkdir(parents=True, exist_ok=True)
    table[cols].to_csv(Path(args.tables) / "sensitivity.csv", index=False, float_format="%.6g")
    print(table.pivot_table(index="id", columns="variant", values="supported", aggfunc="first").to_string())
    print(table.pivot_table(index="id", columns="variant", values="shift_in_current_se").round(2).to_string())
    report = variants.describe().T[["count", "mean", "max"]]
    print(report.round(2).to_string())
    figure(table[cols], Path(args.figures) / "sensitivity.png")


def figure(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    weighted = table[table["weighted"]]
    variants = list(dict.fromkeys(weighted["variant"]))
    ids = list(dict.fromkeys(weighted["id"]))
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(ids) + 2))
    for j, v in enumerate(variants):
        sub = weighted[weighted["variant"] == v].set_index("id").reindex(ids)
        y = np.arange(len(ids)) + (j - len(variants) / 2) * 0.08
        ax.scatter(sub["shift_in_current_se"], y, s=18, label=v,
                   marker="x" if v.startswith("ipw") else ("o" if v.startswith("raked") else "s"))
        moved = sub["verdict_moves"].fillna(False).to_numpy(dtype=bool)
        ax.scatter(sub["shift_in_current_se"][moved], y[moved], s=90, facecolors="none", edgecolors="red")
    ax.axvline(0, color="grey")
    ax.set_yticks(range(len(ids)), ids)
    ax.set_xlabel("estimate shift from the current weights, in current SEs (red ring: verdict changes)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
