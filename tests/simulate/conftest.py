from __future__ import annotations

from pathlib import Path

import pytest

from channelstudy.simulate import SimulationResult, simulate

SMALL_FIRMS = 2_000


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    """A small simulated world (2,000 firms, all five waves), written once per session."""
    root: Path = tmp_path_factory.mktemp("world")
    return simulate(root / "raw", seed=7, n_firms=SMALL_FIRMS, truth_out=root / "truth")


@pytest.fixture(scope="session")
def default_world(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    """The default world (15,000 firms, default seed), written once per session."""
    root: Path = tmp_path_factory.mktemp("default_world")
    return simulate(root / "raw", truth_out=root / "truth")
