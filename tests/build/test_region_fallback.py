"""Mappable geography is used, not dropped: a stated region places a firm with no comune or province;
a CAP (postcode) is refused by the manifest with the reason."""

from __future__ import annotations

import pytest
import yaml

from channelstudy.build import build
from channelstudy.errors import ManifestError


def _write(tmp_path, rows: str, columns: dict[str, str]) -> None:
    (tmp_path / "dir.csv").write_text(rows, encoding="utf-8")
    manifest = {"sources": [{"name": "dir", "kind": "directory", "path": "dir.csv", "delimiter": ";",
                             "columns": columns}]}
    (tmp_path / "sources.yml").write_text(yaml.safe_dump(manifest), encoding="utf-8")


def test_region_places_firms_without_comune_or_province(tmp_path):
    _write(tmp_path, "nome;comune;regione\n"
                     "ALFA SRL;;Emilia Romagna\n"            # region only: placed by it
                     "BETA SRL;Milano;Sicilia\n"              # comune wins over a contradicting region
                     "GAMMA SRL;;Trentino Alto Adige\n"       # two NUTS2 regions: nuts2 stays unknown
                     "DELTA SRL;;Padania\n",                  # not a region
           {"name": "nome", "comune": "comune", "region": "regione"})
    firms = build(tmp_path, tmp_path / "out").tables["firms"].set_index("name")
    assert firms.loc["ALFA S.R.L.", ["region", "macro_area", "nuts2"]].tolist() == ["Emilia-Romagna", "Nord-est", "ITH5"]
    assert firms.loc["BETA S.R.L.", ["region", "macro_area", "province"]].tolist() == ["Lombardia", "Nord-ovest", "MI"]
    gamma = firms.loc["GAMMA S.R.L."]
    assert gamma["region"] == "Trentino-Alto Adige/Südtirol" and gamma["macro_area"] == "Nord-est"
    assert gamma["nuts2"] is None or str(gamma["nuts2"]) in ("<NA>", "nan")
    assert firms.loc["DELTA S.R.L.", ["region", "macro_area"]].isna().all()


def test_postcode_is_refused_with_its_reason(tmp_path):
    _write(tmp_path, "nome;cap\nALFA SRL;40100\n", {"name": "nome", "postcode": "cap"})
    with pytest.raises(ManifestError, match="field 'postcode': not used by the build: .*map the comune"):
        build(tmp_path, tmp_path / "out")
