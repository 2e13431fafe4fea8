"""The linker's two edge levels and length window (channelstudy.build.link_blocks), on hand-made cases.

Below score 1.0 the linker keeps one edge per entry pair and pair of clusters (after the score-1.0
edges) unless the legal-form guard could refuse it and accept a later one; ``fuzz.ratio`` is scored
only on pairs whose lengths allow the threshold.  Scores by hand: "ROSSI INFORMATICA" (17 letters)
against "ROSSI INFORMATIKA" or "ROSSI INFORMATICB" (one letter changed) is ``1 - 2 / 34 = 0.9412``
(the two changed names score ``1 - 4 / 34 = 0.882``, below 0.92).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from channelstudy.build import link_blocks
from channelstudy.build.link import LinkConfig, link_records

SCORE = 1 - 2 / 34
FORM_FLOOR = 1.0 - 1e-8  # LinkConfig's default legal_form_conflict_threshold less the tolerance


def _records(rows: list[tuple]) -> pd.DataFrame:
    """One source, node = row order: rows of (vat, name, province, legal form)."""
    frame = pd.DataFrame(rows, columns=["vat", "name_key", "province", "legal_form"]).astype("string")
    frame.insert(0, "source", "s")
    frame.insert(1, "record_id", [str(i) for i in range(len(frame))])
    frame.insert(2, "row_number", range(1, len(frame) + 1))
    frame["comune"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


def test_a_form_refusal_does_not_stand_for_the_later_edges_between_the_same_clusters() -> None:
    # P = nodes 0, 3 (ROSSI INFORMATICA, SRL), Q = nodes 1, 4 (ROSSI INFORMATIKA, SPA), R = node 2 with node 5
    # (one VAT: SRL and SPA).  At 0.9412, in node order: (0, 1) P-Q refused (SRL vs SPA), (0, 2) P-R
    # accepted (SRL shared), (0, 4) P+R-Q accepted (SPA shared now).  Keeping only (0, 1) for P-Q would
    # leave Q apart.
    records = _records([
        (None, "ROSSI INFORMATICA", "MI", "SRL"),
        (None, "ROSSI INFORMATIKA", "MI", "SPA"),
        ("01234567890", "ROSSI INFORMATICB", "MI", "SRL"),
        (None, "ROSSI INFORMATICA", "MI", None),
        (None, "ROSSI INFORMATIKA", "MI", None),
        ("01234567890", None, None, "SPA"),
    ])
    linked = link_records(records)
    assert linked["firm_id"].tolist() == ["F000001"] * 6
    assert linked["match_method"].tolist() == ["new", "name_geo", "name_geo", "name_geo", "name_geo", "vat"]
    assert linked["matched_to"].tolist() == [pd.NA, "s:4", "s:0", "s:0", "s:0", "s:2"]
    np.testing.assert_allclose(linked["match_score"].to_numpy(), [np.nan, 1.0, SCORE, 1.0, SCORE, 1.0])


def test_without_the_third_firm_the_form_guard_keeps_the_two_names_apart() -> None:
    records = _records([(None, "ROSSI INFORMATICA", "MI", "SRL"), (None, "ROSSI INFORMATIKA", "MI", "SPA"),
                        (None, "ROSSI INFORMATICA", "MI", None), (None, "ROSSI INFORMATIKA", "MI", None)])
    assert link_records(records)["firm_id"].tolist() == ["F000001", "F000002", "F000001", "F000002"]


def _plan(forms: list[str | None], names: list[str], vats: list[str | None] | None = None):
    """NameEdges of one block, its clusters after the top level, and their form bitmasks."""
    config = LinkConfig()
    records = _records([(None if vats is None else vats[i], name, "MI", form)
                        for i, (name, form) in enumerate(zip(names, forms, strict=True))])
    from channelstudy.build import link as L

    work = L._prepare(records, config)
    parent, _ = L._vat_parents(work)
    clusters = L._GuardedClusters(parent, work, config)
    plan = L._name_edges(work, parent, config)
    clusters.apply(*plan.top())
    return plan, clusters.roots(), clusters.form_array()


A, B = "ROSSI INFORMATICA", "ROSSI INFORMATIKA"


def test_clusters_sharing_a_form_keep_only_their_first_edge() -> None:
    # A: nodes 0, 2, 4 (one cluster after the star); B: nodes 1, 3 -> 6 combinations, first (0, 1)
    plan, roots, forms = _plan(["SRL", "SRL", None, None, "SRL"], [A, B, A, B, A])
    assert roots.tolist() == [0, 1, 0, 1, 0]
    a, b, score = plan.below_top(roots, forms, FORM_FLOOR)
    assert (a.tolist(), b.tolist()) == ([0], [1])
    np.testing.assert_allclose(score, [SCORE])


def test_clusters_with_disjoint_or_missing_forms_keep_every_combination_in_order() -> None:
    for forms in (["SRL", "SPA", None, None, "SRL"], [None, "SPA", None, None, None]):
        plan, roots, masks = _plan(forms, [A, B, A, B, A])
        a, b, _ = plan.below_top(roots, masks, FORM_FLOOR)
        assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 1), (0, 3), (1, 2), (1, 4), (2, 3), (3, 4)]


def test_a_score_at_the_form_floor_keeps_only_the_first_edge() -> None:
    plan, roots, masks = _plan(["SRL", "SPA", None, None, "SRL"], [A, B, A, B, A])
    score = plan.below_top(roots, masks, FORM_FLOOR)[2][0]
    assert score == pytest.approx(SCORE)
    a, b, _ = plan.below_top(roots, masks, score)  # the form guard refuses only below the floor
    assert (a.tolist(), b.tolist()) == ([0], [1])
    a, b, _ = plan.below_top(roots, masks, np.nextafter(score, 2))
    assert len(a) == 6


def test_members_of_one_cluster_never_get_an_edge_between_them() -> None:
    # the two VAT records of B share a VAT with A's: after the top level everything is one cluster
    plan, roots, masks = _plan([None] * 3, [A, B, A], vats=["01234567890", "01234567890", None])
    assert roots.tolist() == [0, 0, 0]
    assert len(plan.below_top(roots, masks, FORM_FLOOR)[0]) == 0


def test_the_top_level_holds_stars_and_entry_pairs_scoring_one() -> None:
    # "ROSSI NET" and "NET ROSSI" score 1.0 (token_sort_ratio): their combination is a top edge
    plan, roots, _ = _plan([None] * 3, ["ROSSI NET", "NET ROSSI", "ROSSI NET"])
    a, b, score = plan.top()
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 2)]
    assert score.tolist() == [1.0, 1.0, 1.0]


# --- the length window of fuzz.ratio -----------------------------------------------------------------


def _brute_force(strings: np.ndarray, cutoff: float) -> set[tuple[int, int, float]]:
    scores = process.cdist(strings, strings, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float64)
    return {(i, j, scores[i, j]) for i, j in zip(*np.nonzero(np.triu(scores >= cutoff, k=1)), strict=True)}


def test_a_pair_at_the_length_bound_is_still_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    # 11 and 13 letters, one a prefix of the other: ratio = 200 * 11 / 24 = 91.667, the most those lengths allow;
    # one row per chunk, so the 11-letter row's window must reach exactly 13 letters
    monkeypatch.setattr(link_blocks, "RATIO_ROWS", 1)
    strings = np.array(["ABCDEFGHIJKLM", "ABCDEFGHIJK", "ABCDEFGHIJKLMN"], dtype=object)
    cutoff = 200 * 11 / 24 - 1e-6
    i, j, score = link_blocks._ratio_pairs(strings, fuzz.ratio, cutoff)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1), (0, 2)]
    np.testing.assert_allclose(sorted(score), [200 * 11 / 24, 200 * 13 / 27])
    i, j, _ = link_blocks._ratio_pairs(strings, fuzz.ratio, 200 * 11 / 24 + 1e-6)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 2)]


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.text(alphabet="ABCR ", min_size=1, max_size=14), min_size=2, max_size=40, unique=True),
       threshold=st.sampled_from([0.5, 0.8, 0.92, 1.0]))
def test_the_length_window_finds_the_same_pairs_and_scores_as_the_whole_matrix(
    words: list[str], threshold: float
) -> None:
    strings = np.array(words, dtype=object)
    cutoff = threshold * 100 - 1e-6
    original = link_blocks.RATIO_ROWS
    try:
        link_blocks.RATIO_ROWS = 3  # several chunks, each with its own window
        i, j, score = link_blocks._ratio_pairs(strings, fuzz.ratio, cutoff)
    finally:
        link_blocks.RATIO_ROWS = original
    assert set(zip(i.tolist(), j.tolist(), score.tolist(), strict=True)) == _brute_force(strings, cutoff)


@pytest.mark.parametrize("scorer", [fuzz.ratio, fuzz.token_sort_ratio, fuzz.WRatio])
def test_similar_pairs_takes_the_best_scorer_per_pair_once(scorer) -> None:
    names = np.array(["ROSSI NET", "NET ROSSI", "ROSSI NETS", "BIANCHI"], dtype=object)
    i, j, score = link_blocks.similar_pairs(names, link_blocks.token_sorted(names), (fuzz.ratio, scorer), 0.9)
    expected = {(x, y): max(fuzz.ratio(names[x], names[y]), scorer(names[x], names[y])) / 100
                for x in range(4) for y in range(x + 1, 4)}
    expected = {k: v for k, v in expected.items() if v >= 0.9 - 1e-8}
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == sorted(expected)
    np.testing.assert_allclose(score, [expected[k] for k in sorted(expected)])


def test_the_linker_tries_one_edge_below_score_one_for_clusters_sharing_a_form(monkeypatch: pytest.MonkeyPatch) -> None:
    # A: nodes 0, 2, 4 (SRL); B: nodes 1, 3 (SRL): top level = stars (0, 2), (0, 4), (1, 3); below it only (0, 1)
    from channelstudy.build import link as L

    tried = []
    apply = L._GuardedClusters.apply

    def counting(self, a, b, score):
        tried.append(list(zip(a.tolist(), b.tolist(), strict=True)))
        return apply(self, a, b, score)

    monkeypatch.setattr(L._GuardedClusters, "apply", counting)
    records = _records([(None, A, "MI", "SRL"), (None, B, "MI", "SRL"), (None, A, "MI", None),
                        (None, B, "MI", None), (None, A, "MI", "SRL")])
    linked = link_records(records)
    assert tried == [[(0, 2), (0, 4), (1, 3)], [(0, 1)]]
    assert linked["matched_to"].tolist() == [pd.NA, "s:0", "s:0", "s:1", "s:0"]


def test_every_vat_less_record_of_an_ambiguous_name_stays_out_of_both_vat_firms() -> None:
    # two firms ROSSI INFORMATICA with their own VATs, and two VAT-less records of that name: the first
    # VAT-less record decides the ambiguity for the entry; neither joins a VAT firm, they join each other
    records = _records([("01234567890", A, "MI", None), ("00743110157", A, "MI", None),
                        (None, A, "MI", None), (None, A, "MI", None)])
    linked = link_records(records)
    assert linked["firm_id"].tolist() == ["F000001", "F000002", "F000003", "F000003"]
    assert linked["matched_to"].tolist() == [pd.NA, pd.NA, pd.NA, "s:2"]
