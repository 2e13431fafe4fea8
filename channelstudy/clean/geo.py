"""Italian geography: comune → ISTAT code, province sigla, region, macro-area, NUTS2.

The reference is the current ISTAT list of comuni (:func:`channelstudy.reference.comuni.load_comuni`).
Names are compared as *keys*: upper-case ASCII, accents stripped, any punctuation a space,
spaces collapsed (``Forlì`` = ``FORLI'`` = ``forli``; ``Sant'Angelo`` = ``SANT ANGELO``).
Bilingual comuni match on either name (``Bolzano``, ``Bozen``, ``Bolzano/Bozen``).

Provinces
---------
A province may be given as a current sigla (any case), a historical sigla, or a name
("Milano", "Forlì-Cesena", "Pesaro-Urbino", "Monza Brianza", "Reggio Emilia", "Bozen").
Historical sigle mapped to the current ones (:data:`HISTORICAL_PROVINCES`), flagged
``historical_province``:

* ``FO`` → ``FC`` (Forlì became Forlì-Cesena, 1992), ``PS`` → ``PU`` (Pesaro e Urbino);
* Sardinia's 2005-2016 provinces, abolished by regional law 2/2016 as applied by ISTAT from
  2016/2017: ``CI`` (Carbonia-Iglesias) and ``VS`` (Medio Campidano) → ``SU`` (Sud Sardegna),
  ``OG`` (Ogliastra) → ``NU`` (Nuoro), ``OT`` (Olbia-Tempio) → ``SS`` (Sassari).  The sigla
  mapping follows the bulk of each province; when a comune is given too, the comune's current
  province decides, so no comune is ever moved by this table.

Comuni
------
A comune resolves, in this order, when its key

1. matches exactly one current comune, within the given province if any (homonyms such as
   Castro BG / Castro LE need the province);
2. matches exactly one comune of a province carved out of the given one, or that the comune
   moved to (:data:`FORMER_PROVINCES`: Trani filed under ``BA``, Carbonia under ``CA``) — the
   comune's current province is returned, flagged ``historical_province``;
3. fuzzy-matches one comune: ``rapidfuzz`` ratio on keys of at least :data:`FUZZY_THRESHOLD`
   (90 out of 100) with a unique best candidate — among that province's comuni when the
   province is known, else among all; flagged ``fuzzy``;
4. (province known, key of 4+ characters) is the start of exactly one comune name of the
   province followed by more words: truncated names ("SAN BENEDETTO DEL") and renamings that
   lengthened a name ("CAPACCIO" → Capaccio Paestum, "NEGRAR" → Negrar di Valpolicella);
   flagged ``fuzzy`` too.

Fuzzy and prefix matching run only on the distinct (comune, province) pairs left unmatched.
Comuni merged since the data were written into a comune with a different name (the 2017
register predates many *fusioni*: Tresigallo, Cloz, Rossano) do not resolve: they are flagged
``unknown_comune`` and keep the province-level fields when the province is valid.

Flags (``geo_flag``; one code per row, the first that applies in this order)
----------------------------------------------------------------------------
``unknown_province``   a province was given but is not a sigla or name, old or new
``ambiguous_comune``   homonymous comuni and no province (or a fuzzy tie) to choose between them
``province_mismatch``  the comune exists but not in the given province: comune-level fields are
                       null, province-level fields come from the given province
``unknown_comune``     a comune was given but not found (merged since, misspelt beyond the
                       threshold, or not a comune)
``fuzzy``              the comune (or a province name) was corrected by fuzzy or prefix matching
``historical_province``  the province was given as a historical sigla and mapped, or the comune
                       was filed under a province it belonged to (see step 2 above)
``<NA>``               clean, or nothing given

>>> province_of("forlì-cesena"), province_of("FO"), province_of("na")
('FC', 'FC', 'NA')
>>> lookup_comune("Reggio nell'Emilia").province
'RE'
>>> lookup_comune("CASTRO")
Traceback (most recent call last):
    ...
channelstudy.clean.exceptions.AmbiguousValue: comune 'CASTRO' exists in provinces BG, LE
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from channelstudy.clean.exceptions import AmbiguousValue, InvalidComponent, UnknownValue
from channelstudy.reference.comuni import load_comuni, load_provinces

__all__ = [
    "FUZZY_THRESHOLD",
    "GEO_COLUMNS",
    "FORMER_PROVINCES",
    "HISTORICAL_PROVINCES",
    "Comune",
    "clean_geo",
    "clean_province",
    "is_valid_province",
    "lookup_comune",
    "province_of",
    "validate_province",
]

FUZZY_THRESHOLD: float = 90.0
"""Minimum rapidfuzz ``ratio`` (0-100) between name keys for a fuzzy correction."""

HISTORICAL_PROVINCES: dict[str, str] = {
    "FO": "FC",
    "PS": "PU",
    "CI": "SU",
    "VS": "SU",
    "OG": "NU",
    "OT": "SS",
}
"""Historical province sigla → current sigla (see the module docstring)."""

FORMER_PROVINCES: dict[str, tuple[str, ...]] = {
    "BT": ("BA", "FG"),
    "FM": ("AP",),
    "MB": ("MI",),
    "LC": ("CO", "BG"),
    "LO": ("MI",),
    "BI": ("VC",),
    "VB": ("NO",),
    "RN": ("FO", "FC", "PS", "PU"),
    "PO": ("FI",),
    "KR": ("CZ",),
    "VV": ("CZ",),
    "SU": ("CA", "CI", "VS"),
    "NU": ("OG",),
    "SS": ("OT",),
    "UD": ("BL",),
}
"""Current sigla → sigle its comuni were registered under before a province was created or a
comune moved (provinces of 1992-2009, Sardinia 2016, Valmarecchia 2009 and 2021, Sappada 2017).
Registers keyed on the chamber of commerce keep the old province for years (the 2017 startup
register files Trani under ``BA`` and Carbonia under ``CA``)."""

_PROVINCE_NAME_ALIASES: dict[str, str] = {
    "FORLI": "FC",
    "PESARO URBINO": "PU",
    "PESARO": "PU",
    "MONZA BRIANZA": "MB",
    "MONZA": "MB",
    "REGGIO EMILIA": "RE",
    "REGGIO DI CALABRIA": "RC",
    "MASSA CARRARA": "MS",
    "MASSA": "MS",
    "AOSTA": "AO",
    "VALLE D AOSTA": "AO",
    "SPEZIA": "SP",
    "VERBANIA": "VB",
    "BARLETTA": "BT",
    "CARBONIA IGLESIAS": "SU",
    "MEDIO CAMPIDANO": "SU",
    "OGLIASTRA": "NU",
    "OLBIA TEMPIO": "SS",
}
_COMUNE_ALIASES: dict[str, str] = {
    "REGGIO EMILIA": "REGGIO NELL EMILIA",
    "REGGIO CALABRIA": "REGGIO DI CALABRIA",
}

GEO_COLUMNS: tuple[str, ...] = (
    "istat_code",
    "comune",
    "province",
    "region",
    "macro_area",
    "nuts2",
    "geo_flag",
)
_PROVINCE_FIELDS = ("province", "region", "macro_area", "nuts2")
_COMUNE_FIELDS = ("istat_code", "comune", *_PROVINCE_FIELDS)
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")


def _key(value: object) -> str:
    """Comparison key: upper-case ASCII, punctuation to spaces, spaces collapsed."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    return _NON_ALNUM.sub(" ", text).strip()


class _Reference(NamedTuple):
    comuni: pd.DataFrame  # indexed by istat_code
    by_key: dict[str, tuple[str, ...]]  # key -> istat codes
    keys_by_province: dict[str, dict[str, str]]  # sigla -> {key: istat_code}
    all_keys: dict[str, tuple[str, ...]]
    provinces: pd.DataFrame  # indexed by sigla
    province_by_key: dict[str, str]
    province_of_code: dict[str, str]  # istat_code -> sigla


@lru_cache(maxsize=1)
def _reference() -> _Reference:
    comuni = load_comuni().set_index("istat_code", drop=False)
    by_key: dict[str, set[str]] = {}
    for code, name, full in zip(comuni["istat_code"], comuni["comune"], comuni["comune_full"], strict=True):
        names = {name, full, *full.split("/")}
        for n in names:
            if _key(n):
                by_key.setdefault(_key(n), set()).add(code)
    for alias, target in _COMUNE_ALIASES.items():
        by_key.setdefault(alias, set()).update(by_key[target])
    frozen = {k: tuple(sorted(v)) for k, v in by_key.items()}
    province_of_code = comuni["province"].to_dict()
    keys_by_province: dict[str, dict[str, str]] = {}
    for key, codes in frozen.items():
        for code in codes:
            keys_by_province.setdefault(province_of_code[code], {})[key] = code
    provinces = load_provinces().set_index("province", drop=False)
    province_by_key: dict[str, str] = {}
    for sigla, name in zip(provinces["province"], provinces["province_name"], strict=True):
        for n in {name, *name.split("/")}:
            province_by_key[_key(n)] = sigla
    province_by_key.update(_PROVINCE_NAME_ALIASES)
    return _Reference(comuni, frozen, keys_by_province, frozen, provinces, province_by_key, province_of_code)


class _Province(NamedTuple):
    sigla: str | None
    flag: str | None


def _resolve_province(value: object, threshold: float = FUZZY_THRESHOLD) -> _Province:
    key = _key(value)
    if not key:
        return _Province(None, None)
    ref = _reference()
    if key in ref.provinces.index:
        return _Province(key, None)
    if key in HISTORICAL_PROVINCES:
        return _Province(HISTORICAL_PROVINCES[key], "historical_province")
    if key in ref.province_by_key:
        return _Province(ref.province_by_key[key], None)
    if len(key) > 3:
        best = process.extract(
            key, list(ref.province_by_key), scorer=fuzz.ratio, limit=2, score_cutoff=threshold
        )
        siglas = {ref.province_by_key[name] for name, score, _ in best if score == best[0][1]}
        if len(siglas) == 1:
            return _Province(siglas.pop(), "fuzzy")
    return _Province(None, "unknown_province")


def province_of(value: object) -> str | None:
    """Current province sigla for a sigla (old or new, any case) or a name; ``None`` if unknown.

    >>> province_of("Pesaro-Urbino"), province_of("PS"), province_of("Bozen"), province_of("XX")
    ('PU', 'PU', 'BZ', None)
    """
    return _resolve_province(value).sigla


def validate_province(value: object) -> str:
    """Current province sigla for ``value`` or raise :class:`UnknownValue`.

    >>> validate_province("Forli' Cesena")
    'FC'
    """
    sigla = _resolve_province(value).sigla
    if sigla is None:
        raise UnknownValue(f"unknown province {value!r}")
    return sigla


def is_valid_province(value: object) -> bool:
    """True if :func:`province_of` resolves ``value``."""
    return province_of(value) is not None


class Comune(NamedTuple):
    """One resolved comune."""

    istat_code: str
    comune: str
    province: str
    region: str
    macro_area: str
    nuts2: str


class _Resolution(NamedTuple):
    istat_code: str | None
    province: str | None
    flag: str | None


def _fuzzy(
    key: str, choices: dict[str, str] | dict[str, tuple[str, ...]], threshold: float
) -> _Resolution | None:
    """Unique best fuzzy candidate among ``choices`` (key -> code(s)); ``None`` if none clears."""
    best = process.extract(key, list(choices), scorer=fuzz.ratio, limit=5, score_cutoff=threshold)
    if not best:
        return None
    top = best[0][1]
    codes: set[str] = set()
    for name, score, _ in best:
        if score == top:
            found = choices[name]
            codes.update((found,) if isinstance(found, str) else found)
    if len(codes) > 1:
        return _Resolution(None, None, "ambiguous_comune")
    return _Resolution(codes.pop(), None, "fuzzy")


def _prefix(key: str, choices: dict[str, str]) -> _Resolution | None:
    """The one comune whose key starts with ``key`` followed by a space (truncated or renamed)."""
    if len(key) < 4:
        return None
    codes = {code for name, code in choices.items() if name.startswith(key + " ")}
    return _Resolution(codes.pop(), None, "fuzzy") if len(codes) == 1 else None


def _resolve(comune_key: str, province: _Province, threshold: float) -> _Resolution:
    """Resolve one (comune key, resolved province) pair; see the module docstring."""
    ref = _reference()
    prov, prov_flag = province
    if prov_flag == "unknown_province":
        prov = None
    if not comune_key:
        return _Resolution(None, prov, prov_flag)
    candidates = ref.by_key.get(comune_key, ())
    if prov is not None:
        in_province = [c for c in candidates if ref.province_of_code[c] == prov]
        if len(in_province) == 1:
            return _Resolution(in_province[0], prov, prov_flag)
        moved = [c for c in candidates if prov in FORMER_PROVINCES.get(ref.province_of_code[c], ())]
        if len(moved) == 1:
            return _Resolution(moved[0], None, "historical_province")
        in_scope = ref.keys_by_province.get(prov, {})
        fuzzy = _fuzzy(comune_key, in_scope, threshold) or _prefix(comune_key, in_scope)
        if fuzzy is not None and fuzzy.istat_code is not None:
            return _Resolution(fuzzy.istat_code, prov, "fuzzy")
        return _Resolution(None, prov, "province_mismatch" if candidates else "unknown_comune")
    if len(candidates) == 1:
        return _Resolution(candidates[0], None, prov_flag)
    if len(candidates) > 1:
        return _Resolution(None, None, prov_flag or "ambiguous_comune")
    fuzzy = _fuzzy(comune_key, ref.all_keys, threshold)
    if fuzzy is None:
        return _Resolution(None, None, prov_flag or "unknown_comune")
    return fuzzy._replace(flag=prov_flag or fuzzy.flag)


def lookup_comune(comune: object, province: object = None, *, threshold: float = FUZZY_THRESHOLD) -> Comune:
    """Resolve one comune (optionally within a province) or raise a typed error.

    Raises
    ------
    UnknownValue
        unknown comune or province.
    AmbiguousValue
        homonymous comuni and no province to choose.
    InvalidComponent
        the comune exists, but not in the given province.

    >>> lookup_comune("SAN TEODORO", "SS").istat_code
    '090092'
    >>> lookup_comune("Milano", "RM")
    Traceback (most recent call last):
        ...
    channelstudy.clean.exceptions.InvalidComponent: comune 'Milano' is not in province 'RM'
    """
    ref = _reference()
    key = _key(comune)
    if not key:
        raise UnknownValue("no comune given")
    result = _resolve(key, _resolve_province(province, threshold), threshold)
    if result.istat_code is not None and result.flag != "unknown_province":
        row = ref.comuni.loc[result.istat_code]
        return Comune(*(str(row[f]) for f in _COMUNE_FIELDS))
    if result.flag == "unknown_province":
        raise UnknownValue(f"unknown province {province!r}")
    if result.flag == "province_mismatch":
        raise InvalidComponent(f"comune {comune!r} is not in province {province!r}")
    if result.flag == "ambiguous_comune":
        codes = ref.by_key.get(key, ())
        where = ", ".join(sorted(ref.comuni.loc[list(codes), "province"])) if codes else "several provinces"
        raise AmbiguousValue(f"comune {comune!r} exists in provinces {where}")
    raise UnknownValue(f"unknown comune {comune!r}")


def clean_province(s: pd.Series, *, threshold: float = FUZZY_THRESHOLD) -> pd.DataFrame:
    """Vectorised :func:`province_of`: DataFrame ``[province, province_flag]``, same index.

    Flags: ``historical_province``, ``fuzzy``, ``unknown_province`` or ``<NA>``.

    >>> clean_province(pd.Series(["MI", "FO", "Milano", "ZZ", None])).province.tolist()
    ['MI', 'FC', 'MI', <NA>, <NA>]
    """
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    resolved = [_resolve_province(u, threshold) for u in uniques] + [_Province(None, None)]
    table = np.array(resolved, dtype=object).reshape(len(resolved), 2)[codes]
    return pd.DataFrame(
        {
            "province": pd.array(table[:, 0], dtype="string"),
            "province_flag": pd.array(table[:, 1], dtype="string"),
        },
        index=s.index,
    )


def _factorize_rows(frame: pd.DataFrame) -> tuple[np.ndarray, list[tuple]]:
    """Codes of the distinct rows of ``frame`` (no missing cells) and those rows as tuples, in first-seen order.

    As ``pd.factorize(pd.MultiIndex.from_frame(frame))``, from one factorization per column.

    >>> codes, uniques = _factorize_rows(pd.DataFrame({"c": ["a", "b", "a", "a"], "p": ["X", "X", "X", "Y"]}))
    >>> codes.tolist(), uniques
    ([0, 1, 0, 2], [('a', 'X'), ('b', 'X'), ('a', 'Y')])
    """
    combined = np.zeros(len(frame), dtype=np.int64)
    levels = []
    for column in frame.columns:
        column_codes, column_uniques = pd.factorize(frame[column])
        levels.append(np.asarray(column_uniques, dtype=object))
        combined = combined * max(len(column_uniques), 1) + column_codes
    codes, distinct = pd.factorize(combined)
    parts = []
    for level in reversed(levels):
        parts.append(level[distinct % max(len(level), 1)] if len(level) else np.empty(0, dtype=object))
        distinct = distinct // max(len(level), 1)
    return codes, list(zip(*reversed(parts), strict=True))


def clean_geo(
    comune: pd.Series,
    province: pd.Series | None = None,
    *,
    threshold: float = FUZZY_THRESHOLD,
) -> pd.DataFrame:
    """Vectorised geography cleaning; one row per row of ``comune``, same index.

    Parameters
    ----------
    comune
        Comune names as written (any case, accents or apostrophes).
    province
        Province sigla or name per row (aligned on the index), or ``None``.
    threshold
        Fuzzy-match threshold (0-100), default :data:`FUZZY_THRESHOLD`.

    Returns
    -------
    DataFrame with string columns :data:`GEO_COLUMNS`: ``istat_code`` (6 digits), ``comune``
    (official ISTAT name), ``province`` (current sigla), ``region``, ``macro_area``, ``nuts2``,
    ``geo_flag`` (see the module docstring).  Exact matches are joined on distinct (comune,
    province) pairs; fuzzy matching runs only on the distinct pairs left unmatched.

    >>> out = clean_geo(pd.Series(["FORLI'", "Castro", "Castro"]), pd.Series(["FO", "LE", None]))
    >>> out[["istat_code", "province", "geo_flag"]].to_numpy().tolist()
    [['040012', 'FC', 'historical_province'], ['075096', 'LE', <NA>], [<NA>, <NA>, 'ambiguous_comune']]
    """
    ref = _reference()
    if province is None:
        province = pd.Series(pd.NA, index=comune.index, dtype="string")
    if not province.index.equals(comune.index):
        province = province.reindex(comune.index)
    prov = clean_province(province, threshold=threshold)
    comune_text = comune.astype("string")
    pairs = pd.DataFrame(
        {"c": comune_text.fillna(""), "p": prov["province"].fillna(""), "f": prov["province_flag"].fillna("")}
    )
    codes, uniques = _factorize_rows(pairs)
    key_cache: dict[str, str] = {}
    results: list[_Resolution] = []
    for raw, sigla, flag in uniques:
        key = key_cache.get(raw)
        if key is None:
            key = key_cache[raw] = _key(raw)
        results.append(_resolve(key, _Province(sigla or None, flag or None), threshold))
    # one output row per distinct pair: comune-level fields from the comune, province-level ones
    # from the comune or else from the given province; then spread to the rows by code
    istat = pd.Index([r.istat_code or "" for r in results])
    from_comune = ref.comuni.reindex(istat)
    prov_code = from_comune["province"].to_numpy(dtype=object, na_value=None)
    prov_code = [c if c is not None else (r.province or "") for c, r in zip(prov_code, results, strict=True)]
    from_province = ref.provinces.reindex(pd.Index(prov_code))
    table = {
        "istat_code": from_comune["istat_code"],
        "comune": from_comune["comune"],
        "province": from_province["province"],
        "region": from_province["region"],
        "macro_area": from_province["macro_area"],
        "nuts2": from_province["nuts2"],
        "geo_flag": pd.Series([r.flag for r in results], dtype=object),
    }
    out = pd.DataFrame(index=comune.index)
    for column in GEO_COLUMNS:
        values = np.append(table[column].to_numpy(dtype=object, na_value=None), None)  # code -1 -> None
        out[column] = pd.array(values[codes], dtype="string")
    return out
