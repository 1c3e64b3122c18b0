"""The session model: immutable, typed, every object carrying its source position.

Durations are exact ``fractions.Fraction`` seconds as written in the script
(``"1m30s"`` is ``Fraction(90)``); they become integer sample frames only in
the timeline (``timeline/compiler.py``).  Defaults are those of the format
(``docs/script-format.md``).

The model may be a DAG rather than a tree: a YAML alias used twice yields one
shared step object, so a hostile file of nested aliased repeats stays small in
memory.  Nothing here expands ``repeat``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from voiceguide.errors import Position

Seconds = Fraction
Side = Literal["left", "right", "both", "none"]
ChimeSound = Literal["bell", "beep", "gong"]

FORMAT_VERSION = 1
DEFAULT_RATE_WPM = 160
MIN_RATE_WPM = 80
MAX_RATE_WPM = 400
MAX_SESSION_SECONDS = 24 * 3600
MAX_EVENTS = 100_000
TONE_SECONDS = Fraction(3, 2)
"""One chime tone (the spec's "~1.5 s"); the next tone of a ``chime`` starts when it has decayed."""
BREATHING_CLEARANCE = Fraction(1)
"""In a hold, no breathing phase is cued less than this before the countdown (or the release)."""
PRESS_SAY_GAP = Fraction(3, 10)
"""Silence between "Press now." and a press step's ``say`` (not paced)."""


@dataclass(frozen=True)
class Voice:
    """Voice settings: ``name`` (engine id or substring of its name), rate in wpm, volume 0-1."""

    name: str | None = None
    rate: int = DEFAULT_RATE_WPM
    volume: float = 1.0


@dataclass(frozen=True)
class Say:
    """``say: TEXT``: speech, then ``pause`` of silence."""

    text: str
    position: Position
    pause: Seconds = Fraction(1, 2)
    label: str | None = None


@dataclass(frozen=True)
class Pause:
    """``pause: DURATION``: silence."""

    duration: Seconds
    position: Position
    label: str | None = None


@dataclass(frozen=True)
class Chime:
    """``chime: COUNT``: COUNT bell tones, one after the other."""

    count: int
    position: Position
    sound: ChimeSound = "bell"
    label: str | None = None


@dataclass(frozen=True)
class BreathWords:
    """The cue words of a breathing cycle set by the script; None: the phrasebook's."""

    inhale: str | None = None
    hold: str | None = None
    exhale: str | None = None
    rest: str | None = None
    short: BreathWords | None = None
    """The short forms (``words.short``), said where the full words would not end before the next fixed cue."""


@dataclass(frozen=True)
class BreathPattern:
    """One breathing cycle: phase lengths in seconds (hold and rest may be zero)."""

    inhale: Seconds
    exhale: Seconds
    hold: Seconds = Fraction(0)
    rest: Seconds = Fraction(0)

    @property
    def cycle_seconds(self) -> Seconds:
        """The cycle length ``C = inhale + hold + exhale + rest``."""
        return self.inhale + self.hold + self.exhale + self.rest


@dataclass(frozen=True)
class Breathe:
    """``breathe:``: paced breathing for ``cycles`` cycles or ``for_seconds`` of time."""

    pattern: BreathPattern
    position: Position
    cycles: int | None = None
    for_seconds: Seconds | None = None
    count: bool = False
    say: str | None = None
    words: BreathWords = field(default_factory=BreathWords)
    label: str | None = None

    def cycle_count(self, pace: Fraction = Fraction(1)) -> int:
        """Cycles to play: ``cycles``, or ``floor(for / C)`` (at least 1).

        Pace stretches ``for`` and ``C`` alike, so the count does not depend on it.
        """
        if self.cycles is not None:
            return self.cycles
        assert self.for_seconds is not None  # the parser guarantees exactly one
        return max(1, int(self.for_seconds // self.pattern.cycle_seconds))


@dataclass(frozen=True)
class PressWords:
    """The press and release cue words set by the script; None: the phrasebook's."""

    press: str | None = None
    release: str | None = None


@dataclass(frozen=True)
class Press:
    """``press:``: a pressure-hold interval on one point, for one or both sides."""

    hold: Seconds
    position: Position
    point: str | None = None
    where: str | None = None
    side: Side = "none"
    prepare: Seconds = Fraction(3)
    say: str | None = None
    cue_every: Seconds | None = None
    halfway: bool = False
    countdown: int = 0
    breathe: BreathPattern | None = None
    words: PressWords = field(default_factory=PressWords)
    rest: Seconds = Fraction(5)
    label: str | None = None
    pan: bool = True
    """False: a side's cues are centred, not panned (revision 3)."""


@dataclass(frozen=True)
class Section:
    """``section: TITLE``: a chapter mark, spoken unless ``announce`` is false."""

    title: str
    position: Position
    announce: bool = True
    label: str | None = None


@dataclass(frozen=True)
class Repeat:
    """``repeat: N`` with ``steps``: the nested steps N times."""

    times: int
    steps: tuple[Step, ...]
    position: Position
    announce: bool = False
    label: str | None = None


@dataclass(frozen=True)
class Background:
    """A sound under the voice (revision 3): a built-in sound's name or a file (relative to the script)."""

    sound: str
    position: Position
    level_db: float = -20.0
    """Loudness relative to the voice's, in dB (at most 0)."""
    duck_db: float = 6.0
    """How much lower it goes while the voice speaks, in dB."""
    fade: Seconds = Fraction(4)
    """Fade in, out, around a pause and between sounds."""
    builtin: bool = True
    """True for a built-in sound (``sound`` is its name), False for a file (``sound`` as written)."""


@dataclass(frozen=True)
class BackgroundStep:
    """``background: SOUND``, ``{...}`` or ``off`` as a step: changes the sound from this point on."""

    background: Background | None
    position: Position
    label: str | None = None


Step = Say | Pause | Chime | Breathe | Press | Section | Repeat | BackgroundStep


@dataclass(frozen=True)
class Script:
    """A whole session script (format 1)."""

    title: str
    steps: tuple[Step, ...]
    position: Position
    version: int = FORMAT_VERSION
    description: str | None = None
    language: str | None = None
    phrases: tuple[tuple[str, str], ...] = ()
    """``phrases:`` overrides of the phrasebook: (key, template) pairs in the script's order."""
    voice: Voice = field(default_factory=Voice)
    cautions: tuple[str, ...] = ()
    pronounce: tuple[tuple[str, str], ...] = ()
    """``pronounce:`` spoken forms: (written, spoken) pairs in the script's order."""
    background: Background | None = None
    """The sound under the voice from the start (revision 3), or None."""
