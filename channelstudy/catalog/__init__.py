"""Every table the pipeline writes: its name, file, folder, stage, schema, loader and writer.

One place answers "which stage owns this table, where is it, what is in it": the build and the
analysis write through :func:`write_table`, the hypotheses and the notebooks read through
:func:`read_table`, and nothing else spells a file name.  Writes are atomic (a temporary file in
the same folder, then a rename), so a run killed midway leaves the previous file intact.

>>> TABLES["firms"].filename, TABLES["firms"].stage, TABLES["firms"].folder
('firms.parquet', 'build', 'processed')
>>> TABLES["hypotheses"].path("reports/tables").as_posix()
'reports/tables/hypotheses.csv'
>>> statistics_table("cloud").filename
'statistics_cloud.parquet'
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from channelstudy.catalog import paths
from channelstudy.catalog.exports import neutralise_frame
from channelstudy.vocabulary import PERSONAL_FIELDS

__all__ = [
    "FLOAT_FORMAT",
    "TABLES",
    "Table",
    "atomic_path",
    "new_file_mode",
    "readable_mkstemp",
    "read_table",
    "remove_stale_temporaries",
    "statistics_table",
    "write_table",
    "write_tables",
]

FLOAT_FORMAT = "%.6g"
"""Floats in CSV tables: 6 significant digits, so that reruns are byte-identical."""

STATISTICS_PREFIX = "statistics_"

_FOLDERS: dict[str, Callable[[], Path]] = {"processed": paths.processed_dir, "tables": paths.tables_dir}


@dataclass(frozen=True)
class Table:
    """One table of the pipeline.

    Parameters
    ----------
    name : str
        Catalogue key (also the schema key of :data:`channelstudy.catalog.schemas.SCHEMAS`).
    filename : str
        File name; the suffix (``.parquet``, ``.csv``, ``.json``, ``.md``) says the format.
    stage : str
        Stage that writes it: ``build``, ``analyze``, ``validate`` or ``power``.
    folder : str
        ``processed`` (data/processed) or ``tables`` (reports/tables): the default folder.
    description : str
        One line for the README and the index.
    """

    name: str
    filename: str
    stage: str
    folder: str
    description: str

    def __post_init__(self) -> None:
        if self.folder not in _FOLDERS:
            raise ValueError(f"{self.name}: folder must be one of {sorted(_FOLDERS)}, got {self.folder!r}")
        if self.format not in ("parquet", "csv", "json", "md"):
            raise ValueError(f"{self.name}: unknown format of {self.filename!r}")

    @property
    def format(self) -> str:
        return Path(self.filename).suffix.lstrip(".")

    def path(self, folder: str | os.PathLike[str] | None = None) -> Path:
        """The table's file in ``folder`` (default: the project's folder for it)."""
        return Path(folder if folder is not None else _FOLDERS[self.folder]()) / self.filename

    def exists(self, folder: str | os.PathLike[str] | None = None) -> bool:
        return self.path(folder).is_file()

    def read(self, folder: str | os.PathLike[str] | None = None) -> Any:
        """Load the table: a DataFrame (Parquet, CSV), a dict (JSON) or text (Markdown)."""
        path = self.path(folder)
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: run the `{self.stage}` stage first "
                                    f"(`channelstudy {self.stage}` or `make {self.stage}`)")
        if self.format == "parquet":
            return pd.read_parquet(path)
        if self.format == "csv":
            return pd.read_csv(path, keep_default_na=False, na_values=[""])
        if self.format == "json":
            return json.loads(path.read_text(encoding="utf-8"))
        return path.read_text(encoding="utf-8")

    def write(self, value: Any, folder: str | os.PathLike[str] | None = None) -> Path:
        """Write the table atomically; returns its path."""
        path = self.path(folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            self.write_file(value, tmp)
        return path

    def write_file(self, value: Any, target: Path) -> None:
        """Write ``value`` in the table's format to ``target`` as is (not atomic: see :meth:`write`).

        CSV tables are for people too (spreadsheets open them): text cells that a spreadsheet
        would run as a formula are neutralised (:func:`channelstudy.catalog.exports.neutralise`).
        """
        if self.format == "parquet":
            _refuse_personal_fields(self.name, value)
            value.to_parquet(target, index=False)
        elif self.format == "csv":
            _refuse_personal_fields(self.name, value)
            neutralise_frame(value).to_csv(target, index=False, float_format=FLOAT_FORMAT)
        elif self.format == "json":
            target.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            target.write_text(value, encoding="utf-8")


def _refuse_personal_fields(name: str, table: pd.DataFrame) -> None:
    personal = sorted(PERSONAL_FIELDS & set(table.columns))
    if personal:
        raise ValueError(f"{name}: refusing to write personal data columns {personal}")


_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")


def new_file_mode() -> int:
    """The permissions ``open()`` gives a new file under the process's umask (``0o644`` under ``022``).

    :func:`tempfile.mkstemp` creates files readable by their owner only; a table renamed from one
    would stay unreadable to the rest of a research group.
    """
    mask = os.umask(0)  # the only portable way to read the mask: set it and put it back at once
    os.umask(mask)
    return 0o666 & ~mask


def readable_mkstemp(*, folder: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """:func:`tempfile.mkstemp` in ``folder``, with the permissions of any new file (:func:`new_file_mode`)
    instead of owner-only: what is renamed from it into place is readable as any other file."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.fchmod(fd, new_file_mode())
    return fd, name


def _temporary(path: Path) -> Path:
    """A new empty file beside ``path``, named ``.<name>.<pid>.<random>.tmp`` (hidden, owned by this process),
    with the permissions of any new file (:func:`readable_mkstemp`)."""
    fd, name = readable_mkstemp(folder=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds (removed otherwise).

    A process killed inside the block (even by SIGKILL) leaves ``path`` as it was and a hidden
    temporary file, which :func:`remove_stale_temporaries` deletes on the next write.
    """
    tmp = _temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's live process
        return True
    return True


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that killed writers left in ``folder`` (their process is gone).

    Returns the files removed.  A temporary file of a live process is kept.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / ".firms.parquet.999999999.abc.tmp").write_bytes(b"half")
    >>> [p.name for p in remove_stale_temporaries(folder)]
    ['.firms.parquet.999999999.abc.tmp']
    """
    removed = []
    for candidate in sorted(Path(folder).glob(".*.tmp")):
        match = _TEMPORARY.match(candidate.name)
        if match and not _alive(int(match["pid"])):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def write_tables(values: Mapping[str, Any], folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write several tables as one step: all are written to temporary files first, then renamed.

    A run killed while writing (the long part) leaves every previous file intact and readable;
    only the renames at the end (microseconds, one ``os.replace`` each) are not one atomic step.
    Temporary files of earlier killed runs are removed first.  Returns the paths written.
    """
    tables = [(_table(name), value) for name, value in values.items()]
    folders = {t.path(folder).parent for t, _ in tables}
    for parent in folders:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(parent)
    with ExitStack() as stack:
        staged = []
        for table, value in tables:
            path = table.path(folder)
            tmp = _temporary(path)
            stack.callback(tmp.unlink, missing_ok=True)
            table.write_file(value, tmp)
            staged.append((tmp, path))
        for tmp, path in staged:
            os.replace(tmp, path)
    return [path for _, path in staged]


_TABLES: tuple[Table, ...] = (
    Table("firms", "firms.parquet", "build", "processed", "One row per resolved firm."),
    Table("links", "links.parquet", "build", "processed", "One row per input record: its firm and how it matched."),
    Table("survey", "survey.parquet", "build", "processed", "One row per responding firm and wave."),
    Table("vendor_roster", "vendor_roster.parquet", "build", "processed", "One row per partner and programme."),
    Table("pipeline", "pipeline.parquet", "build", "processed", "One row per pipeline item and partner."),
    Table("rejects", "rejects.parquet", "build", "processed", "Every input row not used, with a reason code."),
    Table("build_report", "build_report.json", "build", "processed",
          "Per source: rows read = rows used + rows rejected (by reason), match methods, cleaning counts."),
    Table("codebook", "CODEBOOK.md", "build", "processed", "Every column, type, meaning and allowed values."),
    Table("segments", "segments.parquet", "analyze", "processed",
          "One row per firm: classified partner type, rule, business-model cluster."),
    Table("survey_weights", "survey_weights.parquet", "analyze", "processed",
          "One row per survey response: its calibrated weight."),
    Table("weights_report", "weights_report.csv", "analyze", "processed", "Per wave: raking diagnostics."),
    Table("analysis_report", "analysis_report.json", "analyze", "processed",
          "Which stages ran (stages), classification rules used, the population frame, the clustering summary, "
          "the configuration."),
    Table("weights_report_table", "weights_report.csv", "analyze", "tables",
          "The raking diagnostics, copied for the report."),
    Table("weight_variants", "weight_variants.parquet", "analyze", "processed",
          "One row per survey response: its weight under each scheme and trimming cap (sensitivity runs)."),
    Table("weights_balance", "weights_balance.csv", "analyze", "tables",
          "Weighting schemes side by side (none, calibrated, frame, IPW): SMD against the directory frame on "
          "covariates, Kish design effect, effective n, weight quantiles."),
    Table("sensitivity", "sensitivity.csv", "analyze", "tables",
          "The hypothesis catalogue rerun under each weighting scheme and trimming cap: estimate, CI, verdict."),
    Table("hypotheses", "hypotheses.csv", "analyze", "tables",
          "The hypothesis catalogue H0-H9: effect sizes, 95 % CIs, raw and adjusted p-values, and a status "
          "(ran, or not run: why)."),
    Table("method_validation", "method_validation.csv", "validate", "tables",
          "Per hypothesis over many simulated worlds: coverage, power, false-positive rate."),
    Table("method_validation_runs", "method_validation_runs.parquet", "validate", "tables",
          "One row per hypothesis and simulated world: estimate, CI, planted value."),
    Table("method_validation_pipeline", "method_validation_pipeline.csv", "validate", "tables",
          "As method_validation, through the full pipeline (files, cleaning, linkage, analysis) on fewer worlds."),
    Table("method_validation_pipeline_runs", "method_validation_pipeline_runs.parquet", "validate", "tables",
          "One row per hypothesis and world of the full-pipeline validation."),
    Table("method_validation_h0", "method_validation_h0.csv", "validate", "tables",
          "The planted null H0 over many cheap worlds: false-positive rate with its exact interval."),
    Table("preregistration", "preregistration.csv", "analyze", "tables",
          "Per hypothesis: estimand, population, outcome, controls, decision rule (from the declarations)."),
    Table("power", "power.csv", "power", "tables",
          "Power per hypothesis x effect multiplier x responses per wave, with exact intervals."),
    Table("power_runs", "power_runs.csv", "power", "tables", "One row per hypothesis, grid cell and simulated world."),
    Table("power_mde", "power_mde.csv", "power", "tables",
          "Minimum detectable effect multiplier at 80 % power under Holm, per hypothesis and responses per wave."),
)
TABLES: dict[str, Table] = {t.name: t for t in _TABLES}
"""Every table by name."""


def statistics_table(source: str) -> Table:
    """The tidy observations of a ``statistics`` source named ``source``."""
    return Table(f"{STATISTICS_PREFIX}{source}", f"{STATISTICS_PREFIX}{source}.parquet", "build", "processed",
                 f"Observations of the statistics source {source!r}.")


def _table(name: str) -> Table:
    if name.startswith(STATISTICS_PREFIX):
        return statistics_table(name.removeprefix(STATISTICS_PREFIX))
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no table {name!r} in the catalog; known: {', '.join(TABLES)}") from None


def read_table(name: str, folder: str | os.PathLike[str] | None = None) -> Any:
    """Load table ``name`` from ``folder`` (default: its project folder)."""
    return _table(name).read(folder)


def write_table(name: str, value: Any, folder: str | os.PathLike[str] | None = None) -> Path:
    """Write table ``name`` atomically into ``folder`` (default: its project folder)."""
    return _table(name).write(value, folder)
