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

import hashlib
import json
import logging
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.analysis import AnalyzeConfig, AnalyzeResult, analyze
from channelstudy.analysis.margins import resolve_margins
from channelstudy.analysis.stage_weights import calibration_reweigher
from channelstudy.build import BuildConfig, BuildResult, build
from channelstudy.catalog import TABLES, read_table, write_table
from channelstudy.errors import UserError
from channelstudy.hypotheses import CATALOGUE, StudyData, load_study, run_catalogue, write_catalogue
from channelstudy.hypotheses.bounded import bounded_checks
from channelstudy.hypotheses.catalogue import write_preregistration
from channelstudy.hypotheses.validation import clopper_pearson, false_positive_columns, summarise, truth_study
from channelstudy.simulate import PlantedEffects, WorldConfig, planted_effects, simulate
from channelstudy.simulate.world import build_world

__all__ = ["POWER_MULTIPLIERS", "POWER_RESPONSES", "STAGES", "StudyResult", "failed_worlds",
           "h0_false_positive_loop", "minimum_detectable_effect", "power_study", "power_table", "provenance",
           "run_analyze", "run_build", "run_one_seed", "run_started", "simulate_and_process", "validate_methods",
           "write_sidecar"]

PACKAGES = ("channelstudy", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn")
"""Packages whose versions every provenance sidecar records."""
POWER_MULTIPLIERS: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0)
"""Effect multipliers of the power study (1 = the default world's planted effects)."""
POWER_RESPONSES: tuple[int, ...] = (200, 400, 800, 2000)
"""Responses per wave of the power study."""

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
                config: AnalyzeConfig | None = None, margins: str | Path | None = None,
                sensitivity: bool = True, variance: str | None = None) -> StudyResult:
    """The analysis stage, then the hypothesis catalogue (written to ``tables`` when given).

    ``margins`` (the raw folder, or a margins file) says where the population margins of the
    calibrated weights come from (:func:`channelstudy.analysis.margins.resolve_margins`).  With
    ``tables`` and ``sensitivity``, the catalogue is rerun under every weight variant of the stage
    (:func:`sensitivity_table`) into ``sensitivity.csv``.  ``variance`` (``bootstrap`` or
    ``jackknife``) gives the weighted estimators replicate-weight SEs, the stage's calibration redone
    on every replicate when the stage calibrated (:func:`with_recalibration`).
    """
    analysis = analyze(processed, config=config, tables_dir=tables, margins=margins)
    data = with_recalibration(load_study(processed), processed, analysis, margins, config or AnalyzeConfig())
    catalogue = run_catalogue(data, variance=variance)
    if tables is not None:
        target = TABLES["hypotheses"].path(tables)
        write_catalogue(catalogue, target)
        write_sidecar(target, inputs=sorted(Path(processed).glob("*.parquet")))
        prereg = write_preregistration(TABLES["preregistration"].path(tables))
        write_sidecar(prereg)
        if sensitivity:
            write_table("sensitivity", sensitivity_table(data, read_table("weight_variants", processed), catalogue),
                        tables)
    return StudyResult(analysis, catalogue)


def with_recalibration(data: StudyData, processed: str | Path, analysis: AnalyzeResult,
                       margins: str | Path | None, config: AnalyzeConfig) -> StudyData:
    """The study data with ``weigh`` set when the stage calibrated to margins (else unchanged)."""
    if analysis.report.get("weighting", {}).get("used") != "calibrated":
        return data
    table, _ = resolve_margins(margins)
    weigh = calibration_reweigher(read_table("firms", processed), read_table("segments", processed), table, config)
    return replace(data, weigh=weigh)


SENSITIVITY_COLUMNS = ("id", "family", "variant", "scheme", "cap", "weighted", "estimate", "ci_low", "ci_high",
                       "p_holm", "supported", "shift_in_current_se", "verdict_moves", "n")
"""Columns of ``sensitivity.csv``."""


def sensitivity_table(data, variants: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """The catalogue rerun with each weight variant (``none``, ``<scheme>_cap<c>``) as the survey weight.

    One row per hypothesis and variant (the stage's own weights are ``variant == "current"``):
    estimate, 95 % CI, Holm-adjusted p-value, whether supported, the shift from the current
    estimate in units of its SE, and whether the verdict differs from the current one.  Within-firm
    estimates are skipped (``run_catalogue(within=False)``); the estimators' own bootstrap
    replicates are unchanged.
    """
    keys = ["source", "record_id"]
    tables = [current.assign(variant="current")]
    for column in [c for c in variants.columns if c not in keys]:
        weight = data.survey[keys].merge(variants[[*keys, column]], on=keys, how="left")[column]
        survey = data.survey.assign(weight=weight.to_numpy(dtype=float))
        tables.append(run_catalogue(replace(data, survey=survey), within=False).assign(variant=column))
    table = pd.concat(tables, ignore_index=True)
    now = current.set_index("id")
    se_now = ((now["ci_high"] - now["ci_low"]) / (2 * 1.959963984540054)).reindex(table["id"]).to_numpy()
    parts = table["variant"].str.split("_cap", n=1, expand=True).reindex(columns=[0, 1])
    table = table.assign(
        scheme=parts[0], cap=pd.to_numeric(parts[1], errors="coerce"),
        shift_in_current_se=(table["estimate"].to_numpy() - now["estimate"].reindex(table["id"]).to_numpy()) / se_now,
        verdict_moves=pd.array(table["supported"], dtype="boolean")
        != pd.array(now["supported"].reindex(table["id"]), dtype="boolean"),
    )
    return table[list(SENSITIVITY_COLUMNS)]


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, check=True, cwd=Path(__file__).parent).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def provenance(*, seeds: Iterable[int] | None = None, config: dict | None = None,
               inputs: Iterable[str | Path] = ()) -> dict:
    """What produced a table: git commit (``-dirty`` with uncommitted changes), package versions,
    Python, configuration, seeds and the SHA-256 of each input file.

    >>> sorted(provenance(seeds=[1, 2]))
    ['commit', 'config', 'inputs', 'python', 'seeds', 'versions']
    """
    return {
        "commit": _git_commit(),
        "versions": {name: _version(name) for name in PACKAGES},
        "python": platform.python_version(),
        "config": config or {},
        "seeds": list(seeds) if seeds is not None else [],
        "inputs": {Path(p).name: _sha256(Path(p)) for p in inputs},
    }


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_started(**kwargs) -> dict:
    """The provenance of a run taken when it starts (:func:`provenance` plus ``started_utc``).

    Pass it to :func:`write_sidecar` as ``started``: a long run records the commit and versions it
    started with, not those of the checkout when its tables were written.
    """
    return provenance(**kwargs) | {"started_utc": _utc_now()}


def write_sidecar(table_path: str | Path, *, started: dict | None = None, **kwargs) -> Path:
    """Write ``<table>.provenance.json`` beside a table.

    ``started`` is the record of :func:`run_started` (taken at the start of the run); without it the
    provenance is taken now from ``kwargs`` (see :func:`provenance` for the arguments).  When the commit
    at writing differs from the one the run started with (a commit landed meanwhile), both are recorded
    (``commit_at_write``).
    """
    table_path = Path(table_path)
    record = dict(started) if started is not None else provenance(**kwargs)
    now_commit = _git_commit()
    if now_commit.removesuffix("-dirty") != record["commit"].removesuffix("-dirty"):  # the run's own tables dirty it
        record["commit_at_write"] = now_commit
    record |= {"table": table_path.name, "sha256": _sha256(table_path), "written_utc": _utc_now()}
    target = table_path.with_name(table_path.name + ".provenance.json")
    target.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return target


VALIDATION_ANALYZE = {"n_bootstrap": 0, "n_components_range": (2, 4)}
"""Analysis settings of the method validation: no cluster bootstrap and a short cluster search (the
catalogue uses neither; they only cost time)."""


def simulate_and_process(root: Path, seed: int, *, n_firms: int, n_bootstrap: int = 0,
                         config: WorldConfig | None = None) -> StudyResult:
    """One validation world under ``root``: simulate into ``raw/`` (truth in ``truth/``), build and analyze
    into ``processed/`` with :data:`VALIDATION_ANALYZE`; returns the analysis stage's result."""
    simulate(root / "raw", seed=seed, n_firms=n_firms, truth_out=root / "truth", config=config)
    run_build(root / "raw", root / "processed")
    analyze_config = replace(AnalyzeConfig(), **(VALIDATION_ANALYZE | {"n_bootstrap": n_bootstrap}))
    # calibrated to the world's own (simulated) population margins, as `make analyze` does
    return run_analyze(root / "processed", config=analyze_config, margins=root / "raw")


def run_one_seed(seed: int, n_firms: int = 15_000, n_bootstrap: int = 0,
                 config: WorldConfig | None = None, variance: str | None = None) -> pd.DataFrame:
    """Simulate, build, analyze and run the catalogue for one seed; the catalogue joined with truth.

    ``variance`` as in :func:`run_one_truth_seed` (replicate weights rescale the calibrated weights).
    """
    with tempfile.TemporaryDirectory(prefix=f"validate-{seed}-") as tmp:
        root = Path(tmp)
        study = simulate_and_process(root, seed, n_firms=n_firms, n_bootstrap=n_bootstrap, config=config)
        truth = json.loads((root / "truth" / "effects.json").read_text(encoding="utf-8"))["effects"]
        data = load_study(root / "processed")
        table = _with_truth(study.catalogue, truth, _replicate_se(data, variance))
        shutil.rmtree(root / "raw", ignore_errors=True)
    return table.join(bounded_checks(data, CATALOGUE), on="id").assign(seed=seed)


@dataclass(frozen=True)
class _Failed:
    error: str


def _guarded(function: Callable, *args):
    """``function(*args)``, or what it raised as a :class:`_Failed` (so a pool can carry on)."""
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 - any error of one world is that world's, reported by the caller
        return _Failed(f"{type(exc).__name__}: {exc}")


def _parallel(function: Callable, args: list[tuple], *, workers: int, progress: bool, desc: str,
              failed: list | None = None) -> list:
    """``function(*a)`` for each ``a`` of ``args`` in ``workers`` processes, results in order.

    Without ``failed`` the first error stops the run.  With a list, a call that raises is left out of
    the results and appended to ``failed`` as ``(a, "ExceptionType: message")``, and logged with its
    first argument (the seed): one world that breaks costs that world, not the hours of the others.
    """
    from tqdm.auto import tqdm

    call = function if failed is None else partial(_guarded, function)
    if workers == 1:
        results = [call(*a) for a in tqdm(args, desc=desc, disable=not progress or None)]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(call, *a) for a in args]
            results = [f.result() for f in tqdm(futures, desc=desc, disable=not progress or None)]
    kept = []
    for a, result in zip(args, results, strict=True):
        if isinstance(result, _Failed):
            log.error("%s: seed %s failed and is left out: %s", desc, a[0], result.error)
            failed.append((a, result.error))
        else:
            kept.append(result)
    if not kept and args:
        raise RuntimeError(f"{desc}: every one of {len(args)} runs failed; the first: {failed[0][1]}")
    return kept


def failed_worlds(failed: list, names: tuple[str, ...]) -> list[dict]:
    """The ``failed`` entries of :func:`_parallel` as records for a provenance sidecar: the first
    arguments under ``names``, and the error.

    >>> failed_worlds([((7, 3000), "ValueError: no rows")], ("seed",))
    [{'seed': 7, 'error': 'ValueError: no rows'}]
    """
    return [dict(zip(names, args, strict=False)) | {"error": error} for args, error in failed]


def run_one_truth_seed(seed: int, n_firms: int = 15_000, n_bootstrap: int = 0,
                       config: WorldConfig | None = None, variance: str | None = None) -> pd.DataFrame:
    """The catalogue on one world's true respondents (no files, cleaning or linkage), joined with truth.

    With ``variance`` (``bootstrap`` or ``jackknife``) the weighted estimators also run with replicate
    weights: their SE is the ``se_replicate`` column (NaN for the others).
    """
    world = build_world(replace(config or WorldConfig(), n_firms=n_firms), seed)
    truth = planted_effects(world)
    study = truth_study(world)
    table = run_catalogue(study, within=False)
    table = _with_truth(table, truth, _replicate_se(study, variance))
    return table.join(bounded_checks(study, CATALOGUE), on="id").assign(seed=seed)


def _replicate_se(study, variance: str | None) -> pd.Series | None:
    """Per hypothesis id: the SE from replicate weights of the estimators that have the option."""
    if variance is None:
        return None
    replicated = tuple(h for h in CATALOGUE if hasattr(h.test, "variance"))
    table = run_catalogue(study, replicated, within=False, variance=variance)
    return table.set_index("id")["se"]


def _with_truth(table: pd.DataFrame, truth: dict, se_replicate: pd.Series | None) -> pd.DataFrame:
    table["planted"] = [float(truth[h]["planted"]) for h in table["id"]]
    table["covered"] = (table["ci_low"] <= table["planted"]) & (table["planted"] <= table["ci_high"])
    table["se_replicate"] = table["id"].map(se_replicate) if se_replicate is not None else np.nan
    return table


VALIDATION_MODES = {"full": run_one_seed, "truth": run_one_truth_seed}
"""``full``: simulate raw files, build, analyze, catalogue; ``truth``: estimators on the true respondents."""


def validate_methods(seeds: list[int], *, n_firms: int = 15_000, workers: int = 2, progress: bool = True,
                     config: WorldConfig | None = None, mode: str = "full", variance: str = "bootstrap",
                     replicate_seeds: int = 0, failed: list | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run :func:`run_one_seed` (or, ``mode="truth"``, :func:`run_one_truth_seed`) over ``seeds`` in
    parallel processes; returns (runs, summary).

    The first ``replicate_seeds`` seeds also compute the replicate-weight SE (``variance``) of the
    weighted estimators, summarised beside the linearised SE.  With ``failed`` (a list), a world that
    raises is left out and recorded there (:func:`_parallel`) instead of stopping the run.
    """
    if not seeds:
        raise ValueError("validate_methods needs at least one seed")
    if mode not in VALIDATION_MODES:
        raise ValueError(f"mode must be one of {sorted(VALIDATION_MODES)}")
    args = [(s, n_firms, 0, config, variance if i < replicate_seeds else None) for i, s in enumerate(seeds)]
    results = _parallel(VALIDATION_MODES[mode], args, workers=workers, progress=progress, desc="validate",
                        failed=failed)
    runs = pd.concat(results, ignore_index=True).sort_values(["seed", "id"], ignore_index=True)
    return runs, summarise(runs)


def validation_config(n_firms: int, config: WorldConfig | None = None) -> dict:
    """The configuration recorded beside a validation table."""
    cfg = replace(config or WorldConfig(), n_firms=n_firms).scaled()
    world = {k: v for k, v in asdict(cfg).items() if k not in ("mess",)}
    return {"world": world, "analyze": VALIDATION_ANALYZE}


def _h0_one(seed: int, n_firms: int) -> dict:
    world = build_world(WorldConfig(n_firms=n_firms), seed)
    h0 = next(h for h in CATALOGUE if h.id == "H0")
    r = run_catalogue(truth_study(world), (h0,)).iloc[0]
    return {"seed": seed, "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            "p_value": r["p_value"], "p_equivalence": r["p_equivalence"], "equivalent": bool(r["equivalent"])}


def h0_false_positive_loop(seeds: list[int], *, n_firms: int = 3_000, workers: int = 2,
                           progress: bool = True, failed: list | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cheap H0-only loop: false-positive rate of the negative control on the true respondents.

    Returns (one row per world, one summary row with the rate, its exact 95 % CI and MC SE).
    ``failed`` as in :func:`validate_methods`.
    """
    runs = pd.DataFrame(_parallel(_h0_one, [(s, n_firms) for s in seeds], workers=workers, progress=progress,
                                  desc="H0 loop", failed=failed))
    summary = pd.DataFrame([{"id": "H0", "n_worlds": len(runs), **false_positive_columns(runs["p_value"]),
                             "equivalence_rate": float(runs["equivalent"].mean()),
                             "covered": float(((runs["ci_low"] <= 0) & (runs["ci_high"] >= 0)).mean())}])
    return runs, summary


def _power_one(seed: int, multiplier: float, responses: int) -> pd.DataFrame:
    effects = PlantedEffects().scaled(multiplier)
    world = build_world(WorldConfig(n_firms=15_000, responses_per_wave=responses, effects=effects), seed)
    truth = planted_effects(world)
    table = run_catalogue(truth_study(world), within=False)
    table = table.assign(planted=[truth[h]["planted"] for h in table["id"]])
    keep = ["id", "family", "estimate", "se", "z", "std_estimate", "p_value", "p_holm", "supported", "planted"]
    return table[keep].assign(seed=seed, multiplier=multiplier, responses_per_wave=responses)


def power_study(seeds: list[int], *, multipliers: tuple[float, ...] = POWER_MULTIPLIERS,
                responses: tuple[int, ...] = POWER_RESPONSES, workers: int = 2,
                progress: bool = True, failed: list | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Power of each confirmatory hypothesis (Holm across H2-H9) over effect multipliers x responses per wave.

    Each world is the default population (15,000 firms) with every planted effect scaled and the
    survey's expected responses per wave set; estimators run on the true respondents
    (:func:`~channelstudy.hypotheses.validation.truth_study`).  Returns (runs, power table with the
    exact 95 % CI of each power and the mean planted value and standardised effect per cell).
    ``failed`` as in :func:`validate_methods` (its entries' arguments are seed, multiplier, responses).
    """
    args = [(s, m, r) for m in multipliers for r in responses for s in seeds]
    runs = pd.concat(_parallel(_power_one, args, workers=workers, progress=progress, desc="power", failed=failed),
                     ignore_index=True)
    return runs, power_table(runs)


def power_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Power per confirmatory hypothesis x multiplier x responses per wave (exact 95 % CI) from power runs."""
    conf = runs[runs["family"] == "confirmatory"].copy()
    conf["supported"] = conf["supported"].astype("boolean").fillna(False).astype(bool)
    rows = []
    for (hid, m, r), g in conf.groupby(["id", "multiplier", "responses_per_wave"], sort=True):
        k, n = int(g["supported"].sum()), len(g)
        low, high = clopper_pearson(k, n)
        rows.append({"id": hid, "multiplier": m, "responses_per_wave": r, "n_worlds": n, "power": k / n,
                     "power_ci_low": low, "power_ci_high": high, "planted_mean": float(g["planted"].mean()),
                     "std_effect_mean": float(g["std_estimate"].mean()), "mean_z": float(g["z"].mean())})
    return pd.DataFrame(rows)


def minimum_detectable_effect(power: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Per hypothesis and responses per wave: the smallest multiplier whose power (Holm) reaches ``target``
    (linear interpolation between grid points; NaN when no grid point reaches it), and the planted
    value at that multiplier.
    """
    rows = []
    for (hid, r), g in power.groupby(["id", "responses_per_wave"], sort=True):
        g = g.sort_values("multiplier")
        m, p, v = g["multiplier"].to_numpy(), g["power"].to_numpy(), g["planted_mean"].to_numpy()
        above = np.flatnonzero(p >= target)
        if above.size == 0:
            mde = float("nan")
        elif above[0] == 0:
            mde = float(m[0])
        else:
            i = above[0]
            mde = float(m[i - 1] + (target - p[i - 1]) * (m[i] - m[i - 1]) / (p[i] - p[i - 1]))
        unit = v[m == 1.0][0] if (m == 1.0).any() else float("nan")
        rows.append({"id": hid, "responses_per_wave": r, "mde_multiplier": mde, "mde_planted": mde * unit})
    return pd.DataFrame(rows)
