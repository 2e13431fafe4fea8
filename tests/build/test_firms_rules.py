"""Survivorship (channelstudy.build.firms): which record's value each firm attribute takes, on a hand-made case.

F1 has four records (directory priority 0, two survey rows priority 1, a roster row priority 2) that disagree
on everything; F2 has no comune code, only a province; F3 is a plain firm in that province; F4 has no geography.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.build.firms import (
    _first_of,
    _mode_by_firm,
    _sorted_order,
    declared_votes,
    joined_by_firm,
    resolve_firms,
)
from channelstudy.clean.ateco import title_2025

NA = pd.NA
MILANO = ("015146", "Milano", "MI", "Lombardia", "Nord-ovest", "ITC4")
ROMA = ("058091", "Roma", "RM", "Lazio", "Centro", "ITI4")
NAPOLI = ("063049", "Napoli", "NA", "Campania", "Sud", "ITF3")
NO_PLACE = (NA, NA, NA, NA, NA, NA)


def _record(firm, priority, source, row, vat, name, name_raw, form, place):
    # no source states a region of its own here (the stated-region fallback: tests/build/test_region_fallback.py)
    return dict(zip(("firm_id", "priority", "source", "row_number", "vat", "name", "name_raw", "legal_form",
                     "istat_code", "comune", "province", "region", "macro_area", "nuts2",
                     "region_declared", "macro_area_declared", "nuts2_declared"),
                    (firm, priority, source, row, vat, name, name_raw, form, *place, NA, NA, NA), strict=True))


# function-scoped (cheap): every test then calls resolve_firms itself, which mutation testing needs to
# attribute the calls to each test
@pytest.fixture
def inputs():
    linked = pd.DataFrame([
        _record("F1", 1, "survey", 3, "22222222222", "ROSSI INF", "Rossi Inf", "SPA", ROMA),
        _record("F1", 0, "dir", 2, "11111111111", NA, "  Rossi Informatica srl ", "SRL", MILANO),
        _record("F1", 1, "survey", 1, "22222222222", "ROSSI INFORMATICA", "Rossi", NA, ROMA),
        _record("F1", 2, "roster", 1, NA, "ROSSI", "Rossi", NA, NO_PLACE),
        _record("F2", 1, "survey", 4, NA, "BIANCHI", "Bianchi", "SRL", (NA, NA, "NA", NA, NA, NA)),
        _record("F2", 1, "survey", 5, NA, "BIANCHI", "Bianchi", "SNC", NO_PLACE),
        _record("F3", 0, "dir", 1, "33333333333", "VERDI", "Verdi", NA, NAPOLI),
        _record("F4", 2, "roster", 2, NA, "NERI", "Neri", NA, NO_PLACE),  # no geography at all
        _record(NA, 0, "dir", 3, NA, NA, "", NA, NO_PLACE),  # unlinked: not a firm
    ])
    directory = pd.DataFrame({
        "firm_id": ["F1", "F1", "F1", "F3"],
        "employees": [10.0, 20.0, NA, 3.0],
        "revenue_eur": [NA, NA, NA, 3_000_000.0],
        "ateco_2025": ["62.20.01", "62.20.02", "62.10.00", NA],
        "employees_class": ["10-19", "10-19", "20-49", NA],
        "production_class": [NA, "B", "A", "A"],
        "capital_class": ["x", "y", NA, NA],
        "partner_type_declared": ["isv", NA, NA, "reseller"],
    })
    survey = pd.DataFrame({
        "firm_id": ["F1", "F1", "F2", "F2"],
        "employees": [100.0, 300.0, 7.0, NA],
        "revenue_eur": [2_000_000.0, 4_000_000.0, NA, 50_000.0],
        "partner_type_declared": ["reseller", NA, "isv", "distributor"],
    })
    roster = pd.DataFrame({"firm_id": ["F1"], "partner_type_declared": ["reseller"]})
    return linked, directory, survey, roster


@pytest.fixture
def firms(inputs):
    return resolve_firms(*inputs).set_index("firm_id")


def test_one_row_per_linked_firm(firms):
    assert firms.index.tolist() == ["F1", "F2", "F3", "F4"]
    assert firms["n_records"].tolist() == [4, 2, 1, 1]
    assert firms.loc["F1", "sources"] == "dir;roster;survey"


def test_most_frequent_value_beats_the_most_authoritative(firms):
    assert firms.loc["F1", "vat"] == "22222222222"  # twice in the survey vs once in the directory
    assert firms.loc["F1", "istat_code"] == "058091"


def test_ties_go_to_the_most_authoritative_record_then_alphabetical(firms):
    assert firms.loc["F1", "legal_form"] == "SRL"  # SRL (priority 0) vs SPA (priority 1), once each
    assert firms.loc["F2", "legal_form"] == "SNC"  # SNC vs SRL, same priority: alphabetical
    assert firms.loc["F2", "partner_type"] == "distributor"


def test_name_of_the_first_record_else_its_raw_name(firms):
    # the first record in (priority, source, row_number) is the directory's, whose cleaned name is missing
    assert firms.loc["F1", "name"] == "Rossi Informatica srl"
    assert firms.loc["F2", "name"] == "BIANCHI"


def test_geography_follows_the_chosen_comune_code(firms):
    assert tuple(firms.loc["F1", ["istat_code", "comune", "province", "region", "macro_area", "nuts2"]]) == ROMA
    assert tuple(firms.loc["F3", ["comune", "province", "region", "macro_area", "nuts2"]]) == NAPOLI[1:]


def test_without_a_comune_code_the_province_gives_the_region(firms):
    f2 = firms.loc["F2"]
    assert pd.isna(f2["istat_code"]) and pd.isna(f2["comune"])
    assert (f2["province"], f2["region"], f2["macro_area"], f2["nuts2"]) == ("NA", "Campania", "Sud", "ITF3")
    assert firms.loc["F4", ["istat_code", "province", "region", "macro_area", "nuts2"]].isna().all()


def test_measures_come_from_the_directory_before_the_survey(firms):
    assert firms.loc["F1", "employees"] == 15.0  # median of the directory's 10 and 20; survey's 100/300 ignored
    assert firms.loc["F1", "revenue_eur"] == 3_000_000.0  # no directory value: median of the survey's
    assert firms.loc["F2", "employees"] == 7.0
    assert firms.loc["F2", "revenue_eur"] == 50_000.0
    assert firms.loc["F3", "employees"] == 3.0
    assert str(firms["employees"].dtype) == "Float64"


def test_ateco_class_is_the_mode_at_class_level(firms):
    # 62.20.01 and 62.20.02 are one class (62.20), which beats 62.10 twice to once
    assert firms.loc["F1", "ateco_2025"] == "62.20"
    assert firms.loc["F1", "ateco_2025_title"] == title_2025("62.20")
    assert pd.isna(firms.loc["F2", "ateco_2025"])


def test_directory_classes_and_size(firms):
    assert firms.loc["F1", "employees_class"] == "10-19"
    assert firms.loc["F1", "production_class"] == "A"  # A and B once each: alphabetical
    assert firms.loc["F1", "capital_class"] == "x"
    assert firms.loc["F1", "size_class"] == "small"  # 15 persons, 3 M EUR
    assert firms.loc["F3", "size_class"] == "small"  # 3 persons but 3 M EUR turnover: turnover counts too
    assert pd.isna(firms.loc["F2", "employees_class"])


def test_partner_type_votes_from_every_source(firms):
    assert firms.loc["F1", "partner_type"] == "reseller"  # survey + roster twice vs directory's isv once
    assert firms.loc["F1", "partner_type_votes"] == "reseller:2;isv:1"
    assert firms.loc["F2", "partner_type_votes"] == "distributor:1;isv:1"


def test_mode_by_firm_order_of_rules():
    values = pd.DataFrame({"firm_id": ["A", "A", "A", "B", "B", "C"],
                           "x": ["q", "p", "p", "z", "y", NA], "priority": [0, 3, 4, 2, 2, 0]})
    mode = _mode_by_firm(values, "x")
    assert mode.to_dict() == {"A": "p", "B": "y"}  # C has no value
    tie = pd.DataFrame({"firm_id": ["A", "A", "B", "B"], "x": ["a", "b", "b", "a"], "priority": [1, 0, 0, 1],
                        "other": [NA, 1, NA, NA]})
    assert _mode_by_firm(tie, "x").to_dict() == {"A": "b", "B": "b"}  # the authoritative value, not "a"


def test_declared_votes_most_first_then_alphabetical():
    declared = pd.DataFrame({"firm_id": ["A"] * 4 + ["B"], "partner_type_declared": ["msp", "isv", "isv", "var", NA]})
    votes = declared_votes(declared)
    assert votes.to_dict() == {"A": "isv:2;msp:1;var:1"}


def test_without_comune_or_province_a_stated_region_places_the_firm(inputs):
    linked, directory, survey, roster = inputs
    linked = linked.copy()
    stated = ["region_declared", "macro_area_declared", "nuts2_declared"]
    puglia = ("Puglia", "Sud", "ITF4")
    # F4 has no geography but a source states its region; F3's record states the same region, but F3's
    # comune code decides F3's place (the stated region is only a fallback), and the two records
    # stating Puglia must not make the region's lookup ambiguous
    for firm in ("F4", "F3"):
        linked.loc[linked["firm_id"].eq(firm), stated] = puglia
    firms = resolve_firms(linked, directory, survey, roster).set_index("firm_id")
    assert tuple(firms.loc["F4", ["region", "macro_area", "nuts2"]]) == puglia
    assert firms.loc["F4", ["istat_code", "comune", "province"]].isna().all()
    assert tuple(firms.loc["F3", ["province", "region", "macro_area", "nuts2"]]) == NAPOLI[2:]


# --- the vectorised helpers against the plain pandas / Python rules they replace ----------------------

def _mode_reference(values: pd.DataFrame, column: str) -> pd.Series:
    v = values[["firm_id", column, "priority"]].dropna(subset=[column])
    counts = v.groupby(["firm_id", column], sort=False).agg(n=("priority", "size"), best=("priority", "min"))
    counts = counts.reset_index().sort_values(["firm_id", "n", "best", column], ascending=[True, False, True, True])
    return counts.drop_duplicates("firm_id").set_index("firm_id")[column]


def _joined_reference(firm_id: pd.Series, text: pd.Series, distinct_sorted: bool) -> dict:
    groups: dict = {}
    for firm, value in zip(firm_id.tolist(), text.tolist(), strict=True):
        groups.setdefault(firm, []).append(value)
    return {f: ";".join(sorted(set(v)) if distinct_sorted else v) for f, v in groups.items()}


ROWS = st.lists(st.tuples(st.sampled_from(["F2", "F10", "F1", "G"]), st.sampled_from(["b", "a", "ab", "B", None]),
                          st.integers(0, 3)), min_size=0, max_size=25)


@settings(max_examples=150, deadline=None)
@given(rows=ROWS)
def test_mode_by_firm_matches_the_groupby_rule(rows):
    values = pd.DataFrame(rows, columns=["firm_id", "x", "priority"]).astype({"firm_id": "str", "x": "str"})
    got, expected = _mode_by_firm(values, "x"), _mode_reference(values, "x")
    assert got.to_dict() == expected.to_dict()
    assert got.index.tolist() == expected.index.tolist()  # sorted by firm


@settings(max_examples=150, deadline=None)
@given(rows=ROWS, distinct_sorted=st.booleans())
def test_joined_by_firm_matches_the_row_loop(rows, distinct_sorted):
    frame = pd.DataFrame(rows, columns=["firm_id", "x", "priority"]).fillna("z")
    got = joined_by_firm(frame["firm_id"], frame["x"], distinct_sorted=distinct_sorted)
    expected = _joined_reference(frame["firm_id"], frame["x"], distinct_sorted)
    assert got.to_dict() == expected
    assert got.index.tolist() == list(expected)  # firms in order of first appearance


@pytest.mark.parametrize("distinct_sorted", [False, True])
def test_joined_by_firm_refuses_a_missing_text(distinct_sorted):
    """A missing text has no place in a joined list: sorted, it used to be joined to the firm before its own."""
    with pytest.raises(ValueError, match="^joined_by_firm: a text is missing; drop the rows without one first$"):
        joined_by_firm(pd.Series(["f", "g", "g"]), pd.Series(["a", None, "b"]), distinct_sorted=distinct_sorted)


def test_joined_by_firm_with_the_separator_in_a_text():
    got = joined_by_firm(pd.Series(["f", "g", "f"]), pd.Series(["a\x00b", "c", "d"]))
    assert got.to_dict() == {"f": "a\x00b;d", "g": "c"}


@settings(max_examples=100, deadline=None)
@given(rows=ROWS)
def test_first_of_and_the_sorted_order_match_sort_and_drop_duplicates(rows):
    frame = pd.DataFrame(rows, columns=["firm_id", "x", "priority"]).astype({"firm_id": "str", "x": "str"})
    order = _sorted_order(frame, ["x", "priority"])
    expected = frame.sort_values(["x", "priority"])
    assert order.tolist() == [frame.index.get_loc(i) for i in expected.index]
    got = _first_of(frame, order, "x")
    assert got.index.tolist() == expected.dropna(subset=["x"]).drop_duplicates("x").index.tolist()
    both = _first_of(frame, _sorted_order(frame, ["firm_id"]), "firm_id", "x")
    ref = frame.sort_values(["firm_id"]).dropna(subset=["firm_id", "x"]).drop_duplicates("firm_id")
    assert both.index.tolist() == ref.index.tolist()


# --- hand-made cases for the vectorised helpers' own contract (each kills mutants the property tests miss) ---

def test_joined_by_firm_keeps_a_missing_firm_as_its_own_group():
    # use_na_sentinel=False: a record without a firm is grouped (last here, by first appearance), not dropped
    got = joined_by_firm(pd.Series(["f", NA, "f"], dtype="str"), pd.Series(["a", "b", "c"]))
    assert got.tolist() == ["a;c", "b"]
    assert got.index[0] == "f" and pd.isna(got.index[1])


def test_joined_by_firm_joins_in_one_pass_without_the_per_firm_fallback(monkeypatch):
    # without a NUL in any text the fast path must give every firm's text itself: the groupby fallback
    # (always right, but a Python loop per firm) would hide a wrong split of the joined string
    def no_groupby(*args, **kwargs):
        raise AssertionError("the per-firm groupby fallback ran")

    monkeypatch.setattr(pd.Series, "groupby", no_groupby)
    firm_id, text = pd.Series(["g", "f", "g", "h", "f"]), pd.Series(["c", "e", "a", "d", "b"])
    assert joined_by_firm(firm_id, text).to_dict() == {"g": "c;a", "f": "e;b", "h": "d"}
    assert joined_by_firm(firm_id, text, distinct_sorted=True).to_dict() == {"g": "a;c", "f": "b;e", "h": "d"}
    assert joined_by_firm(firm_id[:1], text[:1]).to_dict() == {"g": "c"}


def test_sorted_order_without_columns_keeps_the_rows_in_place():
    assert _sorted_order(pd.DataFrame({"f": ["b", "a", "c"]}), []).tolist() == [0, 1, 2]


def test_mode_by_firm_keeps_the_column_name_and_dtype_and_names_the_firm_index():
    values = pd.DataFrame({"firm_id": ["B", "A", "B"], "size": pd.array([3, 5, 3], dtype="Int64"),
                           "priority": [0, 0, 1]})
    mode = _mode_by_firm(values, "size")
    assert mode.to_dict() == {"A": 5, "B": 3}
    assert (mode.name, mode.index.name, str(mode.dtype)) == ("size", "firm_id", "Int64")


def test_declared_votes_sorted_by_firm():
    declared = pd.DataFrame({"firm_id": ["B", "A", "B"], "partner_type_declared": ["isv", "msp", "isv"]})
    assert declared_votes(declared).index.tolist() == ["A", "B"]


def test_province_reference_is_the_first_record_of_that_province_not_of_its_region(inputs):
    # A sits in Salerno, a Campania province ordered before Napoli; B only states the province NA, whose
    # region must come from C's Napoli record (a lookup by region's first record would only know SA)
    salerno = ("065116", "Salerno", "SA", "Campania", "Sud", "ITF3")
    linked = pd.DataFrame([_record("A", 0, "dir", 1, NA, "A", "A", NA, salerno),
                           _record("B", 0, "dir", 2, NA, "B", "B", NA, (NA, NA, "NA", NA, NA, NA)),
                           _record("C", 0, "dir", 3, NA, "C", "C", NA, NAPOLI)])
    _, directory, survey, roster = inputs
    firms = resolve_firms(linked, directory, survey, roster).set_index("firm_id")
    assert tuple(firms.loc["B", ["province", "region", "macro_area", "nuts2"]]) == ("NA", "Campania", "Sud", "ITF3")
    assert firms.loc["A", "province"] == "SA" and firms.loc["C", "province"] == "NA"
