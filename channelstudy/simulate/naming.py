"""Italian-looking names for simulated firms, people and customers (all fictional).

Names are built from word lists by vectorised random choice; any resemblance to a real company
is accidental.  Legal forms are rendered in the spellings real exports use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SURNAMES = (
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti "
    "DeLuca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani "
    "Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra "
    "Coppola DeSantis DAngelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini "
    "Grasso Valentini Messina Sala DeAngelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti "
    "Cattaneo Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani Benedetti "
    "Barone Rossetti Caputo Montanari Guerra Palmieri Bernardi Martino Fiore DeRosa Ferretti "
    "Bellini Basile Riva Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano "
    "Ruggiero Sorrentino DAmico Orlando Damico Negri Zanetti Bassi Fumagalli Cirillo Brambilla"
).split()

FIRST_NAMES = (
    "Marco Giuseppe Luca Andrea Francesco Alessandro Giovanni Roberto Stefano Paolo Matteo "
    "Davide Simone Federico Lorenzo Antonio Riccardo Fabio Massimo Daniele Maria Anna Giulia "
    "Francesca Sara Laura Chiara Valentina Elena Silvia Martina Federica Alessandra Paola "
    "Elisa Roberta Monica Cristina Barbara Claudia"
).split()

PREFIXES = (
    "Data Info Net Tecno Tech Web Cloud Digi Soft Sys Micro Compu Logi Cyber Smart Open Team "
    "Pro Alpha Nova Meta Omni Inter Multi Neo Terra Mare Sole Stella Via Linea Punto Rete Nodo "
    "Media Geo Bit Byte Pixel Quanta Astra Kairos Synergo Sinergia Prisma Vertice Orbita"
).split()

SUFFIXES = (
    "nova lab logic soft sys net tech link wave point service data matica ware lab tronic "
    "works gate line bit cube mind hub core sphere zone path vision"
).split()

SECTOR_WORDS = (
    "Informatica Sistemi Soluzioni Software Consulting Servizi Digital Tecnologie Computer "
    "Engineering Networks Data Cloud Solutions Elaborazioni Telematica Innovazione Progetti "
    "Automazione Security Office Consulenze Technology"
).split()

PLACE_ADJECTIVES = (
    "Lombarda Veneta Piemontese Emiliana Toscana Romana Campana Pugliese Siciliana Sarda "
    "Ligure Friulana Marchigiana Umbra Calabra Abruzzese Trentina Adriatica Tirrenica Padana"
).split()

CUSTOMER_WORDS = (
    "Manifattura Industrie Officine Costruzioni Trasporti Alimentare Assicurazioni Banca "
    "Farmaceutica Meccanica Tessile Logistica Energia Acque Ospedale Cantieri Distribuzione "
    "Moda Ceramiche Acciaierie Cartiera Mobilificio Editrice Laboratori Chimica Gruppo"
).split()

VENDOR_NAMES = (
    "Nimbus Systems", "Orbis Software", "Helix Data", "Corvin Computing", "Azurra Cloud",
    "Lumen Networks", "Stratos Enterprise", "Vega Analytics", "Quasar Hardware", "Borealis Apps",
    "Meridian Platforms", "Altair Security", "Zenith Storage", "Polaris ERP", "Cirrus Collaboration",
    "Atlas Devices", "Sirius AI", "Tessera Business Software", "Nova Infrastructure", "Kappa Semiconductors",
)
"""Fictional platform vendors (at most 20): their Italian subsidiaries are in the population."""

LEGAL_FORM_SPELLINGS: dict[str, tuple[str, ...]] = {
    "SRL": ("S.r.l.", "SRL", "s.r.l.", "S.R.L.", "Srl", "s.r.l", "S.r.l", "Societa' a responsabilita' limitata",
            "SOCIETA' A RESPONSABILITA' LIMITATA", "Società a responsabilità limitata"),
    "SRLS": ("S.r.l.s.", "SRLS", "S.R.L.S.", "srls", "S.r.l. semplificata",
             "SOCIETA' A RESPONSABILITA' LIMITATA SEMPLIFICATA"),
    "SPA": ("S.p.A.", "SPA", "S.P.A.", "SpA", "s.p.a.", "Società per azioni", "SOCIETA' PER AZIONI"),
    "SAPA": ("S.a.p.a.", "SAPA", "S.A.P.A.", "Società in accomandita per azioni"),
    "SAS": ("S.a.s.", "SAS", "s.a.s.", "S.A.S.", "Società in accomandita semplice"),
    "SNC": ("S.n.c.", "SNC", "s.n.c.", "S.N.C.", "Società in nome collettivo"),
    "COOP": ("Soc. Coop.", "Società Cooperativa", "SOCIETA' COOPERATIVA", "Coop.", "soc. coop. a r.l."),
    "DI": ("", "Ditta individuale", "di"),
}
"""Spellings of each canonical legal form as they appear in exports (the first is canonical)."""


def _pick(rng: np.random.Generator, words: list[str] | tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(words, dtype=object)[rng.integers(0, len(words), size=n)]


def _split_camel(word: str) -> str:
    # "DeLuca" -> "De Luca", "DAngelo" -> "D'Angelo"
    if word.startswith("DA") and len(word) > 2 and word[2].isupper() is False:
        return word
    if word.startswith("D") and len(word) > 1 and word[1].isupper():
        return "D'" + word[1:]
    if word.startswith("De") and len(word) > 2 and word[2].isupper():
        return "De " + word[2:]
    return word


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random (first name, surname) pairs."""
    first = _pick(rng, FIRST_NAMES, n)
    last = np.array([_split_camel(s) for s in _pick(rng, SURNAMES, n)], dtype=object)
    return first, last


def company_core_names(rng: np.random.Generator, n: int, legal_forms: np.ndarray) -> np.ndarray:
    """Core company names (without legal form), in several Italian naming patterns.

    Sole traders (``DI``) are named after a person, as they are in the register.
    """
    pattern = rng.choice(5, size=n, p=[0.30, 0.25, 0.20, 0.15, 0.10])
    surname = np.array([_split_camel(s) for s in _pick(rng, SURNAMES, n)], dtype=object)
    first, _ = person_names(rng, n)
    coined = _pick(rng, PREFIXES, n) + _pick(rng, SUFFIXES, n)
    sector = _pick(rng, SECTOR_WORDS, n)
    sector2 = _pick(rng, SECTOR_WORDS, n)
    place = _pick(rng, PLACE_ADJECTIVES, n)
    initials = np.array(
        [f"{a}.{b}." for a, b in zip(rng.choice(list("ABCDEFGILMNPRSTV"), n), rng.choice(list("ABCDEFGILMNPRSTV"), n),
                                     strict=True)],
        dtype=object,
    )
    candidates = np.stack(
        [
            surname + " " + sector,
            coined,
            coined + " " + sector,
            sector + " " + place,
            initials + " " + sector2,
        ]
    )
    names = candidates[pattern, np.arange(n)]
    sole = legal_forms == "DI"
    names[sole] = np.where(rng.random(sole.sum()) < 0.5, surname[sole] + " " + first[sole],
                           first[sole] + " " + surname[sole] + " " + sector[sole])
    return names


def make_unique(names: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Make names unique within each group (province) by adding a distinguishing word.

    Two distinct firms with the same name in the same province cannot be told apart without a
    VAT number; the real register forbids identical names in practice, and so does the simulator.
    """
    names = names.copy()
    extra = ("Group", "Italia", "Service", "Lab", "Due", "Tre", "Plus", "Network", "Evolution", "Studio")
    for _ in range(20):
        key = pd.Series(names, dtype=str).str.upper() + "|" + pd.Series(groups).astype(str)
        dup = key.duplicated(keep="first").to_numpy()
        if not dup.any():
            return names
        names[dup] = names[dup] + " " + _pick(rng, extra, int(dup.sum()))
    raise RuntimeError("could not make company names unique")


def render_legal_form(rng: np.random.Generator, codes: np.ndarray, canonical_prob: float = 0.45) -> np.ndarray:
    """A spelling of each legal-form code; the canonical one with ``canonical_prob``."""
    out = np.empty(len(codes), dtype=object)
    for code, spellings in LEGAL_FORM_SPELLINGS.items():
        idx = np.flatnonzero(codes == code)
        if idx.size == 0:
            continue
        pick = rng.integers(0, len(spellings), size=idx.size)
        pick[rng.random(idx.size) < canonical_prob] = 0
        out[idx] = np.asarray(spellings, dtype=object)[pick]
    return out


def full_company_names(core: np.ndarray, legal_spelling: np.ndarray) -> np.ndarray:
    """Core name plus legal-form spelling ("Rossi Informatica S.r.l.")."""
    return np.array([f"{c} {lf}".strip() for c, lf in zip(core, legal_spelling, strict=True)], dtype=object)


def customer_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Enterprise customer names ("Manifattura Lombarda S.p.A.")."""
    word = _pick(rng, CUSTOMER_WORDS, n)
    tail = np.where(rng.random(n) < 0.5, _pick(rng, PLACE_ADJECTIVES, n),
                    np.array([_split_camel(s) for s in _pick(rng, SURNAMES, n)], dtype=object))
    form = np.where(rng.random(n) < 0.6, "S.p.A.", "S.r.l.")
    names = word + " " + tail
    names = make_unique(names, np.full(n, "", dtype=object), rng)
    return names + " " + form
