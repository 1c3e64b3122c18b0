"""Hands-free voice commands: microphone → speech segments → offline recognition → a command word.

The pipeline, each part small and testable on its own:

- ``Segmenter`` cuts 30 ms frames of 16 kHz audio into speech segments with
  WebRTC's voice activity detector (a segment ends after ``END_SILENCE_SECONDS``
  of silence; longer than ``MAX_SEGMENT_SECONDS`` is no command and is dropped).
- ``SoundGate`` remembers when voiceguide itself was making sound.  A segment
  whose voiced part overlaps it (or starts within ``ECHO_MARGIN_SECONDS`` of its
  end: the room's echo) is never recognised: the player cannot react to its own
  voice or chimes.  Only the voiced part counts, not the pre-roll before it nor
  the silence that ends it, so a listener who answers promptly is heard.
- A ``Recognizer`` (``recognizer.WhisperRecognizer``) transcribes a segment
  offline, prompted with the command words.
- ``match_command`` accepts only an exact command phrase ("time left", not "I
  have no time left").
- ``Listener`` runs the microphone stream and a thread that ties them together
  and hands each recognised command to a callback.

All of it is optional: the ``listen`` extra installs faster-whisper, the model
and webrtcvad; without it, ``open_listener`` raises ``ListenError``.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from voiceguide.errors import AudioDeviceError, VoiceguideError

LISTEN_RATE = 16000
"""Frames per second of the microphone stream (what the VAD and Whisper take)."""

FRAME_SECONDS = 0.03
FRAME_SAMPLES = round(LISTEN_RATE * FRAME_SECONDS)

START_VOICED_FRAMES = 3
"""Voiced frames among the last ``START_WINDOW_FRAMES`` that start a segment."""
START_WINDOW_FRAMES = 5
PRE_ROLL_FRAMES = 8
"""Frames kept before the start (240 ms): the VAD hears a word a little after it begins."""
END_SILENCE_SECONDS = 0.24
MIN_SEGMENT_SECONDS = 0.15
"""Less voiced time than this is a click or a cough, not a word."""
MAX_SEGMENT_SECONDS = 3.0
"""A command is a word or two: anything longer is conversation, not a command."""

ECHO_MARGIN_SECONDS = 0.4
"""After voiceguide's own sound, beyond the devices' latency: the room's echo and reverberation."""
LEAD_MARGIN_SECONDS = 0.1
"""Before voiceguide's own sound: the error of the two clocks (output and microphone latency estimates)."""

INSTALL_HINT = "install the voice-command extra: pip install 'voiceguide[listen]' (./dev setup does it in a checkout)"

VOICE_COMMANDS: dict[str, str] = {
    "pause": "pause", "continue": "continue", "resume": "continue", "next": "next", "back": "back",
    "repeat": "repeat", "time left": "time left", "how long": "time left", "louder": "louder",
    "softer": "softer", "help": "help", "stop": "stop",
}
"""What a listener may say (English), and the action each asks for."""

Samples = npt.NDArray[np.float32]


class ListenError(VoiceguideError):
    """Voice commands cannot run: the extra is missing or the model is not the one expected."""


# -- matching ----------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^\w' ]+")


def normal_phrase(text: str) -> str:
    """A transcript as a phrase to compare: lower case, no punctuation, single spaces."""
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def match_command(transcript: str, commands: dict[str, str] = VOICE_COMMANDS) -> str | None:
    """The action of a transcript that is exactly one command phrase, else None."""
    return commands.get(normal_phrase(transcript))


# -- segments ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """A stretch of speech: 16 kHz samples and the monotonic times it was captured between.

    ``voiced_from``..``voiced_to`` is the part the VAD heard as voice: the samples reach back
    ``PRE_ROLL_FRAMES`` before it and go on ``END_SILENCE_SECONDS`` after it.
    """

    samples: Samples
    start_time: float
    end_time: float
    voiced_from: float
    voiced_to: float


class VoiceActivity(Protocol):
    """Says whether one 30 ms frame of 16-bit PCM holds speech (``webrtcvad.Vad.is_speech``)."""

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        """True when the frame holds speech."""
        ...


class Segmenter:
    """Cuts a stream of 30 ms frames into speech segments (feed with ``push``)."""

    def __init__(self, vad: VoiceActivity) -> None:
        self._vad = vad
        self._recent: deque[tuple[Samples, float, bool]] = deque(maxlen=PRE_ROLL_FRAMES)
        self._frames: list[Samples] = []
        self._start_time = 0.0
        self._voiced_from = 0.0
        self._voiced_to = 0.0
        self._silent_frames = 0
        self._voiced_frames = 0
        self._active = False
        self._skipping = False  # inside speech too long to be a command: wait for a silence

    def push(self, frame: Samples, end_time: float) -> Segment | None:
        """Add one frame (float32, ``FRAME_SAMPLES`` long) captured up to ``end_time``; a finished segment or None."""
        pcm = (np.clip(frame, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        voiced = self._vad.is_speech(pcm, LISTEN_RATE)
        if self._skipping:
            self._silent_frames = 0 if voiced else self._silent_frames + 1
            self._skipping = self._silent_frames * FRAME_SECONDS < END_SILENCE_SECONDS
            return None
        if not self._active:
            self._recent.append((frame, end_time, voiced))
            window = list(self._recent)[-START_WINDOW_FRAMES:]
            if sum(v for _, _, v in window) >= START_VOICED_FRAMES:
                self._active = True
                self._frames = [f for f, _, _ in self._recent]
                self._start_time = self._recent[0][1] - FRAME_SECONDS
                self._voiced_from = next(t for _, t, v in self._recent if v) - FRAME_SECONDS
                self._voiced_to = end_time
                self._silent_frames = 0
                self._voiced_frames = sum(v for _, _, v in self._recent)
                self._recent.clear()
            return None
        self._frames.append(frame)
        self._silent_frames = 0 if voiced else self._silent_frames + 1
        if voiced:
            self._voiced_to = end_time
        self._voiced_frames += voiced
        seconds = len(self._frames) * FRAME_SECONDS
        if self._silent_frames * FRAME_SECONDS >= END_SILENCE_SECONDS or seconds > MAX_SEGMENT_SECONDS:
            too_long = seconds > MAX_SEGMENT_SECONDS
            frames, self._frames, self._active = self._frames, [], False
            if too_long:
                self._recent.clear()
                self._skipping, self._silent_frames = True, 0
                return None
            if self._voiced_frames * FRAME_SECONDS < MIN_SEGMENT_SECONDS:
                return None
            return Segment(np.concatenate(frames), self._start_time, end_time, self._voiced_from, self._voiced_to)
        return None


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


# -- recognition -------------------------------------------------------------------------

class Recognizer(Protocol):
    """Turns a segment of 16 kHz speech into text."""

    def transcribe(self, samples: Samples) -> str:
        """The words heard in ``samples``."""
        ...


def webrtc_vad(aggressiveness: int = 2) -> VoiceActivity:
    """WebRTC's voice activity detector; ``ListenError`` without the extra."""
    try:
        import webrtcvad
    except ImportError:
        raise ListenError("Voice commands need webrtcvad, which is not installed.", hint=INSTALL_HINT) from None
    vad: VoiceActivity = webrtcvad.Vad(aggressiveness)
    return vad


# -- the running listener ---------------------------------------------------------------

@dataclass(frozen=True)
class Heard:
    """What the listener made of one segment: its text, the action (or None), and why it was ignored."""

    text: str
    action: str | None
    end_time: float
    ignored: str | None = None  # "own sound" when it overlapped voiceguide's output


class Listener:
    """Listens on a microphone until ``close``; each segment's ``Heard`` goes to ``on_heard``.

    ``on_level`` (optional) gets the input level in dBFS about ten times a
    second, for ``listen-test``.  Threads: PortAudio's callback only queues
    frames; one worker thread runs VAD and recognition; the callbacks are called
    on that worker thread.
    """

    def __init__(self, recognizer: Recognizer, vad: VoiceActivity, gate: SoundGate,
                 on_heard: Callable[[Heard], None], *, device: str | int | None = None,
                 on_level: Callable[[float], None] | None = None) -> None:
        from voiceguide.play.live import import_sounddevice

        self._sd = import_sounddevice()
        self._recognizer = recognizer
        self._segmenter = Segmenter(vad)
        self._gate = gate
        self._on_heard = on_heard
        self._on_level = on_level
        self._frames: queue.Queue[tuple[Samples, float] | None] = queue.Queue()
        self._pending = np.zeros(0, dtype=np.float32)
        self._closed = threading.Event()
        self._worker = threading.Thread(target=self._run, name="voiceguide-listen", daemon=True)
        index = _input_device(self._sd, device)
        try:
            self._stream = self._sd.InputStream(samplerate=LISTEN_RATE, blocksize=FRAME_SAMPLES, device=index,
                                                channels=1, dtype="float32", callback=self._callback)
            self._latency_seconds = float(self._stream.latency)
            self._stream.start()
        except self._sd.PortAudioError as error:
            raise AudioDeviceError(f"The microphone could not be opened: {error}.",
                                   hint="connect a microphone, or play without --listen") from None
        self._worker.start()

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        self._frames.put((indata[:, 0].copy(), time.monotonic()))

    def _run(self) -> None:
        level_every = max(1, round(0.1 / FRAME_SECONDS))
        count = 0
        while not self._closed.is_set():
            item = self._frames.get()
            if item is None:
                return
            block, captured = item
            self._pending = np.concatenate([self._pending, block])
            while self._pending.size >= FRAME_SAMPLES:
                frame, self._pending = self._pending[:FRAME_SAMPLES], self._pending[FRAME_SAMPLES:]
                end_time = captured - self._latency_seconds - self._pending.size / LISTEN_RATE
                count += 1
                if self._on_level is not None and count % level_every == 0:
                    rms = float(np.sqrt(np.mean(np.square(frame.astype(np.float64))))) + 1e-9
                    self._on_level(20 * np.log10(rms))
                segment = self._segmenter.push(frame, end_time)
                if segment is not None:
                    self._hear(segment)

    def _hear(self, segment: Segment) -> None:
        if self._gate.covers(segment):
            self._on_heard(Heard("", None, segment.end_time, ignored="own sound"))
            return
        text = self._recognizer.transcribe(segment.samples)
        self._on_heard(Heard(text, match_command(text), segment.end_time))

    def close(self) -> None:
        """Stop the microphone and the worker."""
        self._closed.set()
        self._frames.put(None)
        try:
            self._stream.stop()
            self._stream.close()
        except self._sd.PortAudioError:
            pass
        self._worker.join(timeout=5)


def check_microphone(device: str | int | None = None) -> None:
    """Raise ``AudioDeviceError`` (one sentence) unless there is a microphone (``device``, or any)."""
    from voiceguide.play.live import import_sounddevice

    _input_device(import_sounddevice(), device)


def _input_device(sd: Any, device: str | int | None) -> int | None:
    """The input device to open: None for the default; ``AudioDeviceError`` when there is none."""
    try:
        devices = list(sd.query_devices())
    except sd.PortAudioError as error:
        raise AudioDeviceError(f"The audio system cannot list microphones: {error}.") from None
    inputs = [(index, d) for index, d in enumerate(devices) if d.get("max_input_channels", 0) > 0]
    if not inputs:
        raise AudioDeviceError("There is no microphone here, so voice commands cannot listen.",
                               hint="connect a microphone, or play without --listen (the keys still work)")
    if device is None:
        return None
    text = str(device)
    if text.isdigit() and any(index == int(text) for index, _ in inputs):
        return int(text)
    named = [index for index, d in inputs if text.casefold() in str(d["name"]).casefold()]
    if len(named) == 1:
        return named[0]
    raise AudioDeviceError(f"No single microphone is named like {text!r}.",
                           hint="run 'voiceguide devices' to list them")
