"""Spoken numbers read naturally."""

from __future__ import annotations

import pytest

from voiceguide.timeline.numbers import duration_words, number_words


@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (1, "one"), (13, "thirteen"), (20, "twenty"), (45, "forty-five"), (99, "ninety-nine"),
    (100, "one hundred"), (105, "one hundred and five"), (1000, "one thousand"),
    (1005, "one thousand and five"), (2345, "two thousand three hundred and forty-five"),
])
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "zero seconds"), (1, "one second"), (45, "forty-five seconds"), (60, "one minute"),
    (61, "one minute one second"), (90, "one minute thirty seconds"), (120, "two minutes"),
    (3600, "one hour"), (5400, "one hour thirty minutes"),
])
def test_duration_words(seconds: int, words: str) -> None:
    assert duration_words(seconds) == words


def test_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        number_words(-1)
    with pytest.raises(ValueError):
        duration_words(-5)
