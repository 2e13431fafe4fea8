"""The project's exceptions."""

from __future__ import annotations

import pickle

from channelstudy.errors import ManifestError


def test_a_manifest_error_keeps_its_parts_through_pickling() -> None:
    """A build worker process sends its ManifestError back pickled; the parts must survive."""
    error = ManifestError("bad header", manifest="/raw/sources.yml", source="dir", field="vat", key="columns")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ManifestError
    assert str(again) == str(error) == "sources.yml: source 'dir', field 'vat', key 'columns': bad header"
    assert (again.detail, again.manifest, again.source, again.field, again.key) == (
        "bad header", "/raw/sources.yml", "dir", "vat", "columns")
