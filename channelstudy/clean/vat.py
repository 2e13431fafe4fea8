"""Partita IVA, codice fiscale and foreign VAT numbers.

Italian company identifiers arrive in every spelling: ``IT 00743110157``, ``00743110157``,
``007.431.101.57``, with a wrong check digit, with an extra zero, as a sole trader's personal
*codice fiscale* or as a foreign supplier's VAT number.  This module tells them apart with
python-stdnum (:mod:`stdnum.it.iva`, :mod:`stdnum.it.codicefiscale`, :mod:`stdnum.eu.vat`,
:mod:`stdnum.ch.uid`) and returns the clean 11-digit *partita IVA* only when it is valid.

Kinds (``classify()`` / ``classify_series()``)
---------------------------------------------
``piva``
    valid 11-digit partita IVA (digits, office code 001-100 or 120/121/888/999, Luhn check digit).
``piva_extra_zero``
    12 digits with one extra ``0`` at the start *or* at the end whose 11-digit remainder is a
    valid partita IVA; the remainder is returned and flagged ``extra_zero``.  If both readings
    are valid and differ, the value is ``invalid`` with flag ``ambiguous``.  (The real case in
    the ANAC file, ``005952700420``, is the valid ``00595270042`` with a trailing zero added.)
``piva_restored_zero``
    9 or 10 digits (a partita IVA that a spreadsheet stored as a number lost its one or two
    leading zeros: ``3143790115`` for ``03143790115``, ``743110157`` for ``00743110157``) whose
    left zero-padding to 11 digits is a valid partita IVA (check digit, company number and
    office code, as for ``piva``); the padded number is returned and flagged
    ``restored_zero``.  Padding on the left is the only reading, so it is never ambiguous.
    Shorter values are not padded (three or more lost zeros: too little left to check), and
    a 9- or 10-digit value whose padding is not valid stays ``invalid`` / ``invalid_length``.
``cf_person``
    valid 16-character personal codice fiscale (sole traders): not a partita IVA, ``vat`` is null.
``foreign_vat``
    a valid foreign VAT/business number with its country prefix: EU member states (``DE``,
    ``FR``, ``ES``, ``EL`` ...), Switzerland (``CHE``, ``CH`` or ``CHE-123.456.789 MWST``),
    United Kingdom (``GB``), Norway (``NO``), San Marino (``SM``); ``vat`` is null.
``invalid``
    anything else; the flag says why (the :mod:`~channelstudy.clean.exceptions` code).

Flags: ``<NA>`` (clean ``piva``, or missing input), ``extra_zero``, ``restored_zero``,
``cf_person``, ``foreign_vat``, ``invalid_format``, ``invalid_length``, ``invalid_checksum``,
``invalid_component``, ``ambiguous``.  Missing input (null, empty, only separators) gives
``vat``, ``kind`` and ``flag`` all ``<NA>``: absence is not an error.

Compacting (:func:`compact`)
----------------------------
In this order: whitespace (also non-breaking and zero-width spaces), ``-``, ``/``, ``_`` and
``:`` are deleted and the text is upper-cased; a spreadsheet's float rendering is undone (the
whole text is digits not starting with ``0``, one ``.`` or ``,``, then only zeros:
``3143790115.0`` → ``3143790115``, ``12345678903,00`` → ``12345678903``) -- this is spelling,
not a repair, and is not flagged; the remaining ``.`` and ``,`` are deleted; an ``IT`` prefix
directly before digits is dropped.  Without the float rule ``3143790115.0`` would compact to
the different number ``31437901150``.  The price: an 11-digit number not starting with ``0``,
ending in ``0`` and written with a single mark before its final zeros (``1234567890.0``) is
read as the float it looks like; ``0000049068.0`` (leading zero: not a float) is not.  Codici fiscali are compacted the same way (lower case and internal
spaces are fine: ``mfffnc 76p18 i073c``).

Check order for 11 digits: format, length, Luhn check digit, then office code, so a value
failing both the check digit and the office code is reported as ``invalid_checksum``.

Examples
--------
>>> compact("IT 007.431.101-57")
'00743110157'
>>> validate("it00743110157")
'00743110157'
>>> validate("00743110158")
Traceback (most recent call last):
    ...
channelstudy.clean.exceptions.InvalidChecksum: The value's check digit is invalid.
>>> classify("005952700420")
Classification(vat='00595270042', kind='piva_extra_zero', flag='extra_zero')
>>> classify("CHE-304.924.695").kind
'foreign_vat'
>>> classify("MFFFNC76P18I073C").kind
'cf_person'
>>> classify("3143790115.0")  # stored as a number by a spreadsheet: lost zero and ".0"
Classification(vat='03143790115', kind='piva_restored_zero', flag='restored_zero')
>>> classify(743110157)  # two zeros lost
Classification(vat='00743110157', kind='piva_restored_zero', flag='restored_zero')
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd
from stdnum import exceptions as stdnum_exc
from stdnum import luhn
from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.it import codicefiscale, iva
from stdnum.no import mva as no_mva
from stdnum.sm import coe as sm_coe

from channelstudy.clean.exceptions import (
    AmbiguousValue,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

__all__ = [
    "KINDS",
    "Classification",
    "classify",
    "classify_series",
    "compact",
    "is_valid",
    "validate",
    "validate_tax_code",
]

KINDS: tuple[str, ...] = (
    "piva",
    "piva_extra_zero",
    "piva_restored_zero",
    "cf_person",
    "foreign_vat",
    "invalid",
)
"""Values of the ``kind`` column, in this order."""

_SEPARATORS = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff.\-/_:,]+")
"""Everything :func:`compact` deletes (the three steps below together)."""
_SEPARATORS_BUT_MARKS = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\-/_:]+")
_FLOAT_SUFFIX = re.compile(r"^([1-9][0-9]*)[.,]0+$")  # a float's rendering never starts with 0
_MARKS = re.compile(r"[.,]+")
_IT_PREFIX = re.compile(r"^IT(?=[0-9]+$)")
_RESTORABLE_LENGTHS = (9, 10)
"""Digit counts padded with leading zeros by the ``restored_zero`` repair (one or two lost zeros)."""
_CF_SHAPE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
_SWISS = re.compile(r"^CHE?(\d{9})(?:MWST|TVA|IVA|TPV)?$")
_FOREIGN = re.compile(r"^([A-Z]{2})([0-9A-Z]{2,13})$")
_EU_PREFIXES = frozenset(p.upper() for p in eu_vat.MEMBER_STATES) - {"IT"} | {"EL"}
_OTHER_FOREIGN = {"GB": gb_vat, "NO": no_mva, "SM": sm_coe}
_OFFICE_EXTRA = (120, 121, 888, 999)

_STDNUM_TO_OURS: dict[type[Exception], type[ValidationError]] = {
    stdnum_exc.InvalidFormat: InvalidFormat,
    stdnum_exc.InvalidLength: InvalidLength,
    stdnum_exc.InvalidChecksum: InvalidChecksum,
    stdnum_exc.InvalidComponent: InvalidComponent,
}


class Classification(NamedTuple):
    """Result of :func:`classify`: the clean partita IVA (or ``None``), its kind and a flag."""

    vat: str | None
    kind: str | None
    flag: str | None


def _translate(err: stdnum_exc.ValidationError) -> ValidationError:
    """Map a python-stdnum error onto ours (same meaning, our hierarchy)."""
    for theirs, ours in _STDNUM_TO_OURS.items():
        if isinstance(err, theirs):
            return ours()
    return InvalidFormat()


def compact(value: object) -> str:
    """Strip spaces, dots, dashes, slashes, a float's ``.0`` and an ``IT`` prefix; upper-case.

    See "Compacting" in the module docstring for the exact order.  No zero is added here:
    padding needs the check digit (:func:`validate` with ``allow_restored_zero``).

    >>> compact(" it-00743110157 ")
    '00743110157'
    >>> compact("che-304.924.695")
    'CHE304924695'
    >>> compact("3143790115.0"), compact(3143790115.0), compact("mfffnc 76p18 i073c")
    ('3143790115', '3143790115', 'MFFFNC76P18I073C')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = _SEPARATORS_BUT_MARKS.sub("", str(value)).upper()
    text = _MARKS.sub("", _FLOAT_SUFFIX.sub(r"\1", text))
    return _IT_PREFIX.sub("", text)


def _validate_piva(number: str) -> str:
    """Validate a compact candidate partita IVA (format, length, check digit, office code)."""
    if not number.isdigit() or not number.isascii():
        raise InvalidFormat("a partita IVA has digits only")
    if len(number) != 11:
        raise InvalidLength(f"a partita IVA has 11 digits, not {len(number)}")
    if not luhn.is_valid(number):
        raise InvalidChecksum()
    try:
        return iva.validate(number)
    except stdnum_exc.ValidationError as err:
        raise _translate(err) from None


def validate(value: object, *, allow_extra_zero: bool = False, allow_restored_zero: bool = False) -> str:
    """Return the valid 11-digit partita IVA in ``value`` or raise a typed error.

    Parameters
    ----------
    value
        Any spelling of a partita IVA (``IT`` prefix, spaces, dots and dashes are ignored).
    allow_extra_zero
        Accept 12 digits with one extra zero at either end when exactly one 11-digit reading
        is valid (see the module docstring).  Off by default: ``validate`` is strict.
    allow_restored_zero
        Accept 9 or 10 digits whose left zero-padding to 11 digits is valid (the leading zeros
        a spreadsheet dropped; see the module docstring).  Off by default.

    Raises
    ------
    InvalidFormat, InvalidLength, InvalidChecksum, InvalidComponent, AmbiguousValue

    >>> validate("3143790115.0", allow_restored_zero=True)
    '03143790115'
    >>> validate("3143790115")
    Traceback (most recent call last):
        ...
    channelstudy.clean.exceptions.InvalidLength: a partita IVA has 11 digits, not 10
    """
    number = compact(value)
    if allow_extra_zero and len(number) == 12 and number.isdigit() and number.isascii():
        return _repair_extra_zero(number)
    if allow_restored_zero and len(number) in _RESTORABLE_LENGTHS and number.isdigit() and number.isascii():
        return _restore_zero(number)
    return _validate_piva(number)


def is_valid(value: object) -> bool:
    """True when ``value`` is a valid partita IVA (strict: no extra-zero repair)."""
    try:
        validate(value)
    except ValidationError:
        return False
    return True


def _repair_extra_zero(number: str) -> str:
    readings = {number[1:] if number[0] == "0" else None, number[:-1] if number[-1] == "0" else None}
    valid = sorted(r for r in readings if r is not None and is_valid(r))
    if len(valid) == 1:
        return valid[0]
    if len(valid) > 1:
        raise AmbiguousValue(f"both {valid[0]} and {valid[1]} are valid readings")
    raise InvalidLength("12 digits, and no valid 11-digit reading without an extra zero")


def _restore_zero(number: str) -> str:
    """The valid left zero-padding of 9 or 10 ASCII digits, or raise :class:`InvalidLength`."""
    padded = number.zfill(11)
    if is_valid(padded):
        return padded
    raise InvalidLength(
        f"{len(number)} digits, and no valid partita IVA with the lost leading zeros restored"
    )


def validate_tax_code(value: object) -> str:
    """Return a valid codice fiscale: an 11-digit partita IVA or a 16-character personal code.

    >>> validate_tax_code("mfffnc76p18i073c"), validate_tax_code(" MFFFNC 76P18 I073C ")
    ('MFFFNC76P18I073C', 'MFFFNC76P18I073C')
    """
    number = compact(value)
    if len(number) == 16:
        try:
            return codicefiscale.validate(number)
        except stdnum_exc.ValidationError as err:
            raise _translate(err) from None
    return _validate_piva(number)


def _validate_foreign(number: str) -> str:
    """Return the compact foreign VAT number or raise; ``InvalidFormat`` if no known prefix."""
    swiss = _SWISS.match(number)
    try:
        if swiss:
            return ch_uid.validate("CHE" + swiss.group(1))
        match = _FOREIGN.match(number)
        if not match:
            raise InvalidFormat("no known country prefix")
        prefix = match.group(1)
        if prefix in _EU_PREFIXES:
            return eu_vat.validate(number)
        if prefix in _OTHER_FOREIGN:
            return prefix + _OTHER_FOREIGN[prefix].validate(match.group(2))
    except stdnum_exc.ValidationError as err:
        raise _translate(err) from None
    raise InvalidFormat("no known country prefix")


def classify(value: object) -> Classification:
    """Classify one identifier; see the module docstring for kinds and flags.

    >>> classify("00304324695")
    Classification(vat=None, kind='invalid', flag='invalid_checksum')
    >>> classify("")
    Classification(vat=None, kind=None, flag=None)
    """
    number = compact(value)
    if not number:
        return Classification(None, None, None)
    if number.isdigit() and number.isascii():
        if len(number) == 12:
            try:
                return Classification(_repair_extra_zero(number), "piva_extra_zero", "extra_zero")
            except ValidationError as err:
                return Classification(None, "invalid", err.code)
        if len(number) in _RESTORABLE_LENGTHS:
            try:
                return Classification(_restore_zero(number), "piva_restored_zero", "restored_zero")
            except ValidationError as err:
                return Classification(None, "invalid", err.code)
        try:
            return Classification(_validate_piva(number), "piva", None)
        except ValidationError as err:
            return Classification(None, "invalid", err.code)
    if len(number) == 16 and _CF_SHAPE.match(number):
        try:
            codicefiscale.validate(number)
        except stdnum_exc.ValidationError as err:
            return Classification(None, "invalid", _translate(err).code)
        return Classification(None, "cf_person", "cf_person")
    try:
        _validate_foreign(number)
    except ValidationError as err:
        return Classification(None, "invalid", err.code)
    return Classification(None, "foreign_vat", "foreign_vat")


def _check_11_digits(numbers: np.ndarray) -> np.ndarray:
    """Vectorised partita IVA check of 11-digit ASCII strings; returns flag codes ('' = valid)."""
    digits = np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8).reshape(-1, 11).astype(int) - 48
    doubled = digits[:, 1::2] * 2
    doubled -= 9 * (doubled > 9)
    luhn_ok = (digits[:, 0::2].sum(axis=1) + doubled.sum(axis=1)) % 10 == 0
    office = digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    office_ok = ((office >= 1) & (office <= 100)) | np.isin(office, _OFFICE_EXTRA)
    company_ok = digits[:, :7].any(axis=1)
    return np.select(  # same order as the scalar check: check digit, company number, office code
        [~luhn_ok, ~company_ok, ~office_ok],
        [InvalidChecksum.code, InvalidFormat.code, InvalidComponent.code],
        default="",
    )


def classify_series(s: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`classify`: one row per element of ``s``, same index.

    Returns
    -------
    DataFrame with string columns ``vat`` (valid 11-digit partita IVA or ``<NA>``), ``kind``
    (one of :data:`KINDS`, ``<NA>`` when missing) and ``flag``.  Plain 11-digit values (the
    bulk of any real column) are checked with numpy; the rest go through :func:`classify` once
    per distinct value.  Pass text read with ``dtype=str``: a numeric column has already lost
    the leading zeros of many partite IVA (one or two lost zeros are restored when the check
    digit allows it: kind ``piva_restored_zero``, flag ``restored_zero``).

    >>> classify_series(pd.Series(["IT00743110157", "00743110158", None])).kind.tolist()
    ['piva', 'invalid', <NA>]
    """
    text = s.astype("string").str.replace(_SEPARATORS_BUT_MARKS.pattern, "", regex=True).str.upper()
    text = text.str.replace(_FLOAT_SUFFIX.pattern, r"\1", regex=True)  # same steps as compact()
    text = text.str.replace(_MARKS.pattern, "", regex=True)
    text = text.str.replace(r"^IT([0-9]+)$", r"\1", regex=True)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    compacted = np.asarray(uniques, dtype=object)
    n = len(compacted)
    vat_u = np.full(n + 1, None, dtype=object)  # position n stays None: code -1 (missing) picks it
    kind_u = vat_u.copy()
    flag_u = vat_u.copy()
    is_11 = np.fromiter((len(c) == 11 and c.isdigit() and c.isascii() for c in compacted), bool, count=n)
    if is_11.any():
        positions = np.flatnonzero(is_11)
        problems = _check_11_digits(compacted[positions])
        ok = problems == ""
        vat_u[positions[ok]] = compacted[positions[ok]]
        kind_u[positions] = np.where(ok, "piva", "invalid")
        flag_u[positions[~ok]] = problems[~ok]
    for position in np.flatnonzero(~is_11):
        vat_u[position], kind_u[position], flag_u[position] = classify(compacted[position])
    return pd.DataFrame(
        {
            "vat": pd.array(vat_u[codes], dtype="string"),
            "kind": pd.array(kind_u[codes], dtype="string"),
            "flag": pd.array(flag_u[codes], dtype="string"),
        },
        index=s.index,
    )
