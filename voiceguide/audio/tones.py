"""Chime tones, synthesized: ``bell``, ``beep`` and ``gong``.

Every tone is exactly ``round(TONE_SECONDS * SAMPLE_RATE)`` frames long, peaks
at ``TONE_PEAK``, starts at sample 0 with a 2 ms raised-cosine attack (sharp
enough that its onset can be located within a millisecond, soft enough not to
click), and has decayed to exact silence over its last ``SILENT_TAIL_SECONDS``,
so the next chime of a ``chime: N`` is heard as a separate strike.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.script.model import TONE_SECONDS

SOUNDS = ("bell", "beep", "gong")
"""The sound names a ``chime`` may ask for."""

TONE_FRAMES = round(TONE_SECONDS * SAMPLE_RATE)
"""Length of every tone in frames."""

TONE_PEAK = 0.5
"""Peak level of every tone: headroom for a tone and speech sounding together."""

ATTACK_SECONDS = 0.002
"""Raised-cosine attack: no click, and the onset is sharp."""

SILENT_TAIL_SECONDS = 0.2
"""The last part of every tone is silence (the release ends before it)."""

# (frequency ratio to the fundamental, amplitude, decay time constant in seconds)
Partial = tuple[float, float, float]

# A small struck bell: a hum below the strike note and inharmonic partials
# above it; the higher a partial, the faster it dies, as in a real bell.  The
# two close partials near the fundamental beat slowly, giving the shimmer.
_BELL: tuple[Partial, ...] = (
    (0.50, 0.35, 0.55),
    (1.00, 1.00, 0.45),
    (1.006, 0.45, 0.45),
    (1.19, 0.30, 0.32),
    (1.50, 0.28, 0.28),
    (2.00, 0.40, 0.22),
    (2.52, 0.18, 0.15),
    (3.01, 0.12, 0.10),
    (4.07, 0.07, 0.07),
)
_BELL_HZ = 587.33  # D5

# A gong: lower and richer, many closely spaced inharmonic partials with long
# decays, so it blooms and roars rather than rings.
_GONG: tuple[Partial, ...] = (
    (1.00, 1.00, 0.60),
    (1.012, 0.60, 0.55),
    (1.47, 0.55, 0.50),
    (1.93, 0.50, 0.42),
    (2.39, 0.42, 0.36),
    (2.87, 0.35, 0.30),
    (3.41, 0.28, 0.25),
    (3.98, 0.22, 0.20),
    (4.63, 0.16, 0.16),
    (5.37, 0.12, 0.12),
    (6.21, 0.08, 0.09),
)
_GONG_HZ = 130.81  # C3

_BEEP_HZ = 880.0
_BEEP_SECONDS = 0.25


def _attack(frames: int) -> npt.NDArray[np.float64]:
    n = round(ATTACK_SECONDS * SAMPLE_RATE)
    envelope = np.ones(frames)
    envelope[:n] = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    return envelope


def _release(frames: int, start_seconds: float, end_seconds: float) -> npt.NDArray[np.float64]:
    """1 until ``start_seconds``, a raised-cosine fall to 0 at ``end_seconds``, then 0."""
    t = np.arange(frames) / SAMPLE_RATE
    x = np.clip((t - start_seconds) / (end_seconds - start_seconds), 0.0, 1.0)
    return 0.5 + 0.5 * np.cos(np.pi * x)


def _struck(fundamental_hz: float, partials: tuple[Partial, ...]) -> npt.NDArray[np.float64]:
    t = np.arange(TONE_FRAMES) / SAMPLE_RATE
    signal = np.zeros(TONE_FRAMES)
    for ratio, amplitude, decay in partials:
        # Phases start at 0 so every partial starts from silence with the attack.
        signal += amplitude * np.exp(-t / decay) * np.sin(2 * np.pi * fundamental_hz * ratio * t)
    end = TONE_FRAMES / SAMPLE_RATE - SILENT_TAIL_SECONDS
    return signal * _release(TONE_FRAMES, end - 0.45, end)


def _beep() -> npt.NDArray[np.float64]:
    t = np.arange(TONE_FRAMES) / SAMPLE_RATE
    signal = np.sin(2 * np.pi * _BEEP_HZ * t) + 0.15 * np.sin(2 * np.pi * 2 * _BEEP_HZ * t)
    return signal * _release(TONE_FRAMES, _BEEP_SECONDS - 0.03, _BEEP_SECONDS)


@cache
def tone(sound: str) -> Audio:
    """The tone called ``sound`` (one of ``SOUNDS``) as read-only float32 mono; ``ValueError`` otherwise."""
    if sound == "bell":
        signal = _struck(_BELL_HZ, _BELL)
    elif sound == "gong":
        signal = _struck(_GONG_HZ, _GONG)
    elif sound == "beep":
        signal = _beep()
    else:
        raise ValueError(f"unknown tone {sound!r}; expected one of: {', '.join(SOUNDS)}")
    signal = signal * _attack(TONE_FRAMES)
    audio: Audio = (signal * (TONE_PEAK / np.abs(signal).max())).astype(np.float32)
    audio.flags.writeable = False
    return audio
