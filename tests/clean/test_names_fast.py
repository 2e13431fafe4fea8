"""The fast paths of ``clean_names`` give exactly the per-name reference ``_clean_one``."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.clean import names

FORMS = [
    "S.r.l.", "SRL", "s.r.l", "S.R.L", "Srl", "S. R. L.", "S.R.L.S.", "srls", "S.R.L. SEMPLIFICATA",
    "S.p.A.", "SPA", "s.p.a.", "S.P.A", "SAPA", "S.a.s.", "sas", "S.N.C.", "snc", "s.n.c", "Soc. Coop.",
    "SOC COOP", "società a responsabilità limitata", "SOCIETA' A RESPONSABILITA' LIMITATA",
    "Società per azioni", "società in nome collettivo", "ditta individuale", "IMPRESA INDIVIDUALE",
    "cooperativa sociale a r.l.", "S.C.A R.L.", "SCARL", "in liquidazione", "unipersonale",
    "con unico socio", "IN SIGLA", "in breve", "GmbH", "SA", "Ltd", "S.T.P.", "A R.L.", "SS", "DI",
    "& C.", "di", "Società", "soc.", "responsabilita", "start-up innovativa", "ONLUS", "Unipersonale",
    "RESPONSABILITA LIMITATA", "reponsabilità limitata semplificata", "START UP COSTITUITA", "Agricola",
]
SEPARATORS = [" ", "  ", "\t", " - ", ", ", "\n", " \u00a0", "", "-", ".", "'", "’", " ,", "/", " & "]
WORDS = ["ROSSI", "Rossi", "rossi", "Bianchi", "DATA", "IT", "A", "B", "G.I.S.", "Caffè", "CAFFE'", "DE",
         "SOC", "In", "Start", "Responsabilità", "SAS2", "X", "É", "ÀB", "QQ", "ŞIRKET", "ß", "ﬁ", "",
         "V.A.", "v.a.", "I.N.", "S.A.", "a.b.", "B.V.", "V.A.S.", "R."]

piece = st.one_of(
    st.sampled_from(FORMS), st.sampled_from(WORDS), st.from_regex(r"[A-Za-z0-9]{1,6}", fullmatch=True),
    st.text(max_size=6),
)
names_text = st.lists(st.tuples(piece, st.sampled_from(SEPARATORS)), max_size=7).map(
    lambda parts: "".join(p + s for p, s in parts)
)
wrapped = st.tuples(st.sampled_from(["", " ", "  ", "\t", "-", ". "]), names_text, st.sampled_from(["", " ", " -", "."]))


def _reference(values: list[str | None], drop_words: tuple[str, ...] = ()) -> list[list[object]]:
    out = []
    for value in values:
        row = [None, None, None] if value is None else list(names._clean_one(value, drop_words=drop_words))
        out.append([pd.NA if x is None else x for x in row])
    return out


def _fast(values: list[str | None], drop_words: tuple[str, ...] = ()) -> list[list[object]]:
    frame = names.clean_names(pd.Series(values, dtype="string"), drop_words=drop_words)
    return frame.astype(object).where(frame.notna(), pd.NA).values.tolist()


@settings(max_examples=600, deadline=None)
@given(st.lists(wrapped.map("".join), min_size=1, max_size=8))
def test_property_clean_names_equals_reference(values: list[str]) -> None:
    batch = [*values, *(v.upper() for v in values), *(v.lower() for v in values), None, ""]
    assert _fast(batch) == _reference(batch)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_property_clean_names_equals_reference_on_any_text(values: list[str]) -> None:
    assert _fast(values) == _reference(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(wrapped.map("".join), min_size=1, max_size=6))
def test_property_clean_names_equals_reference_with_drop_words(values: list[str]) -> None:
    assert _fast(values, ("ITALIA", "rossi")) == _reference(values, ("ITALIA", "rossi"))


def test_plain_heads_and_their_rest() -> None:
    values = [
        "ROSSI INFORMATICA S.R.L.", "Rossi  Informatica srl", "ROSSI INFORMATICA", "ROSSI IN LIQUIDAZIONE",
        "ROSSI SOC COOP", "DATA SA", "DATA SAS2 SA", "ROSSI DI BIANCHI & C. S.A.S.", "ROSSI ,SRL", "QQ SRL",
        "DATA 2000 - S.P.A. -", "RESPONSABILE DATI SRL", "AB CD", "AB C D SRL", "Caffè Rossi S.r.l.",
        "ROSSI Caffè Società a responsabilità limitata", "ROSSI\nSRL", "ROSSI \u00a0SRL", "ROSSI SRL\n",
    ]
    assert _fast(values) == _reference(values)
    # every word that may start a pattern, after a plain head, alone or followed by more words
    starts = [*names._TRIE.exact, *(prefix + "ILITA" for prefix, _ in names._TRIE.prefixes)]
    values = [f"{head}{word}{tail}" for word in starts + FORMS for head in ["ROSSI ", "Rossi Dati "]
              for tail in ["", " ", " SRL", " LIMITATA", " INNOVATIVA", " ROSSI"]]
    assert _fast(values) == _reference(values)
    # two initials before the plain head: those that fold to a pattern's first word, and short words after
    letters = sorted({w for w in names._TRIE.exact if len(w) == 2} | {"VA", "QQ", "DI"})
    values = [f"{a}.{b}. {head}{tail}" for a, b in letters for head in ["", "ROSSI ", "Rossi Dati ", "A ", "B.C. "]
              for tail in ["", " SRL", "LIQUIDAZIONE", "LIQUIDAZIONE SRL", "A R.L.", "& C. S.A.S."]]
    assert _fast(values) == _reference(values)
    assert _fast(["ROSSI INFORMATICA S.R.L."]) == [["ROSSI INFORMATICA S.R.L.", "ROSSI INFORMATICA", "SRL"]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u00a0\u2003aZé.'-"), max_size=12)))
def test_property_variants_equal_variant(values: list[str]) -> None:
    got = names._variants(pa.array(values, type=pa.string())).to_pylist()
    assert got == [names._variant(v) for v in values]


def test_plain_head_stops_exactly_at_pattern_words() -> None:
    """The trie-shaped alternation refuses the pattern words and nothing else (near misses pass)."""
    for word in names._TRIE.exact:
        for candidate in {word, word + "X", word + "C", word[:-1], word[1:], word.lower(), word.title()}:
            if len(candidate) < 2:
                continue
            refused = candidate.upper() in names._TRIE.exact
            split = names._split_head(f"ROSSI {candidate} DATI")
            assert split is not None and (split[0] == "ROSSI") == refused, candidate
    for prefix in ("RESPONSAB", "REPONSAB", "RESPONSA", "RESP"):
        split = names._split_head(f"ROSSI {prefix}ILITA DATI")
        assert split is not None and (split[0] == "ROSSI") == prefix.startswith(("RESPONSAB", "REPONSAB"))
