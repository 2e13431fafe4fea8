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
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from channelstudy.catalog import paths
from channelstudy.vocabulary import PERSONAL_FIELDS

__all__ = [
    "FLOAT_FORMAT",
    "TABLES",
    "Table",
    "atomic_path",
    "read_table",
    "statistics_table",
    "write_table",
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
        Stage that writes it: ``build``, ``analyze`` or ``validate``.
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
        if self.format == "parquet":
            _refuse_personal_fields(self.name, value)
            with atomic_path(path) as tmp:
                value.to_parquet(tmp, index=False)
        elif self.format == "csv":
            _refuse_personal_fields(self.name, value)
            with atomic_path(path) as tmp:
                value.to_csv(tmp, index=False, float_format=FLOAT_FORMAT)
        elif self.format == "json":
            with atomic_path(path) as tmp:
                tmp.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            with atomic_path(path) as tmp:
                tmp.write_text(value, encoding="utf-8")
        return path


def _refuse_personal_fields(name: str, table: pd.DataFrame) -> None:
    personal = sorted(PERSONAL_FIELDS & set(table.columns))
    if personal:
        raise ValueError(f"{name}: refusing to write personal data columns {personal}")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds (removed otherwise)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
    Table("hypotheses", "hypotheses.csv", "analyze", "tables",
          "The hypothesis catalogue H0-H9: effect sizes, 95 % CIs, raw and adjusted p-values, and a status "
          "(ran, or not run: why)."),
    Table("method_validation", "method_validation.csv", "validate", "tables",
          "Per hypothesis over many simulated worlds: coverage, power, false-positive rate."),
    Table("method_validation_runs", "method_validation_runs.csv", "validate", "tables",
          "One row per hypothesis and simulated world: estimate, CI, planted value."),
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
