"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real-data folder (``../shared/realdata`` next to the repository, or $CHANNELSTUDY_REALDATA).

    Tests that use it are skipped when the folder is absent.
    """
    override = os.environ.get("CHANNELSTUDY_REALDATA")
    folder = (
        Path(override) if override else Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
    )
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: real-file tests need it (set CHANNELSTUDY_REALDATA)")
    return folder
