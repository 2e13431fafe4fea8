"""Time :func:`channelstudy.build.link.link_records` on about 60,000 synthetic records of ~15,500 firms.

Not a test.  Run from the repository root::

    .venv/bin/python benchmarks/bench_link.py [--repeat 3] [--firms 15500] [--seed 7]

The synthetic world is the one of ``tests/build/test_link.py`` (typos, missing VATs, missing or stale
provinces, within-source duplicates, similarly named siblings, homonyms), seen through six
sources instead of three.  Prints the record count, the best of ``--repeat`` wall-clock times
in seconds, and the pairwise precision and recall against the planted truth.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "build"))

from test_link import make_world  # noqa: E402

from channelstudy.build.link import LinkConfig, link_records, pairwise_quality  # noqa: E402

# name: (share of firms covered, P(VAT recorded), P(typo), P(duplicate row), P(legal form), priority)
SOURCES = {
    "directory_a": (0.80, 0.95, 0.10, 0.00, 0.90, 0),
    "directory_b": (0.60, 0.90, 0.10, 0.00, 0.80, 1),
    "survey_2023": (0.50, 0.45, 0.25, 0.10, 0.30, 2),
    "survey_2024": (0.50, 0.45, 0.25, 0.10, 0.30, 2),
    "roster": (0.60, 0.70, 0.20, 0.05, 0.50, 3),
    "pipeline": (0.60, 0.30, 0.20, 0.20, 0.20, 4),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=15_500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scorer", default=LinkConfig().scorer)
    parser.add_argument("--threshold", type=float, default=LinkConfig().name_threshold)
    args = parser.parse_args(argv)
    config = LinkConfig(scorer=args.scorer, name_threshold=args.threshold)

    records = make_world(args.firms, args.seed, SOURCES)
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        linked = link_records(records, config)
        timings.append(time.perf_counter() - start)
    quality = pairwise_quality(linked["firm_id"], linked["true_firm"])
    largest_block = int(records.groupby("province")["name_key"].nunique().max())
    print(
        f"records={len(records)} true_firms={records['true_firm'].nunique()} firms={linked['firm_id'].nunique()}"
    )
    print(
        f"largest block: {largest_block} distinct names; scorer={config.scorer} threshold={config.name_threshold}"
    )
    print(
        f"precision={quality['precision']:.4f} recall={quality['recall']:.4f} f1={quality['f1']:.4f} "
        f"(pairs predicted={quality['n_pairs_predicted']} true={quality['n_pairs_true']})"
    )
    print(f"seconds={min(timings):.3f}")


if __name__ == "__main__":
    main()
