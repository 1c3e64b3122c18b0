"""What the transport reads from: the renderer protocols, the program's current mix, and queued feedback.

``ProgramView`` keeps the renderer of the program's latest snapshot (a live
session is still being compiled while it plays) and how far its samples are
final; ``FeedbackQueue`` holds the one spoken answer waiting to be played.
``transport.Transport`` owns one of each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from voiceguide.audio.bed import Planar
from voiceguide.base import Audio
from voiceguide.play.bed_track import Curve, Layer
from voiceguide.play.program import Program, Snapshot


class Renderer(Protocol):
    """The session's samples (``mixer.Mixer``)."""

    volume: float
    final_frames: int
    """Frames from the start whose samples are final (all of them once the session is complete)."""

    def render(self, start: int, frames: int) -> Audio:
        """``frames`` samples from session frame ``start``: a new array, which the caller may keep."""
        ...


class BedRenderer(Renderer, Protocol):
    """A renderer with a bed that can go on alone while the session stands still (``mixer.Mixer``)."""

    @property
    def has_bed(self) -> bool: ...

    def bed_depth(self, frame: int) -> float:
        """How far down the bed's duck is at session ``frame`` (0 to 1)."""
        ...

    def bed_fade(self, frame: int) -> int:
        """The ``fade`` (frames) of the background sounding at session ``frame``."""
        ...

    def render(self, start: int, frames: int, *, bed_gain: Curve | None = None, bed_depth: Curve | None = None,
               under: Planar | None = None) -> Audio:
        """The session's samples, the bed scaled by ``bed_gain``, ducked to ``bed_depth``, over ``under``."""
        ...

    def render_bed(self, start: int, frames: int, *, level_at: int, depth: float | Curve, cap: float | Curve,
                   gain: float | Curve) -> Planar | None:
        """The bed alone from bed frame ``start`` at the levels of session frame ``level_at``."""
        ...

    def finish(self, planar: Planar, over: Audio | None = None) -> Audio:
        """The bed as output: at the volume, ``over`` added, limited."""
        ...


MakeRenderer = Callable[[Snapshot], Renderer]
"""Builds a renderer for what is known of the session: ``lambda s: Mixer(s.events, clips, length=s.ready_until)``."""


class FeedbackQueue:
    """The spoken feedback waiting to be written (one sentence: a new key replaces it)."""

    def __init__(self) -> None:
        self._audio: Audio | None = None
        self._text = ""
        self._offset_frames = 0
        self.start_frame: int | None = None
        """The session frame the cursor must reach first (the end of a sentence sounding), or None: at once."""
        self.over = False
        """True: said over the session, whose frames go on under it (an answer during a hold)."""

    def set(self, audio: Audio, text: str, start_frame: int | None, *, over: bool = False) -> None:
        """Queue ``audio`` (saying ``text``), to start at ``start_frame`` or at once."""
        self._audio, self._text, self._offset_frames, self.start_frame = audio, text, 0, start_frame
        self.over = over

    def clear(self) -> None:
        """Drop the queued feedback."""
        self._audio, self._offset_frames, self.start_frame, self.over = None, 0, None, False

    @property
    def pending(self) -> bool:
        """True while feedback waits to be written (now or later)."""
        return self._audio is not None

    def ready(self, cursor_frame: int) -> bool:
        """True when there is feedback to write with the cursor at ``cursor_frame``."""
        return self._audio is not None and (self.start_frame is None or cursor_frame >= self.start_frame)

    def take(self, frames: int) -> tuple[Audio, str | None]:
        """The next at most ``frames`` samples, and the text when they are the sentence's first."""
        assert self._audio is not None
        start = self._offset_frames
        piece = self._audio[start:start + frames]
        self._offset_frames += len(piece)
        if self._offset_frames >= len(self._audio):
            self.clear()
        return piece, self._text if start == 0 else None


class ProgramView:
    """Keeps a snapshot (for reading) and a renderer (for writing) in step with a compiling program.

    While steps are still compiling, a new snapshot (a copy of every event so
    far) is taken only when the cursor nears the end of what is known, or once
    a second; rebuilding the renderer sorts the events again, so it happens
    only near that end, or once compiling is complete.
    """

    def __init__(self, program: Program, make_renderer: MakeRenderer, *, sample_rate: int, volume: float,
                 out_frame: int) -> None:
        self._program = program
        self._make_renderer = make_renderer
        self._sample_rate = sample_rate
        self._volume = volume
        self.snapshot = program.snapshot()
        self._snapshot_out = out_frame
        self.renderer: Renderer | None = None
        self._renderer_version = -1
        self.ready_frames = 0
        """Session frames the renderer can render (final frames)."""
        self.complete = False
        """True once the renderer holds the whole session."""

    def set_volume(self, volume: float) -> None:
        """The gain of every renderer, this one and those to come."""
        self._volume = volume
        if self.renderer is not None:
            self.renderer.volume = volume

    def refresh(self, cursor_frame: int, out_frame: int, *, force: bool = False, latest: bool = False) -> None:
        """Take in newly compiled steps, with the cursor at ``cursor_frame`` and the sink at ``out_frame``."""
        near = cursor_frame + 2 * self._sample_rate >= self.ready_frames
        if latest or force or self.renderer is None or (
                self._program.version != self.snapshot.version
                and (near or self._program.complete or out_frame - self._snapshot_out >= self._sample_rate)):
            self.snapshot = self._program.snapshot()
            self._snapshot_out = out_frame
        snapshot = self.snapshot
        if self.renderer is not None and self._renderer_version == snapshot.version:
            return
        if self.renderer is None or force or near or (snapshot.complete and not self.complete):
            self.renderer = self._make_renderer(snapshot)
            self.renderer.volume = self._volume
            self._renderer_version = snapshot.version
            self.ready_frames = min(snapshot.ready_until, self.renderer.final_frames)
            self.complete = snapshot.complete


def summed_layers(renderer: BedRenderer, layers: list[Layer], frames: int) -> Planar | None:
    """The layers' beds (a standing session's, ``bed_track``) summed, planar (None: no layer)."""
    total = None
    for layer in layers:
        planar = renderer.render_bed(layer.position, frames, level_at=layer.level_at, depth=layer.depth,
                                     cap=layer.cap, gain=layer.gain)
        if planar is None:
            return None
        total = planar if total is None else total + planar
    return total
