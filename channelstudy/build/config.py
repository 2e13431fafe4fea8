"""Settings of the build: the priority of source kinds and the cleaning and linkage thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channelstudy.build.link import LinkConfig
from channelstudy.build.outofcore import ENGINES
from channelstudy.clean import geo

KIND_PRIORITY = {"directory": 0, "vendor_roster": 1, "survey": 2, "pipeline": 3}
"""Lower is more authoritative: a firm's name and attributes come from its best record."""


@dataclass(frozen=True)
class BuildConfig:
    """Settings of the build; thresholds of entity resolution live in :class:`LinkConfig`."""

    link: LinkConfig = field(default_factory=LinkConfig)
    mix_tolerance: float = 0.05
    """Accepted distance of a revenue mix's sum from 100 % (or 1) before rescaling; see answers.normalise_mix."""
    geo_threshold: float = geo.FUZZY_THRESHOLD
    """rapidfuzz score (0-100) above which a misspelt comune is corrected."""
    engine: str = "auto"
    """Linker engine: ``memory``, ``duckdb`` (out of core, :mod:`channelstudy.build.outofcore`) or
    ``auto`` (``duckdb`` from :data:`channelstudy.build.outofcore.AUTO_RECORDS` linkable records)."""
    jobs: int = 0
    """Processes that read and clean the sources (:func:`channelstudy.build.prepare.prepare_all`): ``0``
    chooses (two on a machine with two cores from :data:`channelstudy.build.prepare.PARALLEL_BYTES` of
    input, else one); the outputs do not depend on it."""

    def __post_init__(self) -> None:
        if not 0 < self.mix_tolerance < 0.5:
            raise ValueError(f"mix_tolerance must be in (0, 0.5), got {self.mix_tolerance}")
        if not 50 <= self.geo_threshold <= 100:
            raise ValueError(f"geo_threshold must be in [50, 100], got {self.geo_threshold}")
        if not isinstance(self.jobs, int) or self.jobs < 0:
            raise ValueError(f"jobs must be an integer >= 0 (0: choose), got {self.jobs!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {self.engine!r}")
