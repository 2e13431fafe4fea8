"""ATECO activity codes, any format and edition → ATECO 2025.

Built on the ``ateco`` package (ISTAT trees of editions 2007, 2022 and 2025, and ISTAT's
theoretical 2022↔2025 correspondence table, used through ``ateco.lookup`` and ``ateco.map_code``).

Reading a code
--------------
* Dotted: ``62``, ``62.0``, ``62.01``, ``62.01.0``, ``62.01.00`` (division, group, class,
  category, subcategory), with or without a final dot (``62.``).  Trailing text after a space
  is ignored ("J 62 PRODUZIONE DI SOFTWARE").
* Compact digits are read by length (``ateco.compact_to_dotted``): 2 → division ``62``, 3 →
  group ``62.0``, 4 → class ``62.01``, 5 → category ``62.01.0``, 6 → subcategory ``62.01.00``.
  So ``6201`` is the class 62.01 and ``621000`` the 2025 subcategory 62.10.00.
* ``zeros_stripped=True`` is for exports that drop the trailing zeros of 6-digit codes (the
  Registro Imprese startup list: ``6201`` = 62.01.00, ``412`` = 41.20.00, ``47911`` = 47.91.10):
  a compact code is first right-padded to 6 digits and read as a subcategory; when that
  subcategory does not exist in the edition (``6209``: there is no 62.09.00) it is read by
  length.  A padded code is always a descendant of the length reading, and a code ending in
  zeros is by ISTAT convention the only child, so both readings describe the same activity.
  A dotted code says its level and is never padded (``62.01`` stays the class; ``1.61`` is
  not the digits ``161`` padded to ``16.10.00`` but the lost-zero reading ``01.61``).
* A leading section letter is checked against the code in the edition read (``J 62``, ``J62``
  in 2007/2022; ``J 47`` is ``invalid_component``; programming is ``K 62`` in 2025); a letter
  alone is a section.  ``NC`` / ``N.C.`` (not classified) gives
  a null code with flag ``not_classified``.

Lost leading zeros (``restored_zero``)
--------------------------------------
A spreadsheet that stored codes of divisions 01-09 as numbers dropped their leading zero:
``0113`` became ``113``, ``01.61`` became ``1.61``.  :func:`to_2025` and :func:`clean_ateco`
put the zero back, and flag the row ``restored_zero``, exactly when all of these hold:

1. the value has a lost-zero shape: dotted with a one-digit division (``1.61``, ``1.2``,
   ``1.61.00``), or 2 to 5 compact digits not starting with ``0`` (``113``, ``16110``);
2. the code as written (read as above, ``zeros_stripped`` included) exists in **no** edition
   tried -- the given one, or all three when inferring -- whatever the section letter says
   (``A 161`` stays ``invalid_component``: ``16.1`` exists, in section C);
3. ``"0"`` + the code, read the same way (dotted: ``01.61``; compact: ``0113`` → ``01.13``),
   exists in an edition tried (the first one, in the usual order) and fits the section letter.

So the restoration is never a choice between two existing codes: ``161`` stays the group
``16.1`` (``01.61`` exists too, but so does ``16.1``), and ``113`` becomes ``01.13`` because
there is no ``11.3``.  A two-digit division as written is never changed (``11.1`` is
``unknown``: its digits ``111`` would give ``01.11``, but the dot says division 11), nor is a
lone digit (``1`` stays ``invalid_format``).  A dotted one-digit division that cannot be
restored is ``invalid_format``, as before.  The flag is set only when the mapping is otherwise
clean: an ``ambiguous`` or ``unknown`` mapping keeps that flag.  :func:`validate` and
:func:`validate_2025` restore only with ``allow_restored_zero=True``.

Editions
--------
``edition="2025"``, ``"2022"`` or ``"2007"`` says how to read the codes (pass ``"2007"`` for the
2017 startup register).  ``edition=None`` infers it per value: the first of 2025, 2022, 2007
in which the code exists.  Inference is a guess — the same string can exist in two editions
with different meanings — so pass the edition whenever the source documents it.

* 2025 codes are returned as they are.
* 2022 codes are mapped with ``ateco.map_code(code, "2022", "2025")``.
* 2007 codes map through 2022: the two editions share their codes, except five 2007
  subcategories that 2022 split (01.13.20, 01.19.20, 16.23.20, 93.21.00, 97.00.00), which map
  through all their 2022 children.

Ambiguity rule
--------------
When a code has several 2025 targets (ISTAT's theoretical table lists every partial
correspondence: 2022 ``47.41`` → 47.40 and 47.92; ``62.09`` → 25 classes in 21 divisions), the
result is **not** guessed: ``ateco_2025`` is the deepest 2025 code that contains all the
targets (their common ancestor, down to division level: ``47.41`` → ``47``), or null when the
targets span several divisions (``62.09``); the flag is ``ambiguous`` and
``ateco_candidates`` lists the targets.

Flags: ``<NA>`` (clean), ``restored_zero`` (a lost leading zero was put back, see above),
``ambiguous``, ``not_classified``, ``invalid_format``, ``invalid_component`` (section letter
contradicts the code), ``unknown`` (not a code of the edition, or of any edition when
inferring).  Missing input gives nulls and no flag.

>>> to_2025("6201", edition="2007").code
'62.10'
>>> to_2025("6201", edition="2007", zeros_stripped=True).code
'62.10.00'
>>> r = to_2025("47.41", edition="2022")
>>> r.code, r.flag, r.candidates
('47', 'ambiguous', ('47.40', '47.92'))
>>> validate("J 62", edition="2007"), validate("K 62", edition="2025")
('62', '62')
>>> r = to_2025("1.61", edition="2007")
>>> r.code, r.flag
('01.61', 'restored_zero')
>>> to_2025("113", edition="2022")[::3], to_2025("161", edition="2022")[::3]
(('01.13', 'restored_zero'), ('16.1', None))
>>> to_2025("11.1").flag
'unknown'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import ateco as _ateco
import numpy as np
import pandas as pd

from channelstudy.clean.exceptions import (
    AmbiguousValue,
    InvalidComponent,
    InvalidFormat,
    UnknownValue,
    ValidationError,
)
from channelstudy.vocabulary import ATECO_EDITIONS

__all__ = [
    "ATECO_COLUMNS",
    "EDITIONS",
    "AtecoResult",
    "clean_ateco",
    "compact",
    "is_valid",
    "to_2025",
    "validate",
    "validate_2025",
]

EDITIONS: tuple[str, ...] = ATECO_EDITIONS
"""Editions understood, in the order tried when ``edition=None``."""

ATECO_COLUMNS: tuple[str, ...] = (
    "ateco_2025",
    "ateco_2025_title",
    "ateco_edition",
    "ateco_flag",
    "ateco_candidates",
)

_NOT_CLASSIFIED = {"NC", "N.C.", "N.C", "NON CLASSIFICATO", "NON CLASSIFICATA", "000000"}
_CODE = re.compile(
    r"^(?P<section>[A-U])?[\s\-.:]*"
    r"(?P<code>\d{2}(?:\.\d{1,2}(?:\.\d{1,2})?)?(?!\d|\.\d)"
    r"|\d\.\d{1,2}(?:\.\d{1,2})?(?!\d|\.\d)"  # one-digit division: only a lost-zero reading
    r"|\d{2,6}(?!\d|\.\d))?"
    r"\.?(?:\s+\D.*)?$"  # a final dot ("62." / "62.01. TITOLO") is allowed
)
_LEVEL_LENGTHS = (8, 7, 5, 4, 2)  # subcategory, category, class, group, division (dotted)
_RESTORED_ZERO = "restored_zero"
_RESTORABLE_COMPACT_LENGTHS = range(2, 6)  # compact digits that may have lost a leading zero


class AtecoResult(NamedTuple):
    """A code read and brought to ATECO 2025."""

    code: str | None
    """ATECO 2025 dotted code (or the common ancestor when ambiguous), ``None`` if unresolved."""
    title: str | None
    edition: str | None
    """Edition the input was read in."""
    flag: str | None
    candidates: tuple[str, ...] = ()
    """All 2025 targets when more than one."""


class _Parsed(NamedTuple):
    section: str | None
    compact: str | None  # digits as written (no dots), None for a section alone
    dotted: str | None  # length reading
    written_dotted: bool = False  # the value had dots (so its division is as written)


def _parse(value: object) -> _Parsed | None:
    """Split a raw value into section letter and code; ``None`` if missing; raise if malformed."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().upper()
    if not text:
        return None
    if text in _NOT_CLASSIFIED:
        raise _NotClassified()
    match = _CODE.match(text)
    if not match or not (match.group("section") or match.group("code")):
        raise InvalidFormat(f"not an ATECO code: {value!r}")
    code = match.group("code")
    if code is None:
        return _Parsed(match.group("section"), None, None)
    if "." in code:
        return _Parsed(match.group("section"), code.replace(".", ""), code, True)
    return _Parsed(match.group("section"), code, _ateco.compact_to_dotted(code), False)


class _NotClassified(ValidationError):
    code = "not_classified"
    default_message = "The activity is not classified (NC)."


def compact(value: object) -> str:
    """Digits of the code without dots or section letter (``"J 62.01"`` → ``"6201"``).

    Spelling only: no zero is restored (``"1.61"`` → ``"161"``).  Raises
    :class:`InvalidFormat` for text that is not a code and :class:`UnknownValue` for ``NC``.

    >>> compact("62.01.00"), compact("j62"), compact("1.61")
    ('620100', '62', '161')
    """
    try:
        parsed = _parse(value)
    except _NotClassified as err:
        raise UnknownValue("not classified (NC)") from err
    if parsed is None:
        return ""
    return parsed.compact or parsed.section or ""


@lru_cache(maxsize=65536)
def _node(code: str, edition: str) -> tuple[str, str | None] | None:
    """(title, parent) of a dotted code in an edition, or ``None``."""
    node = _ateco.lookup(code, edition=edition)
    return None if node is None else (node.title, node.parent)


def _section_of(code: str, edition: str) -> str | None:
    while True:
        node = _node(code, edition)
        if node is None:
            return None
        if node[1] is None:
            return code
        code = node[1]


def _readings(parsed: _Parsed, zeros_stripped: bool) -> list[str]:
    if parsed.dotted is None:
        return [parsed.section] if parsed.section else []
    readings = [parsed.dotted]
    if zeros_stripped and not parsed.written_dotted:  # dots say the level: a dotted code is never padded
        padded = _ateco.compact_to_dotted(parsed.compact.ljust(6, "0"))
        readings.insert(0, padded)
    return readings


def _read(parsed: _Parsed, edition: str, zeros_stripped: bool) -> str | None:
    """The dotted code as it exists in ``edition`` (section letter checked), or ``None``."""
    for reading in _readings(parsed, zeros_stripped):
        if _node(reading, edition) is not None:
            if parsed.section and _section_of(reading, edition) != parsed.section:
                raise InvalidComponent(f"{reading} is not in section {parsed.section} ({edition})")
            return reading
    return None


def validate(
    value: object,
    edition: str | None = "2025",
    *,
    zeros_stripped: bool = False,
    allow_restored_zero: bool = False,
) -> str:
    """The dotted code of ``value`` in ``edition`` (or the first edition it exists in, if ``None``).

    Raises :class:`InvalidFormat`, :class:`InvalidComponent` (section letter contradicts the
    code) or :class:`UnknownValue` (not a code of the edition; also for ``NC``).  With
    ``allow_restored_zero`` a lost leading zero is put back (module docstring, "Lost leading
    zeros"); off by default.

    >>> validate("620100", edition="2022")
    '62.01.00'
    >>> validate("62.01", edition="2025")
    Traceback (most recent call last):
        ...
    channelstudy.clean.exceptions.UnknownValue: '62.01' is not an ATECO 2025 code
    >>> validate("1.61", edition="2025", allow_restored_zero=True)
    '01.61'
    """
    return _validate_with_edition(value, edition, zeros_stripped, allow_restored_zero)[0]


def _restore(parsed: _Parsed) -> _Parsed | None:
    """``parsed`` with its lost leading zero put back, or ``None`` when it has no lost-zero shape."""
    if parsed.compact is None or parsed.dotted is None or parsed.compact[0] == "0":
        return None
    if parsed.written_dotted:
        if parsed.dotted[1] != ".":  # a two-digit division as written is kept
            return None
        return _Parsed(parsed.section, "0" + parsed.compact, "0" + parsed.dotted, True)
    if len(parsed.compact) not in _RESTORABLE_COMPACT_LENGTHS:
        return None
    return _Parsed(parsed.section, "0" + parsed.compact, _ateco.compact_to_dotted("0" + parsed.compact))


def _validate_with_edition(
    value: object, edition: str | None, zeros_stripped: bool, restore: bool = False
) -> tuple[str, str, bool]:
    """(dotted code, edition read, whether a lost leading zero was restored) or raise."""
    try:
        parsed = _parse(value)
    except _NotClassified as err:
        raise UnknownValue("not classified (NC)") from err
    if parsed is None:
        raise InvalidFormat("no ATECO code given")
    if edition is not None and edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS} or None, not {edition!r}")
    editions = (edition,) if edition else EDITIONS
    mismatch: InvalidComponent | None = None
    for ed in editions:
        try:
            code = _read(parsed, ed, zeros_stripped)
        except InvalidComponent as err:  # when inferring, another edition may fit the letter
            mismatch = mismatch or err
            continue
        if code is not None:
            return code, ed, False
    restored = _restore(parsed) if restore and mismatch is None else None
    if restored is not None:  # the code as written exists in no edition tried (rule 2)
        for ed in editions:
            try:
                code = _read(restored, ed, zeros_stripped)
            except InvalidComponent as err:
                mismatch = mismatch or err
                continue
            if code is not None:
                return code, ed, True
    if mismatch is not None:
        raise mismatch
    if parsed.written_dotted and parsed.dotted is not None and parsed.dotted[1] == ".":
        raise InvalidFormat(f"one-digit division in {value!r} (and no code with a leading zero restored)")
    where = f"an ATECO {edition} code" if edition else "a code of any ATECO edition"
    raise UnknownValue(f"{value!r} is not {where}")


def is_valid(
    value: object,
    edition: str | None = "2025",
    *,
    zeros_stripped: bool = False,
    allow_restored_zero: bool = False,
) -> bool:
    """True if :func:`validate` accepts ``value``."""
    try:
        validate(value, edition, zeros_stripped=zeros_stripped, allow_restored_zero=allow_restored_zero)
    except ValidationError:
        return False
    return True


@lru_cache(maxsize=65536)
def _map_2022(code: str) -> tuple[str, ...]:
    return tuple(_ateco.map_code(code, "2022", "2025").targets)


_SPLIT_2007: tuple[str, ...] = ("01.13.20", "01.19.20", "16.23.20", "93.21.00", "97.00.00")
"""2007 subcategories that ATECO 2007 (2022 update) split into new codes."""


@lru_cache(maxsize=8)
def _split_2007() -> dict[str, tuple[str, ...]]:
    """2007 subcategories absent from 2022 → their 2022 children (same category, new last digit)."""
    out: dict[str, tuple[str, ...]] = {}
    for code in _SPLIT_2007:
        children = (code[:-1] + str(d) for d in range(1, 10))
        out[code] = tuple(c for c in children if _node(c, "2022") is not None and _node(c, "2007") is None)
    return out


def _common_ancestor(codes: tuple[str, ...]) -> str | None:
    for length in _LEVEL_LENGTHS:
        if all(len(c) >= length for c in codes) and len({c[:length] for c in codes}) == 1:
            candidate = codes[0][:length]
            if _node(candidate, "2025") is not None:
                return candidate
    return None


def title_2025(code: object) -> str | None:
    """Italian title of an ATECO 2025 code (dotted), or ``None`` when it is not a 2025 code.

    >>> title_2025("62.10")
    'Attività di programmazione informatica'
    """
    node = _node(code, "2025") if isinstance(code, str) and code else None
    return None if node is None else node[0]


_title = title_2025


def _to_2025(code: str, edition: str) -> AtecoResult:
    if edition == "2025":
        return AtecoResult(code, _title(code), "2025", None)
    sources = _split_2007().get(code, (code,)) if edition == "2007" else (code,)
    targets: list[str] = []
    for source in sources:
        for target in _map_2022(source):
            if target not in targets:
                targets.append(target)
    if not targets:
        return AtecoResult(None, None, edition, UnknownValue.code)
    if len(targets) == 1:
        return AtecoResult(targets[0], _title(targets[0]), edition, None)
    ancestor = _common_ancestor(tuple(targets))
    return AtecoResult(ancestor, _title(ancestor), edition, AmbiguousValue.code, tuple(targets))


def to_2025(value: object, edition: str | None = None, *, zeros_stripped: bool = False) -> AtecoResult:
    """Read one code (see the module docstring) and bring it to ATECO 2025; never raises.

    Lost leading zeros are restored (flag ``restored_zero``; module docstring).

    >>> to_2025("K 62", edition="2025")
    AtecoResult(code='62', title='Attività di programmazione, consulenza informatica e attività connesse', edition='2025', flag=None, candidates=())
    >>> to_2025("J 62", edition="2025").flag  # computer programming is section K in 2025
    'invalid_component'
    >>> to_2025("NC").flag
    'not_classified'
    """
    return _result(value, edition, zeros_stripped, restore=True)


def _result(value: object, edition: str | None, zeros_stripped: bool, restore: bool) -> AtecoResult:
    try:
        parsed = _parse(value)
        if parsed is None:
            return AtecoResult(None, None, None, None)
        code, ed, restored = _validate_with_edition(value, edition, zeros_stripped, restore)
    except ValidationError as err:  # NC fails in _parse above: _NotClassified, code "not_classified"
        return AtecoResult(None, None, edition, err.code)
    result = _to_2025(code, ed)
    if restored and result.flag is None:
        return result._replace(flag=_RESTORED_ZERO)
    return result


def validate_2025(
    value: object,
    edition: str | None = None,
    *,
    zeros_stripped: bool = False,
    allow_restored_zero: bool = False,
) -> str:
    """The ATECO 2025 code of ``value`` or raise (:class:`AmbiguousValue` when one-to-many).

    Lost leading zeros are restored only with ``allow_restored_zero``.

    >>> validate_2025("62.01", edition="2022")
    '62.10'
    >>> validate_2025("113", edition="2022", allow_restored_zero=True)
    '01.13'
    """
    result = _result(value, edition, zeros_stripped, restore=allow_restored_zero)
    if result.flag in (None, _RESTORED_ZERO) and result.code is not None:
        return result.code
    if result.flag == AmbiguousValue.code:
        raise AmbiguousValue(f"{value!r} maps to {len(result.candidates)} ATECO 2025 codes")
    if result.flag in (InvalidFormat.code, InvalidComponent.code):
        raise {InvalidFormat.code: InvalidFormat, InvalidComponent.code: InvalidComponent}[result.flag]()
    raise UnknownValue(f"{value!r} has no ATECO 2025 code ({result.flag or 'missing'})")


def clean_ateco(s: pd.Series, edition: str | None = None, *, zeros_stripped: bool = False) -> pd.DataFrame:
    """Vectorised :func:`to_2025`, computed once per distinct value.

    Returns
    -------
    DataFrame with string columns :data:`ATECO_COLUMNS`, same index as ``s``:
    ``ateco_2025`` (dotted), ``ateco_2025_title``, ``ateco_edition`` (edition read),
    ``ateco_flag`` (``restored_zero`` when a lost leading zero was put back) and
    ``ateco_candidates`` (``;``-joined 2025 targets when ambiguous).

    >>> clean_ateco(pd.Series(["6201", "NC", None]), edition="2007").ateco_2025.tolist()
    ['62.10', <NA>, <NA>]
    """
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    rows = [to_2025(u, edition, zeros_stripped=zeros_stripped) for u in uniques]
    table = np.full((len(rows) + 1, 5), None, dtype=object)
    for i, r in enumerate(rows):
        table[i] = (r.code, r.title, r.edition, r.flag, ";".join(r.candidates) or None)
    table = table[codes]
    return pd.DataFrame(
        {name: pd.array(table[:, i], dtype="string") for i, name in enumerate(ATECO_COLUMNS)},
        index=s.index,
    )
