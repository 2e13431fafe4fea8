"""Readings generated from results, and the drift check that keeps prose and outputs in step.

A notebook's *Reading* paragraph is rendered by a code cell (tagged ``remove-input``, so the HTML shows
only the text) from the catalogue row and the figures' data: every number, direction word and verdict
comes from a computed value. ``show`` displays the Markdown; the helpers below word a catalogue row the
same way in every notebook.

``prose_numbers`` and ``drift`` implement the drift rule: every result number in a notebook's prose
(Markdown cells and rendered Markdown outputs) must equal, at its printed precision, a number printed by
a code cell of the same section (a section starts at a level-1 or level-2 heading); a share may be
written as a percentage and the other way round, and a size without its sign (prose says *lower by*).
Exempt by rule, not by a list per notebook:

* text in code spans (`` `...` ``: codes such as ATECO ``62.01``) and numbers glued to letters
  (identifiers and codes: H4, J62, PC1, 2-D), and dotted codes with two or more dots (``72.19.09``);
* years (integers 1900-2100) and small integers (0-12: counts spelled in prose, hypothesis numbers);
* protocol constants: numbers written literally in the notebook's code (thresholds, seeds, bin counts,
  resamples) and ``PROTOCOL_NUMBERS`` (the CI level and the significance level).

>>> prose_numbers("estimate 0.118 (95 % CI 0.099 to 0.137) for `J62` in 2021; 18.4 % of 9,914")
[('0.118', 0.118), ('95', 95.0), ('0.099', 0.099), ('0.137', 0.137), ('18.4', 18.4), ('9,914', 9914.0)]
>>> number_matches("0.118", [0.1178]), number_matches("0.127", [0.1178]), number_matches("11.8", [0.1178])
(True, False, True)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import pandas as pd

__all__ = [
    "PROTOCOL_NUMBERS",
    "catalogue_sentence",
    "direction_phrase",
    "drift",
    "num",
    "missing",
    "number_matches",
    "output_numbers",
    "pct",
    "planted_sentence",
    "prose_numbers",
    "ran",
    "show",
]

#: the confidence level of every interval (95 %) and the significance level of the protocol (0.05)
PROTOCOL_NUMBERS = (95.0, 0.05)

_NUMBER = re.compile(r"(?<![\w.,\-−])[-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.,\-−])[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")
_CODE_SPAN = re.compile(r"`[^`]*`")
_DOTTED_CODE = re.compile(r"\d+\.\d+\.\d+(?:\.\d+)*")


def num(value: float, digits: int = 3) -> str:
    """``value`` in ``digits`` significant digits, thousands separated, never in scientific notation.

    >>> num(0.11781), num(18.3512), num(-0.00041873), num(15117.0, 5), num(float("nan"))
    ('0.118', '18.4', '-0.000419', '15,117', 'n/a')
    """
    if value is None or pd.isna(value):
        return "n/a"
    value = float(value)
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{round(value, decimals):,.{decimals}f}"


def pct(share: float, decimals: int = 1) -> str:
    """A share as a percentage: ``pct(0.1834)`` is ``'18.3 %'``.

    >>> pct(0.1834), pct(0.5, 0), pct(float("nan"))
    ('18.3 %', '50 %', 'n/a')
    """
    if share is None or pd.isna(share):
        return "n/a"
    return f"{100 * float(share):.{decimals}f} %"


def ran(row: Mapping) -> bool:
    """Whether a catalogue row has results (its ``status`` is empty or ``ran`` and it has an estimate).

    >>> ran({"estimate": 1.0}), ran({"estimate": 1.0, "status": "not run: no ISVs"}), ran({"estimate": None})
    (True, False, False)
    """
    status = row.get("status")
    status = "" if status is None or pd.isna(status) else str(status)
    return status in ("", "ran") and not pd.isna(row.get("estimate"))


def missing(what: str, reason: str) -> str:
    """The one sentence a section shows when its inputs are absent.

    >>> missing("H9", "the data have no pipeline source")
    '*H9: not shown: the data have no pipeline source.*'
    """
    return f"*{what}: not shown: {reason.rstrip('.')}.*"


def direction_phrase(row: Mapping) -> str:
    """Direction and significance of a catalogue row, in words, from its estimate, CI and Holm p.

    >>> direction_phrase({"estimate": 0.12, "ci_low": 0.1, "ci_high": 0.14, "null_value": 0.0,
    ...                   "direction": "greater", "p_holm": 1e-9, "supported": True})
    'in the expected direction and significant after the Holm adjustment: supported'
    >>> direction_phrase({"estimate": -0.01, "ci_low": -0.03, "ci_high": 0.01, "null_value": 0.0,
    ...                   "direction": "greater", "p_holm": 0.4, "supported": False})
    'against the expected direction and not significant after the Holm adjustment: not supported'
    """
    null, estimate, direction = float(row["null_value"]), float(row["estimate"]), row.get("direction")
    if direction in ("greater", "less"):
        expected = estimate > null if direction == "greater" else estimate < null
        side = "in the expected direction" if expected else "against the expected direction"
    else:
        side = "a two-sided test (no expected direction)"
    significant = float(row["p_holm"]) < PROTOCOL_NUMBERS[1]
    words = "significant" if significant else "not significant"
    verdict = "supported" if bool(row["supported"]) else "not supported"
    return f"{side} and {words} after the Holm adjustment: {verdict}"


def catalogue_sentence(row: Mapping, *, unit: str = "", digits: int = 3) -> str:
    """The catalogue row in one clause: estimate, 95 % CI, direction and verdict.

    >>> row = {"estimate": 0.11781, "ci_low": 0.09898, "ci_high": 0.1366, "null_value": 0.0,
    ...        "direction": "greater", "p_holm": 4.4e-34, "supported": True}
    >>> catalogue_sentence(row, unit="log points a year")
    'catalogue estimate 0.118 log points a year, 95 % CI 0.0990 to 0.137, in the expected direction and significant after the Holm adjustment: supported'
    """
    unit = f" {unit}" if unit else ""
    return (
        f"catalogue estimate {num(row['estimate'], digits)}{unit}, 95 % CI {num(row['ci_low'], digits)} to "
        f"{num(row['ci_high'], digits)}, {direction_phrase(row)}"
    )


def planted_sentence(row: Mapping, planted: Mapping | None, *, digits: int = 3) -> str:
    """Whether the CI covers the simulator's planted value (empty on real data: nothing was planted, and
    where the world defines no value, such as a trend with one wave).

    >>> planted_sentence({"ci_low": 0.0733, "ci_high": 0.0795}, {"planted": 0.08})
    'The 95 % CI misses the planted value 0.08.'
    >>> planted_sentence({"ci_low": 0.1, "ci_high": 0.14}, {"planted": 0.12}), planted_sentence({}, None)
    ('The 95 % CI covers the planted value 0.12.', '')
    >>> planted_sentence({"ci_low": 0.1, "ci_high": 0.14}, {"planted": None})
    ''
    """
    if not planted or planted.get("planted") is None:
        return ""
    value = float(planted["planted"])
    covered = float(row["ci_low"]) <= value <= float(row["ci_high"])
    return f"The 95 % CI {'covers' if covered else 'misses'} the planted value {value:.{digits}g}."


def show(text: str):
    """Display ``text`` as Markdown (the cell's input is hidden in the HTML by its ``remove-input`` tag)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


# ---------------------------------------------------------------- the drift rule


def prose_numbers(text: str) -> list[tuple[str, float]]:
    """Result numbers in Markdown ``text``, as (token, value), after the exemptions of the rule."""
    text = _DOTTED_CODE.sub(" ", _CODE_SPAN.sub(" ", text))
    text = re.sub(r"(?<=\d)[-–](?=\d)", " – ", text)  # a range 0.105-0.149 is two numbers
    found = []
    for match in _NUMBER.finditer(text):
        token = match.group(0).replace("−", "-")
        value = float(token.replace(",", ""))
        if "." not in token and "e" not in token and (0 <= abs(value) <= 12 or 1900 <= value <= 2100):
            continue
        found.append((match.group(0), value))
    return found


def output_numbers(text: str) -> list[tuple[str, float]]:
    """Every number printed in ``text`` (an output), with no exemption."""
    return [(m.group(0), float(m.group(0).replace("−", "-").replace(",", ""))) for m in _NUMBER.finditer(text)] + [
        (m.group(0), float(m.group(0))) for m in re.finditer(r"\d+(?:\.\d+)?e[-+]?\d+", text)
    ]


def _half_unit(token: str) -> float:
    """Half a unit of the last printed digit of ``token`` (its rounding error)."""
    token = token.replace(",", "").lstrip("-−")
    if "e" in token:
        mantissa, exponent = token.split("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return 0.5 * 10 ** (int(exponent) - decimals)
    decimals = len(token.split(".")[1]) if "." in token else 0
    return 0.5 * 10 ** (-decimals)


def number_matches(token: str, values: Iterable[float], *, printed: Iterable[str] | None = None) -> bool:
    """Whether the prose ``token`` equals one of ``values`` at the prose's precision (also as a percentage).

    ``printed`` (the tokens the values were read from) widens the tolerance by their own rounding.
    """
    x = float(token.replace("−", "-").replace(",", ""))
    tol = _half_unit(token)
    values = list(values)
    printed = list(printed) if printed is not None else [None] * len(values)
    for y, y_token in zip(values, printed, strict=True):
        y_tol = _half_unit(y_token) if y_token and ("." in y_token or "e" in y_token) else 0.0
        for scale in (1.0, 100.0, 0.01):  # the sign is in the words (higher / lower), so sizes are compared
            if abs(abs(x) - abs(y) * scale) <= tol + y_tol * scale + 1e-12 * max(1.0, abs(x)):
                return True
    return False


def _cell_text(cell: Mapping) -> tuple[str, str]:
    """(prose, printed) of one notebook cell: Markdown source / Markdown outputs vs printed outputs."""
    source = "".join(cell.get("source", ""))
    if cell.get("cell_type") == "markdown":
        return source, ""
    prose, printed = [], []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            printed.append("".join(out.get("text", "")))
        data = out.get("data", {})
        if "text/markdown" in data:
            prose.append("".join(data["text/markdown"]))
        elif "text/plain" in data:
            printed.append("".join(data["text/plain"]))
    return "\n".join(prose), "\n".join(printed)


def _sections(cells: list) -> list[int]:
    """The section of each cell: a Markdown heading of level 1 or 2 starts a new one."""
    section, out = 0, []
    for cell in cells:
        if cell.get("cell_type") == "markdown" and re.match(r"#{1,2} ", "".join(cell.get("source", ""))):
            section += 1
        out.append(section)
    return out


def drift(notebook: Mapping) -> list[str]:
    """Result numbers in ``notebook``'s prose that no code output of their section prints.

    ``notebook`` is the JSON of an executed ``.ipynb``. A section starts at a level-1 or level-2
    Markdown heading; a number in its prose must be printed, at the prose's precision, by a code cell of
    the same section. Each problem is one line naming the cell and the number (an empty list: no drift).
    """
    cells = notebook.get("cells", [])
    sections = _sections(cells)
    printed: dict[int, list[tuple[str, float]]] = {}
    code = []
    for cell, section in zip(cells, sections, strict=True):
        printed.setdefault(section, []).extend(output_numbers(_cell_text(cell)[1]))
        if cell.get("cell_type") == "code":
            code.append("".join(cell.get("source", "")).replace("_", ""))
    constants = {v for _, v in output_numbers("\n".join(code))} | set(PROTOCOL_NUMBERS)
    problems = []
    for i, (cell, section) in enumerate(zip(cells, sections, strict=True)):
        tokens = printed.get(section, [])
        for token, value in prose_numbers(_cell_text(cell)[0]):
            if abs(value) in constants:
                continue
            if not number_matches(token, [v for _, v in tokens], printed=[t for t, _ in tokens]):
                problems.append(f"cell {i}: {token} is in the prose but printed by no output of its section")
    return problems
