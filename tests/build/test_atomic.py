"""A build killed midway (SIGKILL while writing) leaves the previous outputs intact; a rerun is idempotent."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import channelstudy
from channelstudy.build import build
from channelstudy.catalog import remove_stale_temporaries, write_table
from channelstudy.simulate import simulate

# A build whose writer stops half-way through one table's temporary file and waits to be killed.
SLOW_BUILD = """
import sys, time
from pathlib import Path
import channelstudy.catalog as catalog
from channelstudy.build import build

raw, out, ready, victim = sys.argv[1:5]
original = catalog.Table.write_file

def half_written_then_wait(self, value, target):
    original(self, value, target)
    if self.name == victim:
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2])
        Path(ready).write_text(str(target))
        time.sleep(600)

catalog.Table.write_file = half_written_then_wait
build(raw, out)
"""


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every visible file of ``folder`` (temporary files are hidden)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


def readable(folder: Path) -> None:
    for path in folder.iterdir():
        if path.suffix == ".parquet" and not path.name.startswith("."):
            pd.read_parquet(path)
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def two_worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("atomic")
    for seed in (1, 2):
        simulate(root / f"raw{seed}", seed=seed, n_firms=500, waves=(2024, 2025), truth_out=root / f"truth{seed}")
    return root / "raw1", root / "raw2"


@pytest.mark.slow
def test_sigkill_while_writing_leaves_previous_outputs_and_rerun_is_idempotent(
        two_worlds: tuple[Path, Path], tmp_path: Path) -> None:
    old_raw, new_raw = two_worlds
    out = tmp_path / "processed"
    build(old_raw, out)
    before = hashes(out)

    ready = tmp_path / "ready"
    victim = "survey"  # written after firms and links: with per-file renames those two would be new already
    process = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, str(new_raw), str(out), str(ready), victim])
    try:
        deadline = time.monotonic() + 600
        while not ready.exists():
            assert process.poll() is None, "the slow build ended before writing"
            assert time.monotonic() < deadline, "the slow build never reached the write"
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL

    half = Path(ready.read_text())
    assert half.exists() and half.name.startswith(".survey.parquet.")  # the kill landed mid-write
    assert hashes(out) == before  # every previous output intact, none replaced
    readable(out)

    build(new_raw, out)  # the rerun finishes the job and removes the killed run's temporary files
    assert not list(out.glob(".*.tmp"))
    first = hashes(out)
    assert first != before
    build(new_raw, out)
    assert hashes(out) == first  # idempotent
    fresh = tmp_path / "fresh"
    build(new_raw, fresh)
    assert hashes(fresh) == first


def test_atomic_write_of_one_table_leaves_no_temporary_on_failure(tmp_path: Path) -> None:
    write_table("weights_report", pd.DataFrame({"wave": [2024]}), tmp_path)
    before = hashes(tmp_path)

    class Exploding(pd.DataFrame):
        def to_csv(self, *args, **kwargs):  # type: ignore[override]
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_table("weights_report", Exploding({"wave": [2025]}), tmp_path)
    assert hashes(tmp_path) == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_stale_temporaries_of_dead_writers_are_removed_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / ".firms.parquet.999999999.x1.tmp"
    live = tmp_path / f".links.parquet.{os.getpid()}.x2.tmp"
    other = tmp_path / ".notes.tmp"
    for path in (dead, live, other):
        path.write_bytes(b"partial")
    assert remove_stale_temporaries(tmp_path) == [dead]
    assert live.exists() and other.exists()


def test_every_table_of_build_and_analyze_is_written_through_the_catalog() -> None:
    """The stages spell no file name: every output is a catalog table (written atomically)."""
    root = Path(channelstudy.__file__).parent
    writers = ("to_parquet(", "to_csv(", "to_excel(", "write_text(", "write_bytes(", "json.dump(")
    # these write data/external (derived reference tables: Eurostat SBS, ISTAT margins), not analyze outputs
    not_stage_outputs = {"external.py", "margins.py"}
    for stage in ("build", "analysis", "hypotheses"):
        for path in sorted((root / stage).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            offending = [w for w in writers if w in text]
            if path.name in not_stage_outputs:
                continue
            if path.name == "catalogue.py":  # write_catalogue: to_csv inside atomic_path
                assert re.search(r"with atomic_path\(path\) as tmp:\n\s+\S*to_csv\(tmp", text)
                continue
            assert not offending, f"{path.relative_to(root)} writes files itself ({offending}): use the catalog"
