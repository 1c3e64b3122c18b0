"""The compiler's clock and voice: frames of paced and fixed durations, measured speech, breathing cycles' cues.

``CueMaker`` is the base of the compiler's walk over a script (``compiler``):
it turns durations into integer frames (``--pace`` stretching the script's
own, never the built-in gaps), makes a ``Cue`` of a text with its measured
length, and lays out a breathing pattern's cues, every instant from one start
so that nothing accumulates.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from fractions import Fraction

from voiceguide.base import round_half_even
from voiceguide.phrases import Phrasebook
from voiceguide.script.model import BreathPattern, BreathWords
from voiceguide.timeline.placement import Cue

Measure = Callable[[str], int]


def cue_text(words: str) -> str:
    """A generated cue as spoken: the words, ending with a full stop unless they end in punctuation."""
    words = words.strip()
    return words if not words or words[-1] in ".!?…:;," else words + "."


class CueMaker:
    """Frames and cues for a script's timeline, at ``pace`` and ``sample_rate``, in ``phrases``' words."""

    def __init__(self, measure: Measure, pace: Fraction, sample_rate: int, phrases: Phrasebook) -> None:
        self.measure = measure
        self.pace = pace
        self.rate = sample_rate
        self.phrases = phrases
        self._say = functools.cache(self.phrases.say)  # a session says the same counts hundreds of times
        frames_per_second = Fraction(pace) * sample_rate
        self._fps_num = frames_per_second.numerator
        self._fps_den = frames_per_second.denominator

    # -- time ------------------------------------------------------------------

    def paced(self, seconds: Fraction) -> int:
        """Frames of a script duration: stretched by --pace, rounded once."""
        return self._paced_ratio(seconds.numerator, seconds.denominator)

    def _paced_ratio(self, num: int, den: int) -> int:
        """``paced(Fraction(num, den))`` in plain integers: the hot path of long sessions."""
        return round_half_even(num * self._fps_num, den * self._fps_den)

    def fixed(self, seconds: Fraction) -> int:
        """Frames of a built-in gap or of real seconds (countdowns): never paced."""
        return round(seconds * self.rate)

    def speech(self, start: int, cue: str, text: str, side: str | None = None) -> Cue:
        return Cue(start, self.measure(text), cue, text, None, side)

    # -- breathing ---------------------------------------------------------------

    def _breathing_cues(self, t0: int, pattern: BreathPattern, words: BreathWords,
                        until: int | None, cycles: int | None, count: bool) -> list[Cue]:
        """Cues of cycles starting at ``t0``: cycle k's phases at ``t0 + k·C`` (+ offsets).

        Stops after ``cycles`` cycles, or before the first cue at or after ``until``.
        Every instant is computed from ``t0``, so nothing accumulates.
        """
        cycle = pattern.cycle_seconds
        phases: list[tuple[str, Fraction, str, str | None, Fraction]] = []  # name, offset, words, short, length
        offset = Fraction(0)
        for name, seconds in (("inhale", pattern.inhale), ("hold", pattern.hold),
                              ("exhale", pattern.exhale), ("rest", pattern.rest)):
            if seconds > 0:
                text, short = self._breath_words(name, words)
                phases.append((name, offset, text, short, seconds * self.pace))
            offset += seconds
        # Cycle k's phase at offset o starts at t0 + paced(k·C + o): computed in integers from t0.
        c_num, c_den = cycle.numerator, cycle.denominator
        cues: list[Cue] = []
        k = 0
        while cycles is None or k < cycles:
            for index, (name, phase_offset, text, short, paced_length) in enumerate(phases):
                o_num, o_den = phase_offset.numerator, phase_offset.denominator
                start = t0 + self._paced_ratio(k * c_num * o_den + o_num * c_den, c_den * o_den)
                if until is not None and start >= until:
                    if index == 0:
                        return cues
                    break
                cue = self.speech(start, name, text)
                if short is not None:
                    cue.short_text, cue.short_length = short, self.measure(short)
                cues.append(cue)
                if count:
                    whole = 1
                    while whole < paced_length:
                        cues.append(self.speech(start + whole * self.rate, "count",
                                                self._say("count", n=whole + 1)))
                        whole += 1
            k += 1
        return cues

    def _breath_words(self, name: str, words: BreathWords) -> tuple[str, str | None]:
        """A breathing cue's words and short form (or None); other words (``rest: Hold``) keep only their own short."""
        word, short = getattr(words, name), getattr(words.short, name) if words.short is not None else None
        text = cue_text(word) if word is not None else self._say(name)
        if short is not None:
            short = cue_text(short)
        elif word is None or self.phrases.begins(word, name):
            short = self._say(f"{name}_short")
        return text, (short if short != text else None)
