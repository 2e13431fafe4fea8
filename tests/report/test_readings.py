"""Readings come from results: the drift rule on every stored notebook, and the rule itself."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelstudy.report.readings import (
    catalogue_sentence,
    direction_phrase,
    drift,
    num,
    number_matches,
    pct,
    planted_sentence,
    prose_numbers,
    ran,
)

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
ROW = {"estimate": 0.1178, "ci_low": 0.09898, "ci_high": 0.1366, "null_value": 0.0, "direction": "greater",
       "p_holm": 4.4e-34, "supported": True}


def _notebook(prose: str, printed: str, code: str = "x = 1") -> dict:
    return {"cells": [
        {"cell_type": "markdown", "source": "## H4"},
        {"cell_type": "code", "source": code, "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}]},
        {"cell_type": "code", "source": "show(text)", "outputs": [
            {"output_type": "display_data", "data": {"text/markdown": prose}}]},
    ]}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_prose_matches_its_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert drift(notebook) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_takes_its_folders_as_papermill_parameters(path: Path) -> None:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    parameters = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameters) == 1
    text = "".join(parameters[0]["source"])
    for name in ("RAW", "PROCESSED", "TABLES", "FIGURES", "TRUTH", "REALDATA"):
        assert f"{name} = None" in text


def test_a_typed_number_that_drifted_is_found() -> None:
    """The bug of the issue: 06's H4 reading said 0.127 [0.105-0.149] while the cell printed 0.1178."""
    printed = "estimate 0.1178  95% CI [0.09898, 0.1366]"
    assert drift(_notebook("catalogue estimate 0.118, 95 % CI 0.0990 to 0.137", printed)) == []
    problems = drift(_notebook("catalogue estimate 0.127 (95 % CI 0.105-0.149)", printed))
    assert [p.split(": ")[1].split(" ")[0] for p in problems] == ["0.127", "0.105", "0.149"]


def test_a_stored_reading_edited_by_hand_fails() -> None:
    path = next(p for p in NOTEBOOKS if p.name.startswith("06"))
    notebook = json.loads(path.read_text(encoding="utf-8"))
    edited = copy.deepcopy(notebook)
    for cell in edited["cells"]:
        for out in cell.get("outputs", []):
            if "text/markdown" in out.get("data", {}):
                text = "".join(out["data"]["text/markdown"])
                out["data"]["text/markdown"] = text.replace("catalogue estimate 0.", "catalogue estimate 0.9", 1)
    assert drift(notebook) == []
    assert drift(edited)


def test_numbers_only_match_within_their_section() -> None:
    notebook = _notebook("estimate 0.118", "0.1178")
    notebook["cells"].insert(2, {"cell_type": "markdown", "source": "## another section"})
    assert drift(notebook)


def test_exemptions_are_rules() -> None:
    assert prose_numbers("`62.01` and 72.19.09 in J62 and H4, 2021-2025, 95 % CI, seven (7)") == [("95", 95.0)]
    # a constant written in the notebook's code is a protocol constant, not a result
    assert drift(_notebook("deciles of 137 firms", "nothing", code="bins = 137")) == []
    assert drift(_notebook("deciles of 137 firms", "nothing"))


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-6),
       st.integers(min_value=1, max_value=4))
def test_a_number_rendered_from_a_value_matches_it(value: float, digits: int) -> None:
    printed = f"{value:.6g}"
    assert number_matches(num(value, digits), [float(printed)], printed=[printed])


def test_percentages_match_shares() -> None:
    assert number_matches(pct(0.1834).split()[0], [0.183], printed=["0.183"])
    assert not number_matches("19.3", [0.183], printed=["0.183"])


def test_direction_words_come_from_the_row() -> None:
    assert direction_phrase(ROW).startswith("in the expected direction and significant")
    against = dict(ROW, estimate=-0.01, ci_low=-0.03, ci_high=0.01, p_holm=0.4, supported=False)
    assert direction_phrase(against) == ("against the expected direction and not significant after the Holm "
                                         "adjustment: not supported")
    assert "0.118" in catalogue_sentence(ROW) and "0.137" in catalogue_sentence(ROW)
    assert planted_sentence(ROW, {"planted": 0.2}) == "The 95 % CI misses the planted value 0.2."


def test_rows_that_did_not_run_have_no_reading() -> None:
    assert not ran({"status": "not run: no ISVs", "estimate": float("nan")})
    assert ran({"status": "ran", "estimate": 0.1})
