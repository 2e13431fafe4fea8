"""The accounting identity of the build (rows read = used + rejected), its `balanced` flag and its CLI guard,
and the reject rules it rests on, on small hand-made inputs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from channelstudy.build import build
from channelstudy.build import report as report_module
from channelstudy.build.rejects import (
    blank_rows,
    dedupe_first,
    dedupe_survey,
    empty_rejects,
    quarantined_rows,
    reject_rows,
    rows_in_file,
    unseen_rows,
)
from channelstudy.build.report import build_report, cleaning_counts
from channelstudy.cli import main
from channelstudy.errors import UserError
from channelstudy.pipeline import run_build, unbalanced_sources
from channelstudy.vocabulary import REJECT_REASONS
from tests.build.test_build import _small_raw


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small_report")
    raw = _small_raw(tmp)
    return raw, build(raw, tmp / "out")


def _shift_rows_read(monkeypatch, source: str, shift: int) -> None:
    """Make the build report of ``source`` count ``shift`` rows more in its file than there are."""
    real = report_module.rows_in_file

    def shifted(frame: pd.DataFrame) -> int:
        is_source = "source" in frame.columns and len(frame) and frame["source"].iloc[0] == source
        return real(frame) + (shift if is_source else 0)

    monkeypatch.setattr(report_module, "rows_in_file", shifted)


# --- the report, recomputed from the tables ------------------------------------------------

def test_report_counts_recomputed_from_tables(small):
    _, result = small
    report, tables = result.report, result.tables
    rejects, links = tables["rejects"], tables["links"]
    used = {"dir": int(links.loc[links["source"] == "dir", "firm_id"].notna().sum()),
            "wave23": int((tables["survey"]["source"] == "wave23").sum())}
    assert used == {"dir": 3, "wave23": 2}
    for name, s in report["sources"].items():
        rej = rejects[rejects["source"] == name]
        assert s["rows_used"] == used[name]
        assert s["rows_rejected"] == len(rej)
        assert s["rejected_by_reason"] == rej["reason"].value_counts().sort_index().to_dict()
        lk = links[links["source"] == name]
        assert s["rows_linked"] == int(lk["firm_id"].notna().sum())
        assert s["match_methods"] == lk["match_method"].value_counts().sort_index().to_dict()
        assert s["balanced"] is True
    assert report["sources"]["wave23"]["match_methods"] == {"name_geo": 2, "vat": 1}
    assert report["sources"]["dir"]["kind"] == "directory" and report["sources"]["dir"]["path"] == "dir.csv"
    assert report["rows_read"] == 5 + 3
    assert report["rows_used"] == 3 + 2
    assert report["rows_rejected"] == 2 + 1
    assert report["firms_resolved"] == len(tables["firms"]) == 2
    assert report["reject_reasons"] == REJECT_REASONS
    assert "preset" not in report["sources"]["dir"]
    assert report["sources"]["dir"]["cleaning"]["vat"]


@pytest.mark.parametrize("shift", [1, -1], ids=["more-read", "fewer-read"])
def test_balanced_is_false_when_rows_do_not_add_up(tmp_path: Path, monkeypatch, shift: int):
    _shift_rows_read(monkeypatch, "wave23", shift)
    result = build(_small_raw(tmp_path), tmp_path / "out")
    survey = result.report["sources"]["wave23"]
    assert survey["rows_read"] == 3 + shift
    assert survey["balanced"] is False
    assert result.report["sources"]["dir"]["balanced"] is True
    assert unbalanced_sources(result.report) == ["wave23"]


def test_run_build_refuses_an_unbalanced_source(tmp_path: Path, monkeypatch):
    _shift_rows_read(monkeypatch, "dir", 1)
    with pytest.raises(UserError, match=r"rows read != used \+ rejected for dir \(a bug"):
        run_build(_small_raw(tmp_path), tmp_path / "out")


def test_cli_build_exits_1_on_an_unbalanced_source(tmp_path: Path, monkeypatch, capsys):
    raw = _small_raw(tmp_path)
    assert main(["--quiet", "build", "--raw", str(raw), "--out", str(tmp_path / "ok")]) == 0
    _shift_rows_read(monkeypatch, "wave23", 1)
    assert main(["--quiet", "build", "--raw", str(raw), "--out", str(tmp_path / "bad")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: rows read != used + rejected for wave23")
    assert "\n" not in err


@pytest.mark.parametrize(("source", "expected"), [
    ({"rows_read": 5, "rows_used": 3, "rows_rejected": 2, "balanced": True}, []),
    ({"rows_read": 6, "rows_used": 3, "rows_rejected": 2, "balanced": True}, ["s"]),  # counts, whatever the flag
    ({"rows_read": 4, "rows_used": 3, "rows_rejected": 2, "balanced": True}, ["s"]),
    ({"rows_read": 5, "rows_used": 3, "rows_rejected": 2, "balanced": False}, ["s"]),  # the flag, whatever the counts
])
def test_unbalanced_sources_checks_counts_and_flag(source, expected):
    report = {"sources": {"ok": {"rows_read": 1, "rows_used": 1, "rows_rejected": 0, "balanced": True},
                          "s": source}}
    assert unbalanced_sources(report) == expected


# --- the report from hand-made tables (fast: no build) --------------------------------------

def _spec(name: str, kind: str, preset: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(name=name, kind=kind, path=Path("/raw") / f"{name}.csv", preset=preset)


def _frame(rows: list[int], rows_in_file: int | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"row_number": rows})
    if rows_in_file is not None:
        frame.attrs["rows_in_file"] = rows_in_file
    return frame


def _rows(source: str, n: int, **columns) -> pd.DataFrame:
    return pd.DataFrame({"source": [source] * n, **columns})


def test_build_report_by_hand():
    manifest = SimpleNamespace(sources=(
        _spec("dir", "directory"), _spec("s23", "survey", preset="my_preset"), _spec("vr", "vendor_roster"),
        _spec("pl", "pipeline"), _spec("st", "statistics")))
    frames = {"dir": _frame([1, 2, 3, 5], rows_in_file=5), "s23": _frame([1, 2, 3]), "vr": _frame([1, 2]),
              "pl": _frame([1, 2, 3]), "st": _frame([1, 2, 3])}
    links = pd.concat([
        _rows("dir", 4, firm_id=["F1", "F2", "F1", pd.NA], match_method=["new", "new", "vat", "unlinkable"]),
        _rows("s23", 3, firm_id=["F1", "F3", "F2"], match_method=["name_geo", "new", "vat"]),
    ], ignore_index=True)
    rejects = pd.concat([
        _rows("dir", 2, reason=["no_identity", "blank_row"]),
        _rows("s23", 1, reason=["duplicate_response"]),
        _rows("pl", 1, reason=["missing_deal"]),
        _rows("st", 1, reason=["no_observations"]),
    ], ignore_index=True)
    tables = {"rejects": rejects, "links": links, "firms": pd.DataFrame({"firm_id": ["F1", "F2", "F3"]}),
              "survey": _rows("s23", 2).pipe(lambda d: pd.concat([d, _rows("other", 1)])),
              "vendor_roster": _rows("vr", 1), "pipeline": _rows("pl", 2),
              "statistics_st": pd.DataFrame({"row_number": [1, 1, 2], "value": [1.0, 2.0, 3.0]})}
    cleaning = {"dir": {"vat": {"valid": 3}}}
    report = build_report(manifest, frames, tables, cleaning)
    assert report == {
        "sources": {
            "dir": {"kind": "directory", "path": "dir.csv", "rows_read": 5, "rows_used": 3, "rows_rejected": 2,
                    "rejected_by_reason": {"blank_row": 1, "no_identity": 1}, "rows_linked": 3,
                    "match_methods": {"new": 2, "unlinkable": 1, "vat": 1}, "balanced": True,
                    "cleaning": {"vat": {"valid": 3}}},
            "s23": {"kind": "survey", "path": "s23.csv", "rows_read": 3, "rows_used": 2, "rows_rejected": 1,
                    "rejected_by_reason": {"duplicate_response": 1}, "rows_linked": 3,
                    "match_methods": {"name_geo": 1, "new": 1, "vat": 1}, "balanced": True, "cleaning": {},
                    "preset": "my_preset"},
            "vr": {"kind": "vendor_roster", "path": "vr.csv", "rows_read": 2, "rows_used": 1, "rows_rejected": 0,
                   "rejected_by_reason": {}, "rows_linked": 0, "match_methods": {}, "balanced": False,
                   "cleaning": {}},
            "pl": {"kind": "pipeline", "path": "pl.csv", "rows_read": 3, "rows_used": 2, "rows_rejected": 1,
                   "rejected_by_reason": {"missing_deal": 1}, "rows_linked": 0, "match_methods": {},
                   "balanced": True, "cleaning": {}},
            "st": {"kind": "statistics", "path": "st.csv", "rows_read": 3, "rows_used": 2, "rows_rejected": 1,
                   "rejected_by_reason": {"no_observations": 1}, "rows_linked": 0, "match_methods": {},
                   "balanced": True, "cleaning": {}, "observations": 3},
        },
        "firms_resolved": 3,
        "rows_read": 16,
        "rows_used": 10,
        "rows_rejected": 5,
        "reject_reasons": REJECT_REASONS,
    }
    assert unbalanced_sources(report) == ["vr"]
    assert build_report(manifest, frames, tables)["sources"]["dir"]["cleaning"] == {}


@pytest.mark.parametrize(("read", "balanced"), [(4, False), (5, True), (6, False)])
def test_balanced_flag_by_hand(read: int, balanced: bool):
    manifest = SimpleNamespace(sources=(_spec("pl", "pipeline"),))
    tables = {"rejects": _rows("pl", 1, reason=["missing_deal"]), "links": _rows("pl", 0, firm_id=[], match_method=[]),
              "firms": pd.DataFrame(), "pipeline": _rows("pl", 4)}
    report = build_report(manifest, {"pl": _frame([1], rows_in_file=read)}, tables)
    assert report["sources"]["pl"]["balanced"] is balanced


# --- cleaning counts ----------------------------------------------------------------------

def test_cleaning_counts_rules():
    ids = pd.DataFrame({
        "source": ["a", "a", "a", "b", "a"],
        "vat_kind": ["valid", "invalid", pd.NA, "valid", pd.NA],
        "vat_raw": ["00743110157", "123", " ", "00743110157", pd.NA],
        "tax_code_raw": [pd.NA, pd.NA, "", pd.NA, pd.NA],
        "comune_raw": [pd.NA, pd.NA, pd.NA, "Milano", pd.NA],
        "province_raw": [pd.NA, "", pd.NA, pd.NA, pd.NA],
        "geo_flag": [pd.NA, "province_unknown", pd.NA, pd.NA, pd.NA],
    })
    directory = pd.DataFrame({"source": ["a", "a", "b"], "ateco_flag": [pd.NA, "bad_code", pd.NA]})
    frames = {"a": pd.DataFrame({"ateco": []}).assign(), "b": pd.DataFrame({"name": []})}
    frames["a"].attrs["decoded"] = {"partner_type": {"reseller": 2}}
    out = cleaning_counts(ids, directory, frames)
    # blank or missing VAT and tax code: "missing"; an empty province cell counts as mapped geography
    assert out["a"]["vat"] == {"invalid": 1, "missing": 2, "valid": 1}
    assert out["a"]["geo"] == {"ok": 3, "province_unknown": 1}
    assert out["a"]["ateco"] == {"bad_code": 1, "ok": 1}
    assert out["a"]["decoded"] == {"partner_type": {"reseller": 2}}
    assert out["b"] == {"vat": {"valid": 1}, "geo": {"ok": 1}}  # "b" maps no ATECO column
    without_frames = cleaning_counts(ids, directory)
    assert without_frames["b"]["ateco"] == {"ok": 1}
    assert "decoded" not in without_frames["a"]


def test_cleaning_counts_leave_out_unmapped_geography():
    ids = pd.DataFrame({"source": ["a"], "vat_kind": ["valid"], "vat_raw": ["00743110157"],
                        "tax_code_raw": [pd.NA], "comune_raw": [pd.NA], "province_raw": [pd.NA],
                        "geo_flag": [pd.NA]})
    out = cleaning_counts(ids, pd.DataFrame({"source": [], "ateco_flag": []}))
    assert out == {"a": {"vat": {"valid": 1}}}


# --- the rejects the identity rests on -------------------------------------------------------

def test_rows_in_file_prefers_the_readers_count():
    frame = pd.DataFrame({"row_number": [1, 2, 5]})
    assert rows_in_file(frame) == 5
    frame.attrs["rows_in_file"] = 7
    assert rows_in_file(frame) == 7
    assert rows_in_file(pd.DataFrame({"row_number": pd.Series([], dtype="int64")})) == 0


def test_blank_rows_are_the_row_numbers_the_reader_skipped():
    frame = pd.DataFrame({"row_number": [1, 3, 4]})
    frame.attrs["rows_in_file"] = 6
    rejected = blank_rows(frame, "src", "no_awardee")
    assert rejected["row_number"].tolist() == [2, 5, 6]
    assert rejected["record_id"].tolist() == ["2", "5", "6"]
    assert set(rejected["reason"]) == {"no_awardee"}
    assert set(rejected["detail"]) == {REJECT_REASONS["no_awardee"]}
    assert set(rejected["source"]) == {"src"}
    assert blank_rows(pd.DataFrame({"row_number": [1, 2]}), "src").empty
    first_missing = pd.DataFrame({"row_number": [2, 3]})
    first_missing.attrs["rows_in_file"] = 3
    default = blank_rows(first_missing, "src")
    assert default["row_number"].tolist() == [1]
    assert default["reason"].tolist() == ["blank_row"]
    assert list(blank_rows(pd.DataFrame({"row_number": [1, 2]}), "src").columns) == list(empty_rejects().columns)


def test_dedupe_survey_keeps_the_latest_submitted_response():
    survey = pd.DataFrame({
        "source": ["w", "w", "w", "w", "w"], "record_id": list("abcde"), "row_number": [1, 2, 3, 4, 5],
        "firm_id": ["F1", "F1", "F1", "F2", "F2"], "wave": [2023, 2023, 2024, 2023, 2023],
        "submitted": pd.to_datetime(["2023-03-05", "2023-03-01", "2024-01-01", None, "2023-01-01"]),
    })
    kept, rejected = dedupe_survey(survey)
    assert kept["record_id"].tolist() == ["a", "c", "e"]  # a submitted later than b; e dated beats d undated
    assert rejected["record_id"].tolist() == ["b", "d"]
    assert set(rejected["reason"]) == {"duplicate_response"}


def test_dedupe_survey_ties_go_to_the_last_row():
    survey = pd.DataFrame({"source": ["w", "w"], "record_id": ["a", "b"], "row_number": [1, 2],
                           "firm_id": ["F1", "F1"], "wave": [2023, 2023],
                           "submitted": pd.to_datetime(["2023-03-01", "2023-03-01"])})
    kept, rejected = dedupe_survey(survey)
    assert kept["record_id"].tolist() == ["b"] and rejected["record_id"].tolist() == ["a"]


def test_dedupe_first_keeps_the_first_row_in_source_order():
    roster = pd.DataFrame({"source": ["r2", "r1", "r1"], "record_id": ["x", "y", "z"], "row_number": [1, 9, 2],
                           "vendor": ["V", "V", "V"], "firm_id": ["F1", "F1", "F1"]})
    kept, rejected = dedupe_first(roster, ["vendor", "firm_id"], "duplicate_roster_entry")
    assert kept["record_id"].tolist() == ["z"]
    assert rejected["record_id"].tolist() == ["y", "x"]
    assert set(rejected["detail"]) == {REJECT_REASONS["duplicate_roster_entry"]}


def test_reject_rows_and_empty_rejects():
    table = pd.DataFrame({"source": ["s", "s"], "record_id": ["1", "2"], "row_number": [1, 2], "x": [0, 1]})
    rows = reject_rows(table, table["x"] == 1, "missing_vendor")
    assert rows.to_dict("records") == [{"source": "s", "record_id": "2", "row_number": 2, "reason": "missing_vendor",
                                        "detail": REJECT_REASONS["missing_vendor"]}]
    empty = empty_rejects()
    assert empty.empty and empty["row_number"].dtype == np.int64
    assert all(str(empty[c].dtype) == "str" for c in ("source", "record_id", "reason", "detail"))
    assert list(empty.columns) == ["source", "record_id", "row_number", "reason", "detail"]


def test_unseen_rows_by_hand() -> None:
    assert unseen_rows(6, np.array([5, 1, 2]), np.array([3, 9])).tolist() == [4, 6]
    empty = unseen_rows(3, [])  # an empty list is a float array to numpy: still row numbers
    assert empty.tolist() == [1, 2, 3] and empty.dtype == np.int64
    assert unseen_rows(3, np.array([0, -1, 4, 7])).tolist() == [1, 2, 3]  # outside 1..n: ignored
    assert unseen_rows(4, np.array([1, 2]), np.array([4, 3])).tolist() == []
    assert unseen_rows(0).tolist() == []


def test_quarantined_rows_are_rejects_with_their_reason_and_not_blank() -> None:
    from channelstudy.sources.quarantine import Quarantined, QuarantinedRows

    frame = pd.DataFrame({"row_number": np.array([1, 4], dtype="int64")})
    frame.attrs = {"rows_in_file": 5, "quarantined": QuarantinedRows(
        [Quarantined(2, "too_few_fields", "line 3: 2 fields, the header has 3"),
         Quarantined(3, "too_many_fields", "line 4: 4 fields, the header has 3")])}
    bad = quarantined_rows(frame, "s")
    assert bad.to_dict("list") == {"source": ["s", "s"], "record_id": ["2", "3"], "row_number": [2, 3],
                                   "reason": ["too_few_fields", "too_many_fields"],
                                   "detail": ["line 3: 2 fields, the header has 3", "line 4: 4 fields, the header has 3"]}
    assert [str(t) for t in bad.dtypes] == ["str", "str", "int64", "str", "str"]
    assert blank_rows(frame, "s")["row_number"].tolist() == [5]  # 2 and 3 are quarantined, not blank
    clean = pd.DataFrame({"row_number": np.array([1], dtype="int64")})
    clean.attrs = {"rows_in_file": 1}
    none = quarantined_rows(clean, "s")
    assert len(none) == 0 and list(none.columns) == ["source", "record_id", "row_number", "reason", "detail"]
    assert [str(t) for t in none.dtypes] == ["str", "str", "int64", "str", "str"]
