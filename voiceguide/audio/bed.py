"""The bed: the sound under the voice, laid out from the timeline and rendered span by span.

``Bed.render(start, frames)`` is stateless, like the mixer: each frame's
samples depend only on the session frame, the timeline and the settings.  The
bed's gain is the product of three planned curves:

- its *spans*: each ``background`` holds from its change (or the start) to the
  next change (or the end), fading in over its ``fade`` and out over the next
  one's (equal power: two unrelated sounds crossfade without a dip);
- the *duck*: the voice's sounds are known in advance, so the bed starts going
  down ``DUCK_ATTACK_SECONDS`` before a cue and comes back ``DUCK_RELEASE_SECONDS``
  after it; cues closer than ``DUCK_HOLD_SECONDS`` keep it down between them
  (no pumping: between the words of a countdown, between sentences, between a
  time-left cue and the next breath, the bed does not swell for a second and
  go down again);
- its *level*: ``level`` dB under the voice's reference loudness, at the file's gain.

Because the duck looks ahead, and the bed fades out at the session's end, a
frame of a session still compiling is final only so far: ``Bed.final_frames``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE
from voiceguide.timeline.layout import BedChange, Event

DUCK_ATTACK_SECONDS = 0.35
"""The bed starts going down this long before a cue, and is down when the voice starts."""

DUCK_RELEASE_SECONDS = 0.9
"""…and comes back up over this long after the cue ends."""

DUCK_HOLD_SECONDS = 3.0
"""Cues closer than this keep the bed down between them: in a longer gap it comes up for at least 1.75 s.

At 1.6 s (more than attack + release, the least that avoids overlapping ramps) the bed rose by the whole
duck for about a second in each 1.6-3-s gap and went down again, 2-4 times a minute in the shipped
sessions (the 2-s pause between sentences, a time-left cue and the next breath): pumping.  A press's
breathing (3.5 s after "Breathe in.", 5-6 s after "Breathe out.") still lets it come up: the bed
breathes with the cues, slowly, and fills each breath's silence.
"""

MIN_VOICE_MARGIN_DB = 15.0
"""While the voice speaks the bed stays at least this far below it, whatever ``level`` and ``duck`` say."""

Planar = npt.NDArray[np.float32]
"""Samples as ``(channels, frames)``."""


class BedSource(Protocol):
    """A sound that can be rendered at any frame (``sounds.Generator``, ``bed_file.FileBed``)."""

    def render(self, start: int, frames: int, channels: int) -> Planar:
        """``frames`` frames from frame ``start``, planar."""
        ...

    def peak_bound(self, channels: int) -> float:
        """No sample the source makes is larger than this."""
        ...


@dataclass(frozen=True)
class BedSpan:
    """One sound of the bed: from ``start`` (fading in over ``fade_in``) to ``end`` (faded out by then)."""

    source: BedSource
    start: int
    end: int
    fade_in: int
    fade_out: int
    gain: float
    """Linear gain at full level (not ducked)."""
    duck: float
    """Linear gain factor while the voice speaks (1: no duck)."""
    fade: int = 0
    """The background's ``fade`` in frames, whole (``fade_in`` and ``fade_out`` may be cut short): a live pause's."""


def _fade_curve(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """An equal-power fade in: sin(x·π/2) for x in [0, 1]."""
    curve: npt.NDArray[np.float32] = np.sin(np.float32(math.pi / 2) * np.clip(x, 0.0, 1.0)).astype(np.float32)
    return curve


def _smooth(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A smooth step from 0 to 1 (raised cosine), x in [0, 1]."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def duck_intervals(events: Sequence[Event], sample_rate: int = SAMPLE_RATE) -> list[tuple[int, int]]:
    """The spans where the voice sounds, merged where closer than ``DUCK_HOLD_SECONDS``."""
    hold = round(DUCK_HOLD_SECONDS * sample_rate)
    merged: list[tuple[int, int]] = []
    for event in sorted(events, key=lambda e: e.start):
        if event.length <= 0:
            continue
        if merged and event.start < merged[-1][1] + hold:
            merged[-1] = (merged[-1][0], max(merged[-1][1], event.end))
        else:
            merged.append((event.start, event.end))
    return merged


class Bed:
    """The bed of a session (or of the part compiled so far): ``render(start, frames)`` as planar samples."""

    def __init__(self, spans: Sequence[BedSpan], events: Sequence[Event], channels: int, *,
                 sample_rate: int = SAMPLE_RATE) -> None:
        self.spans = tuple(spans)
        self.channels = channels
        self._intervals = duck_intervals(events, sample_rate)
        self._starts = np.array([a for a, _ in self._intervals], dtype=np.int64)
        self._ends = np.array([b for _, b in self._intervals], dtype=np.int64)
        self._attack = round(DUCK_ATTACK_SECONDS * sample_rate)
        self._release = round(DUCK_RELEASE_SECONDS * sample_rate)
        self._down = _smooth((np.arange(self._attack) + 0.5) / self._attack).astype(np.float32)
        self._up = (1.0 - _smooth((np.arange(self._release) + 0.5) / self._release)).astype(np.float32)
        self._hold = round(DUCK_HOLD_SECONDS * sample_rate)
        self._fade_out = max((span.fade_out for span in self.spans), default=0)

    def final_frames(self, length: int, least_length: int = 0) -> int:
        """Frames from the start that cannot change as a session still compiling is laid out further.

        ``length``: how far it is laid out (later steps start there or after); ``least_length``: what
        the whole session lasts at least (``timeline.least_length``).  A later cue starts
        ducking ``DUCK_ATTACK_SECONDS`` before it, and one closer than ``DUCK_HOLD_SECONDS`` to the
        last ducked stretch keeps the bed down from that stretch's end; the fade out at the session's
        end (and any fade a later change cuts short there) lies within the longest fade of its end.
        """
        final = length - self._attack
        if self._intervals and length < self._intervals[-1][1] + self._hold:
            final = min(final, self._intervals[-1][1])
        return max(0, min(final, max(length, least_length) - self._fade_out))

    def render(self, start: int, frames: int, depth: npt.NDArray[np.float32] | None = None) -> Planar:
        """The bed over ``[start, start + frames)``: ``(channels, frames)`` float32.

        ``depth`` (per frame, 0 to 1): ducked at least this far, as under a
        live answer said over the session (the voice's own duck goes on too).
        """
        out = np.zeros((self.channels, frames), dtype=np.float32)
        stop = start + frames
        for span in self.spans:
            lo, hi = max(start, span.start), min(stop, span.end)
            if hi <= lo:
                continue
            sound = span.source.render(lo, hi - lo, self.channels)
            gain = self._span_gain(span, lo, hi)
            duck = self._duck_gain(span.duck, lo, hi)
            if depth is not None and span.duck < 1.0:
                below = np.float32(1.0) - np.float32(1.0 - span.duck) * depth[lo - start:hi - start]
                duck = np.minimum(duck, below)
            if isinstance(gain, float) and isinstance(duck, float):  # as the arrays would be, whatever the cut
                sound *= np.float32(gain) * np.float32(duck)
            else:
                sound *= np.asarray(gain, dtype=np.float32) * np.asarray(duck, dtype=np.float32)
            out[:, lo - start:hi - start] += sound
        return out

    def render_held(self, start: int, frames: int, level_at: int, depth: float | npt.NDArray[np.float32],
                    cap: float | npt.NDArray[np.float32] = 1.0) -> Planar:
        """The bed's sounds from frame ``start`` on, at the levels they have at session frame ``level_at``.

        For a bed that goes on while the session stands still (a pause, an
        answer): each sound at ``level_at`` keeps flowing from ``start`` at its
        gain there (its fades frozen), ducked to ``depth`` (0 to 1, per frame or
        one number) but never above ``cap`` (a gain per frame or one number).
        """
        out = np.zeros((self.channels, frames), dtype=np.float32)
        for span in self.spans:
            if not span.start <= level_at < span.end:
                continue
            level = self._span_gain(span, level_at, level_at + 1)
            level = level if isinstance(level, float) else float(level[0])
            if level == 0.0:
                continue
            duck = np.float32(1.0) - np.float32(1.0 - span.duck) * np.asarray(depth, dtype=np.float32)
            gain = np.minimum(duck, np.asarray(cap, dtype=np.float32)) * np.float32(level)
            out += span.source.render(start, frames, self.channels) * gain
        return out

    def fade_at(self, frame: int) -> int:
        """The ``fade`` (frames) of the latest sound to start at or before ``frame`` (the first's before any)."""
        fade = self.spans[0].fade if self.spans else 0
        for span in self.spans:
            if span.start <= frame:
                fade = span.fade
        return fade

    def duck_depth(self, frame: int) -> float:
        """How far down the duck is at ``frame``: 0 (not at all) to 1 (fully, under the voice)."""
        gain = self._duck_gain(0.0, frame, frame + 1)
        return 1.0 - (gain if isinstance(gain, float) else float(gain[0]))

    def _span_gain(self, span: BedSpan, lo: int, hi: int) -> float | npt.NDArray[np.float32]:
        """The span's gain with its fades over ``[lo, hi)``: a number where it is steady."""
        fade_in_end = span.start + span.fade_in
        fade_out_start = span.end - span.fade_out
        if lo >= fade_in_end and hi <= fade_out_start:
            return span.gain
        frames = np.arange(lo, hi, dtype=np.float64)
        gain = np.full(hi - lo, span.gain, dtype=np.float32)
        if span.fade_in > 0 and lo < fade_in_end:
            gain *= _fade_curve(((frames - span.start) / span.fade_in).astype(np.float32))
        if span.fade_out > 0 and hi > fade_out_start:
            gain *= _fade_curve(((span.end - frames) / span.fade_out).astype(np.float32))
        return gain

    def _duck_gain(self, duck: float, lo: int, hi: int) -> float | npt.NDArray[np.float32]:
        """The duck over ``[lo, hi)``: ``duck`` under the voice, 1 away from it, smooth in between.

        The depth (0 to 1) follows raised-cosine ramps, read from tables made
        once; the gain is linear in it, from 1 down to ``duck``.
        """
        if duck >= 1.0 or not self._intervals:
            return 1.0
        # Intervals whose ramps reach [lo, hi): they start before hi + attack and end after lo - release.
        first = int(np.searchsorted(self._ends, lo - self._release, side="right"))
        last = int(np.searchsorted(self._starts, hi + self._attack, side="left"))
        if first >= last:
            return 1.0
        if last - first == 1:
            a, b = self._intervals[first]
            if a <= lo and hi <= b:
                return float(np.float32(1.0) - np.float32(1.0 - duck))  # the arrays' value under the voice
        depth = np.zeros(hi - lo, dtype=np.float32)
        for a, b in self._intervals[first:last]:
            self._ramp(depth, lo, a - self._attack, self._down)
            depth[max(a, lo) - lo:max(min(b, hi), lo) - lo] = 1.0
            self._ramp(depth, lo, b, self._up)
        gain: npt.NDArray[np.float32] = np.float32(1.0) - np.float32(1.0 - duck) * depth
        return gain

    @staticmethod
    def _ramp(depth: npt.NDArray[np.float32], lo: int, start: int, table: npt.NDArray[np.float32]) -> None:
        """Raise ``depth`` (from frame ``lo``) to ``table`` laid from frame ``start``, where they meet."""
        first, last = max(start, lo), min(start + len(table), lo + len(depth))
        if last > first:
            np.maximum(depth[first - lo:last - lo], table[first - start:last - start],
                       out=depth[first - lo:last - lo])


def voice_margin_duck(level_db: float, duck_db: float) -> float:
    """The duck (dB) that keeps the bed ``MIN_VOICE_MARGIN_DB`` under the voice while it speaks."""
    return max(duck_db, MIN_VOICE_MARGIN_DB + level_db)


def plan_spans(changes: Sequence[BedChange], length: int, complete: bool, sources: SourceFactory,
               sample_rate: int = SAMPLE_RATE) -> list[BedSpan]:
    """The bed's spans from its changes: each until the next change, the last until ``length``.

    While the session is still compiling (``complete`` False) the last span has
    no known end: it runs on unfaded, and ``Bed.final_frames`` keeps the
    transport from playing frames that the end's fade may still change.
    """
    spans: list[BedSpan] = []
    previous: tuple[BedChange, int] | None = None
    horizon = length if complete else 2**62
    for change in sorted(changes, key=lambda c: c.start):
        if previous is not None:
            spans.append(_span(previous[0], previous[1], change, horizon, sources, sample_rate))
        previous = (change, change.start)
    if previous is not None:
        spans.append(_span(previous[0], previous[1], None, horizon, sources, sample_rate))
    return [span for span in spans if span.end > span.start]


class SourceFactory(Protocol):
    """Gives a change's sound and its gain (``level`` and the file gain applied)."""

    def source(self, change: BedChange) -> tuple[BedSource, float]:
        """The source of ``change.background`` and its linear gain."""
        ...


def _span(change: BedChange, start: int, following: BedChange | None, horizon: int, sources: SourceFactory,
          sample_rate: int) -> BedSpan:
    background = change.background
    next_fade = 0
    if following is not None and following.background is not None:
        next_fade = round(following.background.fade * sample_rate)
    if background is None:
        return BedSpan(_Silence(), start, start, 0, 0, 0.0, 1.0)
    fade = round(background.fade * sample_rate)
    if following is None:
        end, fade_out = horizon, min(fade, max(0, horizon - start) // 2)
    else:
        # The old sound fades out over the new one's fade (over its own when going to silence).
        fade_out = next_fade if following.background is not None else fade
        end = min(horizon, following.start + fade_out)
    source, gain = sources.source(change)
    duck_db = voice_margin_duck(background.level_db, background.duck_db)
    fade_in = min(fade, max(0, end - start))
    return BedSpan(source, start, end, fade_in, min(fade_out, max(0, end - start)), gain, 10 ** (-duck_db / 20),
                   fade)


class _Silence:
    """No sound (a span that ``off`` ends at once)."""

    def peak_bound(self, channels: int) -> float:
        return 0.0

    def render(self, start: int, frames: int, channels: int) -> Planar:
        return np.zeros((channels, frames), dtype=np.float32)
