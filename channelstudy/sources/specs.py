"""The contract of a ``sources.yml`` entry as data: keys, formats, options and the parsed specs.

No file IO here: :mod:`channelstudy.sources.manifest` reads and checks a manifest into these
frozen dataclasses (:class:`SourceSpec`, :class:`Manifest`); the readers and the build consume them.
The manifest's format is documented in :mod:`channelstudy.sources.manifest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channelstudy.errors import ManifestError

MANIFEST_NAMES: tuple[str, ...] = ("sources.yml", "sources.yaml")
"""File names looked for when :func:`load_manifest` is given a folder."""

TOP_LEVEL_KEYS: frozenset[str] = frozenset({"sources"})
"""Keys allowed at the top of a manifest; anything else is rejected as a probable typo."""

FORMATS: tuple[str, ...] = ("csv", "xlsx", "xls", "sav", "json", "parquet", "eurostat_tsv")

STATISTICS_FORMATS: tuple[str, ...] = ("eurostat_tsv",)
"""Formats of ``statistics`` sources (and only of them)."""

SOURCE_KEYS: tuple[str, ...] = (
    "name",
    "kind",
    "path",
    "format",
    "encoding",
    "delimiter",
    "decimal",
    "sheet",
    "wave",
    "record_path",
    "constants",
    "columns",
    "preset",
    "options",
)
"""Keys a source entry may have; unknown keys are errors (with the closest key suggested)."""

PRESET_KEYS: tuple[str, ...] = (
    "kind", "format", "encoding", "delimiter", "decimal", "sheet", "columns", "options",
)
"""Keys a preset may give defaults for."""

PRESETS: dict[str, dict[str, Any]] = {}
"""Run-time registry of named presets: ``name -> {key: default}`` with keys from :data:`PRESET_KEYS`.

Looked up before the built-in presets of :data:`channelstudy.sources.presets.PRESETS` (a name here
shadows a built-in one); empty unless a program registers presets.

A source with ``preset: NAME`` starts from the preset; the source's own keys override the
preset's.  ``columns`` merge field by field: the source's mappings are added to (or replace)
the preset's, and ``field: null`` in the source drops a preset mapping its file lacks.
``options`` merge key by key, and ``options.decoders`` field by field (``field: null`` drops a
preset decoder).  A source may repeat the preset's ``kind`` but not contradict it.
"""

OPTION_KEYS: tuple[str, ...] = (
    "ateco_edition", "ateco_zeros_stripped", "prefer_declared_legal_form", "decoders", "blank_reason",
    "dedupe_by_name",
)
"""Keys of a source's (or preset's) ``options:``; see :class:`SourceOptions`."""


BLANK_REASONS: tuple[str, ...] = ("blank_row", "no_awardee")
"""Reject codes a source may give to its rows whose mapped cells are all empty (``blank_reason``)."""

KEY_FORMATS: dict[str, tuple[str, ...]] = {
    "encoding": ("csv",),
    "delimiter": ("csv",),
    "sheet": ("xlsx", "xls"),
    "record_path": ("json",),
}
"""Source keys that only make sense for some formats."""

EXTENSION_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xls": "xls",
    ".sav": "sav",
    ".json": "json",
    ".jsonl": "json",
    ".parquet": "parquet",
}
"""Format implied by a file extension when ``format:`` is omitted."""

COMPRESSED_FORMATS: tuple[str, ...] = ("csv", "json", "eurostat_tsv")
"""Formats that may be read gzip-compressed (``.csv.gz``, ``.tsv.gz``, ``.json.gz``, ``.jsonl.gz``)."""

SCALABLE_DTYPES: frozenset[str] = frozenset({"int", "float", "share"})
"""Clean types of the fields a ``scale`` may apply to."""

MAX_LISTED = 12


@dataclass(frozen=True)
class ColumnSpec:
    """One ``columns:`` entry: the canonical ``field`` is read from source header ``column``.

    ``scale`` (a positive number) multiplies the cleaned number, e.g. 1e6 for "EUR millions";
    the readers do not apply it, the cleaning step does.
    """

    field: str
    column: str
    scale: float | None = None


@dataclass(frozen=True)
class SourceOptions:
    """Per-source cleaning options (``options:`` of a source or preset), all off by default.

    Attributes
    ----------
    ateco_edition
        Edition the source's ATECO codes are written in (``"2007"``, ``"2022"``, ``"2025"``), or
        ``None`` to infer it per code (:func:`channelstudy.clean.ateco.clean_ateco`).
    ateco_zeros_stripped
        Compact codes lost their trailing zeros (``6201`` = 62.01.00), as in the Registro
        Imprese startup list.
    prefer_declared_legal_form
        The mapped ``legal_form`` column wins over a legal form read from the name (by default
        the name's wins and the column fills in where the name has none).
    decoders
        ``{field: decoder name}``: text decoders of :data:`channelstudy.clean.classes.DECODERS`
        applied to mapped fields before cleaning (fields not mapped are ignored).
    blank_reason
        Reject code of rows whose mapped cells are all empty (one of :data:`BLANK_REASONS`).
    dedupe_by_name
        Records of this source without a province are compared by name among themselves (as
        if the source were one province), so that a list without the firms' location, such as
        ANAC awardees, is still de-duplicated by name; the link guards still apply.
    """

    ateco_edition: str | None = None
    ateco_zeros_stripped: bool = False
    prefer_declared_legal_form: bool = False
    decoders: Mapping[str, str] = field(default_factory=dict)
    blank_reason: str = "blank_row"
    dedupe_by_name: bool = False


@dataclass(frozen=True)
class SourceSpec:
    """One validated source of a manifest.

    Attributes
    ----------
    name
        Unique label, ``[a-z0-9_]+``.
    kind
        One of :data:`channelstudy.fields.SOURCE_KINDS`.
    path
        Absolute, resolved path of the file (inside the manifest folder).
    format
        One of :data:`FORMATS` (inferred from the extension when the manifest omits it).
    encoding, delimiter
        CSV text encoding and field delimiter.
    decimal
        Decimal mark (``"."`` or ``","``) of numbers written as text in the source; the readers
        also write numbers stored as numbers (spreadsheet, SPSS, JSON, parquet) with this mark,
        so that one rule parses a whole source.
    sheet
        Sheet name for xlsx/xls, ``None`` for the first sheet.
    wave
        Survey wave given as a constant, or ``None``.
    record_path
        Dotted key of the record list in a JSON object, or ``None`` for a top-level list.
    constants
        Constant canonical values (as text) for every row, ``wave`` excluded.
    columns
        The mapped fields, in manifest order.
    preset
        Name of the preset the source started from, or ``None``.
    options
        Per-source cleaning options (:class:`SourceOptions`).
    origin
        The manifest file the source came from (used in error messages), or ``None``.
    """

    name: str
    kind: str
    path: Path
    format: str
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    sheet: str | None = None
    wave: int | None = None
    record_path: str | None = None
    constants: Mapping[str, str] = field(default_factory=dict)
    columns: tuple[ColumnSpec, ...] = ()
    preset: str | None = None
    options: SourceOptions = field(default_factory=SourceOptions)
    origin: Path | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Mapped fields and their source headers: ``{field: header}``."""
        return {c.field: c.column for c in self.columns}

    @property
    def scales(self) -> dict[str, float]:
        """Scale factors of the mapped fields that have one: ``{field: scale}``."""
        return {c.field: c.scale for c in self.columns if c.scale is not None}

    @property
    def constant_values(self) -> dict[str, str]:
        """All constant fields as text, ``wave`` included when given."""
        values = dict(self.constants)
        if self.wave is not None:
            values["wave"] = str(self.wave)
        return values

    def error(self, detail: str, *, field: str | None = None, key: str | None = None) -> ManifestError:
        """A :class:`ManifestError` located at this source (to ``raise``)."""
        return ManifestError(detail, manifest=self.origin, source=self.name, field=field, key=key)


@dataclass(frozen=True)
class Manifest:
    """A validated manifest: the folder of the ``sources.yml`` and its sources, in file order."""

    root: Path
    sources: tuple[SourceSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Source names, in manifest order."""
        return tuple(s.name for s in self.sources)

    def get(self, name: str) -> SourceSpec:
        """The source called ``name``; ``KeyError`` if there is none."""
        for spec in self.sources:
            if spec.name == name:
                return spec
        raise KeyError(name)
