"""Download public reference data from their publishers into ``data/external``.

Command line::

    channelstudy fetch eurostat DATASET [--out DIR] [--timeout SECONDS]
    channelstudy fetch startups [--url URL] [--out DIR] [--timeout SECONDS]

Python::

    fetch_eurostat("isoc_cicce_use")        # -> data/external/estat_isoc_cicce_use.tsv.gz
    fetch_startups()                        # -> data/external/infocamere_startup.xls

Every file lands next to a sidecar ``<file>.meta.json`` recording where and when it came from::

    {"publisher": "Eurostat", "dataset": "isoc_cicce_use", "url": "https://...",
     "file": "estat_isoc_cicce_use.tsv.gz", "sha256": "...", "size_bytes": 329371,
     "retrieved_at": "2026-01-05T10:00:00+00:00", "content_type": "application/octet-stream",
     "tool": "channelstudy 0.1.0"}

How a download is done
----------------------
- The response is streamed to a hidden temporary file (``.fetch-*.part``) in the target folder,
  hashed on the way, checked, and only then renamed over the final name (``os.replace``,
  atomic on one file system); the sidecar is written the same way right after.  On any failure
  the temporary file is removed, and an earlier download of the same name is left untouched.
- Checks: the payload is not empty, not shorter than the announced ``Content-Length``, and not
  an HTML (or XML) page -- publishers answer errors and moved links with such pages and status
  200.  Eurostat payloads must be a gzip stream (checked to its end) or plain text whose first
  line is a bulk-TSV header (``freq,...,geo\\TIME_PERIOD``); a plain TSV is saved as ``.tsv``.
  Startup-register payloads must be an Excel file (``.xls``/``.xlsx``, by magic bytes) or text
  (saved as ``.csv``).
- Failures raise :class:`FetchError`, a :class:`channelstudy.errors.UserError`, with a one-line
  message: ``cannot reach HOST: ... (offline?)`` for DNS, connection and timeout failures;
  ``Eurostat dataset 'x' not found`` for HTTP 404; the status line for other HTTP errors.
- A progress bar (tqdm) is drawn on standard error when it is a terminal.

Where from
----------
- Eurostat bulk download (SDMX 2.1 API, TSV, gzip)::

      https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{DATASET}?format=TSV&compressed=true

- InfoCamere, Registro delle Imprese, "startup innovative" special section.  The page
  https://startup.registroimprese.it/isin/static/startup/index.html links the current export,
  and that link is **not stable**: the default :data:`STARTUPS_URL` is the historical export
  endpoint and may stop working.  When it does (404, or an HTML page instead of a spreadsheet),
  open the page, copy the link of the Excel/CSV export and pass it with ``--url`` (Python:
  ``fetch_startups(url=...)``).

Testing against a local server
------------------------------
Set ``CHANNELSTUDY_FETCH_BASE=http://127.0.0.1:8000`` (or pass ``base_url=`` to
:func:`fetch_eurostat`): the scheme and host of both publishers are replaced by it and the paths
are kept (``/eurostat/api/dissemination/sdmx/2.1/data/{dataset}``,
``/isin/static/startup/startup.xls``).  An explicit ``url``/``--url`` wins over the variable.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import http.client
import json
import logging
import os
import re
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from tqdm import tqdm

from channelstudy import __version__
from channelstudy.catalog import readable_mkstemp
from channelstudy.errors import FetchError

log = logging.getLogger(__name__)

__all__ = [
    "BASE_URL_ENV",
    "EUROSTAT_BASE_URL",
    "STARTUPS_PAGE",
    "STARTUPS_URL",
    "FetchError",
    "eurostat_url",
    "fetch_eurostat",
    "fetch_startups",
    "startups_url",
]

EUROSTAT_BASE_URL = "https://ec.europa.eu"
EUROSTAT_DATA_PATH = "/eurostat/api/dissemination/sdmx/2.1/data/{dataset}?format=TSV&compressed=true"
EUROSTAT_PUBLISHER = "Eurostat"

STARTUPS_URL = "https://startup.registroimprese.it/isin/static/startup/startup.xls"
"""Default export of the startup register; the publisher may move it (override with ``--url``)."""
STARTUPS_PAGE = "https://startup.registroimprese.it/isin/static/startup/index.html"
"""The publisher's page that links the current export."""
STARTUPS_PUBLISHER = "InfoCamere - Registro delle Imprese (sezione speciale startup innovative)"
STARTUPS_STEM = "infocamere_startup"

BASE_URL_ENV = "CHANNELSTUDY_FETCH_BASE"
"""Environment variable replacing the publishers' scheme and host (tests, mirrors)."""

DATASET_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
DEFAULT_TIMEOUT = 30.0
CHUNK_SIZE = 1 << 16
USER_AGENT = f"channelstudy/{__version__} (research toolkit; python-urllib)"

GZIP_MAGIC = b"\x1f\x8b"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Excel .xls (BIFF8 in a compound file)
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx


@dataclass(frozen=True)
class _Download:
    """A finished download still in its temporary file."""

    url: str
    path: Path
    sha256: str
    size: int
    content_type: str

    def head(self, n: int = 4096) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read(n)


# --- public API ----------------------------------------------------------------------------


def eurostat_url(dataset: str, base_url: str | None = None) -> str:
    """The bulk-download URL of a Eurostat dataset.

    Parameters
    ----------
    dataset
        Eurostat dataset code (letters, digits, underscores), any case; it is lower-cased.
    base_url
        Scheme and host to use instead of ``https://ec.europa.eu``; default: the
        ``CHANNELSTUDY_FETCH_BASE`` environment variable, else the publisher.

    Returns
    -------
    str

    Raises
    ------
    FetchError
        When ``dataset`` is not a valid code (nothing is requested).

    Examples
    --------
    >>> eurostat_url("isoc_cicce_use", base_url="http://127.0.0.1:8000")
    'http://127.0.0.1:8000/eurostat/api/dissemination/sdmx/2.1/data/isoc_cicce_use?format=TSV&compressed=true'
    """
    code = validate_dataset(dataset)
    base = _base_url(base_url) or EUROSTAT_BASE_URL
    return base + EUROSTAT_DATA_PATH.format(dataset=code)


def startups_url(url: str | None = None) -> str:
    """The export URL of the startup register: ``url``, else ``$CHANNELSTUDY_FETCH_BASE`` + path, else STARTUPS_URL.

    Examples
    --------
    >>> startups_url("http://example.org/export.csv")
    'http://example.org/export.csv'
    """
    if url:
        return url
    base = _base_url(None)
    return base + urlsplit(STARTUPS_URL).path if base else STARTUPS_URL


def validate_dataset(dataset: str) -> str:
    """The dataset code lower-cased, or FetchError when it is not ``^[A-Za-z0-9_]+$``.

    Examples
    --------
    >>> validate_dataset("ISOC_CICCE_USE")
    'isoc_cicce_use'
    """
    if not DATASET_PATTERN.fullmatch(dataset or ""):
        raise FetchError(
            f"invalid Eurostat dataset code {dataset!r}: use letters, digits and underscores only "
            "(e.g. isoc_cicce_use)"
        )
    return dataset.lower()


def fetch_eurostat(
    dataset: str,
    out: str | os.PathLike[str] | None = None,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download a Eurostat dataset's bulk TSV into ``out`` with a ``.meta.json`` sidecar.

    Parameters
    ----------
    dataset
        Eurostat dataset code, e.g. ``"isoc_cicce_use"``; checked against ``^[A-Za-z0-9_]+$``
        before anything is requested, and lower-cased.
    out
        Target folder (created if needed); default ``data/external`` of the project.
    base_url
        Scheme and host replacing ``https://ec.europa.eu`` (default: ``$CHANNELSTUDY_FETCH_BASE``).
    timeout
        Seconds allowed for connecting and for each read.

    Returns
    -------
    pathlib.Path
        ``out/estat_{dataset}.tsv.gz`` (``.tsv`` when the server sent uncompressed text); the
        sidecar is the same path plus ``.meta.json``.  An existing file is replaced.

    Raises
    ------
    FetchError
        Invalid code; host unreachable or timed out (``cannot reach HOST: ... (offline?)``);
        HTTP 404 (``Eurostat dataset 'x' not found``) or other HTTP error; empty, truncated,
        HTML or otherwise non-TSV payload, or a corrupt gzip stream.  No file is left behind.

    Examples
    --------
    >>> fetch_eurostat("isoc_cicce_use", "data/external")  # doctest: +SKIP
    PosixPath('data/external/estat_isoc_cicce_use.tsv.gz')
    """
    code = validate_dataset(dataset)
    url = eurostat_url(code, base_url)
    folder = _target_folder(out)
    not_found = f"Eurostat dataset {code!r} not found (HTTP 404 from {_host(url)}); check the code on the Eurostat data browser"
    with _downloaded(url, folder, timeout=timeout, not_found=not_found) as download:
        suffix = _eurostat_suffix(download, code)
        target = folder / f"estat_{code}{suffix}"
        _commit(download, target, publisher=EUROSTAT_PUBLISHER, dataset=code)
    return target


def fetch_startups(
    out: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download the InfoCamere register of innovative startups into ``out`` with a sidecar.

    Parameters
    ----------
    out
        Target folder (created if needed); default ``data/external`` of the project.
    url
        Export URL; default :data:`STARTUPS_URL` (or ``$CHANNELSTUDY_FETCH_BASE`` + its path).
        The publisher's export link is not stable: when the default fails, copy the current
        link from :data:`STARTUPS_PAGE` and pass it here.
    timeout
        Seconds allowed for connecting and for each read.

    Returns
    -------
    pathlib.Path
        ``out/infocamere_startup.xls`` (``.xlsx`` or ``.csv`` according to the payload's
        content); the sidecar is the same path plus ``.meta.json``.  An existing file is replaced.

    Raises
    ------
    FetchError
        Host unreachable or timed out; HTTP error (404: the link has moved); empty, truncated
        or HTML payload.  No file is left behind.

    Examples
    --------
    >>> fetch_startups("data/external")  # doctest: +SKIP
    PosixPath('data/external/infocamere_startup.xls')
    """
    source = startups_url(url)
    folder = _target_folder(out)
    not_found = (
        f"startup register export not found at {source} (HTTP 404): the link may have moved; "
        f"copy the current export link from {STARTUPS_PAGE} and pass it with --url"
    )
    with _downloaded(source, folder, timeout=timeout, not_found=not_found) as download:
        target = folder / f"{STARTUPS_STEM}{_startups_suffix(download)}"
        _commit(download, target, publisher=STARTUPS_PUBLISHER, dataset="startup_innovative")
    return target


# --- download ------------------------------------------------------------------------------


def _base_url(base_url: str | None) -> str | None:
    base = base_url or os.environ.get(BASE_URL_ENV) or None
    return base.rstrip("/") if base else None


def _target_folder(out: str | os.PathLike[str] | None) -> Path:
    if out is not None:
        return Path(out)
    from channelstudy.catalog.paths import external_dir

    try:
        return external_dir()
    except FileNotFoundError as exc:
        raise FetchError(f"{exc} (or pass --out DIR)") from None


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


@contextmanager
def _downloaded(url: str, folder: Path, *, timeout: float, not_found: str) -> Iterator[_Download]:
    """Stream ``url`` into a temporary file in ``folder``; the file is removed on exit unless renamed."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url!r}")
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = readable_mkstemp(folder=folder, prefix=".fetch-", suffix=".part")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as sink:
            download = _stream(url, sink, temporary, timeout=timeout, not_found=not_found)
        yield download
    finally:
        temporary.unlink(missing_ok=True)


def _stream(url: str, sink: IO[bytes], temporary: Path, *, timeout: float, not_found: str) -> _Download:
    log.info("downloading %s", url)
    response = _open(url, timeout=timeout, not_found=not_found)
    with response:
        announced = response.headers.get("Content-Length")
        expected = int(announced) if announced and announced.isdigit() else None
        content_type = response.headers.get_content_type()
        digest, size = hashlib.sha256(), 0
        progress = tqdm(
            total=expected,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            leave=False,
            desc=Path(urlsplit(url).path).name or _host(url),
            disable=not sys.stderr.isatty(),
        )
        with progress:
            while chunk := _read_chunk(response, url, timeout):
                sink.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                progress.update(len(chunk))
    if expected is not None and size < expected:
        raise FetchError(f"download from {_host(url)} incomplete: got {size} of {expected} bytes")
    if size == 0:
        raise FetchError(f"empty response from {url}")
    return _Download(url=url, path=temporary, sha256=digest.hexdigest(), size=size, content_type=content_type)


def _open(url: str, *, timeout: float, not_found: str) -> http.client.HTTPResponse:
    """Send the GET request; map every failure to a one-line FetchError."""
    request = Request(url, headers={"User-Agent": USER_AGENT})
    try:
        return urlopen(request, timeout=timeout)
    except HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise FetchError(not_found) from None
        raise FetchError(f"{_host(url)} answered HTTP {exc.code} {_one_line(exc.reason)} for {url}") from None
    except URLError as exc:
        raise FetchError(f"cannot reach {_host(url)}: {_one_line(exc.reason)} (offline?)") from None
    except TimeoutError:
        raise FetchError(f"cannot reach {_host(url)}: timed out after {timeout:g} s (offline?)") from None
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(
            f"cannot reach {_host(url)}: {_one_line(exc) or type(exc).__name__} (offline?)"
        ) from None


def _read_chunk(response: http.client.HTTPResponse, url: str, timeout: float) -> bytes:
    try:
        return response.read(CHUNK_SIZE)
    except TimeoutError:
        raise FetchError(f"download from {_host(url)} timed out after {timeout:g} s (offline?)") from None
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(
            f"download from {_host(url)} interrupted: {_one_line(exc) or type(exc).__name__}"
        ) from None


def _commit(download: _Download, target: Path, *, publisher: str, dataset: str) -> None:
    """Write the sidecar and move the downloaded file to ``target`` (both by atomic rename)."""
    meta = {
        "publisher": publisher,
        "dataset": dataset,
        "url": download.url,
        "file": target.name,
        "sha256": download.sha256,
        "size_bytes": download.size,
        "retrieved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "content_type": download.content_type,
        "tool": f"channelstudy {__version__}",
    }
    sidecar = sidecar_path(target)
    handle, name = readable_mkstemp(folder=target.parent, prefix=".fetch-", suffix=".meta.part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(meta, stream, indent=2)
            stream.write("\n")
        os.replace(download.path, target)
        os.replace(name, sidecar)
    finally:
        Path(name).unlink(missing_ok=True)
    log.info(
        "saved %s (%d bytes, sha256 %s) from %s; sidecar %s",
        target,
        download.size,
        download.sha256,
        download.url,
        sidecar.name,
    )


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """``estat_x.tsv.gz`` -> ``estat_x.tsv.gz.meta.json``.

    Examples
    --------
    >>> sidecar_path("data/external/estat_x.tsv.gz").name
    'estat_x.tsv.gz.meta.json'
    """
    path = Path(path)
    return path.with_name(path.name + ".meta.json")


# --- payload checks ------------------------------------------------------------------------


def _looks_like_markup(head: bytes, content_type: str) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return content_type in {"text/html", "application/xhtml+xml"} or start.startswith(
        b"<"
    )  # <!DOCTYPE, <html, <?xml


def _page_title(head: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", head, re.IGNORECASE | re.DOTALL)
    return f" titled {_one_line(match.group(1).decode('utf-8', 'replace'))!r}" if match else ""


def _reject_markup(download: _Download, what: str, hint: str = "") -> None:
    head = download.head()
    if _looks_like_markup(head, download.content_type):
        raise FetchError(
            f"{_host(download.url)} returned an HTML/XML page{_page_title(head)} instead of {what}{hint}"
        )


def _eurostat_suffix(download: _Download, dataset: str) -> str:
    """``.tsv.gz`` or ``.tsv`` when the payload is a Eurostat bulk TSV; FetchError otherwise."""
    what = f"the bulk TSV of Eurostat dataset {dataset!r}"
    _reject_markup(download, what)
    head = download.head()
    if head.startswith(GZIP_MAGIC):
        first_line = _gzip_first_line_checked(download.path, what)
        suffix = ".tsv.gz"
    else:
        first_line = head.split(b"\n", 1)[0]
        suffix = ".tsv"
    _check_tsv_header(first_line, what)
    return suffix


def _gzip_first_line_checked(path: Path, what: str) -> bytes:
    """The first line of a gzip file, after reading the whole stream to check it is intact."""
    try:
        with gzip.open(path, "rb") as stream:
            first_line = stream.readline(1 << 16)
            while stream.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise FetchError(f"corrupt gzip payload for {what}: {_one_line(exc)}") from None
    return first_line


def _check_tsv_header(first_line: bytes, what: str) -> None:
    from channelstudy.errors import EurostatFormatError
    from channelstudy.sources.eurostat import split_packed_header  # pandas: import when needed

    cells = first_line.decode("utf-8-sig", "replace").rstrip("\r\n").split("\t")
    try:
        if len(cells) < 2:
            raise EurostatFormatError("no tab-separated period columns")
        split_packed_header(cells[0])
    except EurostatFormatError as exc:
        raise FetchError(
            f"payload is not {what} (first line {first_line[:80]!r}: {_one_line(exc)})"
        ) from None


def _startups_suffix(download: _Download) -> str:
    """``.xls``, ``.xlsx`` or ``.csv`` by content; FetchError for HTML pages."""
    hint = f"; the export link may have moved: copy the current one from {STARTUPS_PAGE} and pass --url"
    _reject_markup(download, "the startup register export (Excel or CSV)", hint)
    head = download.head()
    if head.startswith(OLE2_MAGIC):
        return ".xls"
    if head.startswith(ZIP_MAGIC):
        return ".xlsx"
    if b"\x00" in head:
        raise FetchError(f"payload from {download.url} is neither Excel nor text (starts with {head[:16]!r})")
    return ".csv"


# --- command line --------------------------------------------------------------------------
