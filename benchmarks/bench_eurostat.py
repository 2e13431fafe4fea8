"""Time :func:`channelstudy.sources.eurostat.read_eurostat_tsv` (formerly timed asserts in tests/sources/test_eurostat.py).

Not a test.  Run from the repository root::

    .venv/bin/python benchmarks/bench_eurostat.py [--repeat 3] [--series 100000]

Prints the best of ``--repeat`` wall-clock times for a synthetic file of ``--series`` series x 10 years
(a guard against a Python loop over cells; the old test bound was 5 s for 100,000 series),
and for the real ``isoc_cicce_use`` file when the real-data folder is present (the old test bound was 1 s).
"""

from __future__ import annotations

import argparse
import io
import time

from channelstudy.catalog.paths import realdata_dir
from channelstudy.sources.eurostat import read_eurostat_tsv

REAL_NAME = "eurostat_isoc_cicce_use/estat_isoc_cicce_use.tsv.gz"


def synthetic(series: int) -> str:
    """A Eurostat-shaped TSV of ``series`` rows and ten yearly columns."""
    years = [str(y) for y in range(2014, 2024)]
    header = "freq,geo\\TIME_PERIOD\t" + "\t".join(f"{y} " for y in years) + "\n"
    body = "".join(
        f"A,G{i}\t" + "\t".join(f"{(i + j) % 997 / 7:.2f} " for j in range(10)) + "\n" for i in range(series)
    )
    return header + body


def best_of(repeat: int, run) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    text = synthetic(args.series)
    seconds = best_of(args.repeat, lambda: read_eurostat_tsv(io.StringIO(text)))
    print(f"synthetic: series={args.series} cells={args.series * 10} seconds={seconds:.3f}")
    folder = realdata_dir()
    if folder is None or not (folder / REAL_NAME).is_file():
        print(f"real: skipped ({REAL_NAME} absent; set CHANNELSTUDY_REALDATA)")
        return
    seconds = best_of(args.repeat, lambda: read_eurostat_tsv(folder / REAL_NAME, drop_missing=False))
    print(f"real: {REAL_NAME} seconds={seconds:.3f}")


if __name__ == "__main__":
    main()
