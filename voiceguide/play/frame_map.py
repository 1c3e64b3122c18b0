"""The frame map: what each frame written to a sink was, so its position maps back to the session.

A sink's position counts the written frames it has consumed; written frames
are session audio (from some session frame), spoken feedback (the session
waiting), feedback said over the session (``overlay``: the session's frames go
on under it, as during a hold), pause silence or wait silence.  The map
keeps one ``Segment`` per run, so the session frame a listener has reached,
and the cues that became audible, follow from the sink's position alone,
never from the wall clock.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from voiceguide.play.program import Snapshot
from voiceguide.timeline.layout import Event

SegmentKind = Literal["session", "overlay", "feedback", "pause", "wait"]

ADVANCING: frozenset[SegmentKind] = frozenset({"session", "overlay"})
"""Kinds whose output frames are session frames, one for one (the session's clock runs)."""

SPOKEN: frozenset[SegmentKind] = frozenset({"overlay", "feedback"})
"""Kinds that carry spoken feedback."""


@dataclass
class Segment:
    """A run of written frames: ``[out_start, out_end)`` of output, from session frame ``session_frame_at_start``."""

    out_start: int
    out_end: int
    session_frame_at_start: int
    kind: SegmentKind
    text: str | None = None
    owed: bool = False
    """Feedback the session waited for during a hold: the transport skips as much of the hold's silence later."""

    def session_frame(self, out: int) -> int:
        """The session frame at output frame ``out`` (frozen outside session audio)."""
        if self.kind in ADVANCING:
            return self.session_frame_at_start + (min(out, self.out_end) - self.out_start)
        return self.session_frame_at_start


@dataclass(frozen=True)
class Feedback:
    """Spoken feedback that has started playing (for the screen)."""

    text: str


Notice = Event | Feedback
"""What ``poll`` reports: a session cue or a feedback sentence that became audible."""


class FrameMap:
    """The segments written to a sink since its last played one, and the write position after them."""

    def __init__(self, written_frames: int) -> None:
        self._segments: list[Segment] = []
        self.written_frames = written_frames
        """Output frames written so far (the sink's position plus its queue)."""

    def add(self, kind: SegmentKind, frames: int, session_frame: int, text: str | None = None, *,
            owed: bool = False) -> None:
        """Log ``frames`` written frames of ``kind``, starting at ``session_frame`` (runs are merged)."""
        last = self._segments[-1] if self._segments else None
        if (last is not None and text is None and last.kind == kind and last.owed == owed
                and last.out_end == self.written_frames
                and (kind not in ADVANCING or last.session_frame(last.out_end) == session_frame)):
            last.out_end += frames
        else:
            self._segments.append(Segment(self.written_frames, self.written_frames + frames, session_frame, kind,
                                          text, owed))
        self.written_frames += frames

    def truncate(self, written_frames: int) -> tuple[int | None, int]:
        """Forget what was written from ``written_frames`` on.

        Returns the session frame to write from again (if any) and how many owed frames were forgotten.
        """
        self.written_frames = written_frames
        resume_frame: int | None = None
        owed = 0
        while self._segments and self._segments[-1].out_start >= written_frames:
            dropped = self._segments.pop()
            owed += (dropped.out_end - dropped.out_start) if dropped.owed else 0
            resume_frame = dropped.session_frame_at_start
        if self._segments and self._segments[-1].out_end > written_frames:
            last = self._segments[-1]
            owed += (last.out_end - written_frames) if last.owed else 0
            last.out_end = written_frames
            resume_frame = last.session_frame(last.out_end)
        return resume_frame, owed

    def session_frame_at(self, out: int, cursor_frame: int) -> int:
        """The session frame at output frame ``out``; ``cursor_frame`` once past everything written."""
        if not self._segments or out >= self.written_frames:
            return cursor_frame
        index = bisect_right([s.out_start for s in self._segments], out) - 1
        if index < 0:
            return self._segments[0].session_frame_at_start
        return self._segments[index].session_frame(out)

    def segment_at(self, out: int) -> Segment | None:
        """The segment holding output frame ``out``, if it was written and is still mapped."""
        index = bisect_right([s.out_start for s in self._segments], out) - 1
        if index < 0 or out >= self._segments[index].out_end:
            return None
        return self._segments[index]

    def feedback_text_at(self, out: int) -> str | None:
        """The sentence of the feedback sounding at output frame ``out`` (its first segment has the text)."""
        return next((s.text for s in reversed(self._segments)
                     if s.kind in SPOKEN and s.out_start <= out and s.text), None)

    def notices(self, snapshot: Snapshot, from_out: int, to_out: int) -> Iterator[Notice]:
        """Cues and feedback that started sounding in output frames ``[from_out, to_out)``, in order."""
        for segment in self._segments:
            lo, hi = max(segment.out_start, from_out), min(segment.out_end, to_out)
            if hi <= lo:
                continue
            if segment.kind in SPOKEN and segment.text is not None and segment.out_start >= from_out:
                yield Feedback(segment.text)
            if segment.kind in ADVANCING:
                first = bisect_left(snapshot.starts, segment.session_frame(lo))
                last = bisect_left(snapshot.starts, segment.session_frame(hi))
                yield from snapshot.events[first:last]

    def session_frames_in(self, from_out: int, to_out: int) -> int:
        """How many of output frames ``[from_out, to_out)`` were session audio (feedback said over it included)."""
        return sum(max(0, min(s.out_end, to_out) - max(s.out_start, from_out))
                   for s in self._segments if s.kind in ADVANCING)

    def forget_played(self, out: int) -> None:
        """Drop the segments played before output frame ``out``, keeping the one that holds it."""
        keep = bisect_right([s.out_end for s in self._segments], out)
        del self._segments[:max(0, keep - 1)]
