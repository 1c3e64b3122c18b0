"""The program: a session's timeline, compiled step by step on a background thread ahead of the playhead.

Also where ``--from``/``--from-section`` land in it (``StartPoint``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from voiceguide.timeline.layout import BedChange, Chapter, Event, StepPlan, StepSpan, Timeline


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
    beds: tuple[BedChange, ...] = ()
    """Where the sound under the voice changes (``background:`` steps)."""

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
        self._beds: list[BedChange] = []
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
        program._beds = list(timeline.beds)
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
                    if plan.bed is not None:
                        self._beds.append(plan.bed)
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
                    starts=tuple(e.start for e in self._events), beds=tuple(self._beds),
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

    def join(self, timeout_seconds: float) -> None:
        """Wait (after ``close``) until the compiling thread has ended.

        A process must not exit while the thread is inside native code (synthesis, levelling): Python
        ends a daemon thread that wakes after exit by unwinding it, and unwinding through a C++
        library aborts the process ("terminate called without an active exception").
        """
        if self._thread is not None:
            self._thread.join(timeout_seconds)


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
        # Not a step number: a label (spec revision 2), the first step carrying it.
        folded = step.strip().casefold()
        for index, span in enumerate(snapshot.spans):
            if span.label is not None and span.label.casefold() == folded:
                return StartPoint("span", index)
        if all(part.isdigit() for part in wanted.split(".")):
            raise LookupError(f"the session has no step {wanted}")
        labels = ", ".join(dict.fromkeys(repr(s.label) for s in snapshot.spans if s.label)) or "none"
        raise LookupError(f"the session has no step labelled {step.strip()!r} (labels: {labels})")
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

