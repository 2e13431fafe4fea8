"""The per-source stage of the build: read, decode and clean measures, one source at a time.

Each record source is prepared on its own (:func:`prepare_source`), so the sources of a manifest
can be split between processes (identities are cleaned afterwards, for all sources at once, so
that a name or VAT found in several sources is cleaned once).  :func:`prepare_all` uses ``jobs`` worker processes
(:attr:`channelstudy.build.BuildConfig.jobs`; by default two, when the machine has two cores and
the record sources' files add up to :data:`PARALLEL_BYTES` or more; below that starting the
workers costs more than it saves).  Workers take the largest files first; the results are
gathered in manifest order and are the same as one process's, byte for byte.

Errors come in the order of one process: first the first header problem in manifest order
(what :func:`channelstudy.sources.readers.check_headers` raises before any read), then the first
read problem.  With workers every source is read before an error is raised.  A worker that dies
(killed, e.g. for lack of memory) stops the build with a ``RuntimeError`` that says to use one
process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import pandas as pd

from channelstudy.build.config import BuildConfig
from channelstudy.build.identity import record_sources
from channelstudy.build.records import CLEANERS, decode_fields
from channelstudy.errors import ManifestError
from channelstudy.fields import STATISTICS_KIND
from channelstudy.sources.readers import check_header, check_headers, forget_parsed, read_source
from channelstudy.sources.specs import Manifest, SourceSpec

__all__ = ["PARALLEL_BYTES", "PreparedSource", "prepare_all", "prepare_source", "usable_cores", "worker_count"]

PARALLEL_BYTES = 8 * 2**20
"""Record-source bytes (files as stored) from which ``jobs=0`` prepares sources in two processes."""


@dataclass
class PreparedSource:
    """One record source, prepared.

    Attributes
    ----------
    frame : DataFrame
        The mapped fields as text, decoded (:func:`channelstudy.build.records.decode_fields`);
        ``attrs`` carries the reader's ``rows_in_file``, ``hints`` and ``quarantined``, and
        ``decoded`` (the decoder counts).
    cleaned : DataFrame
        One row per row of ``frame``: the kind's typed measures
        (:data:`channelstudy.build.records.CLEANERS`), not yet linked to firms.
    """

    frame: pd.DataFrame
    cleaned: pd.DataFrame


def prepare_source(spec: SourceSpec, config: BuildConfig) -> PreparedSource:
    """Read, decode and clean one record source."""
    raw = read_source(spec)
    frame, decoded = decode_fields(raw, spec)
    frame.attrs = {**raw.attrs, "decoded": decoded}
    return PreparedSource(frame, CLEANERS[spec.kind](frame, spec, config))


def worker_count(jobs: int, specs: Sequence[SourceSpec]) -> int:
    """Processes to prepare ``specs`` with: ``jobs`` when given (>= 1), else 1 or 2 by input size.

    >>> worker_count(3, [])
    3
    >>> worker_count(0, [])
    1
    """
    if jobs:
        return jobs
    stored = sum(spec.path.stat().st_size for spec in specs)
    return min(2, usable_cores()) if stored >= PARALLEL_BYTES else 1


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system has one, e.g. a CI container)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def prepare_all(manifest: Manifest, config: BuildConfig, *, progress: bool = False,
                on_prepared: Callable[[SourceSpec, PreparedSource], None] | None = None) -> dict[str, PreparedSource]:
    """Every record source of ``manifest`` prepared, keyed by name in manifest order.

    ``manifest`` may come from ``load_manifest(..., headers=False)``: the headers are checked
    here (before any read with one process; by each worker before its read otherwise).
    ``on_prepared(spec, prepared)`` is called in this process for each source as soon as it is
    prepared (in manifest order with one process, as the workers finish otherwise), while the
    workers go on with the other sources.

    Raises
    ------
    ManifestError
        The first header problem in manifest order, else the first read problem.
    """
    from tqdm.auto import tqdm

    specs = record_sources(manifest)
    jobs = worker_count(config.jobs, specs)
    bar = tqdm(total=len(specs), desc="read and clean", unit="source", disable=not progress or None)
    try:
        if jobs == 1:
            check_headers(manifest)
            prepared = {}
            for spec in specs:
                prepared[spec.name] = prepare_source(spec, config)
                if on_prepared is not None:
                    on_prepared(spec, prepared[spec.name])
                bar.update()
            return prepared
        return _prepare_in_workers(manifest, specs, config, jobs, bar, on_prepared)
    finally:
        bar.close()
        forget_parsed()


@dataclass
class _Outcome:
    prepared: PreparedSource | None = None
    header_error: ManifestError | None = None
    read_error: ManifestError | None = None


def _checked_and_prepared(spec: SourceSpec, config: BuildConfig) -> _Outcome:
    try:
        if (header_error := _header_error(spec)) is not None:
            return _Outcome(header_error=header_error)
        return _Outcome(prepared=prepare_source(spec, config))
    except ManifestError as exc:
        return _Outcome(read_error=exc)
    finally:
        forget_parsed()


def _prepare_in_workers(manifest: Manifest, specs: Sequence[SourceSpec], config: BuildConfig, jobs: int, bar,
                        on_prepared: Callable[[SourceSpec, PreparedSource], None] | None) -> dict[str, PreparedSource]:
    header_errors = {s.name: _header_error(s) for s in manifest.sources if s.kind == STATISTICS_KIND}
    finished = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_checked_and_prepared, s, config): s for s in _largest_first(specs)}
        try:
            for future in as_completed(futures):
                spec, outcome = futures[future], future.result()
                finished[spec.name] = outcome
                if on_prepared is not None and outcome.prepared is not None:
                    on_prepared(spec, outcome.prepared)
                bar.update()
        except BrokenProcessPool as exc:
            raise RuntimeError(
                "a worker process preparing the sources stopped without an answer (killed, e.g. for lack of "
                "memory?); build with one process: --jobs 1 (BuildConfig(jobs=1))") from exc
        except BaseException:  # an error or Ctrl-C: do not wait for the sources not started yet
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    outcomes = {s.name: finished[s.name] for s in specs}  # manifest order: errors come in one process's order
    header_errors |= {name: o.header_error for name, o in outcomes.items()}
    for spec in manifest.sources:
        if header_errors[spec.name] is not None:
            raise header_errors[spec.name]
    for outcome in outcomes.values():
        if outcome.read_error is not None:
            raise outcome.read_error
    return {name: o.prepared for name, o in outcomes.items()}


def _largest_first(specs: Sequence[SourceSpec]) -> list[SourceSpec]:
    """The longest jobs start first, so that no worker is left with a large file at the end."""
    return sorted(specs, key=lambda s: -s.path.stat().st_size)


def _header_error(spec: SourceSpec) -> ManifestError | None:
    try:
        check_header(spec)
    except ManifestError as exc:
        return exc
    return None
