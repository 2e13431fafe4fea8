"""The stage chain, written once: simulate -> build -> analyze -> hypothesis catalogue.

The command line (``channelstudy build``, ``analyze``, ``validate``), the method validation and the
Makefile's targets all go through these functions, so the order of the stages and what each
writes where is said in one place::

    raw/ (sources.yml + files) --build--> processed/ (firms, links, survey, ... build_report.json)
         --analyze--> processed/ (segments, survey_weights, analysis_report.json)
         --catalogue--> tables/hypotheses.csv

>>> STAGES
('simulate', 'build', 'analyze', 'catalogue')
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from channelstudy.analysis import AnalyzeConfig, AnalyzeResult, analyze
from channelstudy.build import BuildConfig, BuildResult, build
from channelstudy.catalog import TABLES
from channelstudy.errors import UserError
from channelstudy.hypotheses import compare_with_truth, load_study, run_catalogue, write_catalogue
from channelstudy.hypotheses.validation import summarise
from channelstudy.simulate import simulate

__all__ = ["STAGES", "StudyResult", "run_analyze", "run_build", "run_one_seed", "validate_methods"]

log = logging.getLogger(__name__)

STAGES: tuple[str, ...] = ("simulate", "build", "analyze", "catalogue")


@dataclass
class StudyResult:
    """What :func:`run_analyze` produced: the analysis stage's outputs and the catalogue table."""

    analysis: AnalyzeResult
    catalogue: pd.DataFrame


def unbalanced_sources(report: dict) -> list[str]:
    """Sources of a build report whose rows read differ from rows used + rows rejected."""
    return [name for name, s in report["sources"].items()
            if s["rows_read"] != s["rows_used"] + s["rows_rejected"] or not s["balanced"]]


def run_build(raw: str | Path, processed: str | Path, *, config: BuildConfig | None = None,
              progress: bool = False) -> BuildResult:
    """Build ``raw`` into ``processed``; raises :class:`UserError` if a source does not balance."""
    result = build(raw, processed, config=config, progress=progress)
    unbalanced = unbalanced_sources(result.report)
    if unbalanced:
        raise UserError(f"rows read != used + rejected for {', '.join(unbalanced)} (a bug: please report)")
    return result


def run_analyze(processed: str | Path, tables: str | Path | None = None, *,
                config: AnalyzeConfig | None = None) -> StudyResult:
    """The analysis stage, then the hypothesis catalogue (written to ``tables`` when given)."""
    analysis = analyze(processed, config=config, tables_dir=tables)
    catalogue = run_catalogue(load_study(processed))
    if tables is not None:
        write_catalogue(catalogue, TABLES["hypotheses"].path(tables))
    return StudyResult(analysis, catalogue)


def run_one_seed(seed: int, n_firms: int = 15_000, n_bootstrap: int = 0) -> pd.DataFrame:
    """Simulate, build, analyze and run the catalogue for one seed; the catalogue joined with truth."""
    with tempfile.TemporaryDirectory(prefix=f"validate-{seed}-") as tmp:
        root = Path(tmp)
        simulate(root / "raw", seed=seed, n_firms=n_firms, truth_out=root / "truth")
        run_build(root / "raw", root / "processed")
        study = run_analyze(root / "processed", config=replace(AnalyzeConfig(), n_bootstrap=n_bootstrap))
        table = compare_with_truth(study.catalogue, root / "truth" / "effects.json")
        shutil.rmtree(root / "raw", ignore_errors=True)
    return table.assign(seed=seed)


def validate_methods(seeds: list[int], *, n_firms: int = 15_000, workers: int = 2,
                     progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run :func:`run_one_seed` over ``seeds`` (in parallel processes); returns (runs, summary)."""
    from tqdm.auto import tqdm

    if not seeds:
        raise ValueError("validate_methods needs at least one seed")
    results = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_one_seed, s, n_firms) for s in seeds]
        for future in tqdm(futures, desc="validate", unit="seed", disable=not progress or None):
            results.append(future.result())
    runs = pd.concat(results, ignore_index=True).sort_values(["seed", "id"], ignore_index=True)
    return runs, summarise(runs)
