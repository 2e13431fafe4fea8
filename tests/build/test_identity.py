"""IdentityCleaner: sources cleaned one at a time, in any order, give the identities of one pass over all."""

from __future__ import annotations

import pandas as pd
import pandas.testing as tm
import pytest

from channelstudy.build import BuildConfig
from channelstudy.build.identity import IdentityCleaner, record_sources
from channelstudy.build.prepare import prepare_all
from channelstudy.build.records import as_text
from channelstudy.clean import geo, names, vat
from channelstudy.sources.manifest import load_manifest


@pytest.fixture(scope="module")
def default_sources(built_world):
    root, _ = built_world
    manifest = load_manifest(root / "raw", headers=False)
    prepared = prepare_all(manifest, BuildConfig(jobs=1))
    return manifest, {name: p.frame for name, p in prepared.items()}


def _identities(manifest, frames, order) -> pd.DataFrame:
    cleaner = IdentityCleaner(manifest, BuildConfig())
    for spec in order:
        cleaner.add(spec, frames[spec.name])
    return cleaner.identities()


def test_the_order_of_the_sources_does_not_matter(default_sources) -> None:
    manifest, frames = default_sources
    specs = record_sources(manifest)
    in_order = _identities(manifest, frames, specs)
    tm.assert_frame_equal(_identities(manifest, frames, specs[::-1]), in_order)
    tm.assert_frame_equal(_identities(manifest, frames, specs[1::2] + specs[::2]), in_order)
    assert in_order["source"].drop_duplicates().tolist() == [s.name for s in specs]


def test_each_field_is_what_its_cleaner_gives_on_every_row(default_sources) -> None:
    manifest, frames = default_sources
    ids = _identities(manifest, frames, record_sources(manifest)[::-1])
    clean = names.clean_names(as_text(ids["name_raw"]))
    assert ids["name_key"].equals(clean["name_key"].astype("str"))
    vats = vat.classify_series(as_text(ids["vat_raw"]))
    from_tax_code = vat.classify_series(as_text(ids["tax_code_raw"]))
    assert ids["vat"].equals(vats["vat"].fillna(from_tax_code["vat"]).astype("str"))
    where = geo.clean_geo(as_text(ids["comune_raw"]), as_text(ids["province_raw"]))
    assert ids["istat_code"].equals(where["istat_code"].astype("str"))
    assert ids["geo_flag"].equals(where["geo_flag"].astype("str"))
