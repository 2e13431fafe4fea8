"""Where does the full pipeline's extra spread come from?  H0 and H3 with each stage's output swapped for the truth.

Run: .venv/bin/python benchmarks/pipeline_spread_check.py [--first-seed 1] [--worlds 300] [--firms 1000]

In ``channelstudy validate --mode full`` the SD of H0's and H3's estimates over the worlds is larger than
their mean SE.  For each seed this script simulates a world, builds and analyses it as
:func:`channelstudy.pipeline.run_one_seed` does (:func:`~channelstudy.pipeline.simulate_and_process`), and fits H0 and H3 with the catalogue's own estimators
on the processed survey (``full``) and on copies of it where one stage's output is replaced by the
world's truth, matched through the simulator's record truth:

* ``true_type``: the partner type (and the ``isv`` and ``credit`` indicators) of the type classification;
* ``true_weight``: the calibrated or raked weight, by the inverse true response probability;
* ``true_values``: the cleaned answers the two models use (outcomes and controls);
* ``true_firm``: the linkage's firm id (the SE's cluster), by the true firm key;
* ``all_true``: all four.

Prints, per hypothesis and variant, the SD of the estimate over the worlds, the mean SE and their ratio,
and the share of survey rows whose classified type is wrong.  If swapping a stage for the truth brings
the ratio down, that stage adds spread the SE does not carry.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.hypotheses import CATALOGUE, StudyData, load_study, run_catalogue
from channelstudy.pipeline import _parallel, simulate_and_process
from channelstudy.vocabulary import CREDIT_TYPES

CHECKED = tuple(h for h in CATALOGUE if h.id in ("H0", "H3"))
ANSWERS = ("att_portal_easy", "rd_share", "dso_days", "mix_services", "mix_own_ip")


def processed_world(seed: int, n_firms: int) -> tuple[StudyData, pd.DataFrame]:
    """The world's study tables as ``run_one_seed`` makes them, and each survey row's true response."""
    with tempfile.TemporaryDirectory(prefix=f"spread-{seed}-") as tmp:
        root = Path(tmp)
        simulate_and_process(root, seed, n_firms=n_firms)
        data = load_study(root / "processed")
        records = pd.read_parquet(root / "truth" / "records.parquet")[["source", "record_id", "firm_key"]]
        responses = pd.read_parquet(root / "truth" / "responses.parquet")
    keyed = data.survey[["source", "record_id", "wave"]].merge(records, on=["source", "record_id"], how="left")
    truth = keyed[["firm_key", "wave"]].merge(responses, on=["firm_key", "wave"], how="left")
    return data, truth.set_axis(data.survey.index)


def variants(survey: pd.DataFrame, truth: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The survey with each stage's output replaced by the truth where the truth is known."""
    kind = truth["partner_type"].astype(object).where(truth["partner_type"].notna(), survey["partner_type"])
    answers = {c: truth[c].astype(float).fillna(survey[c]) for c in ANSWERS}
    answers["log_emp"] = np.log(truth["employees"].astype(float)).fillna(survey["log_emp"])
    swaps = {
        "true_type": lambda s: s.assign(partner_type=kind, credit=kind.isin(CREDIT_TYPES).astype(float),
                                        isv=(kind == "isv").astype(float)),
        "true_weight": lambda s: s.assign(weight=(1 / truth["response_prob"]).fillna(s["weight"])),
        "true_values": lambda s: s.assign(**answers),
        "true_firm": lambda s: s.assign(firm_id=truth["firm_key"].fillna(s["firm_id"])),
    }
    out = {"full": survey} | {name: swap(survey) for name, swap in swaps.items()}
    every = survey
    for swap in swaps.values():
        every = swap(every)
    return out | {"all_true": every}


def one_world(seed: int, n_firms: int) -> pd.DataFrame:
    logging.disable(logging.WARNING)
    data, truth = processed_world(seed, n_firms)
    rows = []
    for name, survey in variants(data.survey, truth).items():
        table = run_catalogue(replace(data, survey=survey), CHECKED, within=False)
        rows += [{"seed": seed, "variant": name, "id": r.id, "estimate": r.estimate, "se": r.se}
                 for r in table.itertuples()]
    wrong = float((truth["partner_type"].notna() & (truth["partner_type"] != data.survey["partner_type"])).mean())
    return pd.DataFrame(rows).assign(misclassified=wrong)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--worlds", type=int, default=300)
    parser.add_argument("--firms", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    failed: list = []
    runs = pd.concat(_parallel(one_world, [(s, args.firms) for s in range(args.first_seed, args.first_seed + args.worlds)],
                               workers=args.workers, progress=True, desc="spread", failed=failed), ignore_index=True)
    table = (runs.groupby(["id", "variant"], sort=True)
             .agg(worlds=("seed", "nunique"), sd_estimate=("estimate", "std"), mean_se=("se", "mean"))
             .assign(sd_over_se=lambda t: t["sd_estimate"] / t["mean_se"]))
    print(table.to_string(float_format=lambda x: f"{x:.4g}"))
    wrong = runs.drop_duplicates("seed")["misclassified"]
    print(f"survey rows with a wrong partner type: mean {wrong.mean():.4f}, max {wrong.max():.4f}"
          f" over {wrong.size} worlds; failed worlds: {len(failed)}")


if __name__ == "__main__":
    main()
