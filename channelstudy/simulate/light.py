"""A light simulator mode for register-scale benchmarks: directories and rosters only.

:func:`simulate_light` draws the same true firms and vendor relations as :func:`channelstudy.simulate.simulate`
(same seed, same generator order up to the relations) but renders only the two analyst
directories and the vendors' rosters, all as CSV files, and writes only the truth the linkage
needs (``records.parquet``, ``firms.parquet``).  No survey population, respondents, deals or
customers are drawn, no spreadsheet or JSON document is written, so a 1,500,000-firm world takes
a fraction of the full simulator's time and memory.  The raw rows differ from the full mode's
(the rendering stream is consumed by fewer sources), and the English directory and the rosters
are CSV instead of XLSX and JSON: a benchmark of the build's scale, not of its file readers.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     result = simulate_light(Path(tmp) / "raw", n_firms=500, seed=3, truth_out=Path(tmp) / "truth")
...     sorted(result.rows_by_source) == ["analyst_a", "analyst_b", "vendor_rosters"]
True
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from channelstudy.simulate.config import WorldConfig
from channelstudy.simulate.export import (
    RawSource,
    _labels,
    records_truth,
    render_analyst_a,
    render_analyst_b,
    roster_members,
    write_manifest,
    write_source,
)
from channelstudy.simulate.world import World, first_draws

__all__ = ["simulate_light"]

ROSTER_COLUMNS = {"record_id": "partner_id", "vendor": "vendor", "name": "partner_name", "vat": "partner_vat",
                  "comune": "partner_city", "province": "partner_province", "tier": "tier", "role": "role",
                  "competencies": "competencies", "n_certified": "certified_people",
                  "lead_registration": "lead_registration", "mdf": "mdf", "cosell": "cosell", "since": "member_since"}


def light_world(cfg: WorldConfig, seed: int) -> World:
    """Firms and vendor relations only (the first draws of :func:`channelstudy.simulate.world.build_world`)."""
    cfg, _, vendors, firms, relations, firm_attrs = first_draws(cfg, seed)
    firms = firms.assign(is_joint_venture=False).merge(firm_attrs, on="firm_key", how="left")
    empty = pd.DataFrame()
    return World(firms=firms, relations=relations, responses=empty, deals=empty, customers=empty, vendors=vendors,
                 config=cfg)


def render_rosters_csv(rng: np.random.Generator, world: World) -> RawSource:
    """The vendors' rosters flattened into one CSV (one row per partner and programme)."""
    rel, f, ident = roster_members(rng, world)
    vendor = rel["vendor"].astype(str)
    table = pd.DataFrame({
        "partner_id": (vendor.str[:3].str.upper() + "-" + pd.Series(np.arange(1, len(rel) + 1)).astype(str)
                       .str.zfill(5)).to_numpy(),
        "vendor": vendor.to_numpy(),
        "partner_name": ident["name"],
        "partner_vat": ident["vat"],
        "partner_city": ident["comune"],
        "partner_province": ident["province"],
        "tier": np.where(rng.random(len(rel)) < 0.5, rel["tier"].str.title(), rel["tier"].str.upper()),
        "role": _labels(rng, f["partner_type"].to_numpy(), "en"),
        "competencies": rel["competencies"].to_numpy(),
        "certified_people": rel["n_certified"].astype(int).to_numpy(),
        "lead_registration": rel["lead_registration"].astype(bool).to_numpy(),
        "mdf": rel["mdf"].astype(bool).to_numpy(),
        "cosell": rel["cosell"].astype(bool).to_numpy(),
        "member_since": pd.to_datetime(rel["since"]).dt.strftime("%Y-%m-%d").to_numpy(),
    })
    manifest = {"name": "vendor_rosters", "kind": "vendor_roster", "path": "vendor_rosters.csv", "format": "csv",
                "columns": dict(ROSTER_COLUMNS)}
    return RawSource("vendor_rosters", "vendor_roster", "vendor_rosters.csv", table, f["firm_key"].to_numpy(),
                     manifest, record_ids=table["partner_id"].to_numpy(), extras={"vat_kind": ident["vat_kind"]})


def _as_csv(source: RawSource) -> RawSource:
    """The English directory written as a UTF-8 CSV (the same columns, no sheet)."""
    manifest = {k: v for k, v in source.manifest.items() if k != "sheet"}
    manifest.update(path="analyst_b.csv", format="csv")
    return replace(source, path="analyst_b.csv", manifest=manifest)


def simulate_light(out: str | Path, *, seed: int, n_firms: int, truth_out: str | Path) -> object:
    """Write the directories and rosters of a simulated world (CSV) and their record truth.

    Parameters
    ----------
    out : path
        Raw folder (created), with ``sources.yml``.
    seed : int
        Seed; the true firms are those of the full simulator with the same seed and size.
    n_firms : int
        Number of firms.
    truth_out : path
        Truth folder (``records.parquet``, ``firms.parquet``), not inside ``out``.

    Returns
    -------
    SimulationResult
    """
    from channelstudy.simulate import SimulationResult

    out, truth_dir = Path(out), Path(truth_out)
    if truth_dir.resolve().is_relative_to(out.resolve()):
        raise ValueError(f"truth folder {truth_dir} must not be inside the raw folder {out}")
    out.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    world = light_world(replace(WorldConfig(), n_firms=n_firms), seed)
    rng = np.random.default_rng([seed, 1])
    sources = [render_analyst_a(rng, world), _as_csv(render_analyst_b(rng, world)), render_rosters_csv(rng, world)]
    for source in sources:
        write_source(source, out)
    write_manifest(sources, out, seed)
    records_truth(sources).to_parquet(truth_dir / "records.parquet", index=False)
    world.firms.to_parquet(truth_dir / "firms.parquet", index=False)
    return SimulationResult(out, truth_dir, seed, len(world.firms), {s.name: len(s.table) for s in sources})
