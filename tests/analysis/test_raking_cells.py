"""Raking's calibration cells, collapsing, reports and input checks, on cases worked out by hand.

Each test pins one decision of :mod:`channelstudy.analysis.raking` whole (exact notes, labels,
orders and messages), so that a plausible wrong version of the rule gives a different result.
"""

from __future__ import annotations

import pandas as pd
import pytest

from channelstudy.analysis.raking import RakingConfig, WeightsWarning, population_margins, rake
from channelstudy.errors import RakingError

SIZES = ("s", "m", "l")
ONE = RakingConfig(min_cell=1, trim_ratio=None)


def sizes(values, categories=SIZES) -> pd.Categorical:
    return pd.Categorical(list(values), categories=list(categories), ordered=True)


def size_margin(counts: dict[str, float], categories=SIZES) -> pd.Series:
    index = pd.CategoricalIndex(list(counts), categories=list(categories), ordered=True, name="size")
    return pd.Series(list(counts.values()), index=index, dtype="float64")


def kind_margin(counts: dict[str, float], name: str = "kind") -> pd.Series:
    return pd.Series(counts, dtype="float64").rename_axis(name)


def rake_sizes(respondents: dict[str, int], population: dict[str, float], min_cell: int, categories=SIZES):
    sample = pd.DataFrame({"size": sizes("".join(k * n for k, n in respondents.items()), categories)})
    return rake(sample, {"size": size_margin(population, categories)},
                config=RakingConfig(min_cell=min_cell, trim_ratio=None))


# --- collapsing along the ordered dimension ------------------------------------------------------


def test_a_thin_cell_merges_with_its_thinner_neighbour_on_the_left():
    # m (1 respondent) between s (2) and l (3): merged with s, the neighbour with fewer respondents
    result = rake_sizes({"s": 2, "m": 1, "l": 3}, {"s": 30, "m": 10, "l": 60}, min_cell=2)
    assert result.collapsed_cells == ("size: m (1 respondents) merged with s (2) into s+m",)
    assert result.thin_cells == ()
    assert result.weights.round(9).tolist() == [round(40 / 3, 9)] * 3 + [20.0] * 3
    assert result.cells["cell"].tolist() == ["s+m", "l"]
    assert result.cells["n"].tolist() == [3, 3]
    assert result.cells["target"].tolist() == [40.0, 60.0]


def test_the_thinnest_deficient_cell_merges_first():
    # a (2) and c (1) are both under 3: c goes first (with b, tie with d -> the lower level), then a with b+c
    levels = ("a", "b", "c", "d")
    result = rake_sizes({"a": 2, "b": 5, "c": 1, "d": 5}, dict.fromkeys(levels, 25.0), min_cell=3,
                        categories=levels)
    assert result.collapsed_cells == (
        "size: c (1 respondents) merged with b (5) into b+c",
        "size: a (2 respondents) merged with b+c (6) into a+b+c",
    )
    assert result.cells["cell"].tolist() == ["a+b+c", "d"]


def test_two_cells_collapse_into_one():
    result = rake_sizes({"s": 1, "l": 5}, {"s": 50, "l": 50}, min_cell=2, categories=("s", "l"))
    assert result.collapsed_cells == ("size: s (1 respondents) merged with l (5) into s+l",)
    assert result.cells["cell"].tolist() == ["s+l"] and result.thin_cells == ()
    assert result.weights.tolist() == pytest.approx([100 / 6] * 6)


def test_a_thin_cell_of_one_unit_is_deficient_too():
    # population 1 is a population: s (1 respondent < 2) merges with l
    result = rake_sizes({"s": 1, "l": 5}, {"s": 1, "l": 99}, min_cell=2, categories=("s", "l"))
    assert result.collapsed_cells == ("size: s (1 respondents) merged with l (5) into s+l",)
    assert result.cells["target"].tolist() == [100.0]


def test_respondents_in_a_cell_without_population_are_merged_even_with_min_cell_one():
    # no firm of size m in the frame, one respondent says m: merged with s (tie with l -> the lower level)
    result = rake_sizes({"s": 2, "m": 1, "l": 2}, {"s": 40, "l": 60}, min_cell=1)
    assert result.collapsed_cells == ("size: m (1 respondents) merged with s (2) into s+m",)
    assert result.weights.tolist() == pytest.approx([40 / 3] * 3 + [30.0] * 2)


def test_a_cell_without_population_but_many_respondents_is_merged():
    result = rake_sizes({"s": 2, "m": 6, "l": 9}, {"s": 40, "l": 60}, min_cell=2)
    assert result.collapsed_cells == ("size: m (6 respondents) merged with s (2) into s+m",)


# --- cells that cannot be merged ------------------------------------------------------------------


CROSSED = pd.DataFrame({"kind": list("aaab"), "size": sizes("slls")})


def crossed_margin(counts: dict[tuple[str, str], float]) -> dict[str, pd.Series]:
    kinds, levels = zip(*counts, strict=True)
    index = pd.MultiIndex.from_arrays([list(kinds), sizes(levels)], names=["kind", "size"])
    return {"kind x size": pd.Series(list(counts.values()), index=index, dtype="float64")}


def test_respondents_alone_in_a_stratum_without_population_raise_naming_the_cell():
    margins = crossed_margin({("a", "s"): 40.0, ("a", "l"): 60.0})
    message = ("margin 'kind x size': 1 respondents in cell b x s, which has no population; "
               "drop them from the sample or fix the frame")
    with pytest.raises(RakingError, match=f"^{message}$"):
        rake(CROSSED, margins, config=ONE)


def test_a_thin_cell_alone_in_its_stratum_is_reported_with_its_full_label():
    margins = crossed_margin({("a", "s"): 30.0, ("a", "l"): 60.0, ("b", "s"): 10.0})
    result = rake(CROSSED, margins, config=RakingConfig(min_cell=2, trim_ratio=None))
    # a x s (1) merges with a x l (2), so the stratum a is one cell; b x s is alone in b: kept, thin
    assert result.thin_cells == ("kind x size: b x s has 1 respondents (< 2)",)
    assert result.collapsed_cells == ("kind x size: a x s (1 respondents) merged with a x l (2) into a x s+l",)
    assert result.cells["cell"].tolist() == ["a x s+l", "b x s"]


def test_strata_are_in_the_order_of_their_values_not_of_their_smallest_level():
    # stratum a has no s cell, so the first cell in level order is b x s; the cells still list a first
    sample = pd.DataFrame({"kind": list("abb"), "size": sizes("lsl")})
    margins = crossed_margin({("a", "l"): 20.0, ("b", "s"): 30.0, ("b", "l"): 50.0})
    result = rake(sample, margins, config=ONE)
    assert result.cells["cell"].tolist() == ["a x l", "b x s", "b x l"]
    assert result.weights.tolist() == [20.0, 30.0, 50.0]


def test_a_population_cell_of_one_unit_without_respondents_raises():
    sample = pd.DataFrame({"kind": list("bb")})
    with pytest.raises(RakingError, match=r"^margin 'kind': population cell a \(1 units\) has no respondents"):
        rake(sample, {"kind": kind_margin({"a": 1.0, "b": 99.0})}, config=ONE)


def test_a_zero_population_cell_without_respondents_is_left_out():
    sample = pd.DataFrame({"kind": list("ab")})
    result = rake(sample, {"kind": kind_margin({"a": 50.0, "b": 50.0, "c": 0.0})}, config=ONE)
    assert result.converged and result.weights.tolist() == [50.0, 50.0]
    assert result.cells["cell"].tolist() == ["a", "b"]


def test_a_population_cell_of_one_unit_with_a_respondent_is_calibrated():
    sample = pd.DataFrame({"kind": list("ab")})
    result = rake(sample, {"kind": kind_margin({"a": 1.0, "b": 9.0})}, config=ONE)
    assert result.weights.tolist() == [1.0, 9.0]


def test_notes_of_every_margin_are_kept():
    sample = pd.DataFrame({"size": sizes("sslll"), "area": list("nnnns")})
    margins = {"size": size_margin({"s": 20, "m": 10, "l": 70}), "area": kind_margin({"n": 60, "s": 40}, "area")}
    result = rake(sample, margins, config=RakingConfig(min_cell=2, trim_ratio=None))
    # the first margin merges (m has no respondent), the second has a thin cell
    assert result.collapsed_cells == ("size: m (0 respondents) merged with s (2) into s+m",)
    assert result.thin_cells == ("area: s has 1 respondents (< 2)",)
    reverse = rake(sample, dict(reversed(margins.items())), config=RakingConfig(min_cell=2, trim_ratio=None))
    assert reverse.thin_cells == result.thin_cells and reverse.collapsed_cells == result.collapsed_cells


# --- the reports ---------------------------------------------------------------------------------


def test_cells_report_and_summary_are_complete():
    sample = pd.DataFrame({"size": sizes("ssmll"), "area": list("nnsns")})
    margins = {"size": size_margin({"s": 20, "m": 10, "l": 70}), "area": kind_margin({"n": 60, "s": 40}, "area")}
    result = rake(sample, margins, config=RakingConfig(min_cell=2, trim_ratio=None))
    assert result.weights.name == "weight"
    cells = result.cells
    assert list(cells.columns) == ["margin", "cell", "n", "target", "weighted", "rel_error"]
    assert cells.index.tolist() == [0, 1, 2, 3]
    assert cells["margin"].tolist() == ["size", "size", "area", "area"]
    assert cells[["cell", "n", "target"]].values.tolist() == [["s+m", 3, 30.0], ["l", 2, 70.0],
                                                            ["n", 3, 60.0], ["s", 2, 40.0]]
    summary = result.summary()
    w = result.weights
    assert summary == {
        "n": 5, "n_excluded": 0, "population_total": 100.0, "converged": True,
        "iterations": result.iterations, "max_margin_error": result.max_margin_error, "trimmed": 0,
        "max_weight_ratio": result.max_weight_ratio, "cap_met": True, "deff_kish": result.deff_kish,
        "n_effective": result.n_effective, "weight_min": w.min(), "weight_median": w.median(),
        "weight_max": w.max(), "collapsed_cells": "size: m (1 respondents) merged with s (2) into s+m",
        "thin_cells": "",
    }
    thin = rake(sample, margins, config=RakingConfig(min_cell=3, trim_ratio=None, collapse=False))
    assert thin.summary()["thin_cells"] == (  # not collapsing: cells in the order of their values
        "size: l has 2 respondents (< 3); size: m has 1 respondents (< 3); size: s has 2 respondents (< 3); "
        "area: s has 2 respondents (< 3)"
    )
    merged_twice = rake_sizes({"s": 1, "m": 3, "l": 1}, {"s": 20, "m": 10, "l": 70}, min_cell=2)
    assert merged_twice.summary()["collapsed_cells"] == (
        "size: s (1 respondents) merged with m (3) into s+m; size: l (1 respondents) merged with s+m (4) into s+m+l"
    )


def test_a_sample_indexed_by_a_dimension_name_rakes():
    sample = pd.DataFrame({"kind": list("ab")}).set_index(pd.Index(["x", "y"], name="kind"))
    result = rake(sample, {"kind": kind_margin({"a": 30.0, "b": 70.0})}, config=ONE)
    assert result.weights.to_dict() == {"x": 30.0, "y": 70.0}


# --- input checks ----------------------------------------------------------------------------------


KINDS = pd.DataFrame({"kind": list("ab")})


@pytest.mark.parametrize(
    ("margins", "error", "message"),
    [
        ({}, ValueError, "^margins is empty$"),
        ({"kind": {"a": 1.0}}, TypeError, "margin 'kind' must be a Series of counts, got dict"),
        ({"kind": kind_margin({"a": 1.0, "b": 1.0}), "area": kind_margin({"n": 2.0}, "area")}, KeyError,
         r"margin 'area': sample lacks the columns \['area'\]"),
        ({"kind": kind_margin({"a": 60.0, "b": -10.0})}, ValueError, "margin 'kind': counts must be finite and non-negative"),
        ({"kind": kind_margin({"a": 60.0, "b": float("inf")})}, ValueError, "counts must be finite"),
        ({"kind": pd.Series([1.0, 1.0], index=pd.Index(["a", "a"], name="kind"))}, ValueError,
         "margin 'kind': repeated cells"),
        ({"kind": kind_margin({"a": 0.0, "b": 0.0})}, ValueError, "^margins total zero$"),
    ],
)
def test_malformed_margins_are_refused_with_their_reason(margins, error, message):
    with pytest.raises(error, match=message):
        rake(KINDS, margins, config=ONE)


def test_margins_given_as_objects_and_within_tol_of_each_other_are_accepted():
    as_objects = kind_margin({"a": 30.0, "b": 70.0}).astype(object)
    assert rake(KINDS, {"kind": as_objects}, config=ONE).weights.tolist() == [30.0, 70.0]
    # totals 100 and 150 differ by exactly tol = 0.5: accepted
    margins = {"kind": kind_margin({"a": 50.0, "b": 50.0}),
               "area": kind_margin({"n": 75.0, "s": 75.0}, "area")}
    sample = pd.DataFrame({"kind": list("ab"), "area": list("ns")})
    result = rake(sample, margins, config=RakingConfig(min_cell=1, trim_ratio=None, tol=0.5))
    assert result.population_total == 100.0


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ([1.0, 2.0, 3.0], r"^base_weights has shape \(3,\), the sample 2 rows$"),
        ([1.0, 0.0], "^base_weights must be positive and finite$"),
        ([1.0, float("nan")], "^base_weights must be positive and finite$"),
        (pd.Series([1.0, 1.0], index=[5, 6]), "^base_weights must be on the sample's index$"),
    ],
)
def test_bad_base_weights_are_refused(base, message):
    with pytest.raises(ValueError, match=message):
        rake(KINDS, {"kind": kind_margin({"a": 30.0, "b": 70.0})}, base_weights=base, config=ONE)


def test_base_weights_on_the_sample_index_or_as_objects_are_read():
    margins = {"kind": kind_margin({"a": 30.0, "b": 70.0})}
    on_index = pd.Series([1.0, 3.0], index=KINDS.index)
    assert rake(KINDS, margins, base_weights=on_index, config=ONE).weights.tolist() == [30.0, 70.0]
    as_objects = pd.Series([1, 3], index=KINDS.index, dtype=object)
    assert rake(KINDS, margins, base_weights=as_objects, config=ONE).weights.tolist() == [30.0, 70.0]


def test_a_sample_without_a_complete_row_is_refused():
    sample = pd.DataFrame({"kind": [None, None]}, dtype=object)
    with pytest.raises(RakingError, match="^no sample row has every raking dimension$"):
        rake(sample, {"kind": kind_margin({"a": 30.0, "b": 70.0})}, config=ONE)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_iter": 0}, ValueError, "^max_iter must be a positive integer, got 0$"),
        ({"min_cell": True}, ValueError, "^min_cell must be a positive integer, got True$"),
        ({"tol": 0}, ValueError, "^tol must be a positive finite number, got 0$"),
        ({"trim_ratio": 1.0}, ValueError, "^trim_ratio must be None or a finite number above 1, got 1.0$"),
        ({"collapse": 1}, TypeError, "^collapse must be a bool, got 1$"),
    ],
)
def test_raking_config_messages(kwargs, error, message):
    with pytest.raises(error, match=message):
        RakingConfig(**kwargs)


# --- population_margins ----------------------------------------------------------------------------


def test_population_margins_messages():
    frame = pd.DataFrame({"kind": ["a"]})
    with pytest.raises(ValueError, match="^dimensions is empty$"):
        population_margins(frame, [])
    with pytest.raises(KeyError, match=r"frame lacks the dimension columns \['area'\]"):
        population_margins(frame, ["kind", "area"])


def test_population_margins_warning_counts_the_incomplete_rows_and_points_outside():
    frame = pd.DataFrame({"kind": ["a", "b", None]})
    with pytest.warns(WeightsWarning) as record:
        population_margins(frame, ["kind"])
    assert [str(w.message) for w in record] == [
        "1 of 3 frame rows miss a raking dimension and are left out of every margin"
    ]
    # it points at a caller, not at raking.py (the caller itself, or mutmut's trampoline under mutation testing)
    assert not record[0].filename.endswith("raking.py")


def test_population_margins_are_named_sorted_float_counts_of_observed_cells():
    frame = pd.DataFrame({"kind": list("bab"), "size": sizes("lls")})
    margins = population_margins(frame, ["kind", "size"])
    assert margins["kind"].name == "kind" and margins["kind"].dtype == "float64"
    assert margins["kind"].index.tolist() == ["a", "b"]  # sorted, not in order of appearance
    assert margins["size"].to_dict() == {"s": 1.0, "l": 2.0}  # no zero cell for the unused level m
