"""Durations: every form of the spec's Durations section, exactly, and every way to get one wrong."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceguide.script.durations import (
    PATTERN,
    POSITIVE_PATTERN,
    DurationError,
    format_number,
    format_seconds,
    parse_duration,
)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, Fraction(90)),
        (2.5, Fraction(5, 2)),
        (0.1, Fraction(1, 10)),  # exact as written, not the binary float
        (Fraction(3, 2), Fraction(3, 2)),
        ("90s", Fraction(90)),
        ("1m30s", Fraction(90)),
        ("1m 30s", Fraction(90)),
        ("1.5m", Fraction(90)),
        ("250ms", Fraction(1, 4)),
        ("1h", Fraction(3600)),
        ("1h 2m 3s 4ms", Fraction(3723004, 1000)),
        ("30s 1m", Fraction(90)),  # parts add up in any order
        ("90", Fraction(90)),  # a number in a string is seconds
        (" 90 s ", Fraction(90)),
        (".5s", Fraction(1, 2)),
        ("0.333s", Fraction(333, 1000)),
        ("24h", Fraction(86400)),  # exactly 24 h is allowed
        (86400, Fraction(86400)),
        (0, Fraction(0)),  # zero is a duration; fields decide whether they allow it
        ("0s", Fraction(0)),
    ],
)
def test_valid_durations(value: object, seconds: Fraction) -> None:
    assert parse_duration(value) == seconds
    assert isinstance(parse_duration(value), Fraction)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "x must not be negative, got -1"),
        (-0.5, "x must not be negative, got -0.5"),
        ("-5s", "x must not be negative, got '-5s'"),
        ("25h", "x must be at most 24 h, got '25h'"),
        ("23h 61m", "x must be at most 24 h, got '23h 61m'"),
        (86400.001, "x must be at most 24 h, got 86400.001"),
        ("5x", "x has an unknown unit 'x' in '5x' (units: h, m, s, ms)"),
        ("5 min", "x has an unknown unit 'min' in '5 min' (units: h, m, s, ms); did you mean 'm'?"),
        ("5 seconds", "x has an unknown unit 'seconds' in '5 seconds' (units: h, m, s, ms); did you mean 's'?"),
        ("2hrs", "x has an unknown unit 'hrs' in '2hrs' (units: h, m, s, ms); did you mean 'h'?"),
        ("5S", "x has an unknown unit 'S' in '5S' (units: h, m, s, ms); did you mean 's'?"),
        ("1m 30", "x is missing a unit after 30 in '1m 30' (units: h, m, s, ms)"),
        ("", "x must be a duration such as 90, 2.5, '90s', '1m30s' or '250ms', got an empty text"),
        ("   ", "x must be a duration such as 90, 2.5, '90s', '1m30s' or '250ms', got an empty text"),
        ("soon", "x must be a duration such as 90, 2.5, '90s', '1m30s' or '250ms', got 'soon'"),
        ("s", "x must be a duration such as 90, 2.5, '90s', '1m30s' or '250ms', got 's'"),
        (True, "x must be a duration such as 90, 2.5, '90s', '1m30s' or '250ms'"),
        (None, "x must be a duration such as 90, 2.5, '90s', '1m30s' or '250ms'"),
        ([1], "x must be a duration such as 90, 2.5, '90s', '1m30s' or '250ms'"),
        (float("inf"), "x must be a finite number of seconds, got inf"),
        (float("nan"), "x must be a finite number of seconds, got nan"),
    ],
)
def test_invalid_durations(value: object, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(value, "x")
    assert str(caught.value) == message


def test_a_huge_number_of_digits_is_an_error_not_a_crash() -> None:
    with pytest.raises(DurationError, match="has more than 100 digits"):  # refused before any conversion
        parse_duration("9" * 5000 + "s", "x")
    with pytest.raises(DurationError, match="must be at most 24 h, got a number with too many digits"):
        parse_duration(10**5000, "x")


def test_the_default_subject() -> None:
    with pytest.raises(DurationError, match="^the value must not be negative"):
        parse_duration(-1)


@given(st.text(alphabet="0123456789.hms -\t", max_size=12))
def test_the_schema_pattern_matches_exactly_the_strings_the_parser_accepts(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except DurationError as error:
        # Only the 24 h total is beyond a regular expression.
        assert re.search(PATTERN, text) is None or "at most 24 h" in str(error)
    else:
        assert re.search(PATTERN, text) is not None
        assert (re.search(POSITIVE_PATTERN, text) is not None) == (seconds > 0)


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(5, 2), "2.5"), (Fraction(1, 3), "1/3"), (Fraction(-1, 10), "-0.1"), (Fraction(90), "90"), (2.5, "2.5")],
)
def test_format_number(value: object, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(Fraction(40), "40 s"), (Fraction(89), "1 min"), (Fraction(15 * 60 + 20), "15 min"), (Fraction(3600), "1 h"),
     (Fraction(3900), "1 h 5 min"), (0.4, "0 s")],
)
def test_format_seconds(seconds: Fraction | float, text: str) -> None:
    assert format_seconds(seconds) == text
