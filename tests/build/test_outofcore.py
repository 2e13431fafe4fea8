"""The DuckDB engine links part by part and gives exactly the in-memory linker's answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelstudy.build import BuildConfig, build, outofcore
from channelstudy.build.link import LinkConfig, link_records
from channelstudy.build.outofcore import link_parts, link_records_duckdb, use_duckdb
from channelstudy.simulate.light import simulate_light

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("light")
    simulate_light(root / "raw", seed=11, n_firms=700, truth_out=root / "truth")
    return root


@pytest.fixture(scope="module")
def link_input(small_world, tmp_path_factory):
    """The linker input of the small world's build (captured from the memory engine)."""
    import channelstudy.build.identity as identity

    captured = {}

    def capture(records, config=None):
        captured["records"] = records.copy()
        return link_records(records, config)

    original = identity.link_records
    identity.link_records = capture
    try:
        build(small_world / "raw", tmp_path_factory.mktemp("memory"), config=BuildConfig(engine="memory"))
    finally:
        identity.link_records = original
    records = captured["records"]
    # a few records without a block value: they join through the exact-name rule, across parts
    blank = records.index[::37]
    records.loc[blank, "province"] = pd.NA
    return records


@pytest.mark.parametrize("part_records", [1, 60, 10_000])
def test_forced_parts_give_the_in_memory_links(link_input, part_records):
    expected = link_records(link_input)
    got = link_records_duckdb(link_input, part_records=part_records)
    pd.testing.assert_frame_equal(got, expected)


def test_exact_name_key_without_block_is_kept_in_parts(link_input):
    config = LinkConfig(exact_name_key_without_block=True)
    pd.testing.assert_frame_equal(link_records_duckdb(link_input, config, part_records=60),
                                  link_records(link_input, config))


def test_build_with_the_duckdb_engine_writes_the_same_tables(small_world, tmp_path, monkeypatch):
    monkeypatch.setattr(outofcore, "PART_RECORDS", 100)
    memory = build(small_world / "raw", tmp_path / "memory", config=BuildConfig(engine="memory"))
    duck = build(small_world / "raw", tmp_path / "duckdb", config=BuildConfig(engine="duckdb"))
    for name, table in memory.tables.items():
        pd.testing.assert_frame_equal(duck.tables[name], table, obj=name)


def test_parts_never_split_what_the_linker_may_join():
    codes = pd.DataFrame({
        "block": [0, 0, 1, 1, 2, -1, 3],
        "vat": [-1, 7, 7, -1, -1, -1, -1],  # the VAT joins blocks 0 and 1
        "name": [0, 1, 2, 3, 4, 4, 5],  # the unblocked record 5 joins block 2 by name
    })
    parts = link_parts(codes, part_records=1)
    assert parts[0] == parts[1] == parts[2] == parts[3]
    assert parts[4] == parts[5]
    assert len(set(parts.tolist())) == 3
    packed = link_parts(codes, part_records=100)
    assert np.all(packed == 0)


def test_engine_choice():
    assert not use_duckdb("memory", 10**9)
    assert use_duckdb("auto", outofcore.AUTO_RECORDS) and not use_duckdb("auto", outofcore.AUTO_RECORDS - 1)
    with pytest.raises(ValueError, match="engine"):
        use_duckdb("spark", 1)
    with pytest.raises(ValueError, match="engine"):
        BuildConfig(engine="spark")
