"""Tests of channelstudy.sources.fetch against a local HTTP server on 127.0.0.1 (never the network).

The server mimics the publishers' paths; expected bytes and checksums are computed here from
the payloads the tests serve, never taken from the sidecar being checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import channelstudy.cli as cli
import channelstudy.sources.fetch as fetch
from channelstudy.catalog import new_file_mode
from channelstudy.catalog.paths import realdata_dir
from channelstudy.cli import add_fetch
from channelstudy.errors import FetchError
from channelstudy.sources.eurostat import read_eurostat_tsv
from channelstudy.sources.fetch import (
    BASE_URL_ENV,
    STARTUPS_URL,
    eurostat_url,
    fetch_eurostat,
    fetch_startups,
    sidecar_path,
    startups_url,
)

EUROSTAT_PATH = "/eurostat/api/dissemination/sdmx/2.1/data/{}"
STARTUPS_PATH = "/isin/static/startup/startup.xls"
TIMEOUT = 5.0

TSV_TEXT = (
    "freq,unit,geo\\TIME_PERIOD\t2021 \t2023 \t2025 \r\n"
    "A,PC_ENT,IT\t60.47 \t61.39 \t75.60 \r\n"
    "A,PC_ENT,FR\t29.35 \t26.76 b\t40.41 \r\n"
)
TSV_GZ = gzip.compress(TSV_TEXT.encode(), mtime=0)
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head><body>Sorry</body></html>\n"
)
XLS_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
XLSX_BYTES = b"PK\x03\x04" + b"\x14\x00" * 100
CSV_BYTES = "denominazione;codice fiscale;pv\nACME SOCIETÀ SRL;01234567890;MI\n".encode()


# --- local server --------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/octet-stream"
    delay: float = 0.0  # seconds before answering
    declared_length: int | None = None  # Content-Length to announce (default: len(body))
    stall_after: int | None = None  # send this many body bytes, then hang for `delay`


@dataclass
class Server:
    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


class Handler(BaseHTTPRequestHandler):
    server_state: Server  # set on the per-test subclass

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        state = self.server_state
        state.requests.append(self.path)
        route = state.routes.get(urlsplit(self.path).path)
        if route is None:
            route = Route(body=b"<html><body>Not Found</body></html>", status=404, content_type="text/html")
        if route.delay and route.stall_after is None:
            time.sleep(route.delay)
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        length = route.declared_length if route.declared_length is not None else len(route.body)
        self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()
        if route.stall_after is not None:
            self.wfile.write(route.body[: route.stall_after])
            self.wfile.flush()
            time.sleep(route.delay)
            return
        self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(base="")
    handler = type("BoundHandler", (Handler,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    host, port = httpd.server_address[:2]
    state.base = f"http://{host}:{port}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request made by channelstudy.sources.fetch must go to 127.0.0.1; no proxy, no env override leaks in."""
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    contacted: list[str] = []
    real_urlopen = fetch.urlopen

    def guarded(request, *args, **kwargs):  # type: ignore[no-untyped-def]
        host = urlsplit(request.full_url).hostname
        contacted.append(request.full_url)
        assert host == "127.0.0.1", f"test tried to contact {host}"
        return real_urlopen(request, *args, **kwargs)

    monkeypatch.setattr(fetch, "urlopen", guarded)
    return contacted


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def all_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def read_sidecar(path: Path) -> dict[str, object]:
    return json.loads(sidecar_path(path).read_text(encoding="utf-8"))


def assert_sidecar(path: Path, source: bytes, *, url: str, publisher: str) -> dict[str, object]:
    meta = read_sidecar(path)
    assert meta["sha256"] == hashlib.sha256(source).hexdigest()
    assert meta["size_bytes"] == len(source)
    assert meta["url"] == url
    assert meta["publisher"] == publisher
    assert meta["file"] == path.name
    retrieved = dt.datetime.fromisoformat(str(meta["retrieved_at"]))
    assert retrieved.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - retrieved).total_seconds()) < 120
    return meta


# --- real files (served locally) -----------------------------------------------------------


@pytest.fixture
def real_folder() -> Path:
    folder = realdata_dir()
    if folder is None:
        pytest.skip("real data folder absent (set CHANNELSTUDY_REALDATA or provide ../shared/realdata)")
    return folder


def test_fetch_real_eurostat_file(server: Server, real_folder: Path, tmp_path: Path) -> None:
    source = real_folder / "eurostat_isoc_cicce_use" / "estat_isoc_cicce_use.tsv.gz"
    if not source.is_file():
        pytest.skip(f"{source} absent")
    payload = source.read_bytes()
    server.routes[EUROSTAT_PATH.format("isoc_cicce_use")] = Route(payload)

    path = fetch_eurostat("isoc_cicce_use", tmp_path / "external", base_url=server.base, timeout=TIMEOUT)

    assert path == tmp_path / "external" / "estat_isoc_cicce_use.tsv.gz"
    assert path.read_bytes() == payload
    url = f"{server.base}/eurostat/api/dissemination/sdmx/2.1/data/isoc_cicce_use?format=TSV&compressed=true"
    meta = assert_sidecar(path, payload, url=url, publisher="Eurostat")
    assert meta["dataset"] == "isoc_cicce_use"
    assert server.requests == [
        "/eurostat/api/dissemination/sdmx/2.1/data/isoc_cicce_use?format=TSV&compressed=true"
    ]
    assert all_files(path.parent) == ["estat_isoc_cicce_use.tsv.gz", "estat_isoc_cicce_use.tsv.gz.meta.json"]
    frame = read_eurostat_tsv(path)
    italy = frame[
        (frame.indic_is == "E_CC")
        & (frame.unit == "PC_ENT")
        & (frame.size_emp == "GE10")
        & (frame.geo == "IT")
        & (frame.time == 2025)
    ]
    assert italy["value"].tolist() == [75.60]


def test_fetch_real_startups_file_through_the_cli(
    server: Server, real_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = real_folder / "infocamere_startup_2017" / "startup.xls"
    if not source.is_file():
        pytest.skip(f"{source} absent")
    payload = source.read_bytes()
    server.routes[STARTUPS_PATH] = Route(payload, content_type="application/vnd.ms-excel")
    monkeypatch.setenv(BASE_URL_ENV, server.base)

    args = build_parser().parse_args(["fetch", "startups", "--out", str(tmp_path), "--timeout", str(TIMEOUT)])
    assert args.func(args) == 0

    path = tmp_path / "infocamere_startup.xls"
    assert path.read_bytes() == payload
    assert_sidecar(path, payload, url=server.base + STARTUPS_PATH, publisher=fetch.STARTUPS_PUBLISHER)
    assert server.requests == [STARTUPS_PATH]


# --- synthetic payloads: success -----------------------------------------------------------


def test_fetch_eurostat_gzip_via_environment_base(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_test")] = Route(TSV_GZ)
    monkeypatch.setenv(BASE_URL_ENV, server.base + "/")
    path = fetch_eurostat("isoc_test", tmp_path, timeout=TIMEOUT)
    assert path.name == "estat_isoc_test.tsv.gz"
    assert path.read_bytes() == TSV_GZ
    assert_sidecar(path, TSV_GZ, url=eurostat_url("isoc_test", server.base), publisher="Eurostat")
    assert server.requests == [
        "/eurostat/api/dissemination/sdmx/2.1/data/isoc_test?format=TSV&compressed=true"
    ]


def test_fetch_eurostat_plain_tsv_is_saved_as_tsv(server: Server, tmp_path: Path) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_plain")] = Route(
        TSV_TEXT.encode(), content_type="text/tab-separated-values"
    )
    path = fetch_eurostat("ISOC_Plain", tmp_path, base_url=server.base, timeout=TIMEOUT)
    assert path.name == "estat_isoc_plain.tsv"
    assert path.read_bytes() == TSV_TEXT.encode()
    assert read_sidecar(path)["content_type"] == "text/tab-separated-values"
    assert read_eurostat_tsv(path)["value"].tolist() == [60.47, 61.39, 75.60, 29.35, 26.76, 40.41]
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {new_file_mode()}, "not owner-only"


def test_fetch_replaces_an_earlier_download(server: Server, tmp_path: Path) -> None:
    route = EUROSTAT_PATH.format("isoc_x")
    server.routes[route] = Route(TSV_GZ)
    first = fetch_eurostat("isoc_x", tmp_path, base_url=server.base, timeout=TIMEOUT)
    newer = gzip.compress((TSV_TEXT + "A,PC_ENT,DE\t41.60 \t47.00 \t53.91 \n").encode(), mtime=0)
    server.routes[route] = Route(newer)
    second = fetch_eurostat("isoc_x", tmp_path, base_url=server.base, timeout=TIMEOUT)
    assert first == second
    assert second.read_bytes() == newer
    assert read_sidecar(second)["sha256"] == hashlib.sha256(newer).hexdigest()
    assert all_files(tmp_path) == ["estat_isoc_x.tsv.gz", "estat_isoc_x.tsv.gz.meta.json"]


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        (XLS_BYTES, "infocamere_startup.xls"),
        (XLSX_BYTES, "infocamere_startup.xlsx"),
        (CSV_BYTES, "infocamere_startup.csv"),
    ],
    ids=["xls", "xlsx", "csv"],
)
def test_fetch_startups_names_the_file_by_content(
    server: Server, tmp_path: Path, payload: bytes, name: str
) -> None:
    server.routes["/export/today"] = Route(payload)
    url = server.base + "/export/today"
    path = fetch_startups(tmp_path, url=url, timeout=TIMEOUT)
    assert path.name == name
    assert path.read_bytes() == payload
    assert_sidecar(path, payload, url=url, publisher=fetch.STARTUPS_PUBLISHER)


def test_explicit_url_wins_over_environment(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BASE_URL_ENV, f"http://127.0.0.1:{closed_port()}")
    server.routes["/other.xls"] = Route(XLS_BYTES)
    fetch_startups(tmp_path, url=server.base + "/other.xls", timeout=TIMEOUT)
    assert server.requests == ["/other.xls"]


def test_url_helpers_defaults_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    assert eurostat_url("isoc_cicce_use") == (
        "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/isoc_cicce_use?format=TSV&compressed=true"
    )
    assert (
        startups_url() == STARTUPS_URL == "https://startup.registroimprese.it/isin/static/startup/startup.xls"
    )
    assert startups_url("http://127.0.0.1:1/x.csv") == "http://127.0.0.1:1/x.csv"
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:9")
    assert startups_url() == "http://127.0.0.1:9/isin/static/startup/startup.xls"
    assert eurostat_url("A_1").startswith("http://127.0.0.1:9/eurostat/api/dissemination/sdmx/2.1/data/a_1?")
    assert eurostat_url("A_1", base_url="http://127.0.0.1:8").startswith("http://127.0.0.1:8/")


# --- synthetic payloads: failures ----------------------------------------------------------


def test_404_names_the_dataset_and_leaves_nothing(server: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"Eurostat dataset 'no_such_dataset' not found \(HTTP 404"):
        fetch_eurostat("no_such_dataset", tmp_path, base_url=server.base, timeout=TIMEOUT)
    assert all_files(tmp_path) == []


def test_other_http_errors_give_the_status_line(server: Server, tmp_path: Path) -> None:
    server.routes[EUROSTAT_PATH.format("busy")] = Route(b"overloaded", status=503, content_type="text/plain")
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 answered HTTP 503 Service Unavailable"):
        fetch_eurostat("busy", tmp_path, base_url=server.base, timeout=TIMEOUT)
    assert all_files(tmp_path) == []


def test_html_page_is_rejected_and_earlier_file_kept(server: Server, tmp_path: Path) -> None:
    earlier = tmp_path / "estat_isoc_html.tsv.gz"
    earlier.write_bytes(TSV_GZ)
    sidecar_path(earlier).write_text('{"sha256": "earlier"}', encoding="utf-8")
    server.routes[EUROSTAT_PATH.format("isoc_html")] = Route(HTML_PAGE, content_type="text/html")
    with pytest.raises(
        FetchError, match=r"HTML/XML page titled 'Service unavailable' instead of .*'isoc_html'"
    ):
        fetch_eurostat("isoc_html", tmp_path, base_url=server.base, timeout=TIMEOUT)
    assert all_files(tmp_path) == ["estat_isoc_html.tsv.gz", "estat_isoc_html.tsv.gz.meta.json"]
    assert earlier.read_bytes() == TSV_GZ
    assert read_sidecar(earlier) == {"sha256": "earlier"}


def test_html_is_rejected_even_when_labelled_as_data(server: Server, tmp_path: Path) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_html")] = Route(
        b"\n  " + HTML_PAGE, content_type="application/octet-stream"
    )
    with pytest.raises(FetchError, match="HTML"):
        fetch_eurostat("isoc_html", tmp_path, base_url=server.base, timeout=TIMEOUT)
    assert all_files(tmp_path) == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (gzip.compress(HTML_PAGE, mtime=0), "is not the bulk TSV"),
        (gzip.compress(b"a,b,c\n1,2,3\n", mtime=0), "is not the bulk TSV"),
        (b"just some text\n", "is not the bulk TSV"),
        (TSV_GZ[:-12], "corrupt gzip"),
        (b"", "empty response"),
    ],
    ids=["gzipped-html", "gzipped-csv", "plain-text", "truncated-gzip", "empty"],
)
def test_non_tsv_payloads_are_rejected(server: Server, tmp_path: Path, payload: bytes, message: str) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_bad")] = Route(payload)
    with pytest.raises(FetchError, match=message):
        fetch_eurostat("isoc_bad", tmp_path, base_url=server.base, timeout=TIMEOUT)
    assert all_files(tmp_path) == []


def test_startups_html_page_is_rejected_with_a_hint(server: Server, tmp_path: Path) -> None:
    server.routes[STARTUPS_PATH] = Route(HTML_PAGE, content_type="text/html; charset=utf-8")
    with pytest.raises(FetchError, match=r"HTML.*link may have moved.*--url"):
        fetch_startups(tmp_path, url=server.base + STARTUPS_PATH, timeout=TIMEOUT)
    assert all_files(tmp_path) == []


def test_startups_404_suggests_url_option(server: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"not found .*HTTP 404.*--url"):
        fetch_startups(tmp_path, url=server.base + "/moved.xls", timeout=TIMEOUT)


def test_truncated_transfer_is_rejected(server: Server, tmp_path: Path) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_cut")] = Route(TSV_GZ, declared_length=len(TSV_GZ) + 1000)
    with pytest.raises(FetchError, match=r"incomplete|interrupted"):
        fetch_eurostat("isoc_cut", tmp_path, base_url=server.base, timeout=TIMEOUT)
    assert all_files(tmp_path) == []


def test_server_that_never_answers_times_out(server: Server, tmp_path: Path) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_slow")] = Route(TSV_GZ, delay=3.0)
    start = time.perf_counter()
    with pytest.raises(FetchError, match=r"^cannot reach 127\.0\.0\.1: .*timed out.*\(offline\?\)$"):
        fetch_eurostat("isoc_slow", tmp_path, base_url=server.base, timeout=0.5)
    assert time.perf_counter() - start < 2.5
    assert all_files(tmp_path) == []


def test_download_that_stalls_midway_times_out(server: Server, tmp_path: Path) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_stall")] = Route(TSV_GZ, delay=3.0, stall_after=10)
    with pytest.raises(FetchError, match=r"download from 127\.0\.0\.1 timed out after 0\.5 s"):
        fetch_eurostat("isoc_stall", tmp_path, base_url=server.base, timeout=0.5)
    assert all_files(tmp_path) == []


def test_unreachable_host_gives_one_line_offline_error(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(FetchError) as info:
        fetch_eurostat("isoc_cicce_use", tmp_path / "out", base_url=base, timeout=TIMEOUT)
    message = str(info.value)
    assert message.startswith("cannot reach 127.0.0.1: ")
    assert message.endswith("(offline?)")
    assert "\n" not in message
    assert all_files(tmp_path / "out") == []


@pytest.mark.parametrize(
    "bad", ["", "../etc/passwd", "isoc cicce", "isoc;rm", "x?y=1", "isoc-cicce", "città", "a/b"]
)
def test_bad_dataset_name_is_rejected_before_any_request(
    server: Server, tmp_path: Path, only_localhost: list[str], bad: str
) -> None:
    with pytest.raises(FetchError, match="invalid Eurostat dataset code"):
        fetch_eurostat(bad, tmp_path / "out", base_url=server.base, timeout=TIMEOUT)
    assert server.requests == []
    assert only_localhost == []
    assert not (tmp_path / "out").exists()


def test_non_http_url_is_rejected(tmp_path: Path, only_localhost: list[str]) -> None:
    with pytest.raises(FetchError, match="not an http"):
        fetch_startups(tmp_path, url="startup.registroimprese.it/startup.xls", timeout=TIMEOUT)
    with pytest.raises(FetchError, match="not an http"):
        fetch_startups(tmp_path, url="file:///etc/passwd", timeout=TIMEOUT)
    assert only_localhost == []


def test_fetch_error_is_a_user_error() -> None:
    assert issubclass(FetchError, cli.UserError)


# --- command line --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="channelstudy")
    sub = parser.add_subparsers(dest="command")
    add_fetch(sub)
    return parser


def test_cli_fetch_eurostat(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_cli")] = Route(TSV_GZ)
    monkeypatch.setenv(BASE_URL_ENV, server.base)
    args = build_parser().parse_args(
        ["fetch", "eurostat", "isoc_cli", "--out", str(tmp_path), "--timeout", "5"]
    )
    assert (args.dataset, args.out, args.timeout) == ("isoc_cli", str(tmp_path), 5.0)
    assert args.func(args) == 0
    assert (tmp_path / "estat_isoc_cli.tsv.gz").read_bytes() == TSV_GZ


def test_cli_defaults_and_usage_errors(capsys: pytest.CaptureFixture) -> None:
    parser = build_parser()
    args = parser.parse_args(["fetch", "startups"])
    assert (args.out, args.url, args.timeout) == (None, None, 30.0)
    for argv in (
        ["fetch"],
        ["fetch", "eurostat"],
        ["fetch", "eurostat", "x", "--timeout", "0"],
        ["fetch", "nope"],
    ):
        with pytest.raises(SystemExit) as info:
            parser.parse_args(argv)
        assert info.value.code == 2, argv
    capsys.readouterr()


def run_cli_with_fetch(*argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m channelstudy ...`` in a fresh interpreter (the fetch command is registered in cli.COMMANDS)."""
    return subprocess.run([sys.executable, "-m", "channelstudy", *argv], capture_output=True, text=True, timeout=60)


def test_cli_main_reports_one_line_errors(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BASE_URL_ENV, server.base)
    result = run_cli_with_fetch("fetch", "eurostat", "no_such", "--out", str(tmp_path), "--timeout", "5")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: Eurostat dataset 'no_such' not found (HTTP 404 from 127.0.0.1); check the code on the Eurostat data browser"
    )
    assert "Traceback" not in result.stderr
    result = run_cli_with_fetch("-q", "fetch", "eurostat", "bad name", "--out", str(tmp_path))
    assert (result.returncode, result.stderr) == (
        1,
        "error: invalid Eurostat dataset code 'bad name': use letters, "
        "digits and underscores only (e.g. isoc_cicce_use)\n",
    )
    assert server.requests == ["/eurostat/api/dissemination/sdmx/2.1/data/no_such?format=TSV&compressed=true"]


def test_cli_main_fetches(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server.routes[EUROSTAT_PATH.format("isoc_main")] = Route(TSV_GZ)
    monkeypatch.setenv(BASE_URL_ENV, server.base)
    result = run_cli_with_fetch("fetch", "eurostat", "isoc_main", "--out", str(tmp_path), "--timeout", "5")
    assert result.returncode == 0, result.stderr
    assert "saved" in result.stderr and "estat_isoc_main.tsv.gz" in result.stderr
    assert (tmp_path / "estat_isoc_main.tsv.gz").read_bytes() == TSV_GZ
