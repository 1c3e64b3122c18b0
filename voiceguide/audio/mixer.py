"""The block mixer: any span of a timeline as samples, computed on demand.

``Mixer.render(start, frames)`` is stateless: the samples of a frame depend only
on the timeline, the clips and the volume, never on how the session was cut
into blocks.  File export and live playback pull the same blocks, so they are
the same samples, and memory stays flat however long the session is: only the
block being mixed and the (few, short) distinct clips are ever held.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np

from voiceguide.base import SAMPLE_RATE, Audio, FrameCache
from voiceguide.timeline.layout import Event

LIMIT_THRESHOLD = np.float32(0.9)
"""Samples below this magnitude pass unchanged; louder ones are softly compressed below 1.0."""

_KNEE = np.float32(1.0) - LIMIT_THRESHOLD


class ClipSource(Protocol):
    """Gives the samples of an event: exactly ``event.length`` float32 frames."""

    def clip(self, event: Event) -> Audio:
        """The event's sound; the mixer treats ``event.length`` as authoritative."""
        ...


class SpeechSource(Protocol):
    """What ``SessionClips`` needs from a speech bank (``speech.SpeechBank``)."""

    def clip(self, text: str) -> Audio:
        """The trimmed, cached clip of ``text``."""
        ...


class SessionClips:
    """A ``ClipSource`` for real sessions: speech from a bank, tones from ``tones.tone``.

    Keeps recently used clips in memory, bounded by ``max_cached_frames`` in
    total, because a clip that spans several blocks is asked for once per block.
    """

    def __init__(
        self,
        bank: SpeechSource,
        tone: Callable[[str], Audio] | None = None,
        *,
        max_cached_frames: int = 60 * SAMPLE_RATE,
    ) -> None:
        if tone is None:
            from voiceguide.audio.tones import tone as synthesize_tone

            tone = synthesize_tone
        self._bank = bank
        self._tone = tone
        self._cache: FrameCache[Audio] = FrameCache(max_cached_frames)

    def clip(self, event: Event) -> Audio:
        """The speech clip for ``event.text`` or the tone for ``event.sound``."""
        if event.kind == "speech":
            if event.text is None:
                raise ValueError(f"speech event at frame {event.start} has no text")
            key = ("speech", event.text)
        else:
            if event.sound is None:
                raise ValueError(f"tone event at frame {event.start} has no sound")
            key = ("tone", event.sound)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        audio = self._bank.clip(key[1]) if key[0] == "speech" else self._tone(key[1])
        self._cache.put(key, audio)
        return audio


def soft_limit(samples: Audio) -> None:
    """Compress, in place, every sample louder than ``LIMIT_THRESHOLD`` so none reaches 1.0.

    Per sample and stateless, so it gives the same result however a session is
    cut into blocks.  Above the threshold ``T`` a sample of magnitude ``T + d``
    becomes ``T + k·d/(k + d)`` with ``k = 1 - T``: continuous with slope 1 at
    the knee, and approaching 1.0 without reaching it.  Only ``+ - * /`` are
    used, which IEEE 754 rounds exactly, so no SIMD path can change a sample.
    """
    loud = np.flatnonzero(np.abs(samples) > LIMIT_THRESHOLD)
    if loud.size == 0:
        return
    values = samples[loud]
    over = np.abs(values) - LIMIT_THRESHOLD
    squeezed = LIMIT_THRESHOLD + _KNEE * over / (_KNEE + over)
    samples[loud] = np.copysign(squeezed, values).astype(np.float32)


class Mixer:
    """Mixes a timeline's events into float32 mono samples, one span at a time.

    ``volume`` (0-1) may be changed between blocks, e.g. by a live player.
    """

    def __init__(
        self,
        events: Sequence[Event],
        clips: ClipSource,
        volume: float = 1.0,
        *,
        length: int | None = None,
    ) -> None:
        self._events = sorted(events, key=lambda event: event.start)
        self._starts = [event.start for event in self._events]
        self._max_event_length = max((event.length for event in self._events), default=0)
        self._clips = clips
        self.volume = volume
        # Frames in the session: where ``blocks`` stops by default.
        self.length = length if length is not None else max((e.end for e in self._events), default=0)

    @property
    def volume(self) -> float:
        """Gain from 0 to 1 applied to every sample before the limiter."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"volume must be between 0 and 1, not {value}")
        self._volume = float(value)

    def render(self, start: int, frames: int) -> Audio:
        """The ``frames`` samples from frame ``start`` (silence outside the events)."""
        if frames < 0:
            raise ValueError(f"frames must not be negative, not {frames}")
        out = np.zeros(frames, dtype=np.float32)
        stop = start + frames
        # An event overlapping [start, stop) starts after start - max length and
        # before stop; bisect finds that window without scanning the session.
        first = bisect_left(self._starts, start - self._max_event_length + 1)
        last = bisect_left(self._starts, stop)
        for event in self._events[first:last]:
            if event.end <= start or event.length <= 0:
                continue
            clip = self._clips.clip(event)
            lo = max(event.start, start)
            hi = min(event.end, stop, event.start + len(clip))
            if hi > lo:
                out[lo - start : hi - start] += clip[lo - event.start : hi - event.start]
        if self._volume != 1.0:
            out *= np.float32(self._volume)
        soft_limit(out)
        return out

    def blocks(self, block_frames: int, start: int = 0, end: int | None = None) -> Iterator[Audio]:
        """Consecutive blocks of ``block_frames`` from ``start`` to ``end`` (the last may be shorter)."""
        if block_frames <= 0:
            raise ValueError(f"block_frames must be positive, not {block_frames}")
        stop = self.length if end is None else end
        position = start
        while position < stop:
            frames = min(block_frames, stop - position)
            yield self.render(position, frames)
            position += frames
