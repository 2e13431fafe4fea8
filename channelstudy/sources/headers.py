"""Match a manifest's column headers against a file's header row.

Headers are matched after :func:`normalise_header`: whitespace runs (spaces, tabs, newlines,
no-break spaces) collapse to one space, the ends are stripped and the text is put in Unicode NFC
form; the match is otherwise exact (case matters).  A header that is absent gets the closest one
suggested.
"""

from __future__ import annotations

import difflib
import fnmatch
import unicodedata
from collections.abc import Sequence

from channelstudy.sources.specs import MAX_LISTED, SourceSpec


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


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match else ""


def listing(items: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown += f", ... ({len(items)} in all)"
    return shown


def locate_columns(spec: SourceSpec, headers: Sequence[str], file_label: str | None = None) -> dict[str, int]:
    """Find the position of each mapped header among a file's headers.

    Parameters
    ----------
    spec
        The source; its ``columns`` are looked up.
    headers
        The file's header texts in file order (as :func:`channelstudy.sources.readers.read_header`
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
                f"header {col.column!r} not found in {label} ({hint}headers: {listing(known)})",
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


def pick_sheet(spec: SourceSpec, names: Sequence[str]) -> str:
    """The sheet to read: ``spec.sheet`` (``*`` and ``?`` are wildcards), else the first one.

    A pattern must match exactly one sheet (Excel forbids ``*`` and ``?`` in sheet names, so a
    name with them can only be a pattern): ``STARTUP_*`` finds ``STARTUP_01052017``.

    Raises
    ------
    ManifestError
        No sheet of that name, or a pattern matching none or several sheets.
    """
    shown = ", ".join(repr(n) for n in names)
    if spec.sheet is None:
        if not names:
            raise spec.error(f"{spec.path.name} has no sheets", key="sheet")
        return names[0]
    if not any(c in spec.sheet for c in "*?"):
        if spec.sheet not in names:
            raise spec.error(f"sheet {spec.sheet!r} not found in {spec.path.name} (sheets: {shown})", key="sheet")
        return spec.sheet
    hits = [n for n in names if fnmatch.fnmatchcase(n, spec.sheet)]
    if len(hits) != 1:
        what = "no sheet" if not hits else f"{len(hits)} sheets"
        raise spec.error(f"pattern {spec.sheet!r} matches {what} of {spec.path.name} (sheets: {shown})", key="sheet")
    return hits[0]
