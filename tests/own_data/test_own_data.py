"""A researcher's own data: analyze runs what the data supports and says what it could not run.

Small worlds are cut from one simulated raw folder (:mod:`tests.own_data.worlds`): the minimal
study of the issue (one directory, one survey wave: name, VAT, comune, employees, revenue mixes),
the same with declared types, directories only, surveys only, no partner-type evidence at all,
and every source.  Each is built and analysed through the command line, which must exit 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from channelstudy.cli import main
from channelstudy.hypotheses import CATALOGUE
from tests.own_data.worlds import DIRECTORIES_ONLY, MINIMAL, MINIMAL_DECLARED, SURVEY_ONLY, own_world

N_FIRMS = 1500
SURVEY_IDS = ("H0", "H2", "H3", "H4", "H5", "H6", "H7", "H8")
CONFIRMATORY = [h.id for h in CATALOGUE if h.family == "confirmatory"]
ESTIMATES = ["estimate", "ci_low", "ci_high", "p_value", "p_holm", "p_bh", "n", "supported"]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small simulated raw folder the worlds are cut from."""
    root = tmp_path_factory.mktemp("own_raw")
    assert main(["-q", "simulate", "--out", str(root / "raw"), "--truth-out", str(root / "truth"),
                 "--firms", str(N_FIRMS), "--seed", "7"]) == 0
    return root / "raw"


def analysed(simulated: Path, root: Path, keep) -> tuple[pd.DataFrame, dict]:
    """Build and analyse a world through the CLI: (hypotheses.csv by id, analysis_report.json)."""
    raw = simulated if keep is None else own_world(simulated, root / "raw", keep)
    assert main(["-q", "build", "--raw", str(raw), "--out", str(root / "processed")]) == 0
    assert main(["-q", "analyze", "--processed", str(root / "processed"), "--tables", str(root / "tables")]) == 0
    table = pd.read_csv(root / "tables" / "hypotheses.csv", keep_default_na=False, na_values=[""])
    report = json.loads((root / "processed" / "analysis_report.json").read_text(encoding="utf-8"))
    return table.set_index("id"), report


@pytest.fixture(scope="module")
def worlds(simulated: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    for name, keep in (("minimal", MINIMAL), ("declared", MINIMAL_DECLARED), ("directories", DIRECTORIES_ONLY),
                       ("surveys", SURVEY_ONLY), ("every_source", None)):
        out[name] = analysed(simulated, tmp_path_factory.mktemp(name), keep)
    return out


def statuses(table: pd.DataFrame) -> dict[str, str]:
    return table["status"].to_dict()


def assert_not_run_rows_are_empty(table: pd.DataFrame) -> None:
    """Rows that did not run: empty estimates; Holm and BH adjust the confirmatory rows that ran, among themselves."""
    assert table.index.tolist() == [h.id for h in CATALOGUE], "every hypothesis has a row"
    not_run = table["status"].ne("ran")
    assert table.loc[not_run, ESTIMATES].isna().all().all()
    assert table["status"].str.match(r"^(ran|not run: .+)$").all()
    assert table.loc[~not_run, ["estimate", "p_value", "n"]].notna().all().all()
    family = ~not_run & table.index.isin(CONFIRMATORY)
    assert table.loc[~family, ["p_holm", "p_bh", "supported"]].isna().all().all(), "H0, H1 and not-run rows: no family"
    if family.any():  # the CSV rounds to 6 significant digits
        for column, method in (("p_holm", "holm"), ("p_bh", "fdr_bh")):
            np.testing.assert_allclose(table.loc[family, column],
                                       multipletests(table.loc[family, "p_value"], method=method)[1], rtol=1e-4)
        assert table.loc[family, "supported"].notna().all()


def test_minimal_study_runs_what_it_can(worlds) -> None:
    table, report = worlds["minimal"]
    assert_not_run_rows_are_empty(table)
    assert statuses(table) == {
        "H0": "not run: needs att_portal_easy",
        "H1": "ran",
        "H2": "not run: needs dso_days",
        "H3": "not run: needs rd_share, dso_days",
        "H4": "not run: needs vendor_support_eur, revenue_eur",
        "H5": "not run: needs main_platform_share",
        "H6": "not run: needs intl_share, cloud_share",
        "H7": "not run: needs win_rate, formal_solutions",
        "H8": "not run: needs isv_solution_share",
        "H9": "not run: needs a pipeline source",
    }
    stages = report["stages"]
    assert stages["partner_typing"] == "ran" and stages["clustering"] == "ran"
    # partner types come from revenue mixes of respondents only: not a margin of the whole frame
    assert stages["weights"].startswith("ran: margins without partner_type")
    assert report["partner_type_rules"]["revenue_mix"] > 0
    assert report["partner_type_rules"]["declared_fits_ateco"] == 0


def test_declared_types_without_attitudes_do_not_crash_h0(worlds) -> None:
    table, report = worlds["declared"]
    assert_not_run_rows_are_empty(table)
    assert table.loc["H0", "status"] == "not run: needs att_portal_easy"
    assert report["partner_type_rules"]["declared_only"] > 0


def test_directories_only(worlds) -> None:
    table, report = worlds["directories"]
    assert_not_run_rows_are_empty(table)
    assert {h: table.loc[h, "status"] for h in SURVEY_IDS} == dict.fromkeys(SURVEY_IDS, "not run: needs a survey source")
    assert table.loc["H1", "status"] == "ran"
    assert table.loc["H9", "status"] == "not run: needs a pipeline source"
    assert report["stages"]["weights"] == "not run: no survey responses"
    assert report["stages"]["clustering"].startswith("not run: 0 firms with a revenue mix")


def test_surveys_only_run_unweighted(worlds) -> None:
    table, report = worlds["surveys"]
    assert_not_run_rows_are_empty(table)
    assert report["stages"]["weights"].startswith("not run: no directory frame")
    assert not table["weighted"].any(), "no frame: every row says weighted = False"
    ran = table[table["status"].eq("ran")]
    assert set(ran.index) >= {"H0", "H2", "H5", "H7"}
    least_squares = ran.index.isin(SURVEY_IDS) & ~ran.index.isin(["H4"])
    assert ran.loc[least_squares, "estimator"].eq("OLS, SE clustered by firm").all()
    assert not table["estimator"].str.contains("survey weights").any(), "the label says what ran"
    assert table.loc["H1", "status"] == "not run: no J62-like partners (SI, ISV, MSP) in a directory source"


def test_every_source_runs_every_hypothesis(worlds) -> None:
    table, report = worlds["every_source"]
    assert statuses(table) == dict.fromkeys([h.id for h in CATALOGUE], "ran")
    assert table["weighted"].sum() == len(SURVEY_IDS)
    assert set(report["stages"].values()) == {"ran"}


def test_no_partner_type_evidence_is_said_once(simulated: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    """A directory with names and VAT numbers only: every firm unclassified, one warning, exit 0."""
    table, report = analysed(simulated, tmp_path, {"analyst_a": ("name", "vat")})
    warnings = capsys.readouterr().err
    assert report["partner_types"] == {}
    assert report["partner_type_rules"]["unclassified"] == sum(report["partner_type_rules"].values())
    assert report["stages"]["partner_typing"] == "not run: no partner-type evidence (every firm unclassified)"
    assert warnings.count("unclassified") == 1, warnings
    assert table.loc["H1", "status"].startswith("not run: ")
    assert_not_run_rows_are_empty(table)


def test_analyze_prints_what_ran(simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    analysed(simulated, tmp_path, MINIMAL)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["step", "status"]
    rows = {line.split()[0]: line.split(None, 1)[1] for line in out[1:] if line.startswith("H")}
    assert rows["H9"] == "not run: needs a pipeline source" and rows["H1"] == "ran"
    assert any(line.startswith("clustering") and line.endswith("ran") for line in out)
