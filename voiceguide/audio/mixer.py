"""The block mixer: any span of a timeline as samples, computed on demand.

``Mixer.render(start, frames)`` is stateless: the samples of a frame depend only
on the timeline, the clips and the volume, never on how the session was cut
into blocks.  File export and live playback pull the same blocks, so they are
the same samples, and memory stays flat however long the session is: only the
block being mixed and the (few, short) distinct clips are ever held.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, Audio, FrameCache
from voiceguide.timeline.layout import Event

if TYPE_CHECKING:
    from voiceguide.audio.bed import Bed, Planar

LIMIT_THRESHOLD = np.float32(0.9)
"""Samples below this magnitude pass unchanged; louder ones are softly compressed below 1.0."""

_KNEE = np.float32(1.0) - LIMIT_THRESHOLD

SIDE_PAN = 0.6
"""How far a side's cues go towards that side (0 centre, 1 only that ear): about 10 dB between the ears."""


def pan_gains(position: float) -> tuple[float, float]:
    """Constant-power (left, right) gains for ``position`` from -1 (left) to 1 (right); centre: 1/√2 each.

    The sum of the channels' powers stays that of the mono clip, so BS.1770
    (which sums them) measures a panned or centred clip as loud as the clip.
    """
    angle = (position + 1.0) * math.pi / 4.0
    return math.cos(angle), math.sin(angle)


@dataclass(frozen=True)
class Layout:
    """How a session's mix is laid out: its channels, and the bed under the voice (None: silence)."""

    channels: int = 1
    bed: Bed | None = None
    pan: float = SIDE_PAN
    least_length: int = 0
    """Frames the whole session lasts at least (``timeline.least_length``), for ``Bed.final_frames``."""

    def gains(self, event: Event) -> tuple[float, float]:
        """The (left, right) gains of ``event``: panned for a side's cue, else centred."""
        if event.side in ("left", "right") and event.pan:
            return pan_gains(-self.pan if event.side == "left" else self.pan)
        return _CENTRE


_CENTRE = pan_gains(0.0)
CENTRE_GAIN = _CENTRE[0]
"""Each channel's gain for a centred sound (1/√2)."""


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

    def digest(self, event: Event) -> bytes | None:
        """The SHA-256 of ``event``'s clip as little-endian float32, when the bank knows it unread; else None."""
        known = getattr(self._bank, "digest", None)
        if event.kind != "speech" or event.text is None or known is None:
            return None
        digest: bytes | None = known(event.text)
        return digest


def soft_limit(samples: Audio) -> None:
    """Compress, in place, every sample louder than ``LIMIT_THRESHOLD`` so none reaches 1.0.

    Per sample and stateless, so it gives the same result however a session is
    cut into blocks.  Above the threshold ``T`` a sample of magnitude ``T + d``
    becomes ``T + k·d/(k + d)`` with ``k = 1 - T``: continuous with slope 1 at
    the knee, and approaching 1.0 without reaching it.  Only ``+ - * /`` are
    used, which IEEE 754 rounds exactly, so no SIMD path can change a sample.
    """
    if samples.size == 0 or (samples.max() <= LIMIT_THRESHOLD and samples.min() >= -LIMIT_THRESHOLD):
        return  # two reading passes: most blocks have nothing to squeeze (a NaN takes the long way)
    loud = np.flatnonzero(np.abs(samples) > LIMIT_THRESHOLD)
    if loud.size == 0:
        return
    values = samples[loud]
    over = np.abs(values) - LIMIT_THRESHOLD
    squeezed = LIMIT_THRESHOLD + _KNEE * over / (_KNEE + over)
    samples[loud] = np.copysign(squeezed, values).astype(np.float32)


def soft_limit_any(samples: npt.NDArray[np.float32]) -> None:
    """``soft_limit`` for samples of any shape (a contiguous array)."""
    soft_limit(samples.reshape(-1))


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
        layout: Layout | None = None,
        complete: bool = True,
    ) -> None:
        self.layout = layout if layout is not None else Layout()
        self.channels = self.layout.channels
        self._events = sorted(events, key=lambda event: event.start)
        self._starts = [event.start for event in self._events]
        self._max_event_length = max((event.length for event in self._events), default=0)
        self._clips = clips
        self.volume = volume
        # Frames in the session: where ``blocks`` stops by default.
        self.length = length if length is not None else max((e.end for e in self._events), default=0)
        bed = self.layout.bed
        # Frames whose samples cannot change as more of the session is compiled: the bed's duck
        # looks ahead, and its fade at the end waits for the end.
        self.final_frames = (self.length if complete or bed is None
                             else self._before_any_cut(bed.final_frames(self.length, self.layout.least_length)))

    def _before_any_cut(self, frame: int) -> int:
        """``frame``, or the start of a sound it would cut (so that a session waiting for more of its layout
        waits before a word, not in it)."""
        moved = True
        while moved:
            moved = False
            first = bisect_left(self._starts, frame - self._max_event_length + 1)  # none before it reaches frame
            for event in self._events[first:bisect_left(self._starts, frame)]:
                if event.start < frame < event.end and event.length > 0:
                    frame, moved = event.start, True
                    break
        return frame

    @property
    def volume(self) -> float:
        """Gain from 0 to 1 applied to every sample before the limiter."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"volume must be between 0 and 1, not {value}")
        self._volume = float(value)

    def render(self, start: int, frames: int, *, bed_gain: npt.NDArray[np.float32] | None = None,
               bed_depth: npt.NDArray[np.float32] | None = None, under: Planar | None = None) -> Audio:
        """The ``frames`` samples from frame ``start`` (silence outside the events).

        Mono without a bed: a 1-D array; otherwise ``(frames, channels)``.  A
        live player coming back from a pause fades the bed in (``bed_gain``, per
        frame) over the pause's bed fading out (``under``, planar, from
        ``render_bed``), and ducks it under an answer (``bed_depth``, per
        frame, see ``Bed.render``); the voice is never touched.
        """
        if frames < 0:
            raise ValueError(f"frames must not be negative, not {frames}")
        if self.channels > 1 or self.layout.bed is not None:
            return self._render_layout(start, frames, bed_gain, bed_depth, under)
        out = np.zeros(frames, dtype=np.float32)
        for _, lo, piece in self._pieces(start, start + frames):
            out[lo - start : lo - start + len(piece)] += piece
        if self._volume != 1.0:
            out *= np.float32(self._volume)
        soft_limit(out)
        return out

    def _overlapping(self, start: int, stop: int) -> Iterator[Event]:
        """The events that sound in ``[start, stop)``, in order of start."""
        # An event overlapping [start, stop) starts after start - max length and
        # before stop; bisect finds that window without scanning the session.
        first = bisect_left(self._starts, start - self._max_event_length + 1)
        last = bisect_left(self._starts, stop)
        return (event for event in self._events[first:last] if event.end > start and event.length > 0)

    def _pieces(self, start: int, stop: int) -> Iterator[tuple[Event, int, Audio]]:
        """Each event's clip within ``[start, stop)``: (event, first frame, samples), never empty."""
        for event in self._overlapping(start, stop):
            clip = self._clips.clip(event)
            lo = max(event.start, start)
            hi = min(event.end, stop, event.start + len(clip))
            if hi > lo:
                yield event, lo, clip[lo - event.start : hi - event.start]

    def voiced(self, start: int, frames: int) -> bool:
        """Whether a cue (the voice or a tone, not the bed) sounds in ``[start, start + frames)``."""
        return any(True for _ in self._overlapping(start, start + frames))

    @property
    def has_bed(self) -> bool:
        """True when a bed sounds under (some of) the session."""
        return self.layout.bed is not None

    def bed_depth(self, frame: int) -> float:
        """How far the bed's duck is down at session ``frame`` (0 to 1; 0 without a bed)."""
        return self.layout.bed.duck_depth(frame) if self.layout.bed is not None else 0.0

    def bed_fade(self, frame: int) -> int:
        """The ``fade`` (frames) of the background sounding at session ``frame`` (0 without a bed)."""
        return self.layout.bed.fade_at(frame) if self.layout.bed is not None else 0

    def render_bed(self, start: int, frames: int, *, level_at: int, depth: float | npt.NDArray[np.float32],
                   cap: float | npt.NDArray[np.float32], gain: float | npt.NDArray[np.float32]) -> Planar | None:
        """The bed alone from bed frame ``start``, at its levels of session frame ``level_at`` (None: no bed).

        Planar ``(channels, frames)``, before the volume: ducked to ``depth``,
        at most ``cap``, times ``gain`` (each per frame or one number); see
        ``Bed.render_held``.  The session stands still while it plays.
        """
        bed = self.layout.bed
        if bed is None:
            return None
        planar = bed.render_held(start, frames, level_at, depth, cap)
        planar *= np.asarray(gain, dtype=np.float32)
        return planar

    def finish(self, planar: Planar, over: Audio | None = None) -> Audio:
        """Bed samples from ``render_bed`` as output (the volume applied, ``over`` added, limited).

        ``over`` (spoken feedback, already at the volume) is in the output's
        shape and at most as long as ``planar``.
        """
        if self._volume != 1.0:
            planar *= np.float32(self._volume)
        out: Audio = planar[0].copy() if self.channels == 1 else np.ascontiguousarray(planar.T)
        if over is not None and len(over):
            out[:len(over)] += over
        soft_limit_any(out)
        return out

    def _render_layout(self, start: int, frames: int, bed_gain: npt.NDArray[np.float32] | None = None,
                       bed_depth: npt.NDArray[np.float32] | None = None, under: Planar | None = None) -> Audio:
        """``render`` with a bed or more than one channel: ``(frames, channels)``, or 1-D for mono.

        The bed (times ``bed_gain``, plus ``under``) is made planar; it and the
        cues are added into the interleaved block column by column: numpy copies
        ``planar.T`` into an interleaved array two samples at a time, about five
        times slower.  Each sample gets the same additions in the same order.
        """
        layout = self.layout
        channels = self.channels
        planar = layout.bed.render(start, frames, bed_depth) if layout.bed is not None else None
        if planar is not None and bed_gain is not None:
            planar *= bed_gain
        if under is not None:
            planar = under.copy() if planar is None else planar + under
        if channels == 1:
            mono = planar[0] if planar is not None else np.zeros(frames, dtype=np.float32)
            for _, lo, piece in self._pieces(start, start + frames):
                mono[lo - start : lo - start + len(piece)] += piece
            mixed: Audio = mono
        else:
            if planar is not None:
                mixed = np.empty((frames, channels), dtype=np.float32)
                for channel in range(channels):
                    mixed[:, channel] = planar[channel]
            else:
                mixed = np.zeros((frames, channels), dtype=np.float32)
            for event, lo, piece in self._pieces(start, start + frames):
                at, hi = lo - start, lo - start + len(piece)
                left, right = layout.gains(event)
                scaled = piece * np.float32(left)
                mixed[at:hi, 0] += scaled
                mixed[at:hi, 1] += scaled if right == left else piece * np.float32(right)
        if self._volume != 1.0:
            mixed *= np.float32(self._volume)
        soft_limit_any(mixed)
        return mixed

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
