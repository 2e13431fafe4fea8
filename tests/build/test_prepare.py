"""Sources prepared in worker processes: the same tables as one process, errors in one process's order."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import yaml

from channelstudy.build import BuildConfig, build
from channelstudy.build import prepare as prepare_module
from channelstudy.build.prepare import prepare_all, worker_count
from channelstudy.errors import ManifestError
from channelstudy.sources.manifest import load_manifest
from tests.build.test_build import DIRECTORY, SURVEY, _small_raw

ACCENTED_ROW = "A6;Società Più;;Forlì;FC;1\r\n"


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_one_process_rebuilds_the_default_world_byte_for_byte(built_world, tmp_path: Path) -> None:
    root, _ = built_world  # built with jobs=0: two processes on a two-core machine
    if prepare_module.usable_cores() >= 2:
        specs = load_manifest(root / "raw", headers=False).sources
        assert worker_count(0, [s for s in specs if s.kind != "statistics"]) == 2
    build(root / "raw", tmp_path / "one", config=BuildConfig(jobs=1))
    assert _digests(tmp_path / "one") == _digests(root / "processed")


def test_results_come_back_in_manifest_order(tmp_path: Path) -> None:
    raw = _small_raw(tmp_path)
    (raw / "survey.csv").write_text(SURVEY * 40, encoding="utf-8")  # the largest file: prepared first
    manifest = load_manifest(raw, headers=False)
    assert prepare_module._largest_first(manifest.sources)[0].name == "wave23"
    prepared = prepare_all(manifest, BuildConfig(jobs=2))
    assert list(prepared) == ["dir", "wave23"]
    one = prepare_all(manifest, BuildConfig(jobs=1))
    for name in one:
        assert prepared[name].frame.equals(one[name].frame) and prepared[name].cleaned.equals(one[name].cleaned)
        assert prepared[name].frame.attrs["rows_in_file"] == one[name].frame.attrs["rows_in_file"]


def _edited(tmp_path: Path, *, header_error: bool, read_error: bool) -> Path:
    raw = _small_raw(tmp_path)
    manifest = yaml.safe_load((raw / "sources.yml").read_text())
    if read_error:  # UTF-8 accents in a file declared cp1252: decodable, so only the read of 'dir' fails
        (raw / "dir.csv").write_bytes((DIRECTORY + ACCENTED_ROW).encode("utf-8"))
    if header_error:
        manifest["sources"][1]["columns"]["vat"] = "Partita IVA"
    (raw / "sources.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return raw


def _error(raw: Path, jobs: int, out: Path) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        build(raw, out, config=BuildConfig(jobs=jobs))
    return caught.value


@pytest.mark.parametrize(("header_error", "read_error", "expected"), [
    (True, True, ("'wave23'", "Partita IVA")),  # a later source's header before an earlier source's read
    (False, True, ("'dir'", "UTF-8")),
    (True, False, ("'wave23'", "Partita IVA")),
])
def test_errors_are_raised_in_the_order_of_one_process(tmp_path: Path, header_error, read_error, expected) -> None:
    raw = _edited(tmp_path, header_error=header_error, read_error=read_error)
    one, two = _error(raw, 1, tmp_path / "one"), _error(raw, 2, tmp_path / "two")
    assert str(two) == str(one)
    assert (two.source, two.key, two.field) == (one.source, one.key, one.field)
    for text in expected:
        assert text in str(two), str(two)
    assert not (tmp_path / "two" / "firms.parquet").exists()


def test_worker_count_follows_the_input_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = load_manifest(_small_raw(tmp_path), headers=False).sources
    stored = sum(s.path.stat().st_size for s in specs)
    assert worker_count(0, specs) == 1  # a few hundred bytes
    assert worker_count(3, specs) == 3
    monkeypatch.setattr(prepare_module, "PARALLEL_BYTES", stored)
    monkeypatch.setattr(prepare_module, "usable_cores", lambda: 8)
    assert worker_count(0, specs) == 2
    monkeypatch.setattr(prepare_module, "usable_cores", lambda: 1)
    assert worker_count(0, specs) == 1
    monkeypatch.setattr(prepare_module, "usable_cores", lambda: 2)
    monkeypatch.setattr(prepare_module, "PARALLEL_BYTES", stored + 1)
    assert worker_count(0, specs) == 1


def test_usable_cores_follow_the_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this system")
    monkeypatch.setattr(prepare_module.os, "sched_getaffinity", lambda pid: {3})
    monkeypatch.setattr(prepare_module.os, "cpu_count", lambda: 16)
    assert prepare_module.usable_cores() == 1


def _worker_dies(spec, config):
    os._exit(9)  # as a worker killed by the kernel for lack of memory


def test_a_dead_worker_stops_the_build_with_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare_module, "_checked_and_prepared", _worker_dies)
    with pytest.raises(RuntimeError, match="--jobs 1"):
        build(_small_raw(tmp_path), tmp_path / "out", config=BuildConfig(jobs=2))
    assert not (tmp_path / "out" / "firms.parquet").exists()


@pytest.mark.parametrize("jobs", [-1, 1.5])
def test_jobs_must_be_a_count(jobs) -> None:
    with pytest.raises(ValueError, match="jobs"):
        BuildConfig(jobs=jobs)
