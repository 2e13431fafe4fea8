"""Build: clean, validate and link the raw sources of a manifest into processed tables.

``build(raw, out)`` reads every source of ``raw/sources.yml``, cleans identities and measures
with :mod:`channelstudy.clean`, links records of all sources into firms
(:mod:`channelstudy.build.link`), and writes to ``out``:

``firms.parquet``          one row per resolved firm
``links.parquet``          one row per input record: which firm, how it matched
``survey.parquet``         one row per responding firm and wave (personal data dropped)
``vendor_roster.parquet``  one row per partner and programme
``pipeline.parquet``       one row per pipeline item and partner
``rejects.parquet``        every input row not used, with a reason code
``statistics_<name>.parquet``  one row per series and period of each ``statistics`` source
``build_report.json``      per source: rows read = rows used + rows rejected (by reason)
``CODEBOOK.md``            generated from the schemas

Nothing is lost: every row the reader returns is either used in an output table or rejected
with a reason, and blank rows skipped by the reader (trailing ones included) are rejected as
``blank_row`` (or the source's ``options.blank_reason``, e.g. ``no_awardee``).  The same input
gives byte-identical outputs.

Each source is read, decoded and cleaned on its own (:mod:`channelstudy.build.prepare`), in two worker
processes for inputs from :data:`channelstudy.build.prepare.PARALLEL_BYTES` (``BuildConfig.jobs``); the
identities of each source are cleaned as it arrives (:class:`channelstudy.build.identity.IdentityCleaner`).
The outputs do not depend on the number of processes.

Per-source options (:class:`channelstudy.sources.manifest.SourceOptions`, usually from a preset of
:mod:`channelstudy.sources.presets`) steer cleaning: decoders rewrite mapped text before anything else,
the ATECO edition and zero stripping are passed to :func:`channelstudy.clean.ateco.clean_ateco`,
a declared legal form may win over the one read from the name, and a source without geography
may be de-duplicated by name.  Without options a source is cleaned as before.

Statistics sources (``kind: statistics``, a Eurostat bulk TSV) are not linked: their rows
(series) are read by :func:`channelstudy.sources.readers.read_statistics`; a series with at least one
observation (a value, or a flag such as ``: c``) is *used* and its observations written to
``statistics_<name>.parquet`` (cells ``:`` without a flag are dropped); a series with none is
rejected as ``no_observations``.  So rows read = series in the file = used + rejected.
"""


from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from channelstudy.build.config import KIND_PRIORITY, BuildConfig
from channelstudy.build.firms import resolve_firms
from channelstudy.build.identity import IdentityCleaner, link_identities, record_sources
from channelstudy.build.prepare import prepare_all
from channelstudy.build.records import empty_kind_table
from channelstudy.build.rejects import (
    blank_rows,
    dedupe_first,
    dedupe_survey,
    empty_rejects,
    quarantined_rows,
    reject_rows,
)
from channelstudy.build.report import build_report, cleaning_counts
from channelstudy.build.statistics import clean_statistics
from channelstudy.catalog import write_tables
from channelstudy.catalog.schemas import codebook_markdown, schema_for, typed
from channelstudy.fields import STATISTICS_KIND
from channelstudy.sources.manifest import load_manifest
from channelstudy.vocabulary import REJECT_REASONS

__all__ = ["BuildConfig", "BuildResult", "build"]

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """Tables written by :func:`build` and the build report."""

    out_dir: Path
    tables: dict[str, pd.DataFrame]
    report: dict


def build(raw: str | Path, out: str | Path, *, config: BuildConfig | None = None,
          progress: bool = False) -> BuildResult:
    """Build the processed tables of the sources described by ``raw/sources.yml`` into ``out``.

    Parameters
    ----------
    raw : path
        Folder holding ``sources.yml`` (or the manifest file itself).
    out : path
        Output folder (created).
    config : BuildConfig, optional
    progress : bool
        Show progress bars.

    Raises
    ------
    channelstudy.sources.manifest.ManifestError
        When the manifest or a source file does not fit the input contract (one-line message).
    """
    config = config or BuildConfig()
    out = Path(out)
    manifest = load_manifest(raw, headers=False)  # prepare_all checks the headers
    cleaner = IdentityCleaner(manifest, config)  # cleans each source's identities while workers read the next
    prepared = prepare_all(manifest, config, progress=progress,
                           on_prepared=lambda spec, p, add=cleaner.add: add(spec, p.frame))
    frames = {name: p.frame for name, p in prepared.items()}
    cleaned_tables = {name: p.cleaned for name, p in prepared.items()}
    del prepared
    for name, frame in frames.items():
        for hint in frame.attrs.get("hints", ()):
            log.warning(hint)
        log.info("read %s: %d rows", name, len(frame))
    rejects = [blank_rows(frames[s.name], s.name, s.options.blank_reason) for s in record_sources(manifest)]
    rejects += [quarantined_rows(frames[s.name], s.name) for s in record_sources(manifest)]
    ids = cleaner.identities()
    del cleaner  # and its caches of cleaned distinct texts
    linked = link_identities(ids, config)
    rejects.append(linked.loc[linked["firm_id"].isna(), ["source", "record_id", "row_number"]]
                   .assign(reason="no_identity", detail=REJECT_REASONS["no_identity"]))
    firm_of = linked.set_index(["source", "row_number"])["firm_id"]

    cleaned: dict[str, list[pd.DataFrame]] = {k: [] for k in KIND_PRIORITY}
    for spec in record_sources(manifest):
        table = cleaned_tables.pop(spec.name)
        table["firm_id"] = firm_of.reindex(pd.MultiIndex.from_arrays([table["source"], table["row_number"]])).to_numpy()
        cleaned[spec.kind].append(table[table["firm_id"].notna()])
    directory, survey, roster, pipeline = (
        pd.concat(cleaned[k], ignore_index=True) if cleaned[k] else empty_kind_table(k, config)
        for k in ("directory", "survey", "vendor_roster", "pipeline")
    )
    no_wave = survey["wave"].isna()
    rejects.append(reject_rows(survey, no_wave, "missing_wave"))
    survey, dup_survey = dedupe_survey(survey[~no_wave])
    no_vendor = roster["vendor"].isna()
    rejects.append(reject_rows(roster, no_vendor, "missing_vendor"))
    roster, dup_roster = dedupe_first(roster[~no_vendor], ["vendor", "firm_id"], "duplicate_roster_entry")
    no_deal = pipeline["deal_id"].isna()
    rejects.append(reject_rows(pipeline, no_deal, "missing_deal"))
    pipeline, dup_pipe = dedupe_first(pipeline[~no_deal], ["deal_id", "firm_id"], "duplicate_pipeline_line")
    rejects += [dup_survey, dup_roster, dup_pipe]

    statistics = {}
    for spec in manifest.sources:
        if spec.kind == STATISTICS_KIND:
            statistics[spec.name], no_obs, frames[spec.name] = clean_statistics(spec)
            rejects.append(no_obs)

    firms = resolve_firms(linked, directory, survey, roster)
    tables = {
        "firms": firms,
        "links": typed(linked.sort_values(["priority", "source", "row_number"]), "links"),
        "survey": typed(survey.sort_values(["source", "row_number"]), "survey"),
        "vendor_roster": typed(roster.sort_values(["source", "row_number"]), "vendor_roster"),
        "pipeline": typed(pipeline.sort_values(["source", "row_number"]), "pipeline"),
        "rejects": typed(pd.concat([empty_rejects(), *(r for r in rejects if len(r))], ignore_index=True)
                          .sort_values(["source", "row_number", "reason"]), "rejects"),
        **{f"statistics_{name}": table for name, table in statistics.items()},
    }
    for name, table in tables.items():
        schema_for(name, table).validate(table, lazy=True)
    report = build_report(manifest, frames, tables, cleaning_counts(ids, directory, frames))
    write_outputs(out, tables, report)
    return BuildResult(out, tables, report)


def write_outputs(out: Path, tables: dict[str, pd.DataFrame], report: dict) -> None:
    """Every table, the build report and the codebook into ``out``, as one step (:func:`write_tables`).

    All files are written under temporary names first and renamed at the end, so a build killed
    while writing leaves the previous outputs intact and readable.
    """
    write_tables({**tables, "build_report": report, "codebook": codebook_markdown(REJECT_REASONS)}, out)
