"""From an engine's raw utterance to a clip: resampled, trimmed to where the voice begins and ends, faded.

A clip is a 1-D ``float32`` array at ``SAMPLE_RATE`` whose first sample is where
the voice begins and whose last is where it ends, so that an event placed at
frame ``start`` sounds exactly from ``start``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.errors import EngineError

__all__ = ["FADE_IN_FRAMES", "FADE_OUT_FRAMES", "TRIM_THRESHOLD_DB", "level_speech", "prepare_clip", "resample"]

PEAK = 0.7
"""Peak level of every clip: headroom so speech and tones can overlap without clipping."""

TRIM_THRESHOLD_DB = -40.0
"""Trailing samples quieter than this, relative to the clip's peak, are cut (and leading ones)."""

ONSET_THRESHOLD_DB = -30.0
"""Where the voice begins: the start of the run of samples within 30 dB of the sound's early peak.

A sound's onset is where it rises to within 30 dB of its own peak, walking
back through short dips (the rule of the onset detector in tests/onsets.py).
A breathy "h" or a soft "th" can creep in below that, or in sparse crackles,
for 5-15 ms before the voice; starting the clip there would make the voice
audibly begin that much after its planned instant, so that faint lead-in is
cut.
"""

ONSET_WINDOW_SECONDS = 0.3
"""The early peak is taken from the first audible sample to this long after the voice is clearly on."""

ONSET_GAP_FRAMES = 16
"""Dips below the onset level shorter than this (0.7 ms: zero crossings) do not break the run."""

ANCHOR_BELOW_LOUDEST_DB = 25.0
"""The voice is clearly on at the first 5 ms frame within this much of the clip's loudest frame."""

SILENT_PEAK = 1e-4
"""A clip whose peak is below this (-80 dBFS) has no voice in it."""

FADE_IN_FRAMES = 11
"""A 0.5 ms raised-cosine fade-in: the trim lands mid-waveform, so the first sample must be 0."""

FADE_OUT_FRAMES = 44
"""A 2 ms raised-cosine fade-out, for the same reason at the end."""


def resample(audio: Audio, from_rate: int, to_rate: int) -> Audio:
    """``audio`` at ``to_rate``: band-limited (FFT) resampling, length ``round(n * to / from)``."""
    if from_rate == to_rate or audio.size == 0:
        return np.asarray(audio, dtype=np.float32)
    n = audio.size
    m = max(1, round(n * to_rate / from_rate))
    spectrum = np.fft.rfft(audio.astype(np.float64))
    keep = min(spectrum.size, m // 2 + 1)
    out_spectrum = np.zeros(m // 2 + 1, dtype=np.complex128)
    out_spectrum[:keep] = spectrum[:keep]
    return (np.fft.irfft(out_spectrum, m) * (m / n)).astype(np.float32)


def _raised_cosine(frames: int) -> npt.NDArray[np.float32]:
    """A ramp from 0 (inclusive) towards 1 (exclusive) over ``frames`` samples."""
    return (0.5 - 0.5 * np.cos(np.pi * np.arange(frames) / frames)).astype(np.float32)


def prepare_clip(raw: npt.ArrayLike, sample_rate: int, text: str) -> Audio:
    """Check, resample, trim and normalize an engine's output into a clip.

    Raises ``EngineError`` if the audio is empty, not finite, or silent.  The
    result starts where the voice does (``ONSET_THRESHOLD_DB``), ends after the
    last sample louder than ``TRIM_THRESHOLD_DB`` re its peak, has short fades
    at both edges, peaks at ``PEAK`` and is read-only (clips are shared between
    threads).
    """
    audio = np.asarray(raw, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1, dtype=np.float32)
    if audio.ndim != 1 or audio.size == 0:
        raise EngineError(f"The speech engine produced no audio for {text!r}.")
    if not np.all(np.isfinite(audio)):
        raise EngineError(f"The speech engine produced invalid samples for {text!r}.")
    audio = resample(audio, sample_rate, SAMPLE_RATE)
    magnitude = np.abs(audio)
    peak = float(magnitude.max())
    if peak < SILENT_PEAK:
        raise EngineError(f"The speech engine produced only silence for {text!r}.")
    voiced = magnitude > peak * 10.0 ** (TRIM_THRESHOLD_DB / 20.0)
    audible, last = int(np.argmax(voiced)), magnitude.size - 1 - int(np.argmax(voiced[::-1]))
    first = _voice_start(magnitude, audible, last)
    clip = audio[first:last + 1] * np.float32(PEAK / peak)
    fade_in = min(FADE_IN_FRAMES, clip.size // 2)
    fade_out = min(FADE_OUT_FRAMES, clip.size // 2)
    clip[:fade_in] *= _raised_cosine(fade_in)
    if fade_out:
        clip[-fade_out:] *= _raised_cosine(fade_out)[::-1]
    clip = np.ascontiguousarray(clip, dtype=np.float32)
    clip.flags.writeable = False
    return clip


def level_speech(clip: Audio) -> Audio:
    """A prepared clip levelled to the loudness every clip shares (``levelling.level_clip``)."""
    from voiceguide.dsp.levelling import level_clip

    return level_clip(clip, SAMPLE_RATE)


def _voice_start(magnitude: npt.NDArray[np.float32], audible: int, last: int) -> int:
    """The sample where the voice begins (see ``ONSET_THRESHOLD_DB``), between ``audible`` and ``last``."""
    frame = round(0.005 * SAMPLE_RATE)
    segment = magnitude[audible:last + 1].astype(np.float64)
    count = max(1, segment.size // frame)
    frames = np.zeros(count * frame)
    frames[:min(segment.size, count * frame)] = segment[:count * frame]
    rms = np.sqrt(np.mean(frames.reshape(count, frame) ** 2, axis=1))
    anchor_frame = int(np.argmax(rms >= rms.max() * 10.0 ** (-ANCHOR_BELOW_LOUDEST_DB / 20.0)))
    anchor = audible + anchor_frame * frame
    window = magnitude[audible:anchor + frame + round(ONSET_WINDOW_SECONDS * SAMPLE_RATE)]
    above = np.flatnonzero(window >= window.max() * 10.0 ** (ONSET_THRESHOLD_DB / 20.0))
    # Walk back from the first loud-enough sample of the anchor frame through
    # short dips; the run's first sample is where the voice begins.
    index = min(int(np.searchsorted(above, anchor - audible)), above.size - 1)
    breaks = np.flatnonzero(np.diff(above[:index + 1]) > ONSET_GAP_FRAMES)
    start = int(above[breaks[-1] + 1]) if breaks.size else int(above[0])
    return audible + start
