"""Out-of-core linkage through DuckDB: the linker runs part by part, memory bounded by a part.

:func:`link_records_duckdb` gives the same result as :func:`channelstudy.build.link.link_records`
(same firms, ``firm_id`` numbers, methods, scores and provenance) without holding the linker's
working structures for all records at once.  The records go into a DuckDB table (spilled to a
database file on disk); their blocking keys are coded as integers; the records are cut into *parts* that
cannot interact in the linker, and each part is read back from DuckDB, linked in memory, and
its result written back; firms are numbered at the end, in SQL, by their first record.  (The keys
are coded in pandas, stripped exactly as the linker reads them: a column of integer codes at a time.)

Why parts give the same answer: :func:`~channelstudy.build.link.link_records` only ever joins
two records that share a VAT (VAT edges), a block value (name edges, scored within a block), or,
for a record without a block value, the exact name key of a blocked record (or any record's with
``exact_name_key_without_block``).  The connected components of the graph of records and those
keys are therefore independent: the candidate edges of one never touch another, edges are applied
in the order (score, stable record key) which a subset keeps, and every guard looks only at the
clusters of the edge's two ends.  Components are packed into parts of at most ``part_records``
records (a larger component is one part on its own: memory is bounded by the largest component,
which on the simulated worlds is the largest province, e.g. 22 % of the 150,000-firm world).

:data:`AUTO_RECORDS` is the documented size from which ``engine="auto"`` (the build's default)
switches to this path.  On a cluster, the same plan runs with DuckDB replaced by Spark: the key
coding and the component labelling are SQL / GraphFrames jobs, and each part is linked by a
worker (``mapInPandas``) with the unchanged in-memory linker.

Examples
--------
>>> records = pd.DataFrame({
...     "source": ["dir", "dir", "survey", "survey"], "record_id": ["1", "2", "1", "2"],
...     "row_number": [1, 2, 1, 2], "vat": ["01234567890", pd.NA, "01234567890", pd.NA],
...     "name_key": ["ROSSI INFORMATICA", "BIANCHI SISTEMI", "ROSSI INFORMATICA", "BIANCHI SISTEM"],
...     "province": ["MI", "RM", pd.NA, "RM"], "comune": pd.NA})
>>> linked = link_records_duckdb(records, part_records=1)
>>> linked["firm_id"].tolist(), linked["match_method"].tolist()
(['F000001', 'F000002', 'F000001', 'F000002'], ['new', 'new', 'vat', 'name_geo'])
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from channelstudy.build.link import OUTPUT_COLUMNS, LinkConfig, _blank_to_na, link_records

__all__ = ["AUTO_RECORDS", "ENGINES", "link_parts", "link_records_duckdb", "use_duckdb"]

ENGINES: tuple[str, ...] = ("auto", "memory", "duckdb")
"""``memory``: :func:`~channelstudy.build.link.link_records`; ``duckdb``: :func:`link_records_duckdb`;
``auto``: ``duckdb`` from :data:`AUTO_RECORDS` linkable records on, when DuckDB is installed."""

AUTO_RECORDS = 3_000_000
"""Linkable records from which ``engine="auto"`` links through DuckDB (about a 1,000,000-firm world)."""

PART_RECORDS = 250_000
"""Default most records per part (components are packed up to it; a larger one stays whole)."""

_STABLE_KEY = "priority, source, row_number, record_id"


def use_duckdb(engine: str, n_records: int) -> bool:
    """Whether ``engine`` links ``n_records`` records through DuckDB.

    >>> use_duckdb("auto", 1_000), use_duckdb("duckdb", 1_000), use_duckdb("memory", AUTO_RECORDS)
    (False, True, False)
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "auto" and n_records >= AUTO_RECORDS:
        import importlib.util

        return importlib.util.find_spec("duckdb") is not None  # DuckDB is optional (the bench extra)
    return engine == "duckdb"


def link_parts(codes: pd.DataFrame, *, exact_name_key_without_block: bool = False,
               part_records: int = PART_RECORDS) -> np.ndarray:
    """Part number of every record, from integer codes of its keys (``-1`` = missing).

    Parameters
    ----------
    codes
        Columns ``block``, ``vat``, ``name`` (int64 codes, -1 for a missing value), one row per record.
    exact_name_key_without_block
        As :class:`~channelstudy.build.link.LinkConfig`: name keys then join records of any block.
    part_records
        Components are packed, in order of their first record, into parts of at most this many
        records; a larger component is a part on its own.

    >>> codes = pd.DataFrame({"block": [0, 0, 1, 2, -1], "vat": [-1, 5, 5, -1, -1], "name": [1, 2, 3, 4, 4]})
    >>> link_parts(codes, part_records=2).tolist()
    [0, 0, 0, 1, 1]
    """
    n = len(codes)
    block, vat, name = (codes[c].to_numpy(np.int64) for c in ("block", "vat", "name"))
    n_block, n_vat = int(block.max(initial=-1)) + 1, int(vat.max(initial=-1)) + 1
    n_name = int(name.max(initial=-1)) + 1
    if exact_name_key_without_block:
        name_joins = name >= 0
    else:  # a name key links across blocks only through a record without a block value
        unblocked_names = np.zeros(n_name + 1, dtype=bool)
        unblocked_names[name[(block < 0) & (name >= 0)]] = True
        name_joins = (name >= 0) & unblocked_names[name]
    nodes = np.arange(n)
    rows, cols = [], []
    for mask, offset, code in ((block >= 0, n, block), (vat >= 0, n + n_block, vat),
                               (name_joins, n + n_block + n_vat, name)):
        rows.append(nodes[mask])
        cols.append(offset + code[mask])
    size = n + n_block + n_vat + n_name
    row, col = np.concatenate(rows), np.concatenate(cols)
    graph = sparse.csr_array((np.ones(len(row), dtype=np.int8), (row, col)), shape=(size, size))
    _, component = csgraph.connected_components(graph, directed=False)
    component = component[:n]
    # pack components in order of their first record into parts of at most part_records
    first = np.full(component.max(initial=-1) + 1, n, dtype=np.int64)
    np.minimum.at(first, component, nodes)
    sizes = np.bincount(component, minlength=len(first))
    order = np.argsort(first, kind="stable")
    part_of_component = np.empty(len(first), dtype=np.int64)
    part, filled = 0, 0
    for c in order.tolist():
        if sizes[c] == 0:
            continue
        if filled and filled + sizes[c] > part_records:
            part, filled = part + 1, 0
        part_of_component[c] = part
        filled += int(sizes[c])
    return part_of_component[component]


def link_records_duckdb(records: pd.DataFrame, config: LinkConfig | None = None, *,
                        part_records: int | None = None, database: str | Path | None = None,
                        memory_limit: str = "2GB") -> pd.DataFrame:
    """:func:`~channelstudy.build.link.link_records` through DuckDB, one part of the records at a time.

    Parameters
    ----------
    records, config
        As :func:`~channelstudy.build.link.link_records`.
    part_records
        Most records per part (see :func:`link_parts`), default :data:`PART_RECORDS`; small values
        force many parts (tests).
    database
        DuckDB database file (default: a temporary file, removed at the end).
    memory_limit
        DuckDB's own memory limit; beyond it DuckDB spills to disk.

    Returns
    -------
    DataFrame
        Exactly what :func:`~channelstudy.build.link.link_records` returns for the same input.
    """
    import duckdb

    config = LinkConfig() if config is None else config
    part_records = PART_RECORDS if part_records is None else part_records
    with tempfile.TemporaryDirectory(prefix="channelstudy-duckdb-") as tmp:
        path = str(database) if database is not None else str(Path(tmp) / "link.duckdb")
        con = duckdb.connect(path)
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute(f"SET temp_directory = '{tmp}'")
            return records.assign(**_link_through(con, records, config, part_records))
        finally:
            con.close()


def _link_through(con, records: pd.DataFrame, config: LinkConfig, part_records: int) -> dict[str, pd.Series]:
    n = len(records)
    if "priority" not in records.columns:
        records = records.assign(priority=0)
    columns = [c for c in dict.fromkeys(["source", "record_id", "row_number", "priority", "vat", "name_key",
                                         "legal_form", config.block_on]) if c in records.columns]
    frame = records[columns].assign(_pos=np.arange(n, dtype=np.int64)).reset_index(drop=True)
    con.register("incoming", frame)
    con.execute("CREATE TABLE rec AS SELECT * FROM incoming")
    con.unregister("incoming")
    del frame
    # integer codes of the keys, stripped as the linker reads them (any numbering: only equality matters);
    # one column at a time in pandas: DuckDB's dense_rank over the trimmed strings cost 7 of 17 CPU s at 150k
    keys = pd.DataFrame({name: pd.factorize(_blank_to_na(records[column]))[0]
                         for name, column in (("block", config.block_on), ("vat", "vat"), ("name", "name_key"))})
    parts = pd.DataFrame({"_pos": np.arange(n, dtype=np.int64),
                          "_part": link_parts(keys, exact_name_key_without_block=config.exact_name_key_without_block,
                                              part_records=part_records)})
    del keys
    con.register("parts_in", parts)
    con.execute("CREATE TABLE parts AS SELECT * FROM parts_in")
    con.unregister("parts_in")
    n_parts = int(parts["_part"].max()) + 1 if n else 0
    del parts
    con.execute("CREATE TABLE linked (_pos BIGINT, _part BIGINT, local_firm VARCHAR, match_method VARCHAR, "
                "match_score DOUBLE, matched_to VARCHAR)")
    for part in range(n_parts):
        piece = con.execute("SELECT rec.* FROM rec JOIN parts USING (_pos) WHERE _part = ? ORDER BY _pos",
                            [part]).df()
        done = link_records(piece.drop(columns="_pos"), config)
        out = pd.DataFrame({"_pos": piece["_pos"].to_numpy(np.int64), "_part": part,
                            **{c: done[c].astype(object if c != "match_score" else "float64").to_numpy()
                               for c in OUTPUT_COLUMNS}}).rename(columns={"firm_id": "local_firm"})
        con.register("piece_out", out)
        con.execute("INSERT INTO linked SELECT _pos, _part, local_firm, match_method, match_score, matched_to "
                    "FROM piece_out")
        con.unregister("piece_out")
    # firms numbered by their first record in the stable order, as the in-memory linker does
    result = con.execute(
        f"""WITH ranked AS (
                SELECT l.*, row_number() OVER (ORDER BY {', '.join('r.' + c for c in _STABLE_KEY.split(', '))}) AS rk
                FROM linked l JOIN rec r USING (_pos)),
            firsts AS (SELECT _part, local_firm, min(rk) AS first_rk FROM ranked
                       WHERE local_firm IS NOT NULL GROUP BY ALL),
            numbered AS (SELECT _part, local_firm, row_number() OVER (ORDER BY first_rk) AS number FROM firsts)
            SELECT ranked._pos, numbered.number, ranked.match_method, ranked.match_score, ranked.matched_to
            FROM ranked LEFT JOIN numbered USING (_part, local_firm) ORDER BY ranked._pos"""
    ).df()
    number = result["number"]
    width = max(6, len(str(int(number.max())))) if number.notna().any() else 6
    firm_id = np.full(len(number), None, dtype=object)
    valid = number.notna().to_numpy()  # labels as the in-memory linker's: F + zero-padded number, no per-record loop
    firm_id[valid] = np.char.add("F", np.char.zfill(number[valid].to_numpy(np.int64).astype(str), width)).astype(object)
    index = records.index
    return {
        "firm_id": pd.Series(firm_id, index=index, dtype="string"),
        "match_method": pd.Series(result["match_method"].to_numpy(object), index=index, dtype="string"),
        "match_score": pd.Series(result["match_score"].to_numpy("float64"), index=index, dtype="float64"),
        "matched_to": pd.Series(result["matched_to"].to_numpy(object), index=index, dtype="string"),
    }
