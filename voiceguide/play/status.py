"""Where the listener is: the status for the screen and the spoken status, from a snapshot and a frame."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voiceguide.base import SAMPLE_RATE
from voiceguide.phrases import MAX_FILLED_CHARS, Phrasebook, PhraseTooLong, load_phrasebook
from voiceguide.play.program import Snapshot
from voiceguide.timeline.layout import Event, StepSpan
from voiceguide.timeline.places import sentence_start, step_name


@dataclass(frozen=True)
class Status:
    """Where playback is, for the screen and for the spoken status."""

    position: int
    length: int | None
    sample_rate: int
    paused: bool
    span: StepSpan | None
    step_number: str
    """The step as the script, ``plan`` and ``--from`` number it: ``"5"``, ``"5.2"`` (``"0"``: title, cautions)."""
    step_count: int | None
    """The script's top-level steps, once the whole session is laid out."""
    side: str | None
    speaking: str | None
    step_left: int
    hold_left: int | None
    volume_percent: int
    finished: bool
    stopped: bool = False
    """True once the listener has quit (``q``): the end of the session was not reached."""
    next_hold: int | None = None
    """Before a press on this side: the frames its hold will last (what is next), else None."""

    @property
    def session_left(self) -> int | None:
        """Frames left in the session, once its length is known."""
        return None if self.length is None else max(0, self.length - self.position)


def _book(phrases: Phrasebook | None) -> Phrasebook:
    return phrases if phrases is not None else load_phrasebook()


def spoken_duration(frames: int, sample_rate: int = SAMPLE_RATE, phrases: Phrasebook | None = None) -> str:
    """A duration as words of the phrasebook (English by default): "one minute five seconds" (rounded up)."""
    seconds = max(0, math.ceil(frames / sample_rate - 1e-9))
    return _book(phrases).duration(seconds)


def describe_place(status: Status, phrases: Phrasebook | None = None) -> str:
    """The step as a short phrase a listener understands (``places.step_name``), starting a sentence."""
    book = _book(phrases)
    span = status.span
    if span is None:
        return sentence_start(book.fill("place_end"))
    return sentence_start(step_name(span, status.side, book))


def bounded_answer(build: Callable[[Phrasebook], str], phrases: Phrasebook | None = None) -> str:
    """``build(book)``, an answer of at most ``MAX_FILLED_CHARS`` characters, whatever the overrides and names.

    A phrase that grows too long once filled in (a step's long name in an
    override that repeats ``{place}``) is said with the language's own phrases
    instead; what is still too long is cut at a word, with "…".
    """
    book = _book(phrases)
    try:
        text = build(book)
    except PhraseTooLong:
        try:
            text = build(load_phrasebook(book.language))
        except PhraseTooLong:
            text = build(load_phrasebook())
    if len(text) > MAX_FILLED_CHARS:
        text = text[:MAX_FILLED_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def resume_text(status: Status, phrases: Phrasebook | None = None) -> str:
    """What is said on resuming: "Resuming. <place>, N seconds left." (in the phrasebook's language).

    Before a press, what is next instead of the step's time: "Resuming. <place>. Next, press for N seconds."
    """
    return bounded_answer(lambda book: _resume_text(status, book), phrases)


def _resume_text(status: Status, book: Phrasebook) -> str:
    place = describe_place(status, book)
    if status.hold_left is None and status.next_hold is not None:
        return book.say("resuming_before_press", place=place,
                        time=spoken_duration(status.next_hold, status.sample_rate, book))
    left = status.hold_left if status.hold_left is not None else status.step_left
    return book.say("resuming", place=place, time=spoken_duration(left, status.sample_rate, book))


def hold_status_text(status: Status, phrases: Phrasebook | None = None) -> str:
    """The short status during a hold: its side and its time left ("Left side, forty seconds left.")."""
    return bounded_answer(lambda book: _hold_status_text(status, book), phrases)


def _hold_status_text(status: Status, book: Phrasebook) -> str:
    time = spoken_duration(status.hold_left or 0, status.sample_rate, book)
    if status.side in ("left", "right"):
        return book.say("status_hold_side", side=book.fill(f"{status.side}_side"), time=time)
    return book.say("status_hold", time=time)


def status_text(status: Status, phrases: Phrasebook | None = None) -> str:
    """The spoken status: step, point, side, time left in the hold or step, and in the session (bounded)."""
    return bounded_answer(lambda book: _status_text(status, book), phrases)


def _status_text(status: Status, book: Phrasebook) -> str:
    rate = status.sample_rate
    parts = [book.say("paused")] if status.paused else []
    parts.append(describe_place(status, book) + ".")
    if status.span is not None and status.span.point and status.span.label:
        parts.append(book.say("status_point", point=status.span.point))
    if status.hold_left is not None:
        parts.append(book.say("status_hold_left", time=spoken_duration(status.hold_left, rate, book)))
    parts.append(book.say("status_step_left", time=spoken_duration(status.step_left, rate, book)))
    left = status.session_left
    if left is not None:
        parts.append(book.say("status_session_left", time=spoken_duration(left, rate, book)))
    return " ".join(parts)


def step_spans(snapshot: Snapshot) -> list[StepSpan]:
    """The steps a listener can be in (and skip between): those that last at all."""
    return [span for span in snapshot.spans if span.end > span.start]


def span_index(spans: Sequence[StepSpan], frame: int) -> int | None:
    """The index of the span holding session ``frame``, or None between or after them."""
    index = bisect_right([span.start for span in spans], frame) - 1
    if index < 0 or frame >= spans[index].end:
        return None
    return index


@dataclass(frozen=True)
class Stop:
    """A place ``n`` and ``p`` move between: a step, or one side of a press on both sides."""

    start: int
    end: int
    side: str | None
    """``left`` or ``right`` for the sides of a ``side: both`` press, else None."""


def nav_stops(snapshot: Snapshot) -> list[Stop]:
    """The steps a listener can skip between, a press on both sides counting as two (left, right)."""
    stops = []
    for span in step_spans(snapshot):
        right = _right_side_start(snapshot, span) if span.kind == "press" else None
        if right is None:
            stops.append(Stop(span.start, span.end, None))
        else:
            stops += [Stop(span.start, right, "left"), Stop(right, span.end, "right")]
    return stops


def _right_side_start(snapshot: Snapshot, span: StepSpan) -> int | None:
    """Where the right side of a press on both sides begins (its announcement), or None."""
    inside = snapshot.events[bisect_left(snapshot.starts, span.start):bisect_left(snapshot.starts, span.end)]
    if not any(event.side == "left" for event in inside):
        return None
    return next((event.start for event in inside if event.side == "right"), None)


def stop_index(stops: Sequence[Stop], frame: int) -> int | None:
    """The index of the stop holding session ``frame``, or None between or after them."""
    index = bisect_right([stop.start for stop in stops], frame) - 1
    if index < 0 or frame >= stops[index].end:
        return None
    return index


def speech_start(snapshot: Snapshot, frame: int) -> int | None:
    """The start of the speech sounding at ``frame`` that began before it (to say it again whole), if any."""
    stop = bisect_left(snapshot.starts, frame)
    start: int | None = None
    for event in snapshot.events[max(0, stop - 64):stop]:
        if event.kind == "speech" and event.start < frame < event.end:
            start = event.start if start is None else min(start, event.start)
    return start


def speech_at(snapshot: Snapshot, frame: int) -> Event | None:
    """The speech sounding at ``frame`` that began before it (the sentence a key cuts), if any."""
    stop = bisect_left(snapshot.starts, frame)
    return next((event for event in reversed(snapshot.events[max(0, stop - 64):stop])
                 if event.kind == "speech" and event.start < frame < event.end), None)


def speech_end(snapshot: Snapshot, frame: int) -> int | None:
    """The end of the speech sounding at ``frame`` (started before it), if any."""
    stop = bisect_left(snapshot.starts, frame)
    end: int | None = None
    # Only events that started shortly before can still be sounding: speech is seconds long.
    for event in snapshot.events[max(0, stop - 64):stop]:
        if event.kind == "speech" and event.start < frame < event.end:
            end = event.end if end is None else max(end, event.end)
    return end


def sound_at(snapshot: Snapshot, frame: int) -> bool:
    """True when a sound of the session (speech or tone) is sounding at ``frame``."""
    stop = bisect_right(snapshot.starts, frame)
    return any(event.end > frame for event in snapshot.events[max(0, stop - 64):stop])


def next_sound(snapshot: Snapshot, frame: int) -> int | None:
    """The start of the first sound beginning at or after ``frame``, if one is known."""
    index = bisect_left(snapshot.starts, frame)
    return snapshot.events[index].start if index < len(snapshot.events) else None


@dataclass(frozen=True)
class PlayState:
    """What the player adds to a snapshot and a frame to make a ``Status``."""

    paused: bool
    volume_percent: int
    finished: bool
    sample_rate: int = SAMPLE_RATE
    stopped: bool = False


def top_level_steps(spans: Sequence[StepSpan]) -> int:
    """How many top-level steps the script has: the highest first part of a span's step path."""
    return max((int(span.step.split(".", 1)[0]) for span in spans), default=0)


def status_at(snapshot: Snapshot, frame: int, state: PlayState) -> Status:
    """The status at session ``frame``: step, side, sentence, hold and step time left."""
    spans = step_spans(snapshot)
    index = span_index(spans, frame)
    span = spans[index] if index is not None else None
    side: str | None = None
    speaking: str | None = None
    hold_left_frames: int | None = None
    next_hold: int | None = None
    if span is not None:
        inside = snapshot.events[bisect_left(snapshot.starts, span.start):bisect_left(snapshot.starts, span.end)]
        before = [e for e in inside if e.start <= frame]
        side = next((e.side for e in reversed(before) if e.side), None)
        if side is None:
            side = next((e.side for e in inside if e.side), None)
        presses = [e for e in before if e.cue == "press"]
        if presses:
            release = next((e for e in inside if e.cue == "release" and e.start > presses[-1].start), None)
            if release is not None and release.start > frame:
                hold_left_frames = release.start - frame
        if hold_left_frames is None:
            next_hold = _next_hold(inside, frame, side)
        speaking = next((e.text for e in reversed(before) if e.kind == "speech" and e.start <= frame < e.end), None)
    return Status(
        position=frame,
        length=snapshot.length,
        sample_rate=state.sample_rate,
        paused=state.paused,
        span=span,
        step_number=span.step if span is not None else "",
        step_count=top_level_steps(spans) if snapshot.complete else None,
        side=side,
        speaking=speaking,
        step_left=max(0, span.end - frame) if span is not None else 0,
        hold_left=hold_left_frames,
        volume_percent=state.volume_percent,
        finished=state.finished,
        stopped=state.stopped,
        next_hold=next_hold,
    )


def _next_hold(inside: Sequence[Event], frame: int, side: str | None) -> int | None:
    """The length of the next hold on ``side`` among a step's events after ``frame``, if one comes."""
    press = next((e for e in inside if e.cue == "press" and e.start > frame and e.side == side), None)
    if press is None:
        return None
    release = next((e for e in inside if e.cue == "release" and e.start > press.start), None)
    return None if release is None else release.start - press.start
