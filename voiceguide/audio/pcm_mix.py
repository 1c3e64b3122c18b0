"""A file's mix as 16-bit pieces: a cue sounding alone quantized once and copied, silence left out.

``Mixer.render`` adds every cue into a block of zeros and limits it, and the
sink quantizes the block; most of a session is silence or one cue alone (in a
1-hour session, 70 % of the file's pages are zeros).  ``PcmMix`` gives a block
as the stretches where something sounds.  Where one cue sounds alone, its
samples are that cue mixed alone (a ``Mixer`` of that one event, at the session's
volume and layout) and quantized, once per clip, placement and volume, then
copied; where cues overlap, the stretch is mixed by the session's mixer.  A
frame's sample depends only on the events sounding in it (``mixer``), so the
pieces are ``to_pcm16(mixer.render(...))`` without mixing, limiting or
quantizing the silence, and without doing it again for each repeat of a cue.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Protocol, cast

import numpy as np
import numpy.typing as npt

from voiceguide.audio.mixer import Mixer
from voiceguide.base import SAMPLE_RATE, Audio, FrameCache
from voiceguide.timeline.layout import Event

CACHED_SECONDS = 60
"""Quantized cues kept for their repeats (a minute, 5.3 MB in stereo): in the 1-hour benchmark session every
distinct cue was quantized once (124); with 30 s, cues said once pushed out the counts, and 486 were."""

Piece = tuple[int, npt.NDArray[np.int16]]
"""(first frame within the block, 16-bit samples: 1-D for mono, else ``(frames, channels)``)."""


def to_pcm16(samples: Audio) -> npt.NDArray[np.int16]:
    """Float samples as 16-bit integers: ``round(x * 32768)``, clipped to the int16 range.

    We quantize ourselves rather than let libsndfile do it: one vectorized pass
    is several times faster than its per-sample loop, and the result does not
    depend on its version (1.2.2 floors for WAV and rounds, as here, for FLAC).
    """
    scaled = samples * np.float32(32768.0)
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    pcm: npt.NDArray[np.int16] = scaled.astype(np.int16)
    return pcm


class PcmSink(Protocol):
    """A sink that takes 16-bit pieces (``sinks.FileSink`` writing WAV)."""

    @property
    def block_frames(self) -> int: ...

    @property
    def channels(self) -> int: ...

    def write_pcm(self, frames: int, pieces: Iterable[Piece]) -> None:
        """Append ``frames`` frames: ``pieces`` where something sounds, silence elsewhere."""
        ...


class _One:
    """A ``ClipSource`` of one clip."""

    def __init__(self, clip: Audio) -> None:
        self._clip = clip

    def clip(self, event: Event) -> Audio:
        return self._clip


class PcmMix:
    """The pieces of ``mixer``'s blocks that are not silent, quantized as ``to_pcm16`` (a mixer without a bed).

    Keeps the quantized cues it made, bounded by ``max_cached_frames`` in total, by the sound they play
    (kind, text, sound and length: what a ``ClipSource`` makes a clip of), placement and volume; a clip
    is asked of the mixer only to quantize it.
    """

    def __init__(self, mixer: Mixer, *, max_cached_frames: int = CACHED_SECONDS * SAMPLE_RATE) -> None:
        if mixer.has_bed:
            raise ValueError("a mix with a bed sounds everywhere: it has no silence to leave out")
        self._mixer = mixer
        self._cache: FrameCache[npt.NDArray[np.int16]] = FrameCache(max_cached_frames)

    def pieces(self, start: int, frames: int) -> list[Piece]:
        """The non-silent stretches of ``[start, start + frames)``, in order; everything else is silence."""
        stop = start + frames
        sounds = []
        for event in self._mixer.overlapping(start, stop):
            quantized = self._quantized(event)
            lo, hi = max(event.start, start), min(stop, event.start + len(quantized))
            if hi > lo:
                sounds.append((event, lo, hi, quantized))
        edges = sorted({frame for _, lo, hi, _ in sounds for frame in (lo, hi)})
        pieces: list[Piece] = []
        for lo, hi in zip(edges, edges[1:], strict=False):
            sounding = [(event, quantized) for event, first, end, quantized in sounds if first <= lo and hi <= end]
            if len(sounding) == 1:
                event, quantized = sounding[0]
                pieces.append((lo - start, quantized[lo - event.start : hi - event.start]))
            elif sounding:  # cues over each other: mixed as the mixer mixes them
                pieces.append((lo - start, to_pcm16(self._mixer.render(lo, hi - lo))))
        return pieces

    def _quantized(self, event: Event) -> npt.NDArray[np.int16]:
        """``event`` sounding alone from its start, as the mixer mixes it, quantized."""
        mixer = self._mixer
        gains = mixer.layout.gains(event) if mixer.channels > 1 else None
        key = (event.kind, event.text, event.sound, event.length, gains, mixer.volume)
        found = self._cache.get(key)
        if found is not None:
            return found
        clip = mixer.clip(event)
        frames = min(event.length, len(clip))
        alone = Mixer([dataclasses.replace(event, start=0)], _One(clip), mixer.volume, length=frames,
                      layout=mixer.layout)
        quantized = to_pcm16(alone.render(0, frames))
        self._cache.put(key, quantized)
        return quantized


def write_pcm(mixer: Mixer, sink: object, frames: int, block_frames: int | None = None, volume: float = 1.0,
              progress: Callable[[int, int], None] | None = None) -> bool:
    """``frames`` of ``mixer`` at ``volume`` into ``sink`` as 16-bit pieces, if it takes them (``takes_pcm``: a
    ``FileSink`` to WAV) and the mix has silence to leave out (no bed); else False, and nothing written.

    ``block_frames``: the sink's own unless given; ``progress`` is called after each block with
    (frames written, ``frames``).
    """
    if not getattr(sink, "takes_pcm", False) or mixer.has_bed or mixer.channels != getattr(sink, "channels", None):
        return False
    pcm_sink = cast(PcmSink, sink)
    mixer.volume = volume
    pcm = PcmMix(mixer)
    block = block_frames or pcm_sink.block_frames
    for start in range(0, frames, block):
        length = min(block, frames - start)
        pcm_sink.write_pcm(length, pcm.pieces(start, length))
        if progress is not None:
            progress(start + length, frames)
    return True
