"""Check one ``sources.yml`` entry and turn it into a :class:`~channelstudy.sources.specs.SourceSpec`.

Each ``_check_*`` function validates one key and raises a one-line
:class:`~channelstudy.errors.ManifestError` naming the source and the key or field at fault;
:func:`parse_source` runs them in order, after merging the entry's preset.
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from channelstudy.clean.classes import DECODERS
from channelstudy.errors import ManifestError
from channelstudy.fields import (
    FIELDS,
    REFUSED_FIELDS,
    SOURCE_KINDS,
    STATISTICS_KIND,
    field_names,
    required_fields,
)
from channelstudy.sources import presets as builtin_presets
from channelstudy.sources.headers import did_you_mean, normalise_header
from channelstudy.sources.specs import (
    BLANK_REASONS,
    COMPRESSED_FORMATS,
    EXTENSION_FORMATS,
    FORMATS,
    KEY_FORMATS,
    OPTION_KEYS,
    PRESET_KEYS,
    PRESETS,
    SCALABLE_DTYPES,
    SOURCE_KEYS,
    STATISTICS_FORMATS,
    ColumnSpec,
    SourceOptions,
    SourceSpec,
)
from channelstudy.vocabulary import ATECO_EDITIONS

_NAME_PATTERN = re.compile(r"[a-z0-9_]+")
_COLUMN_KEYS: tuple[str, ...] = ("column", "scale")


# --- one source ----------------------------------------------------------------------------


@dataclass
class EntryContext:
    """Where a source sits, to locate error messages; ``source`` improves once the name is known."""

    manifest: Path
    root: Path
    source: str | int

    def error(self, detail: str, *, field: str | None = None, key: str | None = None) -> ManifestError:
        return ManifestError(detail, manifest=self.manifest, source=self.source, field=field, key=key)


def yaml_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _require_text(ctx: EntryContext, raw: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise ctx.error("missing", key=key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(
            f"must be non-empty text, got {yaml_type(value)} {value!r} (quote it in YAML)", key=key
        )
    return value


def _check_name(ctx: EntryContext, raw: Mapping[str, Any], seen: Mapping[str, int]) -> str:
    name = _require_text(ctx, raw, "name", required=True)
    assert name is not None
    if not _NAME_PATTERN.fullmatch(name):
        raise ctx.error(f"name {name!r} must match [a-z0-9_]+ (lower-case letters, digits, _)", key="name")
    if name in seen:
        raise ctx.error(f"duplicate source name {name!r} (also source #{seen[name]})", key="name")
    return name


def _check_keys(ctx: EntryContext, raw: Mapping[str, Any]) -> None:
    for key in raw:
        if key not in SOURCE_KEYS:
            hint = did_you_mean(str(key), SOURCE_KEYS)
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


def _check_mapping(ctx: EntryContext, raw: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any] | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise ctx.error(f"must be a mapping of {what}, got {yaml_type(value)}", key=key)
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


def _apply_preset(ctx: EntryContext, raw: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
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
            f"unknown preset {preset_name!r}{did_you_mean(preset_name, list(presets))} (presets: {known})",
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


def _check_kind(ctx: EntryContext, raw: Mapping[str, Any]) -> str:
    kind = _require_text(ctx, raw, "kind", required=True)
    assert kind is not None
    if kind not in SOURCE_KINDS:
        raise ctx.error(
            f"unknown kind {kind!r}{did_you_mean(kind, SOURCE_KINDS)} (kinds: {', '.join(SOURCE_KINDS)})",
            key="kind",
        )
    return kind


def _check_path(ctx: EntryContext, raw: Mapping[str, Any], check_files: bool) -> Path:
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


def _check_format(ctx: EntryContext, raw: Mapping[str, Any], path: Path) -> str:
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
            f"unknown format {fmt!r}{did_you_mean(fmt, FORMATS)} (formats: {', '.join(FORMATS)})",
            key="format",
        )
    if compressed and fmt not in COMPRESSED_FORMATS:
        raise ctx.error(
            f"{path.name!r} is gzip-compressed; only {', '.join(COMPRESSED_FORMATS)} files may be",
            key="format",
        )
    return fmt


def _check_format_keys(
    ctx: EntryContext, raw: Mapping[str, Any], own: frozenset[str], fmt: str
) -> dict[str, Any]:
    """Drop preset values of keys that do not apply to ``fmt``; reject such keys set by the source."""
    kept = dict(raw)
    for key, formats in KEY_FORMATS.items():
        if key in kept and fmt not in formats:
            if key in own:
                raise ctx.error(f"applies to {'/'.join(formats)} sources only (format is {fmt})", key=key)
            del kept[key]
    return kept


def _check_encoding(ctx: EntryContext, raw: Mapping[str, Any]) -> str:
    encoding = _require_text(ctx, raw, "encoding") or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ctx.error(
            f"unknown encoding {encoding!r} (use a Python codec name such as utf-8, cp1252, latin-1, utf-16)",
            key="encoding",
        ) from None
    return encoding


def _check_delimiter(ctx: EntryContext, raw: Mapping[str, Any], path: Path) -> str:
    default = "\t" if _suffixes(path)[0] == ".tsv" else ","
    delimiter = raw.get("delimiter", default)
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ctx.error(f"must be one character, got {delimiter!r}", key="delimiter")
    if delimiter in '"\r\n':
        raise ctx.error(f"cannot be {delimiter!r}", key="delimiter")
    return delimiter


def _check_decimal(ctx: EntryContext, raw: Mapping[str, Any]) -> str:
    decimal = raw.get("decimal", ".")
    if decimal not in (".", ","):
        raise ctx.error(f'must be "." or ",", got {decimal!r}', key="decimal")
    return decimal


def _check_record_path(ctx: EntryContext, raw: Mapping[str, Any]) -> str | None:
    record_path = _require_text(ctx, raw, "record_path")
    if record_path is not None and any(not part for part in record_path.split(".")):
        raise ctx.error(
            f"{record_path!r} has an empty key (use dotted keys like data.partners)", key="record_path"
        )
    return record_path


def _check_wave(ctx: EntryContext, raw: Mapping[str, Any], kind: str) -> int | None:
    wave = raw.get("wave")
    if wave is None:
        return None
    if kind != "survey":
        raise ctx.error(f"applies to survey sources only (kind is {kind})", key="wave")
    if isinstance(wave, bool) or not isinstance(wave, int):
        raise ctx.error(f"must be an integer year, got {yaml_type(wave)} {wave!r}", key="wave")
    return wave


def _unknown_field_error(ctx: EntryContext, name: Any, kind: str) -> ManifestError:
    if str(name) in REFUSED_FIELDS:
        return ctx.error(f"not used by the build: {REFUSED_FIELDS[str(name)]}", field=str(name))
    hint = did_you_mean(str(name), field_names(kind))
    return ctx.error(
        f"unknown field for kind {kind!r}{hint} (fields: {', '.join(field_names(kind))})", field=str(name)
    )


def _check_scale(ctx: EntryContext, name: str, scale: Any, kind: str) -> float:
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


def _check_column(ctx: EntryContext, name: str, value: Any, kind: str) -> ColumnSpec:
    scale = None
    header = value
    if isinstance(value, Mapping):
        for key in value:
            if key not in _COLUMN_KEYS:
                raise ctx.error(
                    f"unknown key {key!r} in the mapping{did_you_mean(str(key), _COLUMN_KEYS)} "
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
            f"header must be non-empty text, got {yaml_type(header)} {header!r} (quote it in YAML)",
            field=name,
        )
    return ColumnSpec(name, header, scale)


def _check_columns(ctx: EntryContext, raw: Mapping[str, Any], kind: str) -> tuple[ColumnSpec, ...]:
    columns = raw.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise ctx.error(f"must be a mapping of field: header, got {yaml_type(columns)}", key="columns")
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
    ctx: EntryContext, raw: Mapping[str, Any], kind: str, mapped: Sequence[str], wave: int | None
) -> dict[str, str]:
    constants = raw.get("constants") or {}
    if not isinstance(constants, Mapping):
        raise ctx.error(f"must be a mapping of field: value, got {yaml_type(constants)}", key="constants")
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
                f"constant must be a text, number, date or list of them, got {yaml_type(value)}", field=name
            )
        out[name] = constant_text(value)
    if wave is not None and "wave" in mapped:
        raise ctx.error("set both by wave: and in columns:", field="wave")
    return out


def _check_statistics(ctx: EntryContext, raw: Mapping[str, Any], kind: str, fmt: str) -> None:
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


def _check_bool(ctx: EntryContext, options: Mapping[str, Any], key: str) -> bool:
    value = options.get(key, False)
    if not isinstance(value, bool):
        raise ctx.error(f"options.{key} must be true or false, got {yaml_type(value)} {value!r}", key="options")
    return value


def _check_ateco_edition(ctx: EntryContext, options: Mapping[str, Any]) -> str | None:
    edition = options.get("ateco_edition")
    if edition is None:
        return None
    text = str(edition) if isinstance(edition, int | str) and not isinstance(edition, bool) else None
    if text not in ATECO_EDITIONS:
        raise ctx.error(
            f"options.ateco_edition must be one of {', '.join(sorted(ATECO_EDITIONS))}, got {edition!r}", key="options"
        )
    return text


def _check_decoders(ctx: EntryContext, options: Mapping[str, Any], kind: str) -> dict[str, str]:
    decoders = options.get("decoders") or {}
    if not isinstance(decoders, Mapping):
        raise ctx.error(f"options.decoders must be a mapping of field: decoder, got {yaml_type(decoders)}",
                        key="options")
    known = DECODERS
    out = {}
    for name, decoder in decoders.items():
        if decoder is None:
            continue
        if name not in field_names(kind):
            raise _unknown_field_error(ctx, name, kind)
        if decoder not in known:
            raise ctx.error(
                f"unknown decoder {decoder!r}{did_you_mean(str(decoder), list(known))} "
                f"(decoders: {', '.join(known)})",
                field=str(name),
            )
        out[str(name)] = str(decoder)
    return out


def _check_options(ctx: EntryContext, raw: Mapping[str, Any], kind: str, mapped: Sequence[str]) -> SourceOptions:
    """Validate ``options:``; decoders of fields the source does not map are dropped."""
    options = raw.get("options") or {}
    if not isinstance(options, Mapping):
        raise ctx.error(f"must be a mapping of option: value, got {yaml_type(options)}", key="options")
    for key in options:
        if key not in OPTION_KEYS:
            hint = did_you_mean(str(key), OPTION_KEYS)
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


def _check_required(ctx: EntryContext, kind: str, provided: set[str]) -> None:
    for name in required_fields(kind):
        if name not in provided:
            raise ctx.error(
                f"required for kind {kind!r} but neither in columns: nor in constants:", field=name
            )


def parse_source(ctx: EntryContext, raw: Any, seen: Mapping[str, int], check_files: bool) -> SourceSpec:
    """Validate one ``sources:`` entry and build its :class:`SourceSpec`.

    ``seen`` maps the names of the sources before it to their 1-based positions.
    """
    if not isinstance(raw, Mapping):
        raise ctx.error(f"must be a mapping of keys (name:, kind:, path:, ...), got {yaml_type(raw)}")
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
