"""Errors every stage raises from: one module, so no library code needs the command line.

:class:`UserError` is what the command line reports in one line without a traceback: an error of
the input or of the call, not of the toolkit.  Stage errors derive from it (or from
:class:`ValueError` where a library caller may expect one, e.g. an impossible raking).

>>> from channelstudy.errors import ManifestError, UserError
>>> err = ManifestError("path not found", manifest="sources.yml", source="analyst_a", key="path")
>>> str(err)
"sources.yml: source 'analyst_a', key 'path': path not found"
>>> isinstance(err, UserError), isinstance(err, ValueError)
(True, True)
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ChannelstudyError",
    "EurostatFormatError",
    "FetchError",
    "ManifestError",
    "RakingError",
    "UncoveredCellError",
    "UserError",
]


class ChannelstudyError(Exception):
    """Base class of the toolkit's own errors."""


class UserError(ChannelstudyError):
    """An error caused by the input or the command line: reported in one line, no traceback."""


class ManifestError(UserError, ValueError):
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


class EurostatFormatError(UserError, ValueError):
    """The input is not a readable Eurostat bulk TSV (bad header, bad cell, corrupt gzip ...)."""


class FetchError(UserError):
    """A download failed or returned something else than the expected file (one-line message)."""


class RakingError(ChannelstudyError, ValueError):
    """Raking is impossible as asked: a population cell has no respondents, or the reverse."""


class UncoveredCellError(RakingError):
    """A population cell has no respondents and cannot be merged with one that has.

    Attributes
    ----------
    margin : str
        The margin's name (e.g. ``partner_type x size_class``).
    columns : tuple of str
        The margin's dimension columns.
    cells : tuple of tuple
        Values of ``columns`` of every cell merged into the uncovered one.
    label : str
        The merged cell as the message names it (e.g. ``distributor x micro+small``).
    population : float
        Its population count.
    """

    def __init__(self, message: str, *, margin: str, columns: tuple[str, ...], cells: tuple[tuple, ...],
                 label: str, population: float) -> None:
        super().__init__(message)
        self.margin, self.columns, self.cells, self.label, self.population = margin, columns, cells, label, population
