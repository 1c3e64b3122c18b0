"""Speech segments from a microphone stream: voice activity, where a word begins and ends, and our own sound.

- ``Segmenter`` cuts 30 ms frames of 16 kHz audio into speech segments with
  WebRTC's voice activity detector (a segment ends after ``END_SILENCE_SECONDS``
  of silence; longer than ``MAX_SEGMENT_SECONDS`` is no command and is dropped).
  Each segment knows the voice heard before it (``Segment.before``), so that a
  word in the middle of a conversation is told from one said into a quiet room.
- ``SoundGate`` remembers when voiceguide itself was making sound.  A segment
  whose voiced part overlaps it (or starts within ``ECHO_MARGIN_SECONDS`` of its
  end: the room's echo) is never recognised: the player cannot react to its own
  voice or chimes.  Only the voiced part counts, not the pre-roll before it nor
  the silence that ends it, so a listener who answers promptly is heard.
- A segment's samples have the room's steady sound taken out
  (``denoise.NoiseSpectrum``, learnt from the frames without voice) before the
  recognizer hears them.
- ``StandingOut`` asks more of the voice detector's verdict: the frame must
  also stand out of the room's steady sound (a floor tracked over the last
  ``FLOOR_WINDOW_SECONDS``), so that a bed of rain, waves or noise, or a fan, is
  not taken for a voice that goes on and on.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voiceguide.play.denoise import NoiseSpectrum

LISTEN_RATE = 16000
"""Frames per second of the microphone stream (what the VAD and Whisper take)."""

FRAME_SECONDS = 0.03
FRAME_SAMPLES = round(LISTEN_RATE * FRAME_SECONDS)

START_VOICED_FRAMES = 3
"""Voiced frames among the last ``START_WINDOW_FRAMES`` that start a segment."""
START_WINDOW_FRAMES = 5
PRE_ROLL_FRAMES = 12
"""Frames kept before the start (360 ms): the VAD hears a word a little after it begins, and Whisper needs
its soft onset."""
END_SILENCE_SECONDS = 0.18
"""Silence that ends a segment: the answer waits for it (0.24 s before; recognition measured the same)."""
EARLY_SILENCE_SECONDS = 0.09
"""Silence after which a segment is recognised early (``Segmenter.early``), in case no more voice comes."""
LEAD_IN_SECONDS = 0.2
"""Silence put before a segment's samples for the recognizer: Whisper hears the first word better after a
pause (with the longer pre-roll: 152 of 165 commands by untuned voices instead of 149, ``bench_listen``)."""
MIN_SEGMENT_SECONDS = 0.15
"""Less voiced time than this is a click or a cough, not a word."""
MAX_SEGMENT_SECONDS = 3.0
"""A command is a word or two: anything longer is conversation, not a command."""

ECHO_MARGIN_SECONDS = 0.4
"""After voiceguide's own sound, beyond the devices' latency: the room's echo and reverberation."""
LEAD_MARGIN_SECONDS = 0.1
"""Before voiceguide's own sound: the error of the two clocks (output and microphone latency estimates)."""

FLOOR_WINDOW_SECONDS = 0.7
"""The room's steady sound is the quietest frame of this long a stretch of it (in the voice's band): a wave's
swell rises only a few decibels in it."""
FLOOR_HOLD_SECONDS = MAX_SEGMENT_SECONDS
"""How long the floor stays where it was while frames stand out: as long as a command may last.  Held for
less (0.6 s), the floor caught up with a television's or a conversation's voice and cut it into pieces with
quiet gaps between them, each then heard as said alone into a quiet room (a live test heard "pause" in one)."""
STAND_OUT_DB = 12.0
"""How far above that floor a frame must be to be voice (``bench_listen --only-beds``: 9 dB let swells of
``waves`` through, 12 dB kept every quiet voice the detector heard alone)."""
STAND_OUT_HANG_FRAMES = 3
"""Frames after one that stood out that still count as voice when the detector says so: a word's fading end."""
VOICE_BAND_HZ = (300.0, 4000.0)

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Segment:
    """A stretch of speech: 16 kHz samples and the monotonic times it was captured between.

    ``voiced_from``..``voiced_to`` is the part the VAD heard as voice: the samples reach back
    ``PRE_ROLL_FRAMES`` before it and go on ``END_SILENCE_SECONDS`` after it.  ``before`` is the voiced
    span of the voice heard before this one (a word, or a remark too long to be a command; not a click), if any.
    """

    samples: Samples
    start_time: float
    end_time: float
    voiced_from: float
    voiced_to: float
    before: tuple[float, float] | None = None


class VoiceActivity(Protocol):
    """Says whether one 30 ms frame of 16-bit PCM holds speech (``webrtcvad.Vad.is_speech``)."""

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        """True when the frame holds speech."""
        ...


class StandingOut:
    """A voice detector that asks more of ``vad``: a frame is voice only when it also stands ``STAND_OUT_DB``
    above the room's steady sound (or follows one that did by at most ``STAND_OUT_HANG_FRAMES``).

    The floor is the quietest frame of the last ``FLOOR_WINDOW_SECONDS`` that did not stand out, measured in
    the voice's band: it follows a bed (rain, waves, noise) or a fan up and down, stays where it was while a
    voice stands out (a long vowel is not taken for the room's sound), and sits at the microphone's own hiss
    in a quiet room, so a soft voice there stands out as much as it ever did.  A sound that stands out for
    longer than a command can last (a fan switched on) becomes the floor.
    """

    def __init__(self, vad: VoiceActivity, *, stand_out_db: float = STAND_OUT_DB,
                 window_seconds: float = FLOOR_WINDOW_SECONDS, hang_frames: int = STAND_OUT_HANG_FRAMES,
                 hold_seconds: float = FLOOR_HOLD_SECONDS) -> None:
        self._vad = vad
        self._margin = stand_out_db
        self._hang = hang_frames
        self._levels: deque[float] = deque(maxlen=max(1, round(window_seconds / FRAME_SECONDS)))
        self._since = hang_frames + 1  # frames since one stood out
        self._standing = 0  # frames in a row that stood out
        self._freeze = round(hold_seconds / FRAME_SECONDS)
        self._window: npt.NDArray[np.float64] | None = None
        self._band = slice(0, 0)

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        """The detector's verdict on ``frame`` (16-bit PCM), kept when the frame stands out of the floor."""
        voiced = self._vad.is_speech(frame, sample_rate)  # always: WebRTC's detector adapts to every frame
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        if self._window is None or self._window.size != samples.size:
            self._window = np.hanning(samples.size)
            bins = np.fft.rfftfreq(samples.size, 1.0 / sample_rate)
            low, high = np.searchsorted(bins, VOICE_BAND_HZ)
            self._band = slice(int(low), int(high))
        power = float(np.sum(np.square(np.abs(np.fft.rfft(samples * self._window)[self._band]))))
        level = 10.0 * np.log10(power + 1.0)  # +1: digital silence is a floor too, not minus infinity
        stands_out = bool(self._levels) and level > min(self._levels) + self._margin
        self._standing = self._standing + 1 if stands_out else 0
        if not stands_out or self._standing > self._freeze:
            self._levels.append(level)
        self._since = 0 if stands_out else self._since + 1
        return voiced and self._since <= self._hang

    def retake(self) -> None:
        """Forget the floor: the room's steady sound rose at once (the echo canceller lost the bed's echo and
        passes it as it is), and it is taken again from the next frames, none of them held for a voice."""
        self._levels.clear()
        self._standing = 0
        self._since = self._hang + 1


class Segmenter:
    """Cuts a stream of 30 ms frames into speech segments (feed with ``push``)."""

    def __init__(self, vad: VoiceActivity, *, pre_roll_frames: int = PRE_ROLL_FRAMES,
                 end_silence_seconds: float = END_SILENCE_SECONDS, lead_in_seconds: float = LEAD_IN_SECONDS,
                 denoise: bool = True) -> None:
        self._vad = vad
        self._noise = NoiseSpectrum() if denoise else None
        self._end_silence = end_silence_seconds
        self._lead_in = np.zeros(round(lead_in_seconds * LISTEN_RATE), dtype=np.float32)
        self._recent: deque[tuple[Samples, float, bool]] = deque(maxlen=pre_roll_frames)
        self._frames: list[Samples] = []
        self._start_time = 0.0
        self._voiced = (0.0, 0.0)
        self._before: tuple[float, float] | None = None  # the voiced span of the sound before this one
        self._silent_frames = 0
        self._voiced_frames = 0
        self._active = False
        self._skipping = False  # inside speech too long to be a command: wait for a silence

    def push(self, frame: Samples, end_time: float) -> Segment | None:
        """Add one frame (float32, ``FRAME_SAMPLES`` long) captured up to ``end_time``; a finished segment or None."""
        pcm = (np.clip(frame, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        voiced = self._vad.is_speech(pcm, LISTEN_RATE)
        if self._noise is not None and not voiced and not self._active:
            self._noise.add(frame)
        if self._skipping:
            self._silent_frames = 0 if voiced else self._silent_frames + 1
            if voiced:
                self._voiced = (self._voiced[0], end_time)
            self._skipping = self._silent_frames * FRAME_SECONDS < self._end_silence
            if not self._skipping:
                self._before = self._voiced
            return None
        if not self._active:
            self._recent.append((frame, end_time, voiced))
            window = list(self._recent)[-START_WINDOW_FRAMES:]
            if sum(v for _, _, v in window) >= START_VOICED_FRAMES:
                self._start(end_time)
            return None
        self._frames.append(frame)
        self._silent_frames = 0 if voiced else self._silent_frames + 1
        if voiced:
            self._voiced = (self._voiced[0], end_time)
        self._voiced_frames += voiced
        seconds = len(self._frames) * FRAME_SECONDS
        if self._silent_frames * FRAME_SECONDS < self._end_silence and seconds <= MAX_SEGMENT_SECONDS:
            return None
        frames, self._frames, self._active = self._frames, [], False
        before, voiced_frames = self._before, self._voiced_frames
        if seconds > MAX_SEGMENT_SECONDS:
            self._recent.clear()
            self._skipping, self._silent_frames = True, 0
            return None
        if voiced_frames * FRAME_SECONDS < MIN_SEGMENT_SECONDS:
            return None  # a click is no voice before the next word either
        self._before = self._voiced
        return Segment(self._samples(frames), self._start_time, end_time, *self._voiced, before)

    def retake_floor(self) -> None:
        """The room's steady sound rose at once (``StandingOut.retake``): a no-op for other detectors."""
        if isinstance(self._vad, StandingOut):
            self._vad.retake()

    def early(self) -> Segment | None:
        """The segment being cut, once ``EARLY_SILENCE_SECONDS`` of silence follow its voice (else None): it can
        be recognised while the rest of the closing silence is awaited.  Call after each ``push``."""
        if not self._active or self._silent_frames != round(EARLY_SILENCE_SECONDS / FRAME_SECONDS):
            return None
        if self._voiced_frames * FRAME_SECONDS < MIN_SEGMENT_SECONDS:
            return None
        return Segment(self._samples(self._frames), self._start_time,
                       self._voiced[1] + EARLY_SILENCE_SECONDS, *self._voiced, self._before)

    def _samples(self, frames: list[Samples]) -> Samples:
        voice = np.concatenate(frames)
        return np.concatenate([self._lead_in, voice if self._noise is None else self._noise.clean(voice)])

    def _start(self, end_time: float) -> None:
        self._active = True
        self._frames = [f for f, _, _ in self._recent]
        self._start_time = self._recent[0][1] - FRAME_SECONDS
        self._voiced = (next(t for _, t, v in self._recent if v) - FRAME_SECONDS, end_time)
        self._silent_frames = 0
        self._voiced_frames = sum(v for _, _, v in self._recent)
        self._recent.clear()


class SoundGate:
    """When voiceguide was making sound (monotonic seconds), so its own voice and echo are ignored."""

    def __init__(self, margin_seconds: float = ECHO_MARGIN_SECONDS, keep_seconds: float = 120.0,
                 lead_seconds: float = LEAD_MARGIN_SECONDS) -> None:
        self._margin = margin_seconds
        self._lead = lead_seconds
        self._keep = keep_seconds
        self._lock = threading.Lock()
        self._spans: deque[list[float]] = deque()

    def note_sound(self, start_time: float, end_time: float) -> None:
        """Voiceguide's output was audible from ``start_time`` to ``end_time`` (joined to a touching span)."""
        with self._lock:
            if self._spans and start_time <= self._spans[-1][1] + 0.05:
                self._spans[-1][1] = max(self._spans[-1][1], end_time)
            else:
                self._spans.append([start_time, end_time])
            while self._spans and self._spans[0][1] < end_time - self._keep:
                self._spans.popleft()

    def covers(self, segment: Segment) -> bool:
        """Whether the segment's voice may be voiceguide's own sound or its echo (then it is not heard)."""
        return self.overlaps(segment.voiced_from, segment.voiced_to)

    def overlaps(self, start_time: float, end_time: float) -> bool:
        """Whether ``[start_time, end_time]`` (a segment's voiced part) meets voiceguide's own sound, its echo
        (the margin after it) or the clocks' error (the lead before it)."""
        with self._lock:
            return any(start - self._lead < end_time and start_time < end + self._margin
                       for start, end in self._spans)
