"""Time :func:`channelstudy.analysis.weights.weight_waves` on the default simulated world (five waves, ~2,000 each).

Not a test.  Run from the repository root::

    .venv/bin/python benchmarks/bench_weights.py [--repeat 5] [--truth data/interim/truth]

The frame is the true firms without platform vendors, the survey every wave's respondents with
their macro-area; both get :func:`~channelstudy.analysis.weights.size_class` from employees and turnover.
When the truth folder lacks ``firms.parquet`` or ``responses.parquet`` the default world is
simulated into a temporary folder first (about 7 s, not timed).  Prints the best of ``--repeat``
wall-clock times, the per-wave weights report, and for three size-related quantities not used in
raking the true population value next to the unweighted and weighted estimates of each wave.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_weights import TRUTH, comparison, prepare_world  # noqa: E402

from channelstudy.analysis.raking import RakingConfig
from channelstudy.analysis.weights import weight_waves  # noqa: E402


def load_truth(truth: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Firms and responses of the truth folder, simulating the default world when absent."""
    if (truth / "firms.parquet").is_file() and (truth / "responses.parquet").is_file():
        return pd.read_parquet(truth / "firms.parquet"), pd.read_parquet(truth / "responses.parquet")
    from channelstudy.simulate import simulate

    print(f"{truth} lacks the truth files: simulating the default world into a temporary folder")
    with tempfile.TemporaryDirectory(prefix="bench_weights_") as folder:
        root = Path(folder)
        simulate(root / "raw", truth_out=root / "truth")
        return pd.read_parquet(root / "truth" / "firms.parquet"), pd.read_parquet(
            root / "truth" / "responses.parquet"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, default=TRUTH)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trim-ratio", type=float, default=RakingConfig().trim_ratio)
    args = parser.parse_args(argv)
    config = RakingConfig(trim_ratio=args.trim_ratio)

    frame, survey = prepare_world(*load_truth(args.truth))
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        weights, report = weight_waves(survey, frame, config=config)
        timings.append(time.perf_counter() - start)

    print(f"frame={len(frame)} firms  survey={len(survey)} responses in {report.shape[0]} waves")
    print(f"weight_waves: best of {args.repeat}: {min(timings):.3f} s")
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_colwidth", 200):
        print(report.drop(columns=["collapsed_cells", "thin_cells", "uncovered_cells"]).to_string(float_format="{:.4g}".format))
        for wave, notes in report["collapsed_cells"].items():
            if notes:
                print(f"{wave} collapsed: {notes}")
        print(comparison(frame, survey, weights).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
