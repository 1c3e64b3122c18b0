"""Test doubles built by implementing the protocols (no mock.patch), and the real engine's starter for tests."""

from __future__ import annotations

import hashlib
import re
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from tests.required import required
from voiceguide.base import Audio
from voiceguide.errors import EngineError
from voiceguide.phrases import load_phrasebook
from voiceguide.phrases.numbers import number_words
from voiceguide.speech.clips import Synthesizer
from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer
from voiceguide.timeline.layout import Event

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
        required(f"no speech engine: {error.message}")


# -- random scripts (hypothesis strategies) ------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
SEEDS = [path.read_bytes() for path in sorted((REPO / "tests" / "data" / "valid").glob("*.yaml"))]
SEEDS += [path.read_bytes() for path in sorted((REPO / "scripts").glob("*.yaml"))]

KEYS = ["voiceguide", "title", "description", "language", "voice", "cautions", "steps", "x-extra",
        "say", "pause", "chime", "breathe", "press", "repeat", "section", "label", "announce",
        "inhale", "hold", "exhale", "rest", "cycles", "for", "count", "words", "point", "where", "side",
        "prepare", "cue_every", "halfway", "countdown", "name", "rate", "volume", "sound", "exale", "<<"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 500), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["90s", "1m 30s", "0", "-5s", "1.5m", "250ms", "25h", "left", "both", "gong", "en-GB", "x",
                     "", "1m 30", "Hello.", "5 min"]),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    max_leaves=20,
)

INSERTS = [":", "- ", "\n", "  ", "\t", "[", "{", "}", "&a ", "*a", "<<: ", "!!python/x ", "!t ", "'", '"', "#",
           "---\n", "0", "-1", "ms", "é", "\x00", "x-", "? "]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid script (data or shipped) with one to four byte-level mutations."""
    source = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(source)))
        action = draw(st.sampled_from(["delete", "insert", "swap", "swap values", "byte"]))
        if action == "delete":
            del source[where:where + draw(st.integers(1, 12))]
        elif action == "insert":
            source[where:where] = draw(st.sampled_from(INSERTS)).encode("utf-8")
        elif action == "swap":
            lines = bytes(source).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            source = bytearray(b"\n".join(lines))
        elif action == "swap values":
            lines = bytes(source).split(b"\n")
            keyed = [n for n, line in enumerate(lines) if b": " in line]
            if len(keyed) >= 2:
                i, j = draw(st.sampled_from(keyed)), draw(st.sampled_from(keyed))
                (key_i, value_i), (key_j, value_j) = lines[i].split(b": ", 1), lines[j].split(b": ", 1)
                lines[i], lines[j] = key_i + b": " + value_j, key_j + b": " + value_i
                source = bytearray(b"\n".join(lines))
        else:
            source[where:where] = bytes([draw(st.integers(0x80, 0xFF))])
    return bytes(source)


# -- the phrasebooks' words ---------------------------------------------------------------

GENERATED = {"inhale", "hold", "exhale", "rest", "count", "announce", "press", "release", "remaining", "halfway",
             "countdown", "round"}
"""The cues whose words come from the phrasebook (the others speak the script's own text)."""


def lower(text: str) -> str:
    """Lower case, undoing Dutch sentence case ("Eén" starts a sentence with "één")."""
    return re.sub(r"\beén\b", "één", text.lower())


def words(text: str) -> set[str]:
    """The words of a text, lower case, without digits."""
    return set(re.findall(r"[^\W\d_]+", lower(text)))


def vocabulary(language: str) -> set[str]:
    """Every word the language's phrasebook and its numbers (0-200, in every noun form) can say."""
    book = load_phrasebook(language)
    found: set[str] = set()
    for template in book.templates.values():
        found |= words(re.sub(r"\{\w+\}", " ", template))
    for n in range(201):
        for noun in (None, "second", "minute", "hour"):
            found |= words(number_words(n, language, noun))  # type: ignore[arg-type]
    return found


class FakeOutput:
    """A ``Sink`` whose clock moves only when the test calls ``advance``."""

    def __init__(self, block_frames: int = 256, queue_blocks: int = 8) -> None:
        self._block_frames = block_frames
        self._queue_frames = queue_blocks * block_frames
        self.queue: deque[Audio] = deque()
        self.played: list[Audio] = []
        self._position = 0

    @property
    def block_frames(self) -> int:
        return self._block_frames

    @property
    def position(self) -> int:
        return self._position

    def free_frames(self) -> int:
        return self._queue_frames - sum(len(b) for b in self.queue)

    def write(self, block: Audio) -> None:
        assert 0 < len(block) <= self._block_frames  # whole blocks; only the very last may be shorter
        self.queue.append(block.copy())

    def discard(self) -> int:
        dropped = sum(len(b) for b in self.queue)
        self.queue.clear()
        return dropped

    def close(self) -> None:
        pass

    def abort(self) -> None:
        self.queue.clear()

    def advance(self, frames: int) -> None:
        """Consume whole blocks covering ``frames`` (an underrun counts as silence, not position)."""
        for _ in range(-(-frames // self._block_frames)):
            if not self.queue:
                raise AssertionError("underrun: the player did not keep the queue fed")
            block = self.queue.popleft()
            self.played.append(block)
            self._position += len(block)

    def audio(self) -> Audio:
        return np.concatenate(self.played) if self.played else np.zeros(0, np.float32)


class WallClockOutput:
    """An Output whose device consumes written blocks in step with the wall clock, at ``rate`` frames a second."""

    block_frames = 256

    def __init__(self, rate: int = 100_000) -> None:
        self._rate = rate
        self._zero = time.monotonic()
        self._consumed_at_zero = 0
        self.queued: list[np.ndarray] = []
        self.heard: list[np.ndarray] = []
        self._position = 0

    def _advance(self) -> None:
        due = self._consumed_at_zero + int((time.monotonic() - self._zero) * self._rate)
        while self.queued and self._position + len(self.queued[0]) <= due:
            block = self.queued.pop(0)
            self.heard.append(block)
            self._position += len(block)
        if not self.queued:  # an idle device does not bank time
            self._zero, self._consumed_at_zero = time.monotonic(), self._position

    @property
    def position(self) -> int:
        self._advance()
        return self._position

    def free_frames(self) -> int:
        self._advance()
        return max(0, 4 * self.block_frames - sum(len(b) for b in self.queued))

    def write(self, block: np.ndarray) -> None:
        self._advance()
        self.queued.append(block)

    def discard(self) -> int:
        self._advance()
        dropped = sum(len(b) for b in self.queued)
        self.queued = []
        return dropped
