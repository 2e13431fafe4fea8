"""Same seed, same bytes: the default world's raw files, truth, processed tables, report tables and
figures hash to the values recorded in ``tests/data/golden_outputs.json``.

This file sits beside the notebooks so that pytest runs it after them (``make test``): by then every
figure has been regenerated.  A refactor must keep every hash; a change that is *meant* to change
outputs updates the record with ``make golden`` and says why in its commit message.  Skipped when
the data in ``data/`` is not the default world (another seed, or a researcher's own data).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "golden_outputs.json"
PATTERNS = ("data/raw/*", "data/interim/truth/*", "data/processed/*", "reports/tables/hypotheses.csv",
            "reports/tables/weights_report.csv", "reports/figures/*.png", "reports/figures/*.svg")
DEFAULT_WORLD = {"seed": 20240611, "n_firms": 15000}


def _files() -> list[Path]:
    found = {p for pattern in PATTERNS for p in ROOT.glob(pattern) if p.is_file() and p.name not in
             ("README.md", ".gitkeep")}
    return sorted(found)


def current_hashes() -> dict[str, str]:
    return {p.relative_to(ROOT).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in _files()}


def _is_default_world() -> bool:
    effects = ROOT / "data" / "interim" / "truth" / "effects.json"
    if not effects.is_file():
        return False
    meta = json.loads(effects.read_text(encoding="utf-8"))
    return meta.get("seed") == DEFAULT_WORLD["seed"] and meta.get("config", {}).get("n_firms") == DEFAULT_WORLD["n_firms"]


def differences(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """Files missing, added or changed (figures only compared when both sides have them)."""
    out = []
    for path in sorted(set(recorded) | set(current)):
        if path.startswith("reports/figures/") and (path not in recorded or path not in current):
            continue
        if recorded.get(path) != current.get(path):
            out.append(f"{path}: recorded {recorded.get(path, 'absent')[:12]}, now {current.get(path, 'absent')[:12]}")
    return out


def test_differences_are_found():
    assert differences({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == [
        "b: recorded 2, now 3", "c: recorded absent, now 4"]


def test_default_world_outputs_are_byte_identical():
    if not _is_default_world():
        pytest.skip("data/ does not hold the default simulated world (seed 20240611, 15,000 firms)")
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    assert differences(recorded, current_hashes()) == []


if __name__ == "__main__":  # make golden: record the current outputs
    if "--update" in sys.argv:
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        RECORD.write_text(json.dumps(current_hashes(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"recorded {len(current_hashes())} hashes in {RECORD.relative_to(ROOT)}")
