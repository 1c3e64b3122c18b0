"""The built-in background sounds: seeded, position-addressable noise textures.

A sound is a few *layers*.  Each layer is a pool of short segments of shaped
noise (random-phase spectra with baked-in details such as rain drops or
bubbles), made once from a fixed seed.  The sound at frame ``n`` is the sum of
the two pool segments that overlap there, each weighted by a sine window whose
squares sum to one, so the power stays level across every overlap (the
segments are independent noise).  Which segment plays at hop ``k``, in which
direction and with which sign, is a hash of ``(seed, layer, channel, k)``: any
span of any length can be rendered from any frame without state, the same
samples every time, and nothing repeats audibly (a new combination every
three quarters of a second, from 128 variants per channel (64 where drops or
bubbles are placed: they are never played backwards), with slow
movements whose periods share no common multiple within hours).

Slow movements (a wave's swell, a gust of wind) are closed-form functions of
the absolute time, evaluated on a fixed grid and interpolated, so they too are
the same whatever the blocks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, Audio, write_atomically

SEGMENT_FRAMES = 1 << 15
"""One pool segment (1.49 s at 22,050 Hz)."""

HOP_FRAMES = SEGMENT_FRAMES // 2
POOL_SIZE = 32
"""Segments in a layer's pool: with two directions and two signs, 128 variants."""

CONTROL_FRAMES = 512
"""Slow movements are computed every this many frames (23 ms) and interpolated in between."""

SEED = 20261207
_MASK = (1 << 64) - 1

Envelope = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]
"""A slow gain as a function of the time in seconds (an array of times)."""


def _mix64(value: int) -> int:
    """SplitMix64's finaliser: a well-spread 64-bit hash of ``value``."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def _bell(freqs: npt.NDArray[np.float64], centre: float, octaves: float) -> npt.NDArray[np.float64]:
    """A smooth band around ``centre`` Hz, ``octaves`` wide at half amplitude (log-frequency Gaussian)."""
    with np.errstate(divide="ignore"):
        distance = np.log2(np.maximum(freqs, 1.0) / centre)
    return np.exp(-0.5 * (distance / (octaves / 2.355)) ** 2)


def _tilt(freqs: npt.NDArray[np.float64], slope: float, low: float, high: float) -> npt.NDArray[np.float64]:
    """Amplitude ``f**slope``, high-passed at ``low`` and gently low-passed at ``high`` (both 12 dB/octave)."""
    f = np.maximum(freqs, 1.0)
    highpass = (f / low) ** 2 / (1.0 + (f / low) ** 2)
    lowpass = 1.0 / (1.0 + (f / high) ** 2)
    return f**slope * highpass * lowpass


@dataclass(frozen=True)
class Layer:
    """One strand of a sound: a spectrum, optional details baked into the segments, a slow gain."""

    spectrum: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]] | None
    level: float = 1.0
    """Amplitude relative to the sound's other layers (each layer's pool has unit power)."""
    details: Callable[[np.random.Generator], Audio] | None = None
    """Sounds placed in time (drops, bubbles) instead of a spectrum."""
    envelope: Envelope | None = None


def _drops(rng: np.random.Generator) -> Audio:
    """Rain: soft, short, pitched drops (a damped sine with a 2 ms rise: never a click), ~40 a second."""
    out = np.zeros(SEGMENT_FRAMES, dtype=np.float64)
    count = rng.poisson(40 * SEGMENT_FRAMES / SAMPLE_RATE)
    length = round(0.04 * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    rise = np.minimum(1.0, t / 0.002)
    for start, freq, decay, gain in zip(rng.integers(0, SEGMENT_FRAMES - length, count),
                                        rng.uniform(1800, 4500, count), rng.uniform(0.003, 0.009, count),
                                        np.minimum(rng.lognormal(-0.5, 0.4, count), 1.5), strict=True):
        chirp = 2 * np.pi * freq * (t + 2.0 * t * t)  # a drop rises a little in pitch
        out[start:start + length] += gain * rise * np.exp(-t / decay) * np.sin(chirp)
    return out.astype(np.float32)


def _bubbles(rng: np.random.Generator) -> Audio:
    """A stream: small rising bubbles (400-1,100 Hz, 20-50 ms), ~18 a second, in soft clusters."""
    out = np.zeros(SEGMENT_FRAMES, dtype=np.float64)
    count = rng.poisson(18 * SEGMENT_FRAMES / SAMPLE_RATE)
    length = round(0.06 * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    for start, freq, decay, gain in zip(rng.integers(0, SEGMENT_FRAMES - length, count),
                                        rng.uniform(400, 1100, count), rng.uniform(0.008, 0.02, count),
                                        np.minimum(rng.lognormal(-0.7, 0.4, count), 1.2), strict=True):
        shape = np.sin(np.pi * np.minimum(1.0, t / (3 * decay))) * np.exp(-t / decay)
        out[start:start + length] += gain * shape * np.sin(2 * np.pi * freq * (t + 6.0 * t * t))
    return out.astype(np.float32)


def _swell(seconds: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Waves: a swell every 8-13 s (its period wanders), rising faster than it falls; 0 to 1."""
    phase = (seconds / 10.3 + 0.35 * np.sin(2 * np.pi * seconds / 61.7)
             + 0.2 * np.sin(2 * np.pi * seconds / 137.9 + 1.3))
    fraction = np.mod(phase, 1.0) ** 0.6  # fast rise, slow fall
    height = 0.75 + 0.25 * np.sin(2 * np.pi * seconds / 47.3 + 0.4)  # not every wave the same
    return height * (0.5 - 0.5 * np.cos(2 * np.pi * fraction)) ** 1.5


def _gusts(seconds: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Wind: slow gusts from incommensurate periods (no repeat within hours); about 0.35 to 1."""
    g = (np.sin(2 * np.pi * seconds / 13.7) + 0.7 * np.sin(2 * np.pi * seconds / 7.9 + 1.1)
         + 0.5 * np.sin(2 * np.pi * seconds / 31.3 + 2.3) + 0.3 * np.sin(2 * np.pi * seconds / 3.7 + 0.5))
    return 0.35 + 0.65 * ((g + 2.5) / 5.0) ** 2


def _eddies(seconds: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Wind's whistle: the gusts' peaks only."""
    return _gusts(seconds) ** 2


def _murmur(seconds: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A stream's slow changes of flow, within a few decibels."""
    return 0.8 + 0.2 * np.sin(2 * np.pi * seconds / 17.3) * np.sin(2 * np.pi * seconds / 5.9 + 0.7)


@dataclass(frozen=True)
class SoundInfo:
    """A built-in sound as ``voiceguide sounds`` lists it."""

    name: str
    description: str
    layers: tuple[Layer, ...]


SOUNDS: tuple[SoundInfo, ...] = (
    SoundInfo("rain", "steady rain on leaves, soft drops over a gentle hush",
              (Layer(lambda f: _tilt(f, -0.35, 150, 5000)),
               Layer(None, level=0.5, details=_drops))),
    SoundInfo("waves", "slow waves on a beach, a swell every ten seconds or so",
              (Layer(lambda f: _tilt(f, -0.9, 40, 900), level=0.6),
               Layer(lambda f: _tilt(f, -0.4, 250, 4000), level=1.0, envelope=_swell))),
    SoundInfo("stream", "a small brook over stones: bubbling, close",
              (Layer(lambda f: _bell(f, 700, 2.5) + 0.3 * _bell(f, 2500, 2.0), envelope=_murmur),
               Layer(None, level=0.5, details=_bubbles))),
    SoundInfo("wind", "wind in the open, rising and falling in gusts",
              (Layer(lambda f: _bell(f, 350, 2.5), envelope=_gusts),
               Layer(lambda f: _bell(f, 900, 1.0), level=0.4, envelope=_eddies))),
    SoundInfo("brown", "brown noise: deep and even, like a distant waterfall",
              (Layer(lambda f: _tilt(f, -1.0, 30, 2500)),)),
    SoundInfo("pink", "pink noise: even across the octaves, softened at the top",
              (Layer(lambda f: _tilt(f, -0.5, 30, 6000)),)),
)

SOUND_NAMES = tuple(sound.name for sound in SOUNDS)


def sound_info(name: str) -> SoundInfo:
    """The built-in sound called ``name`` (``KeyError`` if none is)."""
    for sound in SOUNDS:
        if sound.name == name:
            return sound
    raise KeyError(name)


def _pools_key(seed: int) -> str:
    """What the pools depend on: this module's code, numpy's version (its generator and FFT), the seed."""
    code = Path(__file__).read_bytes()
    return hashlib.sha256(code + f"\0{np.__version__}\0{seed}".encode()).hexdigest()[:16]


def _window() -> Audio:
    """The sine window: at a half-segment overlap its squares sum to exactly one."""
    n = np.arange(SEGMENT_FRAMES, dtype=np.float64)
    return np.sin(np.pi * (n + 0.5) / SEGMENT_FRAMES).astype(np.float32)


def _pool(layer: Layer, seed: int) -> tuple[npt.NDArray[np.float32], float]:
    """``POOL_SIZE`` windowed segments of ``layer``, unit power on average, from ``seed``; and their peak unwindowed."""
    rng = np.random.default_rng(seed)
    freqs: npt.NDArray[np.float64] = np.fft.rfftfreq(SEGMENT_FRAMES, 1.0 / SAMPLE_RATE).astype(np.float64)
    pool = np.empty((POOL_SIZE, SEGMENT_FRAMES), dtype=np.float32)
    if layer.spectrum is None:
        assert layer.details is not None
        for index in range(POOL_SIZE):
            pool[index] = layer.details(rng)
    else:
        magnitude = layer.spectrum(freqs)
        magnitude[0] = 0.0
        for index in range(POOL_SIZE):
            bins = rng.standard_normal(len(freqs)) + 1j * rng.standard_normal(len(freqs))
            pool[index] = np.fft.irfft(bins * magnitude, SEGMENT_FRAMES)
    power = sum(float(np.dot(row, row)) for row in pool) / pool.size  # row by row: no copy of the pool
    pool *= np.float32(1.0 / math.sqrt(power))
    peak = max(float(pool.max()), -float(pool.min()))
    pool *= _window()
    return pool, peak


class Generator:
    """A built-in sound's samples: ``render(start, frames, channels)``, stateless and seekable.

    The pools (about 4 MB a layer) are made on first use.  ``channels`` 2 gives
    two independent strands (a wide, still image), 1 the first of them.  With a
    ``cache_dir`` they are kept there once made (``bed-NAME-pools-KEY.npz``, 4-8 MB
    a sound): making them takes 0.03-0.1 s of CPU (0.1-0.3 s at a load of 10),
    reading them back a few milliseconds, before a live session's first sound.
    The key is a hash of this module's code, numpy's version and the seed, so a
    changed generator never reads old pools.
    """

    def __init__(self, name: str, seed: int = SEED, *, cache_dir: Path | None = None) -> None:
        self.info = sound_info(name)
        self._seed = _mix64(seed ^ _mix64(sum(ord(c) << (8 * i) for i, c in enumerate(name))))
        self._strands: list[tuple[Envelope | None, npt.NDArray[np.float32], float]] | None = None
        self._cache = cache_dir / f"bed-{name}-pools-{_pools_key(self._seed)}.npz" if cache_dir is not None else None
        steady = [layer for layer in self.info.layers if layer.envelope is None]
        moving = [layer for layer in self.info.layers if layer.envelope is not None]
        # A strand with placed sounds (drops, bubbles) is never played backwards: a reversed drop rises slowly
        # and stops dead, a "ramped" sound that no rain makes (its decay, 3-20 ms, is where ears tell them apart).
        self._reversible = ([all(layer.details is None for layer in steady)] if steady else []) + [
            layer.details is None for layer in moving]

    def _made(self) -> list[tuple[Envelope | None, npt.NDArray[np.float32], float]]:
        """Each strand's slow gain, windowed pool (level applied) and peak bound; the steady layers summed in one."""
        if self._strands is None:
            self._strands = self._cached()
        if self._strands is None:
            # Layer by layer, summed in place: memory holds the finished pools and one layer's at most.
            steady: npt.NDArray[np.float32] | None = None
            steady_peak = 0.0
            moving: list[tuple[Envelope | None, npt.NDArray[np.float32], float]] = []
            for index, layer in enumerate(self.info.layers):
                pool, peak = _pool(layer, _mix64(self._seed + index))
                pool *= np.float32(layer.level)
                if layer.envelope is not None:
                    moving.append((layer.envelope, pool, layer.level * peak))
                elif steady is None:
                    steady, steady_peak = pool, layer.level * peak
                else:
                    steady += pool
                    steady_peak += layer.level * peak
                del pool
            strands: list[tuple[Envelope | None, npt.NDArray[np.float32], float]] = []
            if steady is not None:
                strands.append((None, steady, steady_peak))
            strands += moving
            self._strands = strands
            self._keep(strands)
        return self._strands

    def _envelopes(self) -> list[Envelope | None]:
        """The strands' slow gains, in ``_made``'s order: the steady strand (if any), then each moving layer's."""
        moving = [layer.envelope for layer in self.info.layers if layer.envelope is not None]
        return ([None] if len(moving) < len(self.info.layers) else []) + moving

    def _cached(self) -> list[tuple[Envelope | None, npt.NDArray[np.float32], float]] | None:
        """The pools kept by an earlier run, or None (none, or not whole: made again)."""
        if self._cache is None:
            return None
        envelopes = self._envelopes()
        try:
            with np.load(self._cache, allow_pickle=False) as kept:
                pools, peaks = kept["pools"], kept["peaks"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        if (pools.dtype != np.float32 or pools.shape != (len(envelopes), POOL_SIZE, SEGMENT_FRAMES)
                or peaks.shape != (len(envelopes),) or not np.all(np.isfinite(peaks))):
            return None
        with contextlib.suppress(OSError):
            os.utime(self._cache)  # the last use, for the cache cap's least-recently-used order
        return [(envelope, pools[index], float(peaks[index])) for index, envelope in enumerate(envelopes)]

    def _keep(self, strands: list[tuple[Envelope | None, npt.NDArray[np.float32], float]]) -> None:
        """Store the pools for the next run (written whole or not at all; a cache that cannot be written is skipped)."""
        if self._cache is None:
            return
        buffer = io.BytesIO()
        np.savez(buffer, pools=np.stack([pool for _, pool, _ in strands]),
                 peaks=np.array([peak for _, _, peak in strands], dtype=np.float64))
        with contextlib.suppress(OSError):
            self._cache.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self._cache, buffer.getvalue())

    def peak_bound(self, channels: int) -> float:
        """No sample is larger than this: two segments overlap, windowed by w1, w2 with w1² + w2² = 1
        (so w1 + w2 <= √2), and the slow gains are at most 1."""
        return sum(math.sqrt(2.0) * peak for _, _, peak in self._made())

    def render(self, start: int, frames: int, channels: int) -> npt.NDArray[np.float32]:
        """``frames`` frames from frame ``start``, planar: shape ``(channels, frames)``, float32."""
        out = np.zeros((channels, frames), dtype=np.float32)
        if frames <= 0:
            return out
        strands = self._made()
        strand = np.empty((channels, frames), dtype=np.float32) if len(strands) > 1 else out
        for index, (envelope, pool, _) in enumerate(strands):
            if strand is not out:
                strand.fill(0.0)
            for channel in range(channels):
                self._add_strand(strand[channel], pool, start, index, channel, self._reversible[index])
            if envelope is not None:
                strand *= slow_gain(envelope, start, frames)
            if strand is not out:
                out += strand
        return out

    def _add_strand(self, out: Audio, pool: npt.NDArray[np.float32], start: int, layer: int, channel: int,
                    reversible: bool) -> None:
        """Add, into ``out`` (from frame ``start``), the overlapping pool segments of one strand."""
        stop = start + len(out)
        first = max(0, (start - SEGMENT_FRAMES) // HOP_FRAMES + 1)
        last = (stop - 1) // HOP_FRAMES
        for k in range(first, last + 1):
            seg_start = k * HOP_FRAMES
            lo, hi = max(start, seg_start), min(stop, seg_start + SEGMENT_FRAMES)
            if hi <= lo:
                continue
            choice = _mix64(self._seed ^ (layer << 56) ^ (channel << 48) ^ k)
            segment = pool[choice % POOL_SIZE]
            if reversible and choice & (1 << 40):
                segment = segment[::-1]
            piece = segment[lo - seg_start:hi - seg_start]
            if choice & (1 << 41):
                out[lo - start:hi - start] -= piece
            else:
                out[lo - start:hi - start] += piece


def slow_gain(envelope: Envelope, start: int, frames: int) -> npt.NDArray[np.float32]:
    """``envelope`` over ``[start, start + frames)``: computed on the fixed control grid, linear in between."""
    first = start // CONTROL_FRAMES
    last = (start + frames - 1) // CONTROL_FRAMES + 1
    values = envelope(np.arange(first, last + 1, dtype=np.float64) * (CONTROL_FRAMES / SAMPLE_RATE))
    values = values.astype(np.float32)
    ramps = values[:-1, None] + (values[1:] - values[:-1])[:, None] * _RAMP[None, :]
    offset = start - first * CONTROL_FRAMES
    gains: npt.NDArray[np.float32] = ramps.reshape(-1)[offset:offset + frames]
    return gains


_RAMP = (np.arange(CONTROL_FRAMES, dtype=np.float32) / np.float32(CONTROL_FRAMES))


def describe(names: Sequence[str] = SOUND_NAMES) -> list[tuple[str, str]]:
    """``(name, description)`` of each built-in sound, for listing."""
    return [(name, sound_info(name).description) for name in names]


def hop_count(seconds: float) -> int:
    """How many new segment choices ``seconds`` of a sound holds (for the docs' claims)."""
    return math.ceil(seconds * SAMPLE_RATE / HOP_FRAMES)
