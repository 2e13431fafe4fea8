"""Where things live in a project checkout (cookiecutter-data-science layout).

``project_root()`` walks up from the current directory to the folder holding ``pyproject.toml``
and ``data/``, so notebooks (run from ``notebooks/``) and scripts (run from the root) agree.
Set ``CHANNELSTUDY_ROOT`` to point elsewhere. A report rendered on other data (``make report RAW=...``)
points single folders elsewhere with ``CHANNELSTUDY_RAW``, ``CHANNELSTUDY_PROCESSED``, ``CHANNELSTUDY_TABLES``,
``CHANNELSTUDY_FIGURES`` and ``CHANNELSTUDY_TRUTH`` (notebooks set them from their papermill parameters
through ``channelstudy.report.notebook.use_folders``).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root(start: Path | None = None) -> Path:
    """The project folder: ``$CHANNELSTUDY_ROOT`` or the nearest parent with pyproject.toml and data/."""
    env = os.environ.get("CHANNELSTUDY_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "data").is_dir():
            return folder
    raise FileNotFoundError(f"no channelstudy project (pyproject.toml + data/) above {here}; set CHANNELSTUDY_ROOT")


def _override(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).resolve() if value else default


def raw_dir() -> Path:
    return _override("CHANNELSTUDY_RAW", project_root() / "data" / "raw")


def interim_dir() -> Path:
    return project_root() / "data" / "interim"


def truth_dir() -> Path:
    return _override("CHANNELSTUDY_TRUTH", interim_dir() / "truth")


def processed_dir() -> Path:
    return _override("CHANNELSTUDY_PROCESSED", project_root() / "data" / "processed")


def external_dir() -> Path:
    return project_root() / "data" / "external"


def figures_dir() -> Path:
    return _override("CHANNELSTUDY_FIGURES", project_root() / "reports" / "figures")


def tables_dir() -> Path:
    return _override("CHANNELSTUDY_TABLES", project_root() / "reports" / "tables")


def realdata_dir() -> Path | None:
    """``$CHANNELSTUDY_REALDATA`` or ``../shared/realdata`` beside the project, if present."""
    env = os.environ.get("CHANNELSTUDY_REALDATA")
    candidate = Path(env) if env else project_root().parent / "shared" / "realdata"
    return candidate.resolve() if candidate.is_dir() else None
