"""Each decision rule of the linker on a hand-made case, through the public API (link_records, LinkConfig).

Scores are ``max(ratio, token_sort_ratio) / 100`` (the default scorer); the ones used here:
"ROSSI INFORMATICA SISTEM" vs "... SISTEMI" 0.980, vs "ROSSI INFORMATIC SISTEMA" 0.958,
vs "ROSSI INFORMATIKA SISTEMA" 0.939; "BIANCHI SISTEMI" vs "BIANCHI SISTEM" 0.966;
"ALFA DATA" vs "ALFA DATI" 0.889 (below the default threshold 0.92).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelstudy.build.link import LinkConfig, link_records

VAT_A, VAT_B, VAT_C = "00743110157", "01234567890", "09876543210"


def _records(*rows: dict) -> pd.DataFrame:
    """Records from short dicts: ``key`` is ``source:record_id``; other columns default to missing."""
    out = []
    for i, row in enumerate(rows, start=1):
        source, record_id = row["key"].split(":")
        out.append({"source": source, "record_id": record_id, "row_number": row.get("row", i),
                    "vat": row.get("vat", pd.NA), "name_key": row.get("name", pd.NA),
                    "province": row.get("prov", "MI"), "comune": row.get("comune", pd.NA),
                    "legal_form": row.get("form", pd.NA), "priority": row.get("priority", 0)})
    return pd.DataFrame(out)


def _firm(linked: pd.DataFrame) -> dict[str, str]:
    keys = linked["source"] + ":" + linked["record_id"]
    return dict(zip(keys, linked["firm_id"], strict=True))


def _together(linked: pd.DataFrame, *keys: str) -> bool:
    firm = _firm(linked)
    return len({firm[k] for k in keys}) == 1


# --- VAT edges --------------------------------------------------------------------------------

def test_a_shared_vat_is_one_firm_whatever_the_names_and_provinces():
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA", "prov": "MI", "form": "SRL"},
        {"key": "s:1", "vat": VAT_A, "name": "ALFA DATA", "prov": "RM", "form": "SPA"},
        {"key": "s:2", "vat": VAT_A, "name": pd.NA, "prov": pd.NA},
    ))
    assert _together(linked, "d:1", "s:1", "s:2")
    assert linked["match_method"].tolist() == ["new", "vat", "vat"]
    assert linked["match_score"].iloc[1:].tolist() == [1.0, 1.0]


# --- name edges within a block ---------------------------------------------------------------

def test_similar_names_merge_within_a_block_only():
    linked = link_records(_records(
        {"key": "d:1", "name": "BIANCHI SISTEMI", "prov": "RM"},
        {"key": "s:1", "name": "BIANCHI SISTEM", "prov": "RM"},
        {"key": "s:2", "name": "BIANCHI SISTEM", "prov": "TO"},
    ))
    assert _together(linked, "d:1", "s:1")
    assert not _together(linked, "d:1", "s:2")
    row = linked.set_index("record_id").loc["1"].iloc[1]
    assert (row["match_method"], row["matched_to"]) == ("name_geo", "d:1")
    assert row["match_score"] == pytest.approx(0.9655, abs=1e-4)


def test_name_threshold_is_inclusive_and_respected():
    records = _records({"key": "d:1", "name": "BIANCHI SISTEMI"}, {"key": "s:1", "name": "BIANCHI SISTEM"})
    assert _together(link_records(records, LinkConfig(name_threshold=0.96)), "d:1", "s:1")
    assert not _together(link_records(records, LinkConfig(name_threshold=0.97)), "d:1", "s:1")
    below = _records({"key": "d:1", "name": "ALFA DATA"}, {"key": "s:1", "name": "ALFA DATI"})
    assert not _together(link_records(below), "d:1", "s:1")
    assert _together(link_records(below, LinkConfig(name_threshold=0.88)), "d:1", "s:1")


def test_block_on_comune():
    records = _records(
        {"key": "d:1", "name": "BIANCHI SISTEMI", "prov": "MI", "comune": "015146"},
        {"key": "s:1", "name": "BIANCHI SISTEM", "prov": "MI", "comune": "015999"},
    )
    assert _together(link_records(records), "d:1", "s:1")
    assert not _together(link_records(records, LinkConfig(block_on="comune")), "d:1", "s:1")


# --- the VAT guard ------------------------------------------------------------------------------

def test_identical_names_with_different_vats_stay_apart():
    records = _records(
        {"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA"},
        {"key": "d:2", "vat": VAT_B, "name": "ROSSI INFORMATICA"},
    )
    assert not _together(link_records(records), "d:1", "d:2")
    assert _together(link_records(records, LinkConfig(allow_vat_conflict_merge=True)), "d:1", "d:2")


def test_vat_guard_looks_at_the_whole_cluster():
    # s:1 (no VAT) joins d:1 (VAT A) by name; d:2 (VAT B) then may not join that cluster through s:1
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA SISTEMI"},
        {"key": "d:2", "vat": VAT_B, "name": "ROSSI INFORMATIKA SISTEMA"},
        {"key": "s:1", "name": "ROSSI INFORMATICA SISTEM"},
    ))
    assert _together(linked, "d:1", "s:1")
    assert not _together(linked, "d:2", "s:1")


def test_records_without_vat_may_join_each_other_and_one_vat():
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_A, "name": "BIANCHI SISTEMI"},
        {"key": "s:1", "name": "BIANCHI SISTEM"},
        {"key": "s:2", "name": "BIANCHI SISTEMI"},
    ))
    assert _together(linked, "d:1", "s:1", "s:2")


# --- the legal-form guard ---------------------------------------------------------------------

def test_disjoint_legal_forms_need_an_identical_name():
    similar = _records({"key": "d:1", "name": "BIANCHI SISTEMI", "form": "SRL"},
                       {"key": "s:1", "name": "BIANCHI SISTEM", "form": "SPA"})
    assert not _together(link_records(similar), "d:1", "s:1")
    assert _together(link_records(similar, LinkConfig(legal_form_conflict_threshold=0.92)), "d:1", "s:1")
    assert _together(link_records(similar, LinkConfig(legal_form_conflict_threshold=0.96)), "d:1", "s:1")
    assert not _together(link_records(similar, LinkConfig(legal_form_conflict_threshold=0.97)), "d:1", "s:1")
    # the threshold is met up to a tolerance of 1e-8 only: 3e-5 below it is a refusal
    assert not _together(link_records(similar, LinkConfig(legal_form_conflict_threshold=0.96555)), "d:1", "s:1")
    identical = _records({"key": "d:1", "name": "BIANCHI SISTEMI", "form": "SRL"},
                         {"key": "s:1", "name": "BIANCHI SISTEMI", "form": "SPA"})
    assert _together(link_records(identical), "d:1", "s:1")


@pytest.mark.parametrize(("form_a", "form_b"), [("SRL", "SRLS"), ("srl", "SRL"), ("SRL", "OTHER"), ("SRL", pd.NA),
                                                (pd.NA, pd.NA), (" SPA ", "SPA")])
def test_compatible_or_unknown_legal_forms_do_not_block(form_a, form_b):
    records = _records({"key": "d:1", "name": "BIANCHI SISTEMI", "form": form_a},
                       {"key": "s:1", "name": "BIANCHI SISTEM", "form": form_b})
    assert _together(link_records(records), "d:1", "s:1")


def test_legal_form_guard_compares_sets_overlap_not_equality():
    # d:1 and d:2 share a VAT: their firm is known as SRL and SPA (a conversion); s:1 (SRL) overlaps it
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_A, "name": "BIANCHI SISTEMI", "form": "SRL"},
        {"key": "d:2", "vat": VAT_A, "name": "BIANCHI SISTEMI", "form": "SPA"},
        {"key": "s:1", "name": "BIANCHI SISTEM", "form": "SRL"},
    ))
    assert _together(linked, "d:1", "d:2", "s:1")


def test_legal_form_guard_uses_the_forms_gathered_by_the_cluster():
    # s:1 (no form) joins d:1 (SPA) on an identical name; s:2 (SRL) is then disjoint from the cluster's {SPA}
    linked = link_records(_records(
        {"key": "d:1", "name": "BIANCHI SISTEMI", "form": "SPA"},
        {"key": "s:1", "name": "BIANCHI SISTEMI", "form": pd.NA},
        {"key": "s:2", "name": "BIANCHI SISTEM", "form": "SRL"},
    ))
    assert _together(linked, "d:1", "s:1")
    assert not _together(linked, "s:1", "s:2")


# --- order of name edges: best score first ----------------------------------------------------

def test_best_match_wins_over_an_earlier_record():
    # d:1 (VAT B) comes first in the stable order but matches s:1 worse (0.958) than d:2 (VAT A, 0.980)
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_B, "name": "ROSSI INFORMATIC SISTEMA"},
        {"key": "d:2", "vat": VAT_A, "name": "ROSSI INFORMATICA SISTEMI"},
        {"key": "s:1", "name": "ROSSI INFORMATICA SISTEM"},
    ))
    assert _together(linked, "d:2", "s:1")
    assert not _together(linked, "d:1", "s:1")
    assert linked.loc[2, "matched_to"] == "d:2"
    assert linked.loc[2, "match_score"] == pytest.approx(0.9796, abs=1e-4)


def test_best_match_wins_between_vatless_records_too():
    # without VATs the two candidates could chain; the legal forms keep them apart, so order decides
    linked = link_records(_records(
        {"key": "d:1", "name": "ROSSI INFORMATIC SISTEMA", "form": "SPA"},
        {"key": "d:2", "name": "ROSSI INFORMATICA SISTEMI", "form": "SRL"},
        {"key": "s:1", "name": "ROSSI INFORMATICA SISTEM", "form": pd.NA},
    ))
    assert _together(linked, "d:2", "s:1")
    assert not _together(linked, "d:1", "s:1")


# --- ambiguity ----------------------------------------------------------------------------------

def _tie() -> pd.DataFrame:
    return _records(
        {"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA"},
        {"key": "d:2", "vat": VAT_B, "name": "ROSSI INFORMATICA"},
        {"key": "s:1", "name": "ROSSI INFORMATICA"},
    )


def test_a_tie_between_two_vats_links_to_neither():
    firm = _firm(link_records(_tie()))
    assert firm["s:1"] not in {firm["d:1"], firm["d:2"]}


def test_without_the_ambiguity_rule_the_tie_goes_to_the_first_record():
    linked = link_records(_tie(), LinkConfig(ambiguity_margin=None))
    assert _together(linked, "d:1", "s:1")
    assert not _together(linked, "d:2", "s:1")


def test_ambiguity_margin_widens_the_tie():
    records = _records(
        {"key": "d:1", "vat": VAT_B, "name": "ROSSI INFORMATIC SISTEMA"},
        {"key": "d:2", "vat": VAT_A, "name": "ROSSI INFORMATICA SISTEMI"},
        {"key": "s:1", "name": "ROSSI INFORMATICA SISTEM"},
    )
    assert _together(link_records(records, LinkConfig(ambiguity_margin=0.02)), "d:2", "s:1")
    firm = _firm(link_records(records, LinkConfig(ambiguity_margin=0.03)))  # gap 0.0213 <= 0.03
    assert firm["s:1"] not in {firm["d:1"], firm["d:2"]}


def test_an_ambiguous_record_may_still_join_vatless_records():
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA"},
        {"key": "d:2", "vat": VAT_B, "name": "ROSSI INFORMATICA"},
        {"key": "s:1", "name": "ROSSI INFORMATICA"},
        {"key": "s:2", "name": "ROSSI INFORMATICA"},
    ))
    firm = _firm(linked)
    assert firm["s:1"] == firm["s:2"]
    assert firm["s:1"] not in {firm["d:1"], firm["d:2"]}


# --- records without a block value ------------------------------------------------------------

def test_unblocked_record_joins_the_unique_firm_with_its_exact_name():
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA", "prov": "MI"},
        {"key": "s:1", "name": "ROSSI INFORMATICA", "prov": pd.NA},
        {"key": "s:2", "name": "ROSSI INFORMATIC", "prov": pd.NA},  # similar is not enough
    ))
    assert _together(linked, "d:1", "s:1")
    assert not _together(linked, "d:1", "s:2")
    s1 = linked.loc[1]
    assert (s1["match_method"], s1["matched_to"], s1["match_score"]) == ("name_geo", "d:1", 1.0)


def test_unblocked_record_with_two_candidate_firms_stays_alone():
    linked = link_records(_records(
        {"key": "d:1", "name": "ROSSI INFORMATICA", "prov": "MI", "form": "SRL"},
        {"key": "d:2", "name": "ROSSI INFORMATICA", "prov": "RM", "form": "SRL"},
        {"key": "s:1", "name": "ROSSI INFORMATICA", "prov": pd.NA},
    ))
    firm = _firm(linked)
    assert firm["d:1"] != firm["d:2"]
    assert firm["s:1"] not in {firm["d:1"], firm["d:2"]}


def test_unblocked_record_joins_on_an_identical_name_despite_disjoint_legal_forms():
    linked = link_records(_records(
        {"key": "d:1", "name": "ROSSI INFORMATICA", "prov": "MI", "form": "SRL"},
        {"key": "s:1", "name": "ROSSI INFORMATICA", "prov": pd.NA, "form": "SPA"},
    ))
    assert _together(linked, "d:1", "s:1")  # an identical name key scores 1.0, the default threshold


def test_unblocked_record_obeys_the_guards():
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA", "prov": "MI"},
        {"key": "s:1", "vat": VAT_B, "name": "ROSSI INFORMATICA", "prov": pd.NA},
    ))
    assert not _together(linked, "d:1", "s:1")


def test_exact_name_key_without_block_links_across_provinces():
    records = _records(
        {"key": "d:1", "name": "ROSSI INFORMATICA", "prov": "MI"},
        {"key": "d:2", "name": "ROSSI INFORMATICA", "prov": "RM"},
        {"key": "s:1", "name": "ROSSI INFORMATICA", "prov": pd.NA},
        {"key": "s:2", "name": "ROSSI INFORMATIC", "prov": "TO"},
    )
    default = _firm(link_records(records))
    assert len({default["d:1"], default["d:2"], default["s:1"]}) == 3
    linked = link_records(records, LinkConfig(exact_name_key_without_block=True))
    assert _together(linked, "d:1", "d:2", "s:1")
    assert not _together(linked, "d:1", "s:2")


def test_exact_name_key_without_block_keeps_the_guards():
    records = _records(
        {"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA", "prov": "MI"},
        {"key": "d:2", "vat": VAT_B, "name": "ROSSI INFORMATICA", "prov": "RM"},
        {"key": "d:3", "vat": VAT_C, "name": "ROSSI INFORMATICA", "prov": pd.NA},
    )
    firm = _firm(link_records(records, LinkConfig(exact_name_key_without_block=True)))
    assert len(set(firm.values())) == 3


# --- numbering, provenance, order invariance ------------------------------------------------

def test_firm_ids_follow_priority_then_source_then_row():
    linked = link_records(_records(
        {"key": "z:1", "name": "ALFA", "priority": 1, "row": 1},
        {"key": "b:1", "name": "BETA", "priority": 0, "row": 2},
        {"key": "a:1", "name": "GAMMA", "priority": 0, "row": 9},
        {"key": "a:2", "name": "DELTA", "priority": 0, "row": 3},
    ))
    assert _firm(linked) == {"z:1": "F000004", "b:1": "F000003", "a:1": "F000002", "a:2": "F000001"}


def test_unlinkable_records_get_no_firm():
    linked = link_records(_records({"key": "d:1", "name": "ALFA"}, {"key": "d:2", "name": " ", "vat": ""}))
    assert pd.isna(linked.loc[1, "firm_id"])
    assert linked.loc[1, "match_method"] == "unlinkable"
    assert pd.isna(linked.loc[1, "match_score"]) and pd.isna(linked.loc[1, "matched_to"])
    assert linked.loc[0, "match_method"] == "new" and pd.isna(linked.loc[0, "matched_to"])


def test_the_partition_ignores_input_row_order():
    records = _records(
        {"key": "d:1", "vat": VAT_B, "name": "ROSSI INFORMATIC SISTEMA", "form": "SPA"},
        {"key": "d:2", "vat": VAT_A, "name": "ROSSI INFORMATICA SISTEMI"},
        {"key": "s:1", "name": "ROSSI INFORMATICA SISTEM"},
        {"key": "s:2", "name": "ROSSI INFORMATICA SISTEMI", "prov": pd.NA},
        {"key": "s:3", "name": "BIANCHI SISTEM", "form": "SRL"},
        {"key": "d:3", "name": "BIANCHI SISTEMI", "form": "SPA"},
        {"key": "d:4", "vat": VAT_A, "name": "ALTRO NOME", "prov": "TO"},
    )
    expected = _firm(link_records(records))
    rng = np.random.default_rng(0)
    for _ in range(5):
        shuffled = records.iloc[rng.permutation(len(records))].reset_index(drop=True)
        assert _firm(link_records(shuffled)) == expected


def test_other_columns_and_index_are_carried_through():
    records = _records({"key": "d:1", "name": "ALFA"}, {"key": "d:2", "name": "BETA"}).assign(extra=[1, 2])
    records.index = [10, 20]
    linked = link_records(records)
    assert linked.index.tolist() == [10, 20]
    assert linked["extra"].tolist() == [1, 2]
    assert linked.columns[-4:].tolist() == ["firm_id", "match_method", "match_score", "matched_to"]
