"""Test doubles built by implementing the protocols (no mock.patch), and the real engine's starter for tests."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np
import pytest

from voiceguide.base import Audio
from voiceguide.errors import EngineError
from voiceguide.speech.clips import Synthesizer
from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer
from voiceguide.timeline.compiler import Event

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


# -- mixer inputs: events and the clips that sound them ------------------------------

def speech(start: int, text: str, length: int, *, cue: str = "say") -> Event:
    """A speech event of step 1 (frames)."""
    return Event(
        start=start, length=length, kind="speech", cue=cue, text=text, sound=None, step="1", side=None, section=None
    )


def tone_event(start: int, length: int, sound: str = "bell") -> Event:
    """A chime's tone event of step 1 (frames)."""
    return Event(
        start=start, length=length, kind="tone", cue="chime", text=None, sound=sound, step="1", side=None, section=None
    )


def noise(key: str, frames: int, amplitude: float = 0.6) -> Audio:
    """Deterministic noise for ``key``: the same key always gives the same samples."""
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
    rng = np.random.default_rng(seed)
    return (amplitude * rng.uniform(-1, 1, frames)).astype(np.float32)


class FakeClips:
    """A ClipSource: deterministic noise per event, exactly ``event.length`` frames."""

    def __init__(self, amplitude: float = 0.6) -> None:
        self.amplitude = amplitude
        self._made: dict[tuple[str, int], Audio] = {}

    def clip(self, event: Event) -> Audio:
        key = (f"{event.kind}:{event.text}:{event.sound}", event.length)
        if key not in self._made:
            self._made[key] = noise(key[0], event.length, self.amplitude)
        return self._made[key]


def busy_events() -> list[Event]:
    """Overlapping speech and tones, some loud enough together to need the limiter."""
    events = []
    for i in range(40):
        events.append(speech(i * 3001 + (i % 7), f"cue {i % 9}", 2500 + 37 * (i % 5)))
        if i % 3 == 0:
            events.append(tone_event(i * 3001 + 1200, 4000, sound=("bell", "gong")[i % 2]))
    return events


# -- the real engine ---------------------------------------------------------------------

def start_engine(**kwargs: Any) -> Pyttsx3Synthesizer:
    """A real synthesizer; skips the test if the engine is missing (fails under CI=true)."""
    try:
        return Pyttsx3Synthesizer(**kwargs)
    except EngineError as error:
        if "not available" not in error.message:
            raise
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the speech engine is required under CI=true: {error.message}")
        pytest.skip(f"no speech engine: {error.message}")
