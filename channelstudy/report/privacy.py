"""Scan outputs for personal data: e-mail addresses, phone numbers, personal codici fiscali, personal columns.

The raw survey exports carry the respondent's name, e-mail and phone
(:data:`channelstudy.vocabulary.PERSONAL_FIELDS`).  The build reads them for accounting and drops
them; the catalog refuses to write a table with such a column.  :func:`scan` checks the result
from the outside, on the files themselves: processed tables, reports and the outputs of the
committed notebooks.  ``channelstudy scan`` runs it (the default targets are
:func:`default_targets`) and ends with one ``error:`` line when something is found.

What is looked for (:data:`PATTERNS`):

``email``
    an e-mail address (``name@domain.tld``);
``phone``
    an Italian phone number: ``+39`` (or ``0039`` and a space) followed by digits, a mobile ``3xx`` or landline ``0x..``
    number written with a separator (``347 1234567``, ``02 1234567``).  A number written as one run
    of digits without ``+39`` (``3471234567``) is *not* recognised: it cannot be told from an
    amount or a partita IVA;
``codice_fiscale``
    a *personal* codice fiscale (16 characters, check character valid, python-stdnum); a
    company's 11-digit codice fiscale is its partita IVA and not personal data;
``personal_column``
    a table column named like a personal field (``respondent_name``, ``respondent_email``,
    ``respondent_phone``).

Files read: ``.parquet`` and ``.xlsx`` (column names, then every text column), ``.csv``, ``.json``, ``.md``,
``.txt``, ``.html``, ``.svg`` (as text) and ``.ipynb`` (the *outputs* of each cell: what the
notebook shows, not its code).  Other files (PNG figures) are skipped.  Limits: a name written
alone (``Mario Rossi``) is not recognised as personal data; the column check and the build's
dropping of :data:`PERSONAL_FIELDS` are what protect names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from stdnum.it import codicefiscale

from channelstudy.catalog import paths
from channelstudy.vocabulary import PERSONAL_FIELDS

PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "phone": re.compile(
        r"(?<![\w+.,])(?:(?:\+39[\s./-]?|0039[\s./-])\d{2,4}[\s./-]?\d{3,8}"
        r"|3\d{2}[\s./-]\d{6,7}"
        r"|0\d{1,3}[\s./-]\d{5,8})(?![\w.,])"
    ),
    "codice_fiscale": re.compile(
        r"(?<![A-Za-z0-9])[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}"
        r"[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z](?![A-Za-z0-9])"
    ),
}
"""What :func:`scan_text` looks for, by kind."""

TEXT_SUFFIXES = frozenset({".csv", ".json", ".md", ".txt", ".html", ".svg"})


@dataclass(frozen=True)
class Finding:
    """Personal data found: where (file and location), what kind, and a masked excerpt."""

    path: Path
    where: str
    kind: str
    excerpt: str

    def line(self) -> str:
        return f"{self.path}: {self.where}: {self.kind} {self.excerpt}"


def mask(text: str) -> str:
    """The first and last characters of ``text``, the rest as ``*``: the finding, not the datum.

    >>> mask("mario.rossi@example.it")
    'ma******************it'
    """
    return text[:2] + "*" * max(len(text) - 4, 0) + text[-2:] if len(text) > 4 else "*" * len(text)


def scan_text(text: str) -> Iterator[tuple[str, str]]:
    """``(kind, match)`` of every personal datum in ``text``.

    Examples
    --------
    >>> list(scan_text("write to mario.rossi@example.it or call +39 02 1234567; P.IVA 00391234531"))
    [('email', 'mario.rossi@example.it'), ('phone', '+39 02 1234567')]
    >>> list(scan_text("RSSMRA85T10A562S is personal, RSSMRA85T10A562X is not valid"))
    [('codice_fiscale', 'RSSMRA85T10A562S')]
    """
    for kind, pattern in PATTERNS.items():
        for hit in pattern.finditer(text):
            if kind == "codice_fiscale" and not codicefiscale.is_valid(hit.group()):
                continue
            yield kind, hit.group()


def _scan_lines(path: Path, lines: Iterable[str], label: str = "line") -> Iterator[Finding]:
    for number, line in enumerate(lines, start=1):
        for kind, hit in scan_text(line):
            yield Finding(path, f"{label} {number}", kind, mask(hit))


def _scan_frame(path: Path, table: pd.DataFrame, sheet: str = "") -> Iterator[Finding]:
    for column in sorted(PERSONAL_FIELDS & {str(c) for c in table.columns}):
        yield Finding(path, f"{sheet}column {column!r}", "personal_column", column)
    for column in table.columns:
        values = table[column]
        if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
            continue
        text = values.dropna().astype("str")
        for kind, pattern in PATTERNS.items():
            hits = text[text.str.contains(pattern.pattern, regex=True)]
            for row, value in hits.items():
                for found_kind, hit in scan_text(value):
                    if found_kind == kind:
                        yield Finding(path, f"{sheet}column {column!r}, row {row}", kind, mask(hit))


def _notebook_outputs(path: Path) -> Iterator[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")]
            texts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
            texts += [output.get("evalue", "")]
            for text in texts:
                joined = "".join(text) if isinstance(text, list) else str(text)
                yield from (f"cell {number}: {line}" for line in joined.splitlines())


def scan_file(path: str | Path) -> list[Finding]:
    """Personal data in one file (see the module docstring for the formats read)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return list(_scan_frame(path, pd.read_parquet(path)))
    if suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
        return [f for name, table in sheets.items() for f in _scan_frame(path, table, f"sheet {name!r}, ")]
    if suffix == ".ipynb":
        return list(_scan_lines(path, _notebook_outputs(path), label="output line"))
    if suffix in TEXT_SUFFIXES:
        return list(_scan_lines(path, path.read_text(encoding="utf-8", errors="replace").splitlines()))
    return []


def _files(targets: Iterable[str | Path]) -> Iterator[Path]:
    for target in targets:
        target = Path(target)
        if target.is_dir():
            yield from (p for p in sorted(target.rglob("*")) if p.is_file() and not p.name.startswith("."))
        elif target.is_file():
            yield target
        else:
            raise FileNotFoundError(f"{target}: no such file or folder to scan")


def default_targets() -> list[Path]:
    """What ``channelstudy scan`` reads by default: processed tables, reports, notebooks (those that exist)."""
    root = paths.project_root()
    candidates = [paths.processed_dir(), root / "reports", root / "notebooks"]
    return [c for c in candidates if c.exists()]


def scan(targets: Iterable[str | Path] | None = None) -> tuple[list[Finding], int]:
    """Personal data in every file under ``targets`` (default :func:`default_targets`).

    Returns
    -------
    findings : list of Finding
    n_files : int
        Files read.
    """
    files = list(_files(default_targets() if targets is None else targets))
    findings = [f for path in files for f in scan_file(path)]
    return findings, len(files)
