"""The live player: owns the playing position and turns key commands into exact audio edits.

Pure logic, no audio library: it writes mixer blocks into an ``Output`` (the
sounddevice stream in ``live.py``, or a fake in tests) and reads back how many
frames the output has consumed.  That count is the only clock: the session
position is computed from it through a log of what each written frame was
(session audio from frame S, spoken feedback, pause silence), never from the
wall clock.

Every key edits the future only: the output's unplayed queue is discarded, the
write cursor is set back to the exact session frame the listener has reached,
and new blocks are written from there.  So a pause of N seconds delays every
later cue by exactly N seconds plus the spoken re-announcement, and no frame of
the session is lost or played twice.

Spoken feedback: space pauses at once ("Paused.") and on resume says where you
are ("Resuming. Left side, GB30, 12 seconds left.") before continuing from the
paused frame; ``n`` says "Next step." and jumps to the next step's start; ``p``
says "Restarting this step." (pressed again within two seconds: "Previous
step."); ``s`` speaks the status and ``+``/``-`` the new volume once the
sentence now sounding has finished, the session waiting meanwhile (a hold keeps
its remaining time); ``q`` says "Stopping." and ends.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.timeline.compiler import Chapter, Event, StepPlan, StepSpan, Timeline

FEEDBACK_GAP_SECONDS = 0.3
"""Silence after every spoken feedback, before the session goes on."""

RESTART_AGAIN_SECONDS = 2.0
"""A second ``p`` within this time goes to the previous step instead of restarting this one."""

VOLUME_STEP_PERCENT = 10
VOLUME_MIN_PERCENT = 10
"""Volume never goes below this: the feedback saying it must stay audible."""


class Command(enum.Enum):
    """What a key asks the player to do."""

    PAUSE = "pause"  # pause, or resume when paused
    NEXT = "next"
    RESTART = "restart"  # again within RESTART_AGAIN_SECONDS: previous step
    STATUS = "status"
    VOLUME_UP = "volume up"
    VOLUME_DOWN = "volume down"
    HELP = "help"
    QUIT = "quit"


KEY_COMMANDS: dict[str, Command] = {
    "space": Command.PAUSE,
    "n": Command.NEXT, "N": Command.NEXT, "right": Command.NEXT,
    "p": Command.RESTART, "P": Command.RESTART, "left": Command.RESTART,
    "s": Command.STATUS, "S": Command.STATUS,
    "+": Command.VOLUME_UP, "=": Command.VOLUME_UP, "up": Command.VOLUME_UP,
    "-": Command.VOLUME_DOWN, "_": Command.VOLUME_DOWN, "down": Command.VOLUME_DOWN,
    "q": Command.QUIT, "Q": Command.QUIT, "escape": Command.QUIT,
    "h": Command.HELP, "H": Command.HELP, "?": Command.HELP,
}
"""Key names as ``keys.KeyReader`` reports them, mapped to commands."""

KEY_HELP = (
    ("space", "pause / resume (resuming says where you are)"),
    ("n, right arrow", "next step"),
    ("p, left arrow", "restart this step (press again for the previous one)"),
    ("s", "say the status: step, point, side, time left"),
    ("+ / -", "volume up / down"),
    ("h, ?", "say which keys do what (so does any other key)"),
    ("q, Escape", "quit"),
)
"""The keys as ``--help`` and the README list them."""


HELP_TEXT = ("Keys: space pauses and resumes. N, next step. P, restart the step. S, status. "
             "Plus and minus, volume. Q, quit.")
"""Spoken for ``h``, ``?`` and any key that means nothing."""

FIXED_FEEDBACK = (
    "Paused.", "Next step.", "Restarting this step.", "Previous step.", "Stopping.", "This is the last step.",
    HELP_TEXT,
    *(f"Volume {percent} percent." for percent in range(VOLUME_MIN_PERCENT, 101, VOLUME_STEP_PERCENT)),
)
"""Feedback sentences that do not depend on the position: worth synthesizing ahead."""


class Output(Protocol):
    """Where blocks go: a stream that plays written blocks gaplessly, in order.

    ``position`` is the number of written frames consumed so far (the clock);
    ``discard`` drops the written but unconsumed frames and returns their count.
    """

    @property
    def block_frames(self) -> int:
        """Frames per block ``write`` expects."""
        ...

    @property
    def position(self) -> int:
        """Written frames consumed so far."""
        ...

    def free_frames(self) -> int:
        """How many frames may be written now."""
        ...

    def write(self, block: Audio) -> None:
        """Queue one block."""
        ...

    def discard(self) -> int:
        """Drop every unconsumed frame; returns how many."""
        ...


class Renderer(Protocol):
    """The session's samples (``mixer.Mixer``)."""

    volume: float

    def render(self, start: int, frames: int) -> Audio:
        """``frames`` samples from session frame ``start``."""
        ...


MakeRenderer = Callable[[Sequence[Event], int], Renderer]
"""Builds a renderer for (events, length): ``lambda e, n: Mixer(e, clips, length=n)``."""

Speak = Callable[[str], Audio]
"""Synthesizes feedback text: a trimmed clip at the session's sample rate (``SpeechBank.clip``)."""


# --------------------------------------------------------------------------
# the program: a timeline that may still be compiling


@dataclass(frozen=True)
class Snapshot:
    """What is known of the session so far: exact up to ``ready_until``; ``complete`` at the end."""

    title: str
    events: tuple[Event, ...]
    spans: tuple[StepSpan, ...]
    chapters: tuple[Chapter, ...]
    ready_until: int
    complete: bool
    version: int
    starts: tuple[int, ...] = ()
    """``events[i].start`` for every i, for bisecting."""

    @property
    def length(self) -> int | None:
        """Frames in the whole session, once known."""
        return self.ready_until if self.complete else None


class Program:
    """A session's timeline, compiled step by step on a background thread ahead of the playhead.

    ``iter_timeline`` measures (synthesizes) speech only for the step it lays
    out, and steps never move earlier ones, so every frame before the end of the
    last compiled step is final: playback can start after the first step.
    ``snapshot`` is called from the player's thread; a compile failure
    (``EngineError``) is raised there.
    """

    def __init__(self, title: str, plans: Iterable[StepPlan], *, background: bool = True) -> None:
        self._title = title
        self._plans = iter(plans)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._events: list[Event] = []
        self._spans: list[StepSpan] = []
        self._chapters: list[Chapter] = []
        self._ready_until = 0
        self._end = 0
        self._complete = False
        self._error: BaseException | None = None
        self._version = 0
        self._snapshot: Snapshot | None = None
        self._stop = False
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._walk, name="voiceguide-compile", daemon=True)
            self._thread.start()
        else:
            self._walk()

    @classmethod
    def from_timeline(cls, timeline: Timeline) -> Program:
        """A program that is complete from the start."""
        program = cls(timeline.title, (), background=False)
        program._events = list(timeline.events)
        program._spans = list(timeline.spans)
        program._chapters = list(timeline.chapters)
        program._ready_until = timeline.length
        program._version += 1
        return program

    def _walk(self) -> None:
        try:
            for plan in self._plans:
                with self._lock:
                    if self._stop:
                        return
                    self._events.extend(plan.events)
                    self._spans.append(plan.span)
                    if plan.chapter is not None:
                        self._chapters.append(plan.chapter)
                    # Frames are final only up to the step's end: the next step starts there and
                    # may sound while this step's last word still rings (a fast --pace).
                    self._ready_until = max(self._ready_until, plan.span.end)
                    self._end = max(self._end, plan.span.end, *(e.end for e in plan.events))
                    self._version += 1
                    self._changed.notify_all()
        except BaseException as error:  # handed to the player's thread, which reports it
            with self._lock:
                self._error = error
                self._changed.notify_all()
            return
        with self._lock:
            self._complete = True
            self._ready_until = max(self._ready_until, self._end)
            self._version += 1
            self._changed.notify_all()

    @property
    def version(self) -> int:
        """Increases whenever a step has been compiled (cheap: no copy)."""
        with self._lock:
            return self._version

    @property
    def complete(self) -> bool:
        """True once every step has been compiled."""
        with self._lock:
            return self._complete

    def snapshot(self) -> Snapshot:
        """The session as compiled so far (a copy when something changed; cheap otherwise)."""
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._snapshot is None or self._snapshot.version != self._version:
                self._events.sort(key=lambda e: e.start)  # stable, and already sorted: linear
                self._snapshot = Snapshot(
                    title=self._title, events=tuple(self._events), spans=tuple(self._spans),
                    chapters=tuple(self._chapters), ready_until=self._ready_until,
                    complete=self._complete, version=self._version,
                    starts=tuple(e.start for e in self._events),
                )
            return self._snapshot

    def wait(self, predicate: Callable[[Snapshot], bool], timeout: float | None = None) -> Snapshot:
        """Block until ``predicate(snapshot)`` holds or compiling ends; returns the snapshot."""
        with self._lock:
            self._changed.wait_for(
                lambda: self._error is not None or self._complete or predicate(self._unlocked_snapshot()),
                timeout,
            )
        return self.snapshot()

    def _unlocked_snapshot(self) -> Snapshot:
        return Snapshot(self._title, (), tuple(self._spans), tuple(self._chapters),
                        self._ready_until, self._complete, self._version)

    def close(self) -> None:
        """Stop compiling after the step in progress."""
        with self._lock:
            self._stop = True


# --------------------------------------------------------------------------
# describing where the listener is (shared by speech and the screen)


@dataclass(frozen=True)
class Status:
    """Where playback is, for the screen and for the spoken status."""

    position: int
    length: int | None
    sample_rate: int
    paused: bool
    span: StepSpan | None
    step_number: int
    step_count: int | None
    side: str | None
    speaking: str | None
    step_left: int
    hold_left: int | None
    volume_percent: int
    finished: bool

    @property
    def session_left(self) -> int | None:
        """Frames left in the session, once its length is known."""
        return None if self.length is None else max(0, self.length - self.position)


_KIND_WORDS = {
    "title": "Introduction", "cautions": "Safety cautions", "say": "Talk", "pause": "Pause", "chime": "Chime",
    "section": "Section", "breathe": "Breathing", "press": "Pressure point", "round": "Round",
}


def spoken_duration(frames: int, sample_rate: int = SAMPLE_RATE) -> str:
    """A duration as words for the speech engine: "1 minute 5 seconds" (rounded up to a second)."""
    seconds = max(0, math.ceil(frames / sample_rate - 1e-9))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if minutes:
        parts.append(f"{minutes} minute" + ("s" if minutes != 1 else ""))
    if seconds or not parts:
        parts.append(f"{seconds} second" + ("s" if seconds != 1 else ""))
    return " ".join(parts)


def describe_place(status: Status) -> str:
    """The step as a short phrase: its label, else its point, else its kind; with the side."""
    span = status.span
    if span is None:
        return "The end"
    name = span.label or span.point or _KIND_WORDS.get(span.kind, span.kind.capitalize())
    if status.side in ("left", "right"):
        return f"{name}, {status.side} side"
    return name


def resume_text(status: Status) -> str:
    """What is said on resuming: "Resuming. <place>, N seconds left." """
    left = status.hold_left if status.hold_left is not None else status.step_left
    return f"Resuming. {describe_place(status)}, {spoken_duration(left, status.sample_rate)} left."


def status_text(status: Status) -> str:
    """The spoken status: step, point, side, time left in the hold or step, and in the session."""
    parts = [("Paused. " if status.paused else "") + describe_place(status) + "."]
    if status.span is not None and status.span.point and status.span.label:
        parts.append(f"Point {status.span.point}.")
    if status.hold_left is not None:
        parts.append(f"{spoken_duration(status.hold_left, status.sample_rate)} left in the hold.")
    parts.append(f"{spoken_duration(status.step_left, status.sample_rate)} left in this step.")
    left = status.session_left
    if left is not None:
        parts.append(f"{spoken_duration(left, status.sample_rate)} left in the session.")
    return " ".join(parts)


# --------------------------------------------------------------------------
# the player


SegmentKind = Literal["session", "feedback", "pause", "wait", "end"]


@dataclass
class _Segment:
    """A run of written frames: ``[out_start, out_end)`` of output, from session frame ``session_at``."""

    out_start: int
    out_end: int
    session_at: int
    kind: SegmentKind
    text: str | None = None

    def session_frame(self, out: int) -> int:
        """The session frame at output frame ``out`` (frozen outside session audio)."""
        if self.kind == "session":
            return self.session_at + (min(out, self.out_end) - self.out_start)
        return self.session_at


@dataclass(frozen=True)
class Feedback:
    """Spoken feedback that has started playing (for the screen)."""

    text: str


Notice = Event | Feedback
"""What ``Player.poll`` reports: a session cue or a feedback sentence that became audible."""


class Player:
    """Plays a ``Program`` into an ``Output`` and applies key commands; single-threaded.

    The caller loops: ``handle`` each key's command, ``pump`` to keep the output
    fed, ``poll`` for what started sounding, until ``done``.
    """

    def __init__(self, program: Program, make_renderer: MakeRenderer, output: Output, speak: Speak, *,
                 start_frame: int = 0, volume: float = 1.0, sample_rate: int = SAMPLE_RATE) -> None:
        self._program = program
        self._make_renderer = make_renderer
        self._output = output
        self._speak = speak
        self._rate = sample_rate
        self._block = output.block_frames
        self._snapshot = program.snapshot()
        self._snapshot_out = output.position
        self._renderer: Renderer | None = None
        self._renderer_version = -1
        self._renderer_ready = 0
        self._renderer_complete = False
        self._volume_percent = max(0, min(100, round(volume * 100)))
        self._cursor = start_frame
        self._written = output.position
        self._segments: list[_Segment] = []
        self._polled = output.position
        self._paused = False
        self._quitting = False
        self._ended = False
        self._feedback: list[tuple[Audio, str]] = []
        self._feedback_offset = 0
        self._feedback_at: int | None = None
        self._last_restart: tuple[int, int] | None = None
        self.wait_frames = 0
        """Frames of silence written because speech for the next step was not ready yet."""
        self.heard_frames = 0
        """Frames of session audio played so far, as ``poll`` has seen them (for the session log)."""

    # -- state -----------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self._paused

    @property
    def volume_percent(self) -> int:
        """The current volume, 0-100."""
        return self._volume_percent

    @property
    def done(self) -> bool:
        """True once everything to be played has been written and consumed."""
        return self._ended and self._output.position >= self._last_sound_out()

    def _last_sound_out(self) -> int:
        for segment in reversed(self._segments):
            if segment.kind != "end":
                return segment.out_end
        return self._written

    def position(self) -> int:
        """The session frame the output has reached."""
        return self._session_frame_at(self._output.position)

    def _session_frame_at(self, out: int) -> int:
        if not self._segments or out >= self._written:
            return self._cursor
        index = bisect_right([s.out_start for s in self._segments], out) - 1
        if index < 0:
            return self._segments[0].session_at
        return self._segments[index].session_frame(out)

    def _segment_at(self, out: int) -> _Segment | None:
        index = bisect_right([s.out_start for s in self._segments], out) - 1
        if index < 0 or out >= self._segments[index].out_end:
            return None
        return self._segments[index]

    # -- commands ----------------------------------------------------------------

    def handle(self, command: Command) -> None:
        """Apply a command now: the unplayed queue is discarded and rewritten."""
        if self._quitting:
            return
        self._refresh(latest=True)
        # Synthesize the feedback before discarding the queue: the queued audio keeps the
        # device fed meanwhile.  Discarding first would starve it (an underrun: silence the
        # position cannot see, shifting every later cue).
        text, apply = self._decide(command, self.position())
        clip = np.asarray(self._speak(text), dtype=np.float32)
        self._rewind()
        deferred = apply()
        gap = np.zeros(round(FEEDBACK_GAP_SECONDS * self._rate), dtype=np.float32)
        audio = np.concatenate([clip * np.float32(self._volume_percent / 100), gap])
        self._feedback = [(audio, text)]
        self._feedback_offset = 0
        self._feedback_at = self._speech_end(self._cursor) if deferred and not self._paused else None
        self.pump()

    def _decide(self, command: Command, position: int) -> tuple[str, Callable[[], bool]]:
        """The feedback to speak, and the state change to make once the queue is rewound.

        The change runs after ``_rewind`` (so it sees the exact cursor) and returns
        True when its feedback should wait for the sentence now sounding.
        """
        if command is Command.PAUSE:
            if self._paused:
                def resume() -> bool:
                    self._paused = False
                    return False
                return resume_text(self.status_at(position)), resume

            def pause() -> bool:
                self._paused = True
                return False
            return "Paused.", pause
        if command is Command.NEXT:
            return self._decide_next(position)
        if command is Command.RESTART:
            return self._decide_restart(position)
        if command is Command.STATUS:
            return status_text(self.status_at(position)), lambda: True
        if command is Command.HELP:
            return HELP_TEXT, lambda: True
        if command in (Command.VOLUME_UP, Command.VOLUME_DOWN):
            step = VOLUME_STEP_PERCENT if command is Command.VOLUME_UP else -VOLUME_STEP_PERCENT
            # The floor stops '-' going lower; it never makes a quieter --volume louder.
            floor = min(VOLUME_MIN_PERCENT, self._volume_percent)
            percent = max(floor, min(100, self._volume_percent + step))

            def set_volume() -> bool:
                self._volume_percent = percent
                if self._renderer is not None:
                    self._renderer.volume = percent / 100
                return True
            return f"Volume {percent} percent.", set_volume

        def quit_() -> bool:
            self._quitting = True
            self._paused = False
            return False
        return "Stopping.", quit_

    def _decide_next(self, position: int) -> tuple[str, Callable[[], bool]]:
        spans = self._nav_spans()
        index = self._span_index(spans, position)
        target = spans[index].end if index is not None else position
        if self._snapshot.complete and target >= self._snapshot.ready_until:
            return "This is the last step.", lambda: True

        def jump() -> bool:
            self._cursor = target
            self._paused = False
            return False
        return "Next step.", jump

    def _decide_restart(self, position: int) -> tuple[str, Callable[[], bool]]:
        spans = self._nav_spans()
        index = self._span_index(spans, position)
        if index is None:
            index = max(0, len(spans) - 1)
        now = self._output.position
        last = self._last_restart
        # "Again" only while still in the step the last press went to (not after a skip),
        # and only when there is a step before it.
        again = (last is not None and now - last[0] < RESTART_AGAIN_SECONDS * self._rate
                 and last[1] == index and index > 0)
        target = max(0, last[1] - 1) if again and last is not None else index

        def restart() -> bool:
            self._last_restart = (now, target)
            self._paused = False
            if spans:
                self._cursor = spans[target].start
            return False
        return ("Previous step." if again else "Restarting this step."), restart

    def _speech_end(self, position: int) -> int | None:
        """The end of the speech sounding at ``position`` (started before it), if any."""
        events = self._snapshot.events
        stop = bisect_left(self._snapshot.starts, position)
        end: int | None = None
        # Only events that started shortly before can still be sounding: speech is seconds long.
        for event in events[max(0, stop - 64):stop]:
            if event.kind == "speech" and event.start < position < event.end:
                end = event.end if end is None else max(end, event.end)
        return end

    def _rewind(self) -> None:
        """Drop the unplayed queue; the cursor goes back to the first unplayed session frame."""
        dropped = self._output.discard()
        self._written -= dropped
        while self._segments and self._segments[-1].out_start >= self._written:
            self._cursor = self._segments.pop().session_at
        if self._segments and self._segments[-1].out_end > self._written:
            last = self._segments[-1]
            last.out_end = self._written
            self._cursor = last.session_frame(last.out_end)
        self._feedback = []
        self._feedback_offset = 0
        self._feedback_at = None
        self._ended = False

    # -- writing -----------------------------------------------------------------

    def pump(self) -> None:
        """Write blocks until the output's queue is full (or everything is written)."""
        self._refresh()
        while not self._ended and self._output.free_frames() >= self._block:
            self._output.write(self._next_block())

    def _refresh(self, *, force: bool = False, latest: bool = False) -> None:
        """Take in newly compiled steps: the snapshot for reading, the renderer for writing.

        While steps are still compiling, a new snapshot (a copy of every event so
        far) is taken only when the cursor nears the end of what is known, or once
        a second; rebuilding the renderer sorts the events again, so it happens
        only near that end, or once compiling is complete.
        """
        near = self._cursor + 2 * self._rate >= self._renderer_ready
        if latest or force or self._renderer is None or (
                self._program.version != self._snapshot.version
                and (near or self._program.complete
                     or self._output.position - self._snapshot_out >= self._rate)):
            self._snapshot = self._program.snapshot()
            self._snapshot_out = self._output.position
        snapshot = self._snapshot
        if self._renderer is not None and self._renderer_version == snapshot.version:
            return
        if (self._renderer is None or force or near
                or (snapshot.complete and not self._renderer_complete)):
            self._renderer = self._make_renderer(snapshot.events, snapshot.ready_until)
            self._renderer.volume = self._volume_percent / 100
            self._renderer_version = snapshot.version
            self._renderer_ready = snapshot.ready_until
            self._renderer_complete = snapshot.complete

    def _next_block(self) -> Audio:
        block = np.zeros(self._block, dtype=np.float32)
        filled = 0
        while filled < self._block:
            need = self._block - filled
            if self._feedback and (self._feedback_at is None or self._cursor >= self._feedback_at):
                audio, text = self._feedback[0]
                take = min(need, len(audio) - self._feedback_offset)
                block[filled:filled + take] = audio[self._feedback_offset:self._feedback_offset + take]
                self._log("feedback", take, text if self._feedback_offset == 0 else None)
                self._feedback_offset += take
                filled += take
                if self._feedback_offset >= len(audio):
                    self._feedback.pop(0)
                    self._feedback_offset = 0
                    self._feedback_at = None
                continue
            if self._quitting:
                self._log("end", need)
                self._ended = True
                break
            if self._paused:
                self._log("pause", need)
                break
            assert self._renderer is not None
            limit = self._renderer_ready
            if self._feedback_at is not None:
                limit = min(limit, self._feedback_at)
            if self._cursor < limit:
                take = min(need, limit - self._cursor)
                block[filled:filled + take] = self._renderer.render(self._cursor, take)
                self._log("session", take)
                self._cursor += take
                filled += take
                continue
            if self._renderer_complete and self._cursor >= self._renderer_ready:
                self._log("end", need)
                self._ended = True
                break
            self._refresh(force=True)
            if self._renderer_ready > self._cursor or self._renderer_complete:
                continue
            # The next step's speech is still being synthesized: wait in silence.
            self._log("wait", need)
            self.wait_frames += need
            break
        return block

    def _log(self, kind: SegmentKind, frames: int, text: str | None = None) -> None:
        last = self._segments[-1] if self._segments else None
        if (last is not None and text is None and last.kind == kind and last.out_end == self._written
                and (kind != "session" or last.session_frame(last.out_end) == self._cursor)):
            last.out_end += frames
        else:
            self._segments.append(_Segment(self._written, self._written + frames, self._cursor, kind, text))
        self._written += frames

    # -- reading back --------------------------------------------------------------

    def poll(self) -> list[Notice]:
        """Cues and feedback that started sounding since the last call, in order."""
        now = self._output.position
        notices: list[Notice] = []
        if now <= self._polled:
            return notices
        events = self._snapshot.events
        starts = self._snapshot.starts
        for segment in self._segments:
            lo, hi = max(segment.out_start, self._polled), min(segment.out_end, now)
            if hi <= lo:
                continue
            if segment.kind == "session":
                self.heard_frames += hi - lo
                first = segment.session_frame(lo)
                last = segment.session_frame(hi)
                notices.extend(events[bisect_left(starts, first):bisect_left(starts, last)])
            elif segment.kind == "feedback" and segment.text is not None and segment.out_start >= self._polled:
                notices.append(Feedback(segment.text))
        self._polled = now
        # Forget what has been played, keeping the segment that holds the position.
        keep = bisect_right([s.out_end for s in self._segments], now)
        del self._segments[:max(0, keep - 1)]
        return notices

    def status(self) -> Status:
        """Where the listener is now."""
        self._refresh()
        now = self._output.position
        segment = self._segment_at(now)
        status = self.status_at(self._session_frame_at(now))
        if segment is not None and segment.kind == "feedback":
            text = next((s.text for s in reversed(self._segments)
                         if s.kind == "feedback" and s.out_start <= now and s.text), None)
            status = _replace_speaking(status, text)
        elif segment is None or segment.kind != "session":
            status = _replace_speaking(status, None)  # silence: paused, waiting, or after the end
        return status

    def status_at(self, position: int) -> Status:
        """The status at session frame ``position``."""
        snapshot = self._snapshot
        spans = self._nav_spans()
        index = self._span_index(spans, position)
        span = spans[index] if index is not None else None
        events = snapshot.events
        starts = snapshot.starts
        side: str | None = None
        speaking: str | None = None
        hold_left: int | None = None
        if span is not None:
            inside = events[bisect_left(starts, span.start):bisect_left(starts, span.end)]
            before = [e for e in inside if e.start <= position]
            side = next((e.side for e in reversed(before) if e.side), None)
            if side is None:
                side = next((e.side for e in inside if e.side), None)
            presses = [e for e in before if e.cue == "press"]
            if presses:
                release = next((e for e in inside if e.cue == "release" and e.start > presses[-1].start), None)
                if release is not None and release.start > position:
                    hold_left = release.start - position
            speaking = next((e.text for e in reversed(before)
                             if e.kind == "speech" and e.start <= position < e.end), None)
        return Status(
            position=position,
            length=snapshot.length,
            sample_rate=self._rate,
            paused=self._paused,
            span=span,
            step_number=(index + 1) if index is not None else len(spans),
            step_count=len(spans) if snapshot.complete else None,
            side=side,
            speaking=speaking,
            step_left=max(0, span.end - position) if span is not None else 0,
            hold_left=hold_left,
            volume_percent=self._volume_percent,
            finished=self._ended and self._output.position >= self._last_sound_out(),
        )

    def _nav_spans(self) -> list[StepSpan]:
        return [s for s in self._snapshot.spans if s.end > s.start]

    @staticmethod
    def _span_index(spans: Sequence[StepSpan], position: int) -> int | None:
        index = bisect_right([s.start for s in spans], position) - 1
        if index < 0 or position >= spans[index].end:
            return None
        return index


def _replace_speaking(status: Status, text: str | None) -> Status:
    return dataclasses.replace(status, speaking=text)


# --------------------------------------------------------------------------
# starting mid-session


@dataclass(frozen=True)
class StartPoint:
    """Where ``--from``/``--from-section`` starts: the ``index``-th span or chapter of the layout.

    An index, not a frame, so that it can be found on a rough layout (dummy
    speech lengths) and then applied to the real one, which has the same spans
    and chapters in the same order, as soon as that far is compiled.
    """

    kind: Literal["span", "chapter"]
    index: int

    def ready(self, snapshot: Snapshot) -> bool:
        """True once ``snapshot`` has laid out this point."""
        return len(snapshot.spans if self.kind == "span" else snapshot.chapters) > self.index

    def frame(self, snapshot: Snapshot) -> int:
        """The start frame of this point in ``snapshot`` (which must be ``ready``)."""
        return (snapshot.spans[self.index] if self.kind == "span" else snapshot.chapters[self.index]).start


def find_start_point(snapshot: Snapshot, *, step: str | None = None, section: str | None = None) -> StartPoint:
    """The span or chapter ``--from STEP`` or ``--from-section NAME`` names; raises LookupError."""
    if step is not None:
        wanted = step.strip().strip(".")
        for index, span in enumerate(snapshot.spans):
            if span.step == wanted or span.step.startswith(wanted + "."):
                return StartPoint("span", index)
        raise LookupError(f"the session has no step {wanted}")
    if section is not None:
        chapters = snapshot.chapters
        folded = section.strip().casefold()
        for index, chapter in enumerate(chapters):
            if chapter.title.casefold() == folded:
                return StartPoint("chapter", index)
        matches = [i for i, c in enumerate(chapters) if folded in c.title.casefold()]
        if len(matches) == 1:
            return StartPoint("chapter", matches[0])
        names = ", ".join(repr(c.title) for c in chapters) or "none"
        if matches:
            raise LookupError(f"{section!r} matches several sections ({names})")
        raise LookupError(f"the session has no section {section!r} (sections: {names})")
    return StartPoint("span", 0)


def find_start(snapshot: Snapshot, *, step: str | None = None, section: str | None = None) -> int:
    """The frame where ``--from STEP`` or ``--from-section NAME`` starts in a complete layout; raises LookupError."""
    return find_start_point(snapshot, step=step, section=section).frame(snapshot)
