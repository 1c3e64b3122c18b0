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
from dataclasses import dataclass
from fractions import Fraction

from voiceguide.errors import Position
from voiceguide.model import (
    MAX_EVENTS,
    MAX_SESSION_SECONDS,
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
    "TONE_SECONDS",
    "Estimate",
    "LimitProblem",
    "check_limits",
    "estimate_session",
    "speech_seconds",
]

MIN_SPEECH_SECONDS = Fraction(3, 10)
"""The shortest an utterance is assumed to last."""

TONE_SECONDS = Fraction(3, 2)
"""One chime tone (the spec's "~1.5 s"; the same figure as ``timeline.TONE_SECONDS``)."""


@dataclass(frozen=True)
class Estimate:
    """Estimated length (seconds) and number of events of a step, a step list or a session."""

    seconds: Fraction
    events: int

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.seconds + other.seconds, self.events + other.events)

    def times(self, count: int) -> Estimate:
        """This estimate repeated ``count`` times."""
        return Estimate(self.seconds * count, self.events * count)

    @property
    def too_long(self) -> bool:
        """More than the 24 h a session may last."""
        return self.seconds > MAX_SESSION_SECONDS

    @property
    def too_many_events(self) -> bool:
        """More than the 100,000 events a session may have."""
        return self.events > MAX_EVENTS


_ZERO = Estimate(Fraction(0), 0)


@dataclass(frozen=True)
class LimitProblem:
    """A limit exceeded: where (the repeat, or the script for the whole session) and a message."""

    position: Position
    message: str


def speech_seconds(text: str, rate_wpm: int) -> Fraction:
    """Estimated length of speaking ``text``: words × 60 / rate, at least 0.3 s."""
    return max(MIN_SPEECH_SECONDS, Fraction(len(text.split()) * 60, rate_wpm))


def _speech(text: str, rate_wpm: int) -> Estimate:
    return Estimate(speech_seconds(text, rate_wpm), 1)


class _Estimator:
    """Memoized bottom-up estimation over one script (objects are keyed by identity: the model is a DAG)."""

    def __init__(self, rate_wpm: int) -> None:
        self.rate = rate_wpm
        self._memo: dict[int, Estimate] = {}
        self._keep: list[object] = []  # keep memoized objects alive so ids stay unique
        self.problems: list[LimitProblem] = []
        self._flagged: set[int] = set()  # repeats found over a limit (their ancestors are not blamed again)
        self._reported: set[str] = set()  # the limits already reported

    def steps(self, steps: tuple[Step, ...]) -> Estimate:
        key = id(steps)
        if key not in self._memo:
            total = _ZERO
            for step in steps:
                total = total + self.step(step)
            self._memo[key] = total
            self._keep.append(steps)
        return self._memo[key]

    def step(self, step: Step) -> Estimate:
        key = id(step)
        if key not in self._memo:
            self._memo[key] = self._estimate(step)
            self._keep.append(step)
        return self._memo[key]

    def flagged_within(self, steps: tuple[Step, ...]) -> bool:
        return any(id(step) in self._flagged for step in steps)

    def _estimate(self, step: Step) -> Estimate:
        if isinstance(step, Say):
            return Estimate(speech_seconds(step.text, self.rate) + step.pause, 1)
        if isinstance(step, Pause):
            return Estimate(step.duration, 0)
        if isinstance(step, Chime):
            return Estimate(TONE_SECONDS * step.count, step.count)
        if isinstance(step, Section):
            return _speech(step.title, self.rate) if step.announce else _ZERO
        if isinstance(step, Breathe):
            return self._breathe(step)
        if isinstance(step, Press):
            return self._press(step)
        return self._repeat(step)

    def _repeat(self, step: Repeat) -> Estimate:
        body = self.steps(step.steps)
        if step.announce:
            body = body + _speech(f"Round {step.times} of {step.times}", self.rate)
        total = body.times(step.times)
        if self.flagged_within(step.steps):
            self._flagged.add(id(step))  # blame the innermost repeat only
        elif total.too_long or total.too_many_events:
            self._flagged.add(id(step))
            # One report per limit: sibling copies of an offending block would only repeat it.
            for kind, message in _messages(total, "this repeat"):
                if kind not in self._reported:
                    self._reported.add(kind)
                    self.problems.append(LimitProblem(step.position, message))
        return total

    def _breathe(self, step: Breathe) -> Estimate:
        pattern = step.pattern
        cycle = Estimate(pattern.cycle_seconds, _cycle_cues(pattern, pattern.cycle_seconds, step.count))
        total = cycle.times(step.cycle_count())
        if step.say is not None:
            total = total + _speech(step.say, self.rate)
        return total

    def _press(self, step: Press) -> Estimate:
        announcement = " ".join(part for part in (step.side if step.side != "none" else None,
                                                  step.point, step.where) if part)
        side = _speech(announcement, self.rate) if announcement else _ZERO
        side = side + Estimate(step.prepare + step.hold, 2)  # the press and release cues
        spoken_at_press = speech_seconds(step.words.press, self.rate)
        if step.say is not None:
            side = side + Estimate(Fraction(0), 1)
            spoken_at_press += speech_seconds(step.say, self.rate)
        if step.cue_every is not None:
            side = side + Estimate(Fraction(0), math.ceil(step.hold / step.cue_every) - 1)
        if step.halfway:
            side = side + Estimate(Fraction(0), 1)
        side = side + Estimate(Fraction(0), step.countdown)
        if step.breathe is not None:
            breathing = step.hold - math.ceil(spoken_at_press)  # cycles start at Tp + s (whole seconds)
            if breathing > 0:
                cycle = step.breathe.cycle_seconds
                whole, part = divmod(breathing, cycle)
                cues = _cycle_cues(step.breathe, cycle, False) * int(whole) + _cycle_cues(step.breathe, part, False)
                side = side + Estimate(Fraction(0), cues)
        side = side + Estimate(speech_seconds(step.words.release, self.rate) + step.rest, 0)
        return side.times(2 if step.side == "both" else 1)


def _cycle_cues(pattern: BreathPattern, within: Fraction, count: bool) -> int:
    """Cues of the phases of one cycle that start before ``within`` seconds (and counts, when on)."""
    cues = 0
    start = Fraction(0)
    for length in (pattern.inhale, pattern.hold, pattern.exhale, pattern.rest):
        if length > 0 and start < within:
            cues += 1
            if count:
                cues += math.ceil(length) - 1  # "two, three, …" on each whole second inside the phase
        start += length
    return cues


def _messages(estimate: Estimate, subject: str) -> list[tuple[str, str]]:
    """(limit, message) for each limit the estimate exceeds."""
    messages = []
    if estimate.too_long:
        messages.append(("length", f"{subject} would last about {_hours(estimate.seconds)}; "
                                   f"a session may last at most {MAX_SESSION_SECONDS // 3600} h"))
    if estimate.too_many_events:
        messages.append(("events", f"{subject} would produce {estimate.events:,} events (cues, speech and tones); "
                                   f"a session may have at most {MAX_EVENTS:,}"))
    return messages


def _hours(seconds: Fraction) -> str:
    hours = seconds / 3600
    return f"{math.floor(hours):,} h" if hours >= 1000 else f"{float(hours):.1f} h"


def _top(script: Script) -> Estimate:
    """The title and the cautions, spoken before the first step."""
    total = _speech(script.title, script.voice.rate)
    for caution in script.cautions:
        total = total + _speech(caution, script.voice.rate)
    return total


def estimate_session(script: Script) -> Estimate:
    """Estimated length and number of events of the whole session, cautions included."""
    return _top(script) + _Estimator(script.voice.rate).steps(script.steps)


def check_limits(script: Script) -> list[LimitProblem]:
    """The limits a script exceeds: at the innermost repeat over a limit, else at the script for the whole session."""
    estimator = _Estimator(script.voice.rate)
    total = _top(script) + estimator.steps(script.steps)
    problems = list(estimator.problems)
    if not problems and (total.too_long or total.too_many_events):
        problems.extend(LimitProblem(script.position, message) for _, message in _messages(total, "the session"))
    return problems
