"""Breathing patterns for ``voiceguide breathe``: ``IN-OUT``, ``IN-HOLD-OUT``, ``IN-HOLD-OUT-REST`` or a name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from voiceguide.errors import UsageError

MAX_PHASE_SECONDS = 60
"""The longest breathing phase a pattern may hold (a minute-long breath is surely a typo)."""


@dataclass(frozen=True)
class QuickPattern:
    """One breathing cycle in seconds, and the words that replace the hold cue (the sigh's second in-breath)."""

    inhale: Fraction
    hold: Fraction
    exhale: Fraction
    rest: Fraction = Fraction(0)
    name: str | None = None
    """The named pattern (``box``), or None for numbers."""
    top_up_hold: bool = False
    """The hold is a second, short in-breath (the physiological sigh), not a held breath."""

    @property
    def numbers(self) -> str:
        """The pattern as numbers, ``4-7-8``: in, then hold and out, then rest when it is not zero."""
        parts = [self.inhale] + ([self.hold] if self.hold or self.rest else []) + [self.exhale]
        parts += [self.rest] if self.rest else []
        return "-".join(_number(part) for part in parts)

    @property
    def cycle_seconds(self) -> Fraction:
        """The length of one breath, all four phases."""
        return self.inhale + self.hold + self.exhale + self.rest


def _number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


_S = Fraction
NAMED_PATTERNS: dict[str, QuickPattern] = {
    "box": QuickPattern(_S(4), _S(4), _S(4), _S(4), name="box"),
    "4-7-8": QuickPattern(_S(4), _S(7), _S(8), name="4-7-8"),
    "coherent": QuickPattern(_S(11, 2), _S(0), _S(11, 2), name="coherent"),
    "sigh": QuickPattern(_S(2), _S(1), _S(6), _S(1), name="sigh", top_up_hold=True),
    "equal": QuickPattern(_S(4), _S(0), _S(4), name="equal"),
    "calm": QuickPattern(_S(4), _S(0), _S(6), name="calm"),
}
"""Named patterns: box (4-4-4-4), 4-7-8, coherent (5.5-5.5, about 5.5 breaths a minute), the
physiological sigh (in, a second short in-breath, a long out-breath), equal (4-4) and calm (4-6)."""

ALIASES = {"physiological-sigh": "sigh", "square": "box", "resonant": "coherent", "relax": "4-7-8"}

_NUMBER = re.compile(r"\d{1,3}(\.\d{1,3})?")


def pattern_help() -> str:
    """The named patterns and their numbers, for help texts and hints."""
    return ", ".join(f"{name} ({pattern.numbers})" for name, pattern in NAMED_PATTERNS.items())


def parse_pattern(text: str) -> QuickPattern:
    """``4-7-8``, ``5.5-5.5``, ``4-4-4-4`` or a name (``box``) → a pattern; raises UsageError with the names."""
    key = text.strip().lower()
    key = ALIASES.get(key, key)
    if key in NAMED_PATTERNS:
        return NAMED_PATTERNS[key]
    parts = key.split("-")
    hint = f"give seconds as IN-OUT, IN-HOLD-OUT or IN-HOLD-OUT-REST (4-7-8), or a name: {pattern_help()}"
    shown = text if len(text) <= 40 else text[:39] + "…"
    if not 2 <= len(parts) <= 4 or not all(_NUMBER.fullmatch(part) for part in parts):
        raise UsageError(f"'{shown}' is not a breathing pattern", hint=hint)
    seconds = [Fraction(part) for part in parts]
    if len(seconds) == 2:
        seconds.insert(1, Fraction(0))
    inhale, hold, exhale, *rest = seconds
    if not inhale or not exhale:
        raise UsageError(f"in the breathing pattern '{shown}', breathing in and out must take some time", hint=hint)
    if max(seconds) > MAX_PHASE_SECONDS:
        raise UsageError(f"in the breathing pattern '{shown}', each part must be at most {MAX_PHASE_SECONDS} seconds",
                         hint=hint)
    return QuickPattern(inhale, hold, exhale, rest[0] if rest else Fraction(0))
