"""Corruption primitives: how clean truth becomes a messy raw export.

Each function takes clean values and a ``numpy.random.Generator`` and returns rendered text.
Rates come from :class:`channelstudy.simulate.config.MessRates`; the kinds of mess mirror what
real Italian registers and survey exports show (see ``../shared/realdata/*/PROVENANCE.md``).
"""

from __future__ import annotations

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


def render_ateco(rng: np.random.Generator, codes_2025: np.ndarray) -> np.ndarray:
    """ATECO codes in mixed editions and formats.

    2025 codes as ``62.10``, ``62.10.00``, ``6210``, ``621000``; where an ATECO 2007 class maps back
    to the same 2025 class without ambiguity, also its 2007 spelling (``62.01``, ``6201``,
    ``62.01.00``).  Rarely only the division ("J 62").
    """
    n = len(codes_2025)
    style = rng.choice(8, size=n, p=[0.25, 0.12, 0.08, 0.08, 0.22, 0.12, 0.08, 0.05])
    out = np.empty(n, dtype=object)
    for i, (code, s) in enumerate(zip(codes_2025, style, strict=True)):
        old = ATECO_2007_EQUIVALENT.get(code)
        if s >= 4 and old is None:
            s = s - 4
        base = code if s < 4 else old
        compact = base.replace(".", "")
        out[i] = (
            base if s in (0, 4)
            else base + ".00" if s in (1, 5)
            else compact if s in (2, 6)
            else compact + "00" if s == 3
            else f"J {base[:2]}" if base[:2] in ("58", "62", "63") else base
        )
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
