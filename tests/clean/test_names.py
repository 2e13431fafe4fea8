"""Tests of channelstudy.clean.names: legal forms, display names, matching keys."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelstudy.clean import names
from channelstudy.clean.exceptions import UnknownValue


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("S.r.l.", "SRL"),
        ("SRL", "SRL"),
        ("s.r.l", "SRL"),
        ("S.R.L", "SRL"),
        ("Srl", "SRL"),
        ("S. R. L.", "SRL"),
        ("Societa' a responsabilita' limitata", "SRL"),
        ("Società  a   responsabilità limitata", "SRL"),
        ("SOCIETA’ A RESPONSABILITA’ LIMITATA", "SRL"),
        ("SOCIETA' A RESPONSABILITA' LIMITATA CON UNICO SOCIO", "SRL"),
        ("SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA", "SRLS"),
        ("S.r.l.s.", "SRLS"),
        ("S.R.L. SEMPLIFICATA", "SRLS"),
        ("SRLS", "SRLS"),
        ("S.p.A.", "SPA"),
        ("SPA", "SPA"),
        ("Società per azioni", "SPA"),
        ("S.a.p.a.", "SAPA"),
        ("società in accomandita per azioni", "SAPA"),
        ("s.a.s.", "SAS"),
        ("SOCIETA' IN ACCOMANDITA SEMPLICE", "SAS"),
        ("SNC", "SNC"),
        ("s.n.c.", "SNC"),
        ("Soc. Coop.", "COOP"),
        ("SOCIETA' COOPERATIVA", "COOP"),
        ("societa' cooperativa a responsabilita' limitata", "COOP"),
        ("soc. coop. a r.l.", "COOP"),
        ("COOPERATIVA SOCIALE", "COOP"),
        ("ditta individuale", "DI"),
        ("Impresa Individuale", "DI"),
        ("SA", "FOREIGN"),
        ("GmbH", "FOREIGN"),
        ("Ltd", "FOREIGN"),
        ("Inc.", "FOREIGN"),
        ("B.V.", "FOREIGN"),
        ("S.L.", "FOREIGN"),
        ("SARL", "FOREIGN"),
        ("AG", "FOREIGN"),
        ("SOCIETA' COSTITUITA IN BASE A LEGGI DI ALTRO STATO", "FOREIGN"),
        ("SOCIETA' CONSORTILE A RESPONSABILITA' LIMITATA", "OTHER"),
        ("S.C.A R.L.", "OTHER"),
        ("CONSORZIO", "OTHER"),
        ("SOCIETA' EUROPEA", "OTHER"),
    ],
)
def test_legal_form_spellings(text: str, code: str) -> None:
    assert names.legal_form(text) == code
    assert names.legal_form(f"Rossi Informatica {text}") == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("POSTE ITALIANE SPA", "SPA"),
        ("GIS & WEB S.A.S. DI STARNINI ROBERTO & C.", "SAS"),  # form in the middle
        ("PROGETTI E SOLUZIONI - SOCIETA' PER AZIONI IN SIGLA PROGETTI E SOLUZIONI - S.P.A.", "SPA"),
        ("PALCOM SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA UNIPERSONALE", "SRLS"),
        ("COOPERATIVA SOCIALE EUREKA I ONLUS", "COOP"),
        ("STUDIOSIT SA", "FOREIGN"),
        ("ASKEEN SRL % ASKEEN GMBH", "SRL"),  # bilingual South Tyrol name: the Italian form wins
        ("SALERNO SA TECH S.R.L.", "SRL"),  # "SA" inside a name is not a form
        ("TERME SPA S.R.L.", "SRL"),  # the form that ends last wins
        ("AGM GROUP SOCIETA' RESPONSABILTA' LIMITATA SEMPLIFICATA", "SRLS"),  # real typo
        ("JOE POW MUSIC  ARTS SOCIETA' A RESPONSABILITA' LIMITATASEMPLIFICATA", "SRLS"),  # real, glued
        ("I-DEA S.R.L. A CAPITALE RIDOTTO", "SRLS"),
        ("OVERDATASIT DI FABIO DANZA", None),
        ("ZUNINO                   VALERIO", None),
    ],
)
def test_legal_form_in_real_names(name: str, code: str | None) -> None:
    assert names.legal_form(name) == code


def test_validate_legal_form() -> None:
    assert names.validate_legal_form("Soc. Coop.") == "COOP"
    with pytest.raises(UnknownValue):
        names.validate_legal_form("ZUNINO VALERIO")
    assert names.legal_form(None) is None


@pytest.mark.parametrize(
    ("name", "core", "code"),
    [
        ("WEMAPP - SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA", "WEMAPP", "SRLS"),
        ("TECHNICAL DESIGN S.R.L.", "TECHNICAL DESIGN", "SRL"),
        ("Rossi Informatica S.r.l. in liquidazione", "Rossi Informatica", "SRL"),
        ("POLLINE ART - IMPRESA SOCIALE S.R.L.", "POLLINE ART", "SRL"),
        (
            "ICASYSTEMS SOCIETA' A RESPONSABILITA' LIMITATA IN BREVE DENOMINAT A ICASYSTEMS S.R.L.",
            "ICASYSTEMS",
            "SRL",
        ),
        ("GIS & WEB S.A.S. DI STARNINI ROBERTO & C.", "GIS & WEB DI STARNINI ROBERTO & C.", "SAS"),
        ("COOPERATIVA", "COOPERATIVA", "COOP"),  # never emptied
        ("IBM ITALIA S.P.A.", "IBM ITALIA", "SPA"),
    ],
)
def test_split_name(name: str, core: str, code: str) -> None:
    assert names.split_name(name) == (core, code)


@pytest.mark.parametrize(
    ("name", "display"),
    [
        ("  rossi   informatica srl ", "ROSSI INFORMATICA S.R.L."),
        ("Rossi Informatica Società a responsabilità limitata", "ROSSI INFORMATICA S.R.L."),
        ("MAGGIOLI S.P.A.", "MAGGIOLI S.P.A."),
        ("INFOCERT SPA", "INFOCERT S.P.A."),
        ("WEMAPP - SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA", "WEMAPP S.R.L.S."),
        ("Connecting the dots società cooperativa", "CONNECTING THE DOTS SOC. COOP."),
        ("STUDIOSIT   SA", "STUDIOSIT SA"),  # foreign: own wording, tidied
        ("CONSORZIO MR. WOLF", "CONSORZIO MR. WOLF"),
        ("", None),
    ],
)
def test_clean_name(name: str, display: str | None) -> None:
    assert names.clean_name(name) == display


def test_name_key_anac_pair() -> None:
    a, b = names.name_key("TECHNICALDESIGN SRL"), names.name_key("TECHNICAL DESIGN S.R.L.")
    assert (a, b) == ("TECHNICALDESIGN", "TECHNICAL DESIGN")
    assert a.replace(" ", "") == b.replace(" ", "")  # the pair differs only by a space
    assert names.name_key("KIBERNETES  S.R.L.") == names.name_key("KIBERNETES S.R.L.") == "KIBERNETES"
    assert names.name_key("POSTE ITALIANE SPA") == names.name_key("POSTE ITALIANE") == "POSTE ITALIANE"


def test_name_key_rules() -> None:
    assert names.name_key("G.I.S. Service di Miraglia Claudio") == "GIS SERVICE DI MIRAGLIA CLAUDIO"
    assert names.name_key("Caffè Società Cooperativa") == names.name_key("CAFFE' SOC. COOP.") == "CAFFE"
    assert names.name_key("Acme Italia Group S.r.l.", drop_words={"italia", "group"}) == "ACME"
    assert names.name_key(None) is None
    assert names.name_key("...") is None


def test_clean_names_matches_scalar_functions() -> None:
    s = pd.Series(
        ["TECHNICALDESIGN SRL", "TECHNICAL DESIGN S.R.L.", None, "ZUNINO VALERIO", "Caffè Soc. Coop.", "  "],
        index=list("abcdef"),
    )
    out = names.clean_names(s)
    assert out.index.tolist() == list("abcdef")
    assert list(out.columns) == ["name", "name_key", "legal_form"]
    for label, raw in s.items():
        expected = [names.clean_name(raw), names.name_key(raw), names.legal_form(raw)]
        if isinstance(raw, str) and not raw.strip():
            expected = [None, None, None]
        assert out.loc[label].tolist() == [pd.NA if x is None else x for x in expected]


def test_clean_names_on_100k_rows() -> None:
    """100k rows, 20k distinct (the speed goal is in benchmarks/bench_cleaners.py)."""
    base = [f"AZIENDA {i} S.R.L." for i in range(20_000)]
    out = names.clean_names(pd.Series(base * 5))
    assert len(out) == 100_000 and out["legal_form"].eq("SRL").all()


# --- properties -------------------------------------------------------------------------------

VARIANTS = [
    "S.r.l.",
    "SRL",
    "s.r.l",
    "S.R.L",
    "Srl",
    "Societa' a responsabilita' limitata",
    "Società a responsabilità limitata",
    "S.p.A.",
    "SPA",
    "Società per azioni",
    "s.a.s.",
    "SNC",
    "Soc. Coop.",
    "SOCIETA' COOPERATIVA",
    "S.R.L. SEMPLIFICATA",
    "S.r.l.s.",
    "SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA",
    "in liquidazione",
    "S.R.L. unipersonale",
]
words = st.from_regex(r"[A-Za-zÀÈÉÌÒÙàèéìòù]{2,10}", fullmatch=True)
cores = st.lists(words, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_property_name_key_idempotent(text: str) -> None:
    key = names.name_key(text)
    if key is not None:
        assert names.name_key(key) == key


@settings(max_examples=300, deadline=None)
@given(
    core=cores, variant=st.sampled_from(VARIANTS), spaces=st.sampled_from([" ", "  ", "   "]), data=st.data()
)
def test_property_name_key_invariances(core: str, variant: str, spaces: str, data: st.DataObject) -> None:
    key = names.name_key(core)
    assert names.name_key(core.upper()) == key
    assert names.name_key(core.lower()) == key
    assert names.name_key(f"  {core.replace(' ', spaces)}  ") == key
    assert names.name_key(core + spaces + variant) == key
    other = data.draw(st.sampled_from(VARIANTS))
    assert names.name_key(core.swapcase() + " " + other.upper()) == key


# --- the real 2017 startup register -------------------------------------------------------------


def test_real_startup_legal_forms(startup_2017: pd.DataFrame) -> None:
    frame = startup_2017
    nat = frame["nat.giuridica"]
    counts = nat.value_counts()
    # PROVENANCE.md figures, on the exact spellings
    assert counts["SOCIETA' A RESPONSABILITA' LIMITATA"] == 5798
    assert counts["SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA"] == 970
    assert counts["SOCIETA' COOPERATIVA"] == 126
    assert counts["SOCIETA' PER AZIONI"] == 62
    # our codes: an S.r.l. "con unico socio" (76 rows) is an S.r.l. too
    expected = {
        "SRL": counts["SOCIETA' A RESPONSABILITA' LIMITATA"]
        + counts["SOCIETA' A RESPONSABILITA' LIMITATA CON UNICO SOCIO"],
        "SRLS": 970,
        "COOP": 126,
        "SPA": 62,
        "OTHER": counts["SOCIETA' CONSORTILE A RESPONSABILITA' LIMITATA"] + counts["SOCIETA' EUROPEA"],
        "FOREIGN": counts["SOCIETA' COSTITUITA IN BASE A LEGGI DI ALTRO STATO"],
    }
    got = names.clean_names(nat)["legal_form"].value_counts(dropna=False).to_dict()
    assert got == expected
    assert expected["SRL"] == 5798 + 76


def test_real_startup_names_agree_with_register(startup_2017: pd.DataFrame) -> None:
    frame = startup_2017
    from_register = frame["nat.giuridica"].map(names.legal_form)
    from_name = names.clean_names(frame["denominazione"])
    agree = (from_name["legal_form"] == from_register).fillna(False).mean()
    assert agree >= 0.99, f"legal form read from the name agrees with the register on {agree:.2%} of rows"
    keys = from_name["name_key"]
    assert keys.notna().all()
    # no key keeps a legal form that the register records for the firm
    srl = from_register.eq("SRL") & from_name["legal_form"].eq("SRL")
    assert not keys[srl].str.contains(r"\b(?:SRL|S R L)\b", regex=True).any()
