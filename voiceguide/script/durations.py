"""Durations as scripts write them → exact ``Fraction`` seconds.

A duration is a number of seconds (``90``, ``2.5``) or a string of one or more
``<number><unit>`` parts with units ``h``, ``m``, ``s`` and ``ms``, optionally
separated by spaces (``"90s"``, ``"1m30s"``, ``"1m 30s"``, ``"1.5m"``,
``"250ms"``).  Parts add up in any order.  Choices where the spec is silent:

- a space between a number and its unit is allowed (``"90 s"``);
- a string holding only a number is seconds (``"90"``), like the number 90;
- units are lower case.

Negative values, unknown units and totals over 24 h are errors; zero is a valid
duration here; whether a field allows it is the parser's business.
"""

from __future__ import annotations

import decimal
import difflib
import re
from fractions import Fraction

from voiceguide.script.model import MAX_SESSION_SECONDS
from voiceguide.script.numeric import NumberTooLarge, check_number_text

__all__ = [
    "DurationError",
    "MAX_DURATION_SECONDS",
    "PATTERN",
    "WHAT_IS_ALLOWED",
    "POSITIVE_PATTERN",
    "format_number",
    "format_seconds",
    "parse_duration",
    "short_text",
]

MAX_DURATION_SECONDS = MAX_SESSION_SECONDS
"""No single duration may exceed 24 h."""

UNITS: dict[str, Fraction] = {"h": Fraction(3600), "m": Fraction(60), "s": Fraction(1), "ms": Fraction(1, 1000)}

# Words people write for a unit, and the unit they mean (for the hint).
_UNIT_WORDS = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "msec": "ms", "msecs": "ms", "millisecond": "ms", "milliseconds": "ms",
}

# ASCII digits and blanks only, so that the same pattern means the same in
# Python and in an editor's ECMA-262 regular expressions (the JSON Schema).
_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_PART = re.compile(rf"[ \t]*({_NUMBER})[ \t]*([^0-9 \t.]*)[ \t]*")
_PLAIN_NUMBER = re.compile(rf"[ \t]*{_NUMBER}[ \t]*")

PATTERN = rf"^[ \t]*(?:{_NUMBER}[ \t]*|(?:{_NUMBER}[ \t]*(?:h|ms|m|s)[ \t]*)+)$"
"""A regular expression (Python and ECMA-262) matching every duration string ``parse_duration`` accepts
(except that it cannot check the 24 h total)."""

POSITIVE_PATTERN = "^(?=.*[1-9])" + PATTERN.removeprefix("^")
"""``PATTERN`` for a duration that must be more than zero (some digit other than 0)."""

WHAT_IS_ALLOWED = "a duration such as 90, 2.5, '90s', '1m30s' or '250ms'"
"""How messages describe a valid duration."""


class DurationError(ValueError):
    """A value is not a valid duration; the message names the subject and what is allowed."""


def parse_duration(value: object, subject: str = "the value") -> Fraction:
    """Exact seconds of a duration (a number, or a string like ``"1m 30s"``); raises ``DurationError``.

    ``subject`` names the field in the message (``"press.hold must not be negative, got -5"``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, str)):
        raise DurationError(f"{subject} must be {WHAT_IS_ALLOWED}")
    if isinstance(value, str):
        seconds = _parse_text(value, subject)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise DurationError(f"{subject} must be a finite number of seconds, got {value}")
        seconds = Fraction(repr(value))  # as written (2.5 → 5/2), not the binary float
    else:
        seconds = Fraction(value)
    if seconds < 0:
        raise DurationError(f"{subject} must not be negative, got {_show(value)}")
    if seconds > MAX_DURATION_SECONDS:
        raise DurationError(f"{subject} must be at most 24 h, got {_show(value)}")
    return seconds


def _show(value: object) -> str:
    try:
        text = value if isinstance(value, str) else format_number(value)
    except ValueError:  # an int too long to print
        return "a number with too many digits"
    text = short_text(text)
    return f"'{text}'" if isinstance(value, str) else text


def _parse_text(text: str, subject: str) -> Fraction:
    stripped = text.strip(" \t")
    if not stripped:
        raise DurationError(f"{subject} must be {WHAT_IS_ALLOWED}, got an empty text")
    if stripped.startswith("-") and len(stripped) > 1 and (stripped[1].isdigit() or stripped[1] == "."):
        raise DurationError(f"{subject} must not be negative, got {_show(text)}")
    try:
        if _PLAIN_NUMBER.fullmatch(text):
            check_number_text(stripped, exponent=False)  # bounded before any exact conversion
            return Fraction(stripped)
        total = Fraction(0)
        index = 0
        while index < len(text):
            part = _PART.match(text, index)
            if part is None or part.end() == index:
                raise DurationError(f"{subject} must be {WHAT_IS_ALLOWED}, got {_show(text)}")
            number, unit = part.group(1), part.group(2)
            if unit not in UNITS:
                raise DurationError(_unit_message(subject, number, unit, text))
            check_number_text(number, exponent=False)
            total += Fraction(number) * UNITS[unit]
            index = part.end()
        return total
    except ValueError as error:  # e.g. more digits than int() accepts
        if isinstance(error, DurationError):
            raise
        if isinstance(error, NumberTooLarge):
            raise DurationError(f"{subject}: {_show(text)} {error}") from None
        raise DurationError(f"{subject} must be {WHAT_IS_ALLOWED}, got {_show(text)}") from None


def short_text(text: str) -> str:
    """Text from a script cut to fit in a one-line message (line breaks become spaces, at most 40 characters)."""
    text = " ".join(text.splitlines())
    return text if len(text) <= 40 else text[:39] + "…"


def _unit_message(subject: str, number: str, unit: str, text: str) -> str:
    if not unit:
        return f"{subject} is missing a unit after {number} in {_show(text)} (units: h, m, s, ms)"
    guess = _UNIT_WORDS.get(unit.lower())
    if guess is None:
        close = difflib.get_close_matches(unit.lower(), list(UNITS), n=1, cutoff=0.5)
        guess = close[0] if close else None
    hint = f"; did you mean '{guess}'?" if guess else ""
    return f"{subject} has an unknown unit '{short_text(unit)}' in {_show(text)} (units: h, m, s, ms){hint}"


def format_number(value: object) -> str:
    """A number as written in a script: ``2.5`` for ``Fraction(5, 2)``, ``1/3`` only when no decimal is exact."""
    if isinstance(value, Fraction):
        denominator = value.denominator
        for factor in (2, 5):
            while denominator % factor == 0:
                denominator //= factor
        if denominator != 1:
            return str(value)
        with decimal.localcontext() as context:
            context.prec = 60
            return format(decimal.Decimal(value.numerator) / value.denominator, "f")
    return repr(value)


def format_seconds(seconds: Fraction | float) -> str:
    """A length for people: ``about``-style rounding is the caller's; this gives ``1 h 5 min``, ``15 min``, ``40 s``."""
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
