"""Built-in presets of ``sources.yml`` for known publisher formats (data only).

A source that says ``preset: NAME`` starts from :data:`PRESETS` ``[NAME]``: format, sheet,
encoding, the column mapping and per-source ``options`` (ATECO edition, decoders, ...) for that
publisher's file, so that a researcher writes three lines::

    sources:
      - name: startups2017
        preset: infocamere_startups
        path: startup.xls
      - name: anac
        preset: anac_awardees
        path: aggiudicatori.csv
      - name: cloud
        preset: eurostat_tsv
        path: estat_isoc_cicce_use.tsv.gz

Keys the source sets itself override the preset's; ``columns`` and ``options.decoders`` merge
field by field, and ``field: null`` drops a preset mapping (see :mod:`channelstudy.sources.manifest`).
A preset also gives the ``kind`` (a source may repeat it, but not contradict it).

Presets
-------
``infocamere_startups``
    Registro Imprese / InfoCamere list of the *startup innovative* special section, in the
    publisher's export layout (the 2017 legacy ``.xls``: sheet ``STARTUP_<ddmmyyyy>``, header
    cells with line breaks, all cells text).  ``codice fiscale`` (= partita IVA for these
    companies) is mapped to ``tax_code``, the spelled-out ``nat.giuridica`` to ``legal_form``
    (and it wins over a form read from the name), ``pv``/``comune`` to the geography (old sigle
    FO and PS become FC and PU in cleaning), ``ateco 2007`` is read as ATECO **2007** with
    trailing zeros stripped (``6201`` = 62.01.00, ``47911`` = 47.91.10), the class letters of
    employees (A-F), value of production (A-H) and share capital (1-11) are decoded to ranges
    (legend of the file's sheet ``Legenda e note``), and the year of ``data iscrizione al
    Registro Imprese`` becomes ``founded``.  The sheet is found by the pattern ``STARTUP_*``
    (exports are named after their date).
``infocamere_startups_2025``
    The May 2025 register in the shape of the cleaned derivative CSV
    (``fact_startup_registry.csv``: ``Denominazione``, ``Provincia``, ``AtecoCode``, text class
    ranges ...).  A separate preset rather than shape detection, because the two layouts share
    no header and detection would make a misspelt header silently pick the other layout.  It has
    no codice fiscale: firms are identified by name within province.  ``AtecoCode`` is read as
    ATECO **2025**; the province ``NAN`` (Napoli mangled by pandas' NA parsing) is decoded back
    to ``NA``; ``TipoSocieta`` (the author's label, not a legal form) is not mapped: the legal
    form comes from the name.
``anac_awardees``
    ANAC award records joined to grants (``aggiudicatori.csv``): the awardee's ``denominazione``
    and ``codice_fiscale`` (partita IVA, personal codice fiscale of a sole trader, or a foreign
    VAT in any spelling; classified by :func:`channelstudy.clean.vat.classify_series`).  Rows
    without an awardee (funded projects not yet matched to an award) are rejected as
    ``no_awardee``.  The file's ``provincia``/``comune`` are the *buyer's* (the municipality),
    not the awardee's, so they are **not** mapped: the awardee's location is unknown, and its
    records are de-duplicated by name among themselves (``dedupe_by_name``) as well as by
    identifier.
``eurostat_tsv``
    A Eurostat bulk TSV (``estat_<dataset>.tsv.gz``), read by
    :func:`channelstudy.sources.eurostat.read_eurostat_tsv` into ``statistics_<name>.parquet``: one row
    per series and period with the dimension columns, ``time``, ``value`` and ``flag``.

The decoders a preset names live in :mod:`channelstudy.clean.classes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["PRESETS", "preset_table"]


_STARTUP_CLASS_DECODERS: dict[str, str] = {
    "employees_class": "startup_employee_class",
    "production_class": "startup_production_class",
    "capital_class": "startup_capital_class",
    "founded": "date_year",
}

PRESETS: dict[str, dict[str, Any]] = {
    "infocamere_startups": {
        "kind": "directory",
        "sheet": "STARTUP_*",
        "columns": {
            "name": "denominazione",
            "legal_form": "nat.giuridica",
            "tax_code": "codice fiscale",
            "province": "pv",
            "comune": "comune",
            "ateco": "ateco 2007",
            "employees_class": "classe di addetti ultimo anno (2)",
            "production_class": "classe di produzione ultimo anno (1)",
            "capital_class": "classe di capitale (3)",
            "founded": "data iscrizione al Registro Imprese",
            "website": "sito internet",
        },
        "options": {
            "ateco_edition": "2007",
            "ateco_zeros_stripped": True,
            "prefer_declared_legal_form": True,
            "decoders": dict(_STARTUP_CLASS_DECODERS),
        },
    },
    "infocamere_startups_2025": {
        "kind": "directory",
        "format": "csv",
        "encoding": "utf-8",
        "delimiter": ",",
        "columns": {
            "name": "Denominazione",
            "province": "Provincia",
            "comune": "Comune",
            "region": "Regione",
            "ateco": "AtecoCode",
            "employees_class": "addetti",
            "production_class": "valore di produzione",
            "capital_class": "valore di capitale",
            "founded": "Data_Registro_Imprese",
        },
        "options": {
            "ateco_edition": "2025",
            "decoders": {**_STARTUP_CLASS_DECODERS, "province": "province_nan_napoli"},
        },
    },
    "anac_awardees": {
        "kind": "directory",
        "format": "csv",
        "encoding": "utf-8",
        "delimiter": ",",
        "columns": {"name": "denominazione", "tax_code": "codice_fiscale"},
        "options": {"blank_reason": "no_awardee", "dedupe_by_name": True},
    },
    "eurostat_tsv": {"kind": "statistics", "format": "eurostat_tsv"},
}
"""Built-in presets: ``name -> {key: default}`` (keys of :data:`channelstudy.sources.manifest.PRESET_KEYS`).

:data:`channelstudy.sources.manifest.PRESETS` may register more at run time; a name there wins.
"""


def preset_table(presets: Mapping[str, Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """One row per preset: kind, format, sheet and the mapped fields (for documentation).

    >>> preset_table().loc["anac_awardees", "fields"]
    'name, tax_code'
    """
    rows = {
        name: {"kind": p.get("kind", ""), "format": p.get("format", "(from the extension)"),
               "sheet": p.get("sheet", ""), "fields": ", ".join(p.get("columns", {}))}
        for name, p in (presets or PRESETS).items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")
