"""Corruption primitives: how clean truth becomes a messy raw export.

Each function takes clean values and a ``numpy.random.Generator`` and returns rendered text.
Rates come from :class:`channelstudy.simulate.config.MessRates`; the kinds of mess mirror what
real Italian registers and survey exports show (see ``../shared/realdata/*/PROVENANCE.md``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from channelstudy.simulate.config import ATECO_2007_EQUIVALENT

HISTORICAL_SIGLA = {"FC": "FO", "PU": "PS"}
"""Current sigla -> old sigla still found in older exports (Forlì-Cesena, Pesaro e Urbino)."""

_LETTERS = "abcdefghilmnoprstuvz"


def typo(rng: np.random.Generator, text: str) -> str:
    """One character edit inside a word: swap, drop, double or replace (never the first letter)."""
    positions = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i - 1].isalpha()]
    if not positions:
        return text
    i = positions[int(rng.integers(len(positions)))]
    op = int(rng.integers(4))
    if op == 0 and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if op == 1:
        return text[:i] + text[i + 1:]
    if op == 2:
        return text[:i] + text[i] + text[i:]
    ch = _LETTERS[int(rng.integers(len(_LETTERS)))]
    ch = ch.upper() if text[i].isupper() else ch
    return text[:i] + ch + text[i + 1:]


def apply_typos(rng: np.random.Generator, values: np.ndarray, rate: float) -> np.ndarray:
    """Put one typo in about ``rate`` of the values."""
    out = values.copy()
    hit = np.flatnonzero(rng.random(len(values)) < rate)
    for i in hit:
        out[i] = typo(rng, str(out[i]))
    return out


def _break_check_digit(rng: np.random.Generator, vat: str) -> str:
    i = int(rng.integers(0, 10))
    d = (int(vat[i]) + int(rng.integers(1, 10))) % 10
    return vat[:i] + str(d) + vat[i + 1:]


def _format_vat(rng: np.random.Generator, vat: str) -> str:
    style = int(rng.integers(4))
    if style == 0:
        return "IT" + vat
    if style == 1:
        return "IT " + vat
    if style == 2:
        return f"{vat[:3]} {vat[3:6]} {vat[6:9]} {vat[9:]}"
    return f"{vat[:3]}.{vat[3:6]}.{vat[6:]}"


def render_vat(rng: np.random.Generator, vats: np.ndarray, *, missing: float, invalid: float,
               formatted: float, extra_zero: float) -> tuple[np.ndarray, np.ndarray]:
    """Render partite IVA with missing, invalid (check digit), formatted and 12-digit values.

    Returns the rendered text and the kind of corruption applied (``ok``, ``missing``,
    ``invalid``, ``formatted``, ``extra_zero``), which goes to the truth folder.
    """
    n = len(vats)
    u = rng.random(n)
    kind = np.full(n, "ok", dtype=object)
    cuts = np.cumsum([missing, invalid, formatted, extra_zero])
    kind[u < cuts[3]] = "extra_zero"
    kind[u < cuts[2]] = "formatted"
    kind[u < cuts[1]] = "invalid"
    kind[u < cuts[0]] = "missing"
    out = vats.astype(object).copy()
    for i in np.flatnonzero(kind != "ok"):
        k = kind[i]
        if k == "missing":
            out[i] = ""
        elif k == "invalid":
            out[i] = _break_check_digit(rng, vats[i])
        elif k == "formatted":
            out[i] = _format_vat(rng, vats[i])
        else:
            out[i] = "0" + vats[i]
    return out, kind


def render_province(rng: np.random.Generator, sigla: np.ndarray, names: np.ndarray, *, as_name: float,
                    historical: float) -> np.ndarray:
    """Province as sigla, sometimes as its name or lower case, old sigle for FC and PU."""
    n = len(sigla)
    out = sigla.astype(object).copy()
    u = rng.random(n)
    use_name = u < as_name
    out[use_name] = names[use_name]
    lower = (u >= as_name) & (u < as_name + 0.02)
    out[lower] = np.char.lower(sigla[lower].astype(str)).astype(object)
    for new, old in HISTORICAL_SIGLA.items():
        hist = (sigla == new) & (rng.random(n) < historical)
        out[hist] = old
    return out


@lru_cache(maxsize=64)
def ateco_spellings(code_2025: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Valid spellings of an ATECO 2025 class: (2025 forms, ATECO 2007 forms).

    Dotted and compact class codes always; the ``.00`` subcategory forms only where that
    subcategory exists in the edition (``62.10.00`` does, ``62.20.00`` does not); ATECO 2007 forms
    only where the 2007 class maps back to the same 2025 class without ambiguity.
    """
    import ateco as ateco_pkg

    def forms(code: str, edition: str) -> tuple[str, ...]:
        out = [code, code.replace(".", "")]
        if ateco_pkg.lookup(code + ".00", edition=edition) is not None:
            out += [code + ".00", code.replace(".", "") + "00"]
        return tuple(out)

    old = ATECO_2007_EQUIVALENT.get(code_2025)
    return forms(code_2025, "2025"), (forms(old, "2007") if old else ())


def render_ateco(rng: np.random.Generator, codes_2025: np.ndarray) -> np.ndarray:
    """ATECO codes in mixed editions and formats.

    Each code is written in one of its valid spellings (:func:`ateco_spellings`): the 2025 class
    dotted or compact, its ``.00`` subcategory when that exists, or the equivalent ATECO 2007
    code; 4 % are written only as section and division ("J 62"), which is all some exports give.
    """
    out = np.empty(len(codes_2025), dtype=object)
    u = rng.random(len(codes_2025))
    pick = rng.random(len(codes_2025))
    for i, code in enumerate(codes_2025):
        new, old = ateco_spellings(code)
        if u[i] < 0.04 and code[:2] in ("58", "62", "63"):
            out[i] = f"J {code[:2]}"
            continue
        pool = new + old if old and u[i] < 0.6 else new
        out[i] = pool[int(pick[i] * len(pool))]
    return out


def italian_number(values: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Italian thousands and decimal separators: 1234567.891 -> '1.234.567,89'."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[i] = ""
            continue
        text = f"{v:,.{decimals}f}"
        out[i] = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return out


def decimal_comma(values: np.ndarray, decimals: int = 1) -> np.ndarray:
    """Numbers with a decimal comma and no thousands separator ('12,5'); NaN -> ''."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = "" if np.isnan(v) else f"{v:.{decimals}f}".replace(".", ",").replace(",0" * (decimals == 1), ",0")
    return out


def blank_out(rng: np.random.Generator, values: np.ndarray, rate: float) -> np.ndarray:
    """Leave about ``rate`` of the answers blank."""
    out = values.astype(object).copy()
    out[rng.random(len(values)) < rate] = ""
    return out
