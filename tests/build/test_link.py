"""Tests of channelstudy.build.link: guarded VAT + name-in-block linkage and pairwise quality."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.build.link import (
    MATCH_METHODS,
    LinkConfig,
    link_records,
    pairwise_quality,
)

# --------------------------------------------------------------------------------------------
# A small synthetic world of Italian ICT firms seen through three noisy sources
# --------------------------------------------------------------------------------------------

# fmt: off
SURNAMES = (
    "ROSSI", "RUSSO", "FERRARI", "ESPOSITO", "BIANCHI", "ROMANO", "COLOMBO", "RICCI", "MARINO",
    "GRECO", "BRUNO", "GALLO", "CONTI", "DE LUCA", "MANCINI", "COSTA", "GIORDANO", "RIZZO",
    "LOMBARDI", "MORETTI", "BARBIERI", "FONTANA", "SANTORO", "MARIANI", "RINALDI", "CARUSO",
    "FERRARA", "GALLI", "MARTINI", "LEONE", "LONGO", "GENTILE", "MARTINELLI", "VITALE", "LOMBARDO",
    "SERRA", "COPPOLA", "DE SANTIS", "D ANGELO", "MARCHETTI", "PARISI", "VILLA", "CONTE", "FERRO",
    "FABBRI", "BIANCO", "MARINI", "GRASSO", "VALENTINI", "MESSINA", "SALA", "DE ANGELIS", "GATTI",
    "PELLEGRINI", "PALUMBO", "SANNA", "FARINA", "RIZZI", "MONTI", "CATTANEO", "MORELLI", "AMATO",
    "SILVESTRI", "MAZZA", "TESTA", "GRASSI", "CARBONE", "GIULIANI", "BENEDETTI", "BARONE",
    "ROSSETTI", "CAPUTO", "MONTANARI", "GUERRA", "PALMIERI", "BERNARDI", "MARTINO", "FIORE",
    "DE ROSA", "FERRETTI", "BELLINI", "BASILE", "RIVA", "DONATI", "PIRAS", "VITALI", "BATTAGLIA",
    "SARTORI", "NERI", "COSTANTINI", "MILANI", "ORLANDO", "RUGGIERO", "CASTELLI", "NEGRI", "TOSI",
    "LOMBARDINI", "BERTOLINI", "ZANETTI", "POLI", "CIRILLO", "FUMAGALLI", "BRAMBILLA",
)
ICT_WORDS = (
    "INFORMATICA", "SISTEMI", "SOLUZIONI", "NETWORK", "DATA", "SOFTWARE", "CONSULTING",
    "TECHNOLOGY", "DIGITAL", "CLOUD", "SERVICE", "SERVIZI", "TELECOMUNICAZIONI", "COMPUTER",
    "SECURITY", "ENGINEERING", "SYSTEMS", "NET", "WEB", "TECH", "ICT", "INNOVATION", "LAB", "GROUP",
    "PARTNERS", "ELETTRONICA", "AUTOMAZIONE", "OFFICE", "MULTIMEDIA", "RETI", "PROGETTI",
    "GESTIONALI", "TELEMATICA", "ROBOTICA", "SVILUPPO", "COMUNICAZIONE", "INFRASTRUTTURE",
    "ANALYTICS",
)
PLACE_WORDS = (
    "ADRIATICA", "LOMBARDA", "TOSCANA", "EMILIANA", "VENETA", "SICULA", "LIGURE", "PIEMONTESE",
    "ROMANA", "PARTENOPEA", "ITALIA", "NORD", "SUD", "CENTRO", "MEDITERRANEA", "ALPINA", "SARDA",
    "PUGLIESE", "FRIULANA", "MARCHIGIANA",
)
PROVINCES = {  # sigla -> weight; "NA" is Napoli, not a missing value
    "MI": 20, "RM": 12, "TO": 6, "NA": 5, "BO": 4, "FI": 4, "PD": 3, "VR": 3, "BS": 3, "BG": 3,
    "GE": 2, "VA": 2, "MB": 2, "TV": 2, "VI": 2, "MO": 2, "BA": 2, "PA": 2, "CT": 2, "AN": 1,
    "PG": 1, "PI": 1, "LU": 1, "UD": 1, "TN": 1, "BZ": 1, "CO": 1, "PV": 1, "CA": 1, "SA": 1,
}
# fmt: on
LEGAL_FORMS = {"SRL": 55, "SRLS": 10, "SPA": 15, "SNC": 7, "SAS": 8, "DI": 5}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# name: (share of firms covered, P(VAT recorded), P(typo), P(duplicate row), P(legal form recorded), priority)
SOURCES = {
    "directory": (0.80, 0.95, 0.10, 0.00, 0.90, 0),
    "survey": (0.50, 0.45, 0.25, 0.10, 0.30, 1),
    "roster": (0.60, 0.70, 0.20, 0.05, 0.50, 2),
}
P_PROVINCE_MISSING = 0.03
P_PROVINCE_STALE = 0.01  # the firm moved: another province in this record
P_NAME_MISSING = 0.005
P_TOKENS_REORDERED = 0.03  # "INFORMATICA ROSSI" for "ROSSI INFORMATICA"
P_SIBLING = 0.04  # a similarly named different firm in the same province ("X" and "X SISTEMI")
P_HOMONYM = 0.03  # a different firm with the same name in another province


def _weighted(rng: np.random.Generator, table: dict[str, int]) -> str:
    keys = list(table)
    weights = np.array(list(table.values()), dtype=float)
    return str(rng.choice(keys, p=weights / weights.sum()))


def _random_name(rng: np.random.Generator) -> str:
    def pick(words):
        return str(rng.choice(words))

    acronym = "".join(rng.choice(list(LETTERS), size=int(rng.integers(2, 5))))
    patterns = (
        lambda: f"{pick(SURNAMES)} {pick(ICT_WORDS)}",
        lambda: f"{pick(SURNAMES)} {pick(ICT_WORDS)} {pick(PLACE_WORDS)}",
        lambda: f"{acronym} {pick(ICT_WORDS)}",
        lambda: f"{pick(ICT_WORDS)} {pick(PLACE_WORDS)}",
        lambda: f"{pick(SURNAMES)} E {pick(SURNAMES)} {pick(ICT_WORDS)}",
        lambda: f"{pick(ICT_WORDS)} {pick(ICT_WORDS)} {acronym}",
    )
    return patterns[int(rng.integers(len(patterns)))]()


def _typo(rng: np.random.Generator, name: str) -> str:
    """One keyboard slip: swap, deletion, substitution or insertion of a letter."""
    chars = list(name)
    at = int(rng.integers(len(chars)))
    kind = int(rng.integers(4))
    letter = str(rng.choice(list(LETTERS)))
    if kind == 0 and at + 1 < len(chars):
        chars[at], chars[at + 1] = chars[at + 1], chars[at]
    elif kind == 1 and len(chars) > 3:
        del chars[at]
    elif kind == 2:
        chars[at] = letter
    else:
        chars.insert(at, letter)
    return "".join(chars).strip() or name


def _make_firms(rng: np.random.Generator, n_firms: int) -> pd.DataFrame:
    vats = rng.choice(10**11, size=n_firms, replace=False)
    firms: list[dict[str, object]] = []
    used: set[tuple[str, str]] = set()
    while len(firms) < n_firms:
        province = _weighted(rng, PROVINCES)
        draw = rng.random()
        if firms and draw < P_SIBLING:
            parent = firms[int(rng.integers(len(firms)))]
            name, province = f"{parent['name']} {rng.choice(ICT_WORDS)}", str(parent["province"])
        elif firms and draw < P_SIBLING + P_HOMONYM:
            name = str(firms[int(rng.integers(len(firms)))]["name"])
        else:
            name = _random_name(rng)
        if (province, name) in used:
            continue
        used.add((province, name))
        firms.append(
            {
                "true_firm": f"T{len(firms):06d}",
                "name": name,
                "province": province,
                "vat": f"{vats[len(firms)]:011d}",
                "legal_form": _weighted(rng, LEGAL_FORMS),
            }
        )
    return pd.DataFrame(firms)


def _observe(rng: np.random.Generator, firm: pd.Series, p_vat: float, p_typo: float, p_form: float):
    name = firm["name"]
    if rng.random() < P_TOKENS_REORDERED:
        tokens = name.split(" ")
        name = " ".join(tokens[1:] + tokens[:1])
    if rng.random() < p_typo:
        name = _typo(rng, name)
    province = firm["province"]
    draw = rng.random()
    if draw < P_PROVINCE_MISSING:
        province = pd.NA
    elif draw < P_PROVINCE_MISSING + P_PROVINCE_STALE:
        province = _weighted(rng, PROVINCES)
    return {
        "vat": firm["vat"] if rng.random() < p_vat else pd.NA,
        "name_key": pd.NA if rng.random() < P_NAME_MISSING else name,
        "province": province,
        "legal_form": firm["legal_form"] if rng.random() < p_form else pd.NA,
        "true_firm": firm["true_firm"],
    }


def make_world(
    n_firms: int = 2_000,
    seed: int = 7,
    sources: dict[str, tuple[float, float, float, float, float, int]] = SOURCES,
) -> pd.DataFrame:
    """Records of ``n_firms`` true firms in noisy ``sources`` (column ``true_firm`` is the truth).

    About two records per firm at 2,000 firms, with typos in names, missing VATs, missing or
    stale provinces, duplicates within sources, similarly named siblings in the same province
    ("X" and "X SISTEMI", different VATs) and homonyms in other provinces.
    """
    rng = np.random.default_rng(seed)
    firms = _make_firms(rng, n_firms)
    rows = []
    for source, (coverage, p_vat, p_typo, p_dup, p_form, priority) in sources.items():
        covered = firms[rng.random(n_firms) < coverage]
        for _, firm in covered.iterrows():
            for _ in range(1 + int(rng.random() < p_dup)):
                rows.append(
                    {"source": source, "priority": priority, **_observe(rng, firm, p_vat, p_typo, p_form)}
                )
    records = pd.DataFrame(rows)
    records["row_number"] = records.groupby("source").cumcount() + 1
    records["record_id"] = records["row_number"].map("r{:05d}".format)
    records["comune"] = pd.NA
    for column in ("source", "record_id", "vat", "name_key", "province", "comune", "legal_form"):
        records[column] = records[column].astype("string")
    return records


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    return make_world()


@pytest.fixture(scope="module")
def linked(world: pd.DataFrame) -> pd.DataFrame:
    return link_records(world)


def _records(rows: list[tuple], columns: str = "vat name_key province legal_form") -> pd.DataFrame:
    """Tiny hand-made input: one tuple of ``columns`` values per record, source ``s``."""
    frame = pd.DataFrame(rows, columns=columns.split()).astype("string")
    frame.insert(0, "source", "s")
    frame.insert(1, "record_id", [str(i + 1) for i in range(len(frame))])
    frame.insert(2, "row_number", range(1, len(frame) + 1))
    if "comune" not in frame.columns:
        frame["comune"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


# --------------------------------------------------------------------------------------------
# link_records on the synthetic world
# --------------------------------------------------------------------------------------------


def test_world_is_real_shaped(world: pd.DataFrame) -> None:
    assert 3_500 < len(world) < 4_500
    assert world["vat"].isna().mean() > 0.15
    assert (world["province"] == "NA").any()  # Napoli survives as a value
    assert world.groupby("true_firm").size().max() >= 3


def test_nothing_lost_and_order_kept(world: pd.DataFrame) -> None:
    shuffled = world.sample(frac=1.0, random_state=3)
    linked = link_records(shuffled)
    assert len(linked) == len(shuffled)
    assert linked.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(linked[shuffled.columns], shuffled)
    assert list(linked.columns[-4:]) == ["firm_id", "match_method", "match_score", "matched_to"]


def test_precision_and_recall_targets(linked: pd.DataFrame) -> None:
    quality = pairwise_quality(linked["firm_id"], linked["true_firm"])
    # measured: precision 1.000 (0.9985 if name edges are not applied best score first), recall 0.9693
    assert quality["precision"] >= 0.999, quality
    assert quality["recall"] >= 0.965, quality


def test_same_firm_ids_whatever_the_row_order(world: pd.DataFrame, linked: pd.DataFrame) -> None:
    for seed in (1, 2):
        shuffled = link_records(world.sample(frac=1.0, random_state=seed))
        pd.testing.assert_frame_equal(shuffled.loc[linked.index], linked)


def test_default_str_dtype_input_gives_the_same_firms(world: pd.DataFrame, linked: pd.DataFrame) -> None:
    text_columns = ["source", "record_id", "vat", "name_key", "province", "comune", "legal_form"]
    as_str = world.astype(dict.fromkeys(text_columns, "str"))  # pandas 3 default: NaN for missing
    assert as_str["vat"].isna().any()
    pd.testing.assert_series_equal(link_records(as_str)["firm_id"], linked["firm_id"])


def test_no_firm_has_two_vats(linked: pd.DataFrame) -> None:
    assert linked.groupby("firm_id")["vat"].nunique().max() == 1


def test_provenance_columns_are_consistent(linked: pd.DataFrame) -> None:
    assert set(linked["match_method"].unique()) <= set(MATCH_METHODS)
    by_method = linked.groupby("match_method")
    assert (by_method.get_group("vat")["match_score"] == 1.0).all()
    name_scores = by_method.get_group("name_geo")["match_score"]
    assert name_scores.between(LinkConfig().name_threshold, 1.0).all()
    assert linked.loc[linked["match_method"] == "new", "match_score"].isna().all()
    assert linked.loc[linked["match_method"] == "new", "matched_to"].isna().all()
    linkable = linked["match_method"] != "unlinkable"
    assert (linked.loc[linkable, "match_method"] == "new").sum() == linked["firm_id"].nunique()
    by_key = linked.set_index(linked["source"] + ":" + linked["record_id"])
    joined = linked[linkable & (linked["match_method"] != "new")]
    assert joined["matched_to"].notna().all()
    partner = by_key.loc[joined["matched_to"]]
    assert (partner["firm_id"].to_numpy() == joined["firm_id"].to_numpy()).all()
    via_vat = (joined["match_method"] == "vat").to_numpy()
    assert (partner["vat"].to_numpy()[via_vat] == joined["vat"].to_numpy()[via_vat]).all()

    # a name match is within one province, or the exact-name rule for a record without one
    # (either side: the firm's tree is oriented from its first record)
    def of_name_joins(frame: pd.DataFrame, column: str) -> np.ndarray:
        return frame[column].fillna("").to_numpy()[~via_vat]

    province, partner_province = of_name_joins(joined, "province"), of_name_joins(partner, "province")
    same_block = (province == partner_province) & (province != "")
    one_unblocked = (province == "") | (partner_province == "")
    exact = of_name_joins(joined, "name_key") == of_name_joins(partner, "name_key")
    assert np.all(same_block | (one_unblocked & exact))


def test_firm_ids_numbered_by_first_record(linked: pd.DataFrame) -> None:
    firsts = linked[linked["match_method"] == "new"].sort_values(["priority", "source", "row_number"])
    assert firsts["firm_id"].tolist() == [f"F{k:06d}" for k in range(1, len(firsts) + 1)]


def test_block_on_comune_and_other_scorers_run(world: pd.DataFrame) -> None:
    by_comune = link_records(world.assign(comune=world["province"]), LinkConfig(block_on="comune"))
    pd.testing.assert_series_equal(by_comune["firm_id"], link_records(world)["firm_id"])
    # measured precision: ratio 1.000, WRatio 0.991 (it merges siblings such as "X" and "X SISTEMI")
    for scorer, at_least in (("ratio", 0.999), ("WRatio", 0.985)):
        quality = pairwise_quality(
            link_records(world, LinkConfig(scorer=scorer))["firm_id"], world["true_firm"]
        )
        assert quality["precision"] >= at_least, (scorer, quality)


# --------------------------------------------------------------------------------------------
# link_records rules on hand-made records
# --------------------------------------------------------------------------------------------


def test_exact_vat_links_across_names_and_provinces() -> None:
    out = link_records(
        _records([("01234567890", "ROSSI", "MI", None), ("01234567890", "BIANCHI", "RM", None)])
    )
    assert out["firm_id"].tolist() == ["F000001", "F000001"]
    assert out["match_method"].tolist() == ["new", "vat"]
    assert out["matched_to"].tolist()[1] == "s:1"


def test_name_edge_never_joins_two_vats() -> None:
    rows = [
        ("01234567890", "ROSSI INFORMATICA", "MI", None),
        ("09876543210", "ROSSI INFORMATICA", "MI", None),
        (None, "ROSSI INFORMATICA", "MI", None),
        ("09876543210", "ROSSI INFORMATICA SISTEMI", "MI", None),
    ]
    out = link_records(_records(rows))
    assert out["firm_id"].tolist() == ["F000001", "F000002", "F000003", "F000002"]
    assert out["match_method"].tolist() == ["new", "new", "new", "vat"]
    merged = link_records(_records(rows), LinkConfig(allow_vat_conflict_merge=True))
    assert merged["firm_id"].nunique() == 1


def test_a_tie_between_two_vats_is_not_broken_by_guessing() -> None:
    rows = [
        ("01234567890", "ROSSI INFORMATICA", "MI", None),
        ("09876543210", "ROSSI INFORMATICA", "MI", None),
        (None, "ROSSI INFORMATICA", "MI", None),
    ]
    assert link_records(_records(rows))["firm_id"].nunique() == 3
    guessing = link_records(_records(rows), LinkConfig(ambiguity_margin=None))
    assert guessing["firm_id"].tolist() == ["F000001", "F000002", "F000001"]
    near = [
        ("01234567890", "ALFA SISTEMI ROMANA", "RM", None),
        ("09876543210", "ALFA SISTEMA ROMANA", "RM", None),
        (None, "ALFA SISTEMI ROMANA", "RM", None),
        (None, "ALFA SISTEMI ROMANA", "RM", None),
    ]
    out = link_records(_records(near))
    assert out["firm_id"].tolist() == ["F000001", "F000002", "F000001", "F000001"]
    wide = link_records(_records(near), LinkConfig(ambiguity_margin=0.1))
    assert wide["firm_id"].tolist() == ["F000001", "F000002", "F000003", "F000003"]
    assert wide["match_method"].tolist() == ["new", "new", "new", "name_geo"]


def test_similar_names_with_different_vats_stay_apart() -> None:
    rows = [
        ("01234567890", "ROSSI INFORMATICA", "MI", None),
        ("09876543210", "ROSSI INFORMATICA SISTEMI", "MI", None),
        (None, "ROSSI INFORMATICA SISTEMI", "MI", None),
        (None, "ROSSI INFORMATCA", "MI", None),
    ]
    out = link_records(_records(rows))
    assert out["firm_id"].tolist() == ["F000001", "F000002", "F000002", "F000001"]
    assert out["match_method"].tolist() == ["new", "new", "name_geo", "name_geo"]


def test_names_only_compared_within_a_block() -> None:
    out = link_records(
        _records([(None, "ROSSI INFORMATICA", "MI", None), (None, "ROSSI INFORMATICA", "RM", None)])
    )
    assert out["firm_id"].nunique() == 2


def test_threshold_decides_a_name_match() -> None:
    records = _records([(None, "ALFA SISTEMI ROMANA", "RM", None), (None, "ALFA SISTEMA ROMANA", "RM", None)])
    assert link_records(records)["firm_id"].nunique() == 1
    assert link_records(records, LinkConfig(name_threshold=0.99))["firm_id"].nunique() == 2


def test_legal_form_conflict_is_a_soft_signal() -> None:
    fuzzy = _records([(None, "ALFA SISTEMI ROMANA", "RM", "SRL"), (None, "ALFA SISTEMA ROMANA", "RM", "SPA")])
    assert link_records(fuzzy)["firm_id"].nunique() == 2
    lenient = LinkConfig(legal_form_conflict_threshold=0.92)
    assert link_records(fuzzy, lenient)["firm_id"].nunique() == 1
    exact = _records([(None, "ALFA SISTEMI ROMANA", "RM", "SRL"), (None, "ALFA SISTEMI ROMANA", "RM", "SPA")])
    assert link_records(exact)["firm_id"].nunique() == 1
    family = _records(
        [(None, "ALFA SISTEMI ROMANA", "RM", "SRLS"), (None, "ALFA SISTEMA ROMANA", "RM", "SRL")]
    )
    assert link_records(family)["firm_id"].nunique() == 1


def test_record_without_province_joins_a_unique_exact_name() -> None:
    rows = [
        (None, "ROSSI INFORMATICA", "MI", None),
        (None, "ROSSI INFORMATICA", None, None),
        (None, "BIANCHI DATA", "MI", None),
        (None, "BIANCHI DATA", "RM", None),
        (None, "BIANCHI DATA", None, None),
        (None, "VERDI NET", None, None),
        (None, "VERDI NET", None, None),
    ]
    out = link_records(_records(rows))
    assert out["firm_id"].iloc[1] == out["firm_id"].iloc[0]
    assert (out["match_method"].iloc[1], out["match_score"].iloc[1]) == ("name_geo", 1.0)
    assert out["firm_id"].iloc[2:5].nunique() == 3  # two candidate firms: ambiguous
    assert out["firm_id"].iloc[5] != out["firm_id"].iloc[6]  # no blocked candidate at all
    across = link_records(_records(rows), LinkConfig(exact_name_key_without_block=True))
    assert across["firm_id"].iloc[2:5].nunique() == 1
    assert across["firm_id"].iloc[5] == across["firm_id"].iloc[6]


def test_unlinkable_records_get_no_firm() -> None:
    out = link_records(
        _records([(None, None, "MI", "SRL"), ("01234567890", None, None, None), (None, "  ", "MI", None)])
    )
    assert out["match_method"].tolist() == ["unlinkable", "new", "unlinkable"]
    assert out["firm_id"].isna().tolist() == [True, False, True]
    assert out["firm_id"].iloc[1] == "F000001"


def test_priority_picks_the_first_record() -> None:
    records = _records([("01234567890", "ROSSI", "MI", None), ("01234567890", "ROSSI", "MI", None)])
    records["priority"] = [5, 1]
    out = link_records(records)
    assert out["match_method"].tolist() == ["vat", "new"]
    assert out["matched_to"].iloc[0] == "s:2"


def test_keeps_index_and_extra_columns() -> None:
    records = _records([(None, "ROSSI", "MI", None), (None, "ROSSI", "MI", None)])
    records.index = pd.Index(["x", "y"])
    records["note"] = ["a", "b"]
    out = link_records(records)
    assert out.index.tolist() == ["x", "y"] and out["note"].tolist() == ["a", "b"]
    assert str(out["firm_id"].dtype) == "string" and out["match_score"].dtype == np.float64


def test_comune_column_needed_only_to_block_on_it() -> None:
    records = _records([(None, "ROSSI", "MI", None), (None, "ROSSI", "MI", None)]).drop(columns="comune")
    assert link_records(records)["firm_id"].nunique() == 1
    with pytest.raises(ValueError, match="comune"):
        link_records(records, LinkConfig(block_on="comune"))


def test_empty_input() -> None:
    out = link_records(_records([]))
    assert len(out) == 0 and {"firm_id", "match_method", "match_score", "matched_to"} <= set(out.columns)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.drop(columns="province"), "lacks required columns"),
        (lambda r: r.drop(columns="name_key"), "lacks required columns"),
        (lambda r: r.assign(record_id="1"), "must be unique"),
        (lambda r: r.assign(vat="IT01234567890"), "11 digits"),
        (lambda r: r.assign(source=pd.NA), "missing values in 'source'"),
    ],
)
def test_bad_input_is_rejected(change, message: str) -> None:
    records = _records([("01234567890", "ROSSI", "MI", None), (None, "ROSSI", "MI", None)])
    with pytest.raises(ValueError, match=message):
        link_records(change(records))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scorer": "jaro_winkler"}, "scorer must be one of"),
        ({"name_threshold": 0.0}, r"in \(0, 1\]"),
        ({"name_threshold": 1.5}, r"in \(0, 1\]"),
        ({"name_threshold": 92}, r"in \(0, 1\]"),
        ({"name_threshold": "0.9"}, "must be a number"),
        ({"name_threshold": True}, "must be a number"),
        ({"block_on": "region"}, "block_on must be one of"),
        ({"legal_form_conflict_threshold": 0.9}, ">= name_threshold"),
        ({"allow_vat_conflict_merge": "yes"}, "must be a bool"),
        ({"ambiguity_margin": -0.1}, "ambiguity_margin must be None or"),
        ({"ambiguity_margin": 1.0}, "ambiguity_margin must be None or"),
    ],
)
def test_config_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LinkConfig(**kwargs)


def test_config_accepts_the_edges_of_its_range() -> None:
    assert LinkConfig(name_threshold=1.0).name_threshold == 1.0
    assert LinkConfig(ambiguity_margin=None).ambiguity_margin is None
    assert LinkConfig(scorer="WRatio", block_on="comune").block_on == "comune"


small_records = st.lists(
    st.tuples(
        st.sampled_from(["01234567890", "09876543210", "11111111111", None]),
        st.sampled_from(
            ["ROSSI INFORMATICA", "ROSSI INFORMATCA", "INFORMATICA ROSSI", "ROSSI INFORMATICA SISTEMI", None]
        ),
        st.sampled_from(["MI", "RM", "NA", None]),
        st.sampled_from(["SRL", "SRLS", "SPA", None]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(rows=small_records, data=st.data())
def test_linking_small_inputs_ignores_row_order_and_never_mixes_vats(rows: list[tuple], data) -> None:
    records = _records(rows)
    linked = link_records(records)
    order = data.draw(st.permutations(list(range(len(records)))))
    shuffled = link_records(records.iloc[order])
    pd.testing.assert_frame_equal(shuffled.loc[linked.index], linked)
    assert (linked.groupby("firm_id")["vat"].nunique() <= 1).all()
    unlinkable = linked["vat"].isna() & linked["name_key"].isna()
    assert (linked["firm_id"].isna() == unlinkable).all()


# --------------------------------------------------------------------------------------------
# pairwise_quality
# --------------------------------------------------------------------------------------------


def _brute_force_quality(predicted: list, truth: list) -> tuple[int, int, int]:
    """Pairs predicted, true and correct by enumerating all pairs (missing = own cluster)."""
    counts = [0, 0, 0]
    for (p1, t1), (p2, t2) in itertools.combinations(zip(predicted, truth, strict=True), 2):
        same_p = p1 is not None and p1 == p2
        same_t = t1 is not None and t1 == t2
        counts[0] += same_p
        counts[1] += same_t
        counts[2] += same_p and same_t
    return counts[0], counts[1], counts[2]


def test_pairwise_quality_hand_computed() -> None:
    quality = pairwise_quality(pd.Series(["a", "a", "a", "b"]), pd.Series([1, 1, 2, 2]))
    assert (quality["n_pairs_predicted"], quality["n_pairs_true"], quality["n_pairs_correct"]) == (3, 2, 1)
    assert quality["precision"] == pytest.approx(1 / 3)
    assert quality["recall"] == pytest.approx(1 / 2)
    assert quality["f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_pairwise_quality_bigger_hand_example() -> None:
    # truth {0,1,2,3} {4,5}; predicted {0,1} {2,3,4} {5}: 1 + 3 = 4 predicted, 6 + 1 = 7 true,
    # correct (0,1) and (2,3) = 2
    quality = pairwise_quality(pd.Series(list("aabbbc")), pd.Series(list("xxxxyy")))
    assert (quality["n_pairs_predicted"], quality["n_pairs_true"], quality["n_pairs_correct"]) == (4, 7, 2)
    assert quality["precision"] == pytest.approx(0.5)
    assert quality["recall"] == pytest.approx(2 / 7)


def test_pairwise_quality_missing_labels_are_singletons() -> None:
    predicted = pd.Series(["a", "a", pd.NA, pd.NA], dtype="string")
    quality = pairwise_quality(predicted, pd.Series(["x"] * 4))
    assert (quality["n_pairs_predicted"], quality["n_pairs_true"], quality["n_pairs_correct"]) == (1, 6, 1)
    assert quality["precision"] == 1.0 and quality["recall"] == pytest.approx(1 / 6)


def test_pairwise_quality_ignores_index_and_handles_no_pairs() -> None:
    quality = pairwise_quality(pd.Series(["a", "b"], index=[5, 6]), pd.Series(["x", "y"], index=[0, 1]))
    assert (quality["precision"], quality["recall"], quality["n_pairs_predicted"]) == (1.0, 1.0, 0)
    lumped = pairwise_quality(pd.Series(["a", "a"]), pd.Series(["x", "y"]))
    assert (lumped["precision"], lumped["recall"], lumped["f1"]) == (0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="differ in length"):
        pairwise_quality(pd.Series(["a"]), pd.Series(["x", "y"]))


labels = st.lists(st.integers(0, 6), min_size=2, max_size=40)


@settings(max_examples=150, deadline=None)
@given(truth=labels)
def test_truth_against_itself_is_perfect(truth: list[int]) -> None:
    quality = pairwise_quality(pd.Series(truth), pd.Series(truth))
    assert (quality["precision"], quality["recall"], quality["f1"]) == (1.0, 1.0, 1.0)


@settings(max_examples=150, deadline=None)
@given(truth=labels, data=st.data())
def test_splitting_a_cluster_lowers_recall_not_precision(truth: list[int], data: st.DataObject) -> None:
    sizes = pd.Series(truth).value_counts()
    splittable = sorted(sizes[sizes >= 2].index)
    if not splittable:
        return
    label = data.draw(st.sampled_from(splittable))
    members = [i for i, t in enumerate(truth) if t == label]
    moved = data.draw(st.lists(st.sampled_from(members), min_size=1, max_size=len(members) - 1, unique=True))
    predicted = [100 if i in moved else t for i, t in enumerate(truth)]
    quality = pairwise_quality(pd.Series(predicted), pd.Series(truth))
    assert quality["precision"] == 1.0
    assert quality["recall"] < 1.0


@settings(max_examples=150, deadline=None)
@given(truth=labels, data=st.data())
def test_merging_two_clusters_lowers_precision_not_recall(truth: list[int], data: st.DataObject) -> None:
    present = sorted(set(truth))
    if len(present) < 2:
        return
    first, second = data.draw(st.lists(st.sampled_from(present), min_size=2, max_size=2, unique=True))
    predicted = [first if t == second else t for t in truth]
    quality = pairwise_quality(pd.Series(predicted), pd.Series(truth))
    assert quality["recall"] == 1.0
    assert quality["precision"] < 1.0


@settings(max_examples=150, deadline=None)
@given(
    predicted=st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=0, max_size=30),
    data=st.data(),
)
def test_pairwise_quality_matches_brute_force(predicted: list, data: st.DataObject) -> None:
    truth = data.draw(
        st.lists(
            st.one_of(st.none(), st.sampled_from("abcd")), min_size=len(predicted), max_size=len(predicted)
        )
    )
    quality = pairwise_quality(pd.Series(predicted, dtype=object), pd.Series(truth, dtype=object))
    n_predicted, n_true, n_correct = _brute_force_quality(predicted, truth)
    assert (quality["n_pairs_predicted"], quality["n_pairs_true"], quality["n_pairs_correct"]) == (
        n_predicted,
        n_true,
        n_correct,
    )
    if n_predicted:
        assert quality["precision"] == pytest.approx(n_correct / n_predicted)
    if n_true:
        assert quality["recall"] == pytest.approx(n_correct / n_true)
