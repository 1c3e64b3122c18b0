"""What a timeline is made of: events (sounds at exact frames), step spans, chapters, dropped cues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Chapter", "DroppedCue", "Event", "Kind", "StepPlan", "StepSpan", "Timeline"]

Kind = Literal["speech", "tone"]


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
    label: str | None = None
    """The ``label`` of the innermost labelled step this sound belongs to (a repeat's label covers its steps)."""

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
    language: str = "en"
    """The primary subtag of the phrasebook spoken (``de`` for ``de-AT``)."""
    voice: str | None = None
    """The engine's voice id, filled in by whoever synthesized the speech (the compiler never sees the engine)."""
    engine: str | None = None
    """The speech engine (``pyttsx3``, ``hibari``), filled in likewise."""


@dataclass(frozen=True)
class StepPlan:
    """One played step as the compiler walks the script: its span, sounds and dropped cues."""

    span: StepSpan
    events: tuple[Event, ...]
    dropped: tuple[DroppedCue, ...]
    chapter: Chapter | None = None
