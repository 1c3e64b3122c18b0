"""The spec's protective limits, computed without expanding anything.

A session may last at most 24 h and produce at most 100,000 events.  Both are
estimated bottom-up over the model, which may be a DAG (aliases share
objects): each object is estimated once (memoized by identity) and a
``repeat`` multiplies its body's figures by its count.  Python ints and
Fractions do not overflow, so ten nested repeats of ten (10^10 steps) cost a
few dozen multiplications, not 10^10 steps of memory.

The estimate needs no speech engine.  Speech is assumed to last
``words × 60 / rate`` seconds at the script's voice rate, and at least 0.3 s per
utterance; the real length comes from synthesis later, so figures here are
approximate (good to a few percent for typical scripts) and used only for
limits and for the "about 15 min" of ``voiceguide check``.

Events are counted per the spec's cue rules: the title and each caution;
``say`` 1; ``section`` 1 when announced; ``chime`` one per tone; ``breathe``
its ``say``, one cue per non-zero phase per cycle, plus the spoken seconds
when ``count`` is on; ``press`` per side the announcement, press cue, ``say``,
time-left cues, halfway, countdown numbers, breathing cues and release;
``repeat`` its body times N, plus one "Round k of N" per round when announced.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from voiceguide.errors import Position
from voiceguide.script.model import (
    BREATHING_CLEARANCE,
    MAX_EVENTS,
    MAX_SESSION_SECONDS,
    PRESS_SAY_GAP,
    TONE_SECONDS,
    BackgroundStep,
    Breathe,
    BreathPattern,
    Chime,
    Pause,
    Press,
    Repeat,
    Say,
    Script,
    Section,
    Step,
)

__all__ = [
    "MIN_SPEECH_SECONDS",
    "Estimate",
    "LimitProblem",
    "check_limits",
    "estimate_session", "hours_text",
    "estimated_measure",
    "speech_seconds",
]

MIN_SPEECH_SECONDS = Fraction(3, 10)
"""The shortest an utterance is assumed to last."""


@dataclass(frozen=True)
class Estimate:
    """Estimated length (seconds, a float) and number of events (exact) of a step, a step list or a session."""

    seconds: float
    events: int

    @property
    def too_long(self) -> bool:
        """More than the 24 h a session may last."""
        return self.seconds > MAX_SESSION_SECONDS

    @property
    def too_many_events(self) -> bool:
        """More than the 100,000 events a session may have."""
        return self.events > MAX_EVENTS


@dataclass(frozen=True)
class LimitProblem:
    """A limit exceeded: where (the repeat, or the script for the whole session) and a message."""

    position: Position
    message: str


def speech_seconds(text: str, rate_wpm: int) -> Fraction:
    """Estimated length of speaking ``text``: words × 60 / rate, at least 0.3 s."""
    return max(MIN_SPEECH_SECONDS, Fraction(len(text.split()) * 60, rate_wpm))


def estimated_measure(rate_wpm: int, sample_rate: int) -> Callable[[str], int]:
    """A timeline ``measure`` with no engine: ``speech_seconds`` in frames, memoized per text."""
    frames: dict[str, int] = {}

    def measure(text: str) -> int:
        found = frames.get(text)
        if found is None:
            found = frames[text] = round(speech_seconds(text, rate_wpm) * sample_rate)
        return found

    return measure


# Inside the estimator, (seconds, events) pairs with float seconds: exact Fractions
# cost more than the parse itself, and a limit check needs no more than a float.
_Pair = tuple[float, int]
_NOTHING: _Pair = (0.0, 0)


class _Estimator:
    """Memoized bottom-up estimation over one script (repeats and step lists keyed by identity: the model is a DAG).

    Only repeats and step lists are memoized: they are what aliases multiply.
    A leaf step costs less to estimate again than to look up.  The script
    keeps every object alive while it is estimated, so identities stay unique.
    """

    def __init__(self, rate_wpm: int) -> None:
        self.seconds_per_word = 60 / rate_wpm
        self._memo: dict[int, _Pair] = {}
        self.problems: list[LimitProblem] = []
        self._flagged: set[int] = set()  # repeats found over a limit (their ancestors are not blamed again)
        self._reported: set[str] = set()  # the limits already reported
        self._kinds = {Pause: self._pause, Chime: self._chime, Section: self._section,
                       Breathe: self._breathe, Press: self._press, Repeat: self._repeat,
                       BackgroundStep: self._background}

    def speech(self, text: str) -> float:
        return max(_MIN_SPEECH, len(text.split()) * self.seconds_per_word)

    def steps(self, steps: tuple[Step, ...]) -> _Pair:
        found = self._memo.get(id(steps))
        if found is None:
            seconds, events = 0.0, 0
            seconds_per_word = self.seconds_per_word
            kinds = self._kinds
            for step in steps:
                if step.__class__ is Say:  # the commonest step, inline
                    seconds += max(_MIN_SPEECH, len(step.text.split()) * seconds_per_word) + _float(step.pause)
                    events += 1
                else:
                    step_seconds, step_events = kinds[step.__class__](step)  # type: ignore[operator]
                    seconds += step_seconds
                    events += step_events
            found = self._memo[id(steps)] = (seconds, events)
        return found

    def _pause(self, step: Pause) -> _Pair:
        return _float(step.duration), 0

    def _chime(self, step: Chime) -> _Pair:
        return _TONE * step.count, step.count

    def _background(self, step: BackgroundStep) -> _Pair:
        return _NOTHING

    def _section(self, step: Section) -> _Pair:
        return (self.speech(step.title), 1) if step.announce else _NOTHING

    def _repeat(self, step: Repeat) -> _Pair:
        found = self._memo.get(id(step))
        if found is None:
            found = self._memo[id(step)] = self._repeat_once(step)
        return found

    def _repeat_once(self, step: Repeat) -> _Pair:
        seconds, events = self.steps(step.steps)
        if step.announce:
            seconds += self.speech(f"Round {step.times} of {step.times}")
            events += 1
        total = Estimate(seconds * step.times, events * step.times)
        if any(id(inner) in self._flagged for inner in step.steps):
            self._flagged.add(id(step))  # blame the innermost repeat only
        elif total.too_long or total.too_many_events:
            self._flagged.add(id(step))
            # One report per limit: sibling copies of an offending block would only repeat it.
            for kind, message in _messages(total, "this repeat"):
                if kind not in self._reported:
                    self._reported.add(kind)
                    self.problems.append(LimitProblem(step.position, message))
        return total.seconds, total.events

    def _breathe(self, step: Breathe) -> _Pair:
        pattern = step.pattern
        cycles = step.cycle_count()
        seconds = (_float(pattern.inhale) + _float(pattern.hold) + _float(pattern.exhale)
                   + _float(pattern.rest)) * cycles
        events = _cycle_cues(pattern, step.count) * cycles
        if step.say is not None:
            seconds += self.speech(step.say)
            events += 1
        return seconds, events

    def _press(self, step: Press) -> _Pair:
        announcement = " ".join(part for part in (step.side if step.side != "none" else None,
                                                  step.point, step.where) if part)
        # Words left to the phrasebook are estimated by the English ones: cue words are short in every language.
        seconds = (_float(step.prepare) + _float(step.hold) + _float(step.rest)
                   + self.speech(step.words.release or "Release"))
        events = 2  # the press and release cues
        if announcement:
            seconds += self.speech(announcement)
            events += 1
        spoken_at_press = self.speech(step.words.press or "Press now")
        if step.say is not None:
            events += 1
            spoken_at_press += _float(PRESS_SAY_GAP) + self.speech(step.say)
        if step.cue_every is not None:
            events += math.ceil(step.hold / step.cue_every) - 1  # exact: Fractions
        # A countdown number is not said at or before the press cue (the compiler's rules, as below).
        countdown = min(step.countdown, math.ceil(step.hold) - 1)
        events += step.halfway + countdown
        if step.breathe is not None:
            # Cycles start at Tp + s (whole seconds); no phase is cued less than BREATHING_CLEARANCE
            # before the countdown, or the release.
            breathing = step.hold - countdown - BREATHING_CLEARANCE - math.ceil(spoken_at_press)
            if breathing >= 0:
                whole, part = divmod(breathing, step.breathe.cycle_seconds)
                events += _cycle_cues(step.breathe, False) * int(whole) + _cues_until(step.breathe, part)
        sides = 2 if step.side == "both" else 1
        return seconds * sides, events * sides


_MIN_SPEECH = float(MIN_SPEECH_SECONDS)
_TONE = float(TONE_SECONDS)


def _float(seconds: Fraction) -> float:
    """``float(seconds)`` as ``numbers.Rational`` computes it (numerator / denominator), without the generic call."""
    return seconds.numerator / seconds.denominator


def _cycle_cues(pattern: BreathPattern, count: bool) -> int:
    """Cues of one whole cycle: one per phase of non-zero length (and the spoken seconds, when ``count`` is on)."""
    cues = 0
    for length in (pattern.inhale, pattern.hold, pattern.exhale, pattern.rest):
        if length:
            cues += math.ceil(length) if count else 1  # "two, three, …" on each whole second inside the phase
    return cues


def _cues_until(pattern: BreathPattern, within: Fraction) -> int:
    """Cues of the phases of one cycle that start at or before ``within`` seconds (a cycle cut short)."""
    cues = 0
    start = Fraction(0)
    for length in (pattern.inhale, pattern.hold, pattern.exhale, pattern.rest):
        if length and start <= within:
            cues += 1
        start += length
    return cues


def _messages(estimate: Estimate, subject: str) -> list[tuple[str, str]]:
    """(limit, message) for each limit the estimate exceeds."""
    messages = []
    if estimate.too_long:
        messages.append(("length", f"{subject} would last about {hours_text(estimate.seconds)}; "
                                   f"a session may last at most {MAX_SESSION_SECONDS // 3600} h"))
    if estimate.too_many_events:
        messages.append(("events", f"{subject} would produce {estimate.events:,} events (cues, speech and tones); "
                                   f"a session may have at most {MAX_EVENTS:,}"))
    return messages


def hours_text(seconds: float) -> str:
    """A session's length in a limit's message: "416.7 h", "1,234 h", and to the second just over 24 h."""
    hours = seconds / 3600
    if hours >= 1000:
        return f"{math.floor(hours):,} h"
    if f"{float(hours):.1f}" != "24.0" or seconds <= 24 * 3600:
        return f"{float(hours):.1f} h"
    # Just over the limit: "24.0 h" would read as within it.
    minutes, secs = divmod(math.ceil(seconds) - 24 * 3600, 60)
    return f"24 h {minutes} min {secs} s"


def _estimate(script: Script) -> tuple[_Estimator, Estimate]:
    """The estimator (with the problems it found inside repeats) and the whole session's estimate."""
    estimator = _Estimator(script.voice.rate)
    seconds, events = estimator.steps(script.steps)
    seconds += estimator.speech(script.title) + sum(estimator.speech(caution) for caution in script.cautions)
    return estimator, Estimate(seconds, events + 1 + len(script.cautions))  # the title and the cautions


def estimate_session(script: Script) -> Estimate:
    """Estimated length and number of events of the whole session, cautions included."""
    return _estimate(script)[1]


def check_limits(script: Script) -> list[LimitProblem]:
    """The limits a script exceeds: at the innermost repeat over a limit, else at the script for the whole session."""
    estimator, total = _estimate(script)
    problems = list(estimator.problems)
    if not problems and (total.too_long or total.too_many_events):
        problems.extend(LimitProblem(script.position, message) for _, message in _messages(total, "the session"))
    return problems
