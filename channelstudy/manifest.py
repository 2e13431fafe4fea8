"""Load and validate a ``sources.yml`` manifest.

A manifest lists the raw files of a study and says, for each one, what kind of source it is,
how to read it and which of its headers carry which canonical field (see
:mod:`channelstudy.fields`)::

    sources:
      - name: analyst_a            # unique label, [a-z0-9_]+
        kind: directory            # directory | survey | vendor_roster | pipeline | statistics
        path: analyst_a.csv        # relative to the folder of sources.yml; must stay inside it
        format: csv                # csv | xlsx | xls | sav | json | parquet | eurostat_tsv
                                   # (default: from the extension)
        encoding: cp1252           # csv only; default utf-8
        delimiter: ";"             # csv only; default "," ("\\t" for .tsv)
        decimal: ","               # decimal mark of numbers in the source; default "."
        sheet: Foglio1             # xlsx/xls; default the first sheet; * and ? are wildcards
                                   # that must match exactly one sheet (STARTUP_*)
        wave: 2023                 # survey: constant wave when the file has none
        record_path: data.partners # json: dotted key of the record list in a top-level object
        constants: {vendor: Acme}  # constant canonical values for every row
        preset: NAME               # defaults for kind and the keys here from a preset
        columns:                   # canonical field: source header, or {column: header, scale: k}
          record_id: Codice
          name: Ragione sociale
          revenue_eur: {column: "Fatturato (M EUR)", scale: 1000000}
        options:                   # per-source cleaning options (all optional, see OPTION_KEYS)
          ateco_edition: "2007"    # edition of the ateco codes: "2007" | "2022" | "2025" (default: inferred)
          ateco_zeros_stripped: true   # compact codes lost their trailing zeros (6201 = 62.01.00)
          prefer_declared_legal_form: true  # the legal_form column wins over a form read from the name
          decoders: {employees_class: startup_employee_class}  # field: decoder (channelstudy.presets)
          blank_reason: blank_row  # reject code of rows whose mapped cells are all empty
          dedupe_by_name: false    # link rows without a province by name among themselves

Presets (``preset: NAME``) are looked up in :data:`PRESETS` (registered at run time), then in the
built-in :data:`channelstudy.presets.PRESETS` (``infocamere_startups``,
``infocamere_startups_2025``, ``anac_awardees``, ``eurostat_tsv``).  A ``statistics`` source
(format ``eurostat_tsv``) maps no columns: its dimensions come from the file.

Every problem found stops the build with one :class:`ManifestError` whose message is a single
line naming the manifest, the source and the field or key at fault, e.g.::

    sources.yml: source 'analyst_a', field 'vat': header 'Partita IVA' not found in analyst_a.csv
    (closest: 'Partita Iva'; headers: 'Codice', 'Ragione sociale', ...)

(printed here on two lines for width).  Headers are matched after :func:`normalise_header`:
whitespace runs (spaces, tabs, newlines, no-break spaces) collapse to one space, the ends are
stripped and the text is put in Unicode NFC form; the match is otherwise exact (case matters).
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from channelstudy import presets as builtin_presets
from channelstudy.fields import FIELDS, SOURCE_KINDS, STATISTICS_KIND, field_names, required_fields

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

Looked up before the built-in presets of :data:`channelstudy.presets.PRESETS` (a name here
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

ATECO_EDITIONS: tuple[str, ...] = ("2007", "2022", "2025")

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

_NAME_PATTERN = re.compile(r"[a-z0-9_]+")
_COLUMN_KEYS: tuple[str, ...] = ("column", "scale")
_MAX_LISTED = 12


class ManifestError(ValueError):
    """A problem in a manifest or in a source file it points to; the message is one line.

    Parameters
    ----------
    detail
        What is wrong, without the location prefix.
    manifest
        The manifest file (only its name is shown).
    source
        Name of the source at fault, or its 1-based position when it has no valid name.
    field
        Canonical field at fault, if any.
    key
        Source key at fault (``path``, ``encoding``, ...), if any.

    Attributes
    ----------
    detail, manifest, source, field, key
        The parameters, kept for programs (tests, the CLI) that want the parts.
    """

    def __init__(
        self,
        detail: str,
        *,
        manifest: Path | str | None = None,
        source: str | int | None = None,
        field: str | None = None,
        key: str | None = None,
    ) -> None:
        self.detail = detail
        self.manifest = manifest
        self.source = source
        self.field = field
        self.key = key
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if isinstance(self.source, int):
            where.append(f"source #{self.source}")
        elif self.source is not None:
            where.append(f"source {self.source!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        if self.key is not None:
            where.append(f"key {self.key!r}")
        parts = [Path(self.manifest).name] if self.manifest is not None else []
        if where:
            parts.append(", ".join(where))
        parts.append(self.detail)
        return " ".join(": ".join(parts).split("\n"))


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
        ``{field: decoder name}``: text decoders of :data:`channelstudy.presets.DECODERS`
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


def normalise_header(text: str) -> str:
    """Normalise a header for matching: NFC, whitespace runs to one space, ends stripped.

    ``"1° req.\\n(6)"`` and ``"1°  req. (6) "`` both become ``"1° req. (6)"``; a leading byte
    order mark is dropped.  Case and punctuation are kept.
    """
    text = unicodedata.normalize("NFC", str(text)).lstrip("\ufeff")
    return " ".join(text.split())


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice most similar to ``word`` (case-insensitive), or ``None`` if none is close.

    Similarity is :mod:`difflib`'s ratio (at least 0.6); failing that, the shortest choice
    that starts with ``word`` (``dso`` -> ``dso_days``).
    """
    folded = {c.casefold(): c for c in choices}
    word = word.casefold()
    match = difflib.get_close_matches(word, list(folded), n=1, cutoff=0.6)
    if match:
        return folded[match[0]]
    prefixed = sorted((c for c in folded if word and c.startswith(word)), key=len)
    return folded[prefixed[0]] if prefixed else None


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match else ""


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in items[:_MAX_LISTED])
    if len(items) > _MAX_LISTED:
        shown += f", ... ({len(items)} in all)"
    return shown


def locate_columns(spec: SourceSpec, headers: Sequence[str], file_label: str | None = None) -> dict[str, int]:
    """Find the position of each mapped header among a file's headers.

    Parameters
    ----------
    spec
        The source; its ``columns`` are looked up.
    headers
        The file's header texts in file order (as :func:`channelstudy.readers.read_header`
        returns them).
    file_label
        How to name the file in messages (default: its file name).

    Returns
    -------
    dict
        ``{field: 0-based position}`` in manifest order; two fields may share a position.

    Raises
    ------
    ManifestError
        If a mapped header is absent (the message lists the closest header and the headers),
        or appears more than once after normalisation.
    """
    label = file_label or spec.path.name
    positions: dict[str, list[int]] = {}
    for i, header in enumerate(headers):
        positions.setdefault(normalise_header(header), []).append(i)
    found: dict[str, int] = {}
    for col in spec.columns:
        hits = positions.get(normalise_header(col.column), [])
        if not hits:
            known = [h for h in positions if h]
            match = closest(normalise_header(col.column), known)
            hint = f"closest: {match!r}; " if match else ""
            raise spec.error(
                f"header {col.column!r} not found in {label} ({hint}headers: {_listing(known)})",
                field=col.field,
            )
        if len(hits) > 1:
            raise spec.error(
                f"header {col.column!r} appears {len(hits)} times in {label} (columns "
                f"{', '.join(str(h + 1) for h in hits)}); the mapping is ambiguous",
                field=col.field,
            )
        found[col.field] = hits[0]
    return found


# --- YAML ----------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping_without_duplicates(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key: let the base constructor report it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates
)


def _parse_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"not valid UTF-8 text ({exc.reason} at byte {exc.start})", manifest=path
        ) from exc
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise ManifestError(f"invalid YAML{where}: {problem}", manifest=path) from exc
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {exc}", manifest=path) from exc


# --- one source ----------------------------------------------------------------------------


@dataclass
class _Context:
    """Where a source sits, to locate error messages; ``source`` improves once the name is known."""

    manifest: Path
    root: Path
    source: str | int

    def error(self, detail: str, *, field: str | None = None, key: str | None = None) -> ManifestError:
        return ManifestError(detail, manifest=self.manifest, source=self.source, field=field, key=key)


def _yaml_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _require_text(ctx: _Context, raw: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise ctx.error("missing", key=key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(
            f"must be non-empty text, got {_yaml_type(value)} {value!r} (quote it in YAML)", key=key
        )
    return value


def _check_name(ctx: _Context, raw: Mapping[str, Any], seen: Mapping[str, int]) -> str:
    name = _require_text(ctx, raw, "name", required=True)
    assert name is not None
    if not _NAME_PATTERN.fullmatch(name):
        raise ctx.error(f"name {name!r} must match [a-z0-9_]+ (lower-case letters, digits, _)", key="name")
    if name in seen:
        raise ctx.error(f"duplicate source name {name!r} (also source #{seen[name]})", key="name")
    return name


def _check_keys(ctx: _Context, raw: Mapping[str, Any]) -> None:
    for key in raw:
        if key not in SOURCE_KEYS:
            hint = _did_you_mean(str(key), SOURCE_KEYS)
            raise ctx.error(f"unknown key{hint} (keys: {', '.join(SOURCE_KEYS)})", key=str(key))


def known_presets() -> dict[str, dict[str, Any]]:
    """Every preset a source may name: the built-in ones, shadowed by those registered in :data:`PRESETS`."""
    return {**builtin_presets.PRESETS, **PRESETS}


def _merge_fieldwise(base: Mapping[str, Any] | None, own: Mapping[str, Any] | None) -> dict[str, Any]:
    """``base`` updated by ``own``; ``field: None`` in ``own`` drops the field from ``base``."""
    merged = dict(base or {})
    for name, value in (own or {}).items():
        if value is None and name in merged:
            del merged[name]
        else:
            merged[name] = value
    return merged


def _check_mapping(ctx: _Context, raw: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any] | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise ctx.error(f"must be a mapping of {what}, got {_yaml_type(value)}", key=key)
    return value


def _merge_options(preset: Mapping[str, Any] | None, own: Mapping[str, Any] | None) -> dict[str, Any]:
    """Preset options updated key by key by the source's; ``decoders`` merge field by field."""
    merged = dict(preset or {})
    for key, value in (own or {}).items():
        if key == "decoders" and isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge_fieldwise(merged[key], value)
        else:
            merged[key] = value
    return merged


def _apply_preset(ctx: _Context, raw: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Merge the source's preset under its own keys; also return the keys the source set itself."""
    own = frozenset(raw)
    preset_name = _require_text(ctx, raw, "preset")
    columns = _check_mapping(ctx, raw, "columns", "field: header")
    options = _check_mapping(ctx, raw, "options", "option: value")
    if preset_name is None:
        return dict(raw), own
    presets = known_presets()
    if preset_name not in presets:
        known = ", ".join(sorted(presets)) or "none registered"
        raise ctx.error(
            f"unknown preset {preset_name!r}{_did_you_mean(preset_name, list(presets))} (presets: {known})",
            key="preset",
        )
    preset = presets[preset_name]
    bad = [k for k in preset if k not in PRESET_KEYS]
    if bad:
        raise ctx.error(f"preset {preset_name!r} has unsupported key {bad[0]!r}", key="preset")
    if "kind" in raw and "kind" in preset and raw["kind"] != preset["kind"]:
        raise ctx.error(
            f"preset {preset_name!r} is for {preset['kind']!r} sources, not {raw['kind']!r} "
            f"(drop kind: or the preset)",
            key="kind",
        )
    merged = {k: v for k, v in preset.items() if k not in ("columns", "options")}
    merged.update(raw)
    merged["columns"] = _merge_fieldwise(preset.get("columns"), columns)
    merged["options"] = _merge_options(preset.get("options"), options)
    return merged, own


def _check_kind(ctx: _Context, raw: Mapping[str, Any]) -> str:
    kind = _require_text(ctx, raw, "kind", required=True)
    assert kind is not None
    if kind not in SOURCE_KINDS:
        raise ctx.error(
            f"unknown kind {kind!r}{_did_you_mean(kind, SOURCE_KINDS)} (kinds: {', '.join(SOURCE_KINDS)})",
            key="kind",
        )
    return kind


def _check_path(ctx: _Context, raw: Mapping[str, Any], check_files: bool) -> Path:
    text = _require_text(ctx, raw, "path", required=True)
    assert text is not None
    path = (ctx.root / text).resolve()
    if not path.is_relative_to(ctx.root):
        raise ctx.error(f"path {text!r} resolves outside the manifest folder ({path})", key="path")
    if check_files and not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "file not found"
        raise ctx.error(f"{what}: {text!r} (looked in {ctx.root})", key="path")
    return path


def _suffixes(path: Path) -> tuple[str, bool]:
    """The data extension of a file name (lower case) and whether it is gzip-compressed."""
    name = path.name.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[: -len(".gz")]
    return Path(name).suffix, compressed


def _check_format(ctx: _Context, raw: Mapping[str, Any], path: Path) -> str:
    extension, compressed = _suffixes(path)
    fmt = _require_text(ctx, raw, "format")
    if fmt is None:
        fmt = EXTENSION_FORMATS.get(extension)
        if fmt is None:
            raise ctx.error(
                f"cannot infer the format of {path.name!r} from its extension; "
                f"set format: ({', '.join(FORMATS)})",
                key="format",
            )
    elif fmt not in FORMATS:
        raise ctx.error(
            f"unknown format {fmt!r}{_did_you_mean(fmt, FORMATS)} (formats: {', '.join(FORMATS)})",
            key="format",
        )
    if compressed and fmt not in COMPRESSED_FORMATS:
        raise ctx.error(
            f"{path.name!r} is gzip-compressed; only {', '.join(COMPRESSED_FORMATS)} files may be",
            key="format",
        )
    return fmt


def _check_format_keys(
    ctx: _Context, raw: Mapping[str, Any], own: frozenset[str], fmt: str
) -> dict[str, Any]:
    """Drop preset values of keys that do not apply to ``fmt``; reject such keys set by the source."""
    kept = dict(raw)
    for key, formats in KEY_FORMATS.items():
        if key in kept and fmt not in formats:
            if key in own:
                raise ctx.error(f"applies to {'/'.join(formats)} sources only (format is {fmt})", key=key)
            del kept[key]
    return kept


def _check_encoding(ctx: _Context, raw: Mapping[str, Any]) -> str:
    encoding = _require_text(ctx, raw, "encoding") or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ctx.error(
            f"unknown encoding {encoding!r} (use a Python codec name such as utf-8, cp1252, latin-1, utf-16)",
            key="encoding",
        ) from None
    return encoding


def _check_delimiter(ctx: _Context, raw: Mapping[str, Any], path: Path) -> str:
    default = "\t" if _suffixes(path)[0] == ".tsv" else ","
    delimiter = raw.get("delimiter", default)
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ctx.error(f"must be one character, got {delimiter!r}", key="delimiter")
    if delimiter in '"\r\n':
        raise ctx.error(f"cannot be {delimiter!r}", key="delimiter")
    return delimiter


def _check_decimal(ctx: _Context, raw: Mapping[str, Any]) -> str:
    decimal = raw.get("decimal", ".")
    if decimal not in (".", ","):
        raise ctx.error(f'must be "." or ",", got {decimal!r}', key="decimal")
    return decimal


def _check_record_path(ctx: _Context, raw: Mapping[str, Any]) -> str | None:
    record_path = _require_text(ctx, raw, "record_path")
    if record_path is not None and any(not part for part in record_path.split(".")):
        raise ctx.error(
            f"{record_path!r} has an empty key (use dotted keys like data.partners)", key="record_path"
        )
    return record_path


def _check_wave(ctx: _Context, raw: Mapping[str, Any], kind: str) -> int | None:
    wave = raw.get("wave")
    if wave is None:
        return None
    if kind != "survey":
        raise ctx.error(f"applies to survey sources only (kind is {kind})", key="wave")
    if isinstance(wave, bool) or not isinstance(wave, int):
        raise ctx.error(f"must be an integer year, got {_yaml_type(wave)} {wave!r}", key="wave")
    return wave


def _unknown_field_error(ctx: _Context, name: Any, kind: str) -> ManifestError:
    hint = _did_you_mean(str(name), field_names(kind))
    return ctx.error(
        f"unknown field for kind {kind!r}{hint} (fields: {', '.join(field_names(kind))})", field=str(name)
    )


def _check_scale(ctx: _Context, name: str, scale: Any, kind: str) -> float:
    dtype = next(f.dtype for f in FIELDS[kind] if f.name == name)
    if dtype not in SCALABLE_DTYPES:
        raise ctx.error(f"scale applies to numeric fields only ({name} is {dtype})", field=name)
    if (
        isinstance(scale, bool)
        or not isinstance(scale, int | float)
        or not math.isfinite(scale)
        or scale <= 0
    ):
        raise ctx.error(f"scale must be a positive number, got {scale!r}", field=name)
    return float(scale)


def _check_column(ctx: _Context, name: str, value: Any, kind: str) -> ColumnSpec:
    scale = None
    header = value
    if isinstance(value, Mapping):
        for key in value:
            if key not in _COLUMN_KEYS:
                raise ctx.error(
                    f"unknown key {key!r} in the mapping{_did_you_mean(str(key), _COLUMN_KEYS)} "
                    f"(keys: column, scale)",
                    field=name,
                )
        if "column" not in value:
            raise ctx.error("mapping needs column: <header>", field=name)
        header = value["column"]
        if value.get("scale") is not None:
            scale = _check_scale(ctx, name, value["scale"], kind)
    if not isinstance(header, str) or not normalise_header(header):
        raise ctx.error(
            f"header must be non-empty text, got {_yaml_type(header)} {header!r} (quote it in YAML)",
            field=name,
        )
    return ColumnSpec(name, header, scale)


def _check_columns(ctx: _Context, raw: Mapping[str, Any], kind: str) -> tuple[ColumnSpec, ...]:
    columns = raw.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise ctx.error(f"must be a mapping of field: header, got {_yaml_type(columns)}", key="columns")
    specs = []
    for name, value in columns.items():
        if name not in field_names(kind):
            raise _unknown_field_error(ctx, name, kind)
        specs.append(_check_column(ctx, name, value, kind))
    return tuple(specs)


def constant_text(value: Any) -> str:
    """Text of a YAML scalar constant: dates in ISO form, booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(constant_text(v) for v in value)
    return str(value)


def _check_constants(
    ctx: _Context, raw: Mapping[str, Any], kind: str, mapped: Sequence[str], wave: int | None
) -> dict[str, str]:
    constants = raw.get("constants") or {}
    if not isinstance(constants, Mapping):
        raise ctx.error(f"must be a mapping of field: value, got {_yaml_type(constants)}", key="constants")
    out = {}
    for name, value in constants.items():
        if name not in field_names(kind):
            raise _unknown_field_error(ctx, name, kind)
        if name == "record_id":
            raise ctx.error("record_id identifies rows and cannot be a constant", field=name)
        if name in mapped:
            raise ctx.error("set both in columns: and in constants:", field=name)
        if name == "wave" and wave is not None:
            raise ctx.error("set both by wave: and in constants:", field=name)
        scalar = (str, int, float, bool, dt.date)
        if isinstance(value, list) and all(isinstance(v, scalar) for v in value) and value:
            pass
        elif not isinstance(value, scalar):
            raise ctx.error(
                f"constant must be a text, number, date or list of them, got {_yaml_type(value)}", field=name
            )
        out[name] = constant_text(value)
    if wave is not None and "wave" in mapped:
        raise ctx.error("set both by wave: and in columns:", field="wave")
    return out


def _check_statistics(ctx: _Context, raw: Mapping[str, Any], kind: str, fmt: str) -> None:
    """A ``statistics`` source reads a statistics format and maps nothing; those formats need that kind."""
    if kind == STATISTICS_KIND and fmt not in STATISTICS_FORMATS:
        raise ctx.error(
            f"kind 'statistics' reads {', '.join(STATISTICS_FORMATS)} files, not {fmt} "
            f"(set format: eurostat_tsv, or preset: eurostat_tsv)",
            key="format",
        )
    if fmt in STATISTICS_FORMATS and kind != STATISTICS_KIND:
        raise ctx.error(f"{fmt} files are read by kind 'statistics' sources, not {kind!r}", key="kind")
    if kind == STATISTICS_KIND:
        for key in ("columns", "constants", "options"):
            if raw.get(key):
                raise ctx.error(
                    "a statistics source maps no fields: its dimensions come from the file", key=key
                )


def _check_bool(ctx: _Context, options: Mapping[str, Any], key: str) -> bool:
    value = options.get(key, False)
    if not isinstance(value, bool):
        raise ctx.error(f"options.{key} must be true or false, got {_yaml_type(value)} {value!r}", key="options")
    return value


def _check_ateco_edition(ctx: _Context, options: Mapping[str, Any]) -> str | None:
    edition = options.get("ateco_edition")
    if edition is None:
        return None
    text = str(edition) if isinstance(edition, int | str) and not isinstance(edition, bool) else None
    if text not in ATECO_EDITIONS:
        raise ctx.error(
            f"options.ateco_edition must be one of {', '.join(ATECO_EDITIONS)}, got {edition!r}", key="options"
        )
    return text


def _check_decoders(ctx: _Context, options: Mapping[str, Any], kind: str) -> dict[str, str]:
    decoders = options.get("decoders") or {}
    if not isinstance(decoders, Mapping):
        raise ctx.error(f"options.decoders must be a mapping of field: decoder, got {_yaml_type(decoders)}",
                        key="options")
    known = builtin_presets.DECODERS
    out = {}
    for name, decoder in decoders.items():
        if decoder is None:
            continue
        if name not in field_names(kind):
            raise _unknown_field_error(ctx, name, kind)
        if decoder not in known:
            raise ctx.error(
                f"unknown decoder {decoder!r}{_did_you_mean(str(decoder), list(known))} "
                f"(decoders: {', '.join(known)})",
                field=str(name),
            )
        out[str(name)] = str(decoder)
    return out


def _check_options(ctx: _Context, raw: Mapping[str, Any], kind: str, mapped: Sequence[str]) -> SourceOptions:
    """Validate ``options:``; decoders of fields the source does not map are dropped."""
    options = raw.get("options") or {}
    if not isinstance(options, Mapping):
        raise ctx.error(f"must be a mapping of option: value, got {_yaml_type(options)}", key="options")
    for key in options:
        if key not in OPTION_KEYS:
            hint = _did_you_mean(str(key), OPTION_KEYS)
            raise ctx.error(f"unknown option {key!r}{hint} (options: {', '.join(OPTION_KEYS)})", key="options")
    blank_reason = options.get("blank_reason", "blank_row")
    if blank_reason not in BLANK_REASONS:
        raise ctx.error(
            f"options.blank_reason must be one of {', '.join(BLANK_REASONS)}, got {blank_reason!r}", key="options"
        )
    decoders = _check_decoders(ctx, options, kind)
    return SourceOptions(
        ateco_edition=_check_ateco_edition(ctx, options),
        ateco_zeros_stripped=_check_bool(ctx, options, "ateco_zeros_stripped"),
        prefer_declared_legal_form=_check_bool(ctx, options, "prefer_declared_legal_form"),
        decoders={name: decoder for name, decoder in decoders.items() if name in mapped},
        blank_reason=blank_reason,
        dedupe_by_name=_check_bool(ctx, options, "dedupe_by_name"),
    )


def _check_required(ctx: _Context, kind: str, provided: set[str]) -> None:
    for name in required_fields(kind):
        if name not in provided:
            raise ctx.error(
                f"required for kind {kind!r} but neither in columns: nor in constants:", field=name
            )


def _parse_source(ctx: _Context, raw: Any, seen: Mapping[str, int], check_files: bool) -> SourceSpec:
    """Validate one ``sources:`` entry and build its :class:`SourceSpec`.

    ``seen`` maps the names of the sources before it to their 1-based positions.
    """
    if not isinstance(raw, Mapping):
        raise ctx.error(f"must be a mapping of keys (name:, kind:, path:, ...), got {_yaml_type(raw)}")
    name = raw.get("name")
    if isinstance(name, str) and _NAME_PATTERN.fullmatch(name) and name not in seen:
        ctx.source = name  # so that a misspelt key is reported under the source's name
    _check_keys(ctx, raw)
    ctx.source = _check_name(ctx, raw, seen)
    merged, own = _apply_preset(ctx, raw)
    kind = _check_kind(ctx, merged)
    path = _check_path(ctx, merged, check_files)
    fmt = _check_format(ctx, merged, path)
    merged = _check_format_keys(ctx, merged, own, fmt)
    _check_statistics(ctx, merged, kind, fmt)
    wave = _check_wave(ctx, merged, kind)
    columns = _check_columns(ctx, merged, kind)
    mapped = [c.field for c in columns]
    constants = _check_constants(ctx, merged, kind, mapped, wave)
    _check_required(ctx, kind, set(mapped) | set(constants) | ({"wave"} if wave is not None else set()))
    options = _check_options(ctx, merged, kind, [*mapped, *constants])
    return SourceSpec(
        name=ctx.source,
        kind=kind,
        path=path,
        format=fmt,
        encoding=_check_encoding(ctx, merged),
        delimiter=_check_delimiter(ctx, merged, path),
        decimal=_check_decimal(ctx, merged),
        sheet=_require_text(ctx, merged, "sheet"),
        wave=wave,
        record_path=_check_record_path(ctx, merged),
        constants=constants,
        columns=columns,
        preset=merged.get("preset"),
        options=options,
        origin=ctx.manifest,
    )


# --- the manifest --------------------------------------------------------------------------


def find_manifest(path_or_dir: str | Path) -> Path:
    """The manifest file: ``path_or_dir`` itself, or ``sources.yml`` (``.yaml``) inside a folder."""
    path = Path(path_or_dir)
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).is_file():
                return path / name
        raise ManifestError(f"no {' or '.join(MANIFEST_NAMES)} in folder {path}", manifest=MANIFEST_NAMES[0])
    if not path.is_file():
        raise ManifestError(f"manifest not found: {path}", manifest=path)
    return path


def _source_entries(document: Any, manifest: Path) -> list[Any]:
    if not isinstance(document, Mapping):
        raise ManifestError(
            f"expected a mapping with a 'sources:' list at the top, got {_yaml_type(document)}",
            manifest=manifest,
        )
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            hint = _did_you_mean(str(key), sorted(TOP_LEVEL_KEYS))
            raise ManifestError(
                f"unknown top-level key {key!r}{hint} (keys: {', '.join(sorted(TOP_LEVEL_KEYS))})",
                manifest=manifest,
            )
    entries = document.get("sources")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(
            f"'sources:' must be a non-empty list, got {_yaml_type(entries)}", manifest=manifest
        )
    return entries


def load_manifest(path_or_dir: str | Path, check_files: bool = True) -> Manifest:
    """Read and validate a ``sources.yml`` manifest.

    Parameters
    ----------
    path_or_dir
        The manifest file, or the folder holding ``sources.yml``.
    check_files
        Also check that every file exists and has the mapped headers (reads header rows only,
        via :func:`check_headers`).  Without it only the manifest's own content and the path
        containment are checked.

    Returns
    -------
    Manifest
        The sources in manifest order, with resolved paths.

    Raises
    ------
    ManifestError
        On the first problem, with a one-line message naming the source and the field or key:
        YAML syntax (with line and column), duplicate YAML keys, top-level shape, source name
        (pattern, uniqueness), unknown source keys (closest key suggested), unknown preset
        or a kind contradicting it, kind, format (or an extension that does not imply one), a
        statistics source with columns or a non-statistics format, a path outside the manifest
        folder (after resolving ``..`` and symlinks) or missing, encoding not a Python codec,
        delimiter not one character, decimal not ``.``/``,``, wave not an integer, a key that
        does not apply to the format or kind, unknown canonical fields (closest suggested),
        bad ``scale``, constants clashing with columns, missing required fields, bad
        ``options`` (unknown option or decoder, ATECO edition, blank reason, a non-boolean
        switch), and (with ``check_files``) mapped headers absent from the file, or a sheet
        pattern matching no sheet or several.
    """
    manifest = find_manifest(path_or_dir).resolve()
    root = manifest.parent
    entries = _source_entries(_parse_yaml(manifest), manifest)
    seen: dict[str, int] = {}
    specs = []
    for position, raw in enumerate(entries, start=1):
        spec = _parse_source(_Context(manifest, root, position), raw, seen, check_files)
        seen[spec.name] = position
        specs.append(spec)
    result = Manifest(root=root, sources=tuple(specs))
    if check_files:
        check_headers(result)
    return result


def check_headers(manifest: Manifest) -> None:
    """Check that every mapped header is in its file, reading only header rows.

    Also checks what reading the header needs: the sheet exists, the JSON ``record_path``
    leads to a list of records, the CSV header decodes with the declared encoding.

    Raises
    ------
    ManifestError
        On the first absent or ambiguous header, or unreadable header row.
    """
    from channelstudy.readers import read_header  # readers imports this module

    for spec in manifest.sources:
        locate_columns(spec, read_header(spec))
