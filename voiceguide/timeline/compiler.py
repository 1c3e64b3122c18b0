"""The timeline: a script becomes events at exact integer sample frames.

Pure: no I/O, no engine.  Speech lengths come from a ``measure(text) -> frames``
callable (the synthesized, trimmed clip's length), so the plan always describes
the render.  Times are computed from each step's start, never by summing the
lengths of earlier sleeps, so fixed cues cannot drift.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from voiceguide.base import SAMPLE_RATE
from voiceguide.phrases import Phrasebook, load_phrasebook, primary_language
from voiceguide.script.model import (
    Background,
    BackgroundStep,
    Breathe,
    BreathPattern,
    BreathWords,
    Chime,
    Pause,
    Press,
    Repeat,
    Say,
    Script,
    Section,
    Step,
)

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
    label: str | None = None
    """The ``label`` of the innermost labelled step this sound belongs to (a repeat's label covers its steps)."""
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


# Fixed gaps the spec leaves to us (see README, "Choices where the spec is silent").
# They are not scaled by --pace: pace stretches the script's own durations only.
TITLE_GAP = Fraction(1)
CAUTION_GAP = Fraction(3, 4)
SECTION_GAP = Fraction(1)
ROUND_GAP = Fraction(1, 2)
BREATHE_SAY_GAP = Fraction(1, 2)
PRESS_SAY_GAP = Fraction(3, 10)

# Collision priorities (spec: release > press > countdown > time-left > halfway > say > breathing);
# the counts inside a breathing phase rank below the phase cue they belong to.
PRIORITY = {
    "release": 7, "press": 6, "countdown": 5, "remaining": 4, "halfway": 3,
    "say": 2, "inhale": 1, "hold": 1, "exhale": 1, "rest": 1, "count": 0,
}


def cue_text(words: str) -> str:
    """A generated cue as spoken: the words, ending with a full stop unless they end in punctuation."""
    words = words.strip()
    return words if not words or words[-1] in ".!?…:;," else words + "."


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…:;," else text + "."


def compile_timeline(
    script: Script,
    measure: Measure,
    *,
    pace: Fraction = Fraction(1),
    cautions: bool = True,
    sample_rate: int = SAMPLE_RATE,
) -> Timeline:
    """Lay out the whole session; ``measure(text)`` gives each utterance's length in frames."""
    events: list[Event] = []
    spans: list[StepSpan] = []
    chapters: list[Chapter] = []
    dropped: list[DroppedCue] = []
    beds: list[BedChange] = []
    end = 0
    for plan in iter_timeline(script, measure, pace=pace, cautions=cautions, sample_rate=sample_rate):
        events.extend(plan.events)
        spans.append(plan.span)
        dropped.extend(plan.dropped)
        if plan.chapter is not None:
            chapters.append(plan.chapter)
        if plan.bed is not None:
            beds.append(plan.bed)
        end = max(end, plan.span.end, *(e.end for e in plan.events))
    events.sort(key=lambda e: e.start)
    return Timeline(
        title=script.title,
        description=script.description,
        sample_rate=sample_rate,
        length=end,
        events=tuple(events),
        spans=tuple(spans),
        chapters=tuple(chapters),
        dropped=tuple(dropped),
        language=primary_language(script.language),
        beds=tuple(beds),
    )


def iter_timeline(
    script: Script,
    measure: Measure,
    *,
    pace: Fraction = Fraction(1),
    cautions: bool = True,
    sample_rate: int = SAMPLE_RATE,
) -> Iterator[StepPlan]:
    """Walk the session step by step, lazily (a live player compiles ahead of the playhead).

    Steps come in playing order; each step's events are sorted and start at or
    after its span's start, and spans do not overlap, so the concatenated events
    are sorted too.  ``measure`` is called only for texts of the step being laid out.
    """
    return _Compiler(script, measure, pace, cautions, sample_rate).walk()


def utterances(script: Script, *, pace: Fraction = Fraction(1), cautions: bool = True) -> list[str]:
    """Every distinct text the session may speak, in order of first use (to synthesize ahead)."""
    seen: dict[str, None] = {}

    def record(text: str) -> int:
        seen.setdefault(text, None)
        return 1

    for _ in iter_timeline(script, record, pace=pace, cautions=cautions):
        pass
    return list(seen)


def script_phrasebook(script: Script) -> Phrasebook:
    """The phrasebook a script speaks: its language's, with its ``phrases:`` overrides."""
    return load_phrasebook(script.language, dict(script.phrases))


def _round_half_even(num: int, den: int) -> int:
    """``round(Fraction(num, den))`` for ``den > 0``, without building a Fraction."""
    floor, remainder = divmod(num, den)
    twice = 2 * remainder
    if twice > den or (twice == den and floor % 2):
        return floor + 1
    return floor


@dataclass
class _Cue:
    """A candidate sound inside one step, before collision resolution."""

    start: int
    length: int
    cue: str
    text: str | None
    sound: str | None = None
    side: str | None = None
    pan: bool = True

    @property
    def end(self) -> int:
        return self.start + self.length


class _Compiler:
    def __init__(self, script: Script, measure: Measure, pace: Fraction, cautions: bool, sample_rate: int) -> None:
        self.script = script
        self.measure = measure
        self.pace = pace
        self.cautions = cautions
        self.rate = sample_rate
        self.section: str | None = None
        self.phrases: Phrasebook = script_phrasebook(script)
        self._label: str | None = None  # of the step being laid out: its own, else its repeat's
        self._outer_label: str | None = None  # of the repeats around it
        frames_per_second = Fraction(pace) * sample_rate
        self._fps_num = frames_per_second.numerator
        self._fps_den = frames_per_second.denominator

    # -- time ------------------------------------------------------------------

    def paced(self, seconds: Fraction) -> int:
        """Frames of a script duration: stretched by --pace, rounded once."""
        return self._paced_ratio(seconds.numerator, seconds.denominator)

    def _paced_ratio(self, num: int, den: int) -> int:
        """``paced(Fraction(num, den))`` in plain integers: the hot path of long sessions."""
        return _round_half_even(num * self._fps_num, den * self._fps_den)

    def fixed(self, seconds: Fraction) -> int:
        """Frames of a built-in gap or of real seconds (countdowns): never paced."""
        return round(seconds * self.rate)

    def speech(self, start: int, cue: str, text: str, side: str | None = None) -> _Cue:
        return _Cue(start, self.measure(text), cue, text, None, side)

    # -- walking -----------------------------------------------------------------

    def walk(self) -> Iterator[StepPlan]:
        # The title is a step of its own, so a live player can start speaking it
        # before the cautions are synthesized.
        title = self.speech(0, "title", self.script.title)
        t = title.end + self.fixed(TITLE_GAP)
        yield self._plan("0", "title", 0, t, None, [title])
        if self.cautions and self.script.cautions:
            start, cautions = t, []
            for caution in self.script.cautions:
                cue = self.speech(t, "caution", caution)
                cautions.append(cue)
                t = cue.end + self.fixed(CAUTION_GAP)
            yield self._plan("0", "cautions", start, t, None, cautions)
        for index, step in enumerate(self.script.steps, start=1):
            for plan in self._step(step, str(index), t):
                t = plan.span.end
                yield plan

    def _step(self, step: Step, path: str, t: int) -> Iterator[StepPlan]:
        self._label = step.label or self._outer_label
        if isinstance(step, Say):
            cue = self.speech(t, "say", step.text)
            yield self._plan(path, "say", t, cue.end + self.paced(step.pause), step.label, [cue])
        elif isinstance(step, Pause):
            yield self._plan(path, "pause", t, t + self.paced(step.duration), step.label, [])
        elif isinstance(step, Chime):
            tone = self.fixed(TONE_SECONDS)
            cues = [_Cue(t + i * tone, tone, "chime", None, step.sound) for i in range(step.count)]
            yield self._plan(path, "chime", t, t + step.count * tone, step.label, cues)
        elif isinstance(step, Section):
            self.section = step.title
            cues = [self.speech(t, "section", step.title)] if step.announce else []
            end = cues[0].end + self.fixed(SECTION_GAP) if cues else t
            yield self._plan(path, "section", t, end, step.label, cues, chapter=Chapter(step.title, t))
        elif isinstance(step, Breathe):
            yield self._breathe(step, path, t)
        elif isinstance(step, Press):
            yield self._press(step, path, t)
        elif isinstance(step, Repeat):
            yield from self._repeat(step, path, t)
        elif isinstance(step, BackgroundStep):
            plan = self._plan(path, "background", t, t, step.label, [])
            yield dataclasses.replace(plan, bed=BedChange(t, step.background))
        else:  # pragma: no cover - the model's Step union is closed
            raise TypeError(f"unknown step {step!r}")

    def _repeat(self, step: Repeat, path: str, t: int) -> Iterator[StepPlan]:
        outer = self._outer_label
        label = step.label or outer
        for round_number in range(1, step.times + 1):
            if step.announce:
                self._label = label
                cue = self.speech(t, "round", self.phrases.say("round", round=round_number, rounds=step.times))
                end = cue.end + self.fixed(ROUND_GAP)
                yield self._plan(path, "round", t, end, label, [cue])
                t = end
            self._outer_label = label
            try:
                for index, child in enumerate(step.steps, start=1):
                    for plan in self._step(child, f"{path}.{index}", t):
                        t = plan.span.end
                        yield plan
            finally:
                self._outer_label = outer

    # -- breathing ---------------------------------------------------------------

    def _breathing_cues(self, t0: int, pattern: BreathPattern, words: BreathWords,
                        until: int | None, cycles: int | None, count: bool) -> list[_Cue]:
        """Cues of cycles starting at ``t0``: cycle k's phases at ``t0 + k·C`` (+ offsets).

        Stops after ``cycles`` cycles, or before the first cue at or after ``until``.
        Every instant is computed from ``t0``, so nothing accumulates.
        """
        cycle = pattern.cycle_seconds
        phases: list[tuple[str, Fraction, str, Fraction]] = []  # name, offset in the cycle, word, paced length
        offset = Fraction(0)
        for name, seconds, word in (("inhale", pattern.inhale, words.inhale), ("hold", pattern.hold, words.hold),
                                    ("exhale", pattern.exhale, words.exhale), ("rest", pattern.rest, words.rest)):
            if seconds > 0:
                # The step's own words come first; the phrasebook speaks the rest.
                text = cue_text(word) if word is not None else self.phrases.say(name)
                phases.append((name, offset, text, seconds * self.pace))
            offset += seconds
        # Cycle k's phase at offset o starts at t0 + paced(k·C + o): computed in integers from t0.
        c_num, c_den = cycle.numerator, cycle.denominator
        cues: list[_Cue] = []
        k = 0
        while cycles is None or k < cycles:
            for index, (name, phase_offset, text, paced_length) in enumerate(phases):
                o_num, o_den = phase_offset.numerator, phase_offset.denominator
                start = t0 + self._paced_ratio(k * c_num * o_den + o_num * c_den, c_den * o_den)
                if until is not None and start >= until:
                    if index == 0:
                        return cues
                    break
                cues.append(self.speech(start, name, text))
                if count:
                    whole = 1
                    while whole < paced_length:
                        cues.append(self.speech(start + whole * self.rate, "count",
                                                self.phrases.say("count", n=whole + 1)))
                        whole += 1
            k += 1
        return cues

    def _breathe(self, step: Breathe, path: str, t: int) -> StepPlan:
        cues: list[_Cue] = []
        t0 = t
        if step.say:
            say = self.speech(t, "say", step.say)
            cues.append(say)
            t0 = say.end + self.fixed(BREATHE_SAY_GAP)
        cycles = step.cycle_count()
        body = self._breathing_cues(t0, step.pattern, step.words, None, cycles, step.count)
        end = t0 + self.paced(cycles * step.pattern.cycle_seconds)
        kept, dropped = self._resolve(body, path, step.position.line, step.position.column)
        return self._plan(path, "breathe", t, end, step.label, cues + kept, dropped)

    # -- pressure holds ------------------------------------------------------------

    def _press(self, step: Press, path: str, t: int) -> StepPlan:
        sides: list[str | None] = (["left", "right"] if step.side == "both"
                                   else [None] if step.side == "none" else [step.side])
        start = t
        cues: list[_Cue] = []
        dropped: list[DroppedCue] = []
        line, col = step.position.line, step.position.column
        for side in sides:
            parts = [self.phrases.say(f"{side}_side") if side else "", _sentence(step.point or ""),
                     _sentence(step.where or "")]
            announcement = " ".join(p for p in parts if p)
            if announcement:
                cue = self.speech(t, "announce", announcement, side)
                cues.append(cue)
                t = cue.end
            tp = t + self.paced(step.prepare)
            hold = self.paced(step.hold)
            release_at = tp + hold
            hold_cues = self._hold_cues(step, side, tp, release_at)
            kept, lost = self._resolve(hold_cues, path, line, col)
            cues.extend(kept)
            dropped.extend(lost)
            release = next(c for c in kept if c.cue == "release")
            t = release.end + self.paced(step.rest)
        for cue in cues if not step.pan else ():
            cue.pan = False
        return self._plan(path, "press", start, t, step.label, cues, dropped, point=step.point)

    def _hold_cues(self, step: Press, side: str | None, tp: int, release_at: int) -> list[_Cue]:
        words = step.words
        press_text = cue_text(words.press) if words.press is not None else self.phrases.say("press")
        release_text = cue_text(words.release) if words.release is not None else self.phrases.say("release")
        press = self.speech(tp, "press", press_text, side)
        cues = [press, self.speech(release_at, "release", release_text, side)]
        spoken_until = press.end
        if step.say:
            say = self.speech(press.end + self.fixed(PRESS_SAY_GAP), "say", step.say, side)
            cues.append(say)
            spoken_until = say.end
        if step.cue_every is not None:
            n = 1
            while step.hold - n * step.cue_every > 0:
                at = tp + self.paced(step.hold - n * step.cue_every)
                left = round(n * step.cue_every * self.pace)
                cues.append(self.speech(at, "remaining", self.phrases.time_left(left), side))
                n += 1
        if step.halfway:
            cues.append(self.speech(tp + self.paced(step.hold / 2), "halfway", self.phrases.say("halfway"), side))
        for n in range(step.countdown, 0, -1):
            at = release_at - n * self.rate
            if at > tp:
                cues.append(self.speech(at, "countdown", self.phrases.say("countdown", n=n), side))
        if step.breathe is not None:
            whole_seconds = -(-(spoken_until - tp) // self.rate)  # ceil: the smallest whole second
            breathing = self._breathing_cues(tp + whole_seconds * self.rate, step.breathe, BreathWords(),
                                             release_at, None, False)
            cues.extend(breathing)
        for cue in cues:
            cue.side = side
        return cues

    # -- collisions ------------------------------------------------------------------

    def _resolve(self, cues: list[_Cue], path: str, line: int, col: int) -> tuple[list[_Cue], list[DroppedCue]]:
        """Keep cues by priority; a cue whose sound would overlap a kept one is dropped."""
        # Kept cues never overlap, so sorted by start they are sorted by end too: the only kept
        # cue that can clash with a newcomer is the last one starting before the newcomer ends.
        kept: list[_Cue] = []
        kept_starts: list[int] = []
        dropped: list[DroppedCue] = []
        for cue in sorted(cues, key=lambda c: (-PRIORITY.get(c.cue, 0), c.start)):
            at = bisect.bisect_left(kept_starts, cue.end)
            clash = kept[at - 1] if at and kept[at - 1].end > cue.start else None
            if clash is None:
                index = bisect.bisect_left(kept_starts, cue.start)
                kept_starts.insert(index, cue.start)
                kept.insert(index, cue)
            else:
                dropped.append(DroppedCue(self._event(cue, path), self._event(clash, path), line, col))
        dropped.sort(key=lambda d: d.dropped.start)
        return kept, dropped

    # -- assembling ----------------------------------------------------------------------

    def _event(self, cue: _Cue, path: str) -> Event:
        return Event(start=cue.start, length=cue.length, kind="tone" if cue.sound else "speech",
                     cue=cue.cue, text=cue.text, sound=cue.sound, step=path, side=cue.side,
                     section=self.section, label=self._label, pan=cue.pan)

    def _plan(self, path: str, kind: str, start: int, end: int, label: str | None, cues: list[_Cue],
              dropped: list[DroppedCue] | None = None, *, point: str | None = None,
              chapter: Chapter | None = None) -> StepPlan:
        events = tuple(sorted((self._event(c, path) for c in cues), key=lambda e: e.start))
        span = StepSpan(step=path, kind=kind, start=start, end=end, label=label or self._outer_label,
                        section=self.section, point=point)
        return StepPlan(span, events, tuple(dropped or ()), chapter)
