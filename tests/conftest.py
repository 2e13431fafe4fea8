"""Shared fixtures, and the rule that CI cannot pass by skipping the real-data tests.

Outside CI, a test needing ``../shared/realdata`` (or ``$CHANNELSTUDY_REALDATA``) is skipped with its
reason when the folder or file is absent.  When the environment variable ``CI`` is set (to anything
but ``0``/``false``/``no``), such a skip is reported as a failure instead: a CI job without the real
data must go red, not green with tests silently skipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REALDATA_SKIP = re.compile(r"absent|realdata|real[- ]data|CHANNELSTUDY_REALDATA", re.IGNORECASE)
"""Skip reasons that mean "the real data are missing" (every real-data skip of the suite says ``absent``)."""


def in_ci() -> bool:
    """Whether the tests run in CI (the ``CI`` environment variable set, and not to 0/false/no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In CI, turn a skip for missing real data (fixture, ``skipif`` mark or ``pytest.skip``) into a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if REALDATA_SKIP.search(reason):
            report.outcome = "failed"
            report.longrepr = f"CI is set, so real data may not be skipped: {reason}"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real-data folder (``../shared/realdata`` next to the repository, or $CHANNELSTUDY_REALDATA).

    Tests that use it are skipped when the folder is absent, and fail when ``CI`` is set.
    """
    override = os.environ.get("CHANNELSTUDY_REALDATA")
    folder = (
        Path(override) if override else Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
    )
    if not folder.is_dir():
        message = f"{folder} is absent: real-file tests need it (set CHANNELSTUDY_REALDATA)"
        if in_ci():
            pytest.fail(f"CI is set, so real data may not be skipped: {message}", pytrace=False)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory):
    """The default simulated world, simulated and built once per test session (per xdist worker).

    Returns ``(root, build_result)``: ``root/raw``, ``root/truth`` and ``root/processed``.
    """
    from channelstudy.build import build
    from channelstudy.simulate import simulate

    root = tmp_path_factory.mktemp("default_world_built")
    simulate(root / "raw", truth_out=root / "truth")
    return root, build(root / "raw", root / "processed")


@pytest.fixture(scope="session")
def analyzed_world(built_world, tmp_path_factory: pytest.TempPathFactory):
    """The default world after the analysis stage, in its own copy of the processed folder.

    Returns ``(root, analyzed_dir, analyze_result)``.
    """
    import shutil

    from channelstudy.analysis import analyze

    root, _ = built_world
    analyzed = tmp_path_factory.mktemp("analyzed")
    for path in (root / "processed").iterdir():
        shutil.copy2(path, analyzed / path.name)
    return root, analyzed, analyze(analyzed, tables_dir=analyzed / "tables")


def true_firm_keys(links, truth_records):
    """Map each resolved firm_id to the true firm_key most of its records belong to."""
    joined = links.merge(truth_records, on=["source", "row_number"])
    return joined.groupby("firm_id")["firm_key"].agg(lambda s: s.mode().iloc[0])


@pytest.fixture(scope="session")
def startup_2017(realdata: Path):
    """The 2017 startup register's data sheet read with plain pandas (independent of the code under test).

    python-calamine 0.9 returns this BIFF8 file's strings with a NUL after each character (see
    channelstudy.sources.readers.repair_calamine_utf16); they are stripped here for these latin-1 columns.
    """
    import pandas as pd

    path = realdata / "infocamere_startup_2017" / "startup.xls"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    frame = pd.read_excel(path, sheet_name="STARTUP_01052017", engine="calamine", dtype=str, keep_default_na=False)
    frame.columns = [c.replace("\x00", "") for c in frame.columns]
    return frame.apply(lambda col: col.str.replace("\x00", "", regex=False))
