"""The timeline: a script becomes events at exact integer sample frames.

Pure: no I/O, no engine.  Speech lengths come from a ``measure(text) -> frames``
callable (the synthesized, trimmed clip's length), so the plan always describes
the render.  Times are computed from each step's start, never by summing the
lengths of earlier sleeps, so fixed cues cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

SAMPLE_RATE = 22050
"""Frames per second of every clip, tone and block (pyttsx3/espeak-ng's native rate)."""

TONE_SECONDS = Fraction(3, 2)
"""Length of one chime tone; the next tone of a ``chime`` starts when it has decayed."""

Kind = Literal["speech", "tone"]
Measure = Callable[[str], int]


@dataclass(frozen=True)
class Event:
    """One sound: ``length`` frames of speech (``text``) or a tone (``sound``) from ``start``."""

    start: int
    length: int
    kind: Kind
    cue: str
    text: str | None
    sound: str | None
    step: str
    side: str | None
    section: str | None

    @property
    def end(self) -> int:
        """The first frame after the sound."""
        return self.start + self.length


@dataclass(frozen=True)
class StepSpan:
    """Where one played step lies: ``[start, end)`` frames; targets for navigation."""

    step: str
    kind: str
    start: int
    end: int
    label: str | None
    section: str | None
    point: str | None = None


@dataclass(frozen=True)
class Chapter:
    """A section mark: title and start frame (for exports and skipping)."""

    title: str
    start: int


@dataclass(frozen=True)
class DroppedCue:
    """A cue left out because a higher-priority cue's speech collided with it."""

    dropped: Event
    kept: Event
    line: int
    column: int


@dataclass(frozen=True)
class Timeline:
    """A whole session laid out in frames."""

    title: str
    description: str | None
    sample_rate: int
    length: int
    events: tuple[Event, ...]
    spans: tuple[StepSpan, ...]
    chapters: tuple[Chapter, ...]
    dropped: tuple[DroppedCue, ...]
