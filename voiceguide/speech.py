"""Speech clips: the synthesizer interface, and a bank that trims, checks and caches clips.

A clip is a 1-D ``float32`` numpy array at ``timeline.SAMPLE_RATE`` whose first
sample is where the voice begins and whose last is where it ends (leading and
trailing silence trimmed), so that an event placed at frame ``start`` sounds
exactly from ``start``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

Audio = npt.NDArray[np.float32]


class Synthesizer(Protocol):
    """Turns text into audio.  Implementations: ``engine_pyttsx3.Pyttsx3Synthesizer``, test fakes."""

    @property
    def sample_rate(self) -> int:
        """Frames per second of what ``synthesize`` returns."""
        ...

    def identity(self) -> str:
        """Everything that changes the sound (engine, version, voice id, rate), for cache keys."""
        ...

    def synthesize(self, text: str) -> Audio:
        """The spoken text as mono float32 samples in [-1, 1], untrimmed."""
        ...
