"""Numbers read without unbounded work: a bound on digits and exponent before any exact conversion.

``Fraction("1e999999")`` builds a number of a million digits, and YAML 1.1's
base-60 integers (``1:2:3``) cost time quadratic in their length; either can
keep voiceguide busy for minutes.  No duration, rate, volume or count needs
anything near these bounds (a duration is at most 86,400 s and is resolved to
a sample), so a number past them is refused at once, in scripts and on the
command line alike.  Only ASCII digits are numbers on the command line, as in
scripts (YAML reads ``１６０`` as text).
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["MAX_EXPONENT", "MAX_NUMBER_DIGITS", "NumberTooLarge", "check_number_text", "parse_decimal"]

MAX_NUMBER_DIGITS = 100
"""The most digits a number may be written with."""

MAX_EXPONENT = 100
"""The largest exponent, either way, of a number written with one (``1e100``, ``1e-100``)."""

# Anything that may stand for a digit: hexadecimal digits, and any non-ASCII character (Unicode digits).
_NOT_DIGIT = re.compile(r"[^0-9a-fA-F\x80-\U0010ffff]+")
_EXPONENT = re.compile(r"[eE][ \t]*[-+]?[ \t]*([0-9_]+)[ \t]*$")
_DECIMAL = re.compile(r"[ \t]*\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([-+]?[0-9]+))?(?:/([0-9]+))?[ \t]*", re.ASCII)


class NumberTooLarge(ValueError):
    """A number written with more digits, or a larger exponent, than any meaningful value needs."""


def check_number_text(text: str, *, exponent: bool = True) -> None:
    """Raise ``NumberTooLarge`` unless ``text`` is cheap to convert exactly; touches each character once.

    ``exponent`` says whether a trailing ``e±N`` is an exponent (a float);
    for an integer (hexadecimal ``0xE5``) it is not.
    """
    if len(text) > MAX_NUMBER_DIGITS and len(_NOT_DIGIT.sub("", text)) > MAX_NUMBER_DIGITS:
        raise NumberTooLarge(f"has more than {MAX_NUMBER_DIGITS} digits")
    if exponent:
        match = _EXPONENT.search(text)
        if match is not None and int(match.group(1).replace("_", "") or "0") > MAX_EXPONENT:
            raise NumberTooLarge(f"has an exponent far past any meaningful value (at most {MAX_EXPONENT} either way)")


def parse_decimal(text: str) -> Fraction:
    """A non-negative decimal as typed on the command line (``1.5``, ``.5``, ``2e-1``, ``3/2``) → exact Fraction.

    ASCII digits only; raises ``NumberTooLarge`` past the bounds and
    ``ValueError`` for anything else (a sign, letters, ``nan``, full-width digits).
    """
    match = _DECIMAL.fullmatch(text)
    if match is None:
        raise ValueError(f"not a number: {text!r}")
    check_number_text(text)
    number, exponent, denominator = match.groups()
    value = Fraction(number)
    if exponent is not None:
        value *= Fraction(10) ** int(exponent)
    if denominator is not None:
        if exponent is not None or int(denominator) == 0:
            raise ValueError(f"not a number: {text!r}")
        value /= int(denominator)
    return value
