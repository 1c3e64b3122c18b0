"""What a laid-out session is made of: events, step spans, chapters, dropped cues, the timeline.

Plain frozen data in integer sample frames, made by ``compiler`` and read by
every stage downstream (the plan, the mixer, files, the player).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from voiceguide.script.model import Background

__all__ = ["Chapter", "DroppedCue", "Event", "Kind", "StepPlan", "StepSpan", "Timeline", "file_chapters"]

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
    spoken: str | None = None
    """What the voice says where ``pronounce`` makes it differ from ``text`` (else None)."""
    moved: int = 0
    """Frames this cue was moved from its instant to fit (signed; only time-left, halfway and a hold's say move)."""
    pan: bool = True
    """False when the press says ``pan: false``: a side's cue is then centred."""

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
class BedChange:
    """From frame ``start`` on, the sound under the voice is ``background`` (None: silence)."""

    start: int
    background: Background | None


@dataclass(frozen=True)
class DroppedCue:
    """A cue that fits nowhere (spec: Cue placement, rule 4): what is in its way, and where to make room.

    ``line``/``column`` are the step's; ``key`` names the key of the step (``hold``,
    ``cue_every``, ``inhale``, …) whose value would make room.
    """

    dropped: Event
    kept: Event | None
    line: int
    column: int
    key: str = ""


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
    beds: tuple[BedChange, ...] = ()
    """Where the sound under the voice changes (``background:`` steps), in order."""


@dataclass(frozen=True)
class StepPlan:
    """One played step as the compiler walks the script: its span, sounds and dropped cues."""

    span: StepSpan
    events: tuple[Event, ...]
    dropped: tuple[DroppedCue, ...]
    chapter: Chapter | None = None
    bed: BedChange | None = None


def file_chapters(timeline: Timeline) -> tuple[Chapter, ...]:
    """The chapters of files and of the plan: the sections, after one named after the title from 0:00
    when the first section starts later (revision 3).  Navigation keeps to the sections."""
    chapters = tuple(sorted(timeline.chapters, key=lambda chapter: chapter.start))
    if chapters and chapters[0].start > 0:
        return (Chapter(timeline.title, 0), *chapters)
    return chapters


def assemble_timeline(plans: Iterable[StepPlan], *, title: str, description: str | None, sample_rate: int,
                      language: str) -> Timeline:
    """The whole session's timeline from its step plans, in playing order (events sorted by start)."""
    events: list[Event] = []
    spans: list[StepSpan] = []
    chapters: list[Chapter] = []
    dropped: list[DroppedCue] = []
    beds: list[BedChange] = []
    end = 0
    for plan in plans:
        events.extend(plan.events)
        spans.append(plan.span)
        dropped.extend(plan.dropped)
        if plan.chapter is not None:
            chapters.append(plan.chapter)
        if plan.bed is not None:
            beds.append(plan.bed)
        end = max(end, plan.span.end, *(e.end for e in plan.events))
    events.sort(key=lambda e: e.start)
    return Timeline(title=title, description=description, sample_rate=sample_rate, length=end, events=tuple(events),
                    spans=tuple(spans), chapters=tuple(chapters), dropped=tuple(dropped), language=language,
                    beds=tuple(beds))
