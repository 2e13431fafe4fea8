"""Speed goals of the cleaners, the readers and the tail fit (seconds on this 2-core machine).

Run: .venv/bin/python benchmarks/bench_cleaners.py
Goals: 100k partite IVA < 3 s; 100k names (20k distinct) < 5 s; 100k comuni < 5 s;
20k-row CSV and XLSX read < 2 s each; compare_tails on 15k values < 2 s.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from channelstudy.analysis.tails import compare_tails
from channelstudy.clean import geo, names, vat
from channelstudy.reference.comuni import load_comuni
from channelstudy.sources.readers import read_source
from channelstudy.sources.specs import SourceSpec


def timed(label: str, goal: float, fn: Callable[[], object]) -> None:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<45} {elapsed:6.2f} s  (goal < {goal:g} s) {'OK' if elapsed < goal else 'SLOW'}")


def main() -> None:
    rng = np.random.default_rng(0)
    vats = pd.Series([f"{x:011d}" for x in rng.integers(0, 10**11, 100_000)])
    timed("vat.classify_series, 100k distinct", 3, lambda: vat.classify_series(vats))
    company = pd.Series([f"AZIENDA {i} S.R.L." for i in range(20_000)] * 5)
    timed("names.clean_names, 100k (20k distinct)", 5, lambda: names.clean_names(company))
    comuni = pd.concat([load_comuni().sample(3000, random_state=1)["comune"].str.upper()] * 34, ignore_index=True)
    timed("geo.clean_geo, 100k without province", 5, lambda: geo.clean_geo(comuni))
    x = (1 - rng.random(15_000)) ** (-1 / 1.2) * 10
    timed("fragmentation.compare_tails, 15k", 2, lambda: compare_tails(x))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        header = ["Codice", "Ragione sociale", "Partita IVA", "Provincia", "Fatturato"]
        rows = [[f"C{i}", f"Ditta {i} S.r.l.", f"{i:011d}", "NA", f"{i * 1.5:.2f}".replace(".", ",")]
                for i in range(20_000)]
        with (folder / "big.csv").open("w", encoding="cp1252", newline="") as handle:
            csv.writer(handle, delimiter=";").writerows([header, *rows])
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Data")
        for r in [header, *rows]:
            sheet.append(r)
        book.save(folder / "big.xlsx")
        columns = {"record_id": "Codice", "name": "Ragione sociale", "vat": "Partita IVA", "province": "Provincia",
                   "revenue_eur": "Fatturato"}
        from channelstudy.sources.specs import ColumnSpec

        cols = tuple(ColumnSpec(field, header_) for field, header_ in columns.items())
        csv_spec = SourceSpec(name="big_csv", kind="directory", path=folder / "big.csv", format="csv",
                              encoding="cp1252", delimiter=";", decimal=",", columns=cols)
        xlsx_spec = SourceSpec(name="big_xlsx", kind="directory", path=folder / "big.xlsx", format="xlsx", columns=cols)
        timed("readers.read_source, 20k-row CSV", 2, lambda: read_source(csv_spec))
        timed("readers.read_source, 20k-row XLSX", 2, lambda: read_source(xlsx_spec))


if __name__ == "__main__":
    main()
