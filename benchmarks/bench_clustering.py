"""Time :class:`channelstudy.analysis.clustering.BusinessModelClustering` on the default world (~15,000 firms).

Not a test.  Run from the repository root::

    .venv/bin/python benchmarks/bench_clustering.py [--repeat 1] [--exact] [--model gaussian]

Reads the planted truth ``data/interim/truth/firms.parquet`` (or simulates the default world into a
temporary folder when it is absent), rounds the true revenue mixes to whole percents and re-closes
them like survey answers (``--exact`` keeps the true mixes), and fits the estimator with its
defaults (``--model``, ``--covariance-type``, ``--selection``, ``--n-bootstrap`` and ``--n-init``
override them).  Prints the wall-clock and CPU time of the full fit (best of ``--repeat``), the time
of the model-selection part alone (``n_bootstrap=0``), the chosen numbers of components and
clusters, the criteria by number of components, the adjusted Rand index against the planted
archetypes and the bootstrap stability.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_clustering import round_to_percents  # noqa: E402

from channelstudy.analysis.clustering import BusinessModelClustering  # noqa: E402

TRUTH = Path(__file__).resolve().parents[1] / "data" / "interim" / "truth" / "firms.parquet"


def load_firms() -> pd.DataFrame:
    """True firms of the default world: the repository's copy, else a fresh simulation."""
    if TRUTH.exists():
        return pd.read_parquet(TRUTH)
    from channelstudy.simulate import simulate

    root = Path(tempfile.mkdtemp(prefix="bench_clustering_"))
    simulate(root / "raw", truth_out=root / "truth")
    return pd.read_parquet(root / "truth" / "firms.parquet")


def timed_fit(estimator: BusinessModelClustering, firms: pd.DataFrame) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one fit."""
    wall, cpu = time.perf_counter(), time.process_time()
    estimator.fit(firms)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--exact", action="store_true", help="true mixes instead of whole percents")
    defaults = BusinessModelClustering()
    parser.add_argument("--model", default=defaults.model)
    parser.add_argument("--covariance-type", default=defaults.covariance_type)
    parser.add_argument("--selection", default=defaults.selection)
    parser.add_argument("--n-bootstrap", type=int, default=defaults.n_bootstrap)
    parser.add_argument("--n-init", type=int, default=defaults.n_init)
    args = parser.parse_args(argv)

    firms = load_firms()
    if not args.exact:
        firms = round_to_percents(firms)
    params = {
        "model": args.model,
        "covariance_type": args.covariance_type,
        "selection": args.selection,
        "n_bootstrap": args.n_bootstrap,
        "n_init": args.n_init,
    }
    runs = [timed_fit(est := BusinessModelClustering(**params), firms) for _ in range(args.repeat)]
    wall, cpu = min(runs)
    select_wall, _ = timed_fit(BusinessModelClustering(**{**params, "n_bootstrap": 0}), firms)

    from sklearn.metrics import adjusted_rand_score

    ari = adjusted_rand_score(firms["archetype"], est.labels_)
    print(f"firms={len(firms)} mixes={'exact' if args.exact else 'whole percents'} params={params}")
    print(
        f"fit: {wall:.1f} s wall, {cpu:.1f} s CPU (best of {args.repeat}); "
        f"selection alone {select_wall:.1f} s"
    )
    print(f"components={est.n_components_} clusters={est.n_clusters_} names={est.cluster_names_}")
    print(f"components named {est.component_names_}")
    print(est.selection_.round(3).to_string())
    print(
        f"ARI vs archetype={ari:.4f} stability={est.stability_:.4f} "
        f"(min {min(est.stability_scores_, default=float('nan')):.4f})"
    )
    print(pd.crosstab(pd.Series(est.cluster_names_).to_numpy()[est.labels_], firms["archetype"]).to_string())


if __name__ == "__main__":
    main()
