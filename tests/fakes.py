"""Test doubles built by implementing the protocols (no mock.patch)."""

from __future__ import annotations

import hashlib

import numpy as np

from voiceguide.base import Audio
from voiceguide.speech.clips import Synthesizer

FAKE_RATE = 22050


class FakeSynthesizer:
    """A deterministic stand-in for a TTS engine: a tone burst per text.

    Like espeak-ng it adds ~10 ms of leading and ~240 ms of trailing silence, so
    trimming is exercised.  The voiced part lasts 60 ms per character (at least
    120 ms), so lengths are predictable: ``voiced_frames(text)``.
    """

    LEAD_FRAMES = 220
    TAIL_FRAMES = 5292

    def __init__(self, sample_rate: int = FAKE_RATE, name: str = "fake") -> None:
        self._sample_rate = sample_rate
        self._name = name
        self.calls: list[str] = []

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def identity(self) -> str:
        return f"fake:{self._name}:{self._sample_rate}"

    def voiced_frames(self, text: str) -> int:
        return max(round(0.120 * self._sample_rate), round(0.060 * self._sample_rate) * len(text))

    def synthesize(self, text: str) -> Audio:
        self.calls.append(text)
        n = self.voiced_frames(text)
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:2], "big")
        freq = 180.0 + seed % 120
        t = np.arange(n) / self._sample_rate
        voiced = 0.5 * np.sin(2 * np.pi * freq * t)
        silence_lead = np.zeros(self.LEAD_FRAMES)
        silence_tail = np.zeros(self.TAIL_FRAMES)
        return np.concatenate([silence_lead, voiced, silence_tail]).astype(np.float32)


def fake_measure(text: str) -> int:
    """A pure ``measure`` for timeline tests: 60 ms per character, at least 120 ms, at 22050 Hz."""
    return max(round(0.120 * FAKE_RATE), round(0.060 * FAKE_RATE) * len(text))


class CountingSynthesizer:
    """Wraps any synthesizer and records every text it is asked to synthesize (real or fake)."""

    def __init__(self, inner: Synthesizer) -> None:
        self.inner = inner
        self.calls: list[str] = []

    @property
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    def identity(self) -> str:
        return self.inner.identity()

    def synthesize(self, text: str) -> Audio:
        self.calls.append(text)
        return self.inner.synthesize(text)
