"""The timeline: a script becomes events at exact integer sample frames.

Pure: no I/O, no engine.  Speech lengths come from a ``measure(text) -> frames``
callable (the synthesized, trimmed clip's length), so the plan always describes
the render.  Times are computed from each step's start, never by summing the
lengths of earlier sleeps, so fixed cues cannot drift.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from fractions import Fraction

from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import Diagnostic, ScriptError
from voiceguide.phrases import MAX_FILLED_CHARS, Phrasebook, PhraseTooLong, load_phrasebook, primary_language
from voiceguide.script.model import (
    BREATHING_CLEARANCE,
    PRESS_SAY_GAP,
    TONE_SECONDS,
    BackgroundStep,
    Breathe,
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
from voiceguide.script.pronounce import SpokenForms, spoken_forms
from voiceguide.timeline.cue_maker import CueMaker, Measure, cue_text
from voiceguide.timeline.layout import (
    BedChange,
    Chapter,
    DroppedCue,
    Event,
    StepPlan,
    StepSpan,
    Timeline,
    assemble_timeline,
    file_chapters,
)
from voiceguide.timeline.placement import Cue, Lost, breathe_key, place, press_key

__all__ = [  # with the layout's types, which the stages downstream import from here
    "BREATHE_SAY_GAP", "BREATHING_CLEARANCE", "CAUTION_GAP", "PRESS_SAY_GAP", "ROUND_GAP", "SAMPLE_RATE",
    "SECTION_GAP", "TITLE_GAP", "TONE_SECONDS", "Chapter", "DroppedCue", "Event", "Measure", "StepPlan", "StepSpan",
    "Timeline", "compile_timeline", "cue_text", "file_chapters", "iter_timeline", "script_phrasebook", "utterances"]

# Fixed gaps the spec leaves to us (see docs/reference.md, "Choices where the spec is silent").
# They are not scaled by --pace: pace stretches the script's own durations only.
TITLE_GAP = Fraction(1)
CAUTION_GAP = Fraction(3, 4)
SECTION_GAP = Fraction(1)
ROUND_GAP = Fraction(1, 2)
BREATHE_SAY_GAP = Fraction(1, 2)

PANNED_CUES = frozenset({"announce", "press", "remaining", "countdown", "release"})  # a side's (spec), the rest centred


def compile_timeline(
    script: Script,
    measure: Measure,
    *,
    pace: Fraction = Fraction(1),
    cautions: bool = True,
    sample_rate: int = SAMPLE_RATE,
) -> Timeline:
    """Lay out the whole session; ``measure(text)`` gives each utterance's length in frames."""
    plans = iter_timeline(script, measure, pace=pace, cautions=cautions, sample_rate=sample_rate)
    return assemble_timeline(plans, title=script.title, description=script.description, sample_rate=sample_rate,
                             language=primary_language(script.language))


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
    return _filled_checked(script, _Compiler(script, measure, pace, cautions, sample_rate).walk())


def _filled_checked(script: Script, plans: Iterator[StepPlan]) -> Iterator[StepPlan]:
    """``plans``, with a phrase that grew too long once filled in reported as a script error, not a traceback.

    ``check`` refuses the overrides that grow with the values phrases usually
    get; this catches any other (a number of a hundred digits, say).
    """
    try:
        yield from plans
    except PhraseTooLong as error:
        message = (f"phrases.{error.key} is {error.chars:,} characters once its placeholders are filled in; "
                   f"a phrase may be at most {MAX_FILLED_CHARS:,}")
        raise ScriptError([Diagnostic(script.position, "error", message)]) from None


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


class _Compiler(CueMaker):
    def __init__(self, script: Script, measure: Measure, pace: Fraction, cautions: bool, sample_rate: int) -> None:
        super().__init__(measure, pace, sample_rate, script_phrasebook(script))
        self.script = script
        self.cautions = cautions
        self.section: str | None = None
        self.forms: SpokenForms = spoken_forms(script.pronounce)
        self._label: str | None = None  # of the step being laid out: its own, else its repeat's
        self._outer_label: str | None = None  # of the repeats around it

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
            cues = [Cue(t + i * tone, tone, "chime", None, step.sound) for i in range(step.count)]
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
                cue = self.speech(t, "round", self._say("round", round=round_number, rounds=step.times))
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

    def _breathe(self, step: Breathe, path: str, t: int) -> StepPlan:
        cues: list[Cue] = []
        t0 = t
        if step.say:
            say = self.speech(t, "say", step.say)
            cues.append(say)
            t0 = say.end + self.fixed(BREATHE_SAY_GAP)
        cycles = step.cycle_count()
        body = self._breathing_cues(t0, step.pattern, step.words, None, cycles, step.count)
        end = t0 + self.paced(cycles * step.pattern.cycle_seconds)
        kept, dropped = self._place(body, path, step, end=end)
        return self._plan(path, "breathe", t, end, step.label, cues + kept, dropped)

    # -- pressure holds ------------------------------------------------------------

    def _press(self, step: Press, path: str, t: int) -> StepPlan:
        sides: list[str | None] = (["left", "right"] if step.side == "both"
                                   else [None] if step.side == "none" else [step.side])
        start = t
        cues: list[Cue] = []
        dropped: list[DroppedCue] = []
        for side in sides:
            parts = [self._say(f"{side}_side") if side else "", cue_text(step.point or ""),
                     cue_text(step.where or "")]
            announcement = " ".join(p for p in parts if p)
            if announcement:
                cue = self.speech(t, "announce", announcement, side)
                cues.append(cue)
                t = cue.end
            tp = t + self.paced(step.prepare)
            hold = self.paced(step.hold)
            release_at = tp + hold
            hold_cues = self._hold_cues(step, side, tp, release_at)
            kept, lost = self._place(hold_cues, path, step, bounds=(tp, release_at))
            cues.extend(kept)
            dropped.extend(lost)
            release = next(c for c in kept if c.cue == "release")
            t = release.end + self.paced(step.rest)
        for cue in cues:  # the spec's side cues; the say, halfway and breathing inside the hold are centred
            cue.pan = step.pan and cue.cue in PANNED_CUES
        return self._plan(path, "press", start, t, step.label, cues, dropped, point=step.point)

    def _hold_cues(self, step: Press, side: str | None, tp: int, release_at: int) -> list[Cue]:
        words = step.words
        press_text = cue_text(words.press) if words.press is not None else self._say("press")
        release_text = cue_text(words.release) if words.release is not None else self._say("release")
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
            cues.append(self.speech(tp + self.paced(step.hold / 2), "halfway", self._say("halfway"), side))
        breathe_until = release_at
        for n in range(step.countdown, 0, -1):
            at = release_at - n * self.rate
            if at > tp:
                cues.append(self.speech(at, "countdown", self._say("countdown", n=n), side))
                breathe_until = min(breathe_until, at)
        if step.breathe is not None:
            # Breathing is cued until a second before the countdown (its numbers count the last seconds),
            # else before the release: a phase due later would have no room to be named.
            whole_seconds = -(-(spoken_until - tp) // self.rate)  # ceil: the smallest whole second
            breathing = self._breathing_cues(tp + whole_seconds * self.rate, step.breathe, BreathWords(),
                                             breathe_until - self.fixed(BREATHING_CLEARANCE) + 1, None, False)
            cues.extend(breathing)
        for cue in cues:
            cue.side = side
        return cues

    # -- collisions ------------------------------------------------------------------

    def _place(self, cues: list[Cue], path: str, step: Breathe | Press, *, end: int | None = None,
               bounds: tuple[int, int] | None = None) -> tuple[list[Cue], list[DroppedCue]]:
        """Place a step's cues (``placement.place``); what fits nowhere is reported at the key that would make room."""
        key_for = press_key if isinstance(step, Press) else breathe_key
        kept, lost = place(cues, sample_rate=self.rate, key_for=key_for, end=end, bounds=bounds)
        line, column = step.position.line, step.position.column
        return kept, [self._dropped(item, path, line, column) for item in lost]

    def _dropped(self, lost: Lost, path: str, line: int, column: int) -> DroppedCue:
        blocker = self._event(lost.blocker, path) if lost.blocker is not None else None
        return DroppedCue(self._event(lost.cue, path), blocker, line, column, lost.key)

    # -- assembling ----------------------------------------------------------------------

    def _event(self, cue: Cue, path: str) -> Event:
        spoken = self.forms.spoken(cue.text) if cue.text is not None and self.forms else None
        return Event(start=cue.start, length=cue.length, kind="tone" if cue.sound else "speech",
                     cue=cue.cue, text=cue.text, sound=cue.sound, step=path, side=cue.side,
                     section=self.section, label=self._label, spoken=spoken if spoken != cue.text else None,
                     moved=cue.moved, pan=cue.pan)

    def _plan(self, path: str, kind: str, start: int, end: int, label: str | None, cues: list[Cue],
              dropped: list[DroppedCue] | None = None, *, point: str | None = None,
              chapter: Chapter | None = None) -> StepPlan:
        events = tuple(sorted((self._event(c, path) for c in cues), key=lambda e: e.start))
        span = StepSpan(step=path, kind=kind, start=start, end=end, label=label or self._outer_label,
                        section=self.section, point=point)
        return StepPlan(span, events, tuple(dropped or ()), chapter)

