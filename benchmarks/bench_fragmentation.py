"""Time :func:`channelstudy.analysis.concentration.compare_tails` and :func:`concentration_table`.

Not a test.  Run from the repository root::

    .venv/bin/python benchmarks/bench_fragmentation.py [--n 15000] [--repeat 5] [--seed 0]

Draws ``--n`` firm sizes of three kinds - a continuous power law (alpha 2.5), a lognormal
(mu 1, sigma 1) and integer head counts with a lognormal body and a Pareto tail (like the
simulator's) - and prints, for each, the best of ``--repeat`` wall-clock times of
:func:`compare_tails` with the default grid-and-refine ``xmin`` search and with the exhaustive one
(``max_candidates=None``), with the chosen ``xmin``, ``alpha`` and verdict.  Then times
:func:`concentration_table` on 100 x ``--n`` rows in 7 groups.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from channelstudy.analysis.concentration import concentration_table
from channelstudy.analysis.tails import compare_tails


def best_time(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
    return min(timings), result


def samples(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    body = rng.lognormal(np.log(1.5), 0.7, size=n)
    tail = 10.0 * (1 - rng.random(n)) ** (-1 / 1.2)
    return {
        "power_law(2.5)": (1 - rng.random(n)) ** (-1 / 1.5),
        "lognormal(1,1)": rng.lognormal(1.0, 1.0, size=n),
        "head counts": np.clip(np.round(np.where(rng.random(n) < 0.1, tail, body)), 1, 5_000),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    compare_tails(samples(1_000, args.seed)["power_law(2.5)"])  # warm up
    for name, x in samples(args.n, args.seed).items():
        for label, max_candidates in (("grid+refine", 2000), ("exhaustive", None)):
            seconds, result = best_time(
                lambda x=x, m=max_candidates: compare_tails(x, max_candidates=m), args.repeat
            )
            print(
                f"{name:15s} n={x.size} {label:11s} {seconds:6.3f} s  xmin={result.xmin:.4g} "
                f"n_tail={result.n_tail} alpha={result.alpha:.3f} R={result.loglik_ratio:.2f} "
                f"p={result.p_value:.3g} -> {result.preferred}"
            )

    rng = np.random.default_rng(args.seed)
    rows = 100 * args.n
    firms = pd.DataFrame(
        {
            "partner_type": rng.choice(list("abcdefg"), size=rows),
            "revenue_eur": rng.lognormal(12, 1.5, size=rows),
            "employees": np.round(rng.lognormal(1, 1.2, size=rows)),
        }
    )
    seconds, _ = best_time(
        lambda: concentration_table(firms, "revenue_eur", "partner_type", employees="employees"), args.repeat
    )
    print(f"concentration_table: {rows} rows, 7 groups: {seconds:.3f} s")


if __name__ == "__main__":
    main()
