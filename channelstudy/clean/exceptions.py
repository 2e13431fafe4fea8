"""Typed errors raised by the ``validate()`` functions of :mod:`channelstudy.clean`.

Every error is a :class:`ValidationError` (itself a :class:`ValueError`) and carries a short
machine-readable ``code``.  The vectorised cleaners never raise: they write that same code into
their ``*_flag`` column, so a flag in a built table can always be traced back to the error a
scalar ``validate()`` would have raised for the same value.

>>> from channelstudy.clean.exceptions import InvalidChecksum, ValidationError
>>> err = InvalidChecksum("check digit should be 7")
>>> isinstance(err, ValidationError), err.code
(True, 'invalid_checksum')

A module may give a more specific code to one of these classes (``InvalidFormat(..., code="range")``
for a class range where a number was expected); ``isinstance`` checks keep working.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousValue",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
    "UnknownValue",
    "ValidationError",
]


class ValidationError(ValueError):
    """Base class: the value cannot be accepted as a clean value."""

    code: str = "invalid"
    """Short reason code, the one written to ``*_flag`` columns."""

    default_message: str = "The value is invalid."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code  # a more specific reason than the class's, e.g. "range"
        super().__init__(self.message)


class InvalidFormat(ValidationError):
    """The value has characters or a structure that this kind of value cannot have."""

    code = "invalid_format"
    default_message = "The value has an invalid format."


class InvalidChecksum(ValidationError):
    """The value is well formed but its check digit (or checksum) is wrong."""

    code = "invalid_checksum"
    default_message = "The value's check digit is invalid."


class InvalidComponent(ValidationError):
    """A part of the value is out of its allowed range (e.g. a VAT office code)."""

    code = "invalid_component"
    default_message = "A part of the value is invalid or unknown."


class InvalidLength(ValidationError):
    """The value has the wrong number of characters."""

    code = "invalid_length"
    default_message = "The value has an invalid length."


class AmbiguousValue(ValidationError):
    """The value admits more than one clean reading and none is preferred."""

    code = "ambiguous"
    default_message = "The value is ambiguous."


class UnknownValue(ValidationError):
    """The value is well formed but not in the reference list (comune, province, ATECO code...)."""

    code = "unknown"
    default_message = "The value is not in the reference list."
