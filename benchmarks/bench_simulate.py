"""Speed goal: the default world (15,000 firms) simulates in under 20 s on 2 cores.

Run: .venv/bin/python benchmarks/bench_simulate.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from channelstudy.simulate import simulate

GOAL_SECONDS = 20.0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = simulate(Path(tmp) / "raw", truth_out=Path(tmp) / "truth")
        elapsed = time.perf_counter() - start
    rows = sum(result.rows_by_source.values())
    verdict = "OK" if elapsed < GOAL_SECONDS else "SLOWER THAN GOAL"
    print(f"simulate: {result.n_firms} firms, {rows} raw rows in {elapsed:.1f} s (goal < {GOAL_SECONDS:.0f} s): {verdict}")


if __name__ == "__main__":
    main()
