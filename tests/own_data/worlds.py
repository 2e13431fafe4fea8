"""Own-data worlds: the simulator's raw folder with sources and columns dropped, as a researcher has it.

A world is a manifest that keeps some sources of a simulated raw folder and, for each, some of
its mapped canonical fields; the raw files are copied unchanged (unmapped headers are ignored by
the build; a symbolic link would resolve outside the manifest's folder).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import yaml

from channelstudy.vocabulary import REVENUE_STREAMS

MIX_FIELDS: tuple[str, ...] = tuple(f"mix_{s}" for s in REVENUE_STREAMS)

MINIMAL: dict[str, tuple[str, ...] | None] = {
    "analyst_a": ("name", "vat", "comune", "employees"),
    "survey_2021": ("name", "vat", "comune", "employees", *MIX_FIELDS),
}
"""One directory and one survey wave: name, VAT, comune, employees and revenue mixes only."""

MINIMAL_DECLARED: dict[str, tuple[str, ...] | None] = {
    "analyst_a": ("name", "vat", "comune", "employees", "partner_type"),
    "survey_2021": ("name", "vat", "comune", "employees", "declared_type", *MIX_FIELDS),
}
"""The minimal world with declared partner types as free text (directory and survey)."""

DIRECTORIES_ONLY: dict[str, tuple[str, ...] | None] = {"analyst_a": None, "analyst_b": None}
"""No survey at all: the two analyst directories, every field."""

SURVEY_ONLY: dict[str, tuple[str, ...] | None] = {"survey_2021": None, "survey_2022": None}
"""Two survey waves with every field, no directory (no frame to weight to)."""


def own_world(raw: Path, out: Path, keep: Mapping[str, tuple[str, ...] | None]) -> Path:
    """Write ``out/sources.yml`` keeping ``keep``'s sources of ``raw`` (``None``: every field); copy the files."""
    manifest = yaml.safe_load((raw / "sources.yml").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    sources = []
    for source in manifest["sources"]:
        if source["name"] not in keep:
            continue
        fields = keep[source["name"]]
        if fields is not None:
            missing = set(fields) - set(source["columns"])
            assert not missing, f"{source['name']} maps no {sorted(missing)}"
            source = {**source, "columns": {k: v for k, v in source["columns"].items() if k in fields}}
        sources.append(source)
        target = out / source["path"]
        if not target.exists():
            shutil.copy2(raw / source["path"], target)
    assert [s["name"] for s in sources] == [n for n in (s["name"] for s in manifest["sources"]) if n in keep]
    (out / "sources.yml").write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False),
                                     encoding="utf-8")
    return out
