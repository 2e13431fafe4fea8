"""nbval: notebook 08 needs the real public files; where they are absent it is skipped, with the reason.

(The notebook itself also stops cleanly without them: one cell says so.)
"""

import pytest

from channelstudy.catalog.paths import realdata_dir

REAL_DATA_NOTEBOOKS = {"08-real-registers.ipynb"}


def pytest_collection_modifyitems(config, items):
    if realdata_dir() is None:
        skip = pytest.mark.skip(reason="real-data folder absent (set CHANNELSTUDY_REALDATA to ../shared/realdata)")
        for item in items:
            if item.path.name in REAL_DATA_NOTEBOOKS:
                item.add_marker(skip)
