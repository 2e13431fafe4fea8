"""The linker's boundaries, one hand-made case each: config and input messages, optional columns,
the union-find's root and VAT bookkeeping, legal-form bitmasks (also past 62 families), the
legal-form threshold at its tolerance, and pairwise_quality's f1 when nothing is right.

Scores are computed here with rapidfuzz directly (the default scorer is ``max(ratio,
token_sort_ratio) / 100``); "BIANCHI SISTEMI" vs "BIANCHI SISTEM" is ``2 * 14 / 29 = 0.9655...``
(same token order, so both scorers agree).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rapidfuzz import fuzz

from channelstudy.build.link import LinkConfig, link_records, pairwise_quality

VAT_A, VAT_B = "00743110157", "01234567890"
TOLERANCE = 1e-6 / 100  # the documented tolerance, 1e-6 on the 0-100 scale, as a share


def _records(*rows: dict, columns: tuple[str, ...] = ("legal_form", "priority")) -> pd.DataFrame:
    """Records from short dicts (``key`` is ``source:record_id``); optional ``columns`` only if listed."""
    out = []
    for i, row in enumerate(rows, start=1):
        source, record_id = row["key"].split(":")
        record = {"source": source, "record_id": record_id, "row_number": row.get("row", i),
                  "vat": row.get("vat", pd.NA), "name_key": row.get("name", pd.NA),
                  "province": row.get("prov", "MI"), "comune": pd.NA}
        if "legal_form" in columns:
            record["legal_form"] = row.get("form", pd.NA)
        if "priority" in columns:
            record["priority"] = row.get("priority", 0)
        out.append(record)
    return pd.DataFrame(out)


def _by_key(linked: pd.DataFrame) -> pd.DataFrame:
    return linked.set_index(linked["source"] + ":" + linked["record_id"])


# --- messages ------------------------------------------------------------------------------------

SCORER_NAMES = r"\['QRatio', 'WRatio', 'partial_ratio', 'ratio', 'ratio\+token_sort_ratio', 'token_set_ratio', " \
               r"'token_sort_ratio'\]"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name_threshold": 0.0}, r"name_threshold must be in \(0, 1\], got 0\.0"),
        ({"legal_form_conflict_threshold": 1.5}, r"legal_form_conflict_threshold must be in \(0, 1\], got 1\.5"),
        ({"legal_form_conflict_threshold": "1"},
         r"legal_form_conflict_threshold must be a number in \(0, 1\], got '1'"),
        ({"name_threshold": 0.95, "legal_form_conflict_threshold": 0.9},
         r"legal_form_conflict_threshold must be >= name_threshold, got 0\.9 < 0\.95"),
        ({"scorer": "jaro"}, rf"scorer must be one of {SCORER_NAMES}, got 'jaro'"),
        ({"block_on": "region"}, r"block_on must be one of \['province', 'comune'\], got 'region'"),
        ({"ambiguity_margin": "0.1"}, r"ambiguity_margin must be None or a number in \[0, 1\), got '0\.1'"),
        ({"ambiguity_margin": False}, r"ambiguity_margin must be None or a number in \[0, 1\), got False"),
        ({"max_block_names": 1}, r"max_block_names must be None or an integer >= 2, got 1"),
        ({"max_block_names": True}, r"max_block_names must be None or an integer >= 2, got True"),
        ({"max_block_names": 2.5}, r"max_block_names must be None or an integer >= 2, got 2\.5"),
        ({"max_block_names": "10"}, r"max_block_names must be None or an integer >= 2, got '10'"),
        ({"exact_name_key_without_block": "yes"}, r"exact_name_key_without_block must be a bool, got 'yes'"),
        ({"allow_vat_conflict_merge": 1}, r"allow_vat_conflict_merge must be a bool, got 1"),
    ],
)
def test_config_errors_name_the_parameter_and_the_value(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        LinkConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name_threshold": 0.95, "legal_form_conflict_threshold": 0.95},  # equal is allowed
        {"name_threshold": np.float64(0.9), "legal_form_conflict_threshold": 1},
        {"max_block_names": 2},
        {"max_block_names": np.int64(3)},
        {"max_block_names": None},
        {"ambiguity_margin": np.float64(0.5)},
        {"ambiguity_margin": 0},
    ],
)
def test_config_accepts_the_edges_of_each_range(kwargs: dict) -> None:
    config = LinkConfig(**kwargs)
    assert all(getattr(config, name) is value for name, value in kwargs.items())


def _two_records() -> pd.DataFrame:
    return _records({"key": "s:1", "vat": VAT_A, "name": "ROSSI"}, {"key": "s:2", "name": "ROSSI"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.drop(columns=["province", "vat"]), r"records lacks required columns \['vat', 'province'\]"),
        (lambda r: r.assign(row_number=[1, None]), r"records has missing values in 'row_number'"),
        (lambda r: r.assign(record_id=["1", None]), r"records has missing values in 'record_id'"),
        (lambda r: pd.concat([r, r], ignore_index=True),
         r"\(source, record_id\) must be unique; 4 rows share a key, e.g. \['s', '1'\]"),
        (lambda r: r.assign(vat=["IT01234567890", "123"]),
         r"vat must be 11 digits or missing; 2 bad values, e.g. 'IT01234567890'"),
    ],
)
def test_input_errors_say_what_and_how_many(change, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        link_records(change(_two_records()))


def test_pairwise_quality_length_message() -> None:
    with pytest.raises(ValueError, match=r"^firm_ids and true_keys differ in length: 1 != 2$"):
        pairwise_quality(pd.Series(["a"]), pd.Series(["x", "y"]))


# --- optional columns ----------------------------------------------------------------------------

def test_missing_priority_counts_as_zero() -> None:
    # order (priority, source, row): a:2 (0), z:1 (missing = 0), a:1 (1)
    records = _records({"key": "z:1", "name": "ALFA"}, {"key": "a:1", "name": "BETA"},
                       {"key": "a:2", "name": "GAMMA", "row": 5})
    records["priority"] = pd.array([pd.NA, 1, 0], dtype="Int64")
    linked = _by_key(link_records(records))
    assert linked["firm_id"].to_dict() == {"z:1": "F000002", "a:1": "F000003", "a:2": "F000001"}


def test_legal_form_and_priority_columns_are_optional() -> None:
    records = _records(
        {"key": "s:1", "name": "BIANCHI SISTEMI", "row": 2},
        {"key": "d:1", "name": "BIANCHI SISTEM", "row": 1},
        {"key": "d:2", "name": "ALFA", "row": 3},
        columns=(),
    )
    linked = _by_key(link_records(records))
    assert linked["firm_id"].to_dict() == {"s:1": "F000001", "d:1": "F000001", "d:2": "F000002"}
    assert linked["match_method"].to_dict() == {"s:1": "name_geo", "d:1": "new", "d:2": "new"}


# --- the union-find: roots, VAT codes, legal-form bits ------------------------------------------

def test_a_firm_keeps_its_first_record_as_root_whatever_the_edge_direction() -> None:
    # a:1 and b:2 share a VAT; b:1 joins b:2 by name: the firm is rooted at a:1, so the tree reads
    # a:1 (new) -> b:2 (vat) -> b:1 (name_geo), not from b:1
    linked = _by_key(link_records(_records(
        {"key": "a:1", "vat": VAT_A, "name": "ALTRO NOME"},
        {"key": "b:1", "name": "BIANCHI SISTEM"},
        {"key": "b:2", "vat": VAT_A, "name": "BIANCHI SISTEMI"},
    )))
    assert set(linked["firm_id"]) == {"F000001"}
    assert linked["match_method"].to_dict() == {"a:1": "new", "b:1": "name_geo", "b:2": "vat"}
    assert pd.isna(linked.loc["a:1", "matched_to"])
    assert linked.loc[["b:1", "b:2"], "matched_to"].tolist() == ["b:2", "a:1"]
    assert linked.loc["b:1", "match_score"] == pytest.approx(28 / 29)


def test_the_vat_guard_sees_a_vat_gathered_by_a_merge_against_the_first_vat() -> None:
    # a:1 (no VAT) first takes VAT B from its identical twin b:2; VAT A (b:1, the first VAT of the
    # input) is then a conflict for the whole firm even though a:1 itself carries none
    linked = _by_key(link_records(_records(
        {"key": "a:1", "name": "ROSSI INFORMATICA SISTEMI"},
        {"key": "b:1", "vat": VAT_A, "name": "ROSSI INFORMATIKA SISTEMA"},
        {"key": "b:2", "vat": VAT_B, "name": "ROSSI INFORMATICA SISTEMI"},
    )))
    assert max(fuzz.ratio("ROSSI INFORMATICA SISTEMI", "ROSSI INFORMATIKA SISTEMA"),
               fuzz.token_sort_ratio("ROSSI INFORMATICA SISTEMI", "ROSSI INFORMATIKA SISTEMA")) >= 92
    assert linked.loc["a:1", "firm_id"] == linked.loc["b:2", "firm_id"]
    assert linked.loc["b:1", "firm_id"] != linked.loc["a:1", "firm_id"]


def test_a_record_without_legal_form_is_compatible_with_any_family() -> None:
    # SRL is the first family seen, SPA the second; s:1 (no form) matches the SPA firm by 0.966
    linked = _by_key(link_records(_records(
        {"key": "d:1", "name": "ALFA", "form": "SRL"},
        {"key": "d:2", "name": "BIANCHI SISTEMI", "form": "SPA"},
        {"key": "s:1", "name": "BIANCHI SISTEM", "form": pd.NA},
    )))
    assert linked.loc["s:1", "firm_id"] == linked.loc["d:2", "firm_id"] != linked.loc["d:1", "firm_id"]


def test_a_vat_firm_carries_the_legal_forms_of_all_its_records() -> None:
    # d:1 (SRL) and d:2 (SPA) share a VAT; s:1 (SPA) matches d:1's name by 0.966, and its SPA
    # overlaps the firm's {SRL, SPA} through d:2 only
    linked = link_records(_records(
        {"key": "d:1", "vat": VAT_A, "name": "BIANCHI SISTEMI", "form": "SRL"},
        {"key": "d:2", "vat": VAT_A, "name": "ALTRO NOME", "form": "SPA"},
        {"key": "s:1", "name": "BIANCHI SISTEM", "form": "SPA"},
    ))
    assert linked["firm_id"].tolist() == ["F000001"] * 3
    assert linked["match_method"].tolist() == ["new", "vat", "name_geo"]


def test_the_legal_form_guard_holds_past_62_families() -> None:
    # 70 extra families (each on a lone record in its own province) make the bitmasks Python integers
    rows = [
        {"key": "a:1", "name": "BIANCHI SISTEMI", "form": "SRL"},
        {"key": "a:2", "name": "BIANCHI SISTEM", "form": "SPA"},  # disjoint, 0.966 < 1.0: refused
        {"key": "a:3", "name": "ROSSI INFORMATICA", "form": pd.NA},
        {"key": "a:4", "name": "ROSSI INFORMATIC", "form": "SPA"},  # unknown form: merged
        {"key": "a:5", "name": "VERDI DATA", "form": "SRL"},
        {"key": "a:6", "name": "VERDI DATI", "form": "SRLS"},  # same family: merged
    ]
    rows += [{"key": f"z:{k}", "name": f"FILLER {k}", "form": f"FORM{k:02d}", "prov": f"P{k:02d}"}
             for k in range(70)]
    firm = _by_key(link_records(_records(*rows), LinkConfig(name_threshold=0.85)))["firm_id"]
    assert firm["a:1"] != firm["a:2"]
    assert firm["a:3"] == firm["a:4"]
    assert firm["a:5"] == firm["a:6"]
    assert firm.nunique() == 2 + 1 + 1 + 70


def test_the_legal_form_threshold_is_met_within_the_tolerance_only() -> None:
    records = _records({"key": "d:1", "name": "BIANCHI SISTEMI", "form": "SRL"},
                       {"key": "s:1", "name": "BIANCHI SISTEM", "form": "SPA"})
    score = fuzz.ratio("BIANCHI SISTEMI", "BIANCHI SISTEM") / 100.0
    assert score == pytest.approx(28 / 29)

    def merged(threshold: float) -> bool:
        linked = link_records(records, LinkConfig(legal_form_conflict_threshold=threshold))
        return linked["firm_id"].nunique() == 1

    # a threshold whose floor (threshold - tolerance) is exactly the score: met
    at_floor = score + TOLERANCE
    for _ in range(8):
        if at_floor - TOLERANCE == score:
            break
        at_floor = np.nextafter(at_floor, 1.0 if at_floor - TOLERANCE < score else 0.0)
    assert at_floor - TOLERANCE == score
    assert merged(float(at_floor))
    assert merged(score + 0.995 * TOLERANCE)  # inside the tolerance
    assert not merged(score + 1.01 * TOLERANCE)  # just outside it


# --- ambiguity and VAT switches --------------------------------------------------------------------

def test_allowing_vat_conflicts_also_drops_the_ambiguity_rule() -> None:
    tie = _records({"key": "d:1", "vat": VAT_A, "name": "ROSSI INFORMATICA"},
                   {"key": "d:2", "vat": VAT_B, "name": "ROSSI INFORMATICA"},
                   {"key": "s:1", "name": "ROSSI INFORMATICA"})
    linked = link_records(tie, LinkConfig(allow_vat_conflict_merge=True))
    assert linked["firm_id"].tolist() == ["F000001"] * 3
    assert linked["match_method"].tolist() == ["new", "name_geo", "name_geo"]


# --- pairwise_quality ------------------------------------------------------------------------------

def test_pairwise_quality_when_no_predicted_pair_is_true() -> None:
    # predicted {0,1} {2,3}; truth {0,2} {1,3}: 2 predicted pairs, 2 true pairs, none shared
    quality = pairwise_quality(pd.Series(list("aabb")), pd.Series(list("xyxy")))
    assert (quality["n_pairs_predicted"], quality["n_pairs_true"], quality["n_pairs_correct"]) == (2, 2, 0)
    assert (quality["precision"], quality["recall"], quality["f1"]) == (0.0, 0.0, 0.0)


# --- the block cap ---------------------------------------------------------------------------------

def test_a_block_above_the_cap_is_compared_only_within_sub_blocks() -> None:
    # "AXXXXXXXXB" and "CXXXXXXXXD" score 2 * 8 / 20 = 0.8 but share no 2-character prefix, sorted
    # prefix or suffix: a block of 3 names over a cap of 2 never compares them; without a cap it does
    assert fuzz.ratio("AXXXXXXXXB", "CXXXXXXXXD") == pytest.approx(80.0)
    records = _records({"key": "d:1", "name": "AXXXXXXXXB"}, {"key": "d:2", "name": "CXXXXXXXXD"},
                       {"key": "d:3", "name": "QQQQ"})
    capped = link_records(records, LinkConfig(name_threshold=0.8, max_block_names=2))
    assert capped["firm_id"].nunique() == 3
    whole = link_records(records, LinkConfig(name_threshold=0.8, max_block_names=None))
    assert whole["firm_id"].tolist() == ["F000001", "F000001", "F000002"]
    # names sharing a prefix still meet in their sub-block
    prefixed = _records({"key": "d:1", "name": "ABXXXXXXXX"}, {"key": "d:2", "name": "ABXXXXXXXY"},
                        {"key": "d:3", "name": "QQQQ"})
    assert link_records(prefixed, LinkConfig(name_threshold=0.8, max_block_names=2))["firm_id"].nunique() == 2
