"""Speed goal: the analysis stage of the default world (segments, weights, clustering) in < 30 s.

Run after `make build`: .venv/bin/python benchmarks/bench_analyze.py [data/processed]
(it works on a temporary copy; data/processed is not modified).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from channelstudy.analysis import analyze

GOAL_SECONDS = 30.0
INPUTS = ("firms.parquet", "survey.parquet", "vendor_roster.parquet", "pipeline.parquet", "links.parquet",
          "build_report.json")


def main() -> None:
    processed = Path(sys.argv[1] if len(sys.argv) > 1 else "data/processed")
    with tempfile.TemporaryDirectory() as tmp:
        for name in INPUTS:
            shutil.copy2(processed / name, Path(tmp) / name)
        start = time.perf_counter()
        analyze(tmp)
        elapsed = time.perf_counter() - start
    verdict = "OK" if elapsed < GOAL_SECONDS else "SLOWER THAN GOAL"
    print(f"analyze: {elapsed:.1f} s (goal < {GOAL_SECONDS:.0f} s): {verdict}")


if __name__ == "__main__":
    main()
