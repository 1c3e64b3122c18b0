"""Numbers and durations as English words, so cues read naturally ("forty-five seconds left")."""

from __future__ import annotations

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """``45`` → ``"forty-five"``; whole numbers from 0 to 999,999."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_words takes 0 to 999999, got {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    joiner = " and " if 0 < rest < 100 else " "
    return f"{number_words(thousands)} thousand" + (f"{joiner}{number_words(rest)}" if rest else "")


def _unit(n: int, singular: str) -> str:
    return f"{number_words(n)} {singular}{'' if n == 1 else 's'}"


def duration_words(seconds: int) -> str:
    """``90`` → ``"one minute thirty seconds"``; ``3600`` → ``"one hour"``."""
    if seconds < 0:
        raise ValueError(f"duration_words takes a non-negative number of seconds, got {seconds}")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(_unit(hours, "hour"))
    if minutes:
        parts.append(_unit(minutes, "minute"))
    if secs or not parts:
        parts.append(_unit(secs, "second"))
    return " ".join(parts)
