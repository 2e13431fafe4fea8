"""``channelstudy check``: what a manifest's mapped fields can support, before any build."""

from __future__ import annotations

from pathlib import Path

import pytest

from channelstudy.errors import ManifestError
from channelstudy.hypotheses import CATALOGUE
from channelstudy.hypotheses.coverage import NEEDS, available, check, hypothesis_needs

MIX = ", ".join(f"mix_{s}: M{i}" for i, s in enumerate(("hw_resale", "sw_resale", "services", "own_ip",
                                                        "cloud_subs", "managed")))


def write_world(folder: Path, sources: str, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources.yml").write_text("sources:\n" + sources, encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    """One directory and one survey wave: name, VAT, comune, employees and revenue mixes."""
    return write_world(tmp_path / "minimal", f"""\
  - {{name: analyst_a, kind: directory, path: a.csv, columns: {{name: N, vat: V, comune: C, employees: E}}}}
  - {{name: survey_2023, kind: survey, path: s.csv, wave: 2023,
     columns: {{name: N, vat: V, comune: C, employees: E, {MIX}}}}}
""", {"a.csv": "N,V,C,E\nRossi Srl,01234567897,Milano,4\n",
      "s.csv": "N,V,C,E,M0,M1,M2,M3,M4,M5\nRossi Srl,01234567897,Milano,4,0.5,0.5,0,0,0,0\n"})


def test_minimal_world(minimal: Path) -> None:
    coverage = check(minimal)
    assert coverage.sources["kind"].tolist() == ["directory", "survey"]
    assert coverage.sources["fields"].iloc[0] == "name, vat, comune, employees"
    runs = coverage.hypotheses.set_index("id")["supported_by_fields"]
    assert runs[runs].index.tolist() == ["H1"]
    missing = coverage.hypotheses.set_index("id")["missing"]
    assert missing["H0"] == "survey.att_portal_easy"
    assert missing["H9"].startswith("a pipeline source")
    assert "more than one survey wave" in missing["H4"] and "more than one survey wave" in missing["H8"]
    sections = coverage.sections.set_index("section")["status"]
    assert sections.filter(like="business models").item() == "yes"
    assert sections.filter(like="(H2, H3)").item() == "no"
    unlock = coverage.unlock.set_index("need")["hypotheses"]
    assert unlock["survey.dso_days"] == "H2, H3"


def test_no_partner_type_evidence(tmp_path: Path) -> None:
    raw = write_world(tmp_path, """\
  - {name: a, kind: directory, path: a.csv, columns: {name: N}}
""", {"a.csv": "N\nRossi Srl\n"})
    coverage = check(raw)
    h1 = coverage.hypotheses.set_index("id").loc["H1"]
    assert not h1["supported_by_fields"]
    assert "partner types (directory.partner_type or directory.ateco" in h1["missing"]
    assert "employees" in h1["missing"]
    assert coverage.sections.set_index("section")["status"].filter(like="partner segments").item() == "no"


def test_the_embedded_manifest_supports_everything(tmp_path: Path) -> None:
    from channelstudy.simulate import simulate

    simulate(tmp_path / "raw", n_firms=500, waves=(2024, 2025), truth_out=tmp_path / "truth")
    coverage = check(tmp_path / "raw")
    assert coverage.hypotheses["supported_by_fields"].all(), coverage.hypotheses
    assert coverage.sections["status"].eq("yes").all() and coverage.unlock.empty


def test_a_broken_manifest_is_the_builds_error(tmp_path: Path) -> None:
    raw = write_world(tmp_path, "  - {name: a, kind: directory, path: missing.csv, columns: {name: N}}\n", {})
    with pytest.raises(ManifestError, match="missing.csv"):
        check(raw)


def test_needs_follow_the_estimators_declarations() -> None:
    needs = {h.id: hypothesis_needs(h) for h in CATALOGUE}
    assert needs["H9"][0] == "a pipeline source" and "pipeline.relationship" in needs["H9"]
    assert needs["H0"] == ("a survey source", "survey.att_portal_easy", "partner types", "employees")  # size control
    assert "a directory source" in needs["H1"] and "partner types" in needs["H1"]
    assert not available([], NEEDS["partner types"])
