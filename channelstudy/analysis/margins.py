"""Real population margins: ISTAT enterprise counts and persons employed by ATECO 2025 class.

The study's survey speaks for *enterprises in the ICT channel's ATECO classes*, and the only
official counts of that population are ISTAT's structural business statistics (SBS, *Risultati
economici delle imprese*, 2023): enterprises (indicator 11110) and persons employed (16110) by
ATECO 2007 class.  :func:`derive_population_margins` turns the real file
``realdata/istat_eurostat_sbs_crystal/IT.json`` into a small table by ATECO **2025** class (the
classes of :data:`CLASS_MAP`, aggregated over the 2007 classes that ISTAT's correspondence maps to
each), committed as ``data/external/population_margins.csv`` (documented beside it) and read back
with :func:`load_population_margins`; a test re-derives it whenever the real folder is present.

What the margins cover, and what they cannot
--------------------------------------------
* They count **all enterprises** of a class, not the channel partners among them: J62 + G46.5 +
  G47.4 hold 78,671 enterprises against about 12,000 firms in the analysts' directories.  Weights
  raked to them make respondents speak for the enterprises of those classes; the directory frame
  (firms listed by a partner programme or an analyst) is a subset whose coverage of each class is
  unknown.  A share estimated with these weights is a share *of the classes' enterprises*.
* They have **no partner type**: partner types are this study's classification, not an official
  category, so type is a *domain* (estimated, with its own uncertainty) and never a margin.
* They have **no size-class counts**: the file gives persons employed per class (used as a
  quantitative margin, a total to match) and only turnover shares of micro and large firms.
* 70.20 (management consultancy, 92,056 enterprises) and 63.10 (data processing and hosting,
  34,532) are dominated by firms outside the ICT channel; they are kept with ``scope="adjacent"``
  and should be used as margins only when the frame covers them.
* Reference year 2023, ATECO 2007 classes mapped to 2025 by ISTAT's correspondence (47.40 takes
  47.41-47.43; 62.20 takes 62.02 and 62.03; 46.50 takes 46.51 and 46.52; 63.10 takes 63.11 only,
  web portals 63.12 moving elsewhere).

For simulated worlds, :func:`class_margins` counts the same two margins on the world's true
population, which is what ISTAT would publish if that world were real.

Examples
--------
>>> table = pd.DataFrame({"ateco_2025": ["62.10", "46.50"], "enterprises": [100, 50],
...                       "persons_employed": [600, 300], "scope": ["core", "core"]})
>>> sorted(margins_from_table(table))
['ateco_class', 'employees|ateco_class']
>>> margins_from_table(table)["ateco_class"].to_dict()
{'46.50': 50.0, '62.10': 100.0}
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from channelstudy.catalog.paths import external_dir

SBS_FILE = Path("istat_eurostat_sbs_crystal") / "IT.json"
"""The ISTAT SBS file under the real-data folder."""

MARGINS_FILE = "population_margins.csv"
"""The committed table under ``data/external``."""

CLASS_MAP: dict[str, tuple[str, ...]] = {
    "26.20": ("2620",),
    "26.30": ("2630",),
    "46.50": ("4651", "4652"),
    "47.40": ("4741", "4742", "4743"),
    "58.29": ("5829",),
    "62.10": ("6201",),
    "62.20": ("6202", "6203"),
    "62.90": ("6209",),
    "63.10": ("6311",),
    "70.20": ("7022",),
}
"""ATECO 2025 class -> the ATECO 2007 classes (ISTAT codes without dots) it aggregates."""

CORE_CLASSES: frozenset[str] = frozenset({"46.50", "47.40", "62.10", "62.20", "62.90"})
"""J62 + G46.5 + G47.4: the channel's core classes (78,671 enterprises in 2023)."""

COLUMNS: dict[str, str] = {
    "ateco_2025": "str",
    "ateco_2007": "str",
    "enterprises": "Int64",
    "persons_employed": "Int64",
    "persons_per_enterprise": "Float64",
    "scope": "str",
    "source": "str",
    "reference_year": "Int64",
}
"""Columns of the margins table and their dtypes."""

CLASS_DIMENSION = "ateco_class"
"""Name of the categorical margin (and of the sample column it calibrates)."""

EMPLOYEES_TOTAL = "employees|ateco_class"
"""Name of the quantitative margin: total persons employed per ATECO class."""


def derive_population_margins(realdata: Path) -> pd.DataFrame:
    """The margins table (:data:`COLUMNS`) derived from ISTAT's SBS file under ``realdata``.

    Parameters
    ----------
    realdata : Path
        The real-data folder (holding ``istat_eurostat_sbs_crystal/IT.json``) or the SBS folder.

    Returns
    -------
    DataFrame
        One row per ATECO 2025 class of :data:`CLASS_MAP`, sorted by class.

    Examples
    --------
    >>> derive_population_margins(realdata_dir())  # doctest: +SKIP
    """
    realdata = Path(realdata)
    path = realdata / SBS_FILE if (realdata / SBS_FILE).is_file() else realdata / SBS_FILE.name
    with path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    if document["meta"]["latest_year"] != 2023:
        raise ValueError(f"{path}: expected ISTAT SBS 2023, got {document['meta']['latest_year']}")
    sectors = {s["code"]: s for s in document["sectors"] if s["level"] == "class"}
    rows = []
    for cls, codes in sorted(CLASS_MAP.items()):
        missing = [c for c in codes if c not in sectors]
        if missing:
            raise ValueError(f"{path}: no ATECO 2007 class {missing}")
        firms = sum(int(sectors[c]["raw"]["imprese"]) for c in codes)
        persons = sum(int(sectors[c]["raw"]["occupati"]) for c in codes)
        rows.append({
            "ateco_2025": cls,
            "ateco_2007": "+".join(f"{c[:2]}.{c[2:]}" for c in codes),
            "enterprises": firms,
            "persons_employed": persons,
            "persons_per_enterprise": round(persons / firms, 6),
            "scope": "core" if cls in CORE_CLASSES else "adjacent",
            "source": "ISTAT SBS 2023 (dataflow 161_267, indicators 11110 and 16110)",
            "reference_year": 2023,
        })
    return pd.DataFrame(rows).astype(COLUMNS)


def write_population_margins(table: pd.DataFrame, path: Path | None = None) -> Path:
    """Write the margins table as a plain UTF-8 CSV; default ``data/external/population_margins.csv``."""
    target = Path(path) if path is not None else external_dir() / MARGINS_FILE
    table[list(COLUMNS)].astype(COLUMNS).to_csv(target, index=False, lineterminator="\n", encoding="utf-8")
    return target


def load_population_margins(path: Path | None = None) -> pd.DataFrame:
    """Read the committed margins table with the dtypes of :data:`COLUMNS`."""
    source = Path(path) if path is not None else external_dir() / MARGINS_FILE
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    return table.replace({"": pd.NA}).astype(COLUMNS)


def margins_from_table(table: pd.DataFrame, *, scope: tuple[str, ...] = ("core",),
                       employees: bool = True) -> dict[str, pd.Series]:
    """Calibration targets from a margins table: enterprises (and persons employed) by class.

    Parameters
    ----------
    table : DataFrame
        With ``ateco_2025``, ``enterprises``, ``persons_employed`` and ``scope``.
    scope : tuple of str
        Scopes of the classes kept (``"core"``, ``"adjacent"``).
    employees : bool
        Add the quantitative margin :data:`EMPLOYEES_TOTAL` (persons employed per class).

    Returns
    -------
    dict of str to Series
        ``{"ateco_class": enterprises}`` and, if asked, ``{"employees|ateco_class": persons}``,
        both indexed by class (name ``ateco_class``), as float.
    """
    kept = table[table["scope"].isin(scope)].sort_values("ateco_2025")
    index = pd.Index(kept["ateco_2025"].astype(str).to_numpy(), name=CLASS_DIMENSION)
    out = {CLASS_DIMENSION: pd.Series(kept["enterprises"].astype(float).to_numpy(), index=index,
                                      name=CLASS_DIMENSION)}
    if employees:
        out[EMPLOYEES_TOTAL] = pd.Series(kept["persons_employed"].astype(float).to_numpy(), index=index,
                                         name=EMPLOYEES_TOTAL)
    return out


def class_margins(population: pd.DataFrame, *, classes: frozenset[str] = CORE_CLASSES,
                  employees: bool = True) -> dict[str, pd.Series]:
    """The margins of :func:`margins_from_table` counted on a (simulated) true population.

    Parameters
    ----------
    population : DataFrame
        One row per enterprise with ``ateco_2025`` (class, ``"62.10"``) and ``employees``.
    classes : frozenset of str
        Classes kept.

    Examples
    --------
    >>> pop = pd.DataFrame({"ateco_2025": ["62.10", "62.10", "46.50"], "employees": [2, 4, 9]})
    >>> class_margins(pop)["employees|ateco_class"].to_dict()
    {'46.50': 9.0, '62.10': 6.0}
    """
    cls = population["ateco_2025"].astype(str).str[:5]
    kept = population.assign(_cls=cls)[cls.isin(classes)]
    grouped = kept.groupby("_cls", sort=True)
    table = pd.DataFrame({"ateco_2025": list(grouped.groups), "enterprises": grouped.size().to_numpy(),
                          "persons_employed": grouped["employees"].sum().to_numpy(), "scope": "core"})
    return margins_from_table(table, employees=employees)


SIMULATED_PREFIX = "SIMULATED"
"""How the ``source`` column of a simulated world's margins begins (never real ISTAT counts)."""

REAL_FALLBACK = "data/external"


def is_simulated(table: pd.DataFrame) -> bool:
    """Whether a margins table was published by the simulator (its ``source`` says so).

    Examples
    --------
    >>> is_simulated(pd.DataFrame({"source": ["SIMULATED world (seed 1): true population counts"]}))
    True
    """
    return bool(table["source"].astype(str).str.startswith(SIMULATED_PREFIX).any())


def _simulated_raw(folder: Path) -> bool:
    """Whether ``folder``'s ``sources.yml`` was written by ``channelstudy simulate`` (its header says so)."""
    manifest = folder / "sources.yml"
    if not manifest.is_file():
        return False
    with manifest.open(encoding="utf-8") as handle:
        return "SIMULATED" in handle.readline()


def resolve_margins(source: str | Path | None) -> tuple[pd.DataFrame | None, str]:
    """The population margins to calibrate to, and where they come from (one sentence for the log).

    Parameters
    ----------
    source : path or None
        A margins file, or the raw folder the data were built from.  In a raw folder,
        ``population_margins.csv`` (a simulated world's own, or a researcher's) is used;
        without one, a simulated world gets **no** margins (its weights fall back to the
        directory frame: real ISTAT counts are never imposed on a simulated world) and a real
        folder falls back to the committed ISTAT table in ``data/external``.  ``None``: no
        margins (not told where the data came from).

    Returns
    -------
    table : DataFrame or None
        A table with :data:`COLUMNS`, or ``None``.
    origin : str
        Where the table comes from, or why there is none.

    Examples
    --------
    >>> resolve_margins(None)
    (None, 'no raw folder or margins file given')
    """
    if source is None:
        return None, "no raw folder or margins file given"
    source = Path(source)
    if source.is_file():
        table = load_population_margins(source)
        kind = "simulated world's own margins" if is_simulated(table) else "margins file"
        return table, f"{kind} {source}"
    if (source / MARGINS_FILE).is_file():
        return resolve_margins(source / MARGINS_FILE)
    if _simulated_raw(source):
        return None, (f"{source} holds a simulated world without its own {MARGINS_FILE}; real ISTAT counts are "
                      "never used for a simulated world")
    real = external_dir() / MARGINS_FILE
    if not real.is_file():
        return None, f"no {MARGINS_FILE} in {source} nor in {external_dir()}"
    return load_population_margins(real), (f"no {MARGINS_FILE} in {source}: using the real ISTAT SBS 2023 margins "
                                           f"of {REAL_FALLBACK}/{MARGINS_FILE}")
