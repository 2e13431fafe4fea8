"""Hand-worked cases that kill surviving mutants of channelstudy.build.link (``make mutation``).

Each test names the rule it pins and works its expected result out by hand; the mutants it was
written against are listed in its docstring (the equivalent survivors are explained in
tests/mutation_reasons.csv instead).
"""

from __future__ import annotations

import pandas as pd

from channelstudy.build.link import LinkConfig, link_records, pairwise_quality


def _records(rows: list[tuple]) -> pd.DataFrame:
    """Records from ``(source, record_id, vat, name_key, province, legal_form)`` tuples, in row order."""
    frame = pd.DataFrame(rows, columns=["source", "record_id", "vat", "name_key", "province", "legal_form"])
    frame = frame.astype("string")
    frame.insert(2, "row_number", range(1, len(frame) + 1))
    frame["comune"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


def test_unique_keys_whose_codes_collide_under_division_are_accepted() -> None:
    """``(source, record_id)`` is checked as ``source_code * n_ids + record_code``, a one-to-one code.

    Sources a, b, c get codes 0, 1, 2 and ids x, y codes 0, 1 (``n_ids = 2``).  The four keys are
    distinct, so linking must not raise.  Dividing instead of multiplying
    (``source_code / n_ids + record_code``, mutant ``x__check_input__mutmut_31``) maps (a, y) to
    ``0 / 2 + 1 = 1`` and (c, x) to ``2 / 2 + 0 = 1``: a false "must be unique" error.
    """
    records = _records([
        ("a", "x", None, "ALFA", "MI", None),
        ("a", "y", None, "BETA", "MI", None),
        ("b", "x", None, "GAMMA", "MI", None),
        ("c", "x", None, "DELTA", "MI", None),
    ])
    linked = link_records(records)
    assert linked["firm_id"].nunique() == 4


def test_the_legal_form_guard_holds_with_64_families() -> None:
    """Above 62 legal-form families the bitmasks are Python integers (an int64 has no bit 63 to spare).

    64 families F00 ... F63 take codes 0 ... 63 (first appearance in the stable order: rows in
    order, one source).  In province MI, "ROSSI INFORMATICA" (F00) and "ROSSI INFORMATIKA" (F63)
    score ``1 - 2 / 34 = 0.941`` with disjoint forms: refused below the default
    ``legal_form_conflict_threshold`` 1.0.  In RM, "BIANCHI SISTEMI" and "BIANCHI SISTEMA" (both
    F01) score ``1 - 2 / 30 = 0.933`` with a shared form: merged by name.  The 61 other families sit on
    records alone in their own province.  Building the masks as ``np.array(..., dtype=None)``
    (mutants ``xǁ_GuardedClustersǁ__init____mutmut_58`` and ``_60``) makes ``1 << 63`` a float64
    array, and OR-ing floats into the integer masks fails.
    """
    rows = [
        ("s", "0", None, "ROSSI INFORMATICA", "MI", "F00"),
        ("s", "1", None, "BIANCHI SISTEMI", "RM", "F01"),
        ("s", "2", None, "BIANCHI SISTEMA", "RM", "F01"),
    ]
    rows += [("s", f"alone{k}", None, f"ALONE {k:02d}", f"P{k:02d}", f"F{k:02d}") for k in range(2, 63)]
    rows.append(("s", "63", None, "ROSSI INFORMATIKA", "MI", "F63"))
    records = _records(rows)
    assert records["legal_form"].nunique() == 64
    linked = link_records(records).set_index("record_id")
    assert linked.loc["0", "firm_id"] != linked.loc["63", "firm_id"]
    assert linked.loc["1", "firm_id"] == linked.loc["2", "firm_id"]
    assert linked.loc["2", "match_method"] == "name_geo"
    assert round(float(linked.loc["2", "match_score"]), 4) == round(1 - 2 / 30, 4)
    assert linked["firm_id"].nunique() == 64


def test_pairwise_quality_compares_labels_as_objects() -> None:
    """Labels are compared as Python objects: the integer 1 and the string "1" are two clusters.

    With plain lists, numpy alone would turn ``[1, "1"]`` into the strings ``["1", "1"]`` (one
    cluster, one predicted pair); as objects there is no predicted pair, so precision is 1.0 by
    convention and recall 0 of 1 true pair (mutants ``x_pairwise_quality__mutmut_8`` and ``_10``).
    The same for the true labels (``_14``, ``_16``): ``[2, "2"]`` is two true clusters, so the one
    predicted pair is wrong and there is no true pair.
    """
    q = pairwise_quality([1, "1"], ["a", "a"])
    assert (q["n_pairs_predicted"], q["n_pairs_true"], q["n_pairs_correct"]) == (0, 1, 0)
    assert (q["precision"], q["recall"]) == (1.0, 0.0)
    q = pairwise_quality(["a", "a"], [2, "2"])
    assert (q["n_pairs_predicted"], q["n_pairs_true"], q["n_pairs_correct"]) == (1, 0, 0)
    assert (q["precision"], q["recall"], q["f1"]) == (0.0, 1.0, 0.0)


def test_the_exact_name_pass_runs_on_records_without_any_name_key() -> None:
    """With ``exact_name_key_without_block=True`` and no name key at all, the second pass has no entry.

    Its candidate entry pairs must then be empty: the two records sharing a VAT are one firm
    (``vat``), the third is alone.  A stray entry pair (``np.empty(1, ...)`` instead of
    ``np.empty(0, ...)`` for either side, mutants ``x__name_edges__mutmut_35`` and ``_40``) points
    into the entry tables of the ambiguity rule, which have no row here: an IndexError.
    """
    records = _records([
        ("s", "1", "01234567890", None, "MI", None),
        ("s", "2", "01234567890", None, None, None),
        ("s", "3", "09876543210", None, "MI", None),
    ])
    linked = link_records(records, LinkConfig(exact_name_key_without_block=True))
    assert linked["firm_id"].tolist() == ["F000001", "F000001", "F000002"]
    assert linked["match_method"].tolist() == ["new", "vat", "new"]
    assert linked["matched_to"].tolist() == [pd.NA, "s:1", pd.NA]
