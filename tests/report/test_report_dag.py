"""`make report`'s notebook groups: every notebook rendered once, and an early group reads nothing it may not wait for.

The Makefile renders notebooks in three groups: one that reads nothing of the simulated world, one
that waits for the build, and the rest, which wait for analyze.  A notebook of an early group that
starts reading an analyze output would read a stale or missing file in `make -j2`.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from channelstudy.catalog import TABLES

ROOT = Path(__file__).resolve().parents[2]


def _groups() -> list[list[str]]:
    dry = subprocess.run(["make", "-n", "-B", "--no-print-directory", "notebooks"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    renders = [line for line in dry.splitlines() if "channelstudy.report.render" in line]
    return [re.findall(r"notebooks/([\w-]+)\.ipynb", line) for line in renders]


def _code(name: str) -> str:
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _reads(code: str, stages: set[str]) -> list[str]:
    """Catalogue tables of ``stages`` the code names (read_table("segments") or "segments.parquet"), and loaders."""
    tables = {n: t for n, t in TABLES.items() if t.stage in stages}
    found = [n for n, t in sorted(tables.items())
             if re.search(rf"read_table\(\s*[\"']{re.escape(n)}[\"']", code) or t.filename in code]
    loaders = ["load_study"] if "analyze" in stages else ["load_study", "processed_dir(", "truth_dir("]
    return found + [name for name in loaders if name in code]


def test_every_notebook_is_rendered_by_one_group() -> None:
    groups = _groups()
    rendered = [name for group in groups for name in group]
    assert sorted(rendered) == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert len(set(rendered)) == len(rendered)
    assert len(groups) == 3


@pytest.mark.parametrize("group", [0, 1], ids=["reads-nothing-of-the-world", "waits-for-the-build"])
def test_early_groups_read_nothing_they_do_not_wait_for(group: int) -> None:
    waits_for_build = [g for g in _groups() if "01-data-quality" in g][0]
    fixed = [g for g in _groups() if "08-real-registers" in g][0]
    for name in (fixed, waits_for_build)[group]:
        stages = {"analyze", "build"} if group == 0 else {"analyze"}
        assert _reads(_code(name), stages) == [], name
