"""Speed goal: the default world (15,000 firms, ~95,000 raw rows) builds in under 30 s on 2 cores.

Run: .venv/bin/python benchmarks/bench_build.py  (simulates into a temporary folder first)
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from channelstudy.build import build
from channelstudy.simulate import simulate

GOAL_SECONDS = 30.0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        simulate(root / "raw", truth_out=root / "truth")
        start = time.perf_counter()
        result = build(root / "raw", root / "processed")
        elapsed = time.perf_counter() - start
    verdict = "OK" if elapsed < GOAL_SECONDS else "SLOWER THAN GOAL"
    print(f"build: {result.report['rows_read']} rows -> {result.report['firms_resolved']} firms in {elapsed:.1f} s "
          f"(goal < {GOAL_SECONDS:.0f} s): {verdict}")


if __name__ == "__main__":
    main()
