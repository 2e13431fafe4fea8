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
          decoders: {employees_class: startup_employee_class}  # field: decoder (channelstudy.sources.presets)
          blank_reason: blank_row  # reject code of rows whose mapped cells are all empty
          dedupe_by_name: false    # link rows without a province by name among themselves

Presets (``preset: NAME``) are looked up in :data:`channelstudy.sources.specs.PRESETS` (registered at run time), then in the
built-in :data:`channelstudy.sources.presets.PRESETS` (``infocamere_startups``,
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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from channelstudy.errors import ManifestError
from channelstudy.sources.checks import EntryContext, parse_source, yaml_type
from channelstudy.sources.headers import did_you_mean
from channelstudy.sources.readers import check_headers
from channelstudy.sources.specs import MANIFEST_NAMES, TOP_LEVEL_KEYS, Manifest

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
            f"expected a mapping with a 'sources:' list at the top, got {yaml_type(document)}",
            manifest=manifest,
        )
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            hint = did_you_mean(str(key), sorted(TOP_LEVEL_KEYS))
            raise ManifestError(
                f"unknown top-level key {key!r}{hint} (keys: {', '.join(sorted(TOP_LEVEL_KEYS))})",
                manifest=manifest,
            )
    entries = document.get("sources")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(
            f"'sources:' must be a non-empty list, got {yaml_type(entries)}", manifest=manifest
        )
    return entries


def load_manifest(path_or_dir: str | Path, check_files: bool = True, *, headers: bool = True) -> Manifest:
    """Read and validate a ``sources.yml`` manifest.

    Parameters
    ----------
    path_or_dir
        The manifest file, or the folder holding ``sources.yml``.
    check_files
        Also check that every file exists and has the mapped headers (reads header rows only,
        via :func:`check_headers`).  Without it only the manifest's own content and the path
        containment are checked.
    headers
        With ``check_files``, also check the mapped headers.  ``False`` checks only that the
        files exist, for a caller that checks each source's headers itself
        (:func:`channelstudy.sources.readers.check_header`, e.g. in parallel with reading).

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
        spec = parse_source(EntryContext(manifest, root, position), raw, seen, check_files)
        seen[spec.name] = position
        specs.append(spec)
    result = Manifest(root=root, sources=tuple(specs))
    if check_files and headers:
        check_headers(result)
    return result
